"""Reading by label and writing back: layout freedom, idempotency, user cells untouched."""

from __future__ import annotations

import zipfile
from decimal import Decimal

import openpyxl
import pytest
from click.testing import CliRunner
from factory import indicator_columns, make_workbook, simple_indicators

from xlreport.cli.main import main
from xlreport.core import schema
from xlreport.pipeline import build_file

OUTPUT_SHEETS = {schema.SHEET_SCORES, schema.SHEET_PROBLEMS, schema.SHEET_META}


def input_cells(path):
    """Every value of every input sheet except the tool's output cells."""
    wb = openpyxl.load_workbook(path)
    out = {}
    ind = wb[schema.SHEET_INDICATORS]
    header_row, cols = indicator_columns(ind)
    output_cols = {cols[k] for k in ("suggested", "final", "rate", "note") if k in cols}
    for ws in wb.worksheets:
        if ws.title in OUTPUT_SHEETS:
            continue
        for row in ws.iter_rows():
            for cell in row:
                if ws.title == schema.SHEET_INDICATORS and cell.column in output_cols and cell.row > header_row:
                    continue
                if ws.title == schema.SHEET_BUDGET and cell.column == 2 and cell.row in _budget_output_rows(ws):
                    continue
                if cell.value is not None:
                    out[(ws.title, cell.coordinate)] = cell.value
    return out


def _budget_output_rows(ws):
    rows = set()
    for row in ws.iter_rows(max_col=1):
        if row[0].value in ("预算执行率", "预算执行率得分"):
            rows.add(row[0].row)
    return rows


def all_cells(path, sheets=None):
    wb = openpyxl.load_workbook(path)
    return {(ws.title, c.coordinate): (c.value, c.number_format, c.fill.fgColor.rgb if c.fill.fill_type else None)
            for ws in wb.worksheets if (sheets is None or ws.title in sheets)
            for row in ws.iter_rows() for c in row}


def test_build_writes_outputs_and_keeps_user_cells(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx")
    before = input_cells(path)
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 0
    assert (tmp_path / "wb.xlsx.bak").exists()
    assert input_cells(path) == before
    wb = openpyxl.load_workbook(path)
    ind = wb[schema.SHEET_INDICATORS]
    header_row, cols = indicator_columns(ind)
    assert ind.cell(header_row + 1, cols["final"]).value == 20
    assert "达到" in ind.cell(header_row + 1, cols["note"]).value
    scores = wb[schema.SHEET_SCORES]
    total_row = next(r for r in scores.iter_rows() if r[0].value == "总分")
    assert total_row[3].value == pytest.approx(99.5)
    grade_row = next(r for r in scores.iter_rows() if r[0].value == "评价等级")
    assert grade_row[3].value == "优"
    assert wb[schema.SHEET_META].sheet_state == "hidden"


def test_build_twice_is_idempotent_and_clears_stale_marks(tmp_path):
    items = simple_indicators()
    items[0]["actual"] = "1"  # missed, no deviation -> warning highlight on the deviation cell
    path = make_workbook(tmp_path / "wb.xlsx", indicators=items)
    build_file(path, report=False)
    first = all_cells(path, sheets=set(schema.INPUT_SHEETS))
    build_file(path, report=False)
    second = all_cells(path, sheets=set(schema.INPUT_SHEETS))
    assert first == second

    wb = openpyxl.load_workbook(path)
    ind = wb[schema.SHEET_INDICATORS]
    header_row, cols = indicator_columns(ind)
    cell = ind.cell(header_row + 1, cols["deviation"])
    assert cell.comment is not None and cell.fill.fgColor.rgb.endswith("FFEB9C")
    original_fill = ind.cell(header_row + 2, cols["deviation"]).fill.fgColor.rgb
    cell.value = "培训因疫情延期。"
    wb.save(path)
    build_file(path, report=False)
    wb = openpyxl.load_workbook(path)
    cell = wb[schema.SHEET_INDICATORS].cell(header_row + 1, cols["deviation"])
    assert cell.comment is None
    assert cell.fill.fgColor.rgb == original_fill


def test_problem_sheet_links_to_cells(tmp_path):
    items = simple_indicators()
    items[0]["weight"] = "abc"
    path = make_workbook(tmp_path / "wb.xlsx", indicators=items)
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 1
    ws = openpyxl.load_workbook(path)[schema.SHEET_PROBLEMS]
    header = [c.value for c in ws[1]]
    assert header == ["级别", "代码", "工作表", "单元格", "问题说明"]
    rows = list(ws.iter_rows(min_row=2))
    weight_row = next(r for r in rows if r[1].value == "weight-invalid")
    assert weight_row[0].value == "错误"
    assert weight_row[3].hyperlink is not None and weight_row[3].hyperlink.location.endswith(weight_row[3].value)
    assert "绩效指标" in weight_row[4].value and weight_row[3].value in weight_row[4].value
    scores = openpyxl.load_workbook(path)[schema.SHEET_SCORES]
    total = next(r for r in scores.iter_rows() if r[0].value == "总分")
    assert "不完整" in total[5].value


def test_layout_freedom_inserted_rows_reordered_columns_merged_cells(tmp_path):
    items = simple_indicators()
    path = make_workbook(tmp_path / "wb.xlsx", indicators=items)
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SHEET_INDICATORS]
    ws.insert_rows(1, 3)  # user notes above the table
    ws["A1"] = "本表由财务室填写"
    ws.move_range("E1:E200", rows=0, cols=30)  # move the 指标值 column far to the right
    header_row, cols = indicator_columns(ws)
    # merge 一级指标 over the first three rows (same as above)
    ws.merge_cells(start_row=header_row + 1, start_column=cols["level1"], end_row=header_row + 3,
                   end_column=cols["level1"])
    info = wb[schema.SHEET_INFO]
    info.insert_rows(3, 2)
    budget = wb[schema.SHEET_BUDGET]
    budget.insert_rows(1, 2)
    wb.save(path)
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 0, [p.text for p in outcome.problems]
    assert outcome.total == Decimal("99.50")
    assert outcome.evaluation.indicators[2].source.level1 == "产出指标"


def test_hand_built_workbook_without_meta_or_output_columns(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "基本信息"
    for r, (k, v) in enumerate([("报告类型", "项目支出"), ("评价年度", 2022), ("项目名称", "手工表"),
                                ("实施单位", "某局")], start=1):
        ws.cell(r, 1, k)
        ws.cell(r, 2, v)
    b = wb.create_sheet("预算执行")
    b.append(["资金类别", "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）"])
    b.append(["年度资金总额", 10, 10, 10])
    b.append([])
    b.append(["预算执行率分值", 10])
    i = wb.create_sheet("绩效指标")
    i.append(["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值"])
    i.append(["产出指标", "数量指标", "次数", "≥2次", "3次", 90])
    path = tmp_path / "hand.xlsx"
    wb.save(path)
    outcome = build_file(path, report=False)
    assert outcome.total == Decimal(100)
    out = openpyxl.load_workbook(path)["绩效指标"]
    assert [c.value for c in out[1]][6:10] == ["建议得分", "自评得分", "得分率", "评分说明"]
    assert any(p.code == "texts-sheet-missing" for p in outcome.problems)


def test_formula_cells_cached_values_and_errors(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx", budget={"年度资金总额": (None, None, None),
                                                      "其中：当年财政拨款": (100, 100, 95)})
    # Simulate what Excel saves: a formula with its cached value. openpyxl cannot write a
    # cached value, so patch the sheet XML the way Excel stores it.
    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SHEET_BUDGET]
    total_row = next(r[0].row for r in ws.iter_rows(max_col=1) if r[0].value == "年度资金总额")
    for col in ("B", "C", "D"):
        ws[f"{col}{total_row}"] = f"=SUM({col}{total_row + 1}:{col}{total_row + 3})"
    wb.save(path)
    no_cache = build_file(path, write=False)
    assert any(p.code == "formula-no-cache" for p in no_cache.problems)

    _inject_cached_values(path, schema.SHEET_BUDGET, {f"{c}{total_row}": v for c, v in zip("BCD", (100, 100, 95))})
    first = build_file(path, report=False)
    assert first.exit_code == 0, [p.text for p in first.problems]
    assert first.evaluation.budget.rate == Decimal("95.00")
    second = build_file(path, report=False)  # our own save kept the cached values
    assert second.exit_code == 0 and second.total == first.total

    wb = openpyxl.load_workbook(path)
    ws = wb[schema.SHEET_BUDGET]
    ws[f"D{total_row}"] = "=1/0"
    wb.save(path)
    _inject_cached_values(path, schema.SHEET_BUDGET, {f"D{total_row}": "#DIV/0!"})
    bad = build_file(path, write=False)
    problem = next(p for p in bad.problems if p.code == "formula-error")
    assert problem.cell == f"D{total_row}" and "#DIV/0!" in problem.text


def _inject_cached_values(path, sheet_name, values):
    from xlreport.adapters.xlsx_io import _restore_cached_values

    _restore_cached_values(path, {(sheet_name, ref): v for ref, v in values.items()})


def test_xlsm_keeps_macros(tmp_path):
    src = make_workbook(tmp_path / "plain.xlsx")
    vba = b"fake-vba-project-bytes" * 10
    path = tmp_path / "wb.xlsm"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/'
                                    b'vnd.ms-office.vbaProject"/></Types>')
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://schemas.'
                                    b'microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>'
                                    b"</Relationships>")
            zout.writestr(item, data)
        zout.writestr("xl/vbaProject.bin", vba)
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 0, outcome.failure
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == vba


def test_refuses_in_place_when_parts_would_be_lost(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/media/image1.png", b"\x89PNG\r\n\x1a\n")
    before = path.read_bytes()
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 2 and outcome.failure.code == "file-keeps-parts"
    assert "图片" in outcome.failure.message and "-o" in outcome.failure.message
    assert path.read_bytes() == before
    # a copy would lose the picture just the same: refused too, nothing written
    copy = build_file(path, output=tmp_path / "out.xlsx", report=False)
    assert copy.exit_code == 2 and copy.failure.code == "file-keeps-parts"
    assert not (tmp_path / "out.xlsx").exists() and path.read_bytes() == before
    assert build_file(path, write=False).exit_code == 0  # `xlreport check` still scores it


def test_newer_template_version_is_refused(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx")
    wb = openpyxl.load_workbook(path)
    wb[schema.SHEET_META]["B2"] = 99
    wb.save(path)
    outcome = build_file(path, report=False)
    assert outcome.exit_code == 2 and "99" in outcome.failure.message


def test_unrelated_workbook(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "工资表"
    path = tmp_path / "other.xlsx"
    wb.save(path)
    outcome = build_file(path)
    assert outcome.exit_code == 2 and outcome.failure.code == "file-not-template"


@pytest.mark.parametrize("content,code", [
    (b"", "file-empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, None),
    (b"col1,col2\n1,2\n", "file-not-workbook"),
    (b"PK\x03\x04garbage", "file-corrupt"),
])
def test_cli_bad_files_exit_2_without_traceback(tmp_path, content, code):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["build", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "bad.xlsx" in result.output
    assert path.read_bytes() == content


def test_cli_check_and_build_exit_codes(tmp_path):
    good = make_workbook(tmp_path / "good.xlsx")
    result = CliRunner().invoke(main, ["check", str(good)])
    assert result.exit_code == 0, result.output
    assert "总分99.50分" in result.output
    items = simple_indicators()
    items[0]["weight"] = 30
    bad = make_workbook(tmp_path / "bad.xlsx", indicators=items)
    before = bad.read_bytes()
    result = CliRunner().invoke(main, ["check", str(bad)])
    assert result.exit_code == 1 and "weight-total" in result.output
    assert bad.read_bytes() == before
    result = CliRunner().invoke(main, ["build", str(bad), "-o", str(tmp_path / "out" / "bad.xlsx"), "--no-report"])
    assert result.exit_code == 1
    assert (tmp_path / "out" / "bad.xlsx").exists()


def test_cli_new_writes_template(tmp_path):
    result = CliRunner().invoke(main, ["new", str(tmp_path / "t.xlsx"), "--type", "转移支付"])
    assert result.exit_code == 0
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert wb["基本信息"]["B3"].value == "转移支付"


def test_huge_sheet_is_refused(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效指标"
    ws["A1"] = "三级指标"
    ws["A200000"] = "x"  # a sheet whose used range is enormous
    path = tmp_path / "huge.xlsx"
    wb.save(path)
    outcome = build_file(path)  # how fast: benchmarks/bench_timings.py
    assert outcome.exit_code == 2 and outcome.failure.code == "file-too-large"


def test_control_characters_in_user_text_do_not_break_the_save(tmp_path):
    items = simple_indicators()
    items[3]["actual"] = "显著提升MARK"
    path = make_workbook(tmp_path / "wb.xlsx", indicators=items)
    # openpyxl refuses to write a control character; Excel stores one escaped as _x001F_.
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members = {n: d.replace("显著提升MARK".encode(), "显著_x001F_提升".encode()) for n, d in members.items()}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    outcome = build_file(path, report=False)
    assert outcome.exit_code in (0, 1), outcome.failure


def test_text_starting_with_equals_stays_text(tmp_path):
    from xlreport.adapters.xlsx_io import _set_value

    wb = openpyxl.Workbook()
    _set_value(wb.active["A1"], "=SUM(A2:A3) 是指标名称")
    wb.save(tmp_path / "t.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "t.xlsx").active["A1"]
    assert cell.data_type == "s" and cell.value == "=SUM(A2:A3) 是指标名称"


def test_office_wording_reaches_the_workbook_notes(tmp_path):
    """--templates: an office's 评分说明.j2 writes the workbook's 评分说明 column."""
    path = make_workbook(tmp_path / "wb.xlsx")
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "评分说明.j2").write_text("{{ v.name }}：得{{ v.score }}分（{{ v.status }}）。", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(path), "--templates", str(templates), "--no-report"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(path)["绩效指标"]
    header, cols = indicator_columns(ws)
    notes = [ws.cell(r, cols["note"]).value for r in range(header + 1, ws.max_row + 1)
             if ws.cell(r, cols["name"]).value]
    first = simple_indicators()[0]["name"]
    assert notes and notes[0].startswith(f"{first}：得") and notes[0].endswith("（met）。"), notes


def test_broken_report_template_keeps_the_written_workbook(tmp_path):
    path = make_workbook(tmp_path / "wb.xlsx")
    templates = tmp_path / "tpl"
    templates.mkdir()
    (templates / "自评结论.j2").write_text("{% if %}", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(path), "--templates", str(templates)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "工作簿已写回" in result.output


def test_rewritten_files_keep_their_permissions(tmp_path):
    import os
    import stat

    path = make_workbook(tmp_path / "wb.xlsx")
    os.chmod(path, 0o640)
    outcome = build_file(path)
    assert outcome.exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    report = outcome.report_path
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(report.stat().st_mode) == 0o666 & ~umask
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".xlreport-")]


def test_a_typed_score_column_is_never_taken_for_an_output(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "基本信息"
    ws.append(["报告类型", "项目支出"])
    b = wb.create_sheet("预算执行")
    b.append(["资金类别", "年初预算数", "全年预算数", "全年执行数"])
    b.append(["年度资金总额", 10, 10, 10])
    b.append(["预算执行率分值", 10])
    i = wb.create_sheet("绩效指标")
    i.append(["一级指标", "二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分"])
    i.append(["产出指标", "数量指标", "次数", "≥2次", "1次", 90, 90])
    path = tmp_path / "hand.xlsx"
    wb.save(path)
    build_file(path, report=False)
    out = openpyxl.load_workbook(path)["绩效指标"]
    assert out["G2"].value == 90  # the unit's own 得分 stays as typed
    assert out["I1"].value == "自评得分" and out["I2"].value == 45
