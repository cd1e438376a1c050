"""Fixtures and helpers for the portal tests: one real portal per session (`xlreport serve` as a subprocess),
aiosmtpd, Debian's Chromium.

The server runs on a temporary SQLite registry with the sample units plus two extra units as the
roster; SMTP goes to an in-process aiosmtpd whose envelopes the tests read.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pg_database import fresh_pg_database  # noqa: F401  (re-exported for the portal tests)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PASSWORD = "correct-horse-7"
EXTRA_UNITS = ["测试单位甲", "测试单位乙", "锁定测试单位"]
MAX_UPLOAD_MB = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Smtp:
    port: int
    envelopes: list[Envelope] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[Envelope]:
        with self.lock:
            return list(self.envelopes)


class _Handler:
    def __init__(self, smtp: Smtp) -> None:
        self.smtp = smtp

    async def handle_DATA(self, server, session, envelope):
        with self.smtp.lock:
            self.smtp.envelopes.append(Envelope(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@dataclass
class Portal:
    url: str
    db_url: str
    config: Path
    folder: Path
    units: list[str]
    addresses: dict[str, list[str]]
    smtp: Smtp
    proc: subprocess.Popen

    def unit_of(self, sample: Path) -> str:
        return SAMPLE_UNITS[sample.name]


SAMPLE_UNITS = {
    "临泽_2023_部门整体支出.xlsx": "临泽县医疗保障局",
    "攀枝花_2022_定点医药机构监管经费.xlsx": "攀枝花市医疗保障事务中心",
    "海口_2022_医疗服务与保障能力提升补助资金.xlsx": "海口市医疗保障局",
    "红寺堡_2022_城乡居民医保补助资金.xlsx": "吴忠市红寺堡区医疗保障局",
}
SAMPLES = [ROOT / "samples" / name for name in sorted(SAMPLE_UNITS)]  # the four template-based samples




def write_roster(path: Path, units: list[str]) -> dict[str, list[str]]:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "电子邮箱"])
    addresses = {}
    for i, unit in enumerate(units, 1):
        addrs = [f"u{i}@units.example.cn"] + ([f"u{i}b@units.example.cn"] if i == 1 else [])
        addresses[unit] = addrs
        ws.append([unit, "；".join(addrs)])
    wb.save(path)
    return addresses


def start_server(config: Path, port: int, log, folder: Path, env: dict[str, str] | None = None):
    """`xlreport serve --config` as a subprocess; returns it and its address once /healthz answers."""
    env = {**os.environ, "XLREPORT_CACHE_DIR": str(folder / "cache"), **(env or {})}
    proc = subprocess.Popen([sys.executable, "-c", "from xlreport.cli.main import main; main()", "serve", "--config",
                             str(config)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=config.parent)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"portal did not start (see {log.name})")
        time.sleep(0.2)


@pytest.fixture(scope="session")
def portal(tmp_path_factory: pytest.TempPathFactory):
    from aiosmtpd.controller import Controller

    folder = tmp_path_factory.mktemp("portal")
    smtp = Smtp(free_port())
    controller = Controller(_Handler(smtp), hostname="127.0.0.1", port=smtp.port)
    controller.start()
    units = [SAMPLE_UNITS[p.name] for p in SAMPLES] + EXTRA_UNITS
    addresses = write_roster(folder / "roster.xlsx", units)
    port = free_port()
    db_url = f"sqlite:///{folder / 'registry.db'}"
    config = folder / "central.toml"
    config.write_text(f"""
[portal]
host = "127.0.0.1"
port = {port}
roster = "roster.xlsx"
data_dir = "data"
max_upload_mb = {MAX_UPLOAD_MB}
workers = 2
mail_sync_seconds = 1
remind_interval_hours = 12

[store]
url = "{db_url}"

[smtp]
host = "127.0.0.1"
port = {smtp.port}
ssl = false
from = "centre@office.example.cn"
""", encoding="utf-8")
    # Accounts with passwords, except 测试单位乙 (it gets an invite link in a test).
    from xlreport.central.portal.auth import hash_password
    from xlreport.central.portal.store import Role, Store

    store = Store(db_url)
    hashed = hash_password(PASSWORD)
    store.ensure_account("admin", Role.OFFICE)
    store.set_password(store.account_by_name("admin")["id"], hashed)
    for unit in units:
        store.ensure_account(unit, Role.UNIT, unit)
        if unit != "测试单位乙":
            store.set_password(store.account_by_name(unit)["id"], hashed)
    store.dispose()
    log = (folder / "server.log").open("wb")
    proc, url = start_server(config, port, log, folder)
    try:
        yield Portal(url, db_url, config, folder, units, addresses, smtp, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        controller.stop()
        log.close()
        text = (folder / "server.log").read_text(errors="replace")
        assert "Traceback" not in text, text[-4000:]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def context(browser, portal):
    ctx = browser.new_context(base_url=portal.url, accept_downloads=True, locale="zh-CN",
                              viewport={"width": 1360, "height": 900})
    ctx.set_default_timeout(30_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="session")
def shots() -> Path:
    folder = Path(os.environ.get("XLREPORT_SCREENSHOTS") or (Path(os.environ.get("TMPDIR", "/tmp")) / "xlreport-shots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def login(context, username: str, password: str = PASSWORD):
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    return page


def api_upload(page, path: Path, name: str | None = None, data: bytes | None = None):
    """POST a file through the page's session, as the upload script does (XHR + token)."""
    csrf = page.get_attribute("body", "data-csrf")
    payload = data if data is not None else path.read_bytes()
    return page.request.post("/unit/upload", headers={"X-CSRF-Token": csrf, "X-Requested-With": "XMLHttpRequest"},
                             multipart={"csrf_token": csrf, "file": {
                                 "name": name or path.name, "buffer": payload,
                                 "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}})
