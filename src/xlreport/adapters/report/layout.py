"""The finishing pass on the rendered document: what a Word template cannot say per row.

After docxtpl has filled ``report.docx``, each generated table gets its fitted column widths,
its 一级/二级 labels drawn as one block over their group (restarted at every chunk, see
:mod:`xlreport.adapters.report.tables`), and keep-with-next on the rows that must stay together; table
numbers never break at their hyphen; a lead-in ending in '：' keeps with its paragraph; the
signature (on two lines when too long) and date are placed as GB/T 9704 asks.
Every element is inserted at its ECMA-376 position (Word drops properties out of order).
"""

from __future__ import annotations

from typing import Any

from lxml import etree

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = f"{{{W_NS}}}"
TABLE_KINDS = ("itable", "budget", "alloc", "annex")

# Children of w:pPr and w:tcPr in schema order (ECMA-376 Part 1, CT_PPrBase / CT_TcPr).
PPR_ORDER = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
             "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
             "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
             "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
             "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr",
             "sectPr", "pPrChange")
TCPR_ORDER = ("cnfStyle", "tcW", "gridSpan", "hMerge", "vMerge", "tcBorders", "shd", "noWrap", "tcMar",
              "textDirection", "tcFitText", "vAlign", "hideMark", "headers", "cellIns", "cellDel", "cellMerge",
              "tcPrChange")


def _set_child(parent, name: str, order: tuple[str, ...], attrs: dict[str, str] | None = None):
    """Put <w:name> into parent at its schema position (replacing one already there)."""
    old = parent.find(W + name)
    if old is not None:
        parent.remove(old)
    el = etree.Element(W + name)
    for k, v in (attrs or {}).items():
        el.set(W + k, v)
    rank = order.index(name)
    for i, child in enumerate(parent):
        local = etree.QName(child).localname
        if local in order and order.index(local) > rank:
            child.addprevious(el)
            return el
    parent.append(el)
    return el


def _props(el, name: str):
    """The properties element (w:pPr, w:tcPr) of ``el``, created as its first child if missing."""
    props = el.find(W + name)
    if props is None:
        props = etree.Element(W + name)
        el.insert(0, props)
    return props


def _ppr(p):
    return _props(p, "pPr")


def _tcpr(tc):
    return _props(tc, "tcPr")


def apply_widths(tbl, widths: list[int]) -> None:
    grid = tbl.find(W + "tblGrid")
    cols = grid.findall(W + "gridCol") if grid is not None else []
    if len(cols) != len(widths):
        return
    for col, w in zip(cols, widths):
        col.set(W + "w", str(w))
    for tr in tbl.iterchildren(W + "tr"):
        c = 0
        for tc in tr.iterchildren(W + "tc"):
            tcpr = _tcpr(tc)
            span_el = tcpr.find(W + "gridSpan")
            span = int(span_el.get(W + "val")) if span_el is not None else 1
            width = str(sum(widths[c:c + span]))
            tcw = tcpr.find(W + "tcW")
            if tcw is not None:  # the template's cells all have one: just change it
                tcw.set(W + "w", width)
                tcw.set(W + "type", "dxa")
            else:
                _set_child(tcpr, "tcW", TCPR_ORDER, {"w": width, "type": "dxa"})
            c += span


def keep_with_next(tr) -> None:
    for p in tr.iter(W + "p"):
        ppr = _ppr(p)
        if ppr.find(W + "keepNext") is not None:
            continue
        first = ppr[0] if len(ppr) else None
        if first is not None and first.tag == W + "pStyle":
            first.addnext(etree.Element(W + "keepNext"))  # keepNext comes right after pStyle
        else:
            _set_child(ppr, "keepNext", PPR_ORDER)


TCBORDERS_ORDER = ("top", "start", "left", "bottom", "end", "right", "insideH", "insideV", "tl2br", "tr2bl")


def _open_edges(tc, *sides: str) -> None:
    """No border on these sides of the cell (the row line inside a label block)."""
    tcpr = _tcpr(tc)
    borders = tcpr.find(W + "tcBorders")
    if borders is None:
        borders = _set_child(tcpr, "tcBorders", TCPR_ORDER)
    for side in sides:
        _set_child(borders, side, TCBORDERS_ORDER, {"val": "nil"})


def merge_down(cells: list[Any]) -> None:
    """One label over consecutive cells of a column: the label in the first cell, the others
    emptied, and no row lines between them, so the block reads as one merged cell.

    Not a Word vertical merge (vMerge): LibreOffice draws a vertically merged cell whose rows
    cannot split and keep with the next wrongly once a page break moves them (the label box
    stops rows early and the cells below lose their borders), and reviewers print with it."""
    if len(cells) < 2:
        return
    _open_edges(cells[0], "bottom")
    for tc in cells[1:-1]:
        _open_edges(tc, "top", "bottom")
    _open_edges(cells[-1], "top")
    for tc in cells[1:]:
        for p in tc.findall(W + "p")[1:]:
            tc.remove(p)
        for r in tc.findall(f"{W}p/{W}r"):
            r.getparent().remove(r)


def finish_table(tbl, layout: dict[str, Any]) -> bool:
    rows = tbl.findall(W + "tr")
    offset = layout.get("offset", layout.get("header", 0))
    meta = layout["rows"]
    data = rows[offset:offset + len(meta)]
    if len(data) != len(meta):
        return False  # an office's own template changed the table: leave it as rendered
    if layout.get("widths"):
        apply_widths(tbl, layout["widths"])
    for tr, m in zip(data, meta):
        if m["keep"]:
            keep_with_next(tr)
    if layout.get("keep_last") and len(rows) > offset + len(meta) + 1:
        keep_with_next(rows[offset + len(meta)])  # 总分 stays with the 填报人 row under it
    columns = sorted({c for m in meta for c in m["merge"]})
    for col in columns:
        run: list[Any] = []
        for tr, m in zip(data, meta):
            tcs = tr.findall(W + "tc")
            if col >= len(tcs):
                return True
            if m["merge"].get(col) and run:
                merge_down(run)
                run = []
            run.append(tcs[col])
        merge_down(run)
    return True


def nonbreaking_hyphens(body, style_id: str = "Caption") -> None:
    """'表4-1' must not break at its hyphen: Word's non-breaking hyphen element instead of '-'."""
    for p in body.iterchildren(W + "p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is None or style.get(W + "val") != style_id:
            continue
        for r in list(p.findall(W + "r")):
            t = r.find(W + "t")
            if t is None or "-" not in (t.text or ""):
                continue
            parts = t.text.split("-")
            rpr = r.find(W + "rPr")
            anchor = r
            for k, part in enumerate(parts):
                if k:
                    hy = etree.Element(W + "r")
                    if rpr is not None:
                        hy.append(etree.fromstring(etree.tostring(rpr)))
                    etree.SubElement(hy, W + "noBreakHyphen")
                    anchor.addnext(hy)
                    anchor = hy
                if part:
                    nr = etree.Element(W + "r")
                    if rpr is not None:
                        nr.append(etree.fromstring(etree.tostring(rpr)))
                    nt = etree.SubElement(nr, W + "t")
                    nt.text = part
                    nt.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
                    anchor.addnext(nr)
                    anchor = nr
            r.getparent().remove(r)


def _chars(text: str) -> float:
    import unicodedata

    return sum(0.5 if unicodedata.east_asian_width(ch) in ("Na", "H") else 1.0 for ch in text)


SIGN_WIDTH = 26  # characters: the 28-character line less the two kept free on the right


SIGN_BRACKET = 18  # characters: a longer issuer with a bracketed part puts that part on its own line


def signature_lines(text: str, width: int = SIGN_WIDTH) -> list[str]:
    """An issuer too long for one line, cut where a reader expects it: before its bracketed
    part ('…服务中心' / '（…管理中心）') when both halves fit, else into even halves. A long
    issuer that still fits but has a bracketed part is cut there too, so it never fills the line."""
    if _chars(text) <= SIGN_BRACKET or (_chars(text) <= width and not any(c in text[1:] for c in "（(")):
        return [text]
    best = None
    for i, ch in enumerate(text):
        if i and ch in "（(":
            head, tail = text[:i], text[i:]
            if _chars(head) <= width and _chars(tail) <= width and (
                    _chars(text) > width or min(_chars(head), _chars(tail)) >= 6):
                gap = abs(_chars(head) - _chars(tail))
                if best is None or gap < best[0]:
                    best = (gap, [head, tail])
    if best is not None:
        return best[1]
    if _chars(text) <= width:
        return [text]
    lines = max(2, -(-int(_chars(text)) // width))
    size = -(-len(text) // lines)
    return [text[k:k + size] for k in range(0, len(text), size)]


def _break_lines(p, lines: list[str]) -> None:
    """Write the paragraph's text as lines joined by <w:br/> in its first text run."""
    runs = [r for r in p.findall(W + "r") if r.find(W + "t") is not None]
    if not runs:
        return
    first = runs[0]
    for r in runs[1:]:
        p.remove(r)
    for child in list(first):
        if etree.QName(child).localname in ("t", "br"):
            first.remove(child)
    for k, line in enumerate(lines):
        if k:
            etree.SubElement(first, W + "br")
        t = etree.SubElement(first, W + "t")
        t.text = line
        t.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")


def place_signature(body, signature: str, date_text: str) -> None:
    """GB/T 9704 (no seal): the issuer two characters in from the right; the date on the next
    line starting two characters right of the issuer's first character — unless the date is
    longer, then the date keeps two characters from the right and the issuer moves left.
    An issuer longer than a line is set on two lines (see :func:`signature_lines`) and the
    date measured from the longer one, so it never ends up squeezed into a column."""
    lines = signature_lines(signature)
    sig, day = max(_chars(line) for line in lines), _chars(date_text)
    if day + 2 > sig:
        date_right, sig_right = 2, 2 + (day + 2 - sig)
    else:
        sig_right, date_right = 2, 2 + (sig - day - 2)
    for p in body.iterchildren(W + "p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is None:
            continue
        which = style.get(W + "val")
        if which not in ("Signature", "SignDate"):
            continue
        chars = sig_right if which == "Signature" else date_right
        if which == "Signature" and len(lines) > 1:
            _break_lines(p, lines)
        _set_child(_ppr(p), "ind", PPR_ORDER, {"rightChars": str(round(chars * 100)),
                                               "right": str(round(chars * 320))})


def keep_text_with_signature(body) -> None:
    """The 附件说明, signature and date never stand on a page without text: the last body
    paragraph keeps with them (GB/T 9704 asks for the text to be adjusted instead)."""
    for p in body.iterchildren(W + "p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is not None and style.get(W + "val") in ("AttachNote", "Signature"):
            before = p.getprevious()
            if before is not None and before.tag == W + "p":
                ppr = _ppr(before)
                if ppr.find(W + "keepNext") is None:
                    _set_child(ppr, "keepNext", PPR_ORDER)
            return


def keep_lead_ins(body) -> None:
    """A paragraph ending in '：' ('…完成情况如下：') introduces the next one: never the last
    line of a page."""
    for p in body.iterchildren(W + "p"):
        text = "".join(t.text or "" for t in p.iter(W + "t")).rstrip()
        if text.endswith(("：", ":")):
            ppr = _ppr(p)
            if ppr.find(W + "keepNext") is None:
                _set_child(ppr, "keepNext", PPR_ORDER)


def finish(body, blocks: list[dict[str, Any]]) -> None:
    tables = [b for b in blocks if b["kind"] in TABLE_KINDS]
    rendered = list(body.iterchildren(W + "tbl"))
    if len(rendered) == len(tables):
        for tbl, block in zip(rendered, tables):
            if block.get("layout"):
                finish_table(tbl, block["layout"])
    nonbreaking_hyphens(body)
    keep_lead_ins(body)
    keep_text_with_signature(body)
    signature = next((b["text"] for b in blocks if b["kind"] == "signature"), "")
    day = next((b["text"] for b in blocks if b["kind"] == "date"), "")
    if signature and day:
        place_signature(body, signature, day)


__all__ = ["finish"]


CP = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def set_core_properties(core: bytes, *, title: str, author: str, when) -> bytes:
    """docProps/core.xml of this report: its title, the unit as author, created now (never a
    date left over from the template)."""
    root = etree.fromstring(core)

    def put(ns: str, name: str, text: str, w3cdtf: bool = False) -> None:
        el = root.find(f"{{{ns}}}{name}")
        if el is None:
            el = etree.SubElement(root, f"{{{ns}}}{name}")
        el.text = text
        if w3cdtf:
            el.set(f"{{{XSI}}}type", "dcterms:W3CDTF")

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    put(DC, "title", title)
    put(DC, "creator", author)
    put(CP, "lastModifiedBy", author)
    put(CP, "revision", "1")
    put(DC, "language", "zh-CN")
    put(DCTERMS, "created", stamp, True)
    put(DCTERMS, "modified", stamp, True)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
