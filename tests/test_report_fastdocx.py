"""The fast renderer produces what docxtpl itself would, from the same Word template."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from xlreport.pipeline import build_file
from xlreport.report.fastdocx import DOCUMENT_PART
from xlreport.report.render import (
    W,
    keep_total_rows_with_table,
    merge_marked_cells,
    render_blocks,
    render_docx,
)
from xlreport.report.templating import docx_template_path

SAMPLES = sorted((Path(__file__).parents[1] / "samples").glob("*.xlsx"))


@pytest.fixture(autouse=True)
def fresh_caches():
    """The renderer keeps compiled templates per process; start each test without them."""
    from xlreport.report import fastdocx, templating

    for cached in (fastdocx._environment, fastdocx._template_parts, templating._environment):
        cached.cache_clear()
    yield
    for cached in (fastdocx._environment, fastdocx._template_parts, templating._environment):
        cached.cache_clear()


def _shape(body) -> list[tuple[str, str]]:
    return [(el.tag, (el.text or "") if el.tag == f"{W}t" else "") for el in body.iter()
            if isinstance(el.tag, str)]


@pytest.mark.parametrize("sample", SAMPLES[:2], ids=[s.stem for s in SAMPLES[:2]])
def test_fast_render_equals_docxtpl(sample, tmp_path, monkeypatch):
    from docxtpl import DocxTemplate

    monkeypatch.setenv("XLREPORT_CACHE_DIR", str(tmp_path / "cache"))
    evaluation = build_file(sample, write=False).evaluation
    context, blocks = render_blocks(evaluation)
    reference = DocxTemplate(str(docx_template_path()))
    reference.render({**context, "blocks": blocks}, autoescape=True)
    ref_body = reference.docx.element.body
    merge_marked_cells(ref_body)
    keep_total_rows_with_table(ref_body)

    for _ in range(2):  # cold cache, then warm cache
        with zipfile.ZipFile(io.BytesIO(render_docx(evaluation))) as zf:
            body = etree.fromstring(zf.read(DOCUMENT_PART)).find(f"{W}body")
        assert _shape(body) == _shape(ref_body)
    assert any((tmp_path / "cache").iterdir())


def test_unwritable_cache_folder_is_harmless(tmp_path, monkeypatch):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    monkeypatch.setenv("XLREPORT_CACHE_DIR", str(blocked / "cache"))
    evaluation = build_file(SAMPLES[0], write=False).evaluation
    assert render_docx(evaluation)[:2] == b"PK"


def test_an_office_template_may_use_tags_in_its_footer(tmp_path, monkeypatch):
    monkeypatch.setenv("XLREPORT_CACHE_DIR", str(tmp_path / "cache"))
    templates = tmp_path / "office"
    templates.mkdir()
    source = docx_template_path()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(templates / source.name, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/footer1.xml":
                data = data.replace(b"</w:ftr>", b"<w:p><w:r><w:t>{{ report_type }}</w:t></w:r></w:p></w:ftr>")
            zout.writestr(item, data)
    evaluation = build_file(SAMPLES[0], write=False).evaluation
    with zipfile.ZipFile(io.BytesIO(render_docx(evaluation, templates))) as zf:
        footer = zf.read("word/footer1.xml").decode("utf-8")
    assert "{{" not in footer and evaluation.info.report_type in footer
