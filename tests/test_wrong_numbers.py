"""Each "wrong number" of issue 10 on the project's own template: none may pass silently."""

from __future__ import annotations

import datetime as dt
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from factory import indicator_columns, make_workbook, simple_indicators

from xlreport.cli.main import main
from xlreport.core import schema
from xlreport.pipeline import build_file


def evaluate(tmp_path, **kwargs):
    path = make_workbook(tmp_path / "wb.xlsx", **kwargs)
    outcome = build_file(path, write=False)
    assert outcome.failure is None, outcome.failure
    return outcome.evaluation


def one(**item):
    base = {"level1": "产出指标", "level2": "数量指标", "name": "指标", "weight": 90}
    base.update(item)
    return [base]


def test_budget_typed_in_yuan_is_converted(tmp_path):
    ev = evaluate(tmp_path, budget={"年度资金总额": (100, "1,000,000.00元", "950,000元")})
    assert (ev.budget.annual, ev.budget.executed, ev.budget.rate) == (100, 95, Decimal("95.00"))


def test_budget_header_in_yuan_is_converted(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx", budget={"年度资金总额": (1000000, 1000000, 950000)})
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SHEET_BUDGET]
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(("年初预算数", "全年预算数", "全年执行数")):
                cell.value = cell.value.replace("（万元）", "") + "（元）"
    wb.save(path)
    ev = build_file(path, write=False).evaluation
    assert (ev.budget.annual, ev.budget.executed) == (100, 95)
    assert not any(p.code == "budget-unit-unclear" for p in ev.problems)


def test_wan_yuan_under_a_yuan_header_is_an_error(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx", budget={"年度资金总额": (100, 120, 103.42)})
    wb = openpyxl.load_workbook(path)
    for row in wb[schema.SHEET_BUDGET].iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(("年初预算数", "全年预算数", "全年执行数")):
                cell.value = cell.value.replace("（万元）", "") + "（元）"
    wb.save(path)
    ev = build_file(path, write=False).evaluation
    assert any(p.code == "budget-unit-too-small" and "120元" in p.message for p in ev.errors)


def test_implausible_wan_yuan_amount_is_an_error(tmp_path):
    ev = evaluate(tmp_path, budget={"年度资金总额": (100, 1500000, 95), "其中：当年财政拨款": (100, 100, 95)})
    assert any(p.code == "budget-unit-unclear" and p.cell for p in ev.errors) and ev.total is None


@pytest.mark.parametrize("target,unit,shown", [
    ("≥９５％", None, "≥95%"), ("≥９５％", "%", "≥95%"), ("≥100百分比", "百分比", "≥100%"), ("≥100", "百分比", "≥100%"),
])
def test_targets_are_shown_normalised(tmp_path, target, unit, shown):
    ev = evaluate(tmp_path, indicators=one(target=target, unit=unit, actual="100%"))
    res = ev.indicators[0]
    from xlreport.wording import wording

    note = wording().indicator_note(res, ev.budget)  # 评分说明, from the wording layer
    assert res.target_shown == shown and shown in note
    assert "%%" not in note and "百分比%" not in note and "％" not in note


def test_year_typed_as_a_date_is_the_year(tmp_path):
    ev = evaluate(tmp_path, info={"评价年度": dt.datetime(2022, 1, 1)})
    assert ev.info.year == "2022"
    from xlreport.adapters.report.context import base_context

    assert base_context(ev)["year"] == "2022"


def test_fraction_in_a_general_cell_against_a_percent_target_is_an_error(tmp_path):
    ev = evaluate(tmp_path, indicators=one(target="≥90%", actual=0.95, deviation="x"))
    problem = next(p for p in ev.errors if p.code == "percent-as-fraction")
    assert "95%" in problem.message and ev.total is None and ev.grade is None


def test_stated_rate_is_checked_at_its_displayed_precision(tmp_path):
    # 103.42 / 120 = 86.1833…% shows as 86.18% at two decimals: a typed 86.19% is a slip
    path = make_workbook(tmp_path / "wb.xlsx", budget={"年度资金总额": (120, 120, 103.42)})
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SHEET_BUDGET]
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "预算执行率")
    target = ws.cell(cell.row, cell.column + 1)
    target.value, target.number_format = 0.8619, "0.00%"
    wb.save(path)
    ev = build_file(path, write=False).evaluation
    assert any(p.code == "rate-mismatch" and "86.19%" in p.message for p in ev.problems)


def test_prose_rate_is_checked_at_its_displayed_precision(tmp_path):
    ev = evaluate(tmp_path, budget={"年度资金总额": (120, 120, 103.42)},
                  info={"年度目标完成情况": "预算执行率86.19%，完成年度目标。"})
    assert any(p.code == "rate-mismatch" and "86.19%" in p.message for p in ev.problems)
    ok = evaluate(tmp_path, budget={"年度资金总额": (120, 120, 103.42)},
                  info={"年度目标完成情况": "预算执行率86.2%，完成年度目标。"})
    assert not any(p.code == "rate-mismatch" for p in ok.problems)


@pytest.mark.parametrize("nature", ["═", "＝", "="])
def test_equals_like_natures_read_as_equals(tmp_path, nature):
    ev = evaluate(tmp_path, indicators=one(nature=nature, target="100", unit="%", actual="100%"))
    assert not any(p.code == "nature-invalid" for p in ev.problems)
    assert ev.indicators[0].final == Decimal(90)


def _with_image(path):
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n")
    return path


def test_copy_that_would_drop_an_image_is_refused(tmp_path):
    path = _with_image(make_workbook(tmp_path / "wb.xlsx"))
    outcome = build_file(path, output=tmp_path / "copy.xlsx", report=False)
    assert outcome.exit_code == 2 and outcome.failure.code == "file-keeps-parts"
    assert not (tmp_path / "copy.xlsx").exists()


def test_new_refuses_to_overwrite_without_force(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx")
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["new", str(path)])
    assert result.exit_code == 2 and "--force" in result.output and path.read_bytes() == before
    result = CliRunner().invoke(main, ["new", str(path), "--force"])
    assert result.exit_code == 0 and path.read_bytes() != before


def test_weight_header_spelled_quanzhongfenzhi(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SHEET_INDICATORS]
    header_row, cols = indicator_columns(ws)
    ws.cell(header_row, cols["weight"]).value = "权重分值"
    wb.save(path)
    ev = build_file(path, write=False).evaluation
    assert ev.errors == [] and ev.total is not None


@pytest.mark.parametrize("name", ["绩效指标表", "Sheet3", "指标"])
def test_indicator_sheet_found_by_content(tmp_path, name):
    path = make_workbook(tmp_path / "wb.xlsx")
    wb = openpyxl.load_workbook(path)
    wb[schema.SHEET_INDICATORS].title = name
    wb.save(path)
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 0, [p.text for p in outcome.evaluation.errors]
    assert len(outcome.evaluation.indicators) == len(simple_indicators())
    wb = openpyxl.load_workbook(path)
    header_row, cols = indicator_columns(wb[name])
    assert wb[name].cell(header_row + 1, cols["suggested"]).value is not None  # written back there


def test_rejection_names_the_closest_header_and_what_to_rename(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "指标表"
    for col, text in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "比重"], start=1):
        ws.cell(3, col).value = text
    path = tmp_path / "x.xlsx"
    wb.save(path)
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 2 and outcome.failure.code == "file-not-template"
    message = outcome.failure.message
    assert "“指标表”第3行" in message and "把“比重”改为“分值”" in message
