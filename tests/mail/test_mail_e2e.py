"""What the issue asks to see, against real IMAP (pymap) and SMTP (aiosmtpd) servers, through the CLI."""

from __future__ import annotations

import io
import sqlite3

import openpyxl
import pytest
from mail_fixtures import (
    STRANGER,
    UNIT_A,
    UNIT_A_MAIL,
    UNIT_B_MAIL,
    UNIT_C,
    UNIT_C_MAIL,
    error_workbook,
    good_workbook,
    run_cli,
    unit_message,
)


def _attachments(msg):
    return {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}


def _body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def _legacy_xls() -> bytes:
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    book.add_sheet("基本信息").write(0, 0, "报告类型")
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _registry(config):
    con = sqlite3.connect(config.parent / "registry.db")
    con.row_factory = sqlite3.Row
    return con


def test_good_corrupt_stranger_then_nothing_new_then_summary(mail_env, tmp_path):
    config, mailbox, smtp = mail_env
    good = unit_message(UNIT_A_MAIL, "关于报送2022年城乡居民医保补助资金绩效自评表的函", [good_workbook()])
    corrupt = unit_message(UNIT_B_MAIL, "海口市绩效自评", [("海口自评表.xlsx", b"PK\x03\x04 this is not a zip")])
    stranger = unit_message(STRANGER, "发票", [good_workbook()])
    for msg in (good, corrupt, stranger):
        mailbox.deliver(msg)

    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr

    # The good workbook: one threaded reply with the scored workbook, the report and the score.
    replies = smtp.to(UNIT_A_MAIL)
    assert len(replies) == 1
    reply = replies[0].message
    assert reply["Subject"] == "Re: 关于报送2022年城乡居民医保补助资金绩效自评表的函"
    assert reply["In-Reply-To"] == good["Message-ID"]
    assert good["Message-ID"] in reply["References"]
    assert reply["Auto-Submitted"] == "auto-replied"
    files = _attachments(reply)
    assert set(files) == {"红寺堡区2022年城乡居民医保补助资金绩效自评.xlsx",
                          "红寺堡区2022年城乡居民医保补助资金绩效自评_自评报告.docx"}
    raw = replies[0].data.decode("ascii")  # the wire form is pure ASCII: names are RFC 2231-encoded
    assert "filename*0*=utf-8''%E7%BA%A2" in raw
    body = _body(reply)
    assert UNIT_A in body and "总分100.00分" in body and "评价等级" in body and "错误0个" in body
    scored = openpyxl.load_workbook(io.BytesIO(files["红寺堡区2022年城乡居民医保补助资金绩效自评.xlsx"]))
    assert "评分结果" in scored.sheetnames and scored["评分结果"].max_row > 3
    assert files["红寺堡区2022年城乡居民医保补助资金绩效自评_自评报告.docx"][:2] == b"PK"

    # The corrupt attachment: a plain explanation and the blank template.
    replies = smtp.to(UNIT_B_MAIL)
    assert len(replies) == 1
    body = _body(replies[0].message)
    assert "海口自评表.xlsx" in body and "损坏" in body and "/" not in body.split("无法处理：")[1].split("\n")[0]
    assert list(_attachments(replies[0].message)) == ["绩效自评模板_项目支出.xlsx"]

    # The stranger: nothing at all, recorded as quarantined.
    assert smtp.to(STRANGER) == []
    assert len(smtp.messages) == 2
    with _registry(config) as con:
        statuses = dict(con.execute("select sender, status from messages").fetchall())
    assert statuses == {UNIT_A_MAIL: "replied", UNIT_B_MAIL: "replied", STRANGER: "quarantined"}
    assert mailbox.unseen() == []

    # A second run sends nothing new, even when the same message arrives again.
    mailbox.deliver(good)
    again = run_cli(config)
    assert again.returncode == 0, again.stderr
    assert len(smtp.messages) == 2
    assert "已处理过" in again.stderr

    # The summary lists the unit and its score; the roster unit that sent nothing is 未提交.
    from click.testing import CliRunner

    from xlreport.cli.main import main

    out = tmp_path / "汇总.xlsx"
    res = CliRunner().invoke(main, ["summary", "--config", str(config), "-o", str(out)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out)["汇总"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows[UNIT_A][6] == 100 and rows[UNIT_A][10] == "已通过" and rows[UNIT_A][7]
    assert rows[UNIT_C][10] == "未提交"
    assert "海口市医疗保障局" in rows and rows["海口市医疗保障局"][10] == "未提交"  # only an unusable file


def test_errors_no_attachment_xls_too_large_auto_reply(mail_env, tmp_path):
    config, mailbox, smtp = mail_env
    mailbox.deliver(unit_message(UNIT_C_MAIL, "临泽 自评表（未完成）", [error_workbook(tmp_path)]))
    mailbox.deliver(unit_message(UNIT_C_MAIL, "临泽 忘了附件"))
    mailbox.deliver(unit_message(UNIT_B_MAIL, "旧格式", [("自评表.xls", _legacy_xls())]))
    mailbox.deliver(unit_message(UNIT_B_MAIL, "太大", [("大文件.xlsx", b"PK" + b"\0" * (6 * 1024 * 1024))]))
    auto = unit_message(UNIT_A_MAIL, "自动回复：外出", [])
    auto["Auto-Submitted"] = "auto-replied"
    mailbox.deliver(auto)

    result = run_cli(config)
    assert result.returncode == 0, result.stderr

    lz = sorted(smtp.to(UNIT_C_MAIL), key=lambda c: c.message["Subject"])
    assert len(lz) == 2
    by_subject = {c.message["Subject"]: c.message for c in lz}
    errors = by_subject["Re: 临泽 自评表（未完成）"]
    body = _body(errors)
    assert "个错误" in body and "[错误]" in body and "预算执行" in body
    assert list(_attachments(errors)) == ["未填完的自评表.xlsx"]  # annotated, no report
    annotated = openpyxl.load_workbook(io.BytesIO(_attachments(errors)["未填完的自评表.xlsx"]))
    assert annotated["校验结果"].max_row > 2
    none = by_subject["Re: 临泽 忘了附件"]
    assert "没有找到" in _body(none) and "1." in _body(none) and "2." in _body(none)
    assert list(_attachments(none)) == ["绩效自评模板_项目支出.xlsx"]

    hk = {c.message["Subject"]: c.message for c in smtp.to(UNIT_B_MAIL)}
    assert "另存为" in _body(hk["Re: 旧格式"]) and ".xls" in _body(hk["Re: 旧格式"])
    assert "超过5MB" in _body(hk["Re: 太大"])
    assert all("绩效自评模板_项目支出.xlsx" in _attachments(m) for m in hk.values())

    assert smtp.to(UNIT_A_MAIL) == []  # auto-replies are never answered (no mail loops)
    with _registry(config) as con:
        row = con.execute("select status, reason from messages where sender=?", (UNIT_A_MAIL,)).fetchone()
        assert row["status"] == "quarantined" and "自动" in row["reason"]
        subs = con.execute("select file_name, status from submissions order by file_name").fetchall()
    assert {tuple(s) for s in subs} == {("未填完的自评表.xlsx", "有错误"), ("自评表.xls", "无法使用"),
                                        ("大文件.xlsx", "无法使用")}


def test_bad_config_is_a_plain_message(tmp_path):
    bad = tmp_path / "mail.toml"
    bad.write_text('[imap]\nhost = "x"\nuser = "u"\npassword_env = "NOPE_NOT_SET_XL"\n[smtp]\nhost="y"\nfrom="a@b.c"\n'
                   '[policy]\nsender_check = "from-only"\n',
                   encoding="utf-8")
    result = run_cli(bad)
    assert result.returncode == 2
    assert "NOPE_NOT_SET_XL" in result.stderr and "Traceback" not in result.stderr
    bad.write_text("[imap\n", encoding="utf-8")
    result = run_cli(bad)
    assert result.returncode == 2 and "格式错误" in result.stderr


@pytest.mark.parametrize("which", ["imap", "smtp"])
def test_outage_is_retried_not_fatal(tmp_path, mailbox, smtp_server, roster, which, caplog):
    from mail_fixtures import ImapServer, free_port, write_config

    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    dead = free_port()
    mailbox.deliver(unit_message(UNIT_C_MAIL, "无附件"))
    if which == "imap":
        config = write_config(tmp_path, ImapServer("127.0.0.1", dead), mailbox.folder, smtp_server.port, roster=roster)
    else:
        config = write_config(tmp_path, mailbox.server, mailbox.folder, dead, roster=roster)
    caplog.set_level("INFO", logger="xlreport.central.mail")
    assert Processor(load_config(config)).run(once=True) == 1  # messages remain: exit 1, no traceback
    assert "重试" in caplog.text
    assert smtp_server.messages == [] and len(mailbox.unseen()) == 1
    # The service is back: the message is answered exactly once.
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster)
    processor = Processor(load_config(config))
    assert processor.run(once=True) == 0
    assert processor.run(once=True) == 0
    assert len(smtp_server.messages) == 1 and mailbox.unseen() == []


def test_loop_mode_polls_until_stopped(mail_env, tmp_path, roster):
    """Without --once: keeps polling, picks up new mail, stops on request after the message in hand."""
    import threading
    import time

    from mail_fixtures import write_config

    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    _, mailbox, smtp = mail_env
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp.port, roster=roster,
                          extra_policy="poll_seconds = 0.1")
    stop = threading.Event()
    processor = Processor(load_config(config), stop=stop)
    thread = threading.Thread(target=processor.run)
    thread.start()
    try:
        mailbox.deliver(unit_message(UNIT_C_MAIL, "循环模式"))
        deadline = time.monotonic() + 20
        while not smtp.messages and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(20)
    assert not thread.is_alive()
    assert len(smtp.messages) == 1


def test_sigterm_stops_the_service(mail_env):
    import os
    import signal
    import subprocess
    import sys
    import time

    config, _mailbox, _smtp = mail_env
    proc = subprocess.Popen([sys.executable, "-m", "xlreport.cli.main", "mail", "run", "--config", str(config)],
                            stderr=subprocess.PIPE, text=True, cwd=str(config.parent))
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "开始收取" in line:
                break
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(20) == 0
        rest = proc.stderr.read()  # type: ignore[union-attr]
        assert "停止" in rest and "Traceback" not in rest
    finally:
        if proc.poll() is None:
            proc.kill()


def test_processed_folder_moves_done_messages(tmp_path, mailbox, smtp_server, roster):
    """With [imap] processed_folder, done messages leave the inbox (read or unread does not matter)."""
    from mail_fixtures import write_config

    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    done = f"{mailbox.folder}-已处理"
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_imap=f'processed_folder = "{done}"')
    mailbox.deliver(unit_message(UNIT_C_MAIL, "移到已处理"))
    mailbox.deliver(unit_message(STRANGER, "陌生人"))
    processor = Processor(load_config(config))
    assert processor.run(once=True) == 0
    assert mailbox.all() == []
    with mailbox.server.box(done) as box:
        assert len(box.uids("ALL")) == 2
    assert processor.run(once=True) == 0
    assert len(smtp_server.messages) == 1
