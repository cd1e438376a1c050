"""The report's tables as rows of strings, with what pagination needs to know about each row.

Word and WPS paginate; we cannot know where a page ends. So the rows say what must stay
together: a table of up to a dozen rows is kept on one page, a 一级/二级 group is kept together
when it fits in part of a page, and a group too long for that is cut into chunks that each
start with the group's label (so a continuation page never shows a blank or half label).
Column widths are fitted to the content. See :mod:`xlreport.adapters.report.layout` for the XML side.
"""

from __future__ import annotations

import math
import unicodedata
from itertools import accumulate, pairwise
from typing import Any

TEXT_WIDTH = 8844  # twips: the 156 mm text block
PAGE_HEIGHT = 12756  # twips: the 225 mm text block
CHUNK = int(PAGE_HEIGHT * 0.6)  # a group taller than this is cut; below it a group is kept whole (at most this gap)
SMALL_TABLE = 12  # rows: kept on one page
CELL_PAD = 170  # twips: left + right cell margins
WU_HAO = 210  # twips per CJK character at 10.5 pt
ANNEX_CHAR = 160  # at 8 pt, the attachment form's size
ROW_PAD = 114  # top + bottom cell margins


def text_width(text: str) -> float:
    """Width in CJK character units (Latin letters and digits count half)."""
    return sum(0.5 if unicodedata.east_asian_width(ch) in ("Na", "H") else 1.0 for ch in text)


def lines_needed(text: str, width: int, char: int) -> int:
    per_line = max(1.0, (width - CELL_PAD) / char)
    return max(1, math.ceil(text_width(text) / per_line - 1e-9))


def fit_widths(columns: list[tuple[list[str], float, float]], total: int, char: int) -> list[int]:
    """Widths (twips) for columns given (texts, min chars, max chars): every column gets its
    minimum, the rest is shared in proportion to how much more each column's longest text wants."""
    mins = [int(lo * char + CELL_PAD) for _, lo, _ in columns]
    wants = []
    for (texts, lo, hi), m in zip(columns, mins):
        longest = max([text_width(t) for t in texts] + [lo])
        wants.append(max(0.0, min(longest, hi) * char + CELL_PAD - m))
    spare = total - sum(mins)
    if spare <= 0 or not any(wants):
        widths = [int(m * total / sum(mins)) for m in mins]
    else:
        share = sum(wants)
        widths = [m + int(spare * w / share) if share else m for m, w in zip(mins, wants)]
        if sum(widths) < total and share <= spare:  # everything fits: give the rest to the widest want
            widths[wants.index(max(wants))] += total - sum(widths)
    widths[-1] += total - sum(widths)
    return widths


def label_min(texts: list[str], lo: float, hi: float) -> float:
    """A label column's minimum: its longest label up to `hi` characters, so a name or a weight
    such as '（19.98分）' stays whole on its line instead of breaking as '（19.98 / 分）'."""
    return max(lo, min(hi, max((text_width(t) for t in texts), default=lo)))


def row_height(cells: list[str], widths: list[int], char: int) -> int:
    lines = max(lines_needed(t, w, char) for t, w in zip(cells, widths))
    return int(lines * char * 1.45) + ROW_PAD


def _greedy(heights: list[int]) -> list[int]:
    """Chunk starts filling each chunk up to CHUNK (a single taller row is a chunk of its own)."""
    starts, used = [0], 0
    for k, h in enumerate(heights):
        if k and used + h > CHUNK:
            starts.append(k)
            used = 0
        used += h
    return starts


def _chunk_starts(heights: list[int]) -> list[int]:
    """Where a group's label restarts: nowhere when the group fits in CHUNK, else at the row
    boundaries that cut it into as few chunks of even height as fit CHUNK (greedy filling left
    a two-row tail whose repeated label sat on the same page as the rest)."""
    total = sum(heights)
    if total <= CHUNK or len(heights) < 2:
        return [0]
    greedy = _greedy(heights)
    n = len(greedy)
    cumulative = list(accumulate(heights))
    starts = [0]
    for k in range(1, n):
        target = total * k / n
        i = min(range(starts[-1] + 1, len(heights)), key=lambda j: abs(cumulative[j - 1] - target), default=None)
        if i is None:
            break
        starts.append(i)
    bounds = [*starts, len(heights)]
    if any(sum(heights[a:b]) > CHUNK and b - a > 1 for a, b in pairwise(bounds)):
        return greedy
    return starts


def _plan_groups(groups: list[list[list[str]]], widths: list[int], char: int) -> list[dict[str, Any]]:
    """Row flags for the data rows of consecutive groups: keep (with the next row) and restart
    (the group's label starts here: first row of a group or of a chunk)."""
    flags: list[dict[str, Any]] = []
    for rows in groups:
        heights = [row_height(r, widths, char) for r in rows]
        starts = _chunk_starts(heights)
        ends = {b - 1 for b in [*starts[1:], len(rows)]}
        for k in range(len(rows)):
            flags.append({"keep": k not in ends, "restart": k in starts, "height": heights[k]})
    return flags


def _finish(flags: list[dict[str, Any]], has_total: bool) -> list[dict[str, Any]]:
    if not flags:
        return flags
    if len(flags) <= SMALL_TABLE and sum(f["height"] for f in flags) <= PAGE_HEIGHT // 2:
        for f in flags:
            f["keep"] = True  # a small table stays on one page, with its 合计
    if has_total:
        flags[-1]["keep"] = True  # 合计 never alone
    if not has_total:
        flags[-1]["keep"] = False
    return flags


def indicator_block(g: dict[str, Any]) -> dict[str, Any]:
    """表<章>-<n>: one 一级指标's indicators, its 二级 label merged down each group."""
    inds = [(child, ind) for child in g["children"] for ind in child["indicators"]]
    # the 二级 label prints as two lines, its name and its weight: the column needs the longer
    cells = [[max(child["name"], child["weight_label"], key=text_width), ind["name"], ind["target"], ind["actual"],
              ind["weight"], ind["score"], ind["rate"]] for child, ind in inds]
    widths = fit_widths([
        ([c[0] for c in cells], label_min([c[0] for c in cells], 5, 7), 7), ([c[1] for c in cells], 6, 12), ([c[2] for c in cells], 5, 12),
        ([c[3] for c in cells], 5.6, 9), ([], 2.5, 2.5), ([], 3, 3), ([c[6] for c in cells], 4.4, 4.4)],
        TEXT_WIDTH, WU_HAO)
    groups, k = [], 0
    for child in g["children"]:
        n = len(child["indicators"])
        groups.append(cells[k:k + n])
        k += n
    flags = _finish(_plan_groups(groups, widths, WU_HAO), True)
    rows = []
    for (child, _), c in zip(inds, cells):
        rows.append({"l2": child["name"], "l2w": child["weight_label"], "name": c[1], "target": c[2],
                     "actual": c[3], "weight": c[4], "score": c[5], "rate": c[6]})
    meta = [{"keep": f["keep"], "merge": {0: f["restart"]}} for f in flags]
    return {"rows": rows, "total": {"weight": g["weight"], "score": g["score"], "rate": g["rate"]},
            "layout": {"widths": widths, "header": 1, "rows": meta}}


def budget_block(ctx: dict[str, Any]) -> dict[str, Any]:
    lines = ctx["budget"]["lines"]
    rows = [{k: line[k] for k in ("label", "initial", "annual", "executed", "rate")} for line in lines]
    return {"rows": rows, "layout": {"widths": None, "header": 1,
                                     "rows": [{"keep": True, "merge": {}} for _ in rows]}}


def alloc_layout(alloc: dict[str, Any]) -> dict[str, Any]:
    n = len(alloc["rows"])
    keep = n <= SMALL_TABLE
    meta = [{"keep": keep or k >= n - 1, "merge": {}} for k in range(n)]
    return {"widths": None, "header": 1, "rows": meta}


def annex_block(ctx: dict[str, Any]) -> dict[str, Any]:
    """The 绩效自评表: one table from the project's name to 总分."""
    is_department = ctx["report_type"] == "部门整体支出"
    # the report's own section on shortfalls: the transfer-payment outline has no 存在的问题
    problems = "偏离绩效目标的原因" if ctx["report_type"] == "转移支付" and not ctx["four_level"] else "存在的问题"
    rows, groups = [], []
    for g in ctx["groups"]:
        group_rows = []
        for child in g["children"]:
            for ind in child["indicators"]:
                deviation = ind["deviation"]
                if not deviation and (ind["missed"] or ind["status"] == "exceeded"):
                    deviation = f"见报告“{problems}”" if ind["missed"] else ""
                if not deviation and ind["is_default"]:
                    deviation = ind["explanation"] or "按缺省处理"
                group_rows.append([max(g["name"], g["weight_label"], key=text_width),
                                   max(child["name"], child["weight_label"], key=text_width), ind["name"],
                                   ind["target"], ind["actual"], ind["weight"], ind["score"], deviation,
                                   g, child])
        rows.extend(group_rows)
        groups.append(group_rows)
    # column 0 also holds 年度总体目标, column 1 the budget lines ('年度资金总额' on one line)
    budget_labels = [line["label"] for line in ctx["budget"]["lines"]]
    widths = fit_widths([
        ([r[0] for r in rows] + ["年度总体目标"], 6, 6), ([r[1] for r in rows] + budget_labels, label_min([r[1] for r in rows], 6, 7), 7),
        ([r[2] for r in rows], 6, 12),
        ([r[3] for r in rows], 5.6, 8), ([r[4] for r in rows], 5.6, 8), ([], 2.5, 2.5), ([], 3.5, 3.5),
        ([r[7] for r in rows], 6, 14)], TEXT_WIDTH, ANNEX_CHAR)
    # 一级 groups kept whole when they fit; otherwise their 二级 groups (or chunks) each restart both labels.
    meta: list[dict[str, Any]] = []
    for g, group_rows in zip(ctx["groups"], groups):
        sub, k = [], 0
        for child in g["children"]:
            n = len(child["indicators"])
            sub.append(group_rows[k:k + n])
            k += n
        flags = _plan_groups(sub, widths, ANNEX_CHAR)
        # pack the 二级 chunks into runs of at most CHUNK: the 一级 label merges down a run and
        # restarts only at the next one (a whole 一级 group that fits is a single run)
        starts = [i for i, f in enumerate(flags) if f["restart"]] + [len(flags)]
        runs: list[int] = []  # first row of each run
        used = CHUNK + 1
        for a, b in pairwise(starts):
            height = sum(f["height"] for f in flags[a:b])
            if used + height > CHUNK:
                runs.append(a)
                used = 0
            used += height
        ends = {r - 1 for r in runs[1:]} | {len(flags) - 1}
        for i, f in enumerate(flags):
            restart1 = i in runs
            meta.append({"keep": i not in ends, "merge": {0: restart1, 1: f["restart"] or restart1}})
    if meta:
        meta[-1]["keep"] = True  # 总分 never alone
    budget_lines = ctx["budget"]["lines"]
    return {
        "name_label": "部门名称" if is_department else "项目名称",
        "name": ctx["project"] or ctx["issuer"],
        "department": ctx["department"] or "—",
        "unit": ctx["unit"] or "—",
        "funds_label": "年度预算执行情况（万元）" if is_department else "项目资金（万元）",
        "budget": budget_lines,
        "goal": ctx["goal"] or "—",
        "goal_done": ctx["goal_done"] or "—",
        "rows": [{**dict(zip(("name", "target", "actual", "weight", "score", "deviation"), r[2:8])),
                  "l1": r[8]["name"], "l1w": r[8]["weight_label"], "l2": r[9]["name"], "l2w": r[9]["weight_label"]}
                 for r in rows],
        "weight_total": ctx["weight_total"],
        "total": ctx["total"],
        "grade": f"评价等级：{ctx['grade']}" if ctx["grade"] else "",
        # the rows before the indicators: 名称, 主管部门, 资金 header + lines, 目标 ×2, indicator header
        "layout": {"widths": widths, "header": 0, "offset": 3 + len(budget_lines) + 3, "rows": meta,
                   "keep_last": bool(ctx["contact"] or ctx["phone"])},
    }


__all__ = ["alloc_layout", "annex_block", "budget_block", "fit_widths", "indicator_block"]
