"""The Excel button: score the open workbook in place through xlwings.

The add-in's ribbon button (or a button in the workbook, see ``macros/``) runs
``import xlreport; xlreport.main()``. Everything here takes the xlwings ``Book`` as a
parameter, so the tests drive it with an in-memory stand-in (``tests/fake_xlwings.py``):

* :func:`read_grid` – the input sheets into the neutral :class:`~xlreport.core.grid.BookGrid`;
* the shared core :func:`xlreport.pipeline.score_grid`, inside the one
  :func:`xlreport.pipeline.build` that ``xlreport build`` runs too;
* :func:`apply_plan_xlwings` – the :class:`~xlreport.core.plan.WritePlan` through xlwings, with the
  semantics of :func:`xlreport.adapters.xlsx_io.apply_plan`;
* :class:`LiveBook` – the adapter :func:`xlreport.pipeline.build` runs over (guard, read, apply);
* :func:`run_on_book` – that one build, and its outcome as the text of a message box.

Only xlwings' public API is used (``used_range``, ``options(ndim=2, err_to_str=True).value``,
``formula``, ``number_format``, ``color``, ``merge_cells``/``merge_area``, ``note``/``add_note``,
``column_width``, ``font``, ``sheets.add``, ``sheet.clear``, ``sheet.visible``, ``app.alert``):
no ``.api`` call at all, so nothing differs between Windows and macOS here. The part that
only real Excel can exercise is :func:`main` (finding the calling book and showing the box).
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any

from xlreport.core import schema
from xlreport.core.failures import FileRejected, XlreportError
from xlreport.core.grid import BookGrid, RawCell, SheetGrid, a1
from xlreport.core.plan import (
    COMMENT_AUTHOR,
    MARK_FILLS,
    CellWrite,
    OutputSheet,
    WritePlan,
)
from xlreport.core.styles import LINK_COLOR, PLAN_STYLES

GRID_SHEETS = (*schema.INPUT_SHEETS, schema.SHEET_META)
MAX_GRID_CELLS = 400_000  # same bound as the file path (xlsx_io.MAX_GRID_CELLS)
MAX_READ_CELLS = 2_000_000  # a used range larger than this is trimmed to its last filled row
NOTE_PREFIX = f"{COMMENT_AUTHOR}:\n"  # Excel's own convention: a note starts with "Author:"
MESSAGE_TITLE = "绩效自评"
_MARK_FILL_SET = frozenset(MARK_FILLS.values())
# On Windows, Range.MergeCells of a mixed range is None, so False means "no merged cell";
# on macOS a mixed range may also say False, so there every filled cell is asked.
TRUST_MERGE_FALSE = sys.platform.startswith("win")


# Small helpers -------------------------------------------------------------------------
def _rgb_hex(color: Any) -> str | None:
    """xlwings colours ((r, g, b), an int, '#RRGGBB' or None) as 'RRGGBB'."""
    if color is None:
        return None
    if isinstance(color, str):
        return color.lstrip("#").upper()[-6:]
    if isinstance(color, int):  # Excel's BGR integer
        return f"{color & 0xFF:02X}{(color >> 8) & 0xFF:02X}{(color >> 16) & 0xFF:02X}"
    r, g, b = color
    return f"{int(r):02X}{int(g):02X}{int(b):02X}"


def _two_d(value: Any, nrows: int, ncols: int) -> list[list[Any]]:
    """xlwings returns a scalar for one cell and a flat list for one row/column unless
    ndim=2 was asked; ``formula`` ignores options. Make everything rows of columns."""
    if nrows == 1 and ncols == 1 and not isinstance(value, (list, tuple)):
        return [[value]]
    rows = [list(r) if isinstance(r, (list, tuple)) else [r] for r in value]
    if len(rows) != nrows and nrows == 1:  # a flat single row
        rows = [[r[0] for r in rows]]
    return rows


def _normalise_value(value: Any) -> Any:
    """Make a value read through Excel look like the same value read from the file:
    Excel hands every number over as a float; the file stores 2022, not 2022.0."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


_NEEDS_TEXT_PREFIX = re.compile(r"^[=+\-@]|\d|^\s*(true|false)\s*$", re.IGNORECASE)


def _excel_text(value: Any) -> Any:
    """Excel coerces a string assigned through its object model as if typed: '1/2' becomes a
    date, '85%' a number, '=…' a formula. A leading apostrophe keeps text as text (Excel
    stores the text without it), so output text always arrives as written."""
    if isinstance(value, str) and _NEEDS_TEXT_PREFIX.search(value):
        return "'" + value
    return value


# Reading -------------------------------------------------------------------------------
def _wanted_sheet(name: str) -> bool:
    """Every sheet but the tool's own output: the indicator table is found by content (an
    official one-sheet 自评表, a renamed 绩效指标)."""
    return schema.normalize_label(name) not in {schema.normalize_label(n) for n in schema.OUTPUT_SHEETS}


def _trimmed_rows(sheet, top: int, left: int, nrows: int, ncols: int) -> int:
    """A used range inflated by formatting far below the data: the last row that holds
    anything, found with Ctrl+Up from the bottom of each column."""
    bottom = top + nrows - 1
    last = top
    for col in range(left, left + ncols):
        cell = sheet.range((bottom, col))
        row = bottom if cell.value is not None else cell.end("up").row
        last = max(last, row)
    return last - top + 1


def _merged_areas(sheet, cells: dict[tuple[int, int], RawCell], used) -> list[tuple[int, int, int, int]]:
    """Merged ranges that hold a value (the reader needs those: a label merged across columns,
    an 一级指标 merged down rows). Merged blank cells read as blank either way."""
    try:
        state = used.merge_cells
    except Exception:  # noqa: BLE001 - an engine without the property: no merges known
        return []
    if state is False and TRUST_MERGE_FALSE:
        return []
    areas: list[tuple[int, int, int, int]] = []
    for (row, col) in sorted(cells):
        if any(r1 <= row <= r2 and c1 <= col <= c2 for r1, c1, r2, c2 in areas):
            continue
        rng = sheet.range((row, col))
        if rng.merge_cells:
            area = rng.merge_area
            last = area.last_cell
            areas.append((area.row, area.column, last.row, last.column))
    return areas


def read_sheet(sheet, merges: bool = True) -> SheetGrid:
    """One worksheet as a :class:`SheetGrid`: cached values, number formats of numeric cells,
    formula text of formula cells, merged ranges."""
    grid = SheetGrid(name=sheet.name, hidden=not sheet.visible)
    used = sheet.used_range
    top, left = used.row, used.column
    nrows, ncols = used.shape
    if nrows * ncols > MAX_READ_CELLS:
        nrows = _trimmed_rows(sheet, top, left, nrows, ncols)
        used = sheet.range((top, left), (top + nrows - 1, left + ncols - 1))
        if nrows * ncols > MAX_READ_CELLS:
            raise FileRejected.make("file-too-large", path=sheet.name, reason=f"工作表“{sheet.name}”有{nrows}行")
    values = _two_d(used.options(ndim=2, err_to_str=True).value, nrows, ncols)
    formulas = _two_d(used.formula, nrows, ncols)
    count = 0
    for i in range(nrows):
        for j in range(ncols):
            value = _normalise_value(values[i][j])
            formula = formulas[i][j]
            formula = formula if isinstance(formula, str) and formula.startswith("=") and len(formula) > 1 else None
            if value is None and formula is None:
                continue
            if value == "" and formula is None:
                continue
            count += 1
            if count > MAX_GRID_CELLS:
                raise FileRejected.make("file-too-large", path=sheet.name, reason=f"工作表“{sheet.name}”内容过多")
            grid.cells[(top + i, left + j)] = RawCell(value, "General", formula)
    _read_number_formats(sheet, grid, top, nrows)
    if merges and grid.cells:
        grid.merged = _merged_areas(sheet, grid.cells, used)
    return grid


def _read_number_formats(sheet, grid: SheetGrid, top: int, nrows: int) -> None:
    """Number formats matter for numbers only (0.85 shown as 85% is 85%). One call per column
    when the column is formatted uniformly, else one call per numeric cell."""
    numeric: dict[int, list[int]] = {}
    for (row, col), cell in grid.cells.items():
        if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
            numeric.setdefault(col, []).append(row)
    for col, rows in numeric.items():
        fmt = sheet.range((min(rows), col), (max(rows), col)).number_format if len(rows) > 1 else None
        for row in rows:
            cell_fmt = fmt if isinstance(fmt, str) and fmt else sheet.range((row, col)).number_format
            raw = grid.cells[(row, col)]
            grid.cells[(row, col)] = RawCell(raw.value, cell_fmt or "General", raw.formula)


def read_grid(book) -> BookGrid:
    """The input sheets and ``_meta`` of a live workbook, as the core reads them."""
    sheets: dict[str, SheetGrid] = {}
    for sheet in book.sheets:
        if _wanted_sheet(sheet.name):
            sheets[sheet.name] = read_sheet(sheet, merges=sheet.name != schema.SHEET_META)
    return BookGrid(sheets=sheets, path=book.name)


# Styles ----------------------------------------------------------------------------------
def _draw(rng, style: str | None) -> None:
    """Draw a plan style from the shared table (:mod:`xlreport.core.styles`). What xlwings cannot
    draw without ``.api`` (borders) is left out."""
    if style is None:
        return
    spec = PLAN_STYLES[style]
    if spec.fill is not None:
        rng.color = "#" + spec.fill
    font = rng.font
    font.bold = spec.bold
    font.size = spec.size
    font.name = spec.font
    if spec.color is not None:
        font.color = "#" + spec.color
    if spec.wrap is not None:
        rng.wrap_text = spec.wrap
    if spec.horizontal in ("left", "center", "right"):
        try:
            rng.horizontal_alignment = spec.horizontal
        except Exception:  # noqa: BLE001 - older engines: alignment is cosmetic
            pass


# Applying a plan ---------------------------------------------------------------------------
def _sheet_of(book, name: str):
    names = [s.name for s in book.sheets]
    if name in names:
        return book.sheets[name]
    folded = schema.normalize_label(name)
    for title in names:
        if schema.normalize_label(title) == folded:
            return book.sheets[title]
    return None


def _is_ours(note) -> bool:
    """A note we wrote: through xlwings (text starts 'xlreport:') or through openpyxl by the
    command line (author 'xlreport'; Excel keeps the author of a file's notes)."""
    try:
        text = note.text or ""
    except Exception:  # noqa: BLE001
        text = ""
    if text.startswith(NOTE_PREFIX.rstrip("\n")):
        return True
    try:
        return note.author == COMMENT_AUTHOR
    except Exception:  # noqa: BLE001 - xlwings < 0.37.5 or an engine without authors
        return False


def note_text(text: str | None) -> str | None:
    """The message of one of our notes without its 'xlreport:' line."""
    if text is not None and text.startswith(NOTE_PREFIX):
        return text[len(NOTE_PREFIX):]
    return text


def _hyperlink_formula(sheet_name: str, cell: str, text: Any) -> str:
    target = "#'" + sheet_name.replace("'", "''") + "'!" + cell
    shown = "" if text is None else str(text)
    return '=HYPERLINK("{}","{}")'.format(target.replace('"', '""'), shown.replace('"', '""'))


def _column_runs(writes: list[CellWrite]):
    """Writes grouped into vertical runs of one column with the same style and number format,
    so a run costs three or four calls into Excel instead of that many per cell. Only done
    when no cell is written twice (then the order of the plan cannot matter)."""
    if len({(w.sheet, w.row, w.col) for w in writes}) != len(writes):
        for w in writes:
            yield w.sheet, w.col, w.row, [w]
        return
    ordered = sorted(writes, key=lambda w: (w.sheet, w.col, w.style or "", w.number_format or "", w.row))
    run: list[CellWrite] = []
    for w in ordered:
        if run and (w.sheet, w.col, w.style, w.number_format) == \
                (run[-1].sheet, run[-1].col, run[-1].style, run[-1].number_format) and w.row == run[-1].row + 1:
            run.append(w)
            continue
        if run:
            yield run[0].sheet, run[0].col, run[0].row, run
        run = [w]
    if run:
        yield run[0].sheet, run[0].col, run[0].row, run


def _format_runs(formats: dict[tuple[int, int], str]):
    """(col, first row, last row, format) for vertical runs of one number format."""
    run = None
    for (r, c), fmt in sorted(formats.items(), key=lambda item: (item[0][1], item[0][0])):
        if run and run[0] == c and run[2] == r - 1 and run[3] == fmt:
            run = (c, run[1], r, fmt)
            continue
        if run:
            yield run
        run = (c, r, r, fmt)
    if run:
        yield run


def _write_output_sheet(book, sheet: OutputSheet) -> None:
    """Clear and rewrite a tool-owned sheet (created after the last sheet when missing)."""
    existing = _sheet_of(book, sheet.name)
    if existing is not None and existing.name == sheet.name:
        ws = existing
        ws.clear()
    else:
        ws = book.sheets.add(sheet.name, after=book.sheets[len(book.sheets) - 1])
    width = max((len(r) for r in sheet.rows), default=0)
    if sheet.rows and width:
        block = [[_excel_text(v) for v in r] + [None] * (width - len(r)) for r in sheet.rows]
        ws.range((1, 1), (len(block), width)).value = block
    for r, style in sheet.styles.items():
        length = len(sheet.rows[r - 1]) if 0 < r <= len(sheet.rows) else 0
        if style is not None and length:
            _draw(ws.range((r, 1), (r, length)), style)
    for col, first, last, fmt in _format_runs(sheet.formats):
        ws.range((first, col), (last, col)).number_format = fmt
    for r, fill in sheet.row_fills.items():
        ws.range((r, 1)).color = "#" + fill
    for link in sheet.links:
        cell = ws.range((link.row, link.col))
        shown = sheet.rows[link.row - 1][link.col - 1] if link.col <= len(sheet.rows[link.row - 1]) else None
        cell.formula = _hyperlink_formula(link.target_sheet, link.target_cell, shown)
        cell.font.color = "#" + LINK_COLOR  # Excel's Hyperlink style colour
    for col, w in sheet.widths.items():
        ws.range((1, col)).column_width = w
    if sheet.freeze:
        try:
            ws.freeze_panes.freeze_at(sheet.freeze)
        except Exception:  # noqa: BLE001 - classic xlwings has no freeze panes: optional
            pass
    ws.visible = not sheet.hidden


def apply_plan_xlwings(book, plan: WritePlan) -> None:
    """Apply a write plan to a live workbook: same semantics as ``xlsx_io.apply_plan``."""
    for unmark in plan.unmarks:
        ws = _sheet_of(book, unmark.sheet)
        if ws is None:
            continue
        cell = ws.range((unmark.row, unmark.col))
        if _rgb_hex(cell.color) in _MARK_FILL_SET:
            # _meta may hold ARGB ("00FFF2CC", from the file path): Excel's colours have no alpha
            cell.color = ("#" + unmark.fill[-6:]) if unmark.fill else None
        note = cell.note
        if note is not None and _is_ours(note):
            note.delete()
    for sheet_name, col, first, writes in _column_runs(plan.writes):
        ws = _sheet_of(book, sheet_name)
        if ws is None:
            continue
        block = ws.range((first, col), (first + len(writes) - 1, col))
        block.value = [[_excel_text(w.value)] for w in writes]
        _draw(block, writes[0].style)
        if writes[0].number_format:
            block.number_format = writes[0].number_format
    for (sheet_name, col), width in plan.column_widths.items():
        ws = _sheet_of(book, sheet_name)
        if ws is not None:
            ws.range((1, col)).column_width = width

    mark_rows: list[list[Any]] = []
    for mark in plan.marks:
        ws = _sheet_of(book, mark.sheet)
        if ws is None:
            continue
        cell = ws.range((mark.row, mark.col))
        original = _rgb_hex(cell.color)  # RRGGBB: Excel reports no alpha (the file path keeps ARGB)
        if original in _MARK_FILL_SET:
            original = None
        cell.color = "#" + mark.fill
        note = cell.note
        if note is None:
            cell.add_note(NOTE_PREFIX + mark.comment)
        elif _is_ours(note):
            note.delete()
            cell.add_note(NOTE_PREFIX + mark.comment)
        mark_rows.append(["mark", ws.name, a1(mark.row, mark.col), original or ""])

    for sheet in plan.sheets:
        if sheet.name == schema.SHEET_META:
            sheet = OutputSheet(sheet.name, sheet.rows + mark_rows, hidden=True)
        _write_output_sheet(book, sheet)


# The live book as the build's adapter ---------------------------------------------------------------------
def book_path(book) -> Path | None:
    """The workbook's file, or None while it has never been saved (its fullname is then just
    a name such as 'Book1' / '工作簿1') or when it lives at a URL xlwings could not map."""
    fullname = book.fullname or ""
    if "://" in fullname:
        return None
    if os.path.isabs(fullname) or re.match(r"^([A-Za-z]:[\\/]|\\\\)", fullname):
        return Path(fullname)
    return None


class LiveBook:
    """The workbook open in Excel, as :func:`xlreport.pipeline.build` sees it. The guard: the
    book must have been saved to a folder (the report goes beside it), must look like a
    绩效自评 workbook, and is read within the same cell bounds as a file. The plan is applied
    in place; saving is left to the user."""

    def __init__(self, book) -> None:
        self.book = book
        self.path = book_path(book)
        self.source = self.path or Path(book.name or "工作簿")

    def read(self) -> BookGrid:
        if self.path is None:
            code = "excel-book-online" if "://" in (self.book.fullname or "") else "excel-book-unsaved"
            raise XlreportError.make(code)
        return read_grid(self.book)  # a book without an indicator table is refused by the build

    def write(self, plan: WritePlan) -> None:
        apply_plan_xlwings(self.book, plan)  # nothing saved: the user saves (Ctrl+S)


__all__ = [
    "LiveBook",
    "apply_plan_xlwings",
    "book_path",
    "note_text",
    "read_grid",
    "read_sheet",
]
