"""Hostile and broken files are refused quickly, with the right code and a Chinese message.

Every file is generated here (no committed binaries). Each refusal must name the file and
take well under 2 s; the zip bomb must also be refused with little memory.
"""

from __future__ import annotations

import io
import os
import sys
import tracemalloc
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import defusedxml
import openpyxl
import pytest
from openpyxl.comments import Comment

from xlreport.adapters.safety import (
    FileInfo,
    check_xml_safety,
    guard_workbook,
    inspect_workbook,
    parts_lost_on_save,
)
from xlreport.core.failures import FILE_FAILURES, FileRejected

MB = 2**20
LEAN = 50 * MB  # peak traced memory
SHEET1 = "xl/worksheets/sheet1.xml"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


# Helpers ---------------------------------------------------------------------------


def make_xlsx(path: Path, comment: bool = False) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效指标"
    ws.append(["三级指标", "分值", "指标值", "实际完成值"])
    ws.append(["培训人数", 10, "≥100人", "120人"])
    if comment:
        ws["A2"].comment = Comment("请填写实际培训人数", "财政局")
    wb.save(path)
    return path


def rewrite_zip(src: Path, dst: Path, replace: dict[str, bytes] | None = None,
                drop: tuple[str, ...] = ()) -> Path:
    """Copy a package member by member, replacing / adding / dropping some members."""
    replace = dict(replace or {})
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename in drop:
                continue
            data = replace.pop(item.filename, None)
            zout.writestr(item.filename, data if data is not None else zin.read(item))
        for name, data in replace.items():
            zout.writestr(name, data)
    return dst


def read_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as zf:
        return zf.read(name)


def member_size(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as zf:
        return zf.getinfo(name).file_size


def rejected(path: Path, code: str, call: Callable[[Path], object] = guard_workbook,
             ) -> FileRejected:
    """Assert the call refuses the file with `code`, lean, naming the file (how fast:
    benchmarks/bench_timings.py; a wall-clock bound in a test only measures the machine)."""
    tracemalloc.start()
    try:
        with pytest.raises(FileRejected) as caught:
            call(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    exc = caught.value
    assert exc.code == code, exc.message
    assert path.name in exc.message
    assert peak < LEAN, f"{code} peaked at {peak / MB:.1f} MB"
    if os.environ.get("XLREPORT_SAFETY_REPORT"):
        print(f"\n{path.name}: {code}, peak {peak / MB:.2f} MB")
    return exc


def sheet_xml(body: str, prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
            f'<worksheet xmlns="{SHEET_NS}"><sheetData>{body}</sheetData></worksheet>').encode()


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)
LAUGHS_BODY = '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
XXE = '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
XXE_BODY = '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return make_xlsx(tmp_path / "good.xlsx")


# Good files ------------------------------------------------------------------------


def test_defusedxml_is_used_by_openpyxl() -> None:
    assert openpyxl.DEFUSEDXML is True


def test_good_xlsx_passes(good: Path) -> None:
    info = guard_workbook(good)
    assert info.kind == "xlsx"
    assert info.size == good.stat().st_size
    assert "xl/workbook.xml" in info.members
    assert info.unpacked_size > info.size
    assert parts_lost_on_save(info) == []


def test_good_xlsm_passes(tmp_path: Path, good: Path) -> None:
    """An openpyxl-made macro workbook (keep_vba) is recognised as xlsm by content."""
    xlsm_types = (read_member(good, "[Content_Types].xml").decode()
                  .replace("spreadsheetml.sheet.main+xml", "PLACEHOLDER")
                  .replace("PLACEHOLDER", "sheet.macroEnabled.main+xml")
                  .replace("application/vnd.openxmlformats-officedocument.sheet.macroEnabled",
                           "application/vnd.ms-excel.sheet.macroEnabled"))
    seed = rewrite_zip(good, tmp_path / "seed.xlsm", {
        "[Content_Types].xml": xlsm_types.encode(),
        "xl/vbaProject.bin": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504),
    })
    wb = openpyxl.load_workbook(seed, keep_vba=True)
    path = tmp_path / "宏工作簿.xlsm"
    wb.save(path)
    wb.vba_archive.close()  # openpyxl leaves this in-memory zip open; GC would then complain
    info = guard_workbook(path)
    assert info.kind == "xlsm"
    assert "xl/vbaProject.bin" in info.members


def test_large_genuine_sheet_passes(tmp_path: Path) -> None:
    """Real parts start their root element at once, so big parts pass the 4 KB DTD scan."""
    wb = openpyxl.Workbook()
    for i in range(3000):
        wb.active.append([f"指标{i}", i, "≥95%", "97%"])
    path = tmp_path / "大表.xlsx"
    wb.save(path)
    info = guard_workbook(path)
    assert member_size(path, SHEET1) > 100_000
    assert info.kind == "xlsx"


def test_xlsx_with_wrong_extension_is_judged_by_content(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "其实是xlsx.xls"
    path.write_bytes(good.read_bytes())
    assert guard_workbook(path).kind == "xlsx"


# The file itself -------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    rejected(tmp_path / "不存在.xlsx", "file-not-found")


def test_directory(tmp_path: Path) -> None:
    folder = tmp_path / "文件夹.xlsx"
    folder.mkdir()
    exc = rejected(folder, "file-unreadable")
    assert "文件夹" in exc.message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_no_permission(tmp_path: Path, good: Path) -> None:
    good.chmod(0)
    try:
        exc = rejected(good, "file-unreadable")
        assert "权限" in exc.message
    finally:
        good.chmod(0o644)


def test_open_refused(tmp_path: Path, good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same as above but also when running as root: the open() itself is refused."""
    real_open = Path.open

    def deny(self: Path, *args: object, **kwargs: object) -> object:
        if self == good:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    assert "权限" in rejected(good, "file-unreadable").message


def test_fifo_is_not_opened(tmp_path: Path) -> None:
    """A FIFO would block open() forever; it is refused from stat() alone."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "管道.xlsx"
    os.mkfifo(fifo)
    rejected(fifo, "file-unreadable")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "空.xlsx"
    path.touch()
    rejected(path, "file-empty")


def test_file_bigger_than_limit(good: Path) -> None:
    exc = rejected(good, "file-too-large", lambda p: inspect_workbook(p, max_bytes=1000))
    assert "超过上限" in exc.message


# Not a workbook --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content", "words"), [
    ("指标.xlsx", "三级指标,分值\n培训人数,10\n".encode(), "CSV"),
    ("指标gbk.xlsx", "三级指标,分值\n培训人数,10\n".encode("gb18030"), "CSV"),
    ("指标utf16.xlsx", "三级指标\t分值\n".encode("utf-16"), "CSV"),
    ("导出.xls", (b"\xef\xbb\xbf<html xmlns:o='urn:schemas-microsoft-com:office:office'>"
                 b"<body><table><tr><td>1</td></tr></table></body></html>"), "HTML"),
    ("导出2.xls", b"<!DOCTYPE html>\n<html><table></table></html>", "HTML"),
    ("2003.xml.xls", (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?>'
                     b'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>'), "2003"),
    ("扫描件.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
    ("截图.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(100), "图片"),
    ("乱码.xlsx", bytes(range(256)) * 4, "无法识别"),
])
def test_renamed_non_workbooks(tmp_path: Path, name: str, content: bytes, words: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    exc = rejected(path, "file-not-workbook")
    assert words in exc.message


def test_docx_renamed_xlsx(tmp_path: Path) -> None:
    import docx

    path = tmp_path / "自评报告.xlsx"
    docx.Document().save(path)
    exc = rejected(path, "file-not-workbook")
    assert "Word" in exc.message


def test_plain_zip_and_zipped_workbook(tmp_path: Path, good: Path) -> None:
    plain = tmp_path / "附件.xlsx"
    with zipfile.ZipFile(plain, "w") as zf:
        zf.writestr("说明.txt", "你好")
    assert "普通压缩包" in rejected(plain, "file-not-workbook").message
    zipped = tmp_path / "打包.xlsx"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(good, "good.xlsx")
    assert "解压" in rejected(zipped, "file-not-workbook").message


def test_ods_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "wps.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument" in rejected(path, "file-not-workbook").message


# Legacy, encrypted, binary ---------------------------------------------------------


def make_xls(path: Path) -> Path:
    import xlwt

    book = xlwt.Workbook()
    book.add_sheet("绩效指标").write(0, 0, "三级指标")
    book.save(str(path))
    return path


def make_encrypted(tmp_path: Path, good: Path) -> Path:
    from msoffcrypto.format.ooxml import OOXMLFile

    path = tmp_path / "加密.xlsx"
    with good.open("rb") as src, path.open("wb") as dst:
        OOXMLFile(src).encrypt("123456", dst)
    return path


def test_legacy_xls(tmp_path: Path) -> None:
    rejected(make_xls(tmp_path / "旧版.xls"), "file-legacy-xls")


def test_legacy_xls_renamed_xlsx(tmp_path: Path) -> None:
    rejected(make_xls(tmp_path / "改名.xlsx"), "file-legacy-xls")


def test_raw_biff_with_xls_extension(tmp_path: Path) -> None:
    path = tmp_path / "excel4.xls"
    path.write_bytes(b"\x09\x04\x06\x00\x00\x00\x10\x00" + bytes(200))
    rejected(path, "file-legacy-xls")


def test_encrypted_xlsx(tmp_path: Path, good: Path) -> None:
    path = make_encrypted(tmp_path, good)
    assert path.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    rejected(path, "file-encrypted")


def test_ole_without_olefile(tmp_path: Path, good: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Without olefile the raw directory names still tell .xls from an encrypted package."""
    xls = make_xls(tmp_path / "旧版.xls")
    encrypted = make_encrypted(tmp_path, good)
    monkeypatch.setitem(sys.modules, "olefile", None)  # makes `import olefile` fail
    rejected(xls, "file-legacy-xls")
    rejected(encrypted, "file-encrypted")


def test_truncated_ole(tmp_path: Path) -> None:
    xls = make_xls(tmp_path / "旧版.xls")
    path = tmp_path / "截断.xls"
    path.write_bytes(xls.read_bytes()[:600])
    rejected(path, "file-corrupt")


def test_unknown_ole_is_not_a_workbook(tmp_path: Path) -> None:
    pytest.importorskip("olefile")
    xls = make_xls(tmp_path / "x.xls").read_bytes()
    # Rename the stream in the OLE directory (same length) so it is no longer a workbook.
    path = tmp_path / "未知.xlsx"
    path.write_bytes(xls.replace("Workbook".encode("utf-16-le"), "Worksome".encode("utf-16-le")))
    assert "OLE" in rejected(path, "file-not-workbook").message


def test_xlsb(tmp_path: Path) -> None:
    path = tmp_path / "二进制.xlsb"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
            "</Types>"))
        zf.writestr("_rels/.rels", "<Relationships/>")
        zf.writestr("xl/workbook.bin", b"\x83\x01\x00")
    rejected(path, "file-xlsb")
    renamed = tmp_path / "二进制.xlsx"
    renamed.write_bytes(path.read_bytes())
    rejected(renamed, "file-xlsb")


# Corrupt ---------------------------------------------------------------------------


def test_truncated_xlsx(tmp_path: Path, good: Path) -> None:
    path = tmp_path / "截断.xlsx"
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    rejected(path, "file-corrupt")


def test_missing_content_types(tmp_path: Path, good: Path) -> None:
    path = rewrite_zip(good, tmp_path / "缺清单.xlsx", drop=("[Content_Types].xml",))
    assert "Content_Types" in rejected(path, "file-corrupt").message


def test_missing_workbook_part(tmp_path: Path, good: Path) -> None:
    path = rewrite_zip(good, tmp_path / "缺工作簿.xlsx", drop=("xl/workbook.xml",))
    assert "xl/workbook.xml" in rejected(path, "file-corrupt").message


def test_broken_xml_in_workbook_part(tmp_path: Path, good: Path) -> None:
    path = rewrite_zip(good, tmp_path / "坏XML.xlsx", {"xl/workbook.xml": b"<workbook><sheets>"})
    rejected(path, "file-corrupt")


def test_unsupported_compression(tmp_path: Path, good: Path) -> None:
    """bzip2/lzma members decompress without a size bound in zipfile: refuse them."""
    path = tmp_path / "bzip2.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item))
    assert "压缩方式" in rejected(path, "file-corrupt").message


def test_corrupt_deflate_data(tmp_path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        item = zf.getinfo(SHEET1)
    start = item.header_offset + 30 + len(item.filename.encode()) + len(item.extra)
    data[start:start + item.compress_size] = b"\xff" * item.compress_size
    path = tmp_path / "坏数据.xlsx"
    path.write_bytes(bytes(data))
    rejected(path, "file-corrupt")


# Bombs -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real xlsx whose sheet1 expands to 300 MB (about 0.7 MB on disk), written in chunks."""
    folder = tmp_path_factory.mktemp("bomb")
    good = make_xlsx(folder / "seed.xlsx")
    path = folder / "炸弹.xlsx"
    chunk = b'<c r="A1"><v>0</v></c>' * (MB // 22)
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != SHEET1:
                zout.writestr(item.filename, zin.read(item))
        with zout.open(SHEET1, "w") as fh:
            for _ in range(300):
                fh.write(chunk)
    return path


def test_zip_bomb_refused_fast_with_little_memory(zip_bomb: Path) -> None:
    exc = rejected(zip_bomb, "file-too-large")  # measures time and peak memory
    assert "解压后" in exc.message


def test_ratio_bomb_under_total_limit(tmp_path: Path, good: Path) -> None:
    """One highly compressed member is refused even when the total is within bounds."""
    path = tmp_path / "高压缩.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item))
        with zout.open("xl/sharedStrings2.xml", "w") as fh:
            for _ in range(20):
                fh.write(bytes(MB))
    exc = rejected(path, "file-too-large")
    assert "压缩比" in exc.message


def test_lying_declared_size(tmp_path: Path, good: Path) -> None:
    """A member declaring 1 KB but holding 50 MB passes the size checks, yet zipfile stops at
    the declared size (CRC mismatch), so the 4 KB scan ends it as corrupt, fast and lean."""
    path = tmp_path / "谎报.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename != SHEET1:
                zout.writestr(item.filename, zin.read(item))
        with zout.open(SHEET1, "w") as fh:
            fh.write(b'<worksheet xmlns="' + SHEET_NS.encode() + b'"><sheetData>')
            for _ in range(50):
                fh.write(b"<row/>" * (MB // 6))
    with zipfile.ZipFile(path) as zf:
        item = zf.getinfo(SHEET1)
    data = bytearray(path.read_bytes())
    real = item.file_size.to_bytes(4, "little")
    fake = (1024).to_bytes(4, "little")
    local = item.header_offset
    assert data[local + 22:local + 26] == real
    data[local + 22:local + 26] = fake
    central = data.find(b"PK\x01\x02" , local)
    while data[central + 46:central + 46 + len(SHEET1)] != SHEET1.encode():
        central = data.find(b"PK\x01\x02", central + 4)
    assert data[central + 24:central + 28] == real
    data[central + 24:central + 28] = fake
    path.write_bytes(bytes(data))
    assert member_size(path, SHEET1) == 1024
    rejected(path, "file-corrupt")


def test_total_unpacked_limit(good: Path) -> None:
    rejected(good, "file-too-large", lambda p: inspect_workbook(p, max_unpacked=1000))


def test_member_count_bomb(tmp_path: Path) -> None:
    path = tmp_path / "部件炸弹.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for i in range(6000):
            zf.writestr(f"xl/x{i}.xml", b"")
    exc = rejected(path, "file-too-large")
    assert "6000" in exc.message


def test_member_count_limit_is_a_parameter(good: Path) -> None:
    rejected(good, "file-too-large", lambda p: inspect_workbook(p, max_members=3))


# Unsafe XML ------------------------------------------------------------------------


def assert_openpyxl_refuses_fast(path: Path) -> None:
    """The second line: openpyxl (through defusedxml) refuses the file too, in little memory."""
    tracemalloc.start()
    try:
        with pytest.raises(Exception) as caught, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            openpyxl.load_workbook(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50 * MB
    chain, exc = [], caught.value
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    assert any(isinstance(e, defusedxml.DefusedXmlException) for e in chain), chain


@pytest.mark.parametrize(("name", "xml"), [
    ("笑声炸弹.xlsx", sheet_xml(LAUGHS_BODY, BILLION_LAUGHS)),
    ("外部实体.xlsx", sheet_xml(XXE_BODY, XXE)),
])
def test_entity_attacks(tmp_path: Path, good: Path, name: str, xml: bytes) -> None:
    path = rewrite_zip(good, tmp_path / name, {SHEET1: xml})
    info = inspect_workbook(path)  # the package itself is sane
    exc = rejected(path, "file-unsafe-xml", lambda p: check_xml_safety(p, info))
    assert SHEET1 in exc.message
    rejected(path, "file-unsafe-xml")
    assert_openpyxl_refuses_fast(path)


def test_dtd_hidden_after_a_long_comment(tmp_path: Path, good: Path) -> None:
    """Pushing the DTD past the 4 KB scan does not help: no root element in 4 KB is refused."""
    prolog = "<!--" + "x" * 8000 + "-->" + BILLION_LAUGHS
    path = rewrite_zip(good, tmp_path / "藏起来.xlsx", {SHEET1: sheet_xml(LAUGHS_BODY, prolog)})
    rejected(path, "file-unsafe-xml")
    assert_openpyxl_refuses_fast(path)


def test_utf16_dtd_is_seen(tmp_path: Path, good: Path) -> None:
    xml = sheet_xml(XXE_BODY, XXE).decode().replace("UTF-8", "UTF-16").encode("utf-16")
    path = rewrite_zip(good, tmp_path / "utf16.xlsx", {SHEET1: xml})
    rejected(path, "file-unsafe-xml")


def test_dtd_in_content_types(tmp_path: Path, good: Path) -> None:
    types = read_member(good, "[Content_Types].xml").decode()
    types = types.replace("<Types", XXE + "<Types", 1)
    path = rewrite_zip(good, tmp_path / "清单.xlsx", {"[Content_Types].xml": types.encode()})
    rejected(path, "file-unsafe-xml")


# Parts lost on save ----------------------------------------------------------------

DRAWING_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/image" Target="../media/image1.png"/></Relationships>'
)
DRAWING = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"/>'
)


def test_image_is_reported(tmp_path: Path, good: Path) -> None:
    path = rewrite_zip(good, tmp_path / "带图片.xlsx", {
        "xl/media/image1.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "xl/drawings/drawing1.xml": DRAWING.encode(),
        "xl/drawings/_rels/drawing1.xml.rels": DRAWING_RELS.encode(),
    })
    assert parts_lost_on_save(guard_workbook(path)) == ["图片"]


def test_only_comments_are_safe(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "批注.xlsx", comment=True)
    info = guard_workbook(path)
    assert any("comment" in m for m in info.members)
    assert any(m.endswith(".vml") for m in info.members)
    assert parts_lost_on_save(info) == []
    # Excel's own naming of legacy comments is safe too.
    excel_comments = FileInfo(path, "xlsx", 1, 1, (
        "xl/workbook.xml", "xl/comments1.xml", "xl/drawings/vmlDrawing1.vml",
        "xl/drawings/_rels/vmlDrawing1.vml.rels", "xl/calcChain.xml",
        "xl/printerSettings/printerSettings1.bin", "xl/vbaProject.bin",
    ))
    assert parts_lost_on_save(excel_comments) == []


@pytest.mark.parametrize(("members", "expected"), [
    (("xl/charts/chart1.xml", "xl/drawings/drawing1.xml"), ["图表"]),
    (("xl/media/image1.png", "xl/charts/chart1.xml", "xl/charts/style1.xml"), ["图片", "图表"]),
    (("xl/drawings/drawing1.xml",), ["形状或文本框"]),
    (("xl/diagrams/data1.xml",), ["SmartArt图形"]),
    (("xl/pivotTables/pivotTable1.xml", "xl/pivotCache/pivotCacheDefinition1.xml"), ["数据透视表"]),
    (("xl/ctrlProps/ctrlProp1.xml", "xl/activeX/activeX1.xml"), ["控件"]),
    (("xl/embeddings/oleObject1.bin",), ["嵌入对象"]),
    (("xl/slicers/slicer1.xml", "xl/slicerCaches/slicerCache1.xml"), ["切片器"]),
    (("xl/timelines/timeline1.xml",), ["日程表"]),
    (("xl/connections.xml", "xl/queryTables/queryTable1.xml"), ["外部数据连接"]),
    (("xl/xmlMaps.xml",), ["XML映射"]),
    (("customXml/item1.xml",), ["自定义XML"]),
    (("xl/threadedComments/threadedComment1.xml", "xl/persons/person.xml"), ["批注线程"]),
    (("xl/metadata.xml", "xl/richData/rdrichvalue.xml"), ["动态数组"]),
    (("xl/model/item.data",), ["数据模型"]),
    (("xl/model/item.data", "xl/media/image2.jpeg", "customXml/item1.xml", "xl/media/image3.png"),
     ["图片", "自定义XML", "数据模型"]),
])
def test_parts_lost_on_save(members: tuple[str, ...], expected: list[str]) -> None:
    info = FileInfo(Path("x.xlsx"), "xlsx", 1, 1, ("xl/workbook.xml", *members))
    assert parts_lost_on_save(info) == expected


def test_openpyxl_really_drops_an_image(tmp_path: Path, good: Path) -> None:
    """The premise: a picture wired into a sheet vanishes after an openpyxl load + save."""
    with zipfile.ZipFile(good) as zf:
        types = zf.read("[Content_Types].xml").decode()
        sheet = zf.read(SHEET1).decode()
    types = types.replace("</Types>", (
        '<Default Extension="png" ContentType="image/png"/>'
        '<Override PartName="/xl/drawings/drawing1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>'))
    sheet = sheet.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/'
                          'officeDocument/2006/relationships" ', 1)
    sheet = sheet.replace("</worksheet>", '<drawing r:id="rId9"/></worksheet>')
    sheet_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/drawing" Target="../drawings/drawing1.xml"/></Relationships>')
    path = rewrite_zip(good, tmp_path / "带图片.xlsx", {
        "[Content_Types].xml": types.encode(),
        SHEET1: sheet.encode(),
        "xl/worksheets/_rels/sheet1.xml.rels": sheet_rels.encode(),
        "xl/media/image1.png": b"\x89PNG\r\n\x1a\n" + bytes(64),
        "xl/drawings/drawing1.xml": DRAWING.encode(),
        "xl/drawings/_rels/drawing1.xml.rels": DRAWING_RELS.encode(),
    })
    assert parts_lost_on_save(guard_workbook(path)) == ["图片"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(path)
    out = io.BytesIO()
    wb.save(out)
    assert not any(m.startswith("xl/media/") for m in zipfile.ZipFile(out).namelist())  # BytesIO: nothing to close


# Catalogue -------------------------------------------------------------------------


def test_every_code_used_here_is_catalogued() -> None:
    source = (Path(__file__).parents[1] / "src/xlreport/adapters/safety.py").read_text(encoding="utf-8")
    import re

    used = set(re.findall(r'"(file-[a-z-]+)"', source))
    assert used <= set(FILE_FAILURES)


def test_oversized_sheet_without_dimension_is_refused_from_the_directory(tmp_path):
    import time
    import tracemalloc
    import zipfile as zf

    import openpyxl as ox

    from xlreport.adapters.safety import guard_workbook
    from xlreport.core.failures import FileRejected

    src = tmp_path / "small.xlsx"
    ox.Workbook().save(src)
    path = tmp_path / "big.xlsx"
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>'
    with zf.ZipFile(src) as zin, zf.ZipFile(path, "w", zf.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with zout.open(item.filename, "w") as fh:  # no <dimension>: nothing to read up front
                    fh.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                             b'spreadsheetml/2006/main"><sheetData>')
                    for r in range(1, 400_000):
                        fh.write(row % (r, r))
                    fh.write(b"</sheetData></worksheet>")
            else:
                zout.writestr(item, zin.read(item.filename))
    tracemalloc.start()
    with pytest.raises(FileRejected) as caught:
        guard_workbook(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert caught.value.code == "file-too-large"
    assert peak < 20 * 2**20
