"""Compare workbooks by content, not bytes (openpyxl writes timestamps into every file).

``snapshot`` reduces a workbook to plain data: per sheet its state, freeze panes, merged
ranges, column widths, print setup, data validations and, per cell, value, number format,
fill colour and font. ``diff_workbooks`` lists the differences in words a reviewer can act on.
Import it from a test as ``from xlsx_compare import ...`` (pytest puts tests/ on sys.path).
"""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

MAX_CELL_DIFFS = 10  # per sheet, so a wholesale change does not flood the message


def _fill(cell: Any) -> str | None:
    fill = cell.fill
    if fill is None or fill.fill_type is None:
        return None
    return f"{fill.fill_type}:{fill.fgColor.rgb}"


def cell_facts(cell: Any) -> tuple[Any, ...]:
    font = cell.font
    return (cell.value, cell.number_format, _fill(cell), font.name, bool(font.b))


def _is_plain(facts: tuple[Any, ...]) -> bool:
    value, number_format, fill = facts[:3]
    return value is None and number_format == "General" and fill is None


def column_widths(ws: Worksheet) -> dict[str, float]:
    """Width per column letter; a saved file may group columns into one <col min max> entry."""
    widths: dict[str, float] = {}
    for dim in ws.column_dimensions.values():
        if not dim.width:
            continue
        first = dim.min or column_index_from_string(dim.index)  # min/max are set on load only
        for col in range(first, max(dim.max or first, first) + 1):
            widths[get_column_letter(col)] = round(float(dim.width), 4)
    return widths


def validations(ws: Worksheet) -> list[tuple[Any, ...]]:
    return sorted(
        (" ".join(sorted(str(r) for r in dv.sqref.ranges)), dv.type, dv.formula1,
         dv.promptTitle, dv.prompt, bool(dv.showInputMessage), bool(dv.showDropDown))
        for dv in ws.data_validations.dataValidation
    )


def sheet_snapshot(ws: Worksheet) -> dict[str, Any]:
    cells = {}
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column):
        for cell in row:
            facts = cell_facts(cell)
            if not _is_plain(facts):
                cells[cell.coordinate] = facts
    setup = ws.page_setup
    return {
        "sheet_state": ws.sheet_state,
        "freeze_panes": ws.freeze_panes,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "column_widths": column_widths(ws),
        "print_title_rows": ws.print_title_rows,
        "page_setup": tuple(str(v) if v is not None else None for v in (
            setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight)),
        "validations": validations(ws),
        "cells": cells,
    }


def snapshot(wb: Workbook) -> dict[str, Any]:
    return {
        "sheet_order": list(wb.sheetnames),
        "active": wb.active.title if wb.active is not None else None,
        "sheets": {ws.title: sheet_snapshot(ws) for ws in wb.worksheets},
    }


def _diff_cells(sheet: str, expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    lines = []
    for coord in sorted(set(expected) | set(actual)):
        if expected.get(coord) != actual.get(coord):
            lines.append(f"{sheet}!{coord}: expected {expected.get(coord)!r}, got {actual.get(coord)!r}")
    if len(lines) > MAX_CELL_DIFFS:
        lines = lines[:MAX_CELL_DIFFS] + [f"{sheet}: … and {len(lines) - MAX_CELL_DIFFS} more cells differ"]
    return lines


def _diff_value(where: str, expected: Any, actual: Any) -> list[str]:
    """One line per difference; lists and dicts report only the entries that differ."""
    if expected == actual:
        return []
    if isinstance(expected, dict) and isinstance(actual, dict):
        return [f"{where}[{k!r}]: expected {expected.get(k)!r}, got {actual.get(k)!r}"
                for k in sorted(expected.keys() | actual.keys(), key=str) if expected.get(k) != actual.get(k)]
    if isinstance(expected, list) and isinstance(actual, list) and expected != actual:
        missing = [e for e in expected if e not in actual]
        extra = [a for a in actual if a not in expected]
        if missing or extra:
            return ([f"{where}: missing {e!r}" for e in missing]
                    + [f"{where}: unexpected {a!r}" for a in extra])
    return [f"{where}: expected {expected!r}, got {actual!r}"]


def diff_snapshots(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    lines = []
    for key in ("sheet_order", "active"):
        lines += _diff_value(key, expected[key], actual[key])
    for name in expected["sheets"].keys() & actual["sheets"].keys():
        exp, act = expected["sheets"][name], actual["sheets"][name]
        for key in exp:
            if key == "cells":
                lines += _diff_cells(name, exp[key], act[key])
            else:
                lines += _diff_value(f"{name} {key}", exp[key], act[key])
    return lines


def diff_workbooks(expected: Workbook, actual: Workbook) -> list[str]:
    """Differences between two workbooks' content; empty when they are the same."""
    return diff_snapshots(snapshot(expected), snapshot(actual))
