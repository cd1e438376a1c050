"""Official one-sheet 自评表 (national, 部门整体支出, Sichuan, Yunnan): read, scored, written back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from form_factory import (
    DEPARTMENT_TOTAL,
    PROJECT_SCORES,
    PROJECT_TOTAL,
    department_form,
    national_form,
    save,
    sichuan_form,
    yunnan_form,
)
from xlsx_compare import cell_facts

from xlreport.core import schema
from xlreport.pipeline import build_file

NOW = datetime(2023, 3, 1, 9, 0, 0)
FORMS = {"national": national_form, "yunnan": yunnan_form, "sichuan": sichuan_form, "department": department_form}


def _build(tmp_path, data, name="form.xlsx", **kwargs):
    path = save(data, tmp_path / name)
    out = tmp_path / ("out_" + name)
    return path, out, build_file(path, output=out, report=False, now=NOW, **kwargs)


def codes(ev):
    return sorted(p.code for p in ev.problems)


@pytest.mark.parametrize("kind", FORMS)
def test_forms_are_scored_exactly(tmp_path, kind):
    _, _, outcome = _build(tmp_path, FORMS[kind]())
    ev = outcome.evaluation
    assert outcome.exit_code == 0, [p.text for p in ev.errors]
    assert [r.final for r in ev.indicators] == PROJECT_SCORES
    assert [(r.source.level1, r.source.level2) for r in ev.indicators][:2] == [("产出指标", "数量指标"), ("产出指标", "质量指标")]
    expected_total = DEPARTMENT_TOTAL if kind == "department" else PROJECT_TOTAL
    assert ev.total == expected_total and ev.grade == "优"
    assert ev.info.year == "2022" and ev.info.project
    if kind == "department":
        assert ev.info.report_type == schema.TYPE_DEPARTMENT
        assert (ev.budget.annual, ev.budget.executed, ev.budget.rate) == (520, 480, Decimal("92.31"))
        assert not any(p.code == "budget-subrows" for p in ev.problems)
    else:
        assert ev.info.report_type == schema.TYPE_PROJECT
        # 全年预算数 typed "1,200,000.00元": 120 万元, never 1200000 万元
        assert (ev.budget.annual, ev.budget.executed, ev.budget.rate) == (120, Decimal("103.42"), Decimal("86.18"))
        assert ev.budget.score == Decimal("8.62")
    assert ev.info.goal.startswith(("完成年度", "保障机关")) and ev.info.goal != "预期目标"
    # the unit's 18 for 群众就医负担 differs from the rules' 20: a warning naming both figures
    differs = [p for p in ev.problems if p.code == "form-score-differs"]
    assert any("18" in p.message and "20" in p.message and "群众就医负担" in p.message for p in differs)
    assert not any(p.code.startswith("snippet-") for p in ev.problems)


def test_full_width_target_is_shown_normalised(tmp_path):
    _, _, outcome = _build(tmp_path, national_form())
    res = outcome.evaluation.indicators[1]
    from xlreport.wording import wording

    note = wording().indicator_note(res, outcome.evaluation.budget)  # 评分说明, from the wording layer
    assert res.target_shown == "≥95%" and "95%" in note and "％" not in note and "９" not in note


def test_sichuan_total_row_covers_the_indicators(tmp_path):
    _, _, outcome = _build(tmp_path, sichuan_form())
    ev = outcome.evaluation
    total = next(p for p in ev.problems if p.code == "form-score-differs" and "合计" in p.message)
    assert "96" in total.message and "89.58" in total.message
    assert ev.input.snippets["存在的问题"].content == "参保动员不够深入。"
    assert ev.input.snippets["评价结论"].content == "项目总体完成年度目标。"


def _cells(path):
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    return ws.title, {c.coordinate: cell_facts(c) for row in ws.iter_rows() for c in row if c.value is not None}


@pytest.mark.parametrize("kind", FORMS)
def test_unit_cells_are_unchanged_and_outputs_added(tmp_path, kind):
    path, out, outcome = _build(tmp_path, FORMS[kind]())
    title, before = _cells(path)
    wb = openpyxl.load_workbook(out)
    ws = wb[title]
    marked = {(p.cell) for p in outcome.evaluation.problems if p.sheet == title and p.cell}
    for coord, facts in before.items():
        after = cell_facts(ws[coord])
        if coord in marked:  # highlighted: value, format and font stay, the fill shows the problem
            assert after[:2] == facts[:2] and after[3:] == facts[3:], coord
        else:
            assert after == facts, coord
    # 建议得分 / 评分说明 right of the form, on the header, indicator, budget and total rows
    header = next(r for r in range(1, ws.max_row + 1) if any(ws.cell(r, c).value == "三级指标" for c in range(1, 6)))
    sug = next(c for c in range(1, ws.max_column + 1) if ws.cell(header, c).value == "建议得分")
    assert ws.cell(header, sug + 1).value == "评分说明"
    assert sug > max(c for c in range(1, sug) if any(ws.cell(r, c).value is not None for r in range(1, ws.max_row + 1)))
    rows = [r.source.row for r in outcome.evaluation.indicators]
    assert [ws.cell(r, sug).value for r in rows] == [20, 19.58, 10, 20, 20]
    assert all(ws.cell(r, sug + 1).value for r in rows)
    budget_row = next(r for r in range(1, header) if str(ws.cell(r, 2).value or "") in ("年度资金总额", "总额"))
    expected_budget = 9.23 if kind == "department" else 8.62
    assert ws.cell(budget_row, sug).value == expected_budget and "执行率" in ws.cell(budget_row, sug + 1).value
    total_row = next(r for r in range(header, ws.max_row + 1) if ws.cell(r, 1).value in ("总分", "合计"))
    assert ws.cell(total_row, sug).value is not None
    # the form's own empty cells are filled: 满意度's 得分, the 执行率 and (national) the 总分
    score_col = next(c for c in range(1, sug) if ws.cell(header, c).value == "得分")
    assert ws.cell(rows[4], score_col).value == 20
    if kind != "sichuan":
        assert ws.cell(total_row, score_col).value == float(DEPARTMENT_TOTAL if kind == "department" else PROJECT_TOTAL)
    rate_col = next(c for c in range(1, ws.max_column + 1)
                    if ws.cell(budget_row - 1, c).value in ("执行率", "预算执行率")
                    or ws.cell(budget_row - 1, c).value == "执行率")
    assert ws.cell(budget_row, rate_col).value == (0.9231 if kind == "department" else 0.8618)
    assert {schema.SHEET_SCORES, schema.SHEET_PROBLEMS} <= set(wb.sheetnames)


@pytest.mark.parametrize("kind", ["national", "sichuan", "department"])
def test_building_twice_gives_the_same_result(tmp_path, kind):
    _, out, first = _build(tmp_path, FORMS[kind]())
    second = build_file(out, output=tmp_path / "again.xlsx", report=False, now=NOW)
    assert second.exit_code == first.exit_code == 0
    assert second.total == first.total
    assert codes(second.evaluation) == codes(first.evaluation)
    a, b = openpyxl.load_workbook(out), openpyxl.load_workbook(tmp_path / "again.xlsx")
    for ws in a.worksheets:
        cells_a = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
        cells_b = {c.coordinate: c.value for row in b[ws.title].iter_rows() for c in row if c.value is not None}
        assert cells_a == cells_b, ws.title


def test_rebuild_refills_cells_it_filled_when_the_data_change(tmp_path):
    _, out, _ = _build(tmp_path, national_form())
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value == "参保群众满意度")
    ws.cell(row, 6).value = "81%"  # actual: 81% against ≥90% -> 20 × 81/90 = 18
    wb.save(out)
    again = build_file(out, report=False, now=NOW)
    res = next(r for r in again.evaluation.indicators if r.name == "参保群众满意度")
    assert res.final == Decimal(18)
    assert not any(p.code == "form-score-differs" and "满意度" in p.message for p in again.evaluation.problems)
    assert openpyxl.load_workbook(out).worksheets[0].cell(row, 8).value == 18


def test_department_expense_split_is_checked(tmp_path):
    data = department_form()
    data.budget["项目支出"] = (200, 210, 170)  # 基本支出 + 项目支出 = 470, total executed 480
    _, _, outcome = _build(tmp_path, data)
    sub = [p for p in outcome.evaluation.problems if p.code == "budget-subrows"]
    assert len(sub) == 1 and "470" in sub[0].message and "480" in sub[0].message


def test_stated_rate_is_checked_at_its_displayed_precision(tmp_path):
    # 103.42 / 120 = 86.1833…%: shown with two decimals that is 86.18%, so 86.19% is a slip
    _, _, outcome = _build(tmp_path, national_form(budget_rate=0.8619))
    mismatch = [p for p in outcome.evaluation.problems if p.code == "rate-mismatch"]
    assert len(mismatch) == 1 and "86.19%" in mismatch[0].message and "86.18%" in mismatch[0].message
    _, _, ok = _build(tmp_path, national_form(budget_rate=0.8618), name="ok.xlsx")
    assert not any(p.code == "rate-mismatch" for p in ok.evaluation.problems)
    _, _, shown = _build(tmp_path, national_form(budget_rate=0.862, budget_rate_format="0.0%"), name="one.xlsx")
    assert not any(p.code == "rate-mismatch" for p in shown.evaluation.problems)  # 86.2% at one decimal


def test_yunnan_box_drawing_equals_is_equals(tmp_path):
    _, _, outcome = _build(tmp_path, yunnan_form())
    res = next(r for r in outcome.evaluation.indicators if r.name == "资金拨付及时率")
    assert res.final == Decimal(10) and not any(p.code == "nature-invalid" for p in outcome.evaluation.problems)


def test_implausible_amount_in_wan_yuan_is_an_error(tmp_path):
    data = national_form()
    data.budget["年度资金总额"] = (100, 1200000, 103.42)  # 元 meant, 万元 would be 120亿元
    _, _, outcome = _build(tmp_path, data)
    err = next(p for p in outcome.evaluation.errors if p.code == "budget-unit-unclear")
    assert "1200000" in err.message and "120亿元" in err.message and outcome.total is None


def test_form_without_budget_total_names_what_it_saw(tmp_path):
    data = national_form(budget={"资金合计数": (100, 120, 103.42), "其中：当年财政拨款": (100, 120, 103.42)})
    _, _, outcome = _build(tmp_path, data)
    p = next(p for p in outcome.evaluation.errors if p.code == "form-budget-total-missing")
    assert "“资金合计数”" in p.message and "年度资金总额" in p.message and p.cell


def test_outputs_land_in_an_empty_merged_area_right_of_the_form(tmp_path):
    path = save(national_form(), tmp_path / "form.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    ws.merge_cells(start_row=12, start_column=10, end_row=17, end_column=12)  # blank, bordered area
    wb.save(path)
    outcome = build_file(path, output=tmp_path / "out.xlsx", report=False, now=NOW)
    assert outcome.exit_code == 0
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert ws.cell(12, 10).value == "建议得分" and ws.cell(13, 10).value == 20


def test_a_variant_with_other_words_is_read_the_same(tmp_path):
    """Another province's words: 自评得分, 计划值, 全年实际值, 中央补助/地方资金, 自评等级 row, no 总分 row."""
    data = national_form(budget={"年度资金总额": (100, 120, 103.42), "其中：中央补助": (60, 80, 70),
                                 "地方资金": (40, 40, 33.42)})
    path = save(data, tmp_path / "variant.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    words = {"得分": "自评得分", "年度指标值": "计划值", "实际完成值": "全年实际值", "分值": "权重（分）",
             "偏差原因分析及改进措施": "未完成原因分析"}
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value == "三级指标")
    for c in range(1, ws.max_column + 1):
        if ws.cell(header, c).value in words:
            ws.cell(header, c).value = words[ws.cell(header, c).value]
    total_row = next(r for r in range(header, ws.max_row + 1) if ws.cell(r, 1).value == "总分")
    ws.cell(total_row, 1).value = "自评等级"
    for c in range(2, ws.max_column + 1):
        if not isinstance(ws.cell(total_row, c), openpyxl.cell.cell.MergedCell):
            ws.cell(total_row, c).value = None
    ws.cell(total_row, 7).value = "优"
    wb.save(path)
    outcome = build_file(path, output=tmp_path / "out.xlsx", report=False, now=NOW)
    ev = outcome.evaluation
    assert outcome.exit_code == 0, [p.text for p in ev.errors]
    assert [r.final for r in ev.indicators] == PROJECT_SCORES and ev.total == PROJECT_TOTAL
    assert any(p.code == "form-score-differs" and "18" in p.message for p in ev.problems)
    assert not any(p.code == "budget-subrows" for p in ev.problems)
    out = openpyxl.load_workbook(tmp_path / "out.xlsx").worksheets[0]
    assert out.cell(total_row, 7).value == "优"  # the unit's row below the block is left alone


def test_budget_scored_in_the_indicator_table_gets_no_separate_weight(tmp_path):
    """A form whose indicators already carry 100 points (预算执行率 among them) and whose budget
    block gives no 分值: the rate is not scored twice."""
    from form_factory import FormIndicator

    items = national_form().indicators
    items[0].weight = 30  # 参保人数 20 -> 30: the indicators make 100 by themselves
    items.append(FormIndicator("过程指标", "资金管理", "预算执行率", "≥90%", None, 0))
    items[-1].weight, items[0].weight = 10, 20
    data = national_form(indicators=items, budget_weight=None)
    _, _, outcome = _build(tmp_path, data)
    ev = outcome.evaluation
    assert ev.budget.weight == 0 and not any(p.code in ("budget-double-count", "weight-total") for p in ev.problems)
    rate = next(r for r in ev.indicators if r.name == "预算执行率")
    assert rate.final == Decimal("9.58")  # 10 × 86.18/90
    assert ev.total == Decimal("89.58") + Decimal("9.58")


@pytest.mark.parametrize("kind", ["national", "sichuan", "department"])
def test_convert_gives_a_template_that_scores_the_same(tmp_path, kind):
    from click.testing import CliRunner

    from xlreport.cli.main import main

    path = save(FORMS[kind](), tmp_path / "form.xlsx")
    before = path.read_bytes()
    target = tmp_path / "template.xlsx"
    result = CliRunner().invoke(main, ["convert", str(path), "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before  # the form is only read
    wb = openpyxl.load_workbook(target)
    assert {schema.SHEET_INFO, schema.SHEET_BUDGET, schema.SHEET_INDICATORS, schema.SHEET_TEXTS} <= set(wb.sheetnames)
    form_ev = build_file(path, write=False).evaluation
    template_ev = build_file(target, write=False).evaluation
    assert template_ev.total == form_ev.total and template_ev.info.project == form_ev.info.project
    assert {k: v.content for k, v in template_ev.input.snippets.items() if v.content} == \
        {k: v.content for k, v in form_ev.input.snippets.items() if v.content}
    assert [(r.name, r.final) for r in template_ev.indicators] == [(r.name, r.final) for r in form_ev.indicators]
    again = CliRunner().invoke(main, ["convert", str(path), "-o", str(target)])
    assert again.exit_code == 2 and "--force" in again.output
    of_template = CliRunner().invoke(main, ["convert", str(target), "-o", str(tmp_path / "x.xlsx")])
    assert of_template.exit_code == 2 and "无需转换" in of_template.output


def test_a_huge_unrelated_sheet_does_not_stop_the_form(tmp_path, monkeypatch):
    from xlreport.adapters import xlsx_io

    monkeypatch.setattr(xlsx_io, "MAX_GRID_CELLS", 400)
    path = save(national_form(), tmp_path / "form.xlsx")
    wb = openpyxl.load_workbook(path)
    data = wb.create_sheet("明细数据")
    for r in range(1, 60):
        for c in range(1, 10):
            data.cell(r, c).value = r * c
    wb.save(path)
    outcome = build_file(path, write=False)
    assert outcome.exit_code == 0 and outcome.total == PROJECT_TOTAL


def test_rate_typed_as_a_fraction_in_a_general_cell_of_the_rate_column(tmp_path):
    _, _, ok = _build(tmp_path, national_form(budget_rate=0.8618, budget_rate_format="General"))
    assert not any(p.code == "rate-mismatch" for p in ok.evaluation.problems)
    _, _, slip = _build(tmp_path, national_form(budget_rate=0.8619, budget_rate_format="General"), name="b.xlsx")
    assert any(p.code == "rate-mismatch" and "86.19%" in p.message for p in slip.evaluation.problems)


def test_report_lists_every_budget_row_of_the_form(tmp_path):
    from xlreport.adapters.report.context import base_context

    _, _, outcome = _build(tmp_path, department_form())
    budget = base_context(outcome.evaluation)["budget"]
    assert [row["label"] for row in budget["lines"]] == [
        "年度资金总额", "按收入性质分：", "其中：当年财政拨款", "政府性基金预算拨款", "其他资金", "按支出性质分：",
        "其中：基本支出", "项目支出"]  # the form's own group rows, so 基本支出 is not read as income
    assert "基本支出" not in budget["parts"] and "政府性基金预算拨款50万元" in budget["parts"]


def _spellings(labels, key):
    return next(label.spellings() for label in labels if label.key == key)


_HEADER_SPELLINGS = {
    "年度指标值": _spellings(schema.INDICATOR_INPUTS, "target"),
    "实际完成值": _spellings(schema.INDICATOR_INPUTS, "actual"),
    "分值": _spellings(schema.INDICATOR_INPUTS, "weight"),
    "偏差原因分析及改进措施": _spellings(schema.INDICATOR_INPUTS, "deviation"),
    "全年预算数": _spellings(schema.BUDGET_HEADER, "annual"),
    "全年执行数": _spellings(schema.BUDGET_HEADER, "executed"),
}
_VARIANTS = max(len(v) for v in _HEADER_SPELLINGS.values())


@pytest.mark.parametrize("i", range(_VARIANTS))
def test_every_header_synonym_reads_the_same(tmp_path, i):
    """The one table of header words: any spelling of each column gives the same scores."""
    path = save(national_form(), tmp_path / "form.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value == "三级指标")
    budget_header = next(r for r in range(1, header) if ws.cell(r, 4).value == "全年预算数")
    for row in (header, budget_header):
        for c in range(1, ws.max_column + 1):
            words = _HEADER_SPELLINGS.get(ws.cell(row, c).value)
            if words:
                ws.cell(row, c).value = words[i % len(words)]
    wb.save(path)
    outcome = build_file(path, write=False)
    ev = outcome.evaluation
    assert outcome.exit_code == 0, [p.text for p in ev.errors]
    assert [r.final for r in ev.indicators] == PROJECT_SCORES and ev.total == PROJECT_TOTAL


def test_a_filled_cell_the_unit_typed_over_is_theirs_again(tmp_path):
    _, out, _ = _build(tmp_path, national_form())
    wb = openpyxl.load_workbook(out)
    ws = wb.worksheets[0]
    row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 4).value == "参保群众满意度")
    assert ws.cell(row, 8).value == 20  # filled by the first build
    ws.cell(row, 8).value = 19  # the unit's own figure now
    wb.save(out)
    again = build_file(out, report=False, now=NOW)
    assert openpyxl.load_workbook(out).worksheets[0].cell(row, 8).value == 19
    assert any(p.code == "form-score-differs" and "19" in p.message and "参保群众满意度" in p.message
               for p in again.evaluation.problems)


def test_two_row_indicator_header(tmp_path):
    """指标值 spanning 年度指标值 | 实际完成值 on a second header row, the others merged down."""
    _, out, outcome = _build(tmp_path, national_form(two_row_header=True))
    ev = outcome.evaluation
    assert outcome.exit_code == 0, [p.text for p in ev.errors]
    assert [r.final for r in ev.indicators] == PROJECT_SCORES and ev.total == PROJECT_TOTAL
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.cell(ev.indicators[0].source.row - 2, 10).value == "建议得分"


def test_form_beside_other_sheets_named_like_the_template(tmp_path):
    path = save(national_form(), tmp_path / "form.xlsx")
    wb = openpyxl.load_workbook(path)
    other = wb.create_sheet("基本信息")
    other["A1"], other["B1"] = "单位名称", "某县医疗保障事务中心"
    wb.save(path)
    outcome = build_file(path, write=False)
    assert outcome.exit_code == 0 and outcome.total == PROJECT_TOTAL
