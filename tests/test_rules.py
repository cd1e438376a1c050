"""Rules profiles: loading and validation, choosing one, every rule at its boundaries, and the
places an applied rule must show (评分说明, 评分结果, _meta, the report, the CLI)."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from factory import fill, make_workbook, simple_indicators
from report_fixtures import budget, indicator

from xlreport.adapters.template import build_template
from xlreport.cli.main import main
from xlreport.core import schema
from xlreport.core.adjustments import AdjustmentKind, is_deviated
from xlreport.core.model import BasicInfo, BudgetInput, WorkbookInput
from xlreport.core.catalogue import CATALOGUE, Family
from xlreport.core.rules import (
    RulesError,
    builtin_names,
    builtin_profiles,
    default_profile,
    find_builtin,
    load_profile,
    parse_profile,
)
from xlreport.core.scoring import evaluate
from xlreport.pipeline import build_file
from xlreport.wording import wording

NATIONAL = builtin_profiles()["national"]
YITIHUA = builtin_profiles()["yitihua"]
PROFILES = Path(__file__).parents[1] / "src" / "xlreport" / "core" / "profiles"


def national_text() -> str:
    return (PROFILES / "national.toml").read_text(encoding="utf-8")


# Loading ----------------------------------------------------------------------------------
def test_builtins_by_id_and_name():
    assert list(builtin_profiles()) == ["national", "yitihua"]
    assert builtin_names() == ("国家标准", "一体化")
    assert default_profile() is NATIONAL
    assert find_builtin("一体化") is YITIHUA and find_builtin(" YiTiHua ") is YITIHUA
    assert load_profile("national") is NATIONAL and load_profile("国家标准") is NATIONAL
    assert NATIONAL.caps == () and NATIONAL.deviation is None
    assert [(b.rate_below, b.max_total) for b in YITIHUA.caps] == [
        (Decimal(80), Decimal(89)), (Decimal(70), Decimal(79)), (Decimal(60), Decimal(69)), (Decimal(50), Decimal(59))]
    assert (YITIHUA.deviation.high, YITIHUA.deviation.low, YITIHUA.deviation.points) == (
        Decimal("1.3"), None, Decimal(2))


def test_the_hash_pins_parameters_not_comments(tmp_path):
    text = national_text()
    stripped = "\n".join(line.split("#")[0].rstrip() for line in text.splitlines())
    assert parse_profile(stripped, "x").digest == NATIONAL.digest
    changed = text.replace('"部分达成" = 70', '"部分达成" = 60').replace('"部分达成" = [60, 80]', '"部分达成" = [50, 80]')
    assert parse_profile(changed, "x").digest != NATIONAL.digest
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    loaded = load_profile(str(path))
    assert loaded.digest == NATIONAL.digest and not loaded.builtin and loaded.source == text


BAD_PROFILES = [
    ("rules-syntax", lambda t: t.replace("[budget]", "[budget")),
    ("rules-unknown-key", lambda t: t.replace("points = 10", "point = 10")),
    ("rules-unknown-key", lambda t: t + "\n[extra]\na = 1\n"),
    ("rules-missing-key", lambda t: t[:t.index("[grades]")]),
    ("rules-missing-key", lambda t: t.replace('method = "比例"                       # 数值', '# 数值')),
    ("rules-value-invalid", lambda t: t.replace('"达成" = 100,', '"达成" = 120,')),
    ("rules-value-invalid", lambda t: t.replace('"部分达成" = [60, 80]', '"部分达成" = [80, 60]')),
    ("rules-value-invalid", lambda t: t.replace('"部分达成" = [60, 80]', '"部分达成" = [75, 80]')),
    ("rules-value-invalid", lambda t: t.replace('default_handling = "满分"', 'default_handling = "全分"')),
    ("rules-value-invalid", lambda t: t.replace('id = "national"', 'id = "国家"')),
    ("rules-value-invalid", lambda t: t.replace("high = 120", "high = 100")),
    ("rules-value-invalid", lambda t: t.replace("low = 80", "low = 100")),
    ("rules-value-invalid", lambda t: t.replace("points = 10", "points = true")),
    ("rules-value-invalid", lambda t: t.replace("threshold = 90", 'threshold = "九十"')),
    ("rules-value-invalid", lambda t: t.replace('bands = "90:优,80:良,60:中,0:差"', 'bands = "优秀"')),
    ("rules-value-invalid", lambda t: t + "\n[cap]\nbands = [{ rate_below = 80, max_total = 89 },"
                                          " { rate_below = 80, max_total = 79 }]\n"),
    ("rules-value-invalid", lambda t: t + "\n[cap]\nbands = [{ below = 80, max_total = 89 }]\n"),
    ("rules-value-invalid", lambda t: t + "\n[deviation]\nhigh = 130\npoints = 0\n"),
    ("rules-missing-key", lambda t: t + "\n[deviation]\nhigh = 130\n"),
]


@pytest.mark.parametrize(("code", "edit"), BAD_PROFILES)
def test_a_bad_profile_gets_a_stable_code_and_a_chinese_message(tmp_path, code, edit):
    path = tmp_path / "本地规则.toml"
    path.write_text(edit(national_text()), encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_profile(str(path))
    assert err.value.code == code and CATALOGUE[code].family is Family.RULES
    assert str(path) in err.value.message and "Traceback" not in err.value.message
    assert err.value.exit_code == 2


def test_missing_unreadable_and_oversized_files(tmp_path):
    with pytest.raises(RulesError) as err:
        load_profile(str(tmp_path / "无此文件.toml"))
    assert err.value.code == "rules-not-found" and "national（国家标准）" in err.value.message
    bad = tmp_path / "gbk.toml"
    bad.write_bytes("[profile]\nname = \"某省规则\"\n".encode("gbk"))
    with pytest.raises(RulesError) as err:
        load_profile(str(bad))
    assert err.value.code == "rules-unreadable"
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 70000, encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load_profile(str(big))
    assert err.value.code == "rules-unreadable"


# Rule boundaries --------------------------------------------------------------------------
@pytest.mark.parametrize(("rate", "cap"), [
    ("100", None), ("80", None), ("79.99", 89), ("76.20", 89), ("70", 89), ("69.99", 79), ("60", 79),
    ("59.99", 69), ("50", 69), ("49.99", 59), ("0", 59)])
def test_cap_bands_are_strictly_below_their_bound(rate, cap):
    band = YITIHUA.cap_for(Decimal(rate))
    assert (band.max_total if band else None) == (Decimal(cap) if cap is not None else None)
    assert NATIONAL.cap_for(Decimal(rate)) is None


WITH_LOW = parse_profile(YITIHUA.source.replace("high = 130", "high = 130\nlow = 70"), "本地规则")


@pytest.mark.parametrize(("ratio", "lower", "deviated", "with_low"), [
    ("1.3", False, True, True), ("1.29999", False, False, False), ("2", False, True, True),
    ("0.7", True, False, True), ("0.70001", True, False, False), ("0", True, False, True),
    ("1.3", True, False, False), ("0.5", False, False, False)])
def test_deviation_bounds_are_inclusive(ratio, lower, deviated, with_low):
    assert is_deviated(Decimal(ratio), lower, YITIHUA) is deviated
    assert is_deviated(Decimal(ratio), lower, WITH_LOW) is with_low
    assert is_deviated(Decimal(ratio), lower, NATIONAL) is False


def _evaluate(rows, b, profile, **info):
    basic = BasicInfo(report_type=schema.TYPE_PROJECT, year="2024", project="项目", unit="单位", **info)
    return evaluate(WorkbookInput(basic, b, rows, {}, template_version=1), rules=profile)


def _rows(*extra):
    return [indicator(5, "产出指标", "数量指标", "参保人数", "≥100", 100, 90 - sum(e[2] for e in extra))] + [
        indicator(6 + i, "产出指标", "质量指标", name, target, actual, weight)
        for i, (name, target, weight, actual) in enumerate(((n, t, w, a) for n, t, w, a in extra))]


@pytest.mark.parametrize(("executed", "total", "deducted"), [
    ("80", "98", None), ("79.99", "89", "9.00"), ("70", "89", "8.00"), ("69.99", "79", "18.00"),
    ("50", "69", "26.00"), ("49.99", "59", "36.00")])
def test_cap_on_real_totals(executed, total, deducted):
    ev = _evaluate(_rows(), budget(100, executed), YITIHUA)
    assert ev.complete and ev.total == Decimal(total)
    caps = [a for a in ev.adjustments if a.kind is AdjustmentKind.CAP]
    if deducted is None:
        assert caps == []
    else:
        assert caps[0].points == Decimal(deducted) and caps[0].before == ev.total + Decimal(deducted)
        assert caps[0].text in wording().budget_note(ev.budget)
        assert f"扣减{deducted}分" in caps[0].text
    national = _evaluate(_rows(), budget(100, executed), NATIONAL)
    budget_score = (Decimal(executed) / 10).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert national.total == budget_score + 90 and national.adjustments == []


def test_the_rate_is_rounded_half_up_before_the_band_is_chosen():
    # 79.995% shows (and counts) as 80.00%: no cap; 69.994% is 69.99%: capped at 79.
    assert _evaluate(_rows(), budget(100000, 79995), YITIHUA).total == Decimal("98.00")
    ev = _evaluate(_rows(), budget(100000, 69994), YITIHUA)
    assert ev.budget.rate == Decimal("69.99") and ev.total == Decimal(79)


def test_grade_follows_the_capped_total():
    ev = _evaluate(_rows(), budget(100, 69), YITIHUA)
    assert ev.total == Decimal(79) and ev.grade == "中"
    assert _evaluate(_rows(), budget(100, 69), NATIONAL).grade == "优"


def test_deviation_exactly_130_percent_and_not_below_zero():
    rows = _rows(("培训人次", "≥100", 10, 130), ("宣传场次", "≥10", 1, 13), ("办理时间", "≤60分钟", 10, "42分钟"))
    ev = _evaluate(rows, budget(100, 100), YITIHUA)
    by = {r.name: r for r in ev.indicators}
    assert by["培训人次"].final == by["培训人次"].suggested == Decimal(8)
    assert by["宣传场次"].final == Decimal(0)  # 1 point, minus 2, not below 0
    assert by["办理时间"].final == Decimal(10)  # ≤ targets are not deviated under the built-in 一体化 rules
    assert "实际完成值为指标值的130.00%，按评分规则视为偏差，扣减2分，得8分。" in wording().indicator_note(by["培训人次"], ev.budget)
    assert [a.points for a in ev.adjustments] == [Decimal(2), Decimal(1)]
    assert ev.total == Decimal(100) - 3
    local = _evaluate(rows, budget(100, 100), WITH_LOW)
    assert {r.name: r.final for r in local.indicators}["办理时间"] == Decimal(8)
    # the same table under the national rules: full marks, a warning to analyse instead
    national = _evaluate(rows, budget(100, 100), NATIONAL)
    assert national.total == Decimal(100) and national.adjustments == []
    assert {"exceeded-no-analysis"} <= {p.code for p in national.problems}


def test_deduction_then_rescaling_rounds_half_up():
    text = national_text().replace('default_handling = "满分"', 'default_handling = "折算"') + (
        "\n[deviation]\nhigh = 130\npoints = 1.98\n")
    profile = parse_profile(text, "测试规则")
    rows = [indicator(5, "产出指标", "数量指标", "培训人次", "≥100", 150, 10),
            indicator(6, "产出指标", "数量指标", "资金分配", "按时分配", "缺省", 20),
            indicator(7, "产出指标", "数量指标", "参保人数", "≥100", 100, 50),
            indicator(8, "产出指标", "数量指标", "参保率", "≥100%", "96%", 20)]
    ev = _evaluate(rows, BudgetInput(weight=Decimal(0)), profile)
    # 8.02 + 50 + 19.20 = 77.22 of 80 -> 96.525 -> 96.53 (banker's rounding would give 96.52)
    assert ev.raw_total == Decimal("77.22") and ev.rescaled and ev.total == Decimal("96.53")


def test_qualitative_shares_and_manual_bands_come_from_the_profile():
    text = national_text().replace('"部分达成" = 70', '"部分达成" = 60').replace(
        '"部分达成" = [60, 80]', '"部分达成" = [50, 80]')
    profile = parse_profile(text, "测试规则")
    row = indicator(5, "产出指标", "数量指标", "制度运行", "平稳可持续", "基本平稳", 10)
    assert _evaluate([row], BudgetInput(weight=Decimal(0)), profile).indicators[0].final == Decimal(6)
    assert _evaluate([row], BudgetInput(weight=Decimal(0)), NATIONAL).indicators[0].final == Decimal(7)
    manual = indicator(5, "产出指标", "数量指标", "制度运行", "平稳可持续", "基本平稳", 10, manual_score=5.5,
                       manual_reason="年中有波动")
    assert _evaluate([manual], BudgetInput(weight=Decimal(0)), profile).indicators[0].final == Decimal("5.5")
    national = _evaluate([manual], BudgetInput(weight=Decimal(0)), NATIONAL)
    assert "manual-score-band" in {p.code for p in national.problems}


def test_default_method_and_exceeded_thresholds_come_from_the_profile():
    text = national_text().replace('method = "比例"                       # 数值', 'method = "达标"  # 数值').replace(
        "high = 120", "high = 150")
    profile = parse_profile(text, "测试规则")
    rows = [indicator(5, "产出指标", "数量指标", "参保率", "≥95%", "90%", 10),
            indicator(6, "产出指标", "数量指标", "培训人次", "≥100", 130, 10)]
    ev = _evaluate(rows, BudgetInput(weight=Decimal(0)), profile)
    assert ev.indicators[0].final == Decimal(0) and ev.indicators[1].status == "met"
    national = _evaluate(rows, BudgetInput(weight=Decimal(0)), NATIONAL)
    assert national.indicators[0].final == Decimal("9.47") and national.indicators[1].status == "exceeded"


# Workbooks end to end ---------------------------------------------------------------------
def _scores(path: Path) -> dict[str, list]:
    ws = openpyxl.load_workbook(path)[schema.SHEET_SCORES]
    return {row[0]: list(row) for row in ws.iter_rows(values_only=True) if row and row[0]}


def _meta(path: Path) -> dict[str, object]:
    ws = openpyxl.load_workbook(path)[schema.SHEET_META]
    return {row[0]: row[1] for row in ws.iter_rows(values_only=True)}


def test_the_workbook_chooses_yitihua_and_every_output_shows_the_cap(tmp_path):
    path = make_workbook(tmp_path / "一体化.xlsx", info={"评分规则": "一体化"},
                         budget={"年度资金总额": (100, 100, 76.2)})
    outcome = build_file(path, output=tmp_path / "out.xlsx", now=None)
    ev = outcome.evaluation
    assert outcome.exit_code == 0 and ev.rules is YITIHUA
    assert ev.total == Decimal(89) and ev.grade == "良"
    text = "执行率76.20%，按评分规则总分不超过89分，扣减8.62分。"
    scores = _scores(outcome.workbook_path)
    assert scores["按评分规则扣减：执行率限制总分"][3] == pytest.approx(-8.62)
    assert scores["按评分规则扣减：执行率限制总分"][5] == text
    assert text in scores["预算执行率"][5]
    assert scores["总分"][3] == 89 and scores["评分规则"][3] == "一体化"
    assert scores["总分"][5] == "调整前97.62分，按评分规则扣减8.62分"
    meta = _meta(outcome.workbook_path)
    assert meta["rules_name"] == "一体化" and meta["rules_hash"] == YITIHUA.digest and "rules_source" not in meta
    from docx import Document

    body = "\n".join(p.text for p in Document(outcome.report_path).paragraphs)
    assert text in body and "本次自评按“一体化”评分规则（预算管理一体化系统自评规则）评分。" in body
    assert "按“一体化”评分规则" in outcome.summary


def test_the_deduction_is_in_the_indicators_own_note(tmp_path):
    rows = simple_indicators()
    rows[0] = dict(rows[0], actual="3")  # ≥2 次, 3 次 = 150%
    path = make_workbook(tmp_path / "偏差.xlsx", info={"评分规则": "一体化"}, indicators=rows)
    outcome = build_file(path, output=tmp_path / "out.xlsx", report=False)
    ws = openpyxl.load_workbook(outcome.workbook_path)[schema.SHEET_INDICATORS]
    header = next(r for r in ws.iter_rows() if any(c.value == "三级指标" for c in r))
    cols = {c.value: c.column for c in header if c.value}
    first = header[0].row + 1
    assert ws.cell(first, cols["建议得分"]).value == 18 and ws.cell(first, cols["自评得分"]).value == 18
    assert "扣减2分，得18分" in ws.cell(first, cols["评分说明"]).value
    assert "按评分规则扣减：培训次数" in _scores(outcome.workbook_path)
    # budget 95 of 100 -> 9.50; indicators 90 - 2 = 88; a 95% rate is not capped
    assert outcome.evaluation.total == Decimal("97.50")


def test_caller_profile_wins_and_says_so(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx", info={"评分规则": "一体化"}, budget={"年度资金总额": (100, 100, 76.2)})
    outcome = build_file(path, write=False, rules="national")
    ev = outcome.evaluation
    assert ev.rules is NATIONAL and ev.total == Decimal("97.62")
    warning = next(p for p in ev.problems if p.code == "rules-overridden")
    assert warning.sheet == schema.SHEET_INFO and warning.cell
    assert "工作簿选择的评分规则为“一体化”，本次按汇总单位指定的评分规则“国家标准”评分" in warning.message


def test_unknown_profile_name_is_an_error_at_its_cell(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx", info={"评分规则": "某省规则"})
    ev = build_file(path, write=False).evaluation
    err = next(p for p in ev.problems if p.code == "rules-unknown")
    assert err.sheet == schema.SHEET_INFO and err.cell and ev.total is None


def test_a_profile_may_fix_the_workbook_settings(tmp_path):
    rows = simple_indicators()
    rows[1] = dict(rows[1], actual="缺省", explanation="不适用。")
    path = make_workbook(tmp_path / "wb.xlsx", info={"缺省指标处理": "折算", "等级划分": "90:好,80:较好,60:一般,0:差"},
                         indicators=rows, budget_method="达标", threshold=0.99)
    office = tmp_path / "office.toml"
    office.write_text(YITIHUA.source.replace("workbook_settings = true", "workbook_settings = false"), encoding="utf-8")
    ev = build_file(path, write=False, rules=str(office)).evaluation
    ignored = [p for p in ev.problems if p.code == "rules-setting-ignored"]
    assert {p.fields["name"] for p in ignored} == {"缺省指标处理", "等级划分", "执行率评分方法", "执行率达标值"}
    assert all(p.sheet and p.cell for p in ignored)
    assert not ev.rescaled and ev.grade == "优" and ev.budget.method == "比例" and ev.budget.score == Decimal("9.5")
    for rules in ("national", "yitihua"):  # both built-ins honour what the unit chose
        honoured = build_file(path, write=False, rules=rules).evaluation
        # 70 of 80 points once the 缺省 indicator is left out (the 达标 budget block fails): 87.5, 较好
        assert honoured.rescaled and honoured.total == Decimal("87.5") and honoured.grade == "较好"
        assert "rules-setting-ignored" not in {p.code for p in honoured.problems}


def test_a_profile_without_workbook_settings_warns_on_other_budget_points(tmp_path):
    office = tmp_path / "office.toml"
    office.write_text(YITIHUA.source.replace('id = "yitihua"', 'id = "city"').replace('name = "一体化"', 'name = "某市"')
                      .replace("points = 10", "points = 20")
                      .replace("workbook_settings = true", "workbook_settings = false"), encoding="utf-8")
    path = make_workbook(tmp_path / "wb.xlsx")
    ev = build_file(path, write=False, rules=str(office)).evaluation
    assert "rules-budget-points" in {p.code for p in ev.problems}


def test_cap_without_a_rate_is_an_error(tmp_path):
    rows = simple_indicators()
    rows[0] = dict(rows[0], weight=30)
    path = make_workbook(tmp_path / "wb.xlsx", info={"评分规则": "一体化"}, budget={}, budget_weight=0,
                         indicators=rows)
    ev = build_file(path, write=False).evaluation
    assert "rules-cap-no-rate" in {p.code for p in ev.errors} and ev.total is None


def test_cap_note_goes_to_the_rate_indicator_when_the_rate_is_an_indicator(tmp_path):
    rows = simple_indicators()
    rows.append({"level1": "产出指标", "level2": "时效指标", "name": "预算执行率", "target": "≥90%", "actual": None,
                 "weight": 10, "method": "达标", "deviation": "年底集中支付。"})
    path = make_workbook(tmp_path / "wb.xlsx", info={"评分规则": "一体化"}, budget={"年度资金总额": (100, 100, 65)},
                         budget_weight=0, indicators=rows)
    ev = build_file(path, write=False).evaluation
    rate_row = next(r for r in ev.indicators if r.name == "预算执行率")
    assert ev.total == Decimal(79) and "总分不超过79分" in wording().indicator_note(rate_row, ev.budget)


def test_a_template_carries_a_central_offices_profile(tmp_path):
    office = tmp_path / "某市规则.toml"
    office.write_text(national_text().replace('id = "national"', 'id = "city-2024"')
                      .replace('name = "国家标准"', 'name = "某市规则"')
                      .replace('bands = "90:优,80:良,60:中,0:差"', 'bands = "90:好,80:较好,60:一般,0:差"')
                      .replace("points = 10", "points = 20"), encoding="utf-8")
    template = tmp_path / "模板.xlsx"
    result = CliRunner().invoke(main, ["new", str(template), "--rules", str(office)])
    assert result.exit_code == 0, result.output
    meta = _meta(template)
    assert meta["rules_name"] == "某市规则" and "某市规则" in meta["rules_source"]
    wb = openpyxl.load_workbook(template)
    info = {r[0]: r[1] for r in wb[schema.SHEET_INFO].iter_rows(values_only=True)}
    assert info["评分规则"] == "某市规则" and info["等级划分"] == "90:好,80:较好,60:一般,0:差"
    budget_cells = {r[0]: r[1] for r in wb[schema.SHEET_BUDGET].iter_rows(values_only=True)}
    assert budget_cells["预算执行率分值"] == 20
    # a unit fills it in (20 budget points, 80 indicator points) and builds it without --rules
    rows = simple_indicators()
    rows[0] = dict(rows[0], weight=10)
    fill(wb, info={"评价年度": 2024, "项目名称": "项目", "主管部门": "局", "实施单位": "中心"},
         budget={"年度资金总额": (100, 100, 85)}, budget_weight=20, indicators=rows)
    filled = tmp_path / "单位填报.xlsx"
    wb.save(filled)
    outcome = build_file(filled, output=tmp_path / "评分.xlsx", report=False)
    ev = outcome.evaluation
    assert ev.rules.name == "某市规则" and not ev.rules.builtin
    assert ev.total == Decimal(97) and ev.grade == "好"  # 20 × 85% = 17, plus 80
    assert _meta(outcome.workbook_path)["rules_hash"] == ev.rules.digest


def test_a_changed_profile_is_noticed(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx", info={"评分规则": "一体化"})
    wb = openpyxl.load_workbook(path)
    meta = wb[schema.SHEET_META]
    for row in meta.iter_rows():
        if row[0].value == "rules_name":
            row[1].value = "一体化"
        if row[0].value == "rules_hash":
            row[1].value = "000000000000"
    wb.save(path)
    ev = build_file(path, write=False).evaluation
    notice = next(p for p in ev.problems if p.code == "rules-changed")
    assert "000000000000" in notice.message and YITIHUA.digest in notice.message


def test_cli_rules_option(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx", budget={"年度资金总额": (100, 100, 76.2)})
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(path), "--rules", "yitihua"])
    assert result.exit_code == 0, result.output
    assert "按“一体化”评分规则，总分89.00分" in result.output
    result = runner.invoke(main, ["check", str(path)])
    assert "总分97.62分" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[profile\n", encoding="utf-8")
    result = runner.invoke(main, ["build", str(path), "--rules", str(bad)])
    assert result.exit_code == 2 and "格式错误" in result.output and "Traceback" not in result.output
    result = runner.invoke(main, ["build", str(path), "--rules", "no-such-rules"])
    assert result.exit_code == 2 and "找不到评分规则“no-such-rules”" in result.output


def test_template_dropdown_lists_the_builtins():
    ws = build_template()[schema.SHEET_INFO]
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"国家标准,一体化"' in lists


def test_building_twice_under_a_profile_gives_the_same_workbook(tmp_path):
    rows = simple_indicators()
    rows[0] = dict(rows[0], actual="3")  # deviated
    path = make_workbook(tmp_path / "wb.xlsx", info={"评分规则": "一体化"}, budget={"年度资金总额": (100, 100, 76.2)},
                         indicators=rows)
    first = build_file(path, report=False)
    cells = _all_values(path)
    second = build_file(path, report=False)
    assert second.evaluation.total == first.evaluation.total == Decimal(89)
    assert _all_values(path) == cells
    assert "rules-changed" not in {p.code for p in second.evaluation.problems}


def _all_values(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if not (isinstance(c.value, str) and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", c.value))}


def test_rules_command_lists_and_explains(tmp_path):
    runner = CliRunner()
    listed = runner.invoke(main, ["rules"])
    assert listed.exit_code == 0 and "national\t国家标准" in listed.output and YITIHUA.digest in listed.output
    shown = runner.invoke(main, ["rules", "一体化"])
    assert shown.exit_code == 0
    assert "低于70%不超过79分" in shown.output and "≥类 实际÷目标≥130%，≤类指标不扣分，扣2分" in shown.output
    bad = tmp_path / "bad.toml"
    bad.write_text(national_text().replace('"达成" = 100,', '"达成" = 120,'), encoding="utf-8")
    refused = runner.invoke(main, ["rules", str(bad)])
    assert refused.exit_code == 2 and "qualitative.shares.达成" in refused.output
