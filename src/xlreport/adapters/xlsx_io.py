"""The openpyxl edge: read a workbook file into a BookGrid, apply a WritePlan, save atomically.

Untrusted files reach openpyxl only after :func:`xlreport.adapters.safety.guard_workbook` has
bounded them; openpyxl parses XML through defusedxml. Formula cells keep their cached
values across our save (openpyxl would drop them), so a second build reads what the first
one read.
"""

from __future__ import annotations

import io
import shutil
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlreport.adapters.files import atomic_target
from xlreport.adapters.safety import FileInfo
from xlreport.adapters.xlsx_styles import draw, page_setup_a4, solid_fill
from xlreport.core import schema
from xlreport.core.failures import FileRejected
from xlreport.core.grid import BookGrid, RawCell, SheetGrid, a1
from xlreport.core.plan import COMMENT_AUTHOR, MARK_FILLS, OutputSheet, WritePlan
from xlreport.core.styles import PLAN_STYLES

GRID_SHEETS = (*schema.INPUT_SHEETS, schema.SHEET_META)
MAX_GRID_CELLS = 400_000  # an input sheet larger than this is not a self-evaluation


@dataclass
class LoadedBook:
    """An openpyxl workbook plus what we learnt while loading it."""

    workbook: Any
    grid: BookGrid
    info: FileInfo
    cached: dict[tuple[str, str], Any] = field(default_factory=dict)  # (sheet, A1) -> cached value
    lost_on_save: list[str] = field(default_factory=list)


def _load(path: Path, info: FileInfo, data_only: bool, read_only: bool = False):
    import openpyxl

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # A file object, not a path: openpyxl judges a path by its extension, and we
            # already know the real kind from the content.
            with open(path, "rb") as fh:
                data = io.BytesIO(fh.read())
            wb = openpyxl.load_workbook(data, data_only=data_only, read_only=read_only,
                                        keep_vba=info.kind == "xlsm" and not read_only,
                                        rich_text=False)
        except FileRejected:
            raise
        except Exception as exc:  # openpyxl raises many kinds on broken parts
            text = str(exc)
            if "forbidden" in text.lower() or "entit" in text.lower() or "DTD" in text:
                raise FileRejected.make("file-unsafe-xml", path=path.name, reason=type(exc).__name__) from exc
            raise FileRejected.make("file-corrupt", path=path.name, reason=f"{type(exc).__name__}") from exc
    return wb, [str(w.message) for w in caught]


def _sheet_grid(ws, name: str, formulas: bool) -> SheetGrid:
    grid = SheetGrid(name=name, hidden=getattr(ws, "sheet_state", "visible") != "visible")
    if ws.max_row * max(ws.max_column, 1) > MAX_GRID_CELLS * 4 and ws.max_row > 100_000:
        raise FileRejected.make("file-too-large", path=name, reason=f"工作表“{name}”有{ws.max_row}行")
    count = 0
    for row in ws.iter_rows():
        for cell in row:
            value = cell.value
            if value is None:
                continue
            count += 1
            if count > MAX_GRID_CELLS:
                raise FileRejected.make("file-too-large", path=name, reason=f"工作表“{name}”内容过多")
            formula = None
            if formulas and cell.data_type == "f":
                formula = value if isinstance(value, str) else str(getattr(value, "text", value))
                value = None
            grid.cells[(cell.row, cell.column)] = RawCell(value, cell.number_format or "General", formula)
    # Ranges whose first cell is empty say nothing (the live-Excel reader cannot see them cheaply
    # either, and both must give the same picture).
    grid.merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ws.merged_cells.ranges
                   if (r.min_row, r.min_col) in grid.cells]
    return grid


def _cached_values_read_only(path: Path, info: FileInfo, formula_cells: dict[str, list[tuple[int, int]]]
                             ) -> dict[str, dict[tuple[int, int], Any]]:
    """The cached values of formula cells, from a second, read-only openpyxl pass."""
    values_wb, _ = _load(path, info, data_only=True, read_only=True)
    result: dict[str, dict[tuple[int, int], Any]] = {}
    try:
        for name, keys in formula_cells.items():
            if not keys:
                continue
            ws = values_wb[name]
            wanted = set(keys)
            found = result.setdefault(name, {})
            max_row = max(r for r, _ in keys)
            for row in ws.iter_rows(min_row=1, max_row=max_row):
                for cell in row:
                    key = (getattr(cell, "row", None), getattr(cell, "column", None))
                    if key in wanted:
                        found[key] = cell.value
    finally:
        values_wb.close()
    return result


def load_book(path: str | Path, info: FileInfo) -> LoadedBook:
    """Load for reading and writing back. Formula cells get their cached values from a second,
    read-only pass only when the workbook has formulas."""
    path = Path(path)
    wb, messages = _load(path, info, data_only=False)
    sheets: dict[str, SheetGrid] = {}
    # Every sheet but our own output: the indicator table is found by content, whatever the
    # sheet is called (an official one-sheet 自评表, a renamed 绩效指标).
    skipped = {schema.normalize_label(n) for n in schema.OUTPUT_SHEETS}
    named = {schema.normalize_label(n) for n in GRID_SHEETS}
    for ws in wb.worksheets:
        if schema.normalize_label(ws.title) in skipped:
            continue
        try:
            sheets[ws.title] = _sheet_grid(ws, ws.title, formulas=True)
        except FileRejected:
            if schema.normalize_label(ws.title) in named:
                raise
            # a huge sheet of other data beside the self-evaluation is not the table: leave it out
    cached: dict[tuple[str, str], Any] = {}
    formula_cells = {name: [k for k, c in g.cells.items() if c.formula is not None] for name, g in sheets.items()}
    if any(formula_cells.values()):
        values = _cached_values_read_only(path, info, formula_cells)
        for name, found in values.items():
            for key, value in found.items():
                grid_cell = sheets[name].cells[key]
                sheets[name].cells[key] = RawCell(value, grid_cell.number_format, grid_cell.formula)
                if value is not None:
                    cached[(name, a1(*key))] = value
    from xlreport.adapters.safety import parts_lost_on_save

    lost = list(parts_lost_on_save(info))
    if any("will be removed" in m for m in messages):
        lost.append("Excel扩展功能（如跨表下拉列表、扩展条件格式）")
    grid = BookGrid(sheets=sheets, path=path.name)
    return LoadedBook(workbook=wb, grid=grid, info=info, cached=cached, lost_on_save=lost)


# Applying a plan -----------------------------------------------------------------------
def _set_value(cell, value: Any) -> None:
    """Text that starts with '=' (an indicator named '=…', a user's note) stays text."""
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"

def _unmerge_blank(ws, cells: set[tuple[int, int]]) -> None:
    """Output cells inside an *empty* merged range (a form's blank bordered area): unmerge it,
    which loses nothing typed. Ranges holding a value are never write targets."""
    for rng in list(ws.merged_cells.ranges):
        if ws.cell(rng.min_row, rng.min_col).value is not None:
            continue
        if any(rng.min_row <= r <= rng.max_row and rng.min_col <= c <= rng.max_col for r, c in cells):
            ws.unmerge_cells(str(rng))


def _fill_rgb(cell) -> str | None:
    fill = cell.fill
    if fill is None or fill.fill_type != "solid":
        return None
    rgb = fill.fgColor.rgb if fill.fgColor is not None and fill.fgColor.type == "rgb" else None
    return rgb.upper() if isinstance(rgb, str) else None


def _is_mark_fill(rgb: str | None) -> bool:
    return rgb is not None and rgb[-6:] in MARK_FILLS.values()


def _set_fill(cell, rgb: str | None) -> None:
    from openpyxl.styles import PatternFill

    if rgb and len(rgb) == 6:
        rgb = "FF" + rgb
    cell.fill = PatternFill(fill_type="solid", fgColor=rgb) if rgb else PatternFill(fill_type=None)


class _Styler:
    """Draws plan styles (and number formats) on cells of one workbook, remembering results.

    Setting ``cell.font`` & co. hashes the style object and looks it up in the workbook's
    style lists every time; for a few hundred output cells that was half of the build's
    own work. Drawing a style is a pure function of (style, format, the cell's previous
    style indices) within one workbook, so the resulting index array is computed once and
    copied to every further cell: the cells and the workbook's style lists end up exactly
    as if each cell had been styled one by one.
    """

    def __init__(self) -> None:
        from openpyxl.styles.cell_style import StyleArray

        self._array = StyleArray
        self._done: dict[tuple, Any] = {}

    def __call__(self, cell, style: str | None, number_format: str | None = None) -> None:
        if style is None and not number_format:
            return
        old = cell._style  # None for a cell openpyxl has not styled yet
        key = (style, number_format, None if old is None else old.tobytes())
        done = self._done.get(key)
        if done is not None:
            cell._style = self._array(done)
            return
        draw(cell, PLAN_STYLES[style] if style is not None else None)
        if number_format:
            cell.number_format = number_format
        self._done[key] = self._array(cell._style)


def _write_output_sheet(wb, sheet: OutputSheet, index: int | None, styler: _Styler | None = None) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    styler = styler or _Styler()

    if sheet.name in wb.sheetnames:
        old = wb[sheet.name]
        index = wb.sheetnames.index(sheet.name)
        wb.remove(old)
    ws = wb.create_sheet(sheet.name, index)
    for r, values in enumerate(sheet.rows, start=1):
        style = sheet.styles.get(r)
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c)
            _set_value(cell, value)
            styler(cell, style, sheet.formats.get((r, c)))
        if r in sheet.row_fills:
            ws.cell(row=r, column=1).fill = solid_fill(sheet.row_fills[r])
    for link in sheet.links:
        cell = ws.cell(row=link.row, column=link.col)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"'{link.target_sheet}'!{link.target_cell}",
                                   tooltip="转到该单元格")
        cell.style = "Hyperlink"
    for col, width in sheet.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    if sheet.freeze:
        ws.freeze_panes = sheet.freeze
    page_setup_a4(ws)
    if sheet.hidden:
        ws.sheet_state = "hidden"
    return ws


def _find_sheet(wb, name: str):
    if name in wb.sheetnames:
        return wb[name]
    folded = schema.normalize_label(name)
    for title in wb.sheetnames:
        if schema.normalize_label(title) == folded:
            return wb[title]
    return None


def apply_plan(wb, plan: WritePlan) -> None:
    """Apply a write plan to an openpyxl workbook (in memory)."""
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter

    styler = _Styler()
    found: dict[str, Any] = {}

    def sheet_of(name: str):
        # Looked up once per name: the input sheets are neither added nor removed until the
        # output sheets are written below.
        if name not in found:
            found[name] = _find_sheet(wb, name)
        return found[name]

    for unmark in plan.unmarks:
        ws = sheet_of(unmark.sheet)
        if ws is None:
            continue
        cell = ws.cell(row=unmark.row, column=unmark.col)
        if _is_mark_fill(_fill_rgb(cell)):
            _set_fill(cell, unmark.fill)
        if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
            cell.comment = None
    targets: dict[str, set[tuple[int, int]]] = {}
    for write in plan.writes:
        targets.setdefault(write.sheet, set()).add((write.row, write.col))
    for sheet_name, cells in targets.items():
        if sheet_of(sheet_name) is not None:
            _unmerge_blank(sheet_of(sheet_name), cells)
    for write in plan.writes:
        ws = sheet_of(write.sheet)
        if ws is None:
            continue
        cell = ws.cell(row=write.row, column=write.col)
        _set_value(cell, write.value)
        styler(cell, write.style, write.number_format)
    for (sheet_name, col), width in plan.column_widths.items():
        ws = sheet_of(sheet_name)
        if ws is not None:
            ws.column_dimensions[get_column_letter(col)].width = width

    mark_rows: list[list[Any]] = []
    for mark in plan.marks:
        ws = sheet_of(mark.sheet)
        if ws is None:
            continue
        cell = ws.cell(row=mark.row, column=mark.col)
        original = _fill_rgb(cell)
        if _is_mark_fill(original):
            original = None
        _set_fill(cell, mark.fill)
        if cell.comment is None or cell.comment.author == COMMENT_AUTHOR:
            comment = Comment(mark.comment, COMMENT_AUTHOR)
            comment.width, comment.height = 320, 160
            cell.comment = comment
        mark_rows.append(["mark", ws.title, a1(mark.row, mark.col), original or ""])

    order = [*wb.sheetnames]
    for sheet in plan.sheets:
        if sheet.name == schema.SHEET_META:
            sheet = OutputSheet(sheet.name, sheet.rows + mark_rows, hidden=True)
        index = order.index(sheet.name) if sheet.name in order else None
        _write_output_sheet(wb, sheet, index, styler)
    if wb.calculation is not None:
        wb.calculation.fullCalcOnLoad = True
    visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
    if wb.active is None or wb.active.sheet_state != "visible":
        wb.active = wb.worksheets.index(visible[0]) if visible else 0


# Saving --------------------------------------------------------------------------------
def _restore_cached_values(path: Path, cached: dict[tuple[str, str], Any]) -> None:
    """openpyxl writes formulas without their cached values; put back the values the input
    file had. They are still right: we never change a cell the user typed."""
    if not cached:
        return
    from lxml import etree  # our own output: trusted XML
    from openpyxl.reader.excel import ExcelReader  # noqa: F401  (ensures openpyxl is importable)

    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel_ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path) as zin:
        workbook = etree.fromstring(zin.read("xl/workbook.xml"))
        rels = etree.fromstring(zin.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target") for r in rels}
        sheet_parts = {}
        for s in workbook.iter(f"{{{ns}}}sheet"):
            target = targets.get(s.get(f"{{{rel_ns}}}id"), "")
            target = target.lstrip("/")
            sheet_parts[s.get("name")] = target if target.startswith("xl/") else f"xl/{target}"
        by_part: dict[str, dict[str, Any]] = {}
        for (sheet, ref), value in cached.items():
            part = sheet_parts.get(sheet)
            if part:
                by_part.setdefault(part, {})[ref] = value
        if not by_part:
            return
        with atomic_target(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename in by_part:
                    root = etree.fromstring(data)
                    values = by_part[item.filename]
                    for c in root.iter(f"{{{ns}}}c"):
                        ref = c.get("r")
                        if ref in values and c.find(f"{{{ns}}}f") is not None:
                            _set_cached(c, values[ref], ns)
                    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
                zout.writestr(item, data)


def _set_cached(c, value: Any, ns: str) -> None:
    from lxml import etree

    v = c.find(f"{{{ns}}}v")
    if v is None:
        v = etree.SubElement(c, f"{{{ns}}}v")
    if isinstance(value, bool):
        c.set("t", "b")
        v.text = "1" if value else "0"
    elif isinstance(value, (int, float)):
        c.attrib.pop("t", None)
        v.text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str) and value.strip().upper().startswith("#"):
        c.set("t", "e")
        v.text = value
    else:
        c.set("t", "str")
        v.text = str(value)


def save_book(loaded: LoadedBook, target: str | Path, *, backup: bool = False) -> Path:
    """Save atomically: the target is either the old file or the complete new one, never
    half-written. With backup, the old file is kept as .bak."""
    target = Path(target)
    try:
        with atomic_target(target) as tmp:
            loaded.workbook.save(tmp)
            _restore_cached_values(tmp, loaded.cached)
            if backup and target.exists():
                shutil.copy2(target, target.with_name(target.name + ".bak"))
    except OSError as exc:
        raise FileRejected.make("file-write-failed", path=str(target), reason=exc.strerror or str(exc)) from exc
    return target


# The file adapter of the one build ---------------------------------------------------------
class WorkbookFile:
    """A workbook file as :func:`xlreport.pipeline.build` sees it: guarded before openpyxl
    opens it, written to ``output`` or in place (keeping a .bak), atomically."""

    def __init__(self, path: str | Path, output: str | Path | None = None) -> None:
        self.source = Path(path)
        self.target = Path(output) if output else self.source
        self._loaded: LoadedBook | None = None

    def read(self) -> BookGrid:
        from xlreport.adapters.safety import guard_workbook

        self._loaded = load_book(self.source, guard_workbook(self.source))
        return self._loaded.grid

    def write(self, plan: WritePlan) -> Path:
        loaded = self._loaded
        assert loaded is not None, "read() comes first"
        in_place = self.target.resolve() == self.source.resolve()
        if loaded.lost_on_save:  # a copy (-o) would be just as thin as an in-place write
            raise FileRejected.make("file-keeps-parts", parts="、".join(loaded.lost_on_save))
        apply_plan(loaded.workbook, plan)
        return save_book(loaded, self.target, backup=in_place)
