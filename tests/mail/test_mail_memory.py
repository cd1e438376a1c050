"""Bounded memory: the server's RFC822.SIZE is read before any download; a big attachment that is
within the limits is processed with the processor (and its worker) well under 250 MB."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import pytest
from mail_fixtures import (
    STRANGER,
    UNIT_B_MAIL,
    UNIT_C_MAIL,
    good_workbook,
    unit_message,
    write_config,
)

MEASURE = """
import json, resource, sys
from xlreport.cli.main import main
try:
    main(["mail", "run", "--config", sys.argv[1], "--once"])
except SystemExit as exc:
    code = exc.code
# VmHWM is this process's own peak (ru_maxrss would carry over the parent's from before exec).
self_kb = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
# The workers' peak: an upper bound, it includes what each inherited from this process at fork.
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": code, "self_mb": self_kb / 1024, "children_mb": child_kb / 1024}))
"""


def _padded_workbook(megabytes: int) -> tuple[str, bytes]:
    """The good sample with an incompressible picture-sized part added: a real, big .xlsx."""
    _name, data = good_workbook()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/media/image1.png", os.urandom(megabytes * 1024 * 1024), compress_type=zipfile.ZIP_STORED)
    return "带大图片的自评表.xlsx", out.getvalue()


@pytest.mark.slow
def test_30mb_attachment_stays_under_250mb(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="max_message_mb = 60\nmax_attachment_mb = 40")
    config.write_text(config.read_text(encoding="utf-8").replace("max_attachment_mb = 5\n", ""), encoding="utf-8")
    attachment = _padded_workbook(30)
    assert len(attachment[1]) > 30 * 1024 * 1024
    mailbox.deliver(unit_message(UNIT_C_MAIL, "三十兆的附件", [attachment]))
    del attachment
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(config)], capture_output=True, text=True,
                          cwd=str(tmp_path), timeout=300, check=False)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"peak RSS: processor {result['self_mb']:.0f} MB, worker {result['children_mb']:.0f} MB")
    (tmp_path / "rss.json").write_text(json.dumps(result), encoding="utf-8")
    assert result["code"] == 0, proc.stderr
    assert result["self_mb"] < 250 and result["children_mb"] < 250, result
    replies = smtp_server.to(UNIT_C_MAIL)
    assert len(replies) == 1  # answered (scored or refused with a reason), not lost


def test_oversize_message_is_never_downloaded(tmp_path, mailbox, smtp_server, roster):
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="max_message_mb = 2")
    big = ("大文件.xlsx", os.urandom(3 * 1024 * 1024))
    mailbox.deliver(unit_message(UNIT_B_MAIL, "太大的邮件", [big]))
    mailbox.deliver(unit_message(STRANGER, "陌生人的大邮件", [big], auth=None))
    mailbox.deliver(unit_message(UNIT_C_MAIL, "正常的", [good_workbook()]))
    processor = Processor(load_config(config))
    fetched: list[str] = []
    from xlreport.central.mail import transport

    real_fetch = transport.ImapSession.fetch

    def spy(self, uid, section="BODY.PEEK[]"):
        fetched.append(section)
        return real_fetch(self, uid, section)

    transport.ImapSession.fetch = spy
    try:
        assert processor.run(once=True) == 0
    finally:
        transport.ImapSession.fetch = real_fetch
    bodies = [s for s in fetched if s.startswith("BODY.PEEK[]")]
    assert bodies == ["BODY.PEEK[]<0.4194304>"]  # only the normal message was downloaded (one chunk)
    notice = smtp_server.to(UNIT_B_MAIL)
    assert len(notice) == 1 and "超过本邮箱的接收上限" in notice[0].message.get_body(("plain",)).get_content()
    assert smtp_server.to(STRANGER) == [] and len(smtp_server.to(UNIT_C_MAIL)) == 1
    archived = [p for p in (tmp_path / "archive").rglob("*.eml") if "sent" not in p.parts]
    assert all(p.stat().st_size < 1024 * 1024 for p in archived)
    rows = processor.registry.messages_with_status("quarantined")
    assert len(rows) == 2 and all("mail-too-large" in r["reason"] for r in rows)


def test_a_server_understating_the_size_still_stops_at_the_limit(tmp_path, mailbox, smtp_server, roster,
                                                                  monkeypatch):
    from xlreport.central.mail import transport
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="max_message_mb = 1")
    mailbox.deliver(unit_message(UNIT_B_MAIL, "谎报大小", [("大文件.xlsx", os.urandom(3 * 1024 * 1024))]))
    monkeypatch.setattr(transport.ImapSession, "size", lambda self, uid: 1000)
    chunks = transport.ImapSession.fetch_chunks
    monkeypatch.setattr(transport.ImapSession, "fetch_chunks", lambda self, uid: chunks(self, uid, chunk=256 * 1024))
    processor = Processor(load_config(config))
    assert processor.run(once=True) == 0
    (row,) = processor.registry.messages_with_status("quarantined")
    assert "mail-too-large" in row["reason"]
    assert not [p for p in (tmp_path / "archive").rglob("*") if p.is_file() and p.stat().st_size > 2 * 1024 * 1024]
