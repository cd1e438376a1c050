"""The Word template, patched once by docxtpl and then rendered from the patched XML.

docxtpl turns a Word document into a Jinja2 template by cleaning Word's run splits around the
tags (``DocxTemplate.patch_xml``); the result depends only on the template and the docxtpl
version. So it is computed once, through docxtpl's public API on a normally constructed
``DocxTemplate``, and kept (in memory and, as compiled Jinja bytecode, in the cache folder).
Each report is then one Jinja render per templated part, followed by the post-processing
docxtpl's own ``render_xml_part`` applies (literal-brace unescaping; ``resolve_listing`` for
tabs and line breaks inside values, delegated to docxtpl when a value holds one). docxtpl is
imported only when a template is patched for the first time or a value needs a listing: a
report does not pay for loading python-docx. The version range is pinned in pyproject.toml.
``{%tc %}`` column loops are not used by the report template and not supported here.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, Environment, TemplateNotFound

from xlreport.adapters.files import write_bytes_atomic
from xlreport.wording.cache import bytecode_cache, cache_dir

DOCUMENT_PART = "word/document.xml"
_TEMPLATED = re.compile(r"^word/(document|header\d*|footer\d*)\.xml$")
PREPARE_VERSION = "2"  # bump when what is cached changes


@dataclass(frozen=True)
class Prepared:
    key: str  # template content + docxtpl version
    members: dict[str, bytes]  # every part of the .docx as stored
    patched: dict[str, str]  # part name -> Jinja source (docxtpl-patched XML)


def docxtpl_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("docxtpl")
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return "unknown"


def _patch(data: bytes, members: dict[str, bytes]) -> dict[str, str]:
    """docxtpl's own cleaning, on a DocxTemplate built the documented way."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(io.BytesIO(data))
    out = {}
    for part, raw in members.items():
        if not _TEMPLATED.match(part):
            continue
        xml = raw.decode("utf-8")
        if part != DOCUMENT_PART and "{{" not in xml and "{%" not in xml:
            continue
        out[part] = tpl.patch_xml(xml)
    return out


@lru_cache(maxsize=4)
def prepare(path: str, mtime: float, size: int) -> Prepared:
    data = Path(path).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    key = hashlib.sha256(data + f"|{docxtpl_version()}|{PREPARE_VERSION}".encode()).hexdigest()[:32]
    folder = cache_dir()
    stored = folder / f"docx-{key}.json" if folder is not None else None
    patched = None
    if stored is not None:
        try:
            patched = json.loads(stored.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            patched = None
    if not isinstance(patched, dict):
        patched = _patch(data, members)
        if stored is not None:
            try:
                write_bytes_atomic(stored, json.dumps(patched, ensure_ascii=False).encode("utf-8"))
            except OSError:
                pass  # no cache folder: patch again next time
    return Prepared(key, members, patched)


class _Loader(BaseLoader):
    """Serves patched parts by name ('<key>/<part>'), so Jinja's bytecode cache applies."""

    def __init__(self) -> None:
        self.sources: dict[str, str] = {}

    def get_source(self, environment, template):
        if template not in self.sources:
            raise TemplateNotFound(template)
        return self.sources[template], None, lambda: True


@lru_cache(maxsize=1)
def _environment() -> tuple[Environment, _Loader]:
    loader = _Loader()
    # docxtpl renders with a plain Environment; autoescape on, so user text cannot break the XML
    return Environment(loader=loader, autoescape=True, bytecode_cache=bytecode_cache()), loader


def render_part(prepared: Prepared, part: str, context: dict[str, Any]) -> str:
    env, loader = _environment()
    name = f"{prepared.key}/{part}"
    loader.sources.setdefault(name, prepared.patched[part])
    xml = env.get_template(name).render(context)
    # as docxtpl's render_xml_part: braces the template escaped to print literally
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    content = (xml.partition("?>")[2] if xml.startswith("<?xml") else xml).lstrip()
    if any(ch in content for ch in "\t\a\n\f"):
        from docxtpl import (
            DocxTemplate,  # tabs, line and page breaks inside values: docxtpl's rules
        )

        xml = DocxTemplate(io.BytesIO(prepared.members.get("[Content_Types].xml", b""))).resolve_listing(xml)
    return xml


def write_docx(prepared: Prepared, parts: dict[str, bytes]) -> bytes:
    """The .docx: the template's members, the rendered ones replaced."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in prepared.members.items():
            zf.writestr(name, parts.get(name, data))
    return buffer.getvalue()


__all__ = ["Prepared", "prepare", "render_part", "write_docx"]
