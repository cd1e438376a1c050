"""Validate a .docx's WordprocessingML parts against the ECMA-376 transitional schemas.

Word may silently drop properties that are out of schema order (table borders included), and
LibreOffice forgives them, so order is checked here rather than by eye. Markup-compatibility
content (``mc:Ignorable`` namespaces, as Word writes w14/w15 extensions) is removed first, as a
consumer that does not understand those namespaces would do (ECMA-376 Part 3).
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache
from pathlib import Path

from lxml import etree

SCHEMA = Path(__file__).parent / "schemas" / "ecma-376" / "wordprocessingml.xsd"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
PARTS = ("word/document.xml", "word/styles.xml", "word/settings.xml", "word/fontTable.xml")


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def _strip_ignorable(root) -> None:
    ignorable = set()
    for el in root.iter():
        value = el.get(f"{{{MC}}}Ignorable")
        if value:
            ignorable |= {el.nsmap.get(prefix) for prefix in value.split()}
            del el.attrib[f"{{{MC}}}Ignorable"]
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).namespace in ignorable and el.getparent() is not None:
            el.getparent().remove(el)
            continue
        for name in list(el.attrib):
            if etree.QName(name).namespace in ignorable:
                del el.attrib[name]


def validate_docx(data: bytes | Path) -> list[str]:
    """Schema errors of the WordprocessingML parts (empty when valid)."""
    raw = data.read_bytes() if isinstance(data, Path) else data
    errors = []
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = [n for n in z.namelist() if n in PARTS or n.startswith(("word/footer", "word/header"))]
        for name in names:
            root = etree.fromstring(z.read(name))
            _strip_ignorable(root)
            if not schema().validate(root):
                errors += [f"{name}:{e.line}: {e.message}" for e in schema().error_log]
    return errors
