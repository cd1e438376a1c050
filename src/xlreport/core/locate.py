"""Find things in a sheet by their words: labelled cells and header rows.

The template reader (:mod:`xlreport.core.reader`) and the official-form reader
(:mod:`xlreport.core.forms`) both locate data this way (docs/workbook.md, “按文字而不是位置查找”).
"""

from __future__ import annotations

from xlreport.core import schema
from xlreport.core.grid import SheetGrid
from xlreport.core.model import Field, Ref


def field_at(sheet: SheetGrid, row: int, col: int) -> Field:
    """The cell at (row, col) with where it came from; a merged cell reads its anchor's value."""
    anchor = sheet.merge_anchor(row, col)
    raw = sheet.get(*anchor) if anchor and anchor != (row, col) else sheet.get(row, col)
    return Field(raw, Ref(sheet.name, row, col))


def right_of_label(sheet: SheetGrid, row: int, col: int) -> int:
    """The first column right of the label at (row, col), past the label's own merged range."""
    for r1, c1, r2, c2 in sheet.merged:
        if r1 <= row <= r2 and c1 <= col <= c2:
            return c2 + 1
    return col + 1


def labelled_cells(sheet: SheetGrid, labels: tuple[schema.Label, ...]) -> dict[str, Field]:
    """Find each label anywhere on the sheet; its value is the cell right of the label (or of
    the label's merged range)."""
    index = schema.label_index(labels)
    found: dict[str, Field] = {}
    for row, col, cell in sheet.iter_nonblank():
        if not isinstance(cell.value, str):
            continue
        key = index.get(schema.normalize_label(cell.value))
        if key is None or key in found:
            continue
        value_col = right_of_label(sheet, row, col)
        found[key] = Field(sheet.get(row, value_col), Ref(sheet.name, row, value_col))
    return found


def find_header(sheet: SheetGrid, labels: tuple[schema.Label, ...], minimum: int,
                 start_row: int = 1) -> tuple[int, dict[str, int]] | None:
    """The first row (from start_row) holding at least `minimum` of the labels."""
    index = schema.label_index(labels)
    rows: dict[int, dict[str, int]] = {}
    for row, col, cell in sheet.iter_nonblank():
        if row < start_row or not isinstance(cell.value, str):
            continue
        key = index.get(schema.normalize_label(cell.value))
        if key is not None:
            rows.setdefault(row, {}).setdefault(key, col)
    for row in sorted(rows):
        if len(rows[row]) >= minimum:
            return row, rows[row]
    return None
