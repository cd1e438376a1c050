"""`xlreport convert FORM.xlsx -o TEMPLATE.xlsx`: an official 自评表 into the full template.

For units that want the template's 文字材料 sheet (单位概况, 项目概况 …) after all. What the
form says is copied by label into a fresh template (values as the unit typed them, amounts in
万元); the form itself is only read.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from xlreport.core import schema
from xlreport.core.failures import FileRejected
from xlreport.core.model import WorkbookInput

# Form budget rows the template has no row for are added up into its 其他资金 row.
_TEMPLATE_ROWS = ("total", "appropriation", "carryover", "other")
_CARRIED = ("level1", "level2", "name", "nature", "target", "unit", "actual", "weight", "deviation")


def _cells(ws):
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip():
                yield cell


def _labels(ws, labels: tuple[schema.Label, ...]) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for cell in _cells(ws):
        key = schema.match_label(cell.value, labels)
        if key is not None and key not in found:
            found[key] = (cell.row, cell.column)
    return found


def _header(ws, labels: tuple[schema.Label, ...], minimum: int) -> tuple[int, dict[str, int]]:
    rows: dict[int, dict[str, int]] = {}
    for cell in _cells(ws):
        key = schema.match_label(cell.value, labels)
        if key is not None:
            rows.setdefault(cell.row, {}).setdefault(key, cell.column)
    row = min(r for r, cols in rows.items() if len(cols) >= minimum)
    return row, rows[row]


def _number(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def fill_template(wb, data: WorkbookInput) -> None:
    """Write the form's contents into a blank template (openpyxl workbook), by label."""
    info = data.info
    ws = wb[schema.SHEET_INFO]
    found = _labels(ws, schema.INFO_LABELS)
    for key, value in (("report_type", info.report_type), ("year", int(info.year) if info.year.isdigit() else info.year),
                       ("project", info.project), ("department", info.department), ("unit", info.unit),
                       ("goal", info.goal), ("goal_done", info.goal_done), ("contact", info.contact),
                       ("phone", info.phone)):
        if key in found and value not in ("", None):
            row, col = found[key]
            ws.cell(row, col + 1).value = value

    ws = wb[schema.SHEET_BUDGET]
    header_row, cols = _header(ws, schema.BUDGET_HEADER, 3)
    rows: dict[str, int] = {}
    for r in range(header_row + 1, ws.max_row + 1):
        key = schema.match_label(ws.cell(r, cols.get("category", 1)).value, schema.BUDGET_ROWS)
        if key is not None:
            rows.setdefault(key, r)
    other: dict[str, Decimal] = {}
    for key, line in data.budget.lines.items():
        if line.group == "expense":
            continue  # the template splits funds by source only
        target = key if key in _TEMPLATE_ROWS else "other"
        for col_key in ("initial", "annual", "executed"):
            value = getattr(line, col_key)
            if value is None:
                continue
            if target == "other":
                other[col_key] = other.get(col_key, Decimal(0)) + value
            elif target in rows and col_key in cols:
                ws.cell(rows[target], cols[col_key]).value = _number(value)
    for col_key, value in other.items():
        if "other" in rows and col_key in cols:
            ws.cell(rows["other"], cols[col_key]).value = _number(value)
    labels = _labels(ws, schema.BUDGET_LABELS)
    if "weight" in labels:
        row, col = labels["weight"]
        ws.cell(row, col + 1).value = _number(data.budget.weight)

    ws = wb[schema.SHEET_INDICATORS]
    header_row, cols = _header(ws, schema.INDICATOR_INPUTS, 3)
    input_cols = sorted(cols.values())
    for rng in list(ws.merged_cells.ranges):
        if rng.max_row > header_row and any(rng.min_col <= c <= rng.max_col for c in input_cols):
            ws.unmerge_cells(str(rng))
    for r in range(header_row + 1, ws.max_row + 1):
        for c in input_cols:
            ws.cell(r, c).value = None
    for i, row_in in enumerate(data.indicators, start=1):
        r = header_row + i
        values: dict[str, Any] = {"level1": row_in.level1, "level2": row_in.level2}
        for key in _CARRIED[2:]:
            f = row_in.cells.get(key)
            if f is not None and not f.is_blank:
                values[key] = f.value
                if key == "actual" and f.raw.number_format != "General":
                    ws.cell(r, cols["actual"]).number_format = f.raw.number_format
        for key, value in values.items():
            if key in cols and value not in (None, ""):
                ws.cell(r, cols[key]).value = value

    ws = wb[schema.SHEET_TEXTS]
    header_row, cols = _header(ws, schema.TEXT_HEADER, 2)
    done = set()
    for r in range(header_row + 1, ws.max_row + 1):
        key = ws.cell(r, cols["key"]).value
        snippet = data.snippets.get(key) if isinstance(key, str) else None
        if snippet is not None and snippet.content:
            ws.cell(r, cols["content"]).value = snippet.content
            done.add(key)
    for key, snippet in data.snippets.items():  # a form's own text rows the template lacks (评价结论)
        if key not in done and snippet.content:
            r = ws.max_row + 1
            ws.cell(r, cols["key"]).value = key
            if "title" in cols:
                ws.cell(r, cols["title"]).value = snippet.title
            ws.cell(r, cols["content"]).value = snippet.content


def convert_form(source: str | Path, target: str | Path, *, force: bool = False) -> Path:
    """Read an official 自评表 and write the full template holding the same contents."""
    from xlreport.adapters.safety import guard_workbook
    from xlreport.adapters.template import build_template, save_atomic
    from xlreport.adapters.xlsx_io import load_book
    from xlreport.core.read_book import read_workbook

    source, target = Path(source), Path(target)
    if target.resolve() == source.resolve():
        raise FileRejected.make("convert-same-file", path=source.name)
    if target.exists() and not force:
        raise FileRejected.make("file-exists", path=target)
    loaded = load_book(source, guard_workbook(source))
    data, _, layout = read_workbook(loaded.grid)
    if layout.form is None:
        raise FileRejected.make("convert-not-form", path=source.name)
    wb = build_template(data.info.report_type)
    fill_template(wb, data)
    try:
        return save_atomic(wb, target)
    except OSError as exc:
        raise FileRejected.make("file-write-failed", path=str(target), reason=exc.strerror or str(exc)) from exc
