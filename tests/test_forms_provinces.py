"""Official 自评表 laid out as provinces publish them, scored exactly per the national rules.

Each form copies the layout, header words and quirks of a published table (source in the
docstring of its builder); the figures are a unit's, the expected scores are worked out by hand
(财预〔2020〕10号: 比例 w×A/T for ≥, w×T/A for ≤, 定性 达成 100% / 部分达成 70%, 执行率 w×rate).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from form_factory import grid_form
from xlsx_compare import cell_facts

from xlreport.core import schema
from xlreport.pipeline import build_file
from xlreport.wording import wording

NOW = datetime(2023, 3, 1, 9, 0, 0)
_ = None


def anhui_chizhou():
    """池州市贵池区 项目支出绩效自评表（2022年度）, the national layout as published
    (http://www.anthempetcare.com/upload_cz/download?id=502364&siteId=2): '年度资金总额：' with a
    colon, '其中：本年财政拨款', '产出指标（50分）' in the merged 一级 cell, '≥100百分比', an
    empty 经济效益指标 row, a 绩效指标 column merged down the block, a 总分 row."""
    rows = [
        ["附件："],
        ["项目支出绩效自评表"],
        ["（2022年度）"],
        ["项目名称", "委托业务项目"],
        ["主管部门", "219-池州市贵池区棠溪镇人民政府", _, _, _, "实施单位", "219001-池州市贵池区棠溪镇人民政府"],
        ["项目资金（万元）", _, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [_, "年度资金总额：", 90, 90, 89.974, 10, _, _],
        [_, "其中：本年财政拨款", 90, 90, 89.974, "—", _, "—"],
        [_, "上年结转资金", _, _, _, "—", _, "—"],
        [_, "其他资金", _, _, _, "—", _, "—"],
        ["年度总体目标", "预期目标", _, _, _, "实际完成情况"],
        [_, "本项目共申请预算资金90万元，用于基建工程项目预算编制、审计、设计规划测绘。", _, _, _,
         "本项目共完成预算资金89.97万元。"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        [_, "产出指标（50分）", "数量指标", "基建工程委托业务项目数量", "≥50个", "48个", 8, 8, "部分项目延至下年"],  # 7.68
        [_, _, "质量指标", "委托业务报告合格率", "≥100百分比", 100, 8, 8],  # 8
        [_, _, _, "经费支出合规性", "严格执行相关制度规定", "达成预期指标", 8, 8],  # 8
        [_, _, "时效指标", "提交报告及时性", "在项目计划完成时间内完成", "达成预期指标", 8, 8],  # 8
        [_, _, "成本指标", "项目总成本", "≤90万元", 89.974, 8, 8],  # 8
        [_, _, _, "单项业务成本", "符合相关规定", "达成预期指标", 10, 10],  # 10
        [_, "效益指标（30分）", "社会效益指标", "对维护基建市场公平的影响程度", "效果明显", "达成预期指标", 10, 10],
        [_, _, "生态效益指标", "对控制基建项目成本影响程度", "效果明显", "达成预期指标", 10, 10],
        [_, _, "可持续影响指标", "对推动基建项目“四项制度”健全和落实的持续性影响", "效果明显", "达成预期指标", 10, 10],
        [_, _, "经济效益指标"],
        [_, "满意度指标（10分）", "满意度指标", "公众满意度", "≥90%", "95%", 10, _],  # 10, unit left blank
        ["总分", _, _, _, _, _, 100, _],
    ]
    merges = ("A2:I2", "A3:I3", "B4:I4", "B5:E5", "G5:I5", "A6:A10", "A11:A12", "B11:E11", "F11:I11",
              "B12:E12", "F12:I12", "A13:A24", "B14:B19", "B20:B23", "C15:C16", "C18:C19", "A25:F25")
    expected = [Decimal("7.68"), 8, 8, 8, 8, 10, 10, 10, 10, 10]
    return grid_form(rows, merges), expected, Decimal("10.00"), Decimal("99.68")


def hubei_school():
    """湖北工程学院 学生资助项目绩效目标自评表 (https://m.777doc.com/doc-4336759.html): the title
    carries the year, '预算执行情况（万元）（10分）' over 预算数（A）| 执行数（B）| 执行率（B/A）|
    得分（10分*执行率）, a 年度财政资金总额 row, a 年初目标值（A）column, a 总分 box on the
    second line, ☑ check boxes for 项目类别, a 合计 row whose 分值 includes the budget's 10."""
    rows = [
        ["2022年学生资助项目绩效目标自评表"],
        ["填报日期：2023年3月10日", _, _, _, _, "总分：", _, _],
        ["项目名称", "湖北工程学院2022年学生资助项目"],
        ["主管部门", "湖北省教育厅", _, _, "项目实施单位", "湖北工程学院"],
        ["项目类别", "1.部门预算项目☑  2.省直专项□  3.省对下转移支付项目□"],
        ["预算执行情况（万元）（10分）", _, "预算数（A）", "执行数（B）", "执行率（B/A）", "得分（10分*执行率）"],
        ["年度财政资金总额", _, 1180.5, 1165.32, _, _],
        ["一级指标", "二级指标", "三级指标", "年初目标值（A）", "实际完成值（B）", "分值", "得分", "偏差原因分析及改进措施"],
        ["产出指标（50分）", "数量指标", "国家奖学金人数", "≥35人", "33人", 10, 10,
         "因全校总人数减少，总指标数减少，但奖励、资助比例没减少"],  # 9.43, the unit typed 10
        [_, _, "国家励志奖学金人数", "≥520人", "526人", 10, 10],
        [_, _, "国家助学金人数", "≥3900人", "3950人", 10, 10],
        [_, "成本指标", "国家奖学金人均资助", "＝0.8万元", "0.8万元", 10, 10],
        [_, _, "国家助学金人均资助", "≤0.33万元", "0.33万元", 10, 10],
        ["效益指标（30分）", "社会效益指标", "资金发放率", "100%", "100%", 15, 15],
        [_, _, "困难生完成学业率", "≥９８％", "97.5%", 15, 15],  # 14.92, the unit typed 15
        ["满意度指标（10分）", "服务对象满意度指标", "学生满意度", "≥90%", "96.3%", 10, _],
        ["合计", _, _, _, _, 100, _],
    ]
    merges = ("A1:H1", "B3:H3", "B4:D4", "F4:H4", "B5:H5", "A6:B6", "A7:B7", "A9:A13", "B9:B11", "B12:B13",
              "A14:A15", "B14:B15", "A17:E17")
    expected = [Decimal("9.43"), 10, 10, 10, 10, 15, Decimal("14.92"), 10]
    return grid_form(rows, merges), expected, Decimal("9.87"), Decimal("99.22")


def sichuan_deyang():
    """四川 部门预算项目支出绩效自评表 as a Deyang unit published it
    (https://dyrmt.com/article-132779-22.html): four indicators of 22.5 points, 指标性质 '=' and
    '≤' in their own column, a 合计 row showing 100, then 评价结论 / 存在问题 / 改进措施 and a
    signature row '项目负责人：  财务负责人：'."""
    rows = [
        ["部门预算项目支出绩效自评表"],
        ["（2022年度）"],
        ["项目名称", "职工社会保险缴费"],
        ["主管部门", "德阳市某局", _, _, _, "实施单位", "德阳市某局机关"],
        ["预算执行情况（10分）", "年度预算数（万元）", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因"],
        [_, "总额", 36.8, 38.6, 38.6, _, 10, _],
        [_, "其中：财政资金", 36.8, 38.6, 38.6],
        [_, "财政专户管理资金", 0, 0, 0],
        [_, "单位资金", 0, 0, 0],
        [_, "其他资金", 0, 0, 0],
        ["年度总体目标", "预期目标", _, _, _, "实际完成情况"],
        [_, "按时足额缴纳职工社会保险。", _, _, _, "及时、足额缴纳。"],
        ["绩效指标（90分）", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"],
        [_, "产出指标", "数量指标", "足额保障率", "=", 100, "%", 100, 22.5, 22.5],
        [_, _, _, "科目调整次数", "≤", 10, "次", 12, 22.5, 22.5, "人员变动调整科目"],  # 18.75, the unit typed 22.5
        [_, _, "时效指标", "按时发放率", "=", 100, "%", 100, 22.5, 22.5],
        [_, "效益指标", "经济效益指标", "结余率（计算方法为：结余数/预算数）", "≤", 5, "%", 3.2, 22.5, 22.5],
        ["合计", _, _, _, _, _, _, _, 100, _],
        ["评价结论", "及时、足额缴纳。"],
        ["存在问题", "暂无"],
        ["改进措施", "暂无"],
        ["项目负责人：", _, _, _, _, "财务负责人："],
    ]
    merges = ("A1:K1", "A2:K2", "B3:K3", "B4:E4", "G4:K4", "A5:A10", "A11:A12", "B11:E11", "F11:K11",
              "B12:E12", "F12:K12", "A13:A17", "B14:B16", "C14:C15", "A18:H18", "B19:K19", "B20:K20", "B21:K21")
    expected = [Decimal("22.5"), Decimal("18.75"), Decimal("22.5"), Decimal("22.5")]
    return grid_form(rows, merges), expected, Decimal("10.00"), Decimal("96.25")


def yunnan_department():
    """云南 部门整体支出绩效自评表 as published with the 2023 决算 of 临沧市政务服务管理局
    (http://bongotimes.com/info/4561/1229214.html mirrors the 临沧市财政局 page): 部门（单位）名称,
    a 年度主要任务 block (任务名称 | 主要内容), funds 按收入性质分 / 按支出性质分 under the total,
    a 年度总体目标 row, then indicators and 总分 with a signature line."""
    rows = [
        ["部门整体支出绩效自评表"],
        ["（2023年度）"],
        ["部门（单位）名称", "临沧市政务服务管理局"],
        ["年度主要任务", "任务名称", _, "主要内容"],
        [_, "政务服务大厅运行", _, "保障市民服务中心政务服务大厅正常运转。"],
        [_, "12345热线运行", _, "受理群众诉求，按时办结。"],
        ["年度部门整体支出预算执行情况（万元）", _, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [_, "年度资金总额", 1250.6, 1320.45, 1287.3, 10, _, _],
        [_, "按收入性质分："],
        [_, "其中：一般公共预算财政拨款", 1150.6, 1220.45, 1190.1],
        [_, "政府性基金预算财政拨款", 0, 0, 0],
        [_, "其他资金", 100, 100, 97.2],
        [_, "按支出性质分："],
        [_, "其中：基本支出", 850.6, 880.45, 875.3],
        [_, "项目支出", 400, 440, 412],
        ["年度总体目标", "预期目标", _, _, _, "实际完成情况"],
        [_, "推进政务服务标准化、规范化、便利化。", _, _, _, "全面完成年度目标。"],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        [_, "产出指标", "数量指标", "政务服务事项进驻率", "≥95%", "98%", 15, 15],
        [_, _, "质量指标", "办件按时办结率", "≥98%", "96.5%", 15, 14.77, "个别事项需补正材料"],  # 14.77
        [_, _, "时效指标", "热线工单按时回复率", "＝100%", "100%", 10, 10],
        [_, _, "成本指标", "“三公”经费控制数", "≤12万元", "10.8万元", 10, 10],
        [_, "效益指标", "社会效益指标", "“一网通办”能力", "显著提升", "显著提升", 15, 15],
        [_, _, "可持续影响指标", "政务服务制度建设", "健全", "基本健全", 15, 15, "制度仍需完善"],  # 10.5, typed 15
        [_, "满意度指标", "服务对象满意度指标", "办事群众满意度", "≥90%", 0.985, 10, 10],
        ["总分", _, _, _, _, _, 100, _],
        ["单位负责人：", _, _, "填报人：", _, _, "联系电话：0883-2121234"],
    ]
    merges = ("A1:I1", "A2:I2", "B3:I3", "A4:A6", "B4:C4", "D4:I4", "B5:C5", "D5:I5", "B6:C6", "D6:I6",
              "A7:A15", "A16:A17", "B16:E16", "F16:I16", "B17:E17", "F17:I17", "A18:A25", "B19:B22",
              "B23:B24", "A26:F26")
    expected = [15, Decimal("14.77"), 10, 10, 15, Decimal("10.5"), 10]
    return grid_form(rows, merges, formats={"F25": "0.0%"}), expected, Decimal("9.75"), Decimal("95.02")


def guangdong_export():
    """A 项目支出绩效自评表 exported from a 预算管理一体化系统 (广东 style columns): '金额单位：元'
    above the block, amounts in 元 with thousands separators, 资金来源 | … | 权重, indicator columns
    指标方向 | 年度指标值 | 计量单位 | 实际完成值 | 权重 | 得分 | 评分标准 | 扣分原因 | 备注, and a
    综合得分 row. Layout after the 广东省财政厅 一体化 export; no single published file."""
    rows = [
        ["2023年度项目支出绩效自评表"],
        [_, _, _, _, _, _, _, _, _, _, _, "金额单位：元"],
        ["项目名称", "政务云服务费", _, _, _, "项目编码", "44000022T000000123456"],
        ["主管部门", "广东省政务服务和数据管理局", _, _, _, "实施单位", "广东省数字政府运营中心"],
        ["资金来源", _, "年初预算数", "全年预算数", "全年执行数", "权重", "执行率", "得分"],
        ["资金总额", _, 12500000, 12000000, 11480000, 10, _, _],
        ["财政拨款", _, 12500000, 12000000, 11480000],
        ["其他资金", _, 0, 0, 0],
        ["年度总体目标", "保障省级政务云稳定运行，支撑政务应用上云。"],
        ["一级指标", "二级指标", "三级指标", "指标方向", "年度指标值", "计量单位", "实际完成值", "权重", "得分",
         "评分标准", "扣分原因", "备注"],
        ["产出指标", "数量指标", "云服务器资源保障台数", "≥", 1200, "台", 1260, 20, 20, "达到目标值得满分"],
        [_, "质量指标", "系统可用率", "≥", 99.9, "%", 99.5, 20, 19.92, "按完成比例计分", "两次计划外中断"],
        [_, "时效指标", "故障响应时间", "≤", 30, "分钟", 25, 10, 10, "达到目标值得满分"],
        ["效益指标", "社会效益指标", "支撑政务应用数量", "≥", 150, "个", 138, 20, 18, "按完成比例计分", "部分应用迁移延后"],
        ["满意度指标", "服务对象满意度指标", "使用单位满意度", "≥", 90, "%", 93, 20, _, "达到目标值得满分"],
        ["综合得分", _, _, _, _, _, _, 100, _],
    ]
    merges = ("A1:L1", "B3:E3", "G3:L3", "B4:E4", "G4:L4", "A5:B5", "A6:B6", "A7:B7", "A8:B8", "B9:L9",
              "A11:A13", "A16:G16")
    fmt = {f"{c}{r}": "#,##0.00" for c in "CDE" for r in (6, 7, 8)}
    expected = [20, Decimal("19.92"), 10, Decimal("18.40"), 20]
    return grid_form(rows, merges, formats=fmt), expected, Decimal("9.57"), Decimal("97.89")


FORMS = {"anhui": anhui_chizhou, "hubei": hubei_school, "sichuan": sichuan_deyang,
         "yunnan_department": yunnan_department, "guangdong": guangdong_export}


def _build(tmp_path, kind):
    wb, expected, budget, total = FORMS[kind]()
    path = tmp_path / f"{kind}.xlsx"
    wb.save(path)
    out = tmp_path / f"out_{kind}.xlsx"
    return path, out, build_file(path, output=out, report=False, now=NOW), expected, budget, total


@pytest.mark.parametrize("kind", FORMS)
def test_province_form_is_scored_exactly(tmp_path, kind):
    path, out, outcome, expected, budget, total = _build(tmp_path, kind)
    ev = outcome.evaluation
    assert ev is not None, outcome.failure and outcome.failure.message
    assert outcome.exit_code == 0, [p.text for p in ev.errors]
    assert [r.final for r in ev.indicators] == [Decimal(x) for x in expected]
    assert ev.budget.score == budget
    assert ev.total == total and ev.grade == "优"
    # the form: 建议得分 on every indicator row, the budget row and the total row
    before = openpyxl.load_workbook(path).worksheets[0]
    wb = openpyxl.load_workbook(out)
    ws = wb[before.title]
    header = next(r.source.row for r in ev.indicators) - 1
    while not any(ws.cell(header, c).value == "三级指标" for c in range(1, 6)):
        header -= 1
    sug = next(c for c in range(1, ws.max_column + 1) if ws.cell(header, c).value == "建议得分")
    assert [Decimal(str(ws.cell(r.source.row, sug).value)) for r in ev.indicators] == [Decimal(x) for x in expected]
    sums = [ws.cell(r, sug).value for r in range(header + 1, ws.max_row + 1)
            if str(ws.cell(r, 1).value or "").strip() in ("总分", "合计", "综合得分")]
    assert sums and Decimal(str(sums[0])) == total
    # 评分结果 carries the same total
    scores = wb[schema.SHEET_SCORES]
    values = [c.value for row in scores.iter_rows() for c in row if c.value is not None]
    assert float(total) in values or str(total) in [str(v) for v in values]
    # every cell the unit typed is unchanged (value, format, font; a highlighted cell keeps its value)
    marked = {p.cell for p in ev.problems if p.sheet == before.title and p.cell}
    for row in before.iter_rows():
        for c in row:
            if c.value is None:
                continue
            after = cell_facts(ws[c.coordinate])
            facts = cell_facts(c)
            if c.coordinate in marked:
                assert after[:2] == facts[:2] and after[3:] == facts[3:], c.coordinate
            else:
                assert after == facts, c.coordinate


@pytest.mark.parametrize("kind", FORMS)
def test_province_form_slips_are_named(tmp_path, kind):
    """Where the unit's own 得分 differs from the rules, a warning names both figures."""
    _, _, outcome, expected, _, _ = _build(tmp_path, kind)
    ev = outcome.evaluation
    differs = [p.message for p in ev.problems if p.code == "form-score-differs"]
    slips = {"anhui": ("基建工程委托业务项目数量", "7.68"), "hubei": ("困难生完成学业率", "14.92"),
             "sichuan": ("科目调整次数", "18.75"), "yunnan_department": ("政务服务制度建设", "10.5"),
             "guangdong": ("支撑政务应用数量", "18.4")}
    name, figure = slips[kind]
    assert any(name in m and figure in m for m in differs), differs


def test_export_in_yuan_under_a_money_note_is_read_in_wan_yuan(tmp_path):
    """'金额单位：元' under the title: 12,000,000 is 1200万元, never 12000000万元 nor an error."""
    _, _, outcome, *_ = _build(tmp_path, "guangdong")
    ev = outcome.evaluation
    assert (ev.budget.annual, ev.budget.executed, ev.budget.rate) == (1200, 1148, Decimal("95.67"))
    assert not any(p.code.startswith("budget-unit") for p in ev.problems)
    # the reason typed under 扣分原因 is the deviation analysis: no warning that it is missing
    assert not any(p.code == "deviation-missing" and "系统可用率" in p.message for p in ev.problems)


def test_anhui_total_row_typed_as_zero_is_named_against_its_sub_rows(tmp_path):
    """As published, Chizhou's 年度资金总额 row reads 0 / 0 / 0 while 其中：本年财政拨款 holds
    90 / 89.974: the 执行率 cannot be computed, and the sub-row that disagrees is named."""
    wb, *_ = anhui_chizhou()
    ws = wb.active
    ws["C7"], ws["D7"], ws["E7"] = 0, 0, 0
    path = tmp_path / "zero.xlsx"
    wb.save(path)
    outcome = build_file(path, output=tmp_path / "o.xlsx", report=False, now=NOW)
    found = {p.code: p for p in outcome.evaluation.problems}
    assert outcome.exit_code == 1 and outcome.evaluation.total is None
    assert found["budget-missing"].cell == "D7" and found["budget-missing"].sheet == "Sheet1"
    subrows = [p.message for p in outcome.evaluation.problems if p.code == "budget-subrows"]
    assert any("90万元" in m and "0万元" in m for m in subrows), subrows


def test_system_codes_are_no_part_of_the_unit_names(tmp_path):
    """Forms exported from the 一体化 system prefix names with codes ('219001-…'); the report
    names the unit without them, the cell keeps them."""
    path, out, outcome, *_ = _build(tmp_path, "anhui")
    info = outcome.evaluation.info
    assert (info.department, info.unit) == ("池州市贵池区棠溪镇人民政府", "池州市贵池区棠溪镇人民政府")
    assert openpyxl.load_workbook(out).worksheets[0]["G5"].value == "219001-池州市贵池区棠溪镇人民政府"


@pytest.mark.parametrize(("kind", "row", "note"), [
    ("sichuan", 1, "实际完成12次，超过10次的上限"),
    ("guangdong", 2, "实际完成25分钟，未超过30分钟的上限"),
    ("anhui", 4, "实际完成89.974万元，未超过90万元的上限"),  # a bare number read in the target's unit
    ("anhui", 1, "实际完成100%，达到年度指标值（≥100%）"),  # '≥100百分比' against a bare 100
])
def test_operator_in_its_own_column_is_shown_with_the_target(tmp_path, kind, row, note):
    """指标性质/指标方向 in its own column: '未达到10次的目标' for 12 against ≤10 would read wrong."""
    _, _, outcome, *_ = _build(tmp_path, kind)
    ev = outcome.evaluation
    assert wording().indicator_note(ev.indicators[row], ev.budget).startswith(note)
