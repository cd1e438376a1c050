"""The portal's pieces without a server: store, status rules, analytics, charts, config, names, passwords."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from portal_fixtures import fresh_pg_database

from xlreport.central.portal import analytics as an
from xlreport.central.portal.auth import (
    hash_password,
    password_problem,
    verify_password,
)
from xlreport.central.portal.charts import hbar, heatmap
from xlreport.central.portal.config import PortalConfigError, load_portal_config
from xlreport.central.portal.mailsync import mail_row, pending_mail_rows
from xlreport.central.portal.store import (
    Channel,
    Outcome,
    Review,
    Role,
    Store,
    UnitStatus,
    unit_status,
    utcnow,
)
from xlreport.central.portal.views_unit import safe_file_name


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'r.db'}")
    else:
        with fresh_pg_database() as url:
            s = Store(url)
            yield s
            s.dispose()
        return
    yield s
    s.dispose()


def _sub(unit: str, outcome: Outcome = Outcome.SCORED, **extra) -> dict:
    return {"unit": unit, "channel": Channel.WEB.value, "file_name": f"{unit}.xlsx", "outcome": outcome.value,
            "submitted_at": utcnow(), "review": Review.PENDING.value, "total": Decimal("91.50"), "grade": "优",
            "department": "卫生健康局", **extra}


DETAILS = {
    "problems": [{"level": "警告", "code": "snippet-empty", "title": "文字材料未填写", "sheet": "文字材料", "cell": "C2",
                  "message": "文字材料“单位概况”为空"}],
    "indicators": [{"level1": "产出指标", "level2": "数量指标", "name": "培训人数", "weight": Decimal(10),
                    "score": Decimal(8), "status": "missed"}],
    "groups": [{"name": "产出指标", "weight": Decimal(50), "score": Decimal(45)},
               {"name": "效益指标", "weight": Decimal(40), "score": Decimal(40)}],
}


def test_status_follows_the_latest_submission_and_review(store):
    assert unit_status(None) is UnitStatus.NOT_SUBMITTED
    a = store.record(_sub("甲"), DETAILS)
    assert unit_status(store.submission(a)) is UnitStatus.PENDING
    store.review(a, Review.RETURNED, "请补充偏差说明", "admin")
    assert unit_status(store.submission(a)) is UnitStatus.RETURNED
    b = store.record(_sub("甲", Outcome.ERRORS, total=None), None)
    assert unit_status(store.submission(b)) is UnitStatus.HAS_ERRORS
    c = store.record(_sub("甲"), None)
    store.review(c, Review.APPROVED, "", "admin")
    rows = {r.unit: r for r in store.status_rows(["甲", "乙"])}
    assert rows["甲"].status is UnitStatus.APPROVED and rows["甲"].n_submissions == 3
    assert rows["乙"].status is UnitStatus.NOT_SUBMITTED and rows["乙"].latest is None
    assert [r["decision"] for r in store.reviews_of_unit("甲")] == ["approved", "returned"]


def test_mail_submission_is_recorded_once(store):
    row = _sub("甲", mail_submission_id=41)
    row["channel"] = Channel.MAIL.value
    assert store.record(row, DETAILS) is not None
    assert store.record(dict(row), DETAILS) is None  # a second worker importing the same row
    assert len(store.submissions_of("甲")) == 1 and len(store.problems_of(store.submissions_of("甲")[0]["id"])) == 1


def test_mail_rows_are_read_from_the_registry(tmp_path):
    from sqlalchemy import insert

    from xlreport.central.registry import Registry, submissions

    url = f"sqlite:///{tmp_path / 'r.db'}"
    registry = Registry(url)
    with registry.engine.begin() as conn:
        conn.execute(insert(submissions).values(message_key="k", seq=1, file_name="a.xlsx", unit="甲", status="有错误",
                                                total=None, n_errors=2, submitted_at=utcnow()))
    registry.dispose()
    store = Store(url)
    pending = pending_mail_rows(store)
    assert len(pending) == 1
    row = mail_row(pending[0], None)
    assert row["outcome"] == Outcome.ERRORS.value and row["channel"] == "mail" and row["n_errors"] == 2
    store.record(row, None)
    assert pending_mail_rows(store) == []
    store.dispose()


def test_reminders_are_rate_limited_per_unit(store):
    first = store.claim_reminder("甲", "admin", timedelta(hours=12))
    assert first is not None
    assert store.claim_reminder("甲", "admin", timedelta(hours=12)) is None  # being sent
    store.finish_reminder(first, ["a@x.cn"], None)
    assert store.claim_reminder("甲", "admin", timedelta(hours=12)) is None
    assert store.claim_reminder("甲", "admin", timedelta(seconds=0)) is not None
    failed = store.claim_reminder("乙", "admin", timedelta(hours=12))
    store.finish_reminder(failed, [], "发送失败")
    assert store.claim_reminder("乙", "admin", timedelta(hours=12)) is not None  # a failure may be retried


def test_invite_is_used_once_and_ends_old_sessions(store):
    store.ensure_account("甲", Role.UNIT, "甲")
    acct = store.account_by_name("甲")
    store.add_invite(acct["id"], "h" * 64, 14, "admin")
    invite = store.open_invite("h" * 64)
    assert store.use_invite(invite["id"], acct["id"], hash_password("new-password"))
    assert not store.use_invite(invite["id"], acct["id"], hash_password("other"))
    assert store.open_invite("h" * 64) is None
    assert store.account(acct["id"])["session_epoch"] == acct["session_epoch"] + 1


def test_login_failures_are_counted(store):
    for _ in range(3):
        store.note_login("甲", "10.0.0.1", False)
    store.note_login("甲", "10.0.0.1", True)
    assert store.recent_failures("甲", "10.0.0.1", 15) == (3, 3)
    assert store.recent_failures("乙", "10.0.0.2", 15) == (0, 0)


def test_passwords():
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "correct horse")[0]
    assert not verify_password(hashed, "wrong")[0]
    assert not verify_password(None, "anything")[0]
    assert password_problem("abc", "abd") == "两次输入的密码不一致。"
    assert "8" in password_problem("short", "short")
    assert password_problem("long enough", "long enough") is None


def test_analytics_and_summary_sheets(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    store.record(_sub("甲"), DETAILS)
    store.record(_sub("乙", total=Decimal("80.00"), grade="良", department="教育局"), {
        "problems": DETAILS["problems"] + [{"level": "错误", "code": "weight-total", "title": "分值合计不等于100",
                                            "sheet": "绩效指标", "cell": "D4", "message": "x"}],
        "groups": [{"name": "产出指标", "weight": Decimal(50), "score": Decimal(35)}]})
    f = an.load_frames(store, ["甲", "乙", "丙"])
    m = an.problem_matrix(f)
    assert m.loc["乙", "weight-total"] == 1 and m.loc["甲", "snippet-empty"] == 1
    top = an.top_problems(f)
    assert top.iloc[0]["code"] == "snippet-empty" and top.iloc[0]["units"] == 2
    rates = an.group_rates(f).set_index("name")
    assert rates.loc["产出指标", "rate"] == pytest.approx(80.0)  # (45 + 35) / (50 + 50)
    assert dict(zip(an.grade_distribution(f)["grade"], an.grade_distribution(f)["units"])) == {"优": 1, "良": 1}
    lost = an.lost_points(f)
    assert list(lost["name"]) == ["培训人数"] and float(lost.iloc[0]["lost"]) == 2.0
    dept = an.by_department(f, ["甲", "乙", "丙"]).set_index("department")
    assert dept.loc["教育局", "mean_total"] == pytest.approx(80.0)
    from xlreport.central.summary import write_summary

    path = write_summary([], tmp_path / "汇总.xlsx")
    an.add_sheets(path, f, ["甲", "乙", "丙"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[-6:] == ["问题分布", "常见问题", "一级指标得分率", "失分指标", "等级分布", "按主管部门"]
    assert [c.value for c in wb["失分指标"][2]] == ["产出指标", "培训人数", 1, 2, 80]
    assert [c.value for c in wb["一级指标得分率"][2]] == ["产出指标", 2, 100, 80, 80]
    store.dispose()


def test_charts_escape_labels():
    svg = hbar(["<script>alert(1)</script>"], [50], max_value=100)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    svg = heatmap(["单位&1"], ["代码\"x"], [[2]])
    assert "单位&amp;1" in svg and "&quot;" in svg
    assert "暂无数据" in hbar([], [])


@pytest.mark.parametrize("raw, expected", [
    ("C:\\Users\\张三\\桌面\\自评表.xlsx", "自评表.xlsx"),
    ("../../etc/passwd", "passwd"),
    ("a\x00b\r\n.xlsx", "ab.xlsx"),
    ("报表<1>?.xlsx", "报表_1__.xlsx"),
    ("...", "工作簿.xlsx"),
    ("长" * 300 + ".xlsx", "长" * 115 + ".xlsx"),
])
def test_safe_file_name(raw, expected):
    assert safe_file_name(raw) == expected


def test_config_errors_are_chinese(tmp_path: Path, monkeypatch):
    path = tmp_path / "central.toml"
    path.write_text("[portal]\nprot = 1\n", encoding="utf-8")
    with pytest.raises(PortalConfigError) as exc:
        load_portal_config(path)
    assert "无法识别的设置：prot" in exc.value.message
    path.write_text("[portal]\nport = \"x\"\n", encoding="utf-8")
    with pytest.raises(PortalConfigError, match="应为整数"):
        load_portal_config(path)
    path.write_text('[portal]\nroster = "名单.xlsx"\n[store]\nurl = "sqlite:///r.db"\n', encoding="utf-8")
    config = load_portal_config(path)
    assert config.host == "127.0.0.1" and config.roster == tmp_path / "名单.xlsx"
    assert config.url == f"sqlite:///{(tmp_path / 'r.db').resolve()}"
    path.write_text('[store]\nurl = "postgresql+psycopg://portal@db.example.cn/xlreport"\n'
                    'password_env = "XLREPORT_TEST_DB_PASSWORD"\n', encoding="utf-8")
    with pytest.raises(PortalConfigError, match="XLREPORT_TEST_DB_PASSWORD 未设置"):
        load_portal_config(path)
    monkeypatch.setenv("XLREPORT_TEST_DB_PASSWORD", "s3cret/with@signs")
    assert load_portal_config(path).url == "postgresql+psycopg://portal:s3cret%2Fwith%40signs@db.example.cn/xlreport"
    with pytest.raises(PortalConfigError, match="找不到平台配置文件"):
        load_portal_config(tmp_path / "none.toml")


def test_serve_is_not_imported_by_the_build_path():
    import subprocess
    import sys

    code = ("import sys; from xlreport.cli.main import main; import xlreport.pipeline; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('starlette', 'uvicorn', 'pandas', 'argon2') or m.startswith('xlreport.central.portal')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_two_workers_import_the_same_mail_rows_once(store):
    """Portal workers importing at the same moment: each registry row lands exactly once."""
    import threading

    rows = [{"id": i, "unit": "甲", "file_name": f"{i}.xlsx", "status": "已通过", "submitted_at": utcnow()}
            for i in range(1, 31)]
    added: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(3)

    def worker() -> None:
        barrier.wait()
        for r in rows:
            if store.record(mail_row(r, None), None) is not None:
                with lock:
                    added.append(r["id"])

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(added) == list(range(1, 31))
    assert len(store.submissions_of("甲")) == 30


def test_invite_command(tmp_path: Path):
    from click.testing import CliRunner
    from portal_fixtures import write_roster

    from xlreport.cli.main import main

    write_roster(tmp_path / "名单.xlsx", ["甲局", "乙局"])
    config = tmp_path / "central.toml"
    config.write_text('[portal]\nroster = "名单.xlsx"\nbase_url = "https://jx.example.cn/"\n'
                      '[store]\nurl = "sqlite:///r.db"\n', encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["portal", "invite", "--config", str(config), "--all", "--office", "admin"])
    assert result.exit_code == 0, result.output
    links = re.findall(r"^(\S+)\thttps://jx\.example\.cn/invite/(\S+)$", result.output, re.MULTILINE)
    assert [name for name, _ in links] == ["admin", "甲局", "乙局"]
    store = Store(f"sqlite:///{tmp_path / 'r.db'}")
    from xlreport.central.portal.auth import token_hash

    for name, token in links:
        invite = store.open_invite(token_hash(token))
        assert invite is not None and store.account(invite["account_id"])["username"] == name
    assert store.account_by_name("admin")["role"] == "office"
    assert [a["action"] for a in store.audit_log()] == ["invite"] * 3
    store.dispose()
    result = runner.invoke(main, ["portal", "invite", "--config", str(config), "丙局"])
    assert result.exit_code == 2 and "单位名单中没有“丙局”" in result.output


def test_send_many_uses_one_connection_and_survives_a_refusal(tmp_path):
    """催报 to many units: one SMTP session; a refused message does not stop the others; a dead server is
    reported for every unit without waiting on it each time."""
    from aiosmtpd.controller import Controller
    from portal_fixtures import free_port

    from xlreport.central.config import SmtpConfig
    from xlreport.central.portal.config import PortalConfig
    from xlreport.central.portal.notify import Mailer, MailError, Notice

    class Handler:
        def __init__(self) -> None:
            self.connections = 0
            self.accepted: list[list[str]] = []

        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            self.connections += 1
            session.host_name = hostname
            return responses

        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("refused"):
                return "550 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.accepted.append(list(envelope.rcpt_tos))
            return "250 OK"

    handler = Handler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        config = PortalConfig(path=None, url="sqlite://", data_dir=tmp_path, roster=None,
                              smtp=SmtpConfig(host="127.0.0.1", port=port, ssl=False, from_="c@office.example.cn"))
        items = [(["a@u.cn"], Notice("s", "b")), (["c@u.cn"], Notice("s", "b")), (["refused@u.cn"], Notice("s", "b")),
                 ([], Notice("s", "b")), (["b@u.cn", "b2@u.cn"], Notice("s", "b"))]
        results = Mailer(config).send_many(items)
    finally:
        controller.stop()
    assert results[0] == "已发送至a@u.cn" and results[4] == "已发送至b@u.cn、b2@u.cn"
    assert isinstance(results[2], MailError) and isinstance(results[3], MailError)
    assert handler.accepted == [["a@u.cn"], ["c@u.cn"], ["b@u.cn", "b2@u.cn"]]
    assert handler.connections == 2  # one for a, c and the refused one; a fresh one after the refusal
    dead = PortalConfig(path=None, url="sqlite://", data_dir=tmp_path, roster=None,
                        smtp=SmtpConfig(host="127.0.0.1", port=free_port(), ssl=False, from_="c@office.example.cn",
                                          timeout=5))
    results = Mailer(dead).send_many([(["a@u.cn"], Notice("s", "b"))] * 3)
    assert all(isinstance(r, MailError) and "无法连接发信服务器" in str(r) for r in results)
