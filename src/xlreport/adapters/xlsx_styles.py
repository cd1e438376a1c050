"""openpyxl drawing of :mod:`xlreport.core.styles` and the one A4 page setup every sheet we write uses."""

from __future__ import annotations

from functools import cache

import xlreport.adapters.openpyxl_loader  # noqa: F401  (openpyxl without numpy: must come first)

# isort: split
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from xlreport.core.styles import BORDER_COLOR, CellStyle


def solid_fill(rgb: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=rgb, end_color=rgb)


@cache
def _parts(style: CellStyle) -> tuple[Font, Alignment, Border | None, PatternFill | None]:
    font = Font(name=style.font, size=style.size, bold=style.bold, color=style.color)
    align = Alignment(horizontal=style.horizontal, vertical=style.vertical, wrap_text=style.wrap)
    thin = Side(style="thin", color=BORDER_COLOR)
    border = Border(left=thin, right=thin, top=thin, bottom=thin) if style.border else None
    return font, align, border, solid_fill(style.fill) if style.fill else None


def font_of(style: CellStyle) -> Font:
    return _parts(style)[0]


def alignment_of(style: CellStyle) -> Alignment:
    return _parts(style)[1]


def draw(cell, style: CellStyle | None) -> None:
    """Give an openpyxl cell this look (None: leave the cell's look alone)."""
    if style is None:
        return
    font, align, border, fill = _parts(style)
    cell.font = font
    if border is not None:
        cell.border = border
    cell.alignment = align
    if fill is not None:
        cell.fill = fill


def page_setup_a4(ws, *, landscape: bool = True, title_rows: str | None = None,
                  page_numbers: bool = False) -> None:
    """A4, one page wide and as many long as needed; optional repeated header rows and
    '第 n 页，共 m 页' in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if page_numbers:
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    if title_rows:
        ws.print_title_rows = title_rows
