"""Generate the blank 绩效自评 workbook (docs/workbook.md) and the shared cell styles.

Every label, header and closed list comes from :mod:`xlreport.core.schema`, so the template and
the reader can never disagree on a word. The template holds no formulas: a formula saved by
openpyxl has no cached value, which the reader must report as an error. Drop-downs use inline
lists because a list living on another sheet is stored by Excel as an x14 extension that
openpyxl drops on the next round-trip (docs/safety.md).

The cell styles are plain data in :mod:`xlreport.core.styles`; both write-back adapters draw the
same table, so output cells look exactly like the template's.
``python -m xlreport.adapters.template [DIR]`` regenerates the copies in ``workbook_templates/``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

import xlreport.adapters.openpyxl_loader  # noqa: F401  (openpyxl without numpy: must come first)

# isort: split
from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from xlreport.adapters.files import atomic_target
from xlreport.adapters.xlsx_styles import (  # noqa: F401
    alignment_of,
    draw,
    font_of,
    page_setup_a4,
    solid_fill,
)
from xlreport.core import schema, styles
from xlreport.core.plan import FORMAT_AMOUNT, FORMAT_PERCENT, FORMAT_SCORE
from xlreport.core.rules import RulesProfile, builtin_names, default_profile
from xlreport.core.ruleset import meta_rules_rows
from xlreport.core.styles import INPUT_FILL, OUTPUT_FILL  # noqa: F401  (re-exported for callers)

TEMPLATE_FILES: dict[str, str] = {
    schema.TYPE_PROJECT: "绩效自评模板_项目支出.xlsx",
    schema.TYPE_DEPARTMENT: "绩效自评模板_部门整体支出.xlsx",
    schema.TYPE_TRANSFER: "绩效自评模板_转移支付.xlsx",
}
# Where `python -m xlreport.adapters.template` writes by default: the repository's copy.
TEMPLATE_DIR = Path(__file__).resolve().parents[3] / "workbook_templates"

# Styles: plain data in styles.py, drawn by xlsx_styles.py (the write-back adapters read the same)


def input_cell_style(cell: Cell, centered: bool = False) -> None:
    """A cell the user fills in: yellow, bordered, wrapped."""
    draw(cell, styles.INPUT_CENTERED if centered else styles.INPUT)


def output_cell_style(cell: Cell, centered: bool = False) -> None:
    """A cell the tool computes: grey-blue, so nobody types over it."""
    draw(cell, styles.OUTPUT_CENTERED if centered else styles.OUTPUT)


def header_cell_style(cell: Cell, output: bool = False) -> None:
    """A column header; output headers get the darker output shade."""
    draw(cell, styles.OUTPUT_HEADER if output else styles.HEADER)


def label_cell_style(cell: Cell, bold: bool = False) -> None:
    """The label of a labelled cell: bordered, no fill (it is neither input nor output)."""
    draw(cell, styles.LABEL_BOLD if bold else styles.LABEL)


def title_cell_style(cell: Cell) -> None:
    draw(cell, styles.TITLE)


def hint_cell_style(cell: Cell) -> None:
    draw(cell, styles.HINT)


# Layout constants ---------------------------------------------------------------------
OUTPUT_NOTE = "由工具计算，无需填写"
OUTPUT_SHEET_NOTE = "运行评分后由工具生成，请勿手工填写。"
AMOUNT_SUFFIX = "（万元）"
AMOUNT_PROMPT = "金额单位：万元，直接填写数字，不要填写公式。"
EXTRA_INDICATOR_ROWS = 20  # blank formatted rows after the skeleton
MIN_INDICATOR_ROWS = 60
ROWS_PER_LEVEL2 = 2
ALLOCATION_ROWS = 5
PROMPT_TITLE_MAX = 32  # Excel's limits for an input message
PROMPT_MAX = 255
LIST_FORMULA_MAX = 255  # an inline list longer than this is refused by Excel

INFO_DEFAULTS: dict[str, object] = {
    "default_handling": schema.DEFAULT_HANDLING[0],
    "grades": schema.DEFAULT_GRADES,
}
INFO_LISTS: dict[str, Sequence[str]] = {
    "report_type": schema.REPORT_TYPES,
    "default_handling": schema.DEFAULT_HANDLING,
}
BUDGET_DEFAULTS: dict[str, tuple[object, str]] = {  # key -> (value, number format)
    "weight": (10, "General"),
    "method": (schema.BUDGET_METHODS[0], "General"),
    "threshold": (0.9, "0%"),
}
BUDGET_OUTPUT_FORMATS = {"rate": FORMAT_PERCENT, "score": FORMAT_SCORE}

INDICATOR_WIDTHS: dict[str, float] = {
    "level1": 12, "level2": 14, "name": 30, "nature": 9, "target": 16, "unit": 9,
    "actual": 16, "weight": 8, "method": 9, "degree": 10, "last_year": 12,
    "deviation": 30, "explanation": 36, "manual_score": 9, "manual_reason": 20,
    "suggested": 9, "final": 9, "rate": 9, "note": 40,
}
INDICATOR_FORMATS: dict[str, str] = {
    "weight": FORMAT_SCORE, "manual_score": FORMAT_SCORE,
    "suggested": FORMAT_SCORE, "final": FORMAT_SCORE, "rate": FORMAT_PERCENT,
}
INDICATOR_LISTS: dict[str, Sequence[str]] = {
    "nature": schema.NATURES, "method": schema.METHODS, "degree": schema.DEGREES,
}
INDICATOR_CENTERED = frozenset({
    "nature", "unit", "weight", "method", "degree", "manual_score", "suggested", "final", "rate",
})


# Helpers ------------------------------------------------------------------------------
def inline_list(options: Sequence[str]) -> str:
    """The formula of a drop-down whose choices live in the validation itself."""
    if any("," in o or '"' in o for o in options):
        raise ValueError(f"drop-down option contains a comma or quote: {options!r}")
    formula = '"' + ",".join(options) + '"'
    if len(formula) > LIST_FORMULA_MAX:
        raise ValueError(f"drop-down list too long for Excel: {formula}")
    return formula


def add_input_message(ws: Worksheet, cells: str, title: str, prompt: str,
                      options: Sequence[str] | None = None) -> DataValidation:
    """Attach an input message (and a drop-down when the values form a closed list)."""
    if len(title) > PROMPT_TITLE_MAX or len(prompt) > PROMPT_MAX:
        raise ValueError(f"input message too long for Excel: {title}: {prompt}")
    dv = DataValidation(
        type="list" if options else None,
        formula1=inline_list(options) if options else None,
        allow_blank=True,
        showInputMessage=True,
        promptTitle=title,
        prompt=prompt,
        showErrorMessage=bool(options),
        errorTitle="输入无效" if options else None,
        error=f"请从下拉列表中选择：{'、'.join(options)}。" if options else None,
    )
    dv.add(cells)
    ws.add_data_validation(dv)
    return dv


def _set_widths(ws: Worksheet, widths: Sequence[float]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _page_setup(ws: Worksheet, landscape: bool, title_rows: str | None = None) -> None:
    """A4, one page wide, page numbers in the footer; header rows repeat on every page."""
    ws.sheet_view.showGridLines = True
    page_setup_a4(ws, landscape=landscape, title_rows=title_rows, page_numbers=True)


def _title(ws: Worksheet, text: str, last_col: int | None = None) -> None:
    ws.cell(1, 1, text)
    title_cell_style(ws.cell(1, 1))
    ws.row_dimensions[1].height = 28
    if last_col:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_col)


def _header_row(ws: Worksheet, row: int, texts: Sequence[str], output_from: int | None = None) -> None:
    """Write a header row; columns from ``output_from`` (1-based) on get the output look."""
    for col, text in enumerate(texts, start=1):
        cell = ws.cell(row, col, text)
        header_cell_style(cell, output=output_from is not None and col >= output_from)
    ws.row_dimensions[row].height = 30


def _labelled_input(ws: Worksheet, row: int, label: schema.Label, value: object = None,
                    number_format: str = "General", options: Sequence[str] | None = None,
                    hint_to: int = 3) -> None:
    """Label in A, yellow input in B with an input message, the hint in grey from C to ``hint_to``."""
    label_cell_style(ws.cell(row, 1, label.text), bold=label.required)
    cell = ws.cell(row, 2, value)
    input_cell_style(cell)
    cell.number_format = number_format
    add_input_message(ws, cell.coordinate, label.text, label.hint or label.text, options)
    _hint(ws, row, f"【必填】{label.hint}" if label.required else label.hint, hint_to)


def _labelled_output(ws: Worksheet, row: int, label: schema.Label, number_format: str,
                     hint_to: int = 3) -> None:
    label_cell_style(ws.cell(row, 1, label.text))
    cell = ws.cell(row, 2)
    output_cell_style(cell, centered=True)
    cell.number_format = number_format
    _hint(ws, row, OUTPUT_NOTE, hint_to)


def _hint(ws: Worksheet, row: int, text: str, last_col: int) -> None:
    hint_cell_style(ws.cell(row, 3, text or None))
    if last_col > 3:
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=last_col)


# Sheets -------------------------------------------------------------------------------
def _build_info(ws: Worksheet, report_type: str, rules: RulesProfile) -> None:
    _title(ws, "绩效自评基本信息", last_col=3)
    _header_row(ws, 2, ("填报项目", "填写内容", "填写说明"))
    defaults = {**INFO_DEFAULTS, "report_type": report_type, "rules": rules.name,
                "default_handling": rules.default_handling, "grades": rules.grades_text}
    names = builtin_names()
    lists = {**INFO_LISTS, "rules": names if rules.name in names else (*names, rules.name)}
    for row, label in enumerate(schema.INFO_LABELS, start=3):
        _labelled_input(ws, row, label, defaults.get(label.key), options=lists.get(label.key))
        if label.key in ("goal", "goal_done"):  # long texts: give them room
            ws.row_dimensions[row].height = 60
    _set_widths(ws, (20, 60, 48))
    ws.freeze_panes = "A3"
    _page_setup(ws, landscape=False, title_rows="2:2")


def _build_budget(ws: Worksheet, rules: RulesProfile) -> None:
    """Budget table, scoring settings, computed outputs, then the allocation table."""
    last_col = len(schema.ALLOCATION_HEADER)
    _title(ws, "预算执行情况", last_col=last_col)
    header = [schema.BUDGET_HEADER[0].text] + [h.text + AMOUNT_SUFFIX for h in schema.BUDGET_HEADER[1:]]
    _header_row(ws, 2, header)
    row = 3
    for label in schema.BUDGET_ROWS:
        label_cell_style(ws.cell(row, 1, label.text))
        for col in range(2, len(header) + 1):
            cell = ws.cell(row, col)
            input_cell_style(cell, centered=True)
            cell.number_format = FORMAT_AMOUNT
        row += 1
    add_input_message(ws, f"B3:{get_column_letter(len(header))}{row - 1}", "预算金额", AMOUNT_PROMPT)

    row += 1  # blank row
    chosen = {"weight": _whole(rules.budget_points), "method": rules.budget_method,
              "threshold": float(rules.budget_threshold / 100)}
    for label in schema.BUDGET_LABELS:
        _, fmt = BUDGET_DEFAULTS[label.key]
        value = chosen[label.key]
        options = schema.BUDGET_METHODS if label.key == "method" else None
        _labelled_input(ws, row, label, value, fmt, options, hint_to=last_col)
        ws.cell(row, 2).alignment = alignment_of(styles.INPUT_CENTERED)
        row += 1

    row += 1  # blank row
    for label in schema.BUDGET_OUTPUTS:
        _labelled_output(ws, row, label, BUDGET_OUTPUT_FORMATS[label.key], hint_to=last_col)
        row += 1

    row += 1  # blank row
    _build_allocation(ws, row)
    _set_widths(ws, (22, 34, 16, 16, 16, 16))
    _page_setup(ws, landscape=False)


def _build_allocation(ws: Worksheet, row: int) -> None:
    """The optional 资金下达明细 table: a title, its header and a few blank input rows."""
    ws.cell(row, 1, schema.ALLOCATION_TITLE).font = font_of(styles.LABEL_BOLD)
    _header_row(ws, row + 1, [h.text for h in schema.ALLOCATION_HEADER])
    first, last = row + 2, row + 1 + ALLOCATION_ROWS
    for r in range(first, last + 1):
        for col, label in enumerate(schema.ALLOCATION_HEADER, start=1):
            cell = ws.cell(r, col)
            input_cell_style(cell, centered=label.key != "document")
            if col > 2:
                cell.number_format = FORMAT_AMOUNT
    add_input_message(ws, f"B{first}:B{last}", "预算指标文件", "填写资金下达文件的文号或名称。")
    add_input_message(ws, f"C{first}:{get_column_letter(len(schema.ALLOCATION_HEADER))}{last}",
                      "下达金额", AMOUNT_PROMPT)


def skeleton_rows(report_type: str) -> list[tuple[str, str]]:
    """(一级指标, 二级指标) for each pre-filled data row of the indicator sheet."""
    return [(level1, level2)
            for level1, level2s in schema.SKELETONS[report_type]
            for level2 in level2s
            for _ in range(ROWS_PER_LEVEL2)]


def _build_indicators(ws: Worksheet, report_type: str) -> None:
    inputs, outputs = schema.INDICATOR_INPUTS, schema.INDICATOR_OUTPUTS
    columns = (*inputs, *outputs)
    _title(ws, "绩效指标表")
    legend = ws.cell(1, 4, "黄色单元格由填报人填写；蓝灰色单元格由工具计算，无需填写。")
    legend.font = font_of(styles.HINT)
    _header_row(ws, 2, [c.text for c in columns], output_from=len(inputs) + 1)

    skeleton = skeleton_rows(report_type)
    first = 3
    last = first + max(len(skeleton) + EXTRA_INDICATOR_ROWS, MIN_INDICATOR_ROWS) - 1
    for row in range(first, last + 1):
        for col, label in enumerate(columns, start=1):
            cell = ws.cell(row, col)
            style = input_cell_style if col <= len(inputs) else output_cell_style
            style(cell, centered=label.key in INDICATOR_CENTERED)
            cell.number_format = INDICATOR_FORMATS.get(label.key, "General")
    for row, (level1, level2) in enumerate(skeleton, start=first):
        ws.cell(row, 1).value = level1
        ws.cell(row, 2).value = level2

    for col, label in enumerate(inputs, start=1):
        letter = get_column_letter(col)
        add_input_message(ws, f"{letter}{first}:{letter}{last}", label.text, label.hint,
                          INDICATOR_LISTS.get(label.key))
    _set_widths(ws, [INDICATOR_WIDTHS[c.key] for c in columns])
    ws.freeze_panes = "D3"
    _page_setup(ws, landscape=True, title_rows="2:2")


def _build_texts(ws: Worksheet, report_type: str) -> None:
    _header_row(ws, 1, [h.text for h in schema.TEXT_HEADER])
    for row, snippet in enumerate(schema.SNIPPETS_BY_TYPE[report_type], start=2):
        label_cell_style(ws.cell(row, 1, snippet.key))
        label_cell_style(ws.cell(row, 2, snippet.title))
        content = ws.cell(row, 3)
        input_cell_style(content)
        content.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
        add_input_message(ws, content.coordinate, snippet.title, snippet.hint)
        hint_cell_style(ws.cell(row, 4, snippet.hint))
        ws.row_dimensions[row].height = 90
    _set_widths(ws, (16, 26, 80, 32))
    ws.freeze_panes = "A2"
    _page_setup(ws, landscape=True, title_rows="1:1")


def _build_output_sheet(ws: Worksheet) -> None:
    """评分结果/校验结果 belong to the tool; the template only says so."""
    cell = ws.cell(1, 1, OUTPUT_SHEET_NOTE)
    output_cell_style(cell)
    _set_widths(ws, (60,))
    _page_setup(ws, landscape=False)


def _whole(value):
    """10 -> 10 (an int in the cell), 12.5 -> 12.5."""
    return int(value) if value == value.to_integral_value() else float(value)


def _build_meta(ws: Worksheet, report_type: str, rules: RulesProfile) -> None:
    rows = (("template_id", schema.TEMPLATE_ID),
            ("template_version", schema.TEMPLATE_VERSION),
            ("report_type", report_type),
            *meta_rules_rows(rules))
    for row, (key, value) in enumerate(rows, start=1):
        ws.cell(row, 1, key)
        ws.cell(row, 2, value)
    _set_widths(ws, (20, 24))
    ws.sheet_state = "hidden"


# API ----------------------------------------------------------------------------------
def check_report_type(report_type: str) -> str:
    if report_type not in schema.REPORT_TYPES:
        raise ValueError(f"未知的报告类型“{report_type}”，应为：{'、'.join(schema.REPORT_TYPES)}。")
    return report_type


def build_template(report_type: str = schema.TYPE_PROJECT, rules: RulesProfile | None = None) -> Workbook:
    """The blank workbook for one report type (deterministic: same type, same content).

    ``rules``: the profile the template carries (its name in 评分规则, its settings prefilled,
    its name, hash and, when not built in, its text in ``_meta``); national by default.
    """
    check_report_type(report_type)
    rules = rules or default_profile()
    wb = Workbook()
    info = wb.active
    info.title = schema.SHEET_INFO
    _build_info(info, report_type, rules)
    _build_budget(wb.create_sheet(schema.SHEET_BUDGET), rules)
    _build_indicators(wb.create_sheet(schema.SHEET_INDICATORS), report_type)
    _build_texts(wb.create_sheet(schema.SHEET_TEXTS), report_type)
    for name in schema.OUTPUT_SHEETS:
        _build_output_sheet(wb.create_sheet(name))
    _build_meta(wb.create_sheet(schema.SHEET_META), report_type, rules)
    wb.active = 0
    wb.properties.creator = "xlreport"
    wb.properties.title = f"绩效自评模板（{report_type}）"
    return wb


def save_atomic(wb: Workbook, path: str | os.PathLike[str]) -> Path:
    """Save through a temp file in the same folder, so a crash never leaves half a workbook."""
    target = Path(path)
    with atomic_target(target) as tmp:
        wb.save(tmp)
    return target


def write_template(path: str | os.PathLike[str], report_type: str = schema.TYPE_PROJECT,
                   rules: RulesProfile | None = None) -> Path:
    """Write a blank template to ``path`` (overwrites; the caller decides whether that is allowed)."""
    return save_atomic(build_template(report_type, rules), path)


def regenerate(directory: Path = TEMPLATE_DIR) -> list[Path]:
    """Rewrite the three copies kept in ``workbook_templates/``."""
    return [write_template(directory / name, report_type) for report_type, name in TEMPLATE_FILES.items()]


if __name__ == "__main__":
    for written in regenerate(Path(sys.argv[1]) if len(sys.argv) > 1 else TEMPLATE_DIR):
        print(written)
