"""Sniff, bound and vet a workbook before openpyxl touches it.

Workbooks arrive from strangers (e-mail), so a file may be anything: a renamed CSV, a
legacy .xls, a password-protected package, a zip bomb, an XML entity bomb. openpyxl looks
only at the extension and will happily spend gigabytes on a hostile file, so every check
here is decided by content and costs bounded time and memory: sizes come from the zip
directory (never from decompressing a member), and at most 4 KB of each XML part is read
before the two small parts that are parsed, through defusedxml, with DTDs forbidden.
docs/safety.md gives the measurements behind the limits.
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from xlreport.core.failures import FileRejected
from xlreport.core.grid import column_index

MB = 2**20
HEAD_SIZE = 8192          # bytes sniffed from the start of the file
XML_HEAD_SIZE = 4096      # bytes of each XML part scanned for a DTD
RATIO_MIN_SIZE = 1 * MB   # small members may compress well without being a bomb
PARSED_PART_LIMIT = 10 * MB  # [Content_Types].xml and the workbook part are parsed whole

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_EOCD = b"PK\x05\x06"
CONTENT_TYPES = "[Content_Types].xml"

WORKBOOK_TYPES: dict[str, str] = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml": "xlsx",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.template.macroEnabled.main+xml": "xlsm",
    "application/vnd.ms-excel.addin.macroEnabled.main+xml": "xlsm",
}
XLSB_TYPE = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"

# Content types of other OOXML packages, to tell the user what they actually sent.
OTHER_PACKAGES: tuple[tuple[str, str], ...] = (
    ("wordprocessingml", "实际是Word文档"),
    ("presentationml", "实际是PowerPoint演示文稿"),
)

# Zip members whose presence means an openpyxl load + save would drop or damage something
# (docs/safety.md). Order is the order of the returned list.
LOST_PARTS: tuple[tuple[str, str], ...] = (
    ("图片", r"xl/media/"),
    ("图表", r"xl/charts/"),
    ("SmartArt图形", r"xl/diagrams/"),
    ("数据透视表", r"xl/pivot(Tables|Cache)/"),
    ("控件", r"xl/(ctrlProps|activeX)/"),
    ("嵌入对象", r"xl/embeddings/"),
    ("切片器", r"xl/slicer(s|Caches)/"),
    ("日程表", r"xl/timeline(s|Caches)/"),
    ("外部数据连接", r"xl/(connections\.xml$|queryTables/)"),
    ("XML映射", r"xl/xmlMaps\.xml$"),
    ("自定义XML", r"customXml/"),
    ("批注线程", r"xl/threadedComments/"),
    ("动态数组", r"xl/(metadata\.xml$|richData/)"),
    ("数据模型", r"xl/model/"),
)
# A DrawingML part without media or charts holds shapes / text boxes, which are lost too.
# Legacy comments live in xl/drawings/vmlDrawing*.vml and are kept, so only *.xml counts.
DRAWING_PART = re.compile(r"xl/drawings/drawing\d*\.xml$")
SHAPES = "形状或文本框"

DTD_MARKERS = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
ROOT_START = re.compile(rb"<[A-Za-z_]")
XML_SUFFIXES = (".xml", ".rels", ".vml")


@dataclass(frozen=True)
class FileInfo:
    path: Path
    kind: str            # "xlsx" | "xlsm"
    size: int            # bytes on disk
    unpacked_size: int   # total declared uncompressed size of the zip members
    members: tuple[str, ...]


# Public API --------------------------------------------------------------------------


def guard_workbook(path: str | Path) -> FileInfo:
    """The one call the reader makes before openpyxl: sniff, bound, then vet the XML."""
    info = inspect_workbook(path)
    check_xml_safety(info.path, info)
    return info


def inspect_workbook(
    path: str | Path,
    *,
    max_bytes: int = 50 * MB,
    max_unpacked: int = 100 * MB,
    max_ratio: int = 200,
    max_members: int = 5000,
) -> FileInfo:
    """Decide what the file is from its bytes and refuse anything that is not a sane xlsx/xlsm.

    Only the file head, the zip directory and [Content_Types].xml (size-checked first)
    are read, so a hostile file is refused in milliseconds.
    """
    path = Path(path)
    size = _regular_file_size(path)
    head = _read_head(path)
    name = path.name

    if not head.startswith((OLE_MAGIC, b"PK")):
        if _is_raw_biff(head) and path.suffix.lower() == ".xls":
            raise FileRejected.make("file-legacy-xls", path=name)
        raise FileRejected.make("file-not-workbook", path=name, kind=_sniff_kind(head))
    if size > max_bytes:
        reason = f"文件大小为{_mb(size)}，超过上限{_mb(max_bytes)}"
        raise FileRejected.make("file-too-large", path=name, reason=reason)
    if head.startswith(OLE_MAGIC):
        raise _classify_ole(path)

    member_count = _zip_member_count(path, size)
    if member_count > max_members:
        reason = f"压缩包内有{member_count}个部件，超过上限{max_members}个"
        raise FileRejected.make("file-too-large", path=name, reason=reason)
    with _open_zip(path) as zf:
        infos = zf.infolist()
        _check_zip_directory(name, infos, size, max_unpacked, max_ratio, max_members)
        members = tuple(i.filename for i in infos)
        kind = _package_kind(name, zf, members)
    return FileInfo(path, kind, size, sum(i.file_size for i in infos), members)


def check_xml_safety(path: str | Path, info: FileInfo) -> None:
    """Refuse DTDs and entities anywhere, then parse the package's two key parts safely.

    A genuine Excel file never contains a DTD, so any ``<!DOCTYPE``/``<!ENTITY`` near the
    start of a part is hostile; a part whose first 4 KB hold no root element could be
    hiding one further down, and is refused too. openpyxl also parses through defusedxml
    (``openpyxl.DEFUSEDXML``), which is the second line for everything else.
    """
    path = Path(path)
    name = path.name
    with _open_zip(path) as zf:
        for member in info.members:
            if member.endswith(XML_SUFFIXES):
                _scan_xml_head(name, zf, zf.getinfo(member))
        types = _parse_part(name, zf, CONTENT_TYPES)
        workbook_part, _ = _find_workbook_part(types)
        if workbook_part:
            _parse_part(name, zf, workbook_part)


def parts_lost_on_save(info: FileInfo) -> list[str]:
    """Chinese names of what an openpyxl load + save would drop; empty = safe to write in place.

    Decided from the member list only: cheap, and errs on the side of writing a copy.
    """
    lost = [label for label, pattern in LOST_PARTS
            if any(re.match(pattern, m) for m in info.members)]
    has_drawing = any(DRAWING_PART.match(m) for m in info.members)
    if has_drawing and "图片" not in lost and "图表" not in lost:
        lost.append(SHAPES)
    return lost


# The file itself ---------------------------------------------------------------------


def _regular_file_size(path: Path) -> int:
    """Size of a regular, non-empty file; FIFOs and devices are refused before any open()."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FileRejected.make("file-not-found", path=str(path)) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise FileRejected.make("file-unreadable", path=str(path), reason="这是一个文件夹，不是文件")
    if not stat.S_ISREG(st.st_mode):
        raise FileRejected.make("file-unreadable", path=str(path), reason="这不是普通文件")
    if st.st_size == 0:
        raise FileRejected.make("file-empty", path=path.name)
    return st.st_size


def _read_head(path: Path) -> bytes:
    try:
        with path.open("rb") as fh:
            return fh.read(HEAD_SIZE)
    except OSError as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: OSError) -> FileRejected:
    if isinstance(exc, PermissionError):
        reason = "没有读取权限"
    elif isinstance(exc, IsADirectoryError):
        reason = "这是一个文件夹，不是文件"
    else:
        reason = f"系统错误 {exc.strerror or exc}"
    return FileRejected.make("file-unreadable", path=str(path), reason=reason)


def _mb(n: int) -> str:
    return f"{n / MB:.1f}MB" if n % MB else f"{n // MB}MB"


def _is_raw_biff(head: bytes) -> bool:
    """A BOF record of a pre-OLE (BIFF2–4) or bare BIFF5/8 stream."""
    return head[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04", b"\x09\x08")


def _sniff_kind(head: bytes) -> str:
    """What a non-container file really is, in words a user understands."""
    if head.startswith(b"%PDF"):
        return "实际是PDF文件"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM")):
        return "实际是图片文件"
    if head.startswith((b"Rar!", b"7z\xbc\xaf")):
        return "实际是压缩包，请解压后提交其中的工作簿"
    if head.startswith(b"{\\rtf"):
        return "实际是RTF文档"
    text = _as_text(head)
    if text is None:
        return "无法识别的文件格式"
    lowered = text.lower()
    if "urn:schemas-microsoft-com:office:spreadsheet" in lowered:
        return "实际是Excel 2003 XML表格"
    if any(tag in lowered for tag in ("<html", "<!doctype html", "<table", "mime-version:")):
        return "实际是HTML网页文件，常见于从网页系统导出的表格"
    return "实际是CSV或文本文件"


def _as_text(head: bytes) -> str | None:
    """Decode a file head as text, or None when it looks binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    if b"\x00" in head:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return head.decode(encoding)
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a multi-byte character cut at the end
                return head[: exc.start].decode(encoding, errors="ignore")
    return None


# OLE containers (legacy .xls, password-protected packages) -----------------------------


def _classify_ole(path: Path) -> FileRejected:
    """Name the OLE container from its top-level stream names."""
    name = path.name
    streams = _ole_stream_names(path)
    if streams is None:
        return FileRejected.make("file-corrupt", path=name, reason="OLE复合文档结构损坏")
    if {"encryptioninfo", "encryptedpackage"} <= streams:
        return FileRejected.make("file-encrypted", path=name)
    if streams & {"workbook", "book"}:
        return FileRejected.make("file-legacy-xls", path=name)
    if "worddocument" in streams:
        return FileRejected.make("file-not-workbook", path=name, kind="实际是旧版Word文档（.doc）")
    if "powerpoint document" in streams:
        return FileRejected.make("file-not-workbook", path=name, kind="实际是旧版PowerPoint演示文稿（.ppt）")
    return FileRejected.make("file-not-workbook", path=name, kind="实际是其他OLE复合文档")


def _ole_stream_names(path: Path) -> set[str] | None:
    """Lower-cased top-level stream names, via olefile when installed, else a raw byte scan."""
    try:
        import olefile  # optional: a dev dependency today
    except ImportError:
        return _ole_names_by_scan(path)
    try:
        with olefile.OleFileIO(str(path)) as ole:
            return {entry[0].lower() for entry in ole.listdir(streams=True, storages=False)}
    except Exception:  # noqa: BLE001 - olefile raises assorted errors on broken containers
        return _ole_names_by_scan(path)


OLE_NAMES = ("Workbook", "Book", "EncryptionInfo", "EncryptedPackage",
             "WordDocument", "PowerPoint Document")


def _ole_names_by_scan(path: Path) -> set[str] | None:
    """Find directory-entry names (UTF-16LE, NUL-terminated) in the raw bytes, chunk by chunk.

    Good enough to tell the user which format they sent; None when nothing known is found.
    """
    needles = {n.lower(): (n + "\0").encode("utf-16-le") for n in OLE_NAMES}
    overlap = max(len(v) for v in needles.values())
    found: set[str] = set()
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(MB):
            window = tail + chunk
            found |= {k for k, v in needles.items() if v in window}
            tail = window[-overlap:]
    return found or None


# Zip packages ------------------------------------------------------------------------


class _open_zip:
    """zipfile.ZipFile whose failures become file-corrupt."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
            raise _corrupt(path.name) from None
        except OSError as exc:
            raise _unreadable(path, exc) from None

    def __enter__(self) -> zipfile.ZipFile:
        return self.zf

    def __exit__(self, *exc: object) -> None:
        self.zf.close()


def _corrupt(name: str, reason: str = "文件不完整或压缩数据错误，可能在下载或传输中被截断") -> FileRejected:
    return FileRejected.make("file-corrupt", path=name, reason=reason)


def _zip_member_count(path: Path, size: int) -> int:
    """Member count from the end-of-central-directory record, before zipfile builds
    one object per member (a million-member zip would cost seconds and hundreds of MB)."""
    tail_size = min(size, 22 + 0xFFFF)
    with path.open("rb") as fh:
        fh.seek(size - tail_size)
        tail = fh.read(tail_size)
    at = tail.rfind(ZIP_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise _corrupt(path.name)
    (count,) = struct.unpack_from("<H", tail, at + 10)
    return count  # 0xFFFF (zip64) counts as too many: Excel never needs that


MAX_PART_BYTES = 16 * 2**20  # a worksheet or string table; a self-evaluation's are well under 1 MB
_PARSED_PARTS = ("xl/worksheets/", "xl/sharedStrings.xml")


def _check_zip_directory(name: str, infos: list[zipfile.ZipInfo], size: int,
                         max_unpacked: int, max_ratio: int, max_members: int) -> None:
    """Bound the package from declared sizes only; zipfile enforces them when reading."""
    if len(infos) > max_members:
        reason = f"压缩包内有{len(infos)}个部件，超过上限{max_members}个"
        raise FileRejected.make("file-too-large", path=name, reason=reason)
    total = sum(i.file_size for i in infos)
    if total > max_unpacked:
        reason = f"解压后共{_mb(total)}，超过上限{_mb(max_unpacked)}"
        raise FileRejected.make("file-too-large", path=name, reason=reason)
    for i in infos:
        if i.filename.startswith(_PARSED_PARTS) and i.file_size > MAX_PART_BYTES:
            # openpyxl holds a parsed sheet in memory at 10-20x its XML size: bound it here
            reason = f"部件{i.filename}解压后为{_mb(i.file_size)}，超过单个工作表上限{_mb(MAX_PART_BYTES)}"
            raise FileRejected.make("file-too-large", path=name, reason=reason)
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_MIN_SIZE and ratio > max_ratio:
            reason = f"部件{i.filename}解压后为{_mb(i.file_size)}，压缩比约{ratio:.0f}倍，超过上限{max_ratio}倍"
            raise FileRejected.make("file-too-large", path=name, reason=reason)
        if i.header_offset + i.compress_size > size:
            raise _corrupt(name)
        if i.flag_bits & 0x1:
            raise _corrupt(name, reason="压缩包内的部件被单独加密，Excel不会生成这样的文件")
        if i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _corrupt(name, reason="使用了Excel不支持的压缩方式")
    if len({i.filename for i in infos}) != len(infos):
        raise _corrupt(name, reason="压缩包内有重名的部件")


def _package_kind(name: str, zf: zipfile.ZipFile, members: tuple[str, ...]) -> str:
    """xlsx / xlsm from [Content_Types].xml; everything else is refused with the right code."""
    if "xl/workbook.bin" in members:
        raise FileRejected.make("file-xlsb", path=name)
    if CONTENT_TYPES not in members:
        if any(m.startswith("xl/") for m in members):
            raise _corrupt(name, reason=f"缺少{CONTENT_TYPES}")
        raise FileRejected.make("file-not-workbook", path=name, kind=_zip_kind(zf, members))
    types = _parse_part(name, zf, CONTENT_TYPES)
    all_types = {t for _, t in _content_types(types)}
    if XLSB_TYPE in all_types:
        raise FileRejected.make("file-xlsb", path=name)
    part, kind = _find_workbook_part(types)
    if part is None:
        if "xl/workbook.xml" in members:
            raise _corrupt(name, reason="内容类型清单中没有登记工作簿")
        for marker, words in OTHER_PACKAGES:
            if any(marker in t for t in all_types):
                raise FileRejected.make("file-not-workbook", path=name, kind=words)
        raise FileRejected.make("file-not-workbook", path=name, kind="实际是其他Office文件")
    if part not in members:
        raise _corrupt(name, reason=f"缺少工作簿部件{part}")
    return kind


def _zip_kind(zf: zipfile.ZipFile, members: tuple[str, ...]) -> str:
    if "mimetype" in members and zf.getinfo("mimetype").file_size < 200:
        try:
            if b"opendocument" in zf.read("mimetype"):
                return "实际是OpenDocument文件（如WPS/LibreOffice的.ods）"
        except (zipfile.BadZipFile, zlib.error, EOFError):
            pass
    if any(m.lower().endswith((".xlsx", ".xlsm", ".xls")) for m in members):
        return "实际是压缩包，请解压后提交其中的工作簿"
    return "实际是普通压缩包"


def _content_types(root: Element) -> list[tuple[str, str]]:
    """(part name or extension, content type) pairs of [Content_Types].xml."""
    pairs = []
    for el in root:
        key = el.get("PartName") or el.get("Extension") or ""
        pairs.append((key.lstrip("/"), el.get("ContentType", "")))
    return pairs


def _find_workbook_part(root: Element) -> tuple[str | None, str]:
    """The workbook part named in the content types, as openpyxl finds it."""
    for part, ctype in _content_types(root):
        if ctype in WORKBOOK_TYPES and part.endswith(".xml"):
            return part, WORKBOOK_TYPES[ctype]
    return None, ""


# XML ---------------------------------------------------------------------------------


def _scan_xml_head(name: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Read at most 4 KB of one part (bounded decompression) and refuse any DTD."""
    try:
        with zf.open(info) as fh:
            head = fh.read(XML_HEAD_SIZE)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise _corrupt(name) from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8")
    if DTD_MARKERS.search(head):
        reason = f"部件{info.filename}含有DTD或实体声明"
        raise FileRejected.make("file-unsafe-xml", path=name, reason=reason)
    if info.file_size > XML_HEAD_SIZE and not ROOT_START.search(head):
        reason = f"部件{info.filename}的开头异常"
        raise FileRejected.make("file-unsafe-xml", path=name, reason=reason)
    _check_dimension(name, info, head)


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]{1,3}\d+:([A-Z]{1,3})(\d+)"')
MAX_SHEET_ROWS = 50_000
MAX_SHEET_COLS = 1_000


def _check_dimension(name: str, info: zipfile.ZipInfo, head: bytes) -> None:
    """A worksheet declares its used range up front: refuse huge sheets before parsing them."""
    if not info.filename.startswith("xl/worksheets/"):
        return
    m = _DIMENSION.search(head)
    if not m:
        return
    rows, cols = int(m.group(2)), column_index(m.group(1).decode())
    if rows > MAX_SHEET_ROWS or cols > MAX_SHEET_COLS:
        reason = f"工作表部件{info.filename}的范围达{rows}行×{cols}列"
        raise FileRejected.make("file-too-large", path=name, reason=reason)


def _parse_part(name: str, zf: zipfile.ZipFile, member: str) -> Element:
    """Parse one small part with defusedxml, DTDs forbidden outright."""
    info = zf.getinfo(member)
    if info.file_size > PARSED_PART_LIMIT:
        reason = f"部件{member}为{_mb(info.file_size)}，超过上限{_mb(PARSED_PART_LIMIT)}"
        raise FileRejected.make("file-too-large", path=name, reason=reason)
    try:
        data = zf.read(info)
        return SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        reason = f"部件{member}含有DTD或实体声明"
        raise FileRejected.make("file-unsafe-xml", path=name, reason=reason) from None
    except ParseError:
        raise _corrupt(name, reason=f"部件{member}不是有效的XML") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
        raise _corrupt(name) from None
