"""A hostile or unlucky mailbox against real pymap and aiosmtpd: crafted MIME, forged senders,
hostile 电子邮箱 cells, \\Seen and colliding mail, auto-responders. Recipients are checked at the
SMTP envelope (RCPT TO), not in the headers."""

from __future__ import annotations

import io
import sqlite3

import openpyxl
import pytest
from mail_fixtures import (
    AUTHSERV,
    CENTRE,
    CODE_B,
    STRANGER,
    UNIT_A,
    UNIT_A_MAIL,
    UNIT_B_MAIL,
    UNIT_C_MAIL,
    good_workbook,
    run_cli,
    unit_message,
    write_config,
)

ROSTER_ADDRESSES = {UNIT_A_MAIL, "backup-hsb@unit.example.cn", UNIT_B_MAIL, UNIT_C_MAIL}


def _body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def _db(config):
    con = sqlite3.connect(config.parent / "registry.db")
    con.row_factory = sqlite3.Row
    return con


def _envelope_ok(smtp) -> None:
    for captured in smtp.messages:
        assert set(captured.rcpt_tos) <= ROSTER_ADDRESSES, captured.rcpt_tos
        assert captured.mail_from == CENTRE


def _auth(sender: str) -> str:
    domain = sender.rpartition("@")[2]
    return f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from={domain}\r\n"


def _crafted_filename(sender: str) -> str:
    return (_auth(sender) + f"From: <{sender}>\r\nTo: {CENTRE}\r\nSubject: crafted name\r\n"
            "Message-ID: <crafted1@unit.example.cn>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n'
            "--b1\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n"
            "Content-Disposition: attachment; filename*=utf-16''%00\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            "UEsDBA==\r\n--b1--\r\n")


def _crafted_boundary(sender: str) -> str:
    return (_auth(sender) + f"From: <{sender}>\r\nTo: {CENTRE}\r\nSubject: crafted boundary\r\n"
            "Message-ID: <crafted2@unit.example.cn>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: multipart/mixed; bou*\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n")


def _crafted_deep(sender: str, depth: int = 300) -> str:
    """300 levels: pymap itself cannot store 400 or more (the worker is tested at 1000 and 3000 below)."""
    head = (_auth(sender) + f"From: <{sender}>\r\nTo: {CENTRE}\r\nSubject: crafted deep\r\n"
            "Message-ID: <crafted3@unit.example.cn>\r\nMIME-Version: 1.0\r\n")
    parts = [head + 'Content-Type: multipart/mixed; boundary="d0"\r\n\r\n']
    for i in range(1, depth):
        parts.append(f'--d{i - 1}\r\nContent-Type: multipart/mixed; boundary="d{i}"\r\n\r\n')
    parts.append(f"--d{depth - 1}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
    for i in reversed(range(depth)):
        parts.append(f"--d{i}--\r\n")
    return "".join(parts)


def test_crafted_messages_between_two_good_ones(mail_env):
    config, mailbox, smtp = mail_env
    mailbox.deliver(unit_message(UNIT_A_MAIL, "第一份", [good_workbook()]))
    for sender in (UNIT_B_MAIL, STRANGER):
        mailbox.deliver(_crafted_filename(sender).encode())
        mailbox.deliver(_crafted_boundary(sender).encode())
        mailbox.deliver(_crafted_deep(sender).encode())
    mailbox.deliver(unit_message(UNIT_C_MAIL, "第二份", [good_workbook()]))

    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    for unit_mail, subject in ((UNIT_A_MAIL, "Re: 第一份"), (UNIT_C_MAIL, "Re: 第二份")):
        replies = smtp.to(unit_mail)
        assert [r.message["Subject"] for r in replies] == [subject]
        assert "总分100.00分" in _body(replies[0].message)
    assert smtp.to(STRANGER) == []  # strangers get nothing, whatever they send
    # The unit's own broken mail: at most a short reply each, never a crash.
    for r in smtp.to(UNIT_B_MAIL):
        assert "您好" in _body(r.message)
    _envelope_ok(smtp)
    with _db(config) as con:
        rows = con.execute("select message_key, sender, status, reason from messages").fetchall()
    assert len(rows) == 8 and all(r["status"] in ("replied", "quarantined") for r in rows)
    deep = [r for r in rows if r["sender"] == UNIT_B_MAIL and "嵌套" in (r["reason"] or "")]
    assert len(deep) == 1 and deep[0]["status"] == "quarantined"
    for r in rows:  # the log names every message by its key
        assert r["message_key"] in result.stderr
    assert run_cli(config).returncode == 0 and len(smtp.messages) == 2 + len(smtp.to(UNIT_B_MAIL))


def test_worker_refuses_deep_and_odd_mime_in_process():
    from xlreport.central.mail.worker import Unparseable, extract

    for depth in (40, 1000, 3000):
        with pytest.raises(Unparseable):
            extract(_crafted_deep(UNIT_B_MAIL, depth).encode(), 1024 * 1024)
    files, _ = extract(_crafted_filename(UNIT_B_MAIL).encode(), 1024 * 1024)
    assert [f["name"] for f in files] == ["附件2.xlsx"]  # the unreadable name falls back, the file is kept


def _workbook_with_email(email: str) -> tuple[str, bytes]:
    name, data = good_workbook()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["基本信息"]["B14"] = email
    buf = io.BytesIO()
    wb.save(buf)
    return name, buf.getvalue()


def test_forged_senders_and_hostile_email_cells_reach_no_outsider(mail_env):
    config, mailbox, smtp = mail_env
    victim = '"victim,b@evil.example.org"@x.example'
    # Forged From (no trusted Authentication-Results, an untrusted server's, our server saying fail,
    # and a forged "pass" placed below our server's real "fail").
    mailbox.deliver(unit_message(UNIT_A_MAIL, "伪造1", [_workbook_with_email("victim@evil.example.org")], auth=None))
    mailbox.deliver(unit_message(UNIT_A_MAIL, "伪造2", [good_workbook()],
                                 auth="mx.evil.example.org; dmarc=pass header.from=unit.example.cn"))
    forged = unit_message(UNIT_A_MAIL, "伪造3", [good_workbook()], auth=f"{AUTHSERV}; dmarc=fail; spf=fail")
    forged["Authentication-Results"] = f"{AUTHSERV}; dmarc=pass header.from=unit.example.cn"  # appended below
    mailbox.deliver(forged)
    mailbox.deliver(unit_message(UNIT_A_MAIL, "SPF不对齐", [good_workbook()],
                                 auth=f"{AUTHSERV}; spf=pass smtp.mailfrom=evil.example.org; dmarc=none"))
    # Genuine mail with hostile 电子邮箱 cells, and one naming the unit's other roster address.
    mailbox.deliver(unit_message(UNIT_A_MAIL, "抄送外人", [_workbook_with_email("victim@evil.example.org")]))
    mailbox.deliver(unit_message(UNIT_A_MAIL, "引号逗号", [_workbook_with_email(victim)]))
    mailbox.deliver(unit_message(UNIT_A_MAIL, "别的单位", [_workbook_with_email(UNIT_B_MAIL)]))
    mailbox.deliver(unit_message(UNIT_A_MAIL, "本单位备用邮箱", [_workbook_with_email("backup-hsb@unit.example.cn")]))

    result = run_cli(config, env={})
    assert result.returncode == 0, result.stderr
    _envelope_ok(smtp)
    assert all(c.rcpt_tos != [UNIT_B_MAIL] for c in smtp.messages)
    by_subject = {c.message["Subject"]: c for c in smtp.messages}
    notices = [c for c in smtp.messages if "未能确认发件人" in _body(c.message)]
    assert len(notices) == 4  # one per forged message, to the roster address, never with data
    for notice in notices:
        assert notice.rcpt_tos == [UNIT_A_MAIL]
        assert list(notice.message.iter_attachments()) == []
        assert "总分" not in _body(notice.message) and "伪造" not in _body(notice.message)
        assert notice.message["Subject"] == "Re: 绩效自评工作簿"  # the forger's words are not relayed
    for subject in ("抄送外人", "引号逗号", "别的单位"):
        reply = by_subject[f"Re: {subject}"]
        assert reply.rcpt_tos == [UNIT_A_MAIL] and reply.message["Cc"] is None
        assert "不在贵单位登记的邮箱名单中，未抄送" in _body(reply.message)
    own = by_subject["Re: 本单位备用邮箱"]
    assert own.rcpt_tos == [UNIT_A_MAIL, "backup-hsb@unit.example.cn"]
    with _db(config) as con:
        forged_rows = con.execute("select status, reason from messages where subject like '伪造%'").fetchall()
        units = {r[0] for r in con.execute("select unit from submissions")}
    assert {r["status"] for r in forged_rows} == {"quarantined"}
    assert all("mail-sender-unverified" in r["reason"] for r in forged_rows)
    assert units == {UNIT_A}  # forged mail never became a submission


def test_code_policy_answers_the_roster_never_the_sender(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          sender_check="code")
    mailbox.deliver(unit_message(STRANGER, f"海口 自评表 提交码{CODE_B}", [good_workbook()], auth=None))
    mailbox.deliver(unit_message(UNIT_B_MAIL, "没写提交码", [good_workbook()], auth=None))
    mailbox.deliver(unit_message(STRANGER, "瞎猜 HK000000", [good_workbook()], auth=None))
    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    _envelope_ok(smtp_server)
    assert smtp_server.to(STRANGER) == []
    replies = {c.message["Subject"]: c for c in smtp_server.to(UNIT_B_MAIL)}
    assert "总分100.00分" in _body(replies[f"Re: 海口 自评表 提交码{CODE_B}"].message)
    refused = replies["Re: 绩效自评工作簿"]
    assert list(refused.message.iter_attachments()) == [] and "未能确认发件人" in _body(refused.message)
    assert len(smtp_server.messages) == 2


def test_code_in_the_workbook(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          sender_check="code")
    name, data = good_workbook()
    wb = openpyxl.load_workbook(io.BytesIO(data))
    wb["基本信息"]["C20"], wb["基本信息"]["D20"] = "提交码", CODE_B
    buf = io.BytesIO()
    wb.save(buf)
    mailbox.deliver(unit_message(UNIT_B_MAIL, "工作簿里有提交码", [(name, buf.getvalue())], auth=None))
    assert run_cli(config).returncode == 0
    replies = smtp_server.to(UNIT_B_MAIL)
    assert len(replies) == 1 and "总分" in _body(replies[0].message)


def test_seen_duplicate_id_crlf_subject_and_auto_responders(mail_env):
    config, mailbox, smtp = mail_env
    seen = unit_message(UNIT_A_MAIL, "已被人打开过")
    mailbox.deliver(seen)
    with mailbox.server.box(mailbox.folder) as box:  # a person opened it in their mail client
        box.flag(box.uids("ALL"), [r"\Seen"], True)
    stolen_id = "<shared id@unit.example.cn>"  # with a space: never cut
    mailbox.deliver(unit_message(STRANGER, "抢先的陌生人", message_id=stolen_id, auth=None))
    mailbox.deliver(unit_message(UNIT_B_MAIL, "同一个Message-ID", message_id=stolen_id))
    import base64

    word = base64.b64encode("第一行\r\n伪造: 一行\r\nBcc: victim@evil.example.org".encode()).decode()
    crlf = bytes(unit_message(UNIT_C_MAIL, "placeholder")).replace(b"Subject: placeholder",
                                                                   f"Subject: =?utf-8?b?{word}?=".encode())
    mailbox.deliver(crlf)
    for subject in ("自动回复：外出", "Automatic reply: 不在办公室", "Out of Office: away", "休假中", "自动答复: 出差"):
        mailbox.deliver(unit_message(UNIT_A_MAIL, subject))

    for _ in range(3):  # three polls: the auto-responders are never answered
        result = run_cli(config)
        assert result.returncode == 0, result.stderr
    subjects = sorted(c.message["Subject"] for c in smtp.messages)
    assert len(subjects) == 3
    assert "Re: 已被人打开过" in subjects and "Re: 同一个Message-ID" in subjects
    crlf_reply = next(c for c in smtp.messages if c.rcpt_tos == [UNIT_C_MAIL])
    assert "\n" not in crlf_reply.message["Subject"] and "第一行" in crlf_reply.message["Subject"]
    assert crlf_reply.message["Bcc"] is None
    _envelope_ok(smtp)
    # Control characters never reach the log or `mail status` raw.
    assert "\n伪造: 一行" not in result.stderr
    from click.testing import CliRunner

    from xlreport.cli.main import main

    status = CliRunner().invoke(main, ["mail", "status", "--config", str(config)])
    assert status.exit_code == 0 and "自动回复" in status.output
    assert all(not line.startswith(("伪造", "Bcc")) for line in status.output.splitlines())


def test_replies_per_hour_are_capped(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="max_replies_per_hour = 2")
    for i in range(4):
        mailbox.deliver(unit_message(UNIT_C_MAIL, f"第{i}封"))
    assert run_cli(config).returncode == 0
    assert len(smtp_server.to(UNIT_C_MAIL)) == 2
    with _db(config) as con:
        reasons = [r[0] for r in con.execute("select reason from messages where status='quarantined'")]
    assert len(reasons) == 2 and all("mail-rate-limited" in r for r in reasons)


@pytest.fixture
def slow_smtp():
    """An SMTP server that takes longer than the client's timeout to answer the final dot."""
    import asyncio

    from aiosmtpd.controller import Controller
    from mail_fixtures import SmtpServer, _Handler, free_port

    port = free_port()
    server = SmtpServer("127.0.0.1", port)
    inner = _Handler(server)

    class Slow:
        async def handle_DATA(self, srv, session, envelope):
            result = await inner.handle_DATA(srv, session, envelope)
            await asyncio.sleep(1.2)
            return result

    controller = Controller(Slow(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.mark.slow
def test_uncertain_send_is_resent_at_most_once(tmp_path, mailbox, slow_smtp, roster):
    import time

    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config = write_config(tmp_path, mailbox.server, mailbox.folder, slow_smtp.port, roster=roster)
    config.write_text(config.read_text(encoding="utf-8").replace("timeout = 10", "timeout = 0.4"), encoding="utf-8")
    mailbox.deliver(unit_message(UNIT_C_MAIL, "慢服务器"))
    processor = Processor(load_config(config))
    for _ in range(3):  # three polls, each retrying: the old code sent 7 copies here
        processor.run(once=True)
    time.sleep(1.5)  # let the server finish the last DATA it was given
    assert 1 <= len(slow_smtp.to(UNIT_C_MAIL)) <= 2
    with _db(config) as con:
        state, uncertain = con.execute("select state, uncertain_resends from outbox").fetchone()
    assert state == "abandoned" and uncertain == 2


def test_raw_8bit_headers_and_names(mail_env):
    """Undecodable bytes in the subject and an attachment name: stored, logged and answered, never a crash."""
    config, mailbox, smtp = mail_env
    raw = bytes(unit_message(UNIT_C_MAIL, "PLACEHOLDER", [("NAME.xlsx", good_workbook()[1])]))
    raw = raw.replace(b"Subject: PLACEHOLDER", b"Subject: \xff\xfe\xb1\xa8\xcb\xcd \x1b[31m")
    raw = raw.replace(b'filename="NAME.xlsx"', b'filename="\xd7\xd4\xc6\xc0\xff.xlsx"')
    mailbox.deliver(raw)
    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    assert "Logging error" not in result.stderr and "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr
    (reply,) = smtp.to(UNIT_C_MAIL)
    assert "总分100.00分" in _body(reply.message)
