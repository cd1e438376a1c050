"""Tests for xlreport.core.values: every target/actual written in the published reports, the list of
spellings the reader promises (docs/rules.md, “数值的写法”), and
properties (never raises, round-trips)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlreport.core.values import (
    Actual,
    Op,
    Target,
    canonical_unit,
    change_direction,
    convert,
    display_text,
    displayed_places,
    format_decimal,
    is_not_applicable,
    is_qualitative_nature,
    nature_op,
    parse_actual,
    parse_amount,
    parse_number,
    parse_percent,
    parse_target,
    same_at_display,
    written_op,
    year_text,
)

GE, GT, LE, LT, EQ, RANGE = Op.GE, Op.GT, Op.LE, Op.LT, Op.EQ, Op.RANGE


def num(text, op, value, unit=None, implicit=False):
    return Target(text, "number", op, D(value), None, None, unit, implicit)


def rel(text, op, value, unit=None, implicit=False):
    return Target(text, "relative", op, D(value), None, None, unit, implicit)


def rng(text, low, high, unit=None):
    return Target(text, "range", RANGE, None, D(low), D(high), unit)


def txt(text):
    return Target(text, "text", None, None, None, None, None)


def anum(text, value, unit=None):
    return Actual(text, "number", D(value), unit)


def chg(text, value, unit=None):
    return Actual(text, "change", None if value is None else D(value), unit)


def atxt(text):
    return Actual(text, "text", None, None)


def na(text):
    return Actual(text, "na", None, None)


# Seeds: hongsibu 2022 indicator table (标准值 | 实际完成情况), unit from the name's (单位) -------
HONGSIBU_QUALITATIVE = [
    ("依据中央和自治区深化医疗保障制度改革的意见进行决策", "符合"),
    ("决策符合预算绩效管理要求和资金管理辦法", "符合"),
    ("各市、县(区)使用资金决策程序规范", "符合"),
    ("执行中央和自治区城乡居民基本医疗保险待遇保障政策", "符合"),
    ("自治区遵照财政部和国家医疗保障局下达的年度总体目标和具体绩效指标。"
     "各市、县(区)遵照财政厅和自治区医疗保障局下达的年度总体目标和具体绩效指标。", "科学"),
    ("自治区对财政部和国家医疗保障局下达的年度总体目标结合实际进行分解细化。"
     "各市、县(区)对自治区下达的绩效目标进行细化。", "细化"),
    ("编制基金预算科学合理，不得出现赤字预算", "合理"),
    ("按规定时限分配下达资金", "规范"),
    ("符合预算管理和城乡居民基本医疗保险补助资金管理要求", "合理"),
    ("专账核算专款专用", "合规"),
    ("监督检查制度全覆盖", "全覆盖"),
    ("全面建立统一的城乡居民医保制度", "有效"),
    ("实行按病种(组)、按人头付费等支付方式改革", "完成"),
    ("协议管理严格监管", "规范"),
    ("信息数据及时准确", "及时准确"),
    ("医保基金统计、基金报表上报准确完整、及时有效", "准确、及时、完整"),
    ("全面实现绩效管理", "健全"),
    ("严格按照财务制度规定进行基金收支、记账、对账等工作", "规范"),
    ("自治区资金分配程序合规完整各市、县(区)使用资金决策程序规范", "符合"),
    ("≥参保扩面下达的任务目标", "176268"),
    ("不得低于国家和自治区要求", "610"),
]


@pytest.mark.parametrize(("target", "actual"), HONGSIBU_QUALITATIVE)
def test_seed_qualitative_targets(target, actual):
    assert parse_target(target) == txt(target)
    if not actual.isdigit():
        assert parse_actual(actual) == atxt(actual)


SEED_PAIRS = [
    # (target, actual, unit column, expected target, expected actual)
    ("100%", "100%", None, num("100%", GE, 100, "%", True), anum("100%", 100, "%")),
    ("90%", "100%", None, num("90%", GE, 90, "%", True), anum("100%", 100, "%")),
    ("≥173218", "176268", "人", num("≥173218", GE, 173218, "人"), anum("176268", 176268, "人")),
    ("550", "610", "元", num("550", GE, 550, "元", True), anum("610", 610, "元")),
    ("≥95%", "97.50%", "%", num("≥95%", GE, 95, "%"), anum("97.50%", "97.5", "%")),
    ("0", "0", "人", num("0", LE, 0, "人", True), anum("0", 0, "人")),
    ("不低于上年度", "提高 13.62%", "%", rel("不低于上年度", GE, 0), chg("提高 13.62%", "13.62", "%")),
    ("不低于上年度", "提高 12.09%", "%", rel("不低于上年度", GE, 0), chg("提高 12.09%", "12.09", "%")),
    ("6-9个月", "-", "月", rng("6-9个月", 6, 9, "个月"), na("-")),
    ("6-9 个月", "-", None, rng("6-9 个月", 6, 9, "个月"), na("-")),
    ("≥90%", "92.8%", None, num("≥90%", GE, 90, "%"), anum("92.8%", "92.8", "%")),
    # haikou 2022
    ("开展培训次数≥2次", "开展培训次数2次", None, num("开展培训次数≥2次", GE, 2, "次"),
     anum("开展培训次数2次", 2, "次")),
    ("人才培训合格率≥90%", "人才培训合格率100%", None, num("人才培训合格率≥90%", GE, 90, "%"),
     anum("人才培训合格率100%", 100, "%")),
    ("城乡医疗保险征缴宣传完成率100%", "城乡医疗保险征缴宣传完成率100%", None,
     num("城乡医疗保险征缴宣传完成率100%", GE, 100, "%", True),
     anum("城乡医疗保险征缴宣传完成率100%", 100, "%")),
    ("参保人对医保服务满意度≥85%", "参保人对医保服务满意度大于85%", None,
     num("参保人对医保服务满意度≥85%", GE, 85, "%"), anum("参保人对医保服务满意度大于85%", 85, "%")),
    ("满意度≥85%", "高于85％", None, num("满意度≥85%", GE, 85, "%"), anum("高于85％", 85, "%")),
    ("90%", "93.77%", None, num("90%", GE, 90, "%", True), anum("93.77%", "93.77", "%")),
    ("有效提升综合监管、宣传引导等医疗保障服务能力", "医保宣传能力显著提升", None,
     txt("有效提升综合监管、宣传引导等医疗保障服务能力"), atxt("医保宣传能力显著提升")),
    ("医保综合监管能力优", "基金监管能力显著提升", None, txt("医保综合监管能力优"),
     atxt("基金监管能力显著提升")),
]


@pytest.mark.parametrize(("target", "actual", "unit", "want_t", "want_a"), SEED_PAIRS)
def test_seed_pairs(target, actual, unit, want_t, want_a):
    assert parse_target(target, unit=unit) == want_t
    assert parse_actual(actual, unit=unit) == want_a


SEED_ACTUALS = [
    # linze 2023, haikou, panzhihua narrative figures
    ("参保率98%", anum("参保率98%", 98, "%")),
    ("116201人", anum("116201人", 116201, "人")),
    ("122.71%", anum("122.71%", "122.71", "%")),
    ("72.78%", anum("72.78%", "72.78", "%")),
    ("激活率达88.36%", anum("激活率达88.36%", "88.36", "%")),
    ("使用率达40%", anum("使用率达40%", 40, "%")),
    ("占全县行政村的60%以上", anum("占全县行政村的60%以上", 60, "%")),
    ("391万元", anum("391万元", 391, "万元")),
    ("366.656万元", anum("366.656万元", "366.656", "万元")),
    ("资金使用率为100%", anum("资金使用率为100%", 100, "%")),
    ("1,038.00", anum("1,038.00", 1038)),
    ("约390人次", anum("约390人次", 390, "人次")),
    ("36场", anum("36场", 36, "场")),
    ("满意度高于85％", anum("满意度高于85％", 85, "%")),
    ("100.00%", anum("100.00%", 100, "%")),
    ("缺省", na("缺省")),
    ("按缺省处理", na("按缺省处理")),
    ("不涉及", na("不涉及")),
    ("市县（区）级不涉及", na("市县（区）级不涉及")),
    ("无", na("无")),
]


@pytest.mark.parametrize(("raw", "want"), SEED_ACTUALS)
def test_seed_actuals(raw, want):
    assert parse_actual(raw) == want


# The promised spellings ------------------------------------------------------------------------------
SPEC_TARGETS = [
    ("≥95%", num("≥95%", GE, 95, "%")),
    ("≧95%", num("≧95%", GE, 95, "%")),
    (">=95%", num(">=95%", GE, 95, "%")),
    ("大于等于95%", num("大于等于95%", GE, 95, "%")),
    ("不低于95%", num("不低于95%", GE, 95, "%")),
    ("不少于2次", num("不少于2次", GE, 2, "次")),
    ("不小于2次", num("不小于2次", GE, 2, "次")),
    ("至少2次", num("至少2次", GE, 2, "次")),
    ("达到95%", num("达到95%", GE, 95, "%")),
    ("95%以上", num("95%以上", GE, 95, "%")),
    ("90%及以上", num("90%及以上", GE, 90, "%")),
    ("90%以上（含）", num("90%以上（含）", GE, 90, "%")),
    ("≤60分钟", num("≤60分钟", LE, 60, "分钟")),
    ("≦60分钟", num("≦60分钟", LE, 60, "分钟")),
    ("<=60分钟", num("<=60分钟", LE, 60, "分钟")),
    ("小于等于5%", num("小于等于5%", LE, 5, "%")),
    ("不超过10%", num("不超过10%", LE, 10, "%")),
    ("不高于10%", num("不高于10%", LE, 10, "%")),
    ("不多于3起", num("不多于3起", LE, 3, "起")),
    ("不大于3", num("不大于3", LE, 3)),
    ("5%以下", num("5%以下", LE, 5, "%")),
    ("15个工作日以内", num("15个工作日以内", LE, 15, "工作日")),
    ("5%及以下", num("5%及以下", LE, 5, "%")),
    ("控制在10%以内", num("控制在10%以内", LE, 10, "%")),
    (">80%", num(">80%", GT, 80, "%")),
    ("大于80%", num("大于80%", GT, 80, "%")),
    ("高于80%", num("高于80%", GT, 80, "%")),
    ("超过80%", num("超过80%", GT, 80, "%")),
    ("多于3家", num("多于3家", GT, 3, "家")),
    ("<5%", num("<5%", LT, 5, "%")),
    ("小于5%", num("小于5%", LT, 5, "%")),
    ("低于5%", num("低于5%", LT, 5, "%")),
    ("少于5天", num("少于5天", LT, 5, "天")),
    ("=100%", num("=100%", EQ, 100, "%")),
    ("＝100%", num("＝100%", EQ, 100, "%")),
    ("﹦100%", num("﹦100%", EQ, 100, "%")),
    ("==100%", num("==100%", EQ, 100, "%")),
    ("等于100%", num("等于100%", EQ, 100, "%")),
    ("100%", num("100%", GE, 100, "%", True)),
    ("550", num("550", GE, 550, None, True)),
    ("0", num("0", LE, 0, None, True)),
    ("0人", num("0人", LE, 0, "人", True)),
    ("95%左右", num("95%左右", GE, 95, "%", True)),
    ("约95%", num("约95%", GE, 95, "%", True)),
    ("100%完成", num("100%完成", GE, 100, "%", True)),
    ("≥95%以上", num("≥95%以上", GE, 95, "%")),
    ("≥5‰", num("≥5‰", GE, 5, "‰")),
    ("≥95百分比", num("≥95百分比", GE, 95, "%")),
    ("百分之95", num("百分之95", GE, 95, "%", True)),
    ("≥1,038.00万元", num("≥1,038.00万元", GE, 1038, "万元")),
    ("≥50元/人", num("≥50元/人", GE, 50, "元/人")),
    ("≤3个月", num("≤3个月", LE, 3, "个月")),
    ("≤3月", num("≤3月", LE, 3, "个月")),
    ("≤3日", num("≤3日", LE, 3, "天")),
    ("≥36车次", num("≥36车次", GE, 36, "车次")),
    ("≥２次", num("≥２次", GE, 2, "次")),
    ("每年不少于2次", num("每年不少于2次", GE, 2, "次")),
    ("综合参保率(%)≥95", num("综合参保率(%)≥95", GE, 95, "%")),
    ("覆盖率达到100%。", num("覆盖率达到100%。", GE, 100, "%")),
    # ranges
    ("6-9个月", rng("6-9个月", 6, 9, "个月")),
    ("6~9", rng("6~9", 6, 9)),
    ("6～9个月", rng("6～9个月", 6, 9, "个月")),
    ("6至9个月", rng("6至9个月", 6, 9, "个月")),
    ("6个月至9个月", rng("6个月至9个月", 6, 9, "个月")),
    ("6—9", rng("6—9", 6, 9)),
    ("6到9", rng("6到9", 6, 9)),
    ("[6,9]", rng("[6,9]", 6, 9)),
    ("［6，9］个月", rng("［6，9］个月", 6, 9, "个月")),
    ("9-6", rng("9-6", 6, 9)),
    ("90%-95%", rng("90%-95%", 90, 95, "%")),
    ("在6至9个月之间", rng("在6至9个月之间", 6, 9, "个月")),
    # relative to last year
    ("不低于上年", rel("不低于上年", GE, 0)),
    ("不低于上年度", rel("不低于上年度", GE, 0)),
    ("不低于上年水平", rel("不低于上年水平", GE, 0)),
    ("不低于上一年度", rel("不低于上一年度", GE, 0)),
    ("不低于去年同期", rel("不低于去年同期", GE, 0)),
    ("≥上年", rel("≥上年", GE, 0)),
    ("达到上年水平", rel("达到上年水平", GE, 0)),
    ("高于上年", rel("高于上年", GT, 0)),
    ("不高于上年", rel("不高于上年", LE, 0)),
    ("低于上年", rel("低于上年", LT, 0)),
    ("控制在上年水平以内", rel("控制在上年水平以内", LE, 0)),
    ("较上年提高", rel("较上年提高", GT, 0)),
    ("比上年有所提高", rel("比上年有所提高", GT, 0)),
    ("较上年下降", rel("较上年下降", LT, 0)),
    ("与上年持平", rel("与上年持平", EQ, 0)),
    ("较上年提高5%", rel("较上年提高5%", GE, 5, "%", True)),
    ("比上年增长5%", rel("比上年增长5%", GE, 5, "%", True)),
    ("较上年增长2个百分点", rel("较上年增长2个百分点", GE, 2, "百分点", True)),
    ("同比增长5%", rel("同比增长5%", GE, 5, "%", True)),
    ("较上年提高不低于5%", rel("较上年提高不低于5%", GE, 5, "%")),
    ("较上年提高5%以上", rel("较上年提高5%以上", GE, 5, "%")),
    ("较上年下降5%", rel("较上年下降5%", LE, -5, "%", True)),
    ("较上年下降不超过5%", rel("较上年下降不超过5%", GE, -5, "%")),
    ("提高5%", rel("提高5%", GE, 5, "%", True)),
    # qualitative
    ("显著提升", txt("显著提升")),
    ("有所提高", txt("有所提高")),
    ("符合", txt("符合")),
    ("准确、及时、完整", txt("准确、及时、完整")),
    ("缺省", txt("缺省")),
    ("-", txt("-")),
    ("", txt("")),
    ("2023年底前完成", txt("2023年底前完成")),
    ("12月31日前", txt("12月31日前")),
    ("≥两次", txt("≥两次")),
    ("增长率≥5%", num("增长率≥5%", GE, 5, "%")),
]


@pytest.mark.parametrize(("raw", "want"), SPEC_TARGETS)
def test_spec_targets(raw, want):
    assert parse_target(raw) == want


SPEC_ACTUALS = [
    ("97.50%", anum("97.50%", "97.5", "%")),
    ("９７．５０％", anum("９７．５０％", "97.5", "%")),
    ("1,038.00", anum("1,038.00", 1038)),
    ("1 038", anum("1 038", 1038)),
    ("  176268 ", anum("176268", 176268)),
    ("≥85%", anum("≥85%", 85, "%")),
    ("大于85%", anum("大于85%", 85, "%")),
    ("-2.1%", anum("-2.1%", "-2.1", "%")),
    ("提高13.62%", chg("提高13.62%", "13.62", "%")),
    ("增长2个百分点", chg("增长2个百分点", 2, "百分点")),
    ("较上年增长2个百分点", chg("较上年增长2个百分点", 2, "百分点")),
    ("同比增长5.2%", chg("同比增长5.2%", "5.2", "%")),
    ("提高了3个百分点", chg("提高了3个百分点", 3, "百分点")),
    ("上升", chg("上升", None)),
    ("提高", chg("提高", None)),
    ("有所提高", chg("有所提高", None)),
    ("比上年有所提高", chg("比上年有所提高", None)),
    ("高于上年", chg("高于上年", None)),
    ("不低于上年", chg("不低于上年", 0)),
    ("与上年持平", chg("与上年持平", 0)),
    ("下降3%", chg("下降3%", -3, "%")),
    ("降低", chg("降低", None)),
    ("减少5人", chg("减少5人", -5, "人")),
    ("+2.1%", chg("+2.1%", "2.1", "%")),
    ("显著提升", atxt("显著提升")),
    ("符合", atxt("符合")),
    ("", atxt("")),
    ("缺省", na("缺省")),
    ("不适用", na("不适用")),
    ("无", na("无")),
    ("-", na("-")),
    ("—", na("—")),
    ("–", na("–")),
    ("/", na("/")),
    ("N/A", na("N/A")),
    ("n/a", na("n/a")),
    ("ＮＡ", na("ＮＡ")),
    ("不涉及", na("不涉及")),
    ("缺省（本级不涉及）", na("缺省（本级不涉及）")),
    ("6-9个月", atxt("6-9个月")),
]


@pytest.mark.parametrize(("raw", "want"), SPEC_ACTUALS)
def test_spec_actuals(raw, want):
    assert parse_actual(raw) == want


@pytest.mark.parametrize(("raw", "direction"), [
    ("提高", 1), ("上升", 1), ("有所下降", -1), ("降低", -1), ("高于上年", 1), ("低于上年", -1),
    ("持平", 0), ("提高13.62%", 1), ("下降3%", -1), ("符合", None),
])
def test_change_direction(raw, direction):
    assert change_direction(parse_actual(raw)) == direction


# Numeric cells and number formats --------------------------------------------------------------
@pytest.mark.parametrize(("raw", "fmt", "text", "value", "unit"), [
    (0.95, "0%", "95%", "95", "%"),
    (0.975, "0.00%", "97.50%", "97.5", "%"),
    (0.975, "0%", "97.5%", "97.5", "%"),
    (1, "0%", "100%", "100", "%"),
    (0.928, "0.0%", "92.8%", "92.8", "%"),
    (0.9377, "0.00%", "93.77%", "93.77", "%"),
    (176268, "General", "176268", "176268", None),
    (176268.0, "General", "176268", "176268", None),
    (1038.0, "#,##0.00", "1,038.00", "1038", None),
    (95, '0"%"', "95%", "95", "%"),
    (95, "0\\%", "95%", "95", "%"),
    (0.95, "General", "0.95", "0.95", None),
    (D("97.5"), "General", "97.5", "97.5", None),
])
def test_numeric_cells(raw, fmt, text, value, unit):
    assert parse_actual(raw, fmt) == Actual(text, "number", D(value), unit)
    t = parse_target(raw, fmt)
    assert (t.kind, t.value, t.unit, t.text) == ("number", D(value), unit, text)


def test_numeric_zero_target_means_none():
    assert parse_target(0, "0%") == num("0%", LE, 0, "%", True)
    assert parse_target(0.0) == num("0", LE, 0, None, True)


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), True, False,
                                 dt.datetime(2022, 12, 31), dt.date(2022, 1, 1), object()])
def test_odd_cell_types_are_text(raw):
    assert parse_target(raw).kind == "text"
    assert parse_actual(raw).kind == "text"
    assert parse_number(raw) is None


def test_datetime_text():
    assert parse_actual(dt.datetime(2022, 12, 31)).text == "2022-12-31"


# Unit column and nature --------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "fmt", "unit", "want_value", "want_unit"), [
    ("95", "General", "%", "95", "%"),
    ("95", "General", "百分比", "95", "%"),
    (95, "General", "%", "95", "%"),
    (0.95, "0%", "%", "95", "%"),
    (0.95, "General", "%", "0.95", "%"),  # not %-formatted: not guessed
    ("≥95%", "General", "人", "95", "%"),  # written unit wins
    ("550", "General", "元", "550", "元"),
    ("6", "General", "月", "6", "个月"),
    ("6", "General", "（万元）", "6", "万元"),
])
def test_unit_column(raw, fmt, unit, want_value, want_unit):
    t = parse_target(raw, fmt, unit=unit)
    assert (t.value, t.unit) == (D(want_value), want_unit)
    a = parse_actual(raw, fmt, unit=unit)
    assert (a.value, a.unit) == (D(want_value), want_unit)


def test_range_takes_unit_column():
    assert parse_target("6-9", unit="月") == rng("6-9", 6, 9, "个月")


def test_relative_bare_magnitude_uses_indicator_unit():
    assert parse_target("较上年提高2", unit="%").unit == "百分点"
    assert parse_target("较上年增加100", unit="人").unit == "人"
    assert parse_target("较上年提高2%", unit="%").unit == "%"
    assert parse_actual("增长2", unit="%") == chg("增长2", 2, "百分点")


@pytest.mark.parametrize(("raw", "nature", "kind", "op", "implicit"), [
    ("95", "≥", "number", GE, False),
    ("95", ">=", "number", GE, False),
    ("95", "＞＝", "number", GE, False),
    ("95%", "=", "number", EQ, False),
    ("0", "≥", "number", GE, False),
    ("≥95%", "≤", "number", LE, False),  # nature wins; caller reports via written_op
    ("95%", "定性", "text", None, False),
    ("符合", "≥", "text", None, False),
    ("6-9个月", "区间", "range", RANGE, False),
    ("6-9个月", "≥", "range", RANGE, False),  # a written range is not broken up
    ("95", "区间", "number", GE, True),  # no range to read: caller reports
    ("不低于上年", "≤", "relative", LE, False),
    ("95", None, "number", GE, True),
    ("95", "", "number", GE, True),
    ("95", "  ", "number", GE, True),
])
def test_nature(raw, nature, kind, op, implicit):
    t = parse_target(raw, nature=nature)
    assert (t.kind, t.op, t.implicit) == (kind, op, implicit)


def test_nature_helpers():
    assert nature_op("≥") is GE and nature_op(">=") is GE and nature_op("区间") is RANGE
    assert nature_op("定性") is None and nature_op(None) is None and nature_op("乱写") is None
    assert is_qualitative_nature("定性") and not is_qualitative_nature("≥")


@pytest.mark.parametrize(("raw", "op"), [
    ("≥95%", GE), ("95%以上", GE), ("不低于上年", GE), ("6-9", RANGE), ("＝100%", EQ),
    ("95", None), ("0", None), ("约95%", None), ("符合", None), (0.95, None),
])
def test_written_op(raw, op):
    assert written_op(raw) == op


# parse_number / parse_percent -------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "fmt", "want"), [
    ("1,038.00", "General", "1038"), ("１２", "General", "12"), (" 5 ", "General", "5"),
    ("5分", "General", "5"), ("10%", "General", "10"), ("9.21", "General", "9.21"),
    ("490.06万元", "General", "490.06"), ("￥1,038.00", "General", "1038"), ("-3", "General", "-3"),
    (3.0, "General", "3"), (4, "General", "4"), (0.1, "0%", "10"), (D("2.50"), "General", "2.5"),
    (0.1 + 0.2, "General", "0.30000000000000004"),
])
def test_parse_number(raw, fmt, want):
    assert parse_number(raw, fmt) == D(want)


@pytest.mark.parametrize("raw", [None, "", "abc", "≥5", "约5", "5-6", True, "1,2"])
def test_parse_number_rejects(raw):
    assert parse_number(raw) is None


@pytest.mark.parametrize(("raw", "fmt", "want"), [
    ("90%", "General", "90"), ("９０％", "General", "90"), ("90", "General", "90"),
    (0.9, "0%", "90"), (0.9, "General", "0.9"), ("≥90%", "General", "90"), ("9‰", "General", "0.9"),
    ("93.77%", "General", "93.77"), (1, "0.00%", "100"),
])
def test_parse_percent(raw, fmt, want):
    assert parse_percent(raw, fmt) == D(want)


@pytest.mark.parametrize("raw", [None, "abc", "90人", "", "符合"])
def test_parse_percent_rejects(raw):
    assert parse_percent(raw) is None


# Units, conversion, formatting ----------------------------------------------------------------
@pytest.mark.parametrize(("raw", "want"), [
    ("%", "%"), ("％", "%"), ("百分比", "%"), ("(%)", "%"), ("（%）", "%"), ("‰", "‰"),
    ("人次", "人次"), ("人", "人"), ("名", "人"), ("个月", "个月"), ("月", "个月"), ("天", "天"),
    ("日", "天"), ("万元", "万元"), ("元/人", "元/人"), ("万元/人", "万元/人"), ("个百分点", "百分点"),
    ("千米", "公里"), ("km", "公里"), ("车次", "车次"), ("", None), ("  ", None), (None, None),
])
def test_canonical_unit(raw, want):
    assert canonical_unit(raw) == want


@pytest.mark.parametrize(("value", "src", "dst", "want"), [
    ("1", "万元", "元", "10000"), ("10000", "元", "万元", "1"), ("3", "亿元", "万元", "30000"),
    ("5", "‰", "%", "0.5"), ("95", "%", "‰", "950"), ("6", "月", "个月", "6"), ("2", "日", "天", "2"),
    ("2", "万元/人", "元/人", "20000"), ("7", None, "人", "7"), ("7", "人", None, "7"),
    ("1.5", "公里", "米", "1500"), ("5", "百分比", "%", "5"),
])
def test_convert(value, src, dst, want):
    assert convert(D(value), src, dst) == D(want)


@pytest.mark.parametrize(("src", "dst"), [
    ("人", "人次"), ("次", "元"), ("%", "百分点"), ("个月", "年"), ("天", "小时"),
])
def test_convert_incompatible(src, dst):
    assert convert(D(1), src, dst) is None


@pytest.mark.parametrize(("d", "want"), [
    ("97.5", "97.5"), ("100.00", "100"), ("1038", "1038"), ("1E+3", "1000"), ("-0", "0"),
    ("0.0010", "0.001"), ("97.50", "97.5"), ("-2.50", "-2.5"),
])
def test_format_decimal(d, want):
    assert format_decimal(D(d)) == want


@pytest.mark.parametrize("raw", [
    "缺省", "不适用", "无", "-", "—", "–", "/", "N/A", "n/a", "NA", "ｎ／ａ", "不涉及", "——", " 缺省 ",
    "缺省（市县级不涉及）", "按缺省处理",
])
def test_is_not_applicable(raw):
    assert is_not_applicable(raw)


@pytest.mark.parametrize("raw", ["符合", "0", 0, None, "", "无锡", "95%", "无重复参保"])
def test_is_applicable(raw):
    assert not is_not_applicable(raw)


# Properties ---------------------------------------------------------------------------------------
FORMATS = st.one_of(st.sampled_from(["General", "0%", "0.00%", "#,##0.00", '0"%"', "0\\%", "@", ""]),
                    st.text(max_size=12))
CELLS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(),
                  st.decimals(), st.datetimes(), st.dates())


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_never_raises_on_text(s):
    t, a = parse_target(s), parse_actual(s)
    assert t.kind in ("number", "range", "relative", "text")
    assert a.kind in ("number", "change", "na", "text")
    parse_number(s), parse_percent(s), is_not_applicable(s), canonical_unit(s), written_op(s)
    if t.kind == "range":
        assert t.low <= t.high


@settings(max_examples=300, deadline=None)
@given(CELLS, FORMATS, st.one_of(st.none(), st.text(max_size=4), st.sampled_from(["≥", "区间", "定性"])),
       st.one_of(st.none(), st.text(max_size=4)))
def test_never_raises_on_cells(raw, fmt, nature, unit):
    parse_target(raw, fmt, nature, unit)
    parse_actual(raw, fmt, unit)
    parse_number(raw, fmt)
    parse_percent(raw, fmt)
    parse_amount(raw, fmt, unit)
    display_text(raw, unit)
    year_text(raw)
    displayed_places(raw, fmt)
    _inner_parsers_accept(raw, fmt, nature, unit)


def _inner_parsers_accept(raw, fmt, nature=None, unit=None):
    """The inner parsers, without the public wrappers' safety net: a parser bug fails here
    instead of turning a cell silently into text."""
    from xlreport.core import values

    values._parse_target(raw, fmt, nature, unit)
    values._parse_actual(raw, fmt, unit)
    values._parse_number(raw, fmt)
    values._parse_percent(raw, fmt)
    values._parse_amount(raw, fmt, unit)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_inner_parsers_never_raise_on_text(s):
    from xlreport.core import values

    values._parse_target(s, "General", None, None)
    values._parse_actual(s, "General", None)
    values._parse_number(s, "General")
    values._parse_percent(s, "General")
    values._parse_amount(s, "General", None)


OP_SPELLINGS = [("≥", GE), ("≧", GE), (">=", GE), ("大于等于", GE), ("不低于", GE), ("不少于", GE),
                ("≤", LE), ("<=", LE), ("不超过", LE), ("不高于", LE), (">", GT), ("大于", GT),
                ("高于", GT), ("<", LT), ("小于", LT), ("低于", LT), ("=", EQ), ("＝", EQ), ("等于", EQ)]
DECIMALS = st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=250, deadline=None)
@given(st.sampled_from(OP_SPELLINGS), DECIMALS)
def test_roundtrip_operator_number_percent(spelling, d):
    s, op = spelling
    t = parse_target(f"{s}{d}%")
    assert (t.kind, t.op, t.value, t.unit, t.implicit) == ("number", op, d, "%", False)
    assert written_op(f"{s}{d}%") is op


@settings(max_examples=200, deadline=None)
@given(DECIMALS.filter(lambda d: d > 0), st.sampled_from(["", "%", "人", "万元", "个月", "次"]))
def test_roundtrip_bare_number_is_at_least(d, unit):
    t = parse_target(f"{format_decimal(d)}{unit}")
    assert (t.kind, t.op, t.value, t.unit or "", t.implicit) == ("number", GE, d, unit, True)
    a = parse_actual(f"{format_decimal(d)}{unit}")
    assert (a.kind, a.value, a.unit or "") == ("number", d, unit)


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(OP_SPELLINGS), DECIMALS, st.sampled_from(["%", "人", "次", ""]))
def test_full_width_reads_like_half_width(spelling, d, unit):
    half = f"{spelling[0]} {d}{unit}"
    a, b = parse_target(half), parse_target(_full_width(half))
    assert (a.kind, a.op, a.value, a.unit) == (b.kind, b.op, b.value, b.unit)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False))
def test_percent_formatted_float_is_exact(d):
    x = float(d.scaleb(-2))
    a = parse_actual(x, "0.00%")
    assert (a.kind, a.value, a.unit) == ("number", d, "%")
    assert parse_percent(x, "0%") == d


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=0, max_value=10**6),
       st.sampled_from(["-", "~", "～", "至", "到", "—"]), st.sampled_from(["", "个月", "%", "天"]))
def test_roundtrip_range(a, b, sep, unit):
    t = parse_target(f"{a}{sep}{b}{unit}")
    assert (t.kind, t.low, t.high, t.unit or "") == ("range", D(min(a, b)), D(max(a, b)),
                                                      canonical_unit(unit) or "")


@pytest.mark.parametrize(("raw", "want"), [
    ("不低於95%", num("不低於95%", GE, 95, "%")),
    ("較上年提高", rel("較上年提高", GT, 0)),
    ("100%覆盖", num("100%覆盖", GE, 100, "%", True)),
    ("≥95%（省定标准）", num("≥95%（省定标准）", GE, 95, "%")),
    ("5%以下（不含）", num("5%以下（不含）", LT, 5, "%")),
    ("10个工作日内办结", num("10个工作日内办结", LE, 10, "工作日")),
    ("2次/年", num("2次/年", GE, 2, "次/年", True)),
    ("≥ 95 %", num("≥ 95 %", GE, 95, "%")),
    ("≥-5%", num("≥-5%", GE, -5, "%")),
    ("≥95%的目标", txt("≥95%的目标")),
    ("≥90%，≤100%", rng("≥90%，≤100%", 90, 100, "%")),
])
def test_more_targets(raw, want):
    assert parse_target(raw) == want


def test_nature_may_be_an_op():
    assert parse_target("95", nature=Op.LE).op is LE
    assert parse_target("6-9", nature=Op.RANGE).kind == "range"


@pytest.mark.parametrize("raw", ["(" * 100_000, "1" * 100_000, "上年" * 50_000, "提高" * 50_000 + "5%",
                                 "1-" * 50_000, "≥" * 50_000 + "5"])
def test_huge_input_is_text_and_fast(raw):
    assert parse_target(raw).kind == "text"
    assert parse_actual(raw).kind in ("text", "na")
    assert parse_number(raw) is None


def test_convert_ignores_a_period_suffix():
    from decimal import Decimal

    from xlreport.core.values import convert

    assert convert(Decimal(2), "次", "次/年") == Decimal(2)
    assert convert(Decimal(2), "人", "次/年") is None


@pytest.mark.parametrize("text,op,value", [
    ("95%及以上（含95%）", Op.GE, D(95)),
    ("90%以上(不含90%)", Op.GT, D(90)),
    ("≤5天（不含5天）", Op.LT, D(5)),
])
def test_inclusive_notes(text, op, value):
    target = parse_target(text)
    assert (target.kind, target.op, target.value) == ("number", op, value)


@pytest.mark.parametrize("text,low,high,unit", [
    ("[90%,100%]", D(90), D(100), "%"),
    ("≥98%且≤100%", D(98), D(100), "%"),
    ("≥2次且≤5次", D(2), D(5), "次"),
])
def test_two_bounds_make_a_range(text, low, high, unit):
    target = parse_target(text)
    assert (target.kind, target.low, target.high, target.unit) == ("range", low, high, unit)


@pytest.mark.parametrize("text", ["1,038.00", "≥1,000", "≥12,000人"])
def test_thousands_separators_are_not_two_bounds(text):
    assert parse_target(text).kind == "number"


# Issue 10: display, amounts, years, precision ---------------------------------------------------
@pytest.mark.parametrize("text,unit,shown", [
    ("≥９５％", None, "≥95%"), ("≥９５％", "%", "≥95%"), ("≥100百分比", None, "≥100%"), ("95", "百分比", "95%"),
    ("≥95%%", None, "≥95%"), ("6-9", "个月", "6-9个月"), ("显著提升", "%", "显著提升"), ("≧90％", None, "≥90%"),
    ("═100%", None, "=100%"), ("≥1000人次", "人次", "≥1000人次"),
])
def test_display_text(text, unit, shown):
    assert display_text(text, unit) == shown


@pytest.mark.parametrize("raw,fmt,unit,expected", [
    ("1,000,000.00元", "General", None, (D(100), "元")),
    ("391万元", "General", "元", (D(391), "万元")),
    (1000000, "General", "元", (D(100), None)),
    (1000000, '#,##0.00"元"', None, (D(100), "元")),
    (5, "General", None, (D(5), None)),
    ("2亿元", "General", None, (D(20000), "亿元")),
    ("5人", "General", None, (None, None)),
    ("约5万元", "General", None, (None, None)),
])
def test_parse_amount(raw, fmt, unit, expected):
    assert parse_amount(raw, fmt, unit) == expected


@pytest.mark.parametrize("raw,year", [
    (dt.datetime(2022, 1, 1), "2022"), (dt.date(2023, 12, 31), "2023"), (2022, "2022"), (2022.0, "2022"),
    ("2022年", "2022"), ("（2022年度）", "2022"), ("２０２２", "2022"), ("二〇二二", "二〇二二"), (None, ""),
])
def test_year_text(raw, year):
    assert year_text(raw) == year


@pytest.mark.parametrize("raw,fmt,places", [
    (0.8619, "0.00%", 2), (0.862, "0.0%", 1), (0.86, "0%", 0), ("86.19%", "General", 2), ("86.2%", "General", 1),
    (86.19, "General", 2), (0.8618300000000001, "General", 4), (86, "0.00", 2),
])
def test_displayed_places(raw, fmt, places):
    assert displayed_places(raw, fmt) == places


def test_same_at_display():
    exact = D(10342) / D(120)  # 86.18333…
    assert not same_at_display(D("86.19"), exact, 2)
    assert same_at_display(D("86.18"), exact, 2) and same_at_display(D("86.2"), exact, 1)
    assert same_at_display(D(86), exact, 0)
