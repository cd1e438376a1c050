"""Generate ``templates/report.docx``, the style template of the narrative report.

Run ``uv run python -m xlreport.report.make_docx_template`` after changing this file and
commit the regenerated .docx (it is package data). A central office may instead open the
.docx in Word, change styles, margins or table formatting, and pass the folder holding its
copy with ``--templates DIR``; the Jinja2 tags (``{{ b.text }}``, ``{%p … %}``, ``{%tr … %}``)
must stay, each inside one run.

Layout (GB/T 9704-2012): A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm;
title 方正小标宋简体 二号 (Word falls back to 黑体 through the font table's altName); body
仿宋_GB2312 三号 at a fixed 28 pt line pitch with a two-character first-line indent;
headings 一、 黑体, （一） 楷体_GB2312, 1. 仿宋_GB2312; page numbers “—1—” centred, 4号宋体.
East Asian fonts are written as ``w:eastAsia`` on the styles *and* on every run, with the
theme font attributes removed, so Word and WPS use them.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import (
    WD_CELL_VERTICAL_ALIGNMENT,
    WD_ROW_HEIGHT_RULE,
    WD_TABLE_ALIGNMENT,
)
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

OUT = Path(__file__).parent / "templates" / "report.docx"

TITLE_FONT = "方正小标宋简体"
HEI = "黑体"
KAI = "楷体_GB2312"
FANG = "仿宋_GB2312"
SONG = "宋体"
LATIN = "Times New Roman"
# Font -> what Word/WPS use when it is missing (font table altName).
ALT_NAMES = {TITLE_FONT: HEI, FANG: "仿宋", KAI: "楷体"}

SAN_HAO = Pt(16)  # 三号
ER_HAO = Pt(22)  # 二号
SI_HAO = Pt(14)  # 四号
XIAO_SI = Pt(12)  # 小四
WU_HAO = Pt(10.5)  # 五号
LINE = Pt(28)  # fixed line pitch of the body
NO_SPACE = Pt(0)
MARK = "\u200b"  # table cells holding only this are merged into the cell above


# Fonts ---------------------------------------------------------------------------------
def set_run_fonts(rpr, east: str, latin: str = LATIN) -> None:
    """Explicit fonts on an rPr: ascii/hAnsi/cs Latin, eastAsia Chinese, no theme fonts."""
    for old in rpr.findall(qn("w:rFonts")):
        rpr.remove(old)
    fonts = OxmlElement("w:rFonts")
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")
    rpr.insert(0, fonts)


def font_run(run, east: str, size: Pt | None = None, bold: bool | None = False, latin: str | None = None,
             color: RGBColor | None = None, highlight: bool = False) -> None:
    latin = latin or latin_for(east)
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    rpr = run._r.get_or_add_rPr()
    set_run_fonts(rpr, east, latin)
    if highlight:
        hl = OxmlElement("w:highlight")
        hl.set(qn("w:val"), "yellow")
        rpr.append(hl)


def latin_for(east: str) -> str:
    """Digits and Latin letters in titles and headings use the heading face itself;
    body text keeps Times New Roman for them, as official documents do."""
    return east if east in (TITLE_FONT, HEI, KAI) else LATIN


def style_fonts(style, east: str, size: Pt, bold: bool = False, latin: str | None = None) -> None:
    latin = latin or latin_for(east)
    rpr = style.element.get_or_add_rPr()
    for child in list(rpr):
        rpr.remove(child)
    style.font.size = size
    style.font.bold = bold
    style.font.italic = False
    style.font.color.rgb = RGBColor(0, 0, 0)
    set_run_fonts(rpr, east, latin)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)


def first_line_chars(paragraph_format, chars: int = 2, size: Pt = SAN_HAO) -> None:
    """First-line indent in characters (w:firstLineChars) with a point fallback."""
    paragraph_format.first_line_indent = Pt(size.pt * chars)
    el = paragraph_format._element
    ppr = el if el.tag == qn("w:pPr") else el.find(qn("w:pPr"))
    ind = ppr.find(qn("w:ind"))
    ind.set(qn("w:firstLineChars"), str(chars * 100))


# Styles --------------------------------------------------------------------------------
def para_style(doc, name: str, east: str, size: Pt, *, base: str | None = "Normal", bold: bool = False,
               align=None, line: Pt | None = LINE, indent: bool = False, before: Pt = NO_SPACE,
               after: Pt = NO_SPACE, keep_next: bool = False, outline: int | None = None,
               page_break: bool = False):
    styles = doc.styles
    try:
        style = styles[name]
    except KeyError:
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    if base is not None and style.name != base:
        style.base_style = styles[base]
    style.quick_style = True
    style_fonts(style, east, size, bold)
    pf = style.paragraph_format
    pf.alignment = align
    pf.space_before = before
    pf.space_after = after
    if line is not None:
        pf.line_spacing = line  # a Length: exact spacing
    else:
        pf.line_spacing = 1.0
    pf.keep_with_next = keep_next
    pf.widow_control = True
    pf.page_break_before = page_break
    if indent:
        first_line_chars(pf, 2, size)
    else:
        pf.first_line_indent = Pt(0)
    ppr = style.element.get_or_add_pPr()
    for tag_name in ("w:outlineLvl", "w:pBdr", "w:contextualSpacing", "w:numPr"):
        for old in ppr.findall(qn(tag_name)):
            ppr.remove(old)
    if outline is not None:
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline))
        ppr.append(lvl)
    # no snapping to a document grid: the fixed line pitch decides
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    ppr.append(snap)
    return style


def define_styles(doc) -> dict[str, str]:
    # document defaults: explicit fonts instead of the theme's
    styles_el = doc.styles.element
    rpr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_run_fonts(rpr_default, FANG)
    for lang in rpr_default.findall(qn("w:lang")):
        lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles_el.find(qn("w:docDefaults")).find(qn("w:pPrDefault"))
    if ppr_default is not None:
        spacing = ppr_default.find(qn("w:pPr") + "/" + qn("w:spacing"))
        if spacing is not None:
            spacing.getparent().remove(spacing)

    center, right, justify = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY
    para_style(doc, "Normal", FANG, SAN_HAO, base=None, align=justify, indent=True)
    para_style(doc, "Title", TITLE_FONT, ER_HAO, align=center, line=Pt(36), keep_next=True)
    para_style(doc, "Subtitle", KAI, SAN_HAO, align=center, before=Pt(14), after=Pt(28), keep_next=True)
    para_style(doc, "Heading 1", HEI, SAN_HAO, align=justify, indent=True, keep_next=True, outline=0)
    para_style(doc, "Heading 2", KAI, SAN_HAO, align=justify, indent=True, keep_next=True, outline=1)
    para_style(doc, "Heading 3", FANG, SAN_HAO, align=justify, indent=True, keep_next=True, outline=2)
    para_style(doc, "Caption", HEI, XIAO_SI, align=center, line=Pt(22), before=Pt(6), keep_next=True)
    para_style(doc, "表格文字", FANG, WU_HAO, align=center, line=None)
    para_style(doc, "表头", HEI, WU_HAO, align=center, line=None, keep_next=True)
    para_style(doc, "落款", FANG, SAN_HAO, align=right, before=Pt(28))
    para_style(doc, "附件标签", HEI, SAN_HAO, align=WD_ALIGN_PARAGRAPH.LEFT, page_break=True, keep_next=True)
    para_style(doc, "附件标题", TITLE_FONT, Pt(18), align=center, line=Pt(30), before=Pt(6), after=Pt(12),
               keep_next=True)
    para_style(doc, "表注", FANG, XIAO_SI, align=WD_ALIGN_PARAGRAPH.LEFT, line=Pt(22), before=Pt(6))
    para_style(doc, "待填写", FANG, SAN_HAO, align=justify, indent=True)
    return {}


def add_font_table_alternates(doc) -> None:
    """fontTable.xml: altName for fonts Windows does not ship (Word/WPS substitute them)."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from lxml import etree

    part = next((rel.target_part for rel in doc.part.rels.values() if rel.reltype == RT.FONT_TABLE), None)
    if part is None:
        return
    root = etree.fromstring(part.blob)
    present = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name in (TITLE_FONT, HEI, KAI, FANG, SONG, "仿宋", "楷体"):
        if name in present:
            continue
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt = ALT_NAMES.get(name)
        if alt:
            el = etree.SubElement(font, qn("w:altName"))
            el.set(qn("w:val"), alt)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
        family = etree.SubElement(font, qn("w:family"))
        family.set(qn("w:val"), "modern" if name in (HEI, TITLE_FONT) else "roman")
        pitch = etree.SubElement(font, qn("w:pitch"))
        pitch.set(qn("w:val"), "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# Page ----------------------------------------------------------------------------------
def page_setup(doc) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(24)  # the page number sits about 7 mm below the text block
    footer = section.footer
    p = footer.paragraphs[0]
    p.style = doc.styles["Normal"]
    pf = p.paragraph_format
    pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
    pf.first_line_indent = Pt(0)
    pf.line_spacing = 1.0

    def text(t: str) -> None:
        r = p.add_run(t)
        font_run(r, SONG, SI_HAO, latin=SONG)

    def fld(kind: str) -> None:
        r = p.add_run()
        font_run(r, SONG, SI_HAO, latin=SONG)
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        r._r.append(el)

    text("—")
    fld("begin")
    r = p.add_run()
    font_run(r, SONG, SI_HAO, latin=SONG)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    r._r.append(instr)
    fld("separate")
    text("1")
    fld("end")
    text("—")


# Body ----------------------------------------------------------------------------------
def tag(doc, text: str) -> None:
    """A paragraph holding only a docxtpl paragraph tag ({%p … %}); removed on render."""
    p = doc.add_paragraph(style="Normal")
    r = p.add_run(text)
    font_run(r, FANG, SAN_HAO)


BLOCK_FONTS = {
    "Title": (TITLE_FONT, ER_HAO), "Subtitle": (KAI, SAN_HAO), "Heading 1": (HEI, SAN_HAO),
    "Heading 2": (KAI, SAN_HAO), "Heading 3": (FANG, SAN_HAO), "Normal": (FANG, SAN_HAO),
    "Caption": (HEI, XIAO_SI), "落款": (FANG, SAN_HAO), "附件标签": (HEI, SAN_HAO),
    "附件标题": (TITLE_FONT, Pt(18)), "表注": (FANG, XIAO_SI), "待填写": (FANG, SAN_HAO),
}


def block(doc, style: str, text: str = "{{ b.text }}", **run_kw) -> None:
    p = doc.add_paragraph(style=style)
    r = p.add_run(text)
    east, size = BLOCK_FONTS[style]
    font_run(r, east, size, **run_kw)


def _borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "single")
        el.set(qn("w:sz"), "4")
        el.set(qn("w:space"), "0")
        el.set(qn("w:color"), "000000")
        borders.append(el)
    tbl_pr.append(borders)
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    margins = OxmlElement("w:tblCellMar")
    for edge, width in (("left", 57), ("right", 57)):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:w"), str(width))
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    tbl_pr.append(margins)


def _row_flag(row, name: str) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement(f"w:{name}")
    tr_pr.append(el)


def table(doc, widths_mm: list[float], rows: list[list], *, header_rows: int = 1, size: Pt = WU_HAO,
          left: set[tuple[int, int]] | None = None, min_height: float = 7) -> None:
    """A bordered fixed-width table. ``rows``: lists of cell texts; a cell ``None`` is merged
    into the cell on its left; a row ``str`` is a docxtpl ``{%tr … %}`` row."""
    left = left or set()
    n = len(widths_mm)
    t = doc.add_table(rows=len(rows), cols=n)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    _borders(t)
    for c, w in enumerate(widths_mm):
        t.columns[c].width = Mm(w)
    for r, spec in enumerate(rows):
        row = t.rows[r]
        if r < header_rows:
            _row_flag(row, "tblHeader")
        _row_flag(row, "cantSplit")
        row.height = Mm(min_height)
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        cells = [spec] + [""] * (n - 1) if isinstance(spec, str) else spec
        for c in range(n):
            cell = row.cells[c]
            cell.width = Mm(widths_mm[c])
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        # merges first, so the text goes into the merged cell
        c = 0
        while c < n:
            end = c
            while end + 1 < n and cells[end + 1] is None:
                end += 1
            if end > c:
                row.cells[c].merge(row.cells[end])
            text = cells[c] or ""
            cell = row.cells[c]
            p = cell.paragraphs[0]
            head = r < header_rows and not text.startswith("{{")
            p.style = doc.styles["表头" if head else "表格文字"]
            if (r, c) in left:
                p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
            if text:
                run = p.add_run(text)
                font_run(run, HEI if head else FANG, size)
            c = end + 1


def after_table(doc) -> None:
    """A little air between a table and the text after it."""
    p = doc.add_paragraph(style="表格文字")
    p.paragraph_format.line_spacing = Pt(10)


def build() -> Document:
    doc = Document()
    define_styles(doc)
    add_font_table_alternates(doc)
    page_setup(doc)
    body = doc.element.body
    for p in list(body.findall(qn("w:p"))):
        body.remove(p)

    tag(doc, "{%p for b in blocks %}")
    tag(doc, "{%p if b.kind == 'title' %}")
    block(doc, "Title")
    tag(doc, "{%p elif b.kind == 'subtitle' %}")
    block(doc, "Subtitle")
    tag(doc, "{%p elif b.kind == 'h1' %}")
    block(doc, "Heading 1")
    tag(doc, "{%p elif b.kind == 'h2' %}")
    block(doc, "Heading 2")
    tag(doc, "{%p elif b.kind == 'h3' %}")
    block(doc, "Heading 3")
    tag(doc, "{%p elif b.kind == 'p' %}")
    block(doc, "Normal")
    tag(doc, "{%p elif b.kind == 'gap' %}")
    doc.add_paragraph(style="Normal")
    tag(doc, "{%p elif b.kind == 'caption' %}")
    block(doc, "Caption")
    tag(doc, "{%p elif b.kind == 'todo' %}")
    block(doc, "待填写", color=RGBColor(0xC0, 0, 0), highlight=True)
    tag(doc, "{%p elif b.kind == 'right' %}")
    block(doc, "落款")
    tag(doc, "{%p elif b.kind == 'annexlabel' %}")
    block(doc, "附件标签")
    tag(doc, "{%p elif b.kind == 'annextitle' %}")
    block(doc, "附件标题")
    tag(doc, "{%p elif b.kind == 'itable' %}")
    table(doc, [22, 36, 38, 20, 11, 11, 18], [
        ["二级指标", "三级指标", "指标值", "实际完成值", "分值", "得分", "得分率"],
        "{%tr for r in b.g.rows %}",
        ["{{ r.l2 }}", "{{ r.name }}", "{{ r.target }}", "{{ r.actual }}", "{{ r.weight }}",
         "{{ r.score }}", "{{ r.rate }}"],
        "{%tr endfor %}",
        ["合计", None, None, None, "{{ b.g.weight }}", "{{ b.g.score }}", "{{ b.g.rate }}"],
    ], left={(2, 1)})
    after_table(doc)
    tag(doc, "{%p elif b.kind == 'budget' %}")
    table(doc, [44, 28, 28, 28, 28], [
        ["资金类别", "年初预算数", "全年预算数", "全年执行数", "执行率"],
        "{%tr for l in budget.lines %}",
        ["{{ l.label }}", "{{ l.initial }}", "{{ l.annual }}", "{{ l.executed }}", "{{ l.rate }}"],
        "{%tr endfor %}",
    ], left={(2, 0)})
    after_table(doc)
    tag(doc, "{%p elif b.kind == 'annex' %}")
    small = Pt(9)
    table(doc, [20, 28, 20, 20, 20, 14, 16, 18], [
        ["{{ name_label }}", "{{ project }}", None, None, None, None, None, None],
        ["主管部门", "{{ department }}", None, None, "实施单位", "{{ unit }}", None, None],
        ["项目资金（万元）", "资金类别", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        "{%tr for l in budget.lines %}",
        [MARK, "{{ l.label }}", "{{ l.initial }}", "{{ l.annual }}", "{{ l.executed }}", "{{ l.weight }}",
         "{{ l.rate }}", "{{ l.score }}"],
        "{%tr endfor %}",
        ["年度总体目标", "预期目标", None, None, "实际完成情况", None, None, None],
        [MARK, "{{ goal }}", None, None, "{{ goal_done }}", None, None, None],
    ], header_rows=0, size=small, left={(7, 1), (7, 4)})
    spacer = doc.add_paragraph(style="表格文字")
    spacer.paragraph_format.line_spacing = Pt(6)
    table(doc, [14, 16, 28, 30, 16, 10, 10, 32], [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        "{%tr for r in annex_rows %}",
        ["{{ r.l1 }}", "{{ r.l2 }}", "{{ r.name }}", "{{ r.target }}", "{{ r.actual }}", "{{ r.weight }}",
         "{{ r.score }}", "{{ r.deviation }}"],
        "{%tr endfor %}",
        ["总分", None, None, None, None, "{{ weight_total }}", "{{ total }}", "{{ grade_cell }}"],
    ], size=small, left={(2, 2), (2, 7)})
    block(doc, "表注", "{{ annex_note }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    # the final section properties must come last in the body
    sect = body.find(qn("w:sectPr"))
    body.remove(sect)
    body.append(sect)
    return doc


def main() -> None:
    doc = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.core_properties.title = "绩效自评报告"
    doc.core_properties.author = "xlreport"
    doc.core_properties.comments = "xlreport 自评报告样式模板；由 make_docx_template.py 生成。"
    from datetime import datetime

    fixed = datetime(2024, 1, 1)
    doc.core_properties.created = fixed
    doc.core_properties.modified = fixed
    doc.core_properties.last_modified_by = "xlreport"
    doc.core_properties.revision = 1
    doc.save(OUT)
    print(OUT)


if __name__ == "__main__":
    main()
