"""Write-back as data: the cells, highlights and output sheets a build produces.

The core turns an :class:`~xlreport.core.model.Evaluation` into a :class:`WritePlan`; the
openpyxl adapter (files) and the xlwings adapter (the live workbook) each apply it. No
entry in a plan ever targets a cell the user typed: only output cells, output sheets,
highlights (fill + comment) and the hidden ``_meta`` sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

# Styles an adapter knows how to draw. Keep the set small and named by purpose.
STYLE_OUTPUT = "output"  # a computed value in an output cell
STYLE_OUTPUT_HEADER = "output_header"
STYLE_HEADER = "header"
STYLE_TITLE = "title"
STYLE_TOTAL = "total"

FORMAT_SCORE = "0.00"
FORMAT_PERCENT = "0.00%"
FORMAT_AMOUNT = "#,##0.00"

# Highlight fills by level (RGB hex, no '#').
MARK_FILLS = {"错误": "FFC7CE", "警告": "FFEB9C", "提示": "DDEBF7"}
COMMENT_AUTHOR = "xlreport"

if TYPE_CHECKING:
    from xlreport.core.forms import FormLayout


@dataclass(frozen=True)
class CellWrite:
    """Put a value (and optionally a number format and a style) into one output cell."""

    sheet: str
    row: int
    col: int
    value: Any
    number_format: str | None = None
    style: str | None = STYLE_OUTPUT


@dataclass(frozen=True)
class Mark:
    """Highlight a cell with a problem: fill colour and a comment."""

    sheet: str
    row: int
    col: int
    level: str  # 错误 / 警告 / 提示
    comment: str

    @property
    def fill(self) -> str:
        return MARK_FILLS[self.level]


@dataclass(frozen=True)
class Unmark:
    """Undo an earlier build's highlight: restore the fill, drop our comment."""

    sheet: str
    row: int
    col: int
    fill: str | None  # the fill the cell had before we marked it (RGB hex) or None


@dataclass(frozen=True)
class Link:
    """A hyperlink from a cell of an output sheet to a cell elsewhere in the workbook."""

    row: int
    col: int
    target_sheet: str
    target_cell: str


@dataclass
class OutputSheet:
    """A sheet the tool owns (评分结果, 校验结果): cleared and rewritten on every build."""

    name: str
    rows: list[list[Any]]
    widths: dict[int, float] = field(default_factory=dict)  # col -> width in characters
    formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) -> number format
    styles: dict[int, str] = field(default_factory=dict)  # row -> style for the whole row
    links: list[Link] = field(default_factory=list)
    row_fills: dict[int, str] = field(default_factory=dict)  # row -> fill RGB hex
    freeze: str | None = None
    hidden: bool = False


@dataclass
class WritePlan:
    writes: list[CellWrite] = field(default_factory=list)
    unmarks: list[Unmark] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    sheets: list[OutputSheet] = field(default_factory=list)
    # Widths for output columns newly added to an input sheet: (sheet, col) -> width.
    column_widths: dict[tuple[str, int], float] = field(default_factory=dict)


@dataclass(frozen=True)
class Layout:
    """Where a workbook keeps what the planner writes, as the reader found it: the actual
    sheet titles, the indicator table's header row, its columns by key and its extent."""

    sheet_names: dict[str, str | None] = field(default_factory=dict)  # template name -> title in the book
    indicator_header_row: int = 0  # 0: no indicator table found
    indicator_columns: dict[str, int] = field(default_factory=dict)  # column key -> column number
    indicator_max_row: int = 0
    indicator_max_col: int = 0
    form: FormLayout | None = None  # set when the book is an official one-sheet 自评表
