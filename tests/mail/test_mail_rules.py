"""The mail processor scores every workbook with the office's profile ([policy] rules), whatever the
workbook chose, and says so in the reply; its totals equal a batch run with the same profile.

Real servers: pymap (IMAP) and aiosmtpd (SMTP), through the CLI, as in test_mail_e2e.py.
"""

from __future__ import annotations

import io

import openpyxl
from mail_fixtures import (
    UNIT_A,
    UNIT_A_MAIL,
    UNIT_B_MAIL,
    run_cli,
    unit_message,
    write_config,
)
from rules_fixtures import OFFICE_NAME, unit_folder, write_office_profile

from xlreport.batch import build_all
from xlreport.central.mail.config import load_config
from xlreport.core import schema
from xlreport.core.rules import load_profile


def _attachments(msg):
    return {p.get_filename(): p.get_payload(decode=True) for p in msg.iter_attachments()}


def test_office_profile_in_mail_replies_matches_the_batch(tmp_path, mailbox, smtp_server, roster):
    write_office_profile(tmp_path)
    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          extra_policy='rules = "office.toml"')  # relative to mail.toml's folder
    assert load_config(config).policy.rules == str(tmp_path / "office.toml")
    profile = load_profile(str(tmp_path / "office.toml"))
    units = unit_folder(tmp_path / "各单位")

    # The central office's batch over the same files, with the same profile.
    rows = build_all(list(units.values()), output_dir=tmp_path / "批量", report=False, rules=profile, workers=1)
    batch = {row.path.name: row.total for row in rows}
    assert batch["低执行率单位.xlsx"] == "89.00"

    chosen = ["低执行率单位.xlsx", "超额单位.xlsx"]
    sample = next(name for name in units if name.startswith("红寺堡"))
    mailbox.deliver(unit_message(UNIT_A_MAIL, "报送绩效自评表", [(n, units[n].read_bytes()) for n in chosen]))
    mailbox.deliver(unit_message(UNIT_B_MAIL, "报送绩效自评表（红寺堡）", [(sample, units[sample].read_bytes())]))
    result = run_cli(config)
    assert result.returncode == 0, result.stderr

    reply = smtp_server.to(UNIT_A_MAIL)[0].message
    body = reply.get_body(("plain",)).get_content()
    assert UNIT_A in body
    for name in chosen:
        assert f"总分{batch[name]}分" in body, (name, body)
    assert f"本次按汇总单位指定的评分规则“{OFFICE_NAME}”评分" in body
    assert "按评分规则扣减：执行率76.20%，按评分规则总分不超过89分，扣减8.62分。" in body
    assert "按评分规则扣减：指标“培训次数”实际完成值为指标值的150.00%，按评分规则视为偏差，扣减2分，得18分。" in body
    files = _attachments(reply)
    scored = openpyxl.load_workbook(io.BytesIO(files["低执行率单位.xlsx"]))
    scores = {r[0]: r for r in scored[schema.SHEET_SCORES].iter_rows(values_only=True) if r and r[0]}
    assert scores["评分规则"][3] == OFFICE_NAME and scores["总分"][3] == 89
    assert "执行率76.20%，按评分规则总分不超过89分，扣减8.62分。" in scores["按评分规则扣减：执行率限制总分"][5]
    meta = {r[0]: r[1] for r in scored[schema.SHEET_META].iter_rows(values_only=True)}
    assert meta["rules_hash"] == profile.digest

    other = smtp_server.to(UNIT_B_MAIL)[0].message.get_body(("plain",)).get_content()
    assert f"总分{batch[sample]}分" in other and "评价等级“好”" in other


def test_a_bad_office_profile_stops_at_startup_with_a_plain_message(tmp_path):
    import pytest
    from mail_fixtures import ImapServer

    from xlreport.central.mail.config import MailConfigError

    config = write_config(tmp_path, ImapServer("127.0.0.1", 1), "INBOX", 2, roster=None,
                          extra_policy='rules = "没有这个文件.toml"')
    with pytest.raises(MailConfigError) as err:
        load_config(config)
    assert "[policy] rules" in err.value.message and "找不到评分规则" in err.value.message
