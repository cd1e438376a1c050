"""Helpers and real servers for the mail tests: pymap (IMAP, dict backend) as a subprocess (pymap_server.py), aiosmtpd in-process.

Both listen on 127.0.0.1 on free ports and live for the whole session. Each test gets its own IMAP
folder and an emptied SMTP capture, so tests never see each other's mail. The SMTP handler records
the envelope (MAIL FROM, every RCPT TO): recipient checks look there, not at the headers.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
IMAP_USER, IMAP_PASSWORD = "demouser", "demopass"
UNIT_A, UNIT_A_MAIL = "红寺堡区医疗保障局", "hsb@unit.example.cn"
UNIT_B, UNIT_B_MAIL = "海口市医疗保障局", "hk@unit.example.cn"
UNIT_C, UNIT_C_MAIL = "临泽县医疗保障局", "lz@unit.example.cn"
STRANGER = "spam@stranger.example.com"
CENTRE = "jxzp@centre.example.cn"
AUTHSERV = "mx.centre.example.cn"  # the centre's own receiving server, trusted in the test config
CODE_A, CODE_B, CODE_C = "HSB7Q2X9", "HK4M8P3Z", "LZ9K2W6T"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 20.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"port {port} did not open")


@dataclass
class ImapServer:
    host: str
    port: int
    user: str = IMAP_USER
    password: str = IMAP_PASSWORD

    def box(self, folder: str = "INBOX"):
        from imap_tools import MailBoxUnencrypted

        return MailBoxUnencrypted(self.host, self.port).login(self.user, self.password, folder)


@pytest.fixture(scope="session")
def imap_server():
    pytest.importorskip("pymap", reason="pymap is not installed (uv sync --group dev)")
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("pymap_server.py")), "--host", "127.0.0.1",
                             "--port", str(port), "dict"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc=proc)
        yield ImapServer("127.0.0.1", port)
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


_folders = itertools.count(1)


@dataclass
class Mailbox:
    server: ImapServer
    folder: str

    def deliver(self, msg: EmailMessage | bytes) -> None:
        data = msg if isinstance(msg, bytes) else bytes(msg)
        with self.server.box(self.folder) as box:
            box.append(data, self.folder, flag_set=[])

    def unseen(self) -> list[str]:
        from imap_tools import AND

        with self.server.box(self.folder) as box:
            return box.uids(AND(seen=False))

    def all(self) -> list[str]:
        with self.server.box(self.folder) as box:
            return box.uids("ALL")


@pytest.fixture
def mailbox(imap_server) -> Mailbox:
    name = f"T{os.getpid()}x{next(_folders)}"
    with imap_server.box() as box:
        box.folder.create(name)
    return Mailbox(imap_server, name)


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return BytesParser(policy=policy.default).parsebytes(self.data)  # type: ignore[return-value]


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Captured] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[Captured]:
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server, session, envelope):
        with self.server.lock:
            self.server.messages.append(Captured(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
                                                 or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_session():
    from aiosmtpd.controller import Controller

    port = free_port()
    server = SmtpServer("127.0.0.1", port)
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=port, data_size_limit=200 * 1024 * 1024)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def smtp_server(smtp_session):
    with smtp_session.lock:
        smtp_session.messages.clear()
    return smtp_session


# Data ---------------------------------------------------------------------------------------
def make_roster(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "单位名单"
    ws.append(["序号", "单位名称", "电子邮箱", "提交码", "备注"])
    ws.append([1, UNIT_A, f"{UNIT_A_MAIL}; backup-hsb@unit.example.cn", CODE_A, None])
    ws.append([2, UNIT_B, UNIT_B_MAIL.upper(), CODE_B, None])
    ws.append([3, UNIT_C, UNIT_C_MAIL, CODE_C, "尚未提交"])
    wb.save(path)
    return path


@pytest.fixture
def roster(tmp_path) -> Path:
    return make_roster(tmp_path / "单位名单.xlsx")


def sample(name_part: str) -> Path:
    found = sorted(SAMPLES.glob(f"*{name_part}*.xlsx"))
    if not found:
        pytest.skip(f"sample *{name_part}*.xlsx not available yet")
    return found[0]


def good_workbook() -> tuple[str, bytes]:
    path = sample("红寺堡")
    return "红寺堡区2022年城乡居民医保补助资金绩效自评.xlsx", path.read_bytes()


def error_workbook(tmp_path: Path) -> tuple[str, bytes]:
    from xlreport.adapters.template import write_template

    path = write_template(tmp_path / "blank.xlsx", "项目支出")
    return "未填完的自评表.xlsx", Path(path).read_bytes()


def unit_message(sender: str, subject: str, attachments: list[tuple[str, bytes]] = (), *,
                 message_id: str | None = None, body: str = "请审核附件中的绩效自评表。",
                 auth: str | None = "dmarc") -> EmailMessage:
    """A unit's mail as the centre's server stores it: with its Authentication-Results (``auth=None``: none)."""
    msg = EmailMessage()
    domain = sender.rpartition("@")[2]
    if auth == "dmarc":
        msg["Authentication-Results"] = (f"{AUTHSERV}; spf=pass smtp.mailfrom={domain}; "
                                         f"dkim=pass header.d={domain}; dmarc=pass (p=reject) header.from={domain}")
    elif auth:
        msg["Authentication-Results"] = auth
    msg["From"] = f"填报人 <{sender}>"
    msg["To"] = CENTRE
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="unit.example.cn")
    msg["Date"] = "Mon, 06 Jan 2025 09:30:00 +0800"
    msg.set_content(body)
    for name, data in attachments:
        msg.add_attachment(data, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=name)
    return msg


def write_config(tmp_path: Path, imap: ImapServer, folder: str, smtp_port: int, *, roster: Path | None,
                 url: str | None = None, extra_policy: str = "", extra_imap: str = "",
                 sender_check: str = "auth-results", extra_store: str = "") -> Path:
    lines = [
        "[imap]", f'host = "{imap.host}"', f"port = {imap.port}", "ssl = false", f'user = "{imap.user}"',
        'password_env = "XLREPORT_TEST_IMAP_PASSWORD"', f'folder = "{folder}"', extra_imap,
        "", "[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", "ssl = false", "starttls = false",
        f'from = "绩效自评汇总 <{CENTRE}>"', "timeout = 10",
        "", "[store]", f'url = "{url or "sqlite:///registry.db"}"', 'archive_dir = "archive"', 'work_dir = "work"',
        extra_store,
        "", "[policy]", "max_attachment_mb = 5", "retries = 1", "backoff_seconds = 0.05",
        "lease_seconds = 300", f'sender_check = "{sender_check}"', f'trusted_authserv_id = "{AUTHSERV}"',
        extra_policy,
    ]
    if roster is not None:
        lines.append(f'roster = "{roster}"')
    path = tmp_path / "mail.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.environ["XLREPORT_TEST_IMAP_PASSWORD"] = imap.password
    return path


@pytest.fixture
def mail_env(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster)
    return config, mailbox, smtp_server


def run_cli(config: Path, *extra: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "xlreport.cli.main", "mail", "run", "--config", str(config), "--once",
                           *extra], capture_output=True, text=True, env=full_env, timeout=timeout, check=False,
                          cwd=str(config.parent))


def process_once(config: Path) -> int:
    """One ``--once`` pass in this process: the processor ``xlreport mail run`` drives, without a
    new interpreter's start-up (for runs whose output is not what the test checks)."""
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    processor = Processor(load_config(config))
    try:
        return processor.run(once=True)
    finally:
        processor.registry.dispose()
