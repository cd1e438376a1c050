"""Exactly one reply per message, whatever happens: kill -9 at every step, crashes, duplicates.

The kill tests run ``xlreport mail run --once`` as a subprocess with XLREPORT_TEST_CRASH_AT=<point>,
which makes the process SIGKILL itself at that point, then run the processor again normally (in this
process where only the mailbox's state matters: no interpreter start-up per run) and count the
replies the SMTP server received.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys

import pytest
from mail_fixtures import (
    UNIT_A_MAIL,
    UNIT_C_MAIL,
    good_workbook,
    process_once,
    run_cli,
    unit_message,
    write_config,
)

# Where the process can die, in processing order, and how many replies the unit ends up with.
# 'before-dot' and 'after-send' are the two sides of the one window plain SMTP cannot close: the
# outbox row says 'sending' and nobody knows whether the server accepted the message.
RESEND = {"after-archive": 1, "after-claim": 1, "after-build": 1, "after-prepare": 1, "before-dot": 1,
          "after-send": 2, "after-record": 1}
SKIP = {"before-dot": 0, "after-send": 1}


def _kill_then_rerun(config, mailbox, smtp, point: str) -> list:
    msg = unit_message(UNIT_A_MAIL, f"自评表 {point}", [good_workbook()])
    mailbox.deliver(msg)
    crashed = run_cli(config, env={"XLREPORT_TEST_CRASH_AT": point})
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert process_once(config) == 0
    assert mailbox.unseen() == []
    return smtp.to(UNIT_A_MAIL)


@pytest.mark.parametrize("point", list(RESEND))
def test_kill_9_then_rerun(mail_env, point):
    config, mailbox, smtp = mail_env
    replies = _kill_then_rerun(config, mailbox, smtp, point)
    assert len(replies) == RESEND[point]
    assert len({r.message["Message-ID"] for r in replies}) == 1  # a duplicate is the identical message
    with sqlite3.connect(config.parent / "registry.db") as con:
        status, = con.execute("select status from messages").fetchone()
        state, uncertain = con.execute("select state, uncertain_resends from outbox").fetchone()
        n_subs, = con.execute("select count(*) from submissions").fetchone()
    assert (status, state, n_subs) == ("replied", "sent", 1)
    assert uncertain == (1 if point in ("before-dot", "after-send") else 0)
    if point in ("after-send", "after-record"):  # and a later run still sends nothing
        assert process_once(config) == 0
        assert len(smtp.to(UNIT_A_MAIL)) == RESEND[point]


@pytest.mark.parametrize("point", list(SKIP))
def test_kill_9_in_the_window_with_skip_policy(tmp_path, mailbox, smtp_server, roster, point):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy='on_uncertain = "skip"')
    replies = _kill_then_rerun(config, mailbox, smtp_server, point)
    assert len(replies) == SKIP[point]


def test_external_kill_9_while_paused(mail_env):
    """A real ``kill -9`` from outside, while the process holds a prepared reply."""
    config, mailbox, smtp = mail_env
    for i in range(3):
        mailbox.deliver(unit_message(UNIT_A_MAIL, f"第{i}封", [good_workbook()]))
    env = dict(os.environ, XLREPORT_TEST_PAUSE_AT="after-prepare")
    proc = subprocess.Popen([sys.executable, "-m", "xlreport.cli.main", "mail", "run", "--config", str(config), "--once"],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(config.parent))
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            if "XLREPORT-PAUSED after-prepare" in line:
                break
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stderr.close()  # type: ignore[union-attr]
    assert smtp.messages == []
    rerun = run_cli(config)  # the command itself recovers after a real kill -9
    assert rerun.returncode == 0, rerun.stderr
    assert process_once(config) == 0
    subjects = sorted(c.message["Subject"] for c in smtp.to(UNIT_A_MAIL))
    assert subjects == ["Re: 第0封", "Re: 第1封", "Re: 第2封"]


def test_processor_killed_repeatedly_is_not_the_messages_fault(tmp_path, mailbox, smtp_server, roster):
    """Three kills of the processor on the same message never turn a good workbook into a failure notice."""
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="max_attempts = 2")
    mailbox.deliver(unit_message(UNIT_C_MAIL, "进程多次被杀", [good_workbook()]))
    for point in ("after-claim", "after-claim", "after-build"):
        assert run_cli(config, env={"XLREPORT_TEST_CRASH_AT": point}).returncode == -signal.SIGKILL
    assert process_once(config) == 0
    replies = smtp_server.to(UNIT_C_MAIL)
    assert len(replies) == 1 and "总分100.00分" in replies[0].message.get_body(("plain",)).get_content()
    with sqlite3.connect(config.parent / "registry.db") as con:
        assert con.execute("select status, attempts from messages").fetchone() == ("replied", 0)


@pytest.mark.parametrize("action", ["crash", "hang"])
def test_worker_dying_or_hanging_counts_and_is_bounded(tmp_path, mailbox, smtp_server, roster, action, monkeypatch):
    """Only the message's own worker dying or timing out is an attempt; after max_attempts: a notice.

    The time limit is short (the mechanism, not the real 300 s), so the message queued behind has no
    workbook: its worker only parses the mail, well inside the limit even on a busy machine."""
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="max_attempts = 2\nbuild_timeout_seconds = 1.5")
    mailbox.deliver(unit_message(UNIT_C_MAIL, "子进程出事", [("炸弹.xlsx", good_workbook()[1])]))
    mailbox.deliver(unit_message(UNIT_A_MAIL, "排在后面"))
    monkeypatch.setenv("XLREPORT_TEST_WORKER", f"{action}:炸弹")
    assert process_once(config) == 0  # only a message failed: not an outage
    assert [c.message["Subject"] for c in smtp_server.to(UNIT_A_MAIL)] == ["Re: 排在后面"]
    notices = smtp_server.to(UNIT_C_MAIL)
    assert len(notices) == 1 and "人工处理" in notices[0].message.get_body(("plain",)).get_content()
    assert list(notices[0].message.iter_attachments()) == []
    with sqlite3.connect(config.parent / "registry.db") as con:
        row = con.execute("select status, attempts, reason from messages where sender=?", (UNIT_C_MAIL,)).fetchone()
    assert row[0] == "failed" and row[1] == 2 and "2次" in row[2]
    assert process_once(config) == 0 and len(smtp_server.messages) == 2


def test_build_exception_is_failed_with_reason_and_never_blocks(mail_env, monkeypatch):
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config_path, mailbox, smtp = mail_env
    mailbox.deliver(unit_message(UNIT_C_MAIL, "触发程序错误", [("炸弹.xlsx", b"PK")]))
    mailbox.deliver(unit_message(UNIT_A_MAIL, "正常", [good_workbook()]))
    monkeypatch.setenv("XLREPORT_TEST_WORKER", "raise:炸弹")
    processor = Processor(load_config(config_path))
    assert processor.run(once=True) == 0
    assert len(smtp.to(UNIT_A_MAIL)) == 1
    body = smtp.to(UNIT_C_MAIL)[0].message.get_body(("plain",)).get_content()
    assert "内部错误" in body and "人工处理" in body
    row = processor.registry.messages_with_status("failed")[0]
    assert "模拟的程序缺陷" in row["reason"]
    assert processor.run(once=True) == 0 and len(smtp.messages) == 2


def test_same_message_twice_and_without_message_id(mail_env):
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config_path, mailbox, smtp = mail_env
    processor = Processor(load_config(config_path))
    msg = unit_message(UNIT_C_MAIL, "重复投递")
    mailbox.deliver(msg)
    mailbox.deliver(msg)  # the same message delivered twice in one pass
    bare = unit_message(UNIT_C_MAIL, "没有Message-ID")
    del bare["Message-ID"]
    mailbox.deliver(bare)
    assert processor.run(once=True) == 0
    mailbox.deliver(bare)  # same bytes again: recognised by their hash
    assert processor.run(once=True) == 0
    assert sorted(c.message["Subject"] for c in smtp.messages) == ["Re: 没有Message-ID", "Re: 重复投递"]


def test_report_that_cannot_be_written_still_replies_with_the_score(mail_env, monkeypatch):
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config_path, mailbox, smtp = mail_env
    monkeypatch.setenv("XLREPORT_TEST_WORKER", "noreport:红寺堡")
    mailbox.deliver(unit_message(UNIT_A_MAIL, "报告失败", [good_workbook()]))
    processor = Processor(load_config(config_path))
    assert processor.run(once=True) == 0
    reply = smtp.to(UNIT_A_MAIL)[0].message
    body = reply.get_body(("plain",)).get_content()
    assert "总分100.00分" in body and "自评报告未能生成" in body
    assert [p.get_filename() for p in reply.iter_attachments()] == ["红寺堡区2022年城乡居民医保补助资金绩效自评.xlsx"]
    row = processor.registry.messages_with_status("replied")[0]
    assert "自评报告未生成" in row["reason"]


@pytest.mark.slow
def test_thirty_messages_under_six_random_kills(tmp_path, mailbox, smtp_server, roster):
    """The service is kill -9'ed six times at random moments: every message gets exactly one reply
    (two only where the registry itself records the uncertain SMTP window), never a failure notice."""
    import random
    import time

    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="poll_seconds = 0.2")
    units = [UNIT_A_MAIL, UNIT_C_MAIL, "hk@unit.example.cn"]
    subjects = [f"批量{i:02d}" for i in range(30)]
    for i, subject in enumerate(subjects):
        mailbox.deliver(unit_message(units[i % 3], subject, [good_workbook()] if i % 5 == 0 else []))
    rng = random.Random(13)
    for _ in range(6):  # each kill lands a random moment after 1-3 more replies: progress, not a clock
        target = min(len(smtp_server.messages) + rng.randint(1, 3), len(subjects))
        proc = subprocess.Popen([sys.executable, "-m", "xlreport.cli.main", "mail", "run", "--config", str(config)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(config.parent))
        deadline = time.monotonic() + 120  # a stuck service is found by the assertions below
        while len(smtp_server.messages) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.4))  # somewhere inside the next message (claim, build, send, record)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    result = run_cli(config, timeout=300)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(config.parent / "registry.db") as con:
        statuses = {row[0] for row in con.execute("select status from messages")}
        uncertain = {row[0]: row[1] for row in con.execute(
            "select m.subject, o.uncertain_resends from messages m join outbox o using (message_key)")}
    assert statuses == {"replied"}
    counts = {s: 0 for s in subjects}
    for captured in smtp_server.messages:
        body = captured.message.get_body(("plain",)).get_content()
        assert "人工处理" not in body and "内部错误" not in body
        counts[captured.message["Subject"].removeprefix("Re: ")] += 1
    for subject, n in counts.items():
        assert n == 1 or (n == 2 and uncertain[subject] == 1), (subject, n)
    print(f"replies: {sum(counts.values())} for 30 messages; uncertain windows hit: {sum(uncertain.values())}")
