"""The blank template: its layout honours docs/workbook.md and the committed copies match the generator."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook
from xlsx_compare import diff_workbooks, snapshot

from xlreport.adapters import template
from xlreport.core import schema
from xlreport.core.rules import default_profile

REGENERATE = "run `uv run python -m xlreport.adapters.template` to regenerate"
TYPES = schema.REPORT_TYPES


@cache
def built(report_type: str) -> Workbook:
    """One build per type, shared by the read-only tests."""
    return template.build_template(report_type)


def reload(wb: Workbook) -> Workbook:
    buffer = io.BytesIO()
    wb.save(buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer)


@cache
def saved(report_type: str) -> Workbook:
    """What a user receives: the built template after a save and a load."""
    return reload(template.build_template(report_type))


def column_a(ws) -> dict[str, int]:
    return {str(c.value): c.row for c in ws["A"] if c.value is not None}


def all_validations(wb: Workbook):
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            yield ws, dv


# Committed copies --------------------------------------------------------------------
@pytest.mark.parametrize("report_type", TYPES)
def test_committed_template_matches_generator(report_type: str) -> None:
    path = template.TEMPLATE_DIR / template.TEMPLATE_FILES[report_type]
    assert path.exists(), f"{path} is missing: {REGENERATE}"
    differences = diff_workbooks(built(report_type), openpyxl.load_workbook(path))
    assert not differences, f"{path.name} drifted from the generator ({REGENERATE}):\n" + "\n".join(differences)


def test_template_files_cover_every_report_type() -> None:
    assert set(template.TEMPLATE_FILES) == set(schema.REPORT_TYPES)


@pytest.mark.parametrize("report_type", TYPES)
def test_generation_is_deterministic(report_type: str) -> None:
    assert diff_workbooks(template.build_template(report_type), template.build_template(report_type)) == []


def test_regenerate_writes_the_three_files(tmp_path: Path) -> None:
    written = template.regenerate(tmp_path)
    assert sorted(p.name for p in written) == sorted(template.TEMPLATE_FILES.values())
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(template.TEMPLATE_FILES.values())


# Workbook structure ------------------------------------------------------------------
@pytest.mark.parametrize("report_type", TYPES)
def test_sheet_order_active_sheet_and_meta(report_type: str) -> None:
    wb = saved(report_type)
    assert wb.sheetnames == [*schema.INPUT_SHEETS, *schema.OUTPUT_SHEETS, schema.SHEET_META]
    assert wb.active.title == schema.SHEET_INFO
    meta = wb[schema.SHEET_META]
    assert meta.sheet_state == "hidden"
    assert [[c.value for c in row] for row in meta.iter_rows()] == [
        ["template_id", schema.TEMPLATE_ID],
        ["template_version", schema.TEMPLATE_VERSION],
        ["report_type", report_type],
        ["rules_name", "国家标准"],
        ["rules_hash", default_profile().digest],
    ]
    assert all(ws.sheet_state == "visible" for ws in wb.worksheets if ws.title != schema.SHEET_META)


@pytest.mark.parametrize("report_type", TYPES)
def test_no_formulas_anywhere(report_type: str) -> None:
    """A formula saved by openpyxl has no cached value; the reader would have to report it."""
    formulas = [f"{ws.title}!{c.coordinate}" for ws in saved(report_type).worksheets
                for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


# 基本信息 -----------------------------------------------------------------------------
@pytest.mark.parametrize("report_type", TYPES)
def test_every_info_label_present_with_defaults(report_type: str) -> None:
    ws = saved(report_type)[schema.SHEET_INFO]
    rows = column_a(ws)
    for label in schema.INFO_LABELS:
        assert label.text in rows, label.text
    value = {label.key: ws.cell(rows[label.text], 2).value for label in schema.INFO_LABELS}
    assert value["report_type"] == report_type
    assert value["default_handling"] == "满分"
    assert value["grades"] == schema.DEFAULT_GRADES
    assert value["year"] is None
    prompts = {str(dv.sqref): dv.prompt for dv in ws.data_validations.dataValidation}
    for label in schema.INFO_LABELS:
        assert prompts[f"B{rows[label.text]}"] == label.hint


# Drop-downs and input messages -------------------------------------------------------
EXPECTED_LISTS = {
    (schema.SHEET_INFO, schema.REPORT_TYPES),
    (schema.SHEET_INFO, schema.DEFAULT_HANDLING),
    (schema.SHEET_INFO, ("国家标准", "一体化")),  # the built-in rules profiles
    (schema.SHEET_BUDGET, schema.BUDGET_METHODS),
    (schema.SHEET_INDICATORS, schema.NATURES),
    (schema.SHEET_INDICATORS, schema.METHODS),
    (schema.SHEET_INDICATORS, schema.DEGREES),
}


@pytest.mark.parametrize("report_type", TYPES)
def test_dropdowns_are_inline_lists(report_type: str) -> None:
    """A list on another sheet becomes an x14 extension that openpyxl drops on round-trip."""
    found = set()
    for ws, dv in all_validations(saved(report_type)):
        if dv.type != "list":
            continue
        formula = dv.formula1
        assert formula.startswith('"') and formula.endswith('"') and "!" not in formula, formula
        assert len(formula) <= 255
        found.add((ws.title, tuple(formula[1:-1].split(","))))
    assert found == EXPECTED_LISTS


@pytest.mark.parametrize("report_type", TYPES)
def test_input_messages_fit_excel_limits(report_type: str) -> None:
    for ws, dv in all_validations(saved(report_type)):
        assert dv.showInputMessage and dv.prompt, f"{ws.title} {dv.sqref}"
        assert len(dv.promptTitle or "") <= 32 and len(dv.prompt) <= 255
        assert not dv.showDropDown  # in OOXML, showDropDown=True *hides* the arrow


@pytest.mark.parametrize("report_type", TYPES)
def test_save_and_reload_keeps_validations(report_type: str) -> None:
    first = reload(template.build_template(report_type))
    second = reload(first)
    for wb in (first, second):
        for name in wb.sheetnames:
            assert snapshot(wb)["sheets"][name]["validations"] == \
                snapshot(built(report_type))["sheets"][name]["validations"], name
    assert sum(1 for _ in all_validations(second)) > 0


# 预算执行 ------------------------------------------------------------------------------
@pytest.mark.parametrize("report_type", TYPES)
def test_budget_sheet_labels_and_formats(report_type: str) -> None:
    ws = saved(report_type)[schema.SHEET_BUDGET]
    header = [c.value for c in ws[2] if c.value is not None]
    assert [schema.match_label(h, schema.BUDGET_HEADER) for h in header] == [h.key for h in schema.BUDGET_HEADER]
    assert header[1:] == [h.text + "（万元）" for h in schema.BUDGET_HEADER[1:]]
    rows = column_a(ws)
    assert [rows[label.text] for label in schema.BUDGET_ROWS] == [3, 4, 5, 6]
    assert ws["B3"].number_format == "#,##0.00" and ws["D6"].number_format == "#,##0.00"
    settings = {label.key: ws.cell(rows[label.text], 2) for label in schema.BUDGET_LABELS}
    assert settings["weight"].value == 10
    assert settings["method"].value == "比例"
    assert settings["threshold"].value == 0.9 and settings["threshold"].number_format == "0%"
    outputs = {label.key: ws.cell(rows[label.text], 2) for label in schema.BUDGET_OUTPUTS}
    assert outputs["rate"].number_format == "0.00%" and outputs["score"].number_format == "0.00"
    for cell in outputs.values():
        assert cell.value is None and cell.fill.fgColor.rgb.endswith(template.OUTPUT_FILL)
    allocation_header = [c.value for c in ws[rows[schema.ALLOCATION_TITLE] + 1]]
    assert allocation_header == [h.text for h in schema.ALLOCATION_HEADER]


# 绩效指标 ------------------------------------------------------------------------------
@pytest.mark.parametrize("report_type", TYPES)
def test_indicator_header_skeleton_and_formatting(report_type: str) -> None:
    ws = saved(report_type)[schema.SHEET_INDICATORS]
    inputs, outputs = schema.INDICATOR_INPUTS, schema.INDICATOR_OUTPUTS
    assert [c.value for c in ws[2]] == [label.text for label in (*inputs, *outputs)]
    assert ws.freeze_panes == "D3"
    assert ws.print_title_rows == "$2:$2"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToHeight == 0

    expected = [(l1, l2) for l1, l2s in schema.SKELETONS[report_type] for l2 in l2s for _ in range(2)]
    data = [(row[0].value, row[1].value) for row in ws.iter_rows(min_row=3)]
    assert data[:len(expected)] == expected
    assert all(v == (None, None) for v in data[len(expected):])
    assert len(data) >= 60
    assert all(c.value is None for row in ws.iter_rows(min_row=3, min_col=3) for c in row)

    last = ws.max_row
    for col, label in enumerate((*inputs, *outputs), start=1):
        fill = template.INPUT_FILL if col <= len(inputs) else template.OUTPUT_FILL
        for row in (3, last):
            assert ws.cell(row, col).fill.fgColor.rgb.endswith(fill), (label.text, row)
    number_formats = {label.text: ws.cell(last, col).number_format
                      for col, label in enumerate((*inputs, *outputs), start=1)}
    assert number_formats["分值"] == number_formats["人工得分"] == number_formats["自评得分"] == "0.00"
    assert number_formats["得分率"] == "0.00%"

    prompts = {str(dv.sqref): dv.prompt for dv in ws.data_validations.dataValidation}
    for col, label in enumerate(inputs, start=1):
        letter = openpyxl.utils.get_column_letter(col)
        assert prompts[f"{letter}3:{letter}{last}"] == label.hint


def test_skeletons_cover_every_report_type() -> None:
    assert set(schema.SKELETONS) == set(schema.REPORT_TYPES)


# 文字材料 and output sheets -------------------------------------------------------------
@pytest.mark.parametrize("report_type", TYPES)
def test_text_sheet_rows(report_type: str) -> None:
    ws = saved(report_type)[schema.SHEET_TEXTS]
    assert [c.value for c in ws[1]] == [h.text for h in schema.TEXT_HEADER]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert rows == [[s.key, s.title, None, s.hint] for s in schema.SNIPPETS_BY_TYPE[report_type]]
    assert ws["C2"].fill.fgColor.rgb.endswith(template.INPUT_FILL)


@pytest.mark.parametrize("report_type", TYPES)
def test_output_sheets_hold_only_a_note(report_type: str) -> None:
    wb = saved(report_type)
    for name in schema.OUTPUT_SHEETS:
        ws = wb[name]
        assert [[c.value for c in row] for row in ws.iter_rows()] == [[template.OUTPUT_SHEET_NOTE]]


# Writing -----------------------------------------------------------------------------
def test_write_template_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "新模板.xlsx"
    target.write_bytes(b"old")
    assert template.write_template(target, schema.TYPE_TRANSFER) == target
    assert openpyxl.load_workbook(target)[schema.SHEET_META]["B3"].value == schema.TYPE_TRANSFER
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temp file left behind


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "模板.xlsx"
    target.write_bytes(b"old")

    def broken_save(self: Workbook, filename: str) -> None:
        Path(filename).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(Workbook, "save", broken_save)
    with pytest.raises(OSError):
        template.write_template(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_unknown_report_type_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="报告类型"):
        template.write_template(tmp_path / "x.xlsx", "其他")
    assert list(tmp_path.iterdir()) == []


def test_regenerate_command_runs(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "xlreport.adapters.template", str(tmp_path)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(list(tmp_path.glob("*.xlsx"))) == 3


def test_equals_nature_is_full_width_in_the_drop_down():
    from xlreport.core import schema

    assert "=" not in schema.NATURES and "＝" in schema.NATURES
