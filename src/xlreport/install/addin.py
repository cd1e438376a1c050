"""Build ``xlreport.xlam``: xlwings' own custom add-in template, relabelled and configured.

Nothing here writes VBA. The source is the file ``xlwings quickstart NAME --addin --ribbon``
copies (``quickstart_addin_ribbon.xlam`` inside the installed xlwings package), so the
add-in's VBA always matches the xlwings version of this environment. We change exactly three
zip members and copy every other member (``xl/vbaProject.bin`` above all) byte for byte:

* ``customUI/customUI.xml`` – the ribbon: tab ``绩效自评``, one button that calls the
  template's own macro ``RibbonMyAddin.RunMain``. That macro runs
  ``import <file name>; <file name>.main()``, so naming the file ``xlreport.xlam`` makes the
  button call ``xlreport.main()``.
* ``xl/workbook.xml`` – the template's config sheet ``_myaddin.conf`` is inactive until it
  loses its leading underscore. The VBA looks for ``PROJECT_NAME & ".conf"`` and
  ``PROJECT_NAME`` is the VBA constant ``"myaddin"``; changing it would mean editing the VBA,
  so the sheet becomes ``myaddin.conf`` (not ``xlreport.conf``, which the VBA would ignore).
* the config sheet's part – ``Interpreter_Win`` / ``Interpreter_Mac`` get the Python of this
  environment, and ``ADD_WORKBOOK_TO_PYTHONPATH`` is set to ``false`` so that a stray
  ``xlreport.py`` beside a user's workbook can never shadow the installed package.

Why a sheet inside the add-in and not the per-user file ``%USERPROFILE%\\.myaddin\\myaddin.conf``:
that file name is shared by every add-in made from the same template, and a sheet travels
with the .xlam, so the add-in works as soon as Excel loads it.
"""

from __future__ import annotations

import os
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from xlreport.adapters.files import atomic_target
from xlreport.core.failures import XlreportError

ADDIN_NAME = "xlreport.xlam"
TEMPLATE_NAME = "quickstart_addin_ribbon.xlam"
TEMPLATE_CONF_SHEET = "_myaddin.conf"
CONF_SHEET = "myaddin.conf"  # = PROJECT_NAME & ".conf" in the template's VBA

BUTTON_LABEL = "评分并生成报告"

# The ribbon as shipped in the add-in. macros/customUI.xml is the same text (a test checks).
RIBBON_XML = """\
<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
    <ribbon>
        <tabs>
            <tab id="xlreportTab" label="绩效自评">
                <group id="xlreportGroup" label="绩效自评">
                    <button id="xlreportScore" label="评分并生成报告" size="large"
                            onAction="RibbonMyAddin.RunMain" imageMso="MacroPlay"
                            screentip="评分并生成报告"
                            supertip="校验并评分当前打开的绩效自评工作簿：把得分和问题写回工作簿，并在工作簿所在文件夹生成“自评报告”Word文档。" />
                </group>
            </tab>
        </tabs>
    </ribbon>
</customUI>
"""

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


class AddinError(XlreportError):
    """The xlwings template is missing or not what we expect (code ``addin-template``)."""


@dataclass(frozen=True)
class AddinSettings:
    """What the add-in's config sheet says. Empty strings leave a key blank."""

    interpreter_win: str = ""
    interpreter_mac: str = ""
    pythonpath: str = ""
    add_workbook_to_pythonpath: bool = False

    def rows(self) -> dict[str, str]:
        """Config keys (as the template labels them) -> value; keys are matched case-blind by
        the VBA (``UCase``)."""
        return {
            "Interpreter_Win": self.interpreter_win,
            "Interpreter_Mac": self.interpreter_mac,
            "PYTHONPATH": self.pythonpath,
            "ADD_WORKBOOK_TO_PYTHONPATH": "true" if self.add_workbook_to_pythonpath else "false",
        }


def current_settings(interpreter: str | None = None, platform: str | None = None) -> AddinSettings:
    """The interpreter of this environment, for the platform we run on.

    On Windows only ``Interpreter_Win`` is filled, on macOS only ``Interpreter_Mac`` (an
    add-in copied to the other system then fails with xlwings' own "interpreter not found"
    instead of starting a wrong path). Elsewhere there is no Excel; both are filled so the
    result can be inspected.
    """
    exe = interpreter or sys.executable
    platform = platform or sys.platform
    if platform.startswith("win"):
        return AddinSettings(interpreter_win=exe)
    if platform == "darwin":
        return AddinSettings(interpreter_mac=exe)
    return AddinSettings(interpreter_win=exe, interpreter_mac=exe)


def template_path() -> Path:
    """The custom add-in template shipped by the installed xlwings package."""
    try:
        import xlwings
    except ImportError as exc:  # pragma: no cover - xlwings is a dependency
        raise AddinError.make("addin-template", variant="no-xlwings") from exc
    path = Path(xlwings.__file__).resolve().parent / TEMPLATE_NAME
    if not path.is_file():
        raise AddinError.make("addin-template", version=getattr(xlwings, "__version__", ""), name=TEMPLATE_NAME)
    return path


def xlwings_version() -> str:
    import xlwings

    return xlwings.__version__


# XML edits -----------------------------------------------------------------------------
def _parse(data: bytes):
    from lxml import (
        etree,  # the xlwings template: trusted, still parsed without entities
    )

    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _tostring(root) -> bytes:
    from lxml import etree

    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rename_conf_sheet(workbook_xml: bytes) -> tuple[bytes, str]:
    """Rename ``_myaddin.conf`` -> ``myaddin.conf``; return the new XML and the sheet's r:id."""
    root = _parse(workbook_xml)
    for sheet in root.iter(f"{{{_MAIN_NS}}}sheet"):
        if sheet.get("name") in (TEMPLATE_CONF_SHEET, CONF_SHEET):
            sheet.set("name", CONF_SHEET)
            return _tostring(root), sheet.get(f"{{{_REL_NS}}}id")
    raise AddinError.make("addin-template", variant="no-conf-sheet", sheet=TEMPLATE_CONF_SHEET)


def _sheet_part(rels_xml: bytes, rel_id: str) -> str:
    root = _parse(rels_xml)
    for rel in root.iter(f"{{{_PKG_REL_NS}}}Relationship"):
        if rel.get("Id") == rel_id:
            target = rel.get("Target").lstrip("/")
            return target if target.startswith("xl/") else f"xl/{target}"
    raise AddinError.make("addin-template", variant="no-rels")


def _shared_strings(data: bytes | None) -> list[str]:
    if not data:
        return []
    root = _parse(data)
    return ["".join(t.text or "" for t in si.iter(f"{{{_MAIN_NS}}}t")) for si in root.iter(f"{{{_MAIN_NS}}}si")]


def _cell_text(c, strings: list[str]) -> str | None:
    t = c.get("t")
    if t == "s":
        v = c.find(f"{{{_MAIN_NS}}}v")
        return strings[int(v.text)] if v is not None and v.text else None
    if t == "inlineStr":
        return "".join(x.text or "" for x in c.iter(f"{{{_MAIN_NS}}}t"))
    v = c.find(f"{{{_MAIN_NS}}}v")
    return v.text if v is not None else None


def _row_col(ref: str) -> tuple[int, str]:
    m = re.fullmatch(r"([A-Z]+)(\d+)", ref)
    if not m:
        raise AddinError.make("addin-template", variant="bad-cell", ref=ref)
    return int(m.group(2)), m.group(1)


def _fill_conf_sheet(sheet_xml: bytes, strings: list[str], values: dict[str, str]) -> bytes:
    """Put each value into column B of the row whose column A holds its key (case-blind);
    keys the template lacks are appended right below the last key (the VBA reads column A down
    to the first blank cell, so the block must stay contiguous)."""
    from lxml import etree

    ns = f"{{{_MAIN_NS}}}"
    root = _parse(sheet_xml)
    sheet_data = root.find(f"{ns}sheetData")
    rows = {int(r.get("r")): r for r in sheet_data.findall(f"{ns}row")}
    key_rows: dict[str, int] = {}
    for number, row in rows.items():
        for c in row.findall(f"{ns}c"):
            r, col = _row_col(c.get("r"))
            if col == "A":
                text = _cell_text(c, strings)
                if text:
                    key_rows[text.strip().upper()] = number
    last = 0
    while (last + 1) in rows and any(_row_col(c.get("r"))[1] == "A" and _cell_text(c, strings)
                                     for c in rows[last + 1].findall(f"{ns}c")):
        last += 1

    def inline(cell, text: str) -> None:
        for child in list(cell):
            cell.remove(child)
        for attr in ("t",):
            cell.attrib.pop(attr, None)
        if text == "":
            return
        cell.set("t", "inlineStr")
        is_ = etree.SubElement(cell, f"{ns}is")
        t = etree.SubElement(is_, f"{ns}t")
        t.text = text
        if text != text.strip():
            t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")

    def row_element(number: int):
        if number in rows:
            return rows[number]
        row = etree.Element(f"{ns}row", r=str(number))
        later = [n for n in rows if n > number]
        if later:
            rows[min(later)].addprevious(row)
        else:
            sheet_data.append(row)
        rows[number] = row
        return row

    def cell_element(row, ref: str):
        for c in row.findall(f"{ns}c"):
            if c.get("r") == ref:
                return c
        c = etree.SubElement(row, f"{ns}c", r=ref)
        cells = sorted(row.findall(f"{ns}c"), key=lambda e: (len(e.get("r")), e.get("r")))
        for e in cells:  # keep A before B
            row.remove(e)
            row.append(e)
        return c

    for key, value in values.items():
        number = key_rows.get(key.upper())
        if number is None:
            last += 1
            number = last
            if number in rows and any(c.get("r") == f"A{number}" and _cell_text(c, strings)
                                      for c in rows[number].findall(f"{ns}c")):
                raise AddinError.make("addin-template", variant="bad-conf")
            inline(cell_element(row_element(number), f"A{number}"), key)
            key_rows[key.upper()] = number
        row = row_element(number)
        row.attrib.pop("spans", None)
        inline(cell_element(row, f"B{number}"), value)
    dimension = root.find(f"{ns}dimension")
    if dimension is not None:
        dimension.set("ref", f"A1:B{max(rows)}")
    return _tostring(root)


# Building --------------------------------------------------------------------------------
def build_addin(out_dir: str | os.PathLike[str], settings: AddinSettings | None = None,
                template: str | os.PathLike[str] | None = None) -> Path:
    """Write ``xlreport.xlam`` into ``out_dir`` (atomically) and return its path."""
    settings = settings or current_settings()
    source = Path(template) if template else template_path()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ADDIN_NAME
    try:
        zin = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile) as exc:
        raise AddinError.make("addin-template", variant="unreadable", path=source, reason=exc) from exc
    with zin:
        names = zin.namelist()
        for required in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/vbaProject.bin",
                         "customUI/customUI.xml"):
            if required not in names:
                raise AddinError.make("addin-template", variant="missing-part", part=required)
        workbook_xml, rel_id = _rename_conf_sheet(zin.read("xl/workbook.xml"))
        sheet_part = _sheet_part(zin.read("xl/_rels/workbook.xml.rels"), rel_id)
        strings = _shared_strings(zin.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in names else None)
        replaced = {
            "customUI/customUI.xml": RIBBON_XML.encode("utf-8"),
            "xl/workbook.xml": workbook_xml,
            sheet_part: _fill_conf_sheet(zin.read(sheet_part), strings, settings.rows()),
        }
        with atomic_target(target) as tmp, zipfile.ZipFile(tmp, "w") as zout:
            for info in zin.infolist():
                data = replaced.get(info.filename)
                if data is None:
                    # Every other member, vbaProject.bin above all, byte for byte.
                    zout.writestr(info, zin.read(info.filename), compress_type=info.compress_type)
                else:
                    zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return target


def read_addin_config(path: str | os.PathLike[str]) -> dict[str, str]:
    """The config sheet of a built add-in as {KEY (upper case): value} – for tests and
    `xlreport excel addin` output."""
    with zipfile.ZipFile(path) as z:
        root = _parse(z.read("xl/workbook.xml"))
        rel_id = None
        for sheet in root.iter(f"{{{_MAIN_NS}}}sheet"):
            if sheet.get("name") == CONF_SHEET:
                rel_id = sheet.get(f"{{{_REL_NS}}}id")
        if rel_id is None:
            return {}
        part = _sheet_part(z.read("xl/_rels/workbook.xml.rels"), rel_id)
        strings = _shared_strings(z.read("xl/sharedStrings.xml") if "xl/sharedStrings.xml" in z.namelist() else None)
        sheet = _parse(z.read(part))
    ns = f"{{{_MAIN_NS}}}"
    config: dict[str, str] = {}
    for row in sheet.iter(f"{ns}row"):
        cells = {_row_col(c.get("r"))[1]: _cell_text(c, strings) for c in row.findall(f"{ns}c")}
        if cells.get("A"):
            value = cells.get("B")
            if value in ("0", "1") and any(c.get("t") == "b" for c in row.findall(f"{ns}c")
                                           if _row_col(c.get("r"))[1] == "B"):
                value = "TRUE" if value == "1" else "FALSE"
            config[cells["A"].strip().upper()] = value or ""
    return config
