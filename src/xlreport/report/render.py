"""Render the report: Evaluation -> outline (blocks) -> report.docx filled by docxtpl -> finish -> file.

The one path: :mod:`.outline` decides the sections and takes every sentence from the wording
layer; ``templates/report.docx`` (a Word document an office can open and restyle) renders the
blocks through docxtpl's public API; :mod:`.layout` adds what a template cannot say per row
(fitted widths, merged labels, keep-together); python-docx saves it.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from jinja2 import Environment, Template, TemplateError

from ..failures import XlreportError
from ..files import atomic_target
from ..model import Evaluation
from ..problems import Problem, problem
from ..wording import WordingError, wording
from .outline import Outline, build_outline

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "report.docx"
DOCX_TEMPLATE = "report.docx"


class ReportError(XlreportError):
    """The report could not be written (a broken override template, an unwritable folder)."""


class _CompileOnce(Environment):
    """docxtpl hands its patched document XML to ``from_string`` on every render; the XML of one
    template never changes, so compile it once per process (docxtpl's public ``jinja_env`` hook)."""

    def __init__(self) -> None:
        super().__init__(autoescape=True)
        self._compiled: dict[str, Template] = {}

    def from_string(self, source, globals=None, template_class=None):
        key = hashlib.sha1(source.encode("utf-8")).hexdigest()
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = super().from_string(source, globals, template_class)
            if len(self._compiled) > 32:
                self._compiled.pop(next(iter(self._compiled)))
        return found


@lru_cache(maxsize=1)
def _environment() -> _CompileOnce:
    return _CompileOnce()


@lru_cache(maxsize=1)
def _template_class():
    """DocxTemplate, with its two per-render text passes made cheap through its public methods:
    ``patch_xml`` (cleaning Word's run splits out of the template) depends only on the template,
    so its result is kept; ``resolve_listing`` (tabs and line breaks inside values) has nothing
    to do when no value holds one. Rendering itself is docxtpl's own ``render``."""
    from docxtpl import DocxTemplate

    class ReportTemplate(DocxTemplate):
        _patched: ClassVar[dict[str, str]] = {}

        def patch_xml(self, src_xml):
            key = hashlib.sha1(src_xml.encode("utf-8")).hexdigest()
            found = self._patched.get(key)
            if found is None:
                found = super().patch_xml(src_xml)
                if len(self._patched) > 32:
                    self._patched.clear()
                self._patched[key] = found
            return found

        def resolve_listing(self, xml):
            content = xml.partition("?>")[2] if xml.startswith("<?xml") else xml
            if not any(ch in content for ch in "\t\a\n\f"):
                return xml
            return super().resolve_listing(xml)

    return ReportTemplate


def docx_template_path(templates_dir: str | Path | None = None) -> Path:
    """An office's own report.docx in its --templates folder, else the package's."""
    if templates_dir:
        candidate = Path(templates_dir) / DOCX_TEMPLATE
        if candidate.is_file():
            return candidate
    return DEFAULT_TEMPLATE


@lru_cache(maxsize=4)
def _template_bytes(path: str, mtime: float, size: int) -> bytes:
    return Path(path).read_bytes()


_last_outline: list[tuple[Evaluation, Any, date, Outline]] = []


def outline_for(evaluation: Evaluation, templates_dir: str | Path | None = None,
                today: date | None = None) -> Outline:
    """The outline of one evaluation; a build asks twice (校验结果's 提示, then the report),
    so the last one is kept (with the evaluation it belongs to, compared by identity)."""
    today = today or date.today()
    key = str(templates_dir) if templates_dir else None
    for ev, k, day, outline in _last_outline:
        if ev is evaluation and k == key and day == today:
            return outline
    outline = build_outline(evaluation, wording(templates_dir), today)
    _last_outline[:] = [(evaluation, key, today, outline)]
    return outline


def placeholder_problems(evaluation: Evaluation, templates_dir: str | Path | None = None) -> list[Problem]:
    """校验结果 提示 for every “（待填写：…）” the report will show, at the cell to fill when known."""
    out = []
    seen = set()
    for ph in outline_for(evaluation, templates_dir).placeholders:
        key = (ph.section, ph.what, ph.ref)
        if key in seen:
            continue
        seen.add(key)
        ref = ph.ref
        out.append(problem("report-placeholder", ref.sheet if ref else None, ref.a1 if ref else None,
                           section=ph.section, what=ph.what))
    return out


def _template_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Paragraph segments as docxtpl RichText: placeholders in the template's 待填写 character style."""
    from docxtpl import RichText

    out = []
    for b in blocks:
        if b["kind"] == "p":
            rich = RichText()
            for text, todo in b["segments"]:
                if todo:
                    rich.add(text, style="Placeholder")
                else:
                    rich.add(text)
            b = {**b, "rich": rich}
        out.append(b)
    return out


def render_docx(evaluation: Evaluation, templates_dir: str | Path | None = None,
                today: date | None = None) -> bytes:
    """The report as .docx bytes."""
    from .layout import finish

    path = docx_template_path(templates_dir)
    try:
        outline = outline_for(evaluation, templates_dir, today)
        stat = path.stat()
        tpl = _template_class()(io.BytesIO(_template_bytes(str(path), stat.st_mtime, stat.st_size)))
        blocks = _template_blocks(outline.blocks)
        tpl.render({"blocks": blocks}, jinja_env=_environment(), autoescape=True)
        finish(tpl.docx.element.body, outline.blocks)
    except WordingError as exc:
        raise ReportError(exc.code, exc.message) from exc
    except (TemplateError, ValueError, KeyError, IndexError, OSError) as exc:
        where = f"（模板文件夹：{templates_dir}）" if templates_dir else ""
        raise ReportError("report-template-invalid",
                          f"自评报告模板有误{where}：{exc}。请检查自定义模板，或去掉 --templates 使用默认模板。") from exc
    info = evaluation.info
    props = tpl.docx.core_properties
    now = datetime.now().replace(microsecond=0)
    props.title = "".join(b["text"] for b in outline.blocks if b["kind"] == "title")
    props.author = props.last_modified_by = info.unit or info.department or ""
    props.created = props.modified = now
    props.revision = 1
    props.comments = ""
    props.language = "zh-CN"
    buffer = io.BytesIO()
    tpl.save(buffer)
    return buffer.getvalue()


def write_report(evaluation: Evaluation, path: Path, templates_dir: str | Path | None = None,
                 today: date | None = None) -> Path:
    """Write the narrative report atomically (temporary file beside it, then os.replace)."""
    path = Path(path)
    data = render_docx(evaluation, templates_dir, today)
    try:
        with atomic_target(path, suffix=".docx.tmp") as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise ReportError("report-write-failed",
                          f"无法写入自评报告“{path}”：{exc.strerror or exc}。请关闭在Word/WPS中打开的该文件，"
                          f"或检查文件夹写入权限。") from exc
    return path


def find_soffice() -> str | None:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (r"C:\Program Files\LibreOffice\program\soffice.exe",
                      "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if Path(candidate).is_file():
            return candidate
    return None


def convert_to_pdf(docx: Path, timeout: float = 120) -> tuple[Path | None, str | None]:
    """Convert with LibreOffice (soffice --headless). Returns (pdf, None) or (None, notice)."""
    docx = Path(docx)
    soffice = find_soffice()
    if soffice is None:
        return None, ("未安装LibreOffice，未生成PDF。自评报告（.docx）已生成，可在Word或WPS中“另存为PDF”；"
                      "如需自动生成PDF，请安装LibreOffice。")
    target = docx.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="xlreport-pdf-") as work:
        profile = Path(work, "profile").as_uri()
        out_dir = Path(work, "out")
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return None, f"LibreOffice转换PDF超时（超过{int(timeout)}秒），未生成PDF。自评报告（.docx）已生成。"
        except OSError as exc:
            return None, f"无法启动LibreOffice（{exc}），未生成PDF。自评报告（.docx）已生成。"
        produced = out_dir / (docx.stem + ".pdf")
        if not produced.is_file():
            return None, "LibreOffice未能转换该报告，未生成PDF。自评报告（.docx）已生成，可在Word或WPS中另存为PDF。"
        os.replace(produced, target) if _same_fs(produced, target) else shutil.move(str(produced), target)
    return target, None


def _same_fs(a: Path, b: Path) -> bool:
    try:
        return os.stat(a.parent).st_dev == os.stat(b.parent).st_dev
    except OSError:
        return False
