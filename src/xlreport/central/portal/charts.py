"""Server-rendered SVG charts: no JavaScript, no CDN, print as they look.

Text is escaped; sizes follow the data so long Chinese labels are never cut.
"""

from __future__ import annotations

from html import escape

PALETTE = ["#1f4e78", "#2e75b6", "#9dc3e6", "#c55a11", "#f4b183", "#548235", "#a9d18e", "#7f7f7f"]
FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei',sans-serif\""


def _text_width(text: str, size: float = 12) -> float:
    return sum(size if ord(ch) > 0x2E80 else size * 0.6 for ch in text)


def hbar(labels: list[str], values: list[float], *, max_value: float | None = None, unit: str = "",
         fmt: str = "{:.2f}", colour: str = PALETTE[1], title: str = "") -> str:
    """A horizontal bar chart (one bar per label)."""
    if not labels:
        return '<p class="muted">暂无数据。</p>'
    top = max_value if max_value else max(max(values), 1e-9)
    label_w = min(max(_text_width(lbl) for lbl in labels) + 12, 360)
    bar_w, row_h = 380, 26
    width = label_w + bar_w + 90
    height = row_h * len(labels) + 16
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width:.0f}" '
              f'height="{height}" viewBox="0 0 {width:.0f} {height}" {FONT} font-size="12">')]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 8 + i * row_h
        w = 0 if top <= 0 else max(bar_w * float(value) / float(top), 0)
        parts.append(f'<text x="{label_w - 8:.0f}" y="{y + 15}" text-anchor="end" fill="#222">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w:.0f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}" rx="2"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" fill="#222">{escape(fmt.format(value))}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def vbar(labels: list[str], values: list[float], *, title: str = "", colours: list[str] | None = None) -> str:
    """A column chart for a few categories (e.g. grades)."""
    if not labels or not any(values):
        return '<p class="muted">暂无数据。</p>'
    top = max(values) or 1
    col_w, gap, plot_h = 64, 28, 180
    width = len(labels) * (col_w + gap) + gap
    height = plot_h + 60
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width}" height="{height}" '
              f'viewBox="0 0 {width} {height}" {FONT} font-size="12">')]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts.append(f'<line x1="0" y1="{plot_h + 20}" x2="{width}" y2="{plot_h + 20}" stroke="#999"/>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = gap + i * (col_w + gap)
        h = plot_h * float(value) / float(top)
        colour = (colours or PALETTE)[i % len(colours or PALETTE)]
        parts.append(f'<rect x="{x}" y="{plot_h + 20 - h:.1f}" width="{col_w}" height="{h:.1f}" fill="{colour}" rx="2"/>')
        parts.append(f'<text x="{x + col_w / 2}" y="{plot_h + 14 - h:.1f}" text-anchor="middle">{escape(str(value))}</text>')
        parts.append(f'<text x="{x + col_w / 2}" y="{plot_h + 40}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def heatmap(rows: list[str], cols: list[str], cells: list[list[int]], *, title: str = "") -> str:
    """Units × problem codes: a square per count, darker for more."""
    if not rows or not cols:
        return '<p class="muted">暂无数据。</p>'
    top = max((v for r in cells for v in r), default=0) or 1
    label_w = min(max(_text_width(r) for r in rows) + 12, 320)
    cell = 26
    longest = max(_text_width(c, 11) for c in cols)
    head_h = longest * 0.77 + 16  # labels rotated by -50°: sin 50° of their length above the grid
    width = label_w + cell * len(cols) + longest * 0.64 + 16  # and cos 50° to the right
    height = head_h + cell * len(rows) + 10
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" width="{width:.0f}" '
              f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" {FONT} font-size="11">')]
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    for j, col in enumerate(cols):
        x = label_w + j * cell + cell / 2
        parts.append(f'<text transform="translate({x - 2:.1f},{head_h - 6:.1f}) rotate(-50)" fill="#222">'
                     f'{escape(col)}</text>')
    for i, row in enumerate(rows):
        y = head_h + i * cell
        parts.append(f'<text x="{label_w - 8:.0f}" y="{y + 17:.1f}" text-anchor="end" font-size="12">{escape(row)}</text>')
        for j, value in enumerate(cells[i]):
            x = label_w + j * cell
            shade = 0.12 + 0.88 * value / top if value else 0
            fill = f"rgba(197,90,17,{shade:.2f})" if value else "#f3f3f3"
            parts.append(f'<rect x="{x:.0f}" y="{y:.1f}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                         f'<title>{escape(row)} · {escape(cols[j])}：{value}</title></rect>')
            if value:
                parts.append(f'<text x="{x + (cell - 2) / 2:.1f}" y="{y + 16:.1f}" text-anchor="middle" '
                             f'fill="{"#fff" if shade > 0.5 else "#222"}">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)
