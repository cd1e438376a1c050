"""A neutral, read-only picture of a workbook's cells.

Both adapters (openpyxl for files, xlwings for the live Excel workbook) turn what they
see into :class:`BookGrid`; the pure core reads only this. That is what makes a workbook
score the same whichever way it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

EXCEL_ERRORS = frozenset({
    "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
    "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!",
})


def column_letter(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_index(letters: str) -> int:
    """'A' -> 1, 'AB' -> 28."""
    col = 0
    for ch in letters.upper():
        col = col * 26 + ord(ch) - 64
    return col


def a1(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def split_a1(cell: str) -> tuple[int, int]:
    """'B12' -> (12, 2); the reverse of :func:`a1`."""
    letters = "".join(ch for ch in cell if ch.isalpha())
    digits = "".join(ch for ch in cell if ch.isdigit())
    return (int(digits) if digits else 0), column_index(letters)


@dataclass(frozen=True)
class RawCell:
    """What a cell holds: its (cached) value, its number format, and formula facts."""

    value: Any = None
    number_format: str = "General"
    formula: str | None = None  # the formula text when the cell is a formula

    @property
    def error(self) -> str | None:
        if isinstance(self.value, str) and self.value.strip().upper() in EXCEL_ERRORS:
            return self.value.strip().upper()
        return None

    @property
    def missing_cache(self) -> bool:
        return self.formula is not None and self.value is None

    @property
    def is_blank(self) -> bool:
        if self.formula is not None:
            return False
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


BLANK = RawCell()


@dataclass
class SheetGrid:
    name: str
    cells: dict[tuple[int, int], RawCell] = field(default_factory=dict)
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2
    hidden: bool = False

    @property
    def max_row(self) -> int:
        return max((r for r, _ in self.cells), default=0)

    @property
    def max_col(self) -> int:
        return max((c for _, c in self.cells), default=0)

    def get(self, row: int, col: int) -> RawCell:
        return self.cells.get((row, col), BLANK)

    def value(self, row: int, col: int) -> Any:
        return self.get(row, col).value

    def merge_anchor(self, row: int, col: int) -> tuple[int, int] | None:
        """The top-left cell of the merged range holding (row, col), if any."""
        for r1, c1, r2, c2 in self.merged:
            if r1 <= row <= r2 and c1 <= col <= c2:
                return r1, c1
        return None

    def iter_nonblank(self) -> Iterator[tuple[int, int, RawCell]]:
        for (r, c), cell in sorted(self.cells.items()):
            if not cell.is_blank:
                yield r, c, cell


@dataclass
class BookGrid:
    sheets: dict[str, SheetGrid]
    path: str | None = None  # for messages only

    def sheet(self, name: str) -> SheetGrid | None:
        return self.sheets.get(name)
