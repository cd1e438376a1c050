"""Render the report: outline (Jinja2 text) -> blocks -> report.docx (docxtpl) -> file."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from ..failures import XlreportError
from ..files import atomic_target
from ..model import Evaluation
from .context import MERGE_MARK, report_context
from .templating import (
    docx_template_path,
    outline_name,
    parse_outline,
    text_environment,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class ReportError(XlreportError):
    """The report could not be written (a broken override template, an unwritable folder)."""


def render_blocks(evaluation: Evaluation, templates_dir: str | Path | None = None
                  ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    context = report_context(evaluation, templates_dir)
    env = text_environment(templates_dir)
    text = env.get_template(outline_name(context["report_type"])).render(context)
    return context, parse_outline(text, context)


def render_docx(evaluation: Evaluation, templates_dir: str | Path | None = None) -> bytes:
    """The report as .docx bytes (the Word template's syntax is docxtpl's; see fastdocx)."""
    from lxml import etree

    from .fastdocx import render_document_xml, write_docx

    try:
        context, blocks = render_blocks(evaluation, templates_dir)
        document, members = render_document_xml(docx_template_path(templates_dir), {**context, "blocks": blocks})
        root = etree.fromstring(document)
    except (TemplateError, ValueError, KeyError, IndexError, etree.XMLSyntaxError, zipfile.BadZipFile) as exc:
        where = f"（模板文件夹：{templates_dir}）" if templates_dir else ""
        raise ReportError("report-template-invalid",
                          f"自评报告模板有误{where}：{exc}。请检查自定义模板，或去掉 --templates 使用默认模板。") from exc
    body = root.find(f"{W}body")
    merge_marked_cells(body)
    keep_total_rows_with_table(body)
    return write_docx(members, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def merge_marked_cells(body) -> None:
    """Vertically merge every table cell holding only MERGE_MARK into the cell above it."""
    for tbl in body.iter(f"{W}tbl"):
        above: dict[int, Any] = {}  # grid column -> the cell in the previous row
        for tr in tbl.findall(f"{W}tr"):
            current: dict[int, Any] = {}
            col = 0
            for tc in tr.findall(f"{W}tc"):
                span_el = tc.find(f"{W}tcPr/{W}gridSpan")
                span = int(span_el.get(f"{W}val")) if span_el is not None else 1
                text = "".join(t.text or "" for t in tc.iter(f"{W}t"))
                if text == MERGE_MARK and col in above:
                    for t in tc.iter(f"{W}t"):
                        t.text = ""
                    _set_vmerge(tc, "continue")
                    top = above[col]
                    if top.find(f"{W}tcPr/{W}vMerge") is None:
                        _set_vmerge(top, "restart")
                current[col] = tc
                col += span
            above = current


def keep_total_rows_with_table(body) -> None:
    """A 合计/总分 row never starts a page alone: the row above keeps with it."""
    from lxml import etree

    for tbl in body.iter(f"{W}tbl"):
        rows = tbl.findall(f"{W}tr")
        if len(rows) < 3:
            continue
        first = "".join(t.text or "" for t in rows[-1].iter(f"{W}t"))
        if not first.startswith(("合计", "总分")):
            continue
        for p in rows[-2].iter(f"{W}p"):
            ppr = p.find(f"{W}pPr")
            if ppr is None:
                ppr = etree.Element(f"{W}pPr")
                p.insert(0, ppr)
            if ppr.find(f"{W}keepNext") is None:
                keep = etree.Element(f"{W}keepNext")
                style = ppr.find(f"{W}pStyle")
                if style is not None:
                    style.addnext(keep)
                else:
                    ppr.insert(0, keep)


def _set_vmerge(tc, value: str) -> None:
    from lxml import etree

    tc_pr = tc.find(f"{W}tcPr")
    if tc_pr is None:
        tc_pr = etree.Element(f"{W}tcPr")
        tc.insert(0, tc_pr)
    for old in tc_pr.findall(f"{W}vMerge"):
        tc_pr.remove(old)
    el = etree.Element(f"{W}vMerge")
    if value == "restart":
        el.set(f"{W}val", "restart")
    # tcPr children have a fixed order: tcW, gridSpan, vMerge, ...
    anchor = None
    for name in ("gridSpan", "tcW", "cnfStyle"):
        anchor = tc_pr.find(f"{W}{name}")
        if anchor is not None:
            break
    if anchor is not None:
        anchor.addnext(el)
    else:
        tc_pr.insert(0, el)


def write_report(evaluation: Evaluation, path: Path, templates_dir: str | Path | None = None) -> Path:
    """Write the narrative report atomically (temporary file beside it, then os.replace)."""
    path = Path(path)
    data = render_docx(evaluation, templates_dir)
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
