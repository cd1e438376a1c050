"""An in-memory stand-in for exactly the xlwings objects xlreport.adapters.excel uses.

It models Excel's behaviour as xlwings (classic, Windows engine) exposes it, including the
habits that bite:

* every number comes back as a float; empty cells as None; error cells as None unless the
  range was read with ``options(err_to_str=True)``;
* ``options(ndim=2)`` gives rows of columns, otherwise one cell is a scalar and one row or
  column a flat list; ``formula`` ignores options (a str for one cell, else tuples of tuples)
  and gives constants as text and blanks as "";
* a string assigned to ``value`` is coerced as if typed: numbers, percentages, TRUE/FALSE,
  ISO dates become values, "=…" becomes a formula; a leading apostrophe keeps text and is
  not stored;
* ``number_format``/``color``/``merge_cells`` of a multi-cell range are None when mixed
  (on macOS ``merge_cells`` of a mixed range says False: ``mac=True``);
* ``sheets.add`` raises when the name exists (case-blind, like Excel) and activates the new
  sheet; ``add_note`` raises when the cell already has a note; notes added through the object
  model get the Excel user's name as author; ``sheet.clear()`` clears contents, formats,
  notes and merges; freeze panes are not implemented in classic xlwings (NotImplementedError).

There is deliberately no ``.api`` anywhere: the adapter must not need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from xlreport.core.grid import column_index, column_letter

EXCEL_USER = "张三"  # Application.UserName: the author of notes added through xlwings
ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A")


@dataclass(frozen=True)
class ExcelError:
    code: str


@dataclass
class FakeNote:
    cell: "FakeCell"
    text: str
    author: str = EXCEL_USER

    def delete(self) -> None:
        self.cell.note = None


@dataclass
class FakeCell:
    value: Any = None  # float, bool, str, datetime, ExcelError or None
    formula: str | None = None
    number_format: str = "General"
    color: tuple[int, int, int] | None = None
    note: FakeNote | None = None
    font: dict[str, Any] = field(default_factory=dict)
    wrap: bool | None = None
    halign: str | None = None

    @property
    def empty(self) -> bool:
        return (self.value is None and self.formula is None and self.number_format == "General"
                and self.color is None and self.note is None and not self.font and self.wrap is None
                and self.halign is None)


_col_number = column_index
_col_letters = column_letter


def _parse_address(address: str) -> tuple[int, int, int, int]:
    parts = address.replace("$", "").split(":")
    coords = []
    for part in parts:
        m = re.fullmatch(r"([A-Za-z]+)(\d+)", part)
        if not m:
            raise ValueError(f"fake: unsupported address {address!r}")
        coords.append((int(m.group(2)), _col_number(m.group(1))))
    (r1, c1), (r2, c2) = coords[0], coords[-1]
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


def _hex_to_rgb(value: str) -> tuple[int, int, int]:
    h = value.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_PERCENT = re.compile(r"^([+-]?(\d+(\.\d*)?|\.\d+))%$")
_ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")
_HYPERLINK = re.compile(r'^=HYPERLINK\("((?:[^"]|"")*)","((?:[^"]|"")*)"\)$')


def _typed(cell: FakeCell, raw: Any) -> None:
    """What Excel stores when the object model assigns ``raw`` to a cell's Value."""
    cell.formula = None
    if raw is None:
        cell.value = None
        return
    if isinstance(raw, bool):
        cell.value = raw
        return
    if isinstance(raw, (int, float)):
        cell.value = float(raw)
        return
    if isinstance(raw, datetime):
        cell.value = raw
        return
    if not isinstance(raw, str):
        raise TypeError(f"fake: Excel cannot take {type(raw).__name__}")
    if raw.startswith("'"):
        cell.value = raw[1:]
        return
    if raw.startswith("=") and len(raw) > 1:
        _set_formula(cell, raw)
        return
    text = raw.strip()
    if _NUMBER.match(text):
        cell.value = float(text)
    elif _PERCENT.match(text):
        cell.value = float(_PERCENT.match(text).group(1)) / 100
        if cell.number_format == "General":
            cell.number_format = "0%"
    elif text.upper() in ("TRUE", "FALSE"):
        cell.value = text.upper() == "TRUE"
    elif _ISO_DATE.match(text):
        cell.value = datetime.strptime(text, "%Y-%m-%d")
    else:
        cell.value = raw


def _set_formula(cell: FakeCell, formula: str) -> None:
    cell.formula = formula
    m = _HYPERLINK.match(formula)
    cell.value = m.group(2).replace('""', '"') if m else None  # other formulas: not evaluated


def hyperlink_target(cell: FakeCell) -> str | None:
    m = _HYPERLINK.match(cell.formula or "")
    return m.group(1).replace('""', '"') if m else None


class FakeFont:
    def __init__(self, rng: "FakeRange") -> None:
        object.__setattr__(self, "_rng", rng)

    def __getattr__(self, name: str) -> Any:
        if name not in ("bold", "size", "name", "color"):
            raise AttributeError(name)
        values = {c.font.get(name) for c in self._rng._cells()}
        return values.pop() if len(values) == 1 else None

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in ("bold", "size", "name", "color"):
            raise AttributeError(f"fake: font.{name} is not modelled")
        for c in self._rng._cells(create=True):
            c.font[name] = value


class FakeRange:
    def __init__(self, sheet: "FakeSheet", r1: int, c1: int, r2: int, c2: int,
                 options: dict[str, Any] | None = None) -> None:
        self.sheet = sheet
        self.r1, self.c1, self.r2, self.c2 = r1, c1, r2, c2
        self._options = options or {}

    def __repr__(self) -> str:
        return f"<FakeRange {self.sheet.name}!{self.address}>"

    # geometry
    @property
    def row(self) -> int:
        return self.r1

    @property
    def column(self) -> int:
        return self.c1

    @property
    def shape(self) -> tuple[int, int]:
        return self.r2 - self.r1 + 1, self.c2 - self.c1 + 1

    @property
    def address(self) -> str:
        first = f"${_col_letters(self.c1)}${self.r1}"
        if (self.r1, self.c1) == (self.r2, self.c2):
            return first
        return f"{first}:${_col_letters(self.c2)}${self.r2}"

    @property
    def last_cell(self) -> "FakeRange":
        return FakeRange(self.sheet, self.r2, self.c2, self.r2, self.c2, self._options)

    def options(self, **kwargs: Any) -> "FakeRange":
        unknown = set(kwargs) - {"ndim", "err_to_str"}
        if unknown:
            raise TypeError(f"fake: options {unknown} are not modelled")
        return FakeRange(self.sheet, self.r1, self.c1, self.r2, self.c2, {**self._options, **kwargs})

    def _coords(self):
        for r in range(self.r1, self.r2 + 1):
            for c in range(self.c1, self.c2 + 1):
                yield r, c

    def _cells(self, create: bool = False):
        for key in self._coords():
            if create:
                yield self.sheet.cells.setdefault(key, FakeCell())
            else:
                yield self.sheet.cells.get(key, FakeCell())

    def _single(self) -> FakeCell:
        if self.shape != (1, 1):
            raise ValueError("fake: a single cell is required here")
        return self.sheet.cells.setdefault((self.r1, self.c1), FakeCell())

    def _shape_out(self, grid: list[list[Any]]) -> Any:
        if self._options.get("ndim") == 2:
            return grid
        nrows, ncols = self.shape
        if nrows == 1 and ncols == 1:
            return grid[0][0]
        if nrows == 1:
            return grid[0]
        if ncols == 1:
            return [r[0] for r in grid]
        return grid

    # values
    @property
    def value(self) -> Any:
        self.sheet.book.reads += 1
        err_to_str = self._options.get("err_to_str", False)

        def out(cell: FakeCell) -> Any:
            v = cell.value
            if isinstance(v, ExcelError):
                return v.code if err_to_str else None
            if v == "":
                return None if cell.formula is None else ""
            return v

        grid = [[out(self.sheet.cells.get((r, c), FakeCell())) for c in range(self.c1, self.c2 + 1)]
                for r in range(self.r1, self.r2 + 1)]
        return self._shape_out(grid)

    @value.setter
    def value(self, data: Any) -> None:
        self.sheet.book.writes += 1
        if isinstance(data, (list, tuple)):
            rows = data if data and isinstance(data[0], (list, tuple)) else [data]
            for i, row in enumerate(rows):
                for j, v in enumerate(row):
                    _typed(self.sheet.cells.setdefault((self.r1 + i, self.c1 + j), FakeCell()), v)
            return
        for cell in self._cells(create=True):
            _typed(cell, data)

    @property
    def formula(self) -> Any:
        self.sheet.book.reads += 1

        def text(cell: FakeCell) -> str:
            if cell.formula is not None:
                return cell.formula
            v = cell.value
            if v is None:
                return ""
            if isinstance(v, bool):
                return "TRUE" if v else "FALSE"
            if isinstance(v, float):
                return repr(int(v)) if v.is_integer() else repr(v)
            if isinstance(v, ExcelError):
                return v.code
            return str(v)

        grid = [tuple(text(self.sheet.cells.get((r, c), FakeCell())) for c in range(self.c1, self.c2 + 1))
                for r in range(self.r1, self.r2 + 1)]
        if self.shape == (1, 1):
            return grid[0][0]
        return tuple(grid)

    @formula.setter
    def formula(self, value: str) -> None:
        self.sheet.book.writes += 1
        for cell in self._cells(create=True):
            if isinstance(value, str) and value.startswith("="):
                _set_formula(cell, value)
            else:
                _typed(cell, value)

    @property
    def number_format(self) -> str | None:
        self.sheet.book.reads += 1
        formats = {c.number_format for c in self._cells()}
        return formats.pop() if len(formats) == 1 else None

    @number_format.setter
    def number_format(self, value: str) -> None:
        self.sheet.book.writes += 1
        for cell in self._cells(create=True):
            cell.number_format = value

    @property
    def color(self) -> tuple[int, int, int] | None:
        self.sheet.book.reads += 1
        colors = {c.color for c in self._cells()}
        return colors.pop() if len(colors) == 1 else None

    @color.setter
    def color(self, value: Any) -> None:
        self.sheet.book.writes += 1
        if isinstance(value, str):
            value = _hex_to_rgb(value)
        elif isinstance(value, int):
            value = (value & 0xFF, (value >> 8) & 0xFF, (value >> 16) & 0xFF)
        elif value is not None:
            value = tuple(value)
        for cell in self._cells(create=True):
            cell.color = value

    @property
    def font(self) -> FakeFont:
        return FakeFont(self)

    @property
    def wrap_text(self) -> bool | None:
        values = {c.wrap for c in self._cells()}
        return values.pop() if len(values) == 1 else None

    @wrap_text.setter
    def wrap_text(self, value: bool) -> None:
        for cell in self._cells(create=True):
            cell.wrap = value

    @property
    def horizontal_alignment(self) -> str | None:
        values = {c.halign for c in self._cells()}
        return values.pop() if len(values) == 1 else None

    @horizontal_alignment.setter
    def horizontal_alignment(self, value: str) -> None:
        for cell in self._cells(create=True):
            cell.halign = value

    @property
    def column_width(self) -> float | None:
        widths = {self.sheet.widths.get(c, 8.43) for c in range(self.c1, self.c2 + 1)}
        return widths.pop() if len(widths) == 1 else None

    @column_width.setter
    def column_width(self, value: float) -> None:
        for c in range(self.c1, self.c2 + 1):
            self.sheet.widths[c] = value

    # notes
    @property
    def note(self) -> FakeNote | None:
        self.sheet.book.reads += 1
        cell = self.sheet.cells.get((self.r1, self.c1))
        if self.shape != (1, 1):
            raise ValueError("fake: note of a multi-cell range")
        return cell.note if cell else None

    def add_note(self, text: str) -> FakeNote:
        self.sheet.book.writes += 1
        if not isinstance(text, str):
            raise TypeError("Note text must be a string")
        if not text:
            raise ValueError("Note text must not be empty")
        cell = self._single()
        if cell.note is not None:
            raise ValueError("This cell already has a note")
        cell.note = FakeNote(cell, text)
        return cell.note

    # merges
    def _area_of(self, r: int, c: int) -> tuple[int, int, int, int] | None:
        for area in self.sheet.merged:
            r1, c1, r2, c2 = area
            if r1 <= r <= r2 and c1 <= c <= c2:
                return area
        return None

    @property
    def merge_cells(self) -> bool | None:
        self.sheet.book.reads += 1
        states = {self._area_of(r, c) is not None for r, c in self._coords()}
        if len(states) == 1:
            return states.pop()
        return False if self.sheet.book.mac else None

    @property
    def merge_area(self) -> "FakeRange":
        self.sheet.book.reads += 1
        area = self._area_of(self.r1, self.c1)
        if area is None:
            return FakeRange(self.sheet, self.r1, self.c1, self.r1, self.c1)
        return FakeRange(self.sheet, *area)

    def end(self, direction: str) -> "FakeRange":
        if direction != "up":
            raise NotImplementedError(direction)
        for r in range(self.r1 - 1, 0, -1):
            cell = self.sheet.cells.get((r, self.c1))
            if cell is not None and (cell.value is not None or cell.formula is not None):
                return FakeRange(self.sheet, r, self.c1, r, self.c1)
        return FakeRange(self.sheet, 1, self.c1, 1, self.c1)


class FakeFreezePanes:
    def freeze_at(self, frozen_range: Any) -> None:
        raise NotImplementedError()  # classic xlwings: base_classes.FreezePanes


class FakeSheet:
    def __init__(self, book: "FakeBook", name: str) -> None:
        self.book = book
        self.name = name
        self.cells: dict[tuple[int, int], FakeCell] = {}
        self.merged: list[tuple[int, int, int, int]] = []
        self.widths: dict[int, float] = {}
        self.visible = True
        self.freeze_panes = FakeFreezePanes()

    def __repr__(self) -> str:
        return f"<FakeSheet {self.name}>"

    def range(self, first: Any, second: Any = None) -> FakeRange:
        if isinstance(first, str):
            r1, c1, r2, c2 = _parse_address(first)
        else:
            r1, c1 = first
            r2, c2 = second if second is not None else first
        if second is not None and isinstance(second, str):
            raise ValueError("fake: mixed address forms are not modelled")
        return FakeRange(self, min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2))

    def __getitem__(self, address: str) -> FakeRange:
        return self.range(address)

    @property
    def used_range(self) -> FakeRange:
        keys = [k for k, c in self.cells.items() if not c.empty]
        if not keys:
            return FakeRange(self, 1, 1, 1, 1)
        rows = [r for r, _ in keys]
        cols = [c for _, c in keys]
        return FakeRange(self, min(rows), min(cols), max(rows), max(cols))

    def clear(self) -> None:
        self.book.writes += 1
        self.cells.clear()
        self.merged.clear()

    def activate(self) -> None:
        self.book.sheets._active = self


class FakeSheets:
    def __init__(self, book: "FakeBook") -> None:
        self.book = book
        self._list: list[FakeSheet] = []
        self._active: FakeSheet | None = None

    def __iter__(self):
        return iter(list(self._list))

    def __len__(self) -> int:
        return len(self._list)

    def __getitem__(self, key: int | str) -> FakeSheet:
        if isinstance(key, int):
            return self._list[key]
        for sheet in self._list:
            if sheet.name.lower() == key.lower():
                return sheet
        raise KeyError(key)

    @property
    def active(self) -> FakeSheet | None:
        return self._active

    def add(self, name: str | None = None, before: FakeSheet | None = None,
            after: FakeSheet | None = None) -> FakeSheet:
        name = name or f"Sheet{len(self._list) + 1}"
        if any(s.name.lower() == name.lower() for s in self._list):
            raise ValueError(f"Sheet named '{name}' already present in workbook")
        sheet = FakeSheet(self.book, name)
        if after is not None:
            self._list.insert(self._list.index(after) + 1, sheet)
        elif before is not None:
            self._list.insert(self._list.index(before), sheet)
        else:  # Excel inserts before the active sheet
            index = self._list.index(self._active) if self._active in self._list else 0
            self._list.insert(index, sheet)
        self._active = sheet
        return sheet


class FakeApp:
    def __init__(self) -> None:
        self.books = FakeBooks()
        self.alerts: list[dict[str, Any]] = []
        self.screen_updating = True

    def alert(self, prompt: str, title: str | None = None, buttons: str = "ok", mode: str | None = None,
              callback: str | None = None) -> str:
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        return "ok"


class FakeBooks(list):
    @property
    def active(self) -> "FakeBook":
        return self[-1]


class FakeBook:
    def __init__(self, name: str = "Book1", fullname: str | None = None, app: FakeApp | None = None,
                 mac: bool = False) -> None:
        self.name = name
        self.fullname = fullname if fullname is not None else name
        self.app = app or FakeApp()
        self.app.books.append(self)
        self.sheets = FakeSheets(self)
        self.mac = mac
        self.reads = 0
        self.writes = 0

    def __repr__(self) -> str:
        return f"<FakeBook {self.name}>"


# Loading a real file into the stand-in -------------------------------------------------
def _fill_rgb(cell) -> tuple[int, int, int] | None:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid" or fill.fgColor is None or fill.fgColor.type != "rgb":
        return None
    rgb = fill.fgColor.rgb
    return _hex_to_rgb(rgb[-6:]) if isinstance(rgb, str) else None


def book_from_xlsx(path, fullname: str | None = None, mac: bool = False) -> FakeBook:
    """What Excel would hold after opening ``path``: cached values of formulas, formats,
    solid fills, notes with their authors, merges, hidden sheets, column widths."""
    import openpyxl
    from openpyxl.utils import column_index_from_string

    formulas_wb = openpyxl.load_workbook(path)
    values_wb = openpyxl.load_workbook(path, data_only=True)
    book = FakeBook(name=str(path).replace("\\", "/").rsplit("/", 1)[-1],
                    fullname=fullname if fullname is not None else str(path), mac=mac)
    for ws in formulas_wb.worksheets:
        sheet = FakeSheet(book, ws.title)
        sheet.visible = ws.sheet_state == "visible"
        vs = values_wb[ws.title]
        for row in ws.iter_rows():
            for c in row:
                cell = FakeCell()
                v = c.value
                if c.data_type == "f":
                    cell.formula = v if isinstance(v, str) else str(getattr(v, "text", v))
                    cached = vs.cell(row=c.row, column=c.column).value
                    v = cached
                if isinstance(v, str) and v.strip().upper() in ERRORS:
                    v = ExcelError(v.strip().upper())
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    v = float(v)
                cell.value = v
                cell.number_format = c.number_format or "General"
                cell.color = _fill_rgb(c)
                if c.comment is not None:
                    cell.note = FakeNote(cell, c.comment.text, c.comment.author or "")
                if not cell.empty:
                    sheet.cells[(c.row, c.column)] = cell
        sheet.merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges]
        for letter, dim in ws.column_dimensions.items():
            if dim.width:
                sheet.widths[column_index_from_string(letter)] = dim.width
        book.sheets._list.append(sheet)
    book.sheets._active = book.sheets._list[formulas_wb.index(formulas_wb.active)] if book.sheets._list else None
    return book
