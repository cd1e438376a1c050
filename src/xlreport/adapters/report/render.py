"""Render the report: Evaluation -> outline (blocks) -> report.docx filled as docxtpl does -> finish -> file.

The one path: :mod:`.outline` decides the sections and takes every sentence from the wording
layer; ``templates/report.docx`` (a Word document an office can open and restyle) is patched
once by docxtpl's public API and rendered with Jinja2 (:mod:`.docx_template`);
:mod:`.layout` adds what a template cannot say per row
(fitted widths, merged labels, keep-together); the parts are zipped back unchanged otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from xlreport.adapters.files import atomic_target
from xlreport.adapters.report.outline import Outline, build_outline
from xlreport.core.failures import XlreportError
from xlreport.core.model import Evaluation
from xlreport.core.problems import Problem, problem
from xlreport.wording import WordingError, wording

DEFAULT_TEMPLATE = Path(__file__).parent / "templates" / "report.docx"
DOCX_TEMPLATE = "report.docx"


class ReportError(XlreportError):
    """The report could not be written (a broken override template, an unwritable folder)."""


def docx_template_path(templates_dir: str | Path | None = None) -> Path:
    """An office's own report.docx in its --templates folder, else the package's."""
    if templates_dir:
        candidate = Path(templates_dir) / DOCX_TEMPLATE
        if candidate.is_file():
            return candidate
    return DEFAULT_TEMPLATE


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
    """Paragraph segments as {text, todo}: the template prints a placeholder in its 待填写 style."""
    out = []
    for b in blocks:
        if b["kind"] == "p":
            b = {**b, "segments": [{"text": text, "todo": todo} for text, todo in b["segments"]]}
        out.append(b)
    return out


def render_docx(evaluation: Evaluation, templates_dir: str | Path | None = None,
                today: date | None = None) -> bytes:
    """The report as .docx bytes."""
    from lxml import etree

    from xlreport.adapters.report.docx_template import (
        DOCUMENT_PART,
        prepare,
        render_part,
        write_docx,
    )
    from xlreport.adapters.report.layout import W, finish, set_core_properties

    path = docx_template_path(templates_dir)
    try:
        outline = outline_for(evaluation, templates_dir, today)
        stat = path.stat()
        prepared = prepare(str(path), stat.st_mtime, stat.st_size)
        context = {"blocks": _template_blocks(outline.blocks)}
        parts = {part: render_part(prepared, part, context) for part in prepared.patched}
        root = etree.fromstring(parts[DOCUMENT_PART].encode("utf-8"))
        finish(root.find(W + "body"), outline.blocks)
        parts = {k: v.encode("utf-8") for k, v in parts.items()}
        parts[DOCUMENT_PART] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    except WordingError as exc:
        raise ReportError(exc.code, exc.message) from exc
    except (TemplateError, ValueError, KeyError, IndexError, OSError, zipfile.BadZipFile,
            etree.XMLSyntaxError) as exc:
        where = f"（模板文件夹：{templates_dir}）" if templates_dir else ""
        raise ReportError.make("report-template-invalid", where=where, reason=exc) from exc
    info = evaluation.info
    core = prepared.members.get("docProps/core.xml")
    if core is not None:
        title = "".join(b["text"] for b in outline.blocks if b["kind"] == "title")
        parts["docProps/core.xml"] = set_core_properties(core, title=title, author=info.unit or info.department or "",
                                                         when=datetime.now(UTC).replace(microsecond=0))
    return write_docx(prepared, parts)


def write_report(evaluation: Evaluation, path: Path, templates_dir: str | Path | None = None,
                 today: date | None = None) -> Path:
    """Write the narrative report atomically (temporary file beside it, then os.replace)."""
    path = Path(path)
    data = render_docx(evaluation, templates_dir, today)
    try:
        with atomic_target(path, suffix=".docx.tmp") as tmp:
            tmp.write_bytes(data)
    except OSError as exc:
        raise ReportError.make("report-write-failed", path=path, reason=exc.strerror or exc) from exc
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
        with atomic_target(target) as tmp:  # the temporary folder may be on another file system
            shutil.copyfile(produced, tmp)
    return target, None
