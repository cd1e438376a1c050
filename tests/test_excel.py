"""The xlwings adapter, driven through the in-memory stand-in (tests/fake_xlwings.py).

Excel cannot run here. What is checked: the adapter reads a workbook into the same grid the
file reader produces; one write plan applied through openpyxl and through the stand-in gives
the same cells (values, number formats, fills, notes, link targets, widths, sheet order and
visibility); button runs leave typed cells alone, restore earlier highlights and write the
report beside the workbook.
"""

from __future__ import annotations

import glob
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from factory import find_label, indicator_columns, make_workbook, simple_indicators
from fake_xlwings import (
    ExcelError,
    FakeBook,
    FakeCell,
    book_from_xlsx,
    hyperlink_target,
)
from openpyxl.comments import Comment

from xlreport.adapters import excel
from xlreport.adapters.safety import guard_workbook
from xlreport.adapters.xlsx_io import apply_plan, load_book, save_book
from xlreport.cli import button
from xlreport.core import schema
from xlreport.core.grid import RawCell, a1
from xlreport.core.plan import MARK_FILLS, CellWrite, Link, OutputSheet, WritePlan
from xlreport.pipeline import score_grid

NOW = datetime(2024, 3, 1, 9, 30, 0)
SAMPLES = sorted(glob.glob(str(Path(__file__).resolve().parents[1] / "samples" / "*.xlsx")))
MARK_SET = set(MARK_FILLS.values())


# Snapshots of both worlds in one vocabulary ------------------------------------------------
def _norm(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, ExcelError):
        return value.code
    return value


def _opx_fill(cell):
    fill = cell.fill
    if fill is None or fill.fill_type != "solid" or fill.fgColor is None or fill.fgColor.type != "rgb":
        return None
    rgb = fill.fgColor.rgb
    return rgb[-6:].upper() if isinstance(rgb, str) else None


def snapshot_openpyxl(wb) -> dict:
    """{sheet: {"hidden", "cells": {(r, c): (value, fmt, fill, note, link)}, "widths"}} in order."""
    from openpyxl.utils import column_index_from_string

    out = {}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                link = None
                if c.hyperlink is not None:
                    link = c.hyperlink.target or ("#" + c.hyperlink.location if c.hyperlink.location else None)
                note = c.comment.text if c.comment is not None else None
                value = _norm(c.value)
                fill = _opx_fill(c)
                if value is None and fill is None and note is None and link is None:
                    continue
                cells[(c.row, c.column)] = (value, c.number_format if value is not None else None, fill, note, link)
        widths = {column_index_from_string(k): d.width for k, d in ws.column_dimensions.items() if d.width}
        out[ws.title] = {"hidden": ws.sheet_state != "visible", "cells": cells, "widths": widths}
    return out


def snapshot_fake(book: FakeBook) -> dict:
    out = {}
    for sheet in book.sheets:
        cells = {}
        for (r, c), cell in sheet.cells.items():
            link = hyperlink_target(cell)
            if link is not None:
                value = _norm(cell.value)
            elif cell.formula is not None:
                value = cell.formula
            else:
                value = _norm(cell.value)
            fill = "{:02X}{:02X}{:02X}".format(*cell.color) if cell.color else None
            note = excel.note_text(cell.note.text) if cell.note is not None else None
            if value is None and fill is None and note is None and link is None:
                continue
            cells[(r, c)] = (value, cell.number_format if value is not None else None, fill, note, link)
        out[sheet.name] = {"hidden": not sheet.visible, "cells": cells, "widths": dict(sheet.widths)}
    return out


def _meta_fills_without_alpha(snapshot: dict) -> dict:
    """The _meta 'mark' rows remember a cell's earlier fill: the file path keeps openpyxl's
    ARGB ("00FFF2CC"), Excel only knows RGB ("FFF2CC"). Both restore the same colour."""
    meta = snapshot.get(schema.SHEET_META)
    if meta:
        cells = meta["cells"]
        for (r, c), (value, *rest) in list(cells.items()):
            if c == 4 and isinstance(value, str) and len(value) == 8 and cells.get((r, 1), (None,))[0] == "mark":
                cells[(r, c)] = (value[-6:], *rest)
    return snapshot


def diff_snapshots(left: dict, right: dict, width_columns: dict | None = None) -> list[str]:
    """Differences cell by cell. Column widths are compared where the plan sets them
    (``width_columns``: sheet -> columns); Excel keeps a cleared sheet's other widths, the file
    path recreates the sheet."""
    left, right = _meta_fills_without_alpha(left), _meta_fills_without_alpha(right)
    problems = []
    if list(left) != list(right):
        problems.append(f"sheet order: {list(left)} != {list(right)}")
    for name in left:
        if name not in right:
            continue
        a, b = left[name], right[name]
        if a["hidden"] != b["hidden"]:
            problems.append(f"{name}: hidden {a['hidden']} != {b['hidden']}")
        for key in sorted(set(a["cells"]) | set(b["cells"])):
            x, y = a["cells"].get(key), b["cells"].get(key)
            if x != y:
                problems.append(f"{name}!{a1(*key)}: openpyxl {x} != xlwings {y}")
        columns = set(a["widths"]) | set(b["widths"])
        if width_columns is not None:
            columns = width_columns.get(name, set())
        for col in sorted(columns):
            if a["widths"].get(col) != b["widths"].get(col):
                problems.append(f"{name} column {col}: width {a['widths'].get(col)} != {b['widths'].get(col)}")
    return problems


def grids_differ(file_grid, xl_grid) -> list[str]:
    problems = []
    assert set(file_grid.sheets) == set(xl_grid.sheets)
    for name, s in file_grid.sheets.items():
        x = xl_grid.sheets[name]
        if s.hidden != x.hidden:
            problems.append(f"{name}: hidden")
        if sorted(s.merged) != sorted(x.merged):
            problems.append(f"{name}: merged {sorted(s.merged)} != {sorted(x.merged)}")
        for key in set(s.cells) | set(x.cells):
            a, b = s.cells.get(key), x.cells.get(key)
            if a is None or b is None:
                problems.append(f"{name}!{a1(*key)}: {a} != {b}")
                continue
            if name == schema.SHEET_META and key[1] == 4 and isinstance(a.value, str) and len(a.value) == 8:
                a = RawCell(a.value[-6:], a.number_format, a.formula)  # ARGB vs RGB, see above
            numeric = isinstance(a.value, (int, float)) and not isinstance(a.value, bool)
            if (a.value, a.formula) != (b.value, b.formula) or type(a.value) is not type(b.value) \
                    or (numeric and a.number_format != b.number_format):
                problems.append(f"{name}!{a1(*key)}: {a} != {b}")
    return problems


# Both adapters on one workbook ---------------------------------------------------------------
def run_both(path: Path, fake: FakeBook | None = None):
    """Score ``path`` through the file edge and the live workbook (the stand-in) and apply."""
    loaded = load_book(path, guard_workbook(path))
    evaluation, plan = score_grid(loaded.grid, NOW)
    fake = fake or book_from_xlsx(path)
    xl_grid = excel.read_grid(fake)
    assert not grids_differ(loaded.grid, xl_grid)
    xl_evaluation, xl_plan = score_grid(xl_grid, NOW)
    assert _without_alpha(xl_plan) == _without_alpha(plan), \
        "the same workbook must give the same write plan whichever way it is read"
    apply_plan(loaded.workbook, plan)
    excel.apply_plan_xlwings(fake, xl_plan)
    return loaded, fake, plan, evaluation


def _without_alpha(plan: WritePlan) -> WritePlan:
    return replace(plan, unmarks=[replace(u, fill=u.fill[-6:] if u.fill else u.fill) for u in plan.unmarks])


def plan_widths(plan: WritePlan) -> dict:
    columns: dict[str, set] = {}
    for sheet in plan.sheets:
        columns.setdefault(sheet.name, set()).update(sheet.widths)
    for sheet_name, col in plan.column_widths:
        columns.setdefault(sheet_name, set()).add(col)
    return columns


def compare(loaded, fake, plan) -> list[str]:
    return diff_snapshots(snapshot_openpyxl(loaded.workbook), snapshot_fake(fake), plan_widths(plan))


@pytest.mark.parametrize("sample", SAMPLES, ids=[Path(s).stem for s in SAMPLES])
def test_sample_reads_the_same_and_writes_the_same(sample, tmp_path):
    path = tmp_path / Path(sample).name
    path.write_bytes(Path(sample).read_bytes())
    loaded, fake, plan, _ = run_both(path)
    assert plan.sheets and plan.writes
    differences = compare(loaded, fake, plan)
    assert not differences, "\n".join(differences[:40])


def _problem_workbook(tmp_path: Path) -> Path:
    """A workbook with problems on cells: one carries a user fill, one a user's own note."""
    indicators = simple_indicators()
    indicators[1] = dict(name="参保人数", target="≥1000", unit="人", actual="800", weight=20)  # missed, no reason
    indicators[4] = dict(level1="满意度指标", level2="服务对象满意度指标", name="满意度", target="≥85%",
                         actual="看情况", weight=15)  # not readable
    path = make_workbook(tmp_path / "问题.xlsx", indicators=indicators)
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SHEET_INDICATORS]
    header, cols = indicator_columns(ws)
    from openpyxl.styles import PatternFill

    ws.cell(header + 2, cols["deviation"]).fill = PatternFill(fill_type="solid", fgColor="FF00B0F0")
    ws.cell(header + 5, cols["degree"]).comment = Comment("我自己的批注", "李四")
    wb.save(path)
    return path


def test_contract_marks_user_fill_and_user_note_and_second_run(tmp_path):
    path = _problem_workbook(tmp_path)
    loaded, fake, plan, evaluation = run_both(path)
    assert plan.marks, "the workbook was built to have problems on cells"
    differences = compare(loaded, fake, plan)
    assert not differences, "\n".join(differences[:40])

    ws = fake.sheets[schema.SHEET_INDICATORS]
    header, cols = indicator_columns(loaded.workbook[schema.SHEET_INDICATORS])
    marked = ws.range((header + 2, cols["deviation"]))
    assert excel._rgb_hex(marked.color) in MARK_SET
    assert marked.note.text.startswith(excel.NOTE_PREFIX)
    user_noted = ws.range((header + 5, cols["degree"]))
    assert user_noted.note.text == "我自己的批注" and user_noted.note.author == "李四"
    meta = fake.sheets[schema.SHEET_META]
    assert not meta.visible
    assert ["mark", schema.SHEET_INDICATORS, a1(header + 2, cols["deviation"]), "00B0F0"] in \
        [r[:4] for r in meta.used_range.options(ndim=2).value]

    # Second run: the user fixes both problems (in both worlds), the tool runs again.
    save_book(loaded, path)
    wb = openpyxl.load_workbook(path)
    for target_ws in (wb[schema.SHEET_INDICATORS],):
        target_ws.cell(header + 2, cols["deviation"]).value = "受政策调整影响，参保人数减少。"
        target_ws.cell(header + 5, cols["degree"]).value = "达成"
    wb.save(path)
    ws.range((header + 2, cols["deviation"])).value = "受政策调整影响，参保人数减少。"
    ws.range((header + 5, cols["degree"])).value = "达成"
    loaded2, fake, plan2, evaluation2 = run_both(path, fake)
    assert plan2.unmarks
    differences = compare(loaded2, fake, plan2)
    assert not differences, "\n".join(differences[:40])
    assert excel._rgb_hex(marked.color) == "00B0F0", "the user's own fill comes back"
    assert marked.note is None
    assert user_noted.note.text == "我自己的批注"


def test_button_after_command_line_build_replaces_the_cli_notes(tmp_path):
    """Notes written by `xlreport build` (openpyxl, author xlreport) are recognised as ours."""
    from xlreport.pipeline import build_file

    path = _problem_workbook(tmp_path)
    build_file(path, report=False, now=NOW)
    fake = book_from_xlsx(path)
    ws = fake.sheets[schema.SHEET_INDICATORS]
    header, cols = indicator_columns(openpyxl.load_workbook(path)[schema.SHEET_INDICATORS])
    cli_note = ws.range((header + 2, cols["deviation"])).note
    assert cli_note.author == "xlreport" and not cli_note.text.startswith(excel.NOTE_PREFIX)
    ws.range((header + 2, cols["deviation"])).value = "已说明原因。"
    result = button.run_on_book(fake, now=NOW, report=False)
    assert result.ok
    assert ws.range((header + 2, cols["deviation"])).note is None
    assert ws.range((header + 5, cols["degree"])).note.text == "我自己的批注"


def _typed_cells(book: FakeBook) -> dict:
    out = {}
    for sheet in book.sheets:
        if sheet.name in (*schema.OUTPUT_SHEETS, schema.SHEET_META):
            continue
        for key, cell in sheet.cells.items():
            if cell.value is not None or cell.formula is not None:
                out[(sheet.name, key)] = (_norm(cell.value), cell.formula)
    return out


def test_button_never_changes_typed_cells(tmp_path):
    path = _problem_workbook(tmp_path)
    fake = book_from_xlsx(path)
    before = _typed_cells(fake)
    loaded = load_book(path, guard_workbook(path))
    _, plan = score_grid(loaded.grid, NOW)
    button.run_on_book(fake, now=NOW, report=False)
    after = _typed_cells(fake)
    written = {(w.sheet, (w.row, w.col)) for w in plan.writes}
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed <= written, sorted(changed - written)[:10]


def test_run_twice_is_idempotent(tmp_path):
    path = _problem_workbook(tmp_path)
    fake = book_from_xlsx(path)
    button.run_on_book(fake, now=NOW, report=False)
    first = snapshot_fake(fake)
    button.run_on_book(fake, now=NOW, report=False)
    assert not diff_snapshots(first, snapshot_fake(fake))


# Reading details ---------------------------------------------------------------------------------
def test_reader_keeps_values_formats_formulas_and_errors():
    book = FakeBook("t.xlsx", "/tmp/t.xlsx")
    sheet = book.sheets.add(schema.SHEET_INDICATORS)
    sheet.cells[(2, 2)] = FakeCell(value=0.85, number_format="0.00%")
    sheet.cells[(2, 3)] = FakeCell(value=2022.0)
    sheet.cells[(3, 2)] = FakeCell(value=ExcelError("#DIV/0!"), formula="=1/0")
    sheet.cells[(3, 3)] = FakeCell(value=95.0, formula="=SUM(A1:A2)", number_format="0.00")
    sheet.cells[(4, 4)] = FakeCell(value="≥95%")
    other = book.sheets.add("备注")  # read too: the indicator table is found by content
    other.cells[(1, 1)] = FakeCell(value="x")
    ours = book.sheets.add(schema.SHEET_SCORES)  # the tool's own output: never read
    ours.cells[(1, 1)] = FakeCell(value="x")
    grid = excel.read_grid(book)
    assert set(grid.sheets) == {schema.SHEET_INDICATORS, "备注"}
    g = grid.sheets[schema.SHEET_INDICATORS]
    assert g.get(2, 2).value == 0.85 and g.get(2, 2).number_format == "0.00%"
    assert g.get(2, 3).value == 2022 and isinstance(g.get(2, 3).value, int)
    assert g.get(3, 2).error == "#DIV/0!" and g.get(3, 2).formula == "=1/0"
    assert g.get(3, 3).value == 95 and g.get(3, 3).formula == "=SUM(A1:A2)"
    assert g.get(4, 4).value == "≥95%" and g.get(1, 1).value is None


@pytest.mark.parametrize("mac", [False, True])
def test_merged_ranges_are_found_on_both_platforms(mac, monkeypatch):
    monkeypatch.setattr(excel, "TRUST_MERGE_FALSE", not mac)
    book = FakeBook("t.xlsx", "/tmp/t.xlsx", mac=mac)
    sheet = book.sheets.add(schema.SHEET_INFO)
    sheet.cells[(1, 1)] = FakeCell(value="标题")
    sheet.cells[(3, 1)] = FakeCell(value="项目名称")
    sheet.cells[(3, 3)] = FakeCell(value="某项目")
    sheet.merged = [(1, 1, 1, 4), (3, 1, 3, 2), (5, 1, 6, 1)]  # the last one is blank: irrelevant
    grid = excel.read_grid(book)
    assert sorted(grid.sheets[schema.SHEET_INFO].merged) == [(1, 1, 1, 4), (3, 1, 3, 2)]


def test_inflated_used_range_is_trimmed(monkeypatch):
    monkeypatch.setattr(excel, "MAX_READ_CELLS", 1000)
    book = FakeBook("t.xlsx", "/tmp/t.xlsx")
    sheet = book.sheets.add(schema.SHEET_TEXTS)
    sheet.cells[(2, 1)] = FakeCell(value="键")
    sheet.cells[(50_000, 3)] = FakeCell(color=(255, 255, 0))  # a fill far below the data
    grid = excel.read_grid(book)
    assert grid.sheets[schema.SHEET_TEXTS].get(2, 1).value == "键"


def test_no_api_attribute_is_needed():
    book = FakeBook()
    sheet = book.sheets.add("x")
    with pytest.raises(AttributeError):
        sheet.range((1, 1)).api  # noqa: B018 - the stand-in has none, and the tests pass


# Writing details ---------------------------------------------------------------------------------
def test_text_is_written_as_text_and_links_as_hyperlink_formulas():
    book = FakeBook("t.xlsx", "/tmp/t.xlsx")
    book.sheets.add(schema.SHEET_INDICATORS)
    texts = ["85%", "1/2", "2022-01-01", "=1+1", "TRUE", "001", "-", "+5", "@x", "实际完成97.50%"]
    plan = WritePlan(
        writes=[CellWrite(schema.SHEET_INDICATORS, 1, i + 1, t) for i, t in enumerate(texts)],
        sheets=[OutputSheet("校验结果", rows=[["级别", "单元格"], ["错误", "B7"]],
                            links=[Link(2, 2, "绩效'指标", "B7")], hidden=False)])
    excel.apply_plan_xlwings(book, plan)
    ws = book.sheets[schema.SHEET_INDICATORS]
    assert [ws.cells[(1, i + 1)].value for i in range(len(texts))] == texts
    assert all(ws.cells[(1, i + 1)].formula is None for i in range(len(texts)))
    link = book.sheets["校验结果"].cells[(2, 2)]
    assert link.value == "B7" and hyperlink_target(link) == "#'绩效''指标'!B7"


def test_existing_output_sheet_is_cleared_in_place_and_new_ones_go_last():
    book = FakeBook("t.xlsx", "/tmp/t.xlsx")
    for name in ("基本信息", "校验结果", "绩效指标"):
        book.sheets.add(name, after=book.sheets[len(book.sheets) - 1] if len(book.sheets) else None)
    book.sheets["校验结果"].cells[(9, 9)] = FakeCell(value="旧内容")
    plan = WritePlan(sheets=[OutputSheet("校验结果", rows=[["新"]]), OutputSheet("_meta", rows=[["k", "v"]],
                                                                                   hidden=True)])
    excel.apply_plan_xlwings(book, plan)
    assert [s.name for s in book.sheets] == ["基本信息", "校验结果", "绩效指标", "_meta"]
    assert (9, 9) not in book.sheets["校验结果"].cells
    assert not book.sheets["_meta"].visible


# One button press --------------------------------------------------------------------------------
def test_unsaved_workbook_is_asked_to_be_saved_and_left_alone(tmp_path):
    fake = book_from_xlsx(make_workbook(tmp_path / "wb.xlsx"), fullname="工作簿1")
    before = snapshot_fake(fake)
    writes = fake.writes
    result = button.run_on_book(fake, now=NOW)
    assert not result.ok and "保存" in result.message
    assert fake.writes == writes and not diff_snapshots(before, snapshot_fake(fake))


def test_onedrive_url_is_explained(tmp_path):
    fake = book_from_xlsx(make_workbook(tmp_path / "wb.xlsx"),
                          fullname="https://d.docs.live.net/abc/wb.xlsx")
    result = button.run_on_book(fake, now=NOW)
    assert not result.ok and "OneDrive" in result.message


def test_unrelated_workbook_is_not_touched(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "购物清单"
    wb.save(tmp_path / "list.xlsx")
    fake = book_from_xlsx(tmp_path / "list.xlsx")
    result = button.run_on_book(fake, now=NOW)
    assert not result.ok and "不是绩效自评工作簿" in result.message
    assert [s.name for s in fake.sheets] == ["Sheet"] and fake.writes == 0


def test_complete_run_writes_report_beside_the_workbook(tmp_path):
    path = make_workbook(tmp_path / "测试单位.xlsx")
    fake = book_from_xlsx(path)
    result = button.run_on_book(fake, now=NOW)
    assert result.ok and result.n_errors == 0
    assert result.report_path == tmp_path / "测试单位_自评报告.docx"
    assert result.report_path.is_file()
    from docx_schema import validate_docx

    assert validate_docx(result.report_path) == []
    assert f"{result.total:.2f}" in result.message and result.grade in result.message
    assert "Ctrl+S" in result.message


def test_run_with_errors_reports_counts_and_writes_no_report(tmp_path):
    path = _problem_workbook(tmp_path)
    fake = book_from_xlsx(path)
    result = button.run_on_book(fake, now=NOW)
    assert result.ok and result.n_errors >= 1
    assert f"{result.n_errors}个错误" in result.message and "未生成自评报告" in result.message
    assert not list(tmp_path.glob("*.docx"))


def test_report_that_cannot_be_written_is_explained(tmp_path):
    """The report's place is taken (here by a folder; in real life often a copy open in
    Word): the scores are still in the book, the box says why the report is missing."""
    fake = book_from_xlsx(make_workbook(tmp_path / "wb.xlsx"))
    (tmp_path / "wb_自评报告.docx").mkdir()
    result = button.run_on_book(fake, now=NOW)
    assert result.ok and result.report_path is None
    assert "Word" in result.message and "但自评报告未能生成" in result.message and "Ctrl+S" in result.message
    assert result.exit_code == 2 and schema.SHEET_SCORES in [s.name for s in fake.sheets]


# main(): the thin layer around run_on_book ---------------------------------------------------------
@pytest.fixture
def caller(monkeypatch):
    import xlwings

    holder = {}
    monkeypatch.setattr(xlwings.Book, "caller", classmethod(lambda cls: holder["book"]))
    return holder


def test_main_uses_the_caller_shows_one_box_and_restores_the_view(tmp_path, caller):
    import xlreport

    fake = book_from_xlsx(make_workbook(tmp_path / "wb.xlsx"))
    first = fake.sheets[0]
    first.activate()
    caller["book"] = fake
    xlreport.main()
    assert len(fake.app.alerts) == 1
    alert = fake.app.alerts[0]
    assert alert["title"] == "绩效自评" and "总分" in alert["prompt"] and alert["mode"] == "info"
    assert fake.sheets.active is first and fake.app.screen_updating is True
    assert (tmp_path / "wb_自评报告.docx").is_file()


def test_main_with_an_addin_as_caller_uses_the_active_workbook(tmp_path, caller):
    import xlreport

    user = book_from_xlsx(make_workbook(tmp_path / "wb.xlsx"))
    addin = FakeBook("xlreport.xlam", "/x/XLSTART/xlreport.xlam", app=user.app)
    user.app.books.remove(user)
    user.app.books.append(user)  # the active book is the user's
    caller["book"] = addin
    xlreport.main()
    assert user.app.alerts and schema.SHEET_SCORES in [s.name for s in user.sheets]
    assert not list(addin.sheets)


def test_main_turns_a_bug_into_a_message(tmp_path, caller, monkeypatch):
    import xlreport

    fake = book_from_xlsx(make_workbook(tmp_path / "wb.xlsx"))
    caller["book"] = fake
    monkeypatch.setattr(button, "run_on_book", lambda book: 1 / 0)
    monkeypatch.delenv("XLREPORT_DEBUG", raising=False)
    xlreport.main()
    assert "程序内部错误" in fake.app.alerts[0]["prompt"] and fake.app.alerts[0]["mode"] == "critical"
    assert fake.app.screen_updating is True


def test_both_adapters_and_the_template_draw_the_one_style_table(tmp_path):
    """Output cells look the same whether the command line, the button or the template drew them."""
    from xlreport.adapters import template
    from xlreport.core import plan, styles

    path = make_workbook(tmp_path / "wb.xlsx")
    fake = book_from_xlsx(path)
    button.run_on_book(fake, now=NOW, report=False)
    build = tmp_path / "built.xlsx"
    from xlreport.pipeline import build_file

    build_file(path, output=build, report=False, now=NOW)
    header, cols = indicator_columns(openpyxl.load_workbook(build)[schema.SHEET_INDICATORS])
    file_cell = openpyxl.load_workbook(build)[schema.SHEET_INDICATORS].cell(header + 1, cols["final"])
    live_cell = fake.sheets[schema.SHEET_INDICATORS].range((header + 1, cols["final"]))
    blank = template.build_template()[schema.SHEET_INDICATORS].cell(header + 1, cols["final"])
    expected = styles.PLAN_STYLES[plan.STYLE_OUTPUT]
    assert expected.fill == styles.OUTPUT_FILL
    assert file_cell.fill.fgColor.rgb[-6:] == blank.fill.fgColor.rgb[-6:] == expected.fill
    assert excel._rgb_hex(live_cell.color) == expected.fill
    assert file_cell.font.b == bool(live_cell.font.bold) == expected.bold


def test_find_label_helper_still_matches(tmp_path):
    # guards the factory helpers this module leans on
    wb = openpyxl.load_workbook(make_workbook(tmp_path / "wb.xlsx"))
    assert find_label(wb[schema.SHEET_INFO], "项目名称")
