"""The look of cells, as plain data: what the template, the file adapter and the Excel adapter draw.

A yellow cell is one the user fills in, a grey-blue one the tool computes; the write plan
names its styles by purpose (``plan.STYLE_*``) and :data:`PLAN_STYLES` says how each looks.
No drawing library here: openpyxl draws these through :mod:`xlreport.adapters.xlsx_styles`, a live
workbook through :mod:`xlreport.adapters.excel`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xlreport.core import plan

FONT_NAME = "宋体"
FONT_SIZE = 11
INPUT_FILL = "FFF2CC"  # light yellow: the user types here
OUTPUT_FILL = "E7EEF7"  # light grey-blue: the tool writes here
HEADER_FILL = "D9E1F2"  # input column headers
OUTPUT_HEADER_FILL = "BDD7EE"  # output column headers, a shade darker than OUTPUT_FILL
HINT_COLOR = "808080"
BORDER_COLOR = "A6A6A6"  # thin border on every side of a boxed cell
LINK_COLOR = "0563C1"  # Excel's own Hyperlink style


@dataclass(frozen=True)
class CellStyle:
    """One cell look. Colours are RRGGBB; None leaves that part of the cell as it is."""

    fill: str | None = None
    font: str = FONT_NAME
    size: float = FONT_SIZE
    bold: bool = False
    color: str | None = None
    horizontal: str | None = None
    vertical: str | None = None
    wrap: bool | None = None
    border: bool = False


def _box(fill: str | None, *, bold: bool = False, centered: bool = False) -> CellStyle:
    return CellStyle(fill=fill, bold=bold, horizontal="center" if centered else "left", vertical="center",
                     wrap=True, border=True)


INPUT = _box(INPUT_FILL)
INPUT_CENTERED = _box(INPUT_FILL, centered=True)
OUTPUT = _box(OUTPUT_FILL)
OUTPUT_CENTERED = _box(OUTPUT_FILL, centered=True)
HEADER = _box(HEADER_FILL, bold=True, centered=True)
OUTPUT_HEADER = _box(OUTPUT_HEADER_FILL, bold=True, centered=True)
TOTAL = _box(OUTPUT_FILL, bold=True, centered=True)  # 总分, 评价等级 on an output sheet
LABEL = _box(None)  # the label of a labelled cell: neither input nor output
LABEL_BOLD = _box(None, bold=True)
TITLE = CellStyle(size=14, bold=True, horizontal="left", vertical="center")
HINT = CellStyle(size=10, color=HINT_COLOR, horizontal="left", vertical="center", wrap=True)

PLAN_STYLES: dict[str, CellStyle] = {
    plan.STYLE_OUTPUT: OUTPUT,
    plan.STYLE_OUTPUT_HEADER: OUTPUT_HEADER,
    plan.STYLE_HEADER: HEADER,
    plan.STYLE_TITLE: TITLE,
    plan.STYLE_TOTAL: TOTAL,
}
