"""Hygiene: private file modes, one output folder per attachment, the database down at start,
start-up warnings, `mail retry`, `mail purge`, the PostgreSQL password from the environment,
and older registries extended in place."""

from __future__ import annotations

import sqlite3
import stat

from click.testing import CliRunner
from mail_fixtures import (
    UNIT_A_MAIL,
    UNIT_C_MAIL,
    good_workbook,
    run_cli,
    unit_message,
    write_config,
)

from xlreport.cli.main import main


def _mail(*args: str):
    return CliRunner().invoke(main, ["mail", *args])


def test_private_modes_and_one_folder_per_attachment(mail_env):
    config, mailbox, smtp = mail_env
    _name, data = good_workbook()
    csv = "单位,项目\n红寺堡,医保\n".encode()
    mailbox.deliver(unit_message(UNIT_A_MAIL, "同名两个附件", [("a.xlsx", data), ("a.csv", csv)]))
    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    base = config.parent
    for path in [base / "registry.db", *(base / "archive").rglob("*"), *(base / "work").rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))  # nothing for the group or others
    folders = sorted(p.name for p in (base / "work").glob("*/*") if p.is_dir() and p.name != "模板")
    assert folders == ["01-a", "02-a"]
    assert (next((base / "work").glob("*/01-a/结果/a.xlsx"))).exists()
    body = smtp.to(UNIT_A_MAIL)[0].message.get_body(("plain",)).get_content()
    assert "a.xlsx" in body and "a.csv" in body


def test_database_down_at_start_is_exit_1_in_chinese(tmp_path, mailbox, smtp_server, roster):
    from mail_fixtures import free_port

    url = f"postgresql+psycopg://xlreport@127.0.0.1:{free_port()}/nowhere"
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster, url=url)
    result = run_cli(config)
    assert result.returncode == 1
    assert "无法连接登记簿数据库" in result.stderr and "Traceback" not in result.stderr
    status = _mail("status", "--config", str(config))
    assert status.exit_code == 1 and "无法连接登记簿数据库" in status.output


def test_start_warnings_for_from_only_and_unverified_tls(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          sender_check="from-only", extra_imap="tls_verify = false")
    result = run_cli(config)
    assert result.returncode == 0, result.stderr
    assert "from-only" in result.stderr and "发件人地址可以伪造" in result.stderr
    assert "tls_verify = false" in result.stderr


def test_auth_results_policy_needs_the_server_name(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster)
    text = config.read_text(encoding="utf-8")
    config.write_text("\n".join(li for li in text.splitlines() if not li.startswith("trusted_authserv_id")),
                      encoding="utf-8")
    result = run_cli(config)
    assert result.returncode == 2 and "trusted_authserv_id" in result.stderr


def test_retry_failed_then_purge(tmp_path, mailbox, smtp_server, roster):
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy="max_attempts = 1")
    mailbox.deliver(unit_message(UNIT_C_MAIL, "先失败后重试", [("炸弹.xlsx", good_workbook()[1])]))
    assert run_cli(config, env={"XLREPORT_TEST_WORKER": "crash:炸弹"}).returncode == 0
    (notice,) = smtp_server.to(UNIT_C_MAIL)
    assert "人工处理" in notice.message.get_body(("plain",)).get_content()
    status = _mail("status", "--config", str(config))
    assert "处理失败" in status.output and "sha256:" in status.output

    assert _mail("retry", "--config", str(config)).exit_code == 2  # nothing named
    assert _mail("retry", "--config", str(config), "sha256:nope").exit_code == 1
    retried = _mail("retry", "--config", str(config), "--all-failed")
    assert retried.exit_code == 0 and "已重新排队1封" in retried.output
    assert run_cli(config).returncode == 0
    first, second = smtp_server.to(UNIT_C_MAIL)
    assert "总分100.00分" in second.message.get_body(("plain",)).get_content()
    assert first.message["Message-ID"] != second.message["Message-ID"]
    assert run_cli(config).returncode == 0 and len(smtp_server.to(UNIT_C_MAIL)) == 2

    # Purge: files of old messages go, the registry (and so the summary) stays.
    from datetime import UTC, datetime, timedelta

    sixty_days_ago = (datetime.now(UTC) - timedelta(days=60)).replace(tzinfo=None).isoformat(" ")
    with sqlite3.connect(config.parent / "registry.db") as con:
        con.execute("update messages set done_at = ?", (sixty_days_ago,))
    assert _mail("purge", "--config", str(config), "--older-than", "90").output.startswith("已清理0封")
    purged = _mail("purge", "--config", str(config), "--older-than", "30")
    assert purged.exit_code == 0 and "已清理1封" in purged.output
    assert not [p for p in (config.parent / "archive").rglob("*.eml")]
    assert not [p for p in (config.parent / "work").rglob("*") if p.is_file()]
    out = tmp_path / "汇总.xlsx"
    assert CliRunner().invoke(main, ["summary", "--config", str(config), "-o", str(out)]).exit_code == 0


def test_postgres_password_from_the_environment(tmp_path, monkeypatch):
    from xlreport.central.mail.config import MailConfigError, load_config

    monkeypatch.setenv("XLREPORT_TEST_IMAP_PASSWORD", "x")
    path = tmp_path / "mail.toml"
    path.write_text('[imap]\nhost = "h"\nuser = "u"\npassword_env = "XLREPORT_TEST_IMAP_PASSWORD"\n'
                    '[smtp]\nhost = "s"\nfrom = "a@b.cn"\n'
                    '[store]\nurl = "postgresql+psycopg://xlreport@db.example.cn/xlreport"\n'
                    'password_env = "XLREPORT_TEST_PG_PASSWORD"\n[policy]\nsender_check = "from-only"\n',
                    encoding="utf-8")
    monkeypatch.delenv("XLREPORT_TEST_PG_PASSWORD", raising=False)
    try:
        load_config(path)
        raise AssertionError("a missing password variable must be a plain message")
    except MailConfigError as exc:
        assert "XLREPORT_TEST_PG_PASSWORD" in exc.message
    monkeypatch.setenv("XLREPORT_TEST_PG_PASSWORD", "p@ss:word/口令")
    url = load_config(path).store.url
    from sqlalchemy.engine import make_url

    assert make_url(url).password == "p@ss:word/口令" and "口令" not in path.read_text(encoding="utf-8")


def test_older_registry_is_extended_in_place(tmp_path):
    """A registry written before this version (no new columns, no imap_uids) keeps working."""
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as con:
        con.execute("""create table messages (id integer primary key, message_key varchar(255) not null unique,
            message_id text, sender varchar(320), unit text, subject text, raw_sha256 varchar(64),
            archive_path text, raw_size integer, status varchar(20) not null, attempts integer not null,
            lease_owner varchar(200), lease_expires datetime, reason text, received_at datetime not null,
            updated_at datetime not null, done_at datetime)""")
        con.execute("insert into messages (message_key, message_id, sender, status, attempts, received_at, updated_at)"
                    " values ('mid:old@x', '<old@x>', 'a@b.cn', 'replied', 1, '2024-01-01', '2024-01-01')")
    from xlreport.central.registry import Registry

    registry = Registry(f"sqlite:///{db}")
    row = registry.lookup("mid:old@x")
    assert row["status"] == "replied" and row["generation"] is None
    assert registry.replied_duplicate("sha256:new", "<old@x>", "a@b.cn") is not None
    registry.dispose()


def test_reply_that_cannot_be_built_becomes_a_plain_notice(mail_env, monkeypatch):
    """The results text raises (a bug): the unit still hears back, in plain text; listeners see submissions."""
    from xlreport.central.mail import processor as processor_module
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config, mailbox, smtp = mail_env
    mailbox.deliver(unit_message(UNIT_A_MAIL, "回复生成失败", [good_workbook()]))
    mailbox.deliver(unit_message(UNIT_C_MAIL, "正常回复", [good_workbook()]))

    def broken(unit, subject, *rest):
        if "失败" in subject:
            raise RuntimeError("模拟的回复缺陷")
        return real(unit, subject, *rest)

    real = processor_module.results_body
    monkeypatch.setattr(processor_module, "results_body", broken)
    processor = Processor(load_config(config))
    recorded: list = []
    processor.registry.add_submission_listener(recorded.extend)
    assert processor.run(once=True) == 0
    (notice,) = smtp.to(UNIT_A_MAIL)
    body = notice.message.get_body(("plain",)).get_content()
    assert "回复内容未能生成" in body and list(notice.message.iter_attachments()) == []
    assert "总分100.00分" in smtp.to(UNIT_C_MAIL)[0].message.get_body(("plain",)).get_content()
    assert [r["file_name"] for r in recorded] == ["红寺堡区2022年城乡居民医保补助资金绩效自评.xlsx"]
    assert processor.registry.messages_with_status("failed")[0]["subject"] == "回复生成失败"
