"""Data sanity of the four sample workbooks in ``samples/`` (one per seed report).

These tests look at the files with plain openpyxl, locating everything by label text as the
reader does; they check the data, not the scoring (scoring tests belong to the scorer).
"""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlreport.core import schema

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "samples"

HONGSIBU = "红寺堡_2022_城乡居民医保补助资金.xlsx"
HAIKOU = "海口_2022_医疗服务与保障能力提升补助资金.xlsx"
PANZHIHUA = "攀枝花_2022_定点医药机构监管经费.xlsx"
LINZE = "临泽_2023_部门整体支出.xlsx"
FORM_SAMPLE = "攀枝花_2022_定点医药机构监管经费_四川自评表.xlsx"  # the official one-sheet form, not the template

# file -> (报告类型, minimum number of named indicator rows)
EXPECTED = {
    HONGSIBU: (schema.TYPE_TRANSFER, 29),
    HAIKOU: (schema.TYPE_TRANSFER, 7),
    PANZHIHUA: (schema.TYPE_PROJECT, 10),
    LINZE: (schema.TYPE_DEPARTMENT, 14),
}


def _norm(value: object) -> str:
    return schema.normalize_label(value)


def _dec(value: object) -> Decimal:
    assert isinstance(value, (int, float)) and not isinstance(value, bool), f"not a number: {value!r}"
    return Decimal(str(value))


def _find(ws: Worksheet, text: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and _norm(cell.value) == _norm(text):
                return cell.row, cell.column
    raise AssertionError(f"{ws.title}: label {text!r} not found")


def _labelled(ws: Worksheet, text: str) -> object:
    row, col = _find(ws, text)
    return ws.cell(row, col + 1).value


def _indicator_table(ws: Worksheet) -> tuple[list[dict[str, object]], Worksheet]:
    """Rows of the indicator sheet as {input key: value}; merged and blank 一级/二级 cells
    are resolved to the value above, as the reader does."""
    header_row, _ = _find(ws, schema.INDICATOR_ANCHOR)
    cols = {}
    for cell in ws[header_row]:
        key = schema.match_label(cell.value, schema.INDICATOR_INPUTS)
        if key is not None:
            cols.setdefault(key, cell.column)
    merged = {}
    for rng in ws.merged_cells.ranges:
        for r in range(rng.min_row, rng.max_row + 1):
            for c in range(rng.min_col, rng.max_col + 1):
                merged[(r, c)] = (rng.min_row, rng.min_col)
    rows = []
    level1 = level2 = None
    for r in range(header_row + 1, ws.max_row + 1):
        values = {k: ws.cell(*merged.get((r, c), (r, c))).value for k, c in cols.items()}
        if values.get("level1") not in (None, ""):  # blank or merged = same as above
            if values["level1"] != level1:
                level2 = None
            level1 = values["level1"]
        if values.get("level2") not in (None, ""):
            level2 = values["level2"]
        if any(v not in (None, "") for k, v in values.items() if k not in ("level1", "level2")):
            values.update(_row=r, level1=level1, level2=level2)
            rows.append(values)
    return rows, ws


@pytest.fixture(scope="module")
def books():
    opened = {name: load_workbook(SAMPLES_DIR / name) for name in EXPECTED}
    yield opened
    for wb in opened.values():
        wb.close()


def test_the_four_samples_and_the_script_are_there():
    assert (SAMPLES_DIR / "make_samples.py").is_file()
    for name in EXPECTED:
        assert (SAMPLES_DIR / name).is_file(), name


@pytest.mark.parametrize("name", list(EXPECTED))
def test_input_sheets_and_meta(books, name):
    wb = books[name]
    for sheet in schema.INPUT_SHEETS:
        assert sheet in wb.sheetnames, f"{name}: sheet {sheet} missing"
    meta = wb[schema.SHEET_META]
    assert meta.sheet_state == "hidden"
    assert _labelled(meta, "template_version") == 1
    assert _labelled(meta, "template_id") == schema.TEMPLATE_ID


@pytest.mark.parametrize("name", list(EXPECTED))
def test_basic_information_is_complete(books, name):
    info = books[name][schema.SHEET_INFO]
    report_type, _ = EXPECTED[name]
    assert _labelled(info, "报告类型") == report_type
    for label in schema.INFO_LABELS:
        if label.required or label.key in ("default_handling", "grades", "contact"):
            value = _labelled(info, label.text)
            assert value not in (None, ""), f"{name}: {label.text} is empty"
    assert _labelled(info, "缺省指标处理") in schema.DEFAULT_HANDLING


@pytest.mark.parametrize("name", list(EXPECTED))
def test_indicator_rows_have_names_targets_weights(books, name):
    rows, _ = _indicator_table(books[name][schema.SHEET_INDICATORS])
    _, minimum = EXPECTED[name]
    assert len(rows) >= minimum
    for row in rows:
        assert row["name"] not in (None, ""), f"{name}: row {row['_row']} without a name"
        assert row["target"] not in (None, ""), f"{name}: {row['name']} without a target"
        assert _dec(row["weight"]) > 0, f"{name}: {row['name']} weight"
        assert row["level1"] and row["level2"], f"{name}: {row['name']} without 一级/二级 (after same-as-above)"
        if row.get("method") is not None:
            assert row["method"] in schema.METHODS
    names = [(r["level2"], r["name"]) for r in rows]
    assert len(names) == len(set(names)), f"{name}: duplicate indicator names within a 二级指标"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_weights_total_100(books, name):
    wb = books[name]
    rows, _ = _indicator_table(wb[schema.SHEET_INDICATORS])
    budget_weight = _dec(_labelled(wb[schema.SHEET_BUDGET], "预算执行率分值"))
    total = sum((_dec(r["weight"]) for r in rows), Decimal(0)) + budget_weight
    assert total == Decimal(100), f"{name}: weights total {total}"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_budget_table(books, name):
    ws = books[name][schema.SHEET_BUDGET]
    header_row, _ = _find(ws, "资金类别")
    cols = {schema.match_label(c.value, schema.BUDGET_HEADER): c.column for c in ws[header_row]}
    row, _ = _find(ws, "年度资金总额")
    annual = _dec(ws.cell(row, cols["annual"]).value)
    executed = _dec(ws.cell(row, cols["executed"]).value)
    assert 0 < executed <= annual
    assert _labelled(ws, "执行率评分方法") in schema.BUDGET_METHODS


def test_hongsibu_rate_is_an_indicator_and_budget_weight_is_zero(books):
    wb = books[HONGSIBU]
    assert _dec(_labelled(wb[schema.SHEET_BUDGET], "预算执行率分值")) == 0
    rows, _ = _indicator_table(wb[schema.SHEET_INDICATORS])
    rate = [r for r in rows if _norm(r["name"]) == _norm("预算执行率")]
    assert len(rate) == 1
    assert rate[0]["method"] == "达标" and _dec(rate[0]["weight"]) == 2
    assert rate[0]["actual"] in (None, "")  # taken from the budget sheet
    budget = wb[schema.SHEET_BUDGET]
    row, _ = _find(budget, "年度资金总额")
    assert [budget.cell(row, c).value for c in (3, 4)] == [224, 224]


def test_hongsibu_transcribes_the_published_table(books):
    wb = books[HONGSIBU]
    info = wb[schema.SHEET_INFO]
    assert _labelled(info, "等级划分") == "90:好,80:较好,60:一般,0:差"
    assert _labelled(info, "缺省指标处理") == "满分"
    rows, _ = _indicator_table(wb[schema.SHEET_INDICATORS])
    by_level1: dict[str, Decimal] = {}
    for r in rows:
        by_level1[r["level1"]] = by_level1.get(r["level1"], Decimal(0)) + _dec(r["weight"])
    assert by_level1 == {"项目决策（20分）": 20, "过程管理（35分）": 35, "项目产出（35分）": 35, "项目效益（10分）": 10}
    actual = {r["name"]: r["actual"] for r in rows}
    assert actual["资金分配规范性"] == actual["资金分配合理性"] == "缺省"
    assert actual["基金累计结余可支配月数(月)"] == "-"
    assert actual["综合参保率(%)"] == "97.50%"
    explanations = {r["name"]: r["explanation"] for r in rows}
    assert "缺省" in explanations["资金分配规范性"]


def test_same_as_above_and_merged_groups_are_exercised(books):
    for name in (HONGSIBU, PANZHIHUA):  # blank = same as above
        ws = books[name][schema.SHEET_INDICATORS]
        rows, _ = _indicator_table(ws)
        header_row, _ = _find(ws, schema.INDICATOR_ANCHOR)
        assert not [r for r in ws.merged_cells.ranges if r.max_row > header_row]
        blank_level1 = [r for r in rows if ws.cell(r["_row"], 1).value is None]
        assert blank_level1, f"{name}: every row repeats its 一级指标"
    ws = books[LINZE][schema.SHEET_INDICATORS]
    header_row, _ = _find(ws, schema.INDICATOR_ANCHOR)
    merged_a = [r for r in ws.merged_cells.ranges if r.min_col == r.max_col == 1 and r.min_row > header_row]
    assert len(merged_a) >= 2


def test_some_scores_are_partial_with_deviation_reasons(books):
    ws = books[LINZE][schema.SHEET_INDICATORS]
    rows, _ = _indicator_table(ws)
    missed = {r["name"]: r for r in rows if r["name"] in ("医保电子凭证激活率", "城乡居民医保基金支出占基金收入比例")}
    assert len(missed) == 2 and all(r["deviation"] for r in missed.values())
    budget = books[HAIKOU][schema.SHEET_BUDGET]
    row, _ = _find(budget, "年度资金总额")
    assert [budget.cell(row, c).value for c in (3, 4)] == [391, 366.656]  # 93.77%, scored 比例


def _load_script():
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES_DIR / "make_samples.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name, None)
    return module


def _contents(path: Path) -> dict[str, object]:
    wb = load_workbook(path)
    try:
        return {
            ws.title: (
                {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
                sorted(str(r) for r in ws.merged_cells.ranges),
            )
            for ws in wb.worksheets
        }
    finally:
        wb.close()


def test_rerunning_the_script_gives_the_same_cells(tmp_path):
    written = _load_script().main(tmp_path)
    assert sorted(p.name for p in written) == sorted([*EXPECTED, FORM_SAMPLE])
    for path in written:
        assert _contents(path) == _contents(SAMPLES_DIR / path.name), (
            f"{path.name}: samples/ is out of date, run `uv run python samples/make_samples.py`")
