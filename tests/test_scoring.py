"""Scoring: the rules, on in-memory inputs (a filled template's grid, or rows built by hand).

A few tests keep a saved file where the file itself matters (number formats set through
openpyxl, a rate typed into an output cell and read back)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from factory import make_workbook, simple_indicators
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlreport.core.values import round2
from xlreport.pipeline import build_file


def evaluate(tmp_path, report_type=None, **kwargs):
    """Score a filled template without writing it: the grid goes straight to the reader."""
    from factory import make_grid

    from xlreport.pipeline import score_grid

    args = (report_type,) if report_type else ()
    evaluation, _ = score_grid(make_grid(*args, **kwargs))
    return evaluation


def note(res, ev=None):
    """The workbook's 评分说明 for a result (written by the wording layer)."""
    from xlreport.wording import wording

    return wording().indicator_note(res, ev.budget if ev else None)


def codes(ev):
    return [p.code for p in ev.problems]


def by_name(ev, name):
    return next(r for r in ev.indicators if r.name == name)


def test_clean_workbook_scores_with_budget_ratio(tmp_path):
    ev = evaluate(tmp_path)
    assert ev.complete
    assert ev.budget.rate == Decimal("95.00")
    assert ev.budget.score == Decimal("9.50")
    assert ev.total == Decimal("99.50")
    assert ev.grade == "优"
    assert codes(ev) == []


def one(**item):
    base = dict(level1="产出指标", level2="数量指标", name="指标", weight=90)
    base.update(item)
    return [base]


@pytest.mark.parametrize("target,actual,unit,method,expected", [
    ("≥95%", "97.50%", None, None, "90"),
    ("≥95%", "90%", None, None, "85.26"),          # 90 × 90/95
    ("≥95%", "90%", None, "达标", "0"),
    ("≤10", "20", "天", None, "45"),                # 90 × 10/20
    ("=100", "80", "个", None, "72"),               # 90 × 80/100
    ("=100", "125", "个", None, "72"),              # 90 × 100/125
    ("6-9个月", "4", "个月", None, "60"),             # nearer bound 6: 90 × 4/6
    ("6-9个月", "12", None, None, "67.5"),           # 90 × 9/12
    ("6-9个月", "7", None, None, "90"),
    ("0", "2", "人", None, "0"),                    # a bare 0 means none; missed -> 0
    ("0", "0", "人", None, "90"),
    ("550", "610", "元", None, "90"),                # bare number means at least
    ("不少于2次", "1次", None, None, "45"),
    ("95%以上", "96%", None, None, "90"),
    ("≥1000元", "0.1万元", None, None, "90"),  # 0.1 万元 = 1000 元
])
def test_quantitative_rules(tmp_path, target, actual, unit, method, expected):
    item = dict(target=target, actual=actual, deviation="原因已分析。")
    if unit:
        item["unit"] = unit
    if method:
        item["method"] = method
    ev = evaluate(tmp_path, indicators=one(**item))
    res = ev.indicators[0]
    assert res.final == Decimal(expected), (note(res, ev), codes(ev))


def test_percent_formatted_number_cells(tmp_path):
    from factory import indicator_columns
    from openpyxl import load_workbook

    path = make_workbook(tmp_path / "wb.xlsx", indicators=one(target="≥95%", actual=0.975))
    wb = load_workbook(path)
    ws = wb["绩效指标"]
    header_row, cols = indicator_columns(ws)
    ws.cell(header_row + 1, cols["actual"]).number_format = "0.00%"
    wb.save(path)
    ev = build_file(path, write=False).evaluation
    assert ev.indicators[0].final == Decimal(90)
    assert "97.5%" in note(ev.indicators[0], ev)


@pytest.mark.parametrize("actual,degree,expected,status", [
    ("符合", None, "90", "met"),
    ("已完成", None, "90", "met"),
    ("基本完成", None, "63", "partial"),
    ("未完成", None, "27", "missed"),
    ("有待观察", "部分达成", "63", "partial"),
])
def test_qualitative(tmp_path, actual, degree, expected, status):
    item = dict(target="严格执行制度", actual=actual, deviation="已说明。")
    if degree:
        item["degree"] = degree
    ev = evaluate(tmp_path, indicators=one(**item))
    assert ev.indicators[0].final == Decimal(expected)
    assert ev.indicators[0].status == status


def test_qualitative_not_inferable_is_an_error(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="严格执行制度", actual="有待观察"))
    assert "degree-unknown" in codes(ev)
    assert not ev.complete and ev.total is None


def test_default_full_marks_and_rescaled(tmp_path):
    items = simple_indicators()
    items[1].update(actual="缺省", explanation=None)
    ev = evaluate(tmp_path, indicators=items)
    assert by_name(ev, "参保人数").final == Decimal(20)
    assert "default-no-explanation" in codes(ev)
    assert ev.total == Decimal("99.50")

    items[1].update(explanation="本级不涉及。")
    ev = evaluate(tmp_path, indicators=items, info={"缺省指标处理": "折算"})
    assert by_name(ev, "参保人数").status == "excluded"
    # 79.5 of 80 points -> 99.375 -> 99.38
    assert ev.rescaled and ev.total == Decimal("99.38")


def test_greatly_exceeded_warns_without_analysis(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="≥10", actual="13"))
    assert ev.indicators[0].final == Decimal(90)
    assert ev.indicators[0].status == "exceeded"
    assert "exceeded-no-analysis" in codes(ev)
    assert ev.complete


def test_missed_without_deviation_warns(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="≥10", actual="9"))
    assert "deviation-missing" in codes(ev)


def test_manual_scores(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="≥10", actual="9", deviation="x", manual_score=80,
                                           manual_reason="经集体研究调整"))
    assert ev.indicators[0].suggested == Decimal(81)
    assert ev.indicators[0].final == Decimal(80)
    ev = evaluate(tmp_path, indicators=one(target="≥10", actual="9", deviation="x", manual_score=95,
                                           manual_reason="超出"))
    assert "manual-score-range" in codes(ev) and not ev.complete
    ev = evaluate(tmp_path, indicators=one(target="≥10", actual="9", deviation="x", manual_score=80))
    assert "manual-score-no-reason" in codes(ev)
    ev = evaluate(tmp_path, indicators=one(target="制度健全", actual="基本健全", deviation="x",
                                           manual_score=85, manual_reason="较好"))
    assert "manual-score-band" in codes(ev)  # 部分达成 band is 54–72 of 90


def test_weights_must_total_100(tmp_path):
    items = simple_indicators()
    items[0]["weight"] = 25
    ev = evaluate(tmp_path, indicators=items)
    problem = next(p for p in ev.problems if p.code == "weight-total")
    assert "105" in problem.message
    assert not ev.complete


def test_declared_weight_mismatch_is_a_warning(tmp_path):
    items = simple_indicators()
    items[0]["level1"] = "产出指标（50分）"
    ev = evaluate(tmp_path, indicators=items)
    problem = next(p for p in ev.problems if p.code == "declared-weight-mismatch")
    assert "50" in problem.message and "60" in problem.message
    assert ev.complete


def test_budget_rate_as_indicator_threshold(tmp_path):
    items = simple_indicators()
    items[0]["weight"] = 10
    items.insert(0, dict(level1="过程管理", level2="资金管理", name="预算执行率", target="≥90%",
                         method="达标", weight=10, deviation="进度偏慢。"))
    ev = evaluate(tmp_path, indicators=items, budget={"年度资金总额": (100, 100, 80.62)}, budget_weight=0)
    res = by_name(ev, "预算执行率")
    assert res.final == Decimal(0)
    text = note(res, ev)
    assert "80.62%" in text and "不得分" in text, text
    assert res.rule == "threshold" and res.miss == "below"
    assert ev.budget.rate == Decimal("80.62")


def test_stated_rate_differs_from_budget(tmp_path):
    items = simple_indicators()
    items[0]["weight"] = 10
    items.insert(0, dict(level1="过程管理", level2="资金管理", name="预算执行率", target="≥90%",
                         actual="81.62%", method="达标", weight=10, deviation="x"))
    ev = evaluate(tmp_path, indicators=items, budget={"年度资金总额": (100, 100, 80.62)}, budget_weight=0)
    assert "rate-mismatch" in codes(ev)


def test_budget_double_count(tmp_path):
    items = simple_indicators()
    items[0]["weight"] = 10
    items.insert(0, dict(level1="过程管理", level2="资金管理", name="预算执行率", target="≥90%", weight=10))
    ev = evaluate(tmp_path, indicators=items)
    assert "budget-double-count" in codes(ev)


def test_budget_checks(tmp_path):
    ev = evaluate(tmp_path, budget={"年度资金总额": (100, 100, 120), "其中：当年财政拨款": (50, 50, 60)},
                  budget_method="达标", threshold=0.9)
    assert {"budget-overspent", "budget-subrows"} <= set(codes(ev))
    assert ev.budget.score == Decimal(10)
    ev = evaluate(tmp_path, budget={"年度资金总额": (100, -100, 20)})
    assert "budget-negative" in codes(ev)


def test_relative_to_last_year(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="不低于上年度", actual="提高 13.62%"))
    assert ev.indicators[0].final == Decimal(90)
    ev = evaluate(tmp_path, indicators=one(target="不低于上年", actual="72.78%", last_year="70%"))
    assert ev.indicators[0].final == Decimal(90)
    ev = evaluate(tmp_path, indicators=one(target="不低于上年", actual="72.78%"))
    assert "last-year-missing" in codes(ev)


def test_unit_mismatch_is_an_error(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="≥10人", actual="12次"))
    assert "unit-mismatch" in codes(ev)


def test_unreadable_and_missing_cells(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="≥95%", actual="很好", weight="五分"))
    assert {"weight-invalid"} <= set(codes(ev))
    ev = evaluate(tmp_path, indicators=one(target=None, actual="1"))
    assert "target-missing" in codes(ev)
    ev = evaluate(tmp_path, indicators=[dict(level1="产出指标", target="≥1", actual="1", weight=90)])
    assert "indicator-name-missing" in codes(ev)


def test_duplicate_names_warn(tmp_path):
    items = simple_indicators()
    items[1]["name"] = "培训次数"
    ev = evaluate(tmp_path, indicators=items)
    assert "duplicate-indicator" in codes(ev)


def test_half_up_rounding():
    assert round2(Decimal("2.675")) == Decimal("2.68")
    assert round2(Decimal("0.125")) == Decimal("0.13")


def test_half_up_in_scores(tmp_path):
    # 5 × 0.8/… : weight 3, A/T = 0.805 -> 2.415 -> 2.42 (banker's would give 2.42 too; use 0.825 -> 2.475)
    ev = evaluate(tmp_path, indicators=one(target="≥1000", actual="825", weight=3, deviation="x")
                  + [dict(level1="效益指标", level2="x", name="y", target="≥1", actual="1", weight=87)])
    assert ev.indicators[0].final == Decimal("2.48")


# Properties ---------------------------------------------------------------------------
from xlreport.core.grid import RawCell  # noqa: E402
from xlreport.core.model import Field, IndicatorRow, Ref  # noqa: E402
from xlreport.core.scoring import BudgetResult, _Ctx, score_indicator  # noqa: E402

OPS = ["≥", "≤", ">", "<", "="]


def _row(target, actual, weight, method=None):
    cells = {
        "name": Field(RawCell("指标"), Ref("绩效指标", 3, 3)),
        "target": Field(RawCell(target), Ref("绩效指标", 3, 5)),
        "actual": Field(RawCell(actual), Ref("绩效指标", 3, 7)),
        "weight": Field(RawCell(weight), Ref("绩效指标", 3, 8)),
        "deviation": Field(RawCell("已分析"), Ref("绩效指标", 3, 12)),
    }
    if method:
        cells["method"] = Field(RawCell(method), Ref("绩效指标", 3, 9))
    return IndicatorRow(3, "产出指标", "数量指标", None, None, cells)


_CTX_BUDGET = BudgetResult(None, None, None, None, Decimal(0), "比例", None, None)
decimals = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
weights = st.decimals(min_value=Decimal("0.5"), max_value=100, places=1)


@settings(max_examples=250, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(op=st.sampled_from(OPS), t=decimals, a=decimals, w=weights, method=st.sampled_from([None, "比例", "达标"]))
def test_score_bounds(op, t, a, w, method):
    res = score_indicator(_row(f"{op}{t}", str(a), str(w), method), _Ctx([], "满分", _CTX_BUDGET))
    if res.final is not None:
        assert Decimal(0) <= res.final <= res.weight


@settings(max_examples=250, deadline=None)
@given(t=decimals, extra=decimals, w=weights)
def test_met_target_scores_full_weight(t, extra, w):
    res = score_indicator(_row(f"≥{t}", str(t + extra), str(w)), _Ctx([], "满分", _CTX_BUDGET))
    assert res.final == w
    res = score_indicator(_row(f"≤{t + extra}", str(t), str(w)), _Ctx([], "满分", _CTX_BUDGET))
    assert res.final == w


def test_relative_direction_words(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="不低于上年", actual="有所下降", deviation="x"))
    assert ev.indicators[0].status == "missed"
    ev = evaluate(tmp_path, indicators=one(target="较上年下降", actual="有所下降"))
    assert ev.indicators[0].final == Decimal(90)


def test_rate_quoted_in_prose_must_match_budget(tmp_path):
    snippets = dict(__import__("factory").ALL_SNIPPETS_FILLED)
    snippets["资金投入情况"] = "全年预算100万元，执行80.62万元，预算执行率81.62%。"
    ev = evaluate(tmp_path, budget={"年度资金总额": (100, 100, 80.62)}, snippets=snippets)
    problem = next(p for p in ev.problems if p.code == "rate-mismatch")
    assert "81.62%" in problem.message and "80.62%" in problem.message
    assert problem.sheet == "文字材料"


def test_rate_typed_into_output_cell_is_checked_once(tmp_path):
    import openpyxl
    from factory import find_label

    path = make_workbook(tmp_path / "wb.xlsx", budget={"年度资金总额": (100, 100, 80.62)})
    wb = openpyxl.load_workbook(path)
    ws = wb["预算执行"]
    r, c = find_label(ws, "预算执行率")
    ws.cell(r, c + 1).value = "81.62%"
    wb.save(path)
    first = build_file(path, report=False)
    assert any(p.code == "rate-mismatch" for p in first.problems)
    assert openpyxl.load_workbook(path)["预算执行"].cell(r, c + 1).value == "81.62%"  # typed: kept
    ws.cell(r, c + 1).value = None  # the user clears it; from now on the tool fills it
    wb.save(path)
    build_file(path, report=False)
    second = build_file(path, report=False)  # now the cell holds our own value
    assert not any(p.code == "rate-mismatch" for p in second.problems)
    assert openpyxl.load_workbook(path)["预算执行"].cell(r, c + 1).value == pytest.approx(0.8062)


def test_nature_column(tmp_path):
    ev = evaluate(tmp_path, indicators=one(nature="≤", target="10", unit="天", actual="8"))
    assert ev.indicators[0].final == Decimal(90)
    ev = evaluate(tmp_path, indicators=one(nature="≤", target="≥10", unit="天", actual="8"))
    assert "nature-conflict" in codes(ev)
    ev = evaluate(tmp_path, indicators=one(nature="大概", target="10", actual="8"))
    assert "nature-invalid" in codes(ev)
    ev = evaluate(tmp_path, indicators=one(nature="区间", target="10", actual="8"))
    assert "target-unreadable" in codes(ev)


def test_allocation_subtotal_checked(tmp_path):
    import openpyxl
    from factory import find_label

    path = make_workbook(tmp_path / "wb.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["预算执行"]
    r, c = find_label(ws, "预算指标文件")
    header = {ws.cell(r, col).value: col for col in range(1, 10) if ws.cell(r, col).value}
    ws.cell(r + 1, header["序号"]).value = 1
    ws.cell(r + 1, header["预算指标文件"]).value = "宁财（社）发〔2022〕1号"
    ws.cell(r + 1, header["中央级"]).value = 100
    ws.cell(r + 1, header["省级"]).value = 20
    ws.cell(r + 1, header["小计"]).value = 110
    wb.save(path)
    ev = build_file(path, write=False).evaluation
    problem = next(p for p in ev.problems if p.code == "allocation-subtotal")
    assert problem.cell == f"{openpyxl.utils.get_column_letter(header['小计'])}{r + 1}"
    assert "120" in problem.message and "110" in problem.message


def test_budget_ratio_score_rounds_once(tmp_path):
    # 93.7451% displays as 93.75%, but 10 × 0.937451 = 9.37451 -> 9.37 (not 9.38)
    ev = evaluate(tmp_path, budget={"年度资金总额": (1000000, 1000000, 937451)})
    assert ev.budget.rate == Decimal("93.75")
    assert ev.budget.score == Decimal("9.37")


def test_rate_indicator_with_its_own_actual_needs_no_budget_figures(tmp_path):
    items = simple_indicators()
    items[0]["weight"] = 10
    items.insert(0, dict(level1="过程管理", level2="资金管理", name="预算执行率", target="≥90%",
                         actual="95%", method="达标", weight=20))
    ev = evaluate(tmp_path, indicators=items, budget={}, budget_weight=0)
    assert ev.complete, [p.text for p in ev.errors]
    assert by_name(ev, "预算执行率").final == Decimal(20)
    items[0]["actual"] = None
    ev = evaluate(tmp_path, indicators=items, budget={}, budget_weight=0)
    assert "budget-missing" in codes(ev)


def test_total_from_sub_rows_when_left_blank(tmp_path):
    ev = evaluate(tmp_path, budget={"其中：当年财政拨款": (80, 80, 76), "上年结转资金": (20, 20, 19)})
    assert ev.budget.rate == Decimal("95.00") and ev.complete
    assert "budget-total-derived" in codes(ev)


@pytest.mark.parametrize("actual", ["未发生", "零", "0"])
def test_none_happened_meets_a_zero_target(tmp_path, actual):
    ev = evaluate(tmp_path, indicators=one(name="重复参保人数", target="0", unit="人", actual=actual))
    assert ev.indicators[0].final == Decimal(90), codes(ev)


def test_percent_typed_as_a_fraction_is_an_error(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="≥95%", actual=0.97, deviation="x"))
    problem = next(p for p in ev.problems if p.code == "percent-as-fraction")
    assert "97%" in problem.message
    assert problem.level.value == "错误" and ev.total is None and ev.indicators[0].suggested is None


def test_percent_as_fraction_that_changes_nothing_passes(tmp_path):
    # 达标 against ≥95%: 0.5% and 50% both miss, the score is 0 either way
    ev = evaluate(tmp_path, indicators=one(target="≥95%", actual=0.5, method="达标", deviation="x"))
    assert not any(p.code == "percent-as-fraction" for p in ev.problems)
    assert ev.indicators[0].final == Decimal(0)


def test_error_count_counts_real_errors_only(tmp_path):
    items = simple_indicators()
    items[0]["weight"] = "abc"
    ev = evaluate(tmp_path, indicators=items)
    assert [p.code for p in ev.errors] == ["weight-invalid"]
    assert any(p.code == "score-incomplete" and "1个错误" in p.message for p in ev.problems)


# Typed verdicts and their wording ---------------------------------------------------------
from xlreport.core.model import Degree, Kind, Method, Miss, Rule, Status  # noqa: E402

_VERDICTS = [
    # target, actual, method, status, rule, miss, kind, share
    ("≥90%", "88.36%", None, Status.MISSED, Rule.RATIO, Miss.BELOW, Kind.NUMBER, "0.9817777777777777777777777778"),
    ("≤100%", "122.71%", None, Status.MISSED, Rule.RATIO, Miss.ABOVE, Kind.NUMBER, None),
    ("≥90%", "80%", "达标", Status.MISSED, Rule.THRESHOLD, Miss.BELOW, Kind.NUMBER, "0"),
    ("6-9个月", "12", None, Status.MISSED, Rule.RATIO, Miss.ABOVE, Kind.RANGE, "0.75"),
    ("≥20", "33", None, Status.EXCEEDED, Rule.FULL, None, Kind.NUMBER, "1"),
    ("≥95%", "97%", None, Status.MET, Rule.FULL, None, Kind.NUMBER, "1"),
    ("完善", "基本完善", None, Status.PARTIAL, Rule.DEGREE, None, Kind.TEXT, "0.7"),
    ("≥80%", "缺省", None, Status.DEFAULT, Rule.DEFAULT_FULL, None, Kind.NUMBER, "1"),
]


@pytest.mark.parametrize("target,actual,method,status,rule,miss,kind,share", _VERDICTS)
def test_verdicts_are_typed(target, actual, method, status, rule, miss, kind, share):
    res = score_indicator(_row(target, actual, "10", method), _Ctx([], "满分", _CTX_BUDGET))
    assert (res.status, res.rule, res.miss, res.kind) == (status, rule, miss, kind)
    assert isinstance(res.method, Method)
    if share is not None:
        assert res.share == Decimal(share)
    assert res.target is not None and res.actual is not None  # the parsed values travel with the verdict
    assert not hasattr(res, "note") and not hasattr(res, "report_sentence")  # no sentences in scoring


def test_qualitative_degree_is_an_enum():
    res = score_indicator(_row("完善", "基本完善", "10"), _Ctx([], "满分", _CTX_BUDGET))
    assert res.degree is Degree.PARTLY and res.degree == "部分达成"


@pytest.mark.parametrize("target,actual,method,expected", [
    ("≥90%", "88.36%", None, "实际完成88.36%，低于年度指标值90%，按完成比例得9.82分（分值10分）。"),
    ("≤100%", "122.71%", None, "实际完成122.71%，超过100%的上限，按完成比例得8.15分（分值10分）。"),
    ("≥90%", "80%", "达标", "实际完成80%，低于年度指标值90%，按达标法不得分。"),
    ("6-9个月", "12", None, "实际完成12个月，超过9个月的上限，按完成比例得7.50分（分值10分）。"),
    ("≥20", "33", None, "实际完成33，大幅超过年度指标值20，得满分10分。"),
    ("≥95%", "97%", None, "实际完成97%，达到年度指标值（≥95%），得满分10分。"),
    ("6-9个月", "7", None, "实际完成7个月，在6个月至9个月的区间内，得满分10分。"),
    ("≤10天", "8天", None, "实际完成8天，未超过10天的上限，得满分10分。"),
    ("完善", "基本完善", None, "实际完成情况为“基本完善”，判定为部分达成，按分值的70%得7分。"),
    ("显著提升", "显著提升", None, "实际完成情况与年度指标值“显著提升”一致，判定为达成，得满分10分。"),
    ("≥80%", "缺省", None, "实际完成值为缺省，按缺省处理得满分10分。请在完成情况说明中写明缺省原因。"),
    ("≥９５％", "97%", None, "实际完成97%，达到年度指标值（≥95%），得满分10分。"),
])
def test_workbook_note_reads_naturally(target, actual, method, expected):
    from xlreport.wording import wording

    res = score_indicator(_row(target, actual, "10", method), _Ctx([], "满分", _CTX_BUDGET))
    assert wording().indicator_note(res) == expected
