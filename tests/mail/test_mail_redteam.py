"""A second hostile mailbox (red team) against real pymap and aiosmtpd: MIME the stdlib-free worker
must split without crashing, From values that parsers read differently, and attacker text inside
our own server's Authentication-Results. Recipients are checked at the SMTP envelope."""

from __future__ import annotations

import sqlite3

from mail_fixtures import (
    AUTHSERV,
    CENTRE,
    UNIT_A_MAIL,
    UNIT_B_MAIL,
    UNIT_C_MAIL,
    good_workbook,
    run_cli,
    unit_message,
)


def _db(config):
    con = sqlite3.connect(config.parent / "registry.db")
    con.row_factory = sqlite3.Row
    return con


def _body(msg) -> str:
    return msg.get_body(("plain",)).get_content()


def _head(sender: str, subject: str, mid: str) -> str:
    domain = sender.rpartition("@")[2]
    return (f"Authentication-Results: {AUTHSERV}; dmarc=pass header.from={domain}\r\n"
            f"From: <{sender}>\r\nTo: {CENTRE}\r\nSubject: {subject}\r\nMessage-ID: <{mid}@unit.example.cn>\r\n"
            "MIME-Version: 1.0\r\n")


def test_multipart_without_any_delimiter_is_answered_not_failed(mail_env):
    """A forwarded message reusing the outer boundary leaves an inner multipart with no delimiter:
    the worker used to crash on it (three attempts, then a 处理失败 notice)."""
    config, mailbox, smtp = mail_env
    mailbox.deliver(unit_message(UNIT_A_MAIL, "好的一份", [good_workbook()]))
    inner = "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
    raw = (_head(UNIT_B_MAIL, "转发的邮件", "fwd1") + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
           "--b1\r\nContent-Type: text/plain\r\n\r\n见转发\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n"
           f"From: <x@unit.example.cn>\r\nSubject: inner\r\n{inner}--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n")
    mailbox.deliver(raw.encode())
    mailbox.deliver((_head(UNIT_B_MAIL, "空的多段", "empty1") + 'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n'
                     "no delimiter here\r\n").encode())
    mailbox.deliver(unit_message(UNIT_C_MAIL, "另一份", [good_workbook()]))
    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    with _db(config) as con:
        rows = {r["subject"]: r for r in con.execute("select subject, status, attempts, reason from messages")}
    for subject in ("转发的邮件", "空的多段"):
        assert rows[subject]["status"] == "replied" and not rows[subject]["attempts"], dict(rows[subject])
    replies = smtp.to(UNIT_B_MAIL)
    assert len(replies) == 2 and all("没有找到绩效自评工作簿" in _body(r.message) for r in replies)
    assert len(smtp.to(UNIT_A_MAIL)) == 1 and len(smtp.to(UNIT_C_MAIL)) == 1


def _forged(from_value: str, auth: str, subject: str, mid: str) -> bytes:
    return (f"Authentication-Results: {auth}\r\nFrom: {from_value}\r\nTo: {CENTRE}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{mid}@evil.example.org>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nhi\r\n").encode()


def test_attacker_text_inside_our_servers_results_is_not_a_pass(mail_env):
    """Our server quotes what the sender chose (HELO name, envelope sender) inside its own header; a
    ``;`` in such a quoted value used to start a forged ``dmarc=pass``. A DMARC pass that does not say
    which From domain it checked (``header.from``) cannot be matched to the From we read either."""
    config, mailbox, smtp = mail_env
    mailbox.deliver(unit_message(UNIT_A_MAIL, "好的一份", [good_workbook()]))
    helo = (f'{AUTHSERV}; spf=none smtp.helo="x;dmarc=pass header.from=unit.example.cn"; '
            "dmarc=fail header.from=unit.example.cn")
    mailbox.deliver(_forged(f"<{UNIT_B_MAIL}>", helo, "HELO里的分号", "helo1"))
    mailbox.deliver(_forged(f"<{UNIT_B_MAIL}>", f'{AUTHSERV}; dmarc=fail (dmarc=pass; ok) header.from=unit.example.cn',
                            "注释里的通过", "comment1"))
    # Parsers disagree on this From; a DMARC pass without header.from may be for evil.example.org.
    mailbox.deliver(_forged(f"<{UNIT_B_MAIL}>attacker@evil.example.org", f"{AUTHSERV}; dmarc=pass (p=none)",
                            "含糊的发件人", "ambig1"))
    mailbox.deliver(unit_message(UNIT_C_MAIL, "另一份", [good_workbook()]))
    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    for captured in smtp.messages:
        assert captured.rcpt_tos in ([UNIT_A_MAIL], [UNIT_B_MAIL], [UNIT_C_MAIL]), captured.rcpt_tos
    for reply in smtp.to(UNIT_B_MAIL):  # at most the data-free "could not verify" notice
        assert "未能确认发件人" in _body(reply.message) and "总分" not in _body(reply.message)
    with _db(config) as con:
        rows = {r["subject"]: r["status"] for r in con.execute("select subject, status from messages")}
        units = {r[0] for r in con.execute("select unit from submissions")}
    assert rows["HELO里的分号"] == rows["注释里的通过"] == rows["含糊的发件人"] == "quarantined"
    assert len(smtp.to(UNIT_A_MAIL)) == 1 and len(smtp.to(UNIT_C_MAIL)) == 1
    assert "海口市医疗保障局" not in units


def test_a_from_that_parsers_read_differently_has_no_sender():
    from xlreport.central.mail.headers import read_headers

    def sender(value: str, extra: str = "") -> str:
        return read_headers(f"From: {value}\r\n{extra}Subject: s\r\n\r\n".encode()).sender

    for value in (f"{UNIT_A_MAIL} <evil@evil.example.org>", f"<{UNIT_A_MAIL}>evil@evil.example.org",
                  f'{UNIT_A_MAIL}"<evil@evil.example.org>', f"evil@evil.example.org]<{UNIT_A_MAIL}>",
                  f"{UNIT_A_MAIL};evil@evil.example.org"):
        assert sender(value) == "", value
        assert sender(value, "Content-Type: multipart/mixed; bou*\r\n") == "", value  # the fallback parser too
    assert sender(f'"{UNIT_A_MAIL}" <evil@evil.example.org>') == "evil@evil.example.org"  # display-name spoof
    # An encoded word is display text only (RFC 2047 §5): it never becomes the address.
    assert sender("=?utf-8?b?PGhzYkB1bml0LmV4YW1wbGUuY24+?=") == ""  # "<hsb@unit.example.cn>"
    for value in (f"{UNIT_A_MAIL.upper()}", f"{UNIT_A_MAIL} <{UNIT_A_MAIL}>", f"Zhang S. <{UNIT_A_MAIL}>",
                  f"=?utf-8?b?5aGr5oql5Lq6?= <{UNIT_A_MAIL}>"):
        assert sender(value) == UNIT_A_MAIL, value
    assert read_headers(f"From: 填报人 <{UNIT_A_MAIL}>\r\n\r\n".encode()).sender == UNIT_A_MAIL  # raw 8-bit name
    # A 200 KB malformed From is judged in linear time (a searching regex here took minutes).
    assert sender("<" + "a" * 200_000) == "" and sender(f"{UNIT_A_MAIL} <" + "a@" * 100_000) == ""


def test_odd_keys_and_days_are_plain_refusals(mail_env):
    from click.testing import CliRunner

    from xlreport.cli.main import main

    config, _mailbox, _smtp = mail_env
    for days in ("nan", "inf", "1e308", "-1"):
        result = CliRunner().invoke(main, ["mail", "purge", "--config", str(config), "--older-than", days])
        assert result.exit_code == 2 and "程序内部错误" not in result.output, (days, result.output)
        result = CliRunner().invoke(main, ["mail", "purge", "--config", str(config), "--older-than", "1",
                                           "--quarantined-older-than", days])
        assert result.exit_code == 2 and "程序内部错误" not in result.output, (days, result.output)
    result = CliRunner().invoke(main, ["mail", "retry", "--config", str(config), "sha256:../x\r伪造 一行\u202e", "\b"])
    assert result.exit_code == 1
    assert not any(c in result.output for c in "\r\b\u202e") and "\\r" in result.output


def test_bounces_without_report_or_robot_sender_are_not_answered():
    """A bounce claiming a roster From, plain text, no Auto-Submitted: the null Return-Path or the
    usual bounce subjects still mark it, so no reply loop starts."""
    from xlreport.central.mail.headers import read_headers

    def reason(extra: str, subject: str = "绩效自评") -> str | None:
        return read_headers(f"{extra}From: <{UNIT_A_MAIL}>\r\nSubject: {subject}\r\n\r\n".encode()).auto_reason

    assert reason("Return-Path: <>\r\n") and reason("X-Failed-Recipients: a@b.cn\r\n")
    for subject in ("Undeliverable: Re: 绩效自评", "Undelivered Mail Returned to Sender", "系统退信：绩效自评",
                    "Delivery Status Notification (Failure)", "Mail delivery failed: returning message to sender"):
        assert reason("", subject), subject
    assert reason(f"Return-Path: <{UNIT_A_MAIL}>\r\n") is None and reason("", "退休人员医保绩效自评") is None


def test_code_guessing_is_capped_per_sender(tmp_path, mailbox, smtp_server, roster):
    """Code policy: a stranger's mail without a valid 提交码 in the subject is built to look for one in
    the workbook. Guess after guess used to cost a full build each, without limit; past the hourly
    cap the guesser's mail is quarantined unbuilt."""
    from mail_fixtures import STRANGER, write_config

    from xlreport.central.mail import archive

    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          sender_check="code", extra_policy="max_replies_per_hour = 2")
    for guess in ("HK000001", "HK000002", "HK000003", "HK000004"):
        mailbox.deliver(unit_message(STRANGER, f"提交码 {guess}", auth=None))
    assert run_cli(config).returncode == 0
    with _db(config) as con:
        rows = con.execute("select message_key, status, reason from messages").fetchall()
    capped = [r for r in rows if "一小时内已有2封没有有效提交码" in r["reason"]]
    assert len(rows) == 4 and {r["status"] for r in rows} == {"quarantined"} and len(capped) == 2
    for r in rows:  # the capped ones were never handed to a worker
        built = (config.parent / "work" / archive.sha256(r["message_key"].encode())[:20]).exists()
        assert built == (r not in capped)
    assert smtp_server.messages == []


def test_worker_reads_part_headers_without_the_slow_structured_parser(monkeypatch):
    """The modern parser takes ~10 s on a crafted 50 KB Content-Type; 200 such parts held the worker
    (and the processor waiting for it) to its timeout three times. Part headers are read as plain
    strings; file names (raw UTF-8, RFC 2047, RFC 2231) still come out right."""
    import base64
    from email import headerregistry

    from xlreport.central.mail.worker import extract

    calls = []
    real = headerregistry.ContentTypeHeader.value_parser
    monkeypatch.setattr(headerregistry.ContentTypeHeader, "value_parser",
                        staticmethod(lambda value: calls.append(value) or real(value)))
    word = base64.b64encode("绩效自评表".encode("gb2312")).decode()
    names = (f'filename="=?GB2312?B?{word}?=.xlsx"', 'filename="长名字.xlsx"',
             "filename*=utf-8''%E8%87%AA%E8%AF%84.xlsx")
    parts = "".join(f"--b\r\nContent-Type: application/vnd.ms-excel; {'a=b; ' * 2000}x=y\r\n"
                    f"Content-Disposition: attachment; {n}\r\n\r\nx\r\n" for n in names)
    raw = f'From: <{UNIT_A_MAIL}>\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n{parts}--b--\r\n'.encode()
    files, _ = extract(raw, 1024 * 1024)
    assert [f["name"] for f in files] == ["绩效自评表.xlsx", "长名字.xlsx", "自评.xlsx"] and calls == []
