"""Render report.docx quickly: docxtpl's template syntax, without its per-call costs.

docxtpl re-patches and re-compiles the whole Word template on every render and rewrites
every part through python-docx; for one report that is most of the time a click in Excel
waits. Here the template is patched once (by docxtpl itself, so the syntax is exactly
docxtpl's), compiled once (Jinja's bytecode cache keeps it across processes), rendered,
post-processed with lxml, and the other parts of the .docx are copied unchanged.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sys
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import BaseLoader, BytecodeCache, Environment, FileSystemBytecodeCache, TemplateNotFound

DOCUMENT_PART = "word/document.xml"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
PATCH_VERSION = "1"  # bump when the way we patch templates changes


def cache_dir() -> Path | None:
    """Where compiled templates are kept between runs (None: do not keep them)."""
    configured = os.environ.get("XLREPORT_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "xlreport"


class _QuietCache(BytecodeCache):
    """A bytecode cache on disk that never turns a read-only home folder into an error."""

    def __init__(self, directory: Path) -> None:
        self._inner: FileSystemBytecodeCache | None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._inner = FileSystemBytecodeCache(str(directory), "jinja-%s.cache")
        except OSError:
            self._inner = None

    def load_bytecode(self, bucket) -> None:
        if self._inner is not None:
            try:
                self._inner.load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - a damaged cache file only costs a recompile
                bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        if self._inner is not None:
            try:
                self._inner.dump_bytecode(bucket)
            except OSError:
                pass


def bytecode_cache() -> BytecodeCache | None:
    directory = cache_dir()
    return _QuietCache(directory) if directory is not None else None


class _PatchedLoader(BaseLoader):
    """Serves the patched XML of a .docx template, named by the template's content hash."""

    def __init__(self) -> None:
        self.sources: dict[str, str] = {}

    def get_source(self, environment, template):
        if template not in self.sources:
            raise TemplateNotFound(template)
        return self.sources[template], None, lambda: True


@lru_cache(maxsize=1)
def _environment() -> tuple[Environment, _PatchedLoader]:
    loader = _PatchedLoader()
    # docxtpl renders with a plain Environment and autoescape on; so do we.
    env = Environment(loader=loader, autoescape=True, bytecode_cache=bytecode_cache())
    return env, loader


_TEMPLATED_PARTS = re.compile(r"^word/(document|header\d*|footer\d*|footnotes)\.xml$")


@lru_cache(maxsize=8)
def _template_parts(path: str, mtime: float, size: int) -> tuple[dict[str, bytes], dict[str, tuple[str, str]]]:
    """The .docx members, and for each part holding template tags (the body; headers and
    footers of an office's own template): (template name, patched XML)."""
    data = Path(path).read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    templated: dict[str, tuple[str, str]] = {}
    for part, raw in members.items():
        if not _TEMPLATED_PARTS.match(part):
            continue
        xml = raw.decode("utf-8")
        if part != DOCUMENT_PART and "{{" not in xml and "{%" not in xml:
            continue
        digest = hashlib.sha256(raw + PATCH_VERSION.encode()).hexdigest()[:32]
        templated[part] = (digest, _cached_patch(digest, xml))
    return members, templated


def _cached_patch(digest: str, xml: str) -> str:
    directory = cache_dir()
    cached = directory / f"docx-{digest}.xml" if directory else None
    if cached is not None:
        try:
            return cached.read_text(encoding="utf-8")
        except OSError:
            pass
    from docxtpl import DocxTemplate

    patched = DocxTemplate.patch_xml(DocxTemplate.__new__(DocxTemplate), xml)
    if cached is not None:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(patched, encoding="utf-8")
            os.replace(tmp, cached)
        except OSError:
            pass
    return patched


def _render_part(name: str, patched: str, context: dict[str, Any]) -> str:
    env, loader = _environment()
    loader.sources.setdefault(name, patched)
    xml = env.get_template(name).render(context)
    # docxtpl escapes literal braces this way in templates; undo it as docxtpl does.
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    content = xml.partition("?>")[2].lstrip() if xml.startswith("<?xml") else xml
    if any(ch in content for ch in "\t\a\n\f"):
        from docxtpl import DocxTemplate  # tabs, line and page breaks in values: docxtpl's rules

        xml = DocxTemplate.resolve_listing(DocxTemplate.__new__(DocxTemplate), xml)
    return xml


def render_document_xml(template_path: Path, context: dict[str, Any]) -> tuple[bytes, dict[str, bytes]]:
    """The rendered document part (bytes) and the other members, headers and footers rendered."""
    stat = template_path.stat()
    members, templated = _template_parts(str(template_path), stat.st_mtime, stat.st_size)
    members = dict(members)
    document = b""
    for part, (name, patched) in templated.items():
        rendered = _render_part(name, patched, context).encode("utf-8")
        if part == DOCUMENT_PART:
            document = rendered
        else:
            members[part] = rendered
    return document, members


def write_docx(members: dict[str, bytes], document: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, document if name == DOCUMENT_PART else data)
    return buffer.getvalue()
