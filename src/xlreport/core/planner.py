"""Turn an Evaluation into a WritePlan (docs/workbook.md, “程序写入的内容”): output cells, highlights, output sheets.

Pure. Only output columns, output cells, tool-owned sheets and highlights are touched;
a cell the user typed is never in ``plan.writes``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from xlreport._version import __version__
from xlreport.core import schema
from xlreport.core.grid import split_a1
from xlreport.core.model import Evaluation, GroupResult
from xlreport.core.plan import (
    FORMAT_PERCENT,
    FORMAT_SCORE,
    STYLE_HEADER,
    STYLE_OUTPUT,
    STYLE_OUTPUT_HEADER,
    STYLE_TITLE,
    STYLE_TOTAL,
    CellWrite,
    Layout,
    Link,
    Mark,
    OutputSheet,
    Unmark,
    WritePlan,
)
from xlreport.core.problems import Level, Problem

LEVEL_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}
_OUTPUT_WIDTHS = {"suggested": 10, "final": 10, "rate": 10, "note": 48}


def _num(value: Decimal | None) -> float | int | None:
    """Cells hold floats; the Decimal is already rounded, so the float shows exactly."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _rate(score: Decimal | None, weight: Decimal | None) -> float | None:
    if score is None or not weight:
        return None
    return float((score / weight).quantize(Decimal("0.0001")))


def sort_problems(problems: list[Problem]) -> list[Problem]:
    sheet_order = {name: i for i, name in enumerate(schema.INPUT_SHEETS)}

    def key(p: Problem):
        row, col = split_a1(p.cell) if p.cell else (0, 0)
        return (LEVEL_ORDER[p.level], sheet_order.get(p.sheet or "", 9), row, col)
    return sorted(problems, key=key)


class Sentences(Protocol):
    """What the planner asks the wording layer (xlreport.wording, Jinja2 templates an office may
    override) to say; passed in by the pipeline so the core stays free of template engines."""

    def indicator_note(self, result, budget=None) -> str: ...

    def budget_note(self, budget) -> str: ...


def _indicator_writes(ev: Evaluation, layout: Layout, plan: WritePlan, words: Sentences) -> None:
    sheet = layout.sheet_names.get(schema.SHEET_INDICATORS)
    header_row = layout.indicator_header_row
    if not sheet or not header_row:
        return
    cols = dict(layout.indicator_columns)
    next_col = max([layout.indicator_max_col, *cols.values()]) + 1
    for label in schema.INDICATOR_OUTPUTS:
        if label.key not in cols:  # a hand-built workbook without output columns: add them
            cols[label.key] = next_col
            plan.writes.append(CellWrite(sheet, header_row, next_col, label.text, style=STYLE_OUTPUT_HEADER))
            plan.column_widths[(sheet, next_col)] = _OUTPUT_WIDTHS[label.key]
            next_col += 1
    written: set[int] = set()
    for res in ev.indicators:
        row = res.source.row
        written.add(row)
        values = {
            "suggested": (_num(res.suggested), FORMAT_SCORE),
            "final": (_num(res.final), FORMAT_SCORE),
            "rate": (_rate(res.final, res.weight), FORMAT_PERCENT),
            "note": (words.indicator_note(res, ev.budget), None),
        }
        for key, (value, number_format) in values.items():
            plan.writes.append(CellWrite(sheet, row, cols[key], value, number_format))
    # Clear stale outputs on rows that are no longer indicators (idempotent rebuilds).
    for row in range(header_row + 1, layout.indicator_max_row + 1):
        if row not in written:
            for label in schema.INDICATOR_OUTPUTS:
                plan.writes.append(CellWrite(sheet, row, cols[label.key], None))


def budget_rate_cell_value(ev: Evaluation) -> float | None:
    return float((ev.budget.rate / 100).quantize(Decimal("0.0001"))) if ev.budget.rate is not None else None


def _budget_writes(ev: Evaluation, plan: WritePlan) -> None:
    budget = ev.input.budget
    if budget.rate_ref is not None and budget.stated_rate is None:  # a rate the user typed stays
        rate = budget_rate_cell_value(ev)
        plan.writes.append(CellWrite(budget.rate_ref.sheet, budget.rate_ref.row, budget.rate_ref.col,
                                     rate, FORMAT_PERCENT))
    if budget.score_ref is not None:
        score = _num(ev.budget.score) if ev.budget.weight > 0 else "不单独计分（见指标表）"
        plan.writes.append(CellWrite(budget.score_ref.sheet, budget.score_ref.row, budget.score_ref.col,
                                     score, FORMAT_SCORE))


def _marks(ev: Evaluation, plan: WritePlan) -> None:
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for p in ev.problems:
        if p.sheet and p.cell:
            by_cell.setdefault((p.sheet, p.cell), []).append(p)
    for (sheet, cell), found in by_cell.items():
        row, col = split_a1(cell)
        worst = min(found, key=lambda p: LEVEL_ORDER[p.level]).level
        comment = "\n".join(f"【{p.level.value}】{p.message}" for p in sort_problems(found))
        plan.marks.append(Mark(sheet, row, col, worst.value, comment))
    for sheet, cell, fill in ev.input.previous_marks:
        row, col = split_a1(cell)
        plan.unmarks.append(Unmark(sheet, row, col, fill))


def _group_rows(group: GroupResult, rows: list[list], depth: int) -> None:
    label = "一级指标" if group.level == 1 else "二级指标"
    name = group.name or "（未分类）"
    declared = f"（标明{group.declared:f}分）" if group.declared is not None and group.declared != group.weight else ""
    rows.append([("    " * depth) + name, label, _num(group.weight), _num(group.score),
                 _rate(group.score, group.weight), ("" if group.complete else "含未能评分的指标") + declared])


def _adjustment_row(adj) -> list:
    """A deduction a rules profile made: the points as a negative score, the sentence as remark."""
    from xlreport.core.adjustments import AdjustmentKind

    if adj.kind is AdjustmentKind.CAP:
        return ["按评分规则扣减：执行率限制总分", "评分规则", None, -_num(adj.points), None, adj.text]
    where = f"（已计入“{adj.group}”得分）" if adj.group else ""
    return [f"按评分规则扣减：{adj.subject}", "评分规则", None, -_num(adj.points), None,
            f"指标“{adj.subject}”{adj.text}{where}"]


def scores_sheet(ev: Evaluation, now: datetime, words: Sentences) -> OutputSheet:
    info = ev.input.info
    rows: list[list] = [
        [f"{info.project or '（未填项目名称）'} 绩效自评评分结果"],
        ["名称", "层级", "分值", "得分", "得分率", "备注"],
    ]
    for g1 in ev.groups:
        _group_rows(g1, rows, 0)
        for g2 in g1.children:
            _group_rows(g2, rows, 1)
    if ev.budget.weight > 0:
        rows.append(["预算执行率", "预算执行", _num(ev.budget.weight), _num(ev.budget.score),
                     _rate(ev.budget.score, ev.budget.weight), words.budget_note(ev.budget)])
    for adj in ev.adjustments:  # every rule a profile applied, as its own line
        rows.append(_adjustment_row(adj))
    weight_total = sum((g.weight for g in ev.groups), Decimal(0)) + ev.budget.weight
    total_row = len(rows) + 1
    if ev.total is not None:
        remark = "缺省指标不计分，总分已按100分折算" if ev.rescaled else ""
        capped = [a for a in ev.adjustments if a.kind.name == "CAP"]
        if capped:
            remark += ("；" if remark else "") + f"调整前{capped[0].before:.2f}分，按评分规则扣减{capped[0].points:.2f}分"
        rows.append(["总分", "", _num(weight_total), _num(ev.total), _rate(ev.total, Decimal(100)), remark])
    else:
        rows.append(["总分", "", _num(weight_total), _num(ev.raw_total), None,
                     f"总分不完整：存在{len(ev.errors)}个错误，请先修正（见“校验结果”）"])
    rows.append(["评价等级", "", None, ev.grade or "（总分不完整，未评定）", None, ""])
    if ev.rules is not None:
        rows.append(["评分规则", "", None, ev.rules.name, None,
                     f"{ev.rules.title}（参数摘要{ev.rules.digest}）"])
    rows.append([])
    rows.append(["错误数", "", None, len(ev.errors)])
    rows.append(["警告数", "", None, len(ev.warnings)])
    rows.append(["提示数", "", None, len(ev.infos)])
    rows.append(["评分时间", "", None, now.strftime("%Y-%m-%d %H:%M:%S")])
    rows.append(["工具版本", "", None, f"xlreport {__version__}"])
    styles = {r: STYLE_OUTPUT for r in range(3, total_row)}
    formats = {}
    for r in range(3, total_row + 1):
        formats[(r, 3)] = FORMAT_SCORE
        formats[(r, 4)] = FORMAT_SCORE
        formats[(r, 5)] = FORMAT_PERCENT
    return OutputSheet(
        name=schema.SHEET_SCORES, rows=rows, widths={1: 40, 2: 12, 3: 10, 4: 10, 5: 10, 6: 40},
        formats=formats, styles={**styles, 1: STYLE_TITLE, 2: STYLE_HEADER, total_row: STYLE_TOTAL,
                                 total_row + 1: STYLE_TOTAL},
        freeze="A3")


def problems_sheet(ev: Evaluation) -> OutputSheet:
    rows: list[list] = [["级别", "代码", "工作表", "单元格", "问题说明"]]
    links: list[Link] = []
    fills: dict[int, str] = {}
    from xlreport.core.plan import MARK_FILLS
    for p in sort_problems(ev.problems):
        rows.append([p.level.value, p.code, p.sheet or "", p.cell or "", p.text])
        r = len(rows)
        fills[r] = MARK_FILLS[p.level.value]
        if p.sheet and p.cell:
            links.append(Link(r, 4, p.sheet, p.cell))
    if len(rows) == 1:
        rows.append(["", "", "", "", "未发现问题。"])
    return OutputSheet(name=schema.SHEET_PROBLEMS, rows=rows,
                       widths={1: 8, 2: 24, 3: 12, 4: 10, 5: 100}, styles={1: STYLE_HEADER},
                       links=links, row_fills=fills, freeze="A2")


def meta_sheet(ev: Evaluation) -> OutputSheet:
    """The hidden sheet; adapters append a 'mark' row per highlight they apply."""
    rows = [["template_id", schema.TEMPLATE_ID],
            ["template_version", schema.TEMPLATE_VERSION],
            ["report_type", ev.input.info.report_type]]
    if ev.input.budget.rate_ref is not None:
        rows.append(["budget_rate_written", budget_rate_cell_value(ev)])
    if ev.rules is not None:
        from xlreport.core.ruleset import meta_rules_rows

        rows += [list(r) for r in meta_rules_rows(ev.rules)]
    return OutputSheet(name=schema.SHEET_META, rows=rows, hidden=True)


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(value):
    """Control characters a user's cell may carry cannot be stored in a worksheet."""
    return _ILLEGAL.sub("", value) if isinstance(value, str) else value


def make_plan(ev: Evaluation, layout: Layout, now: datetime | None, words: Sentences) -> WritePlan:
    """The writes for one evaluation; 评分说明 and the other sentences come from ``words``
    (the wording layer, which an office's ``--templates`` folder overrides)."""
    plan = WritePlan()
    form = layout.form
    if form is not None:  # an official one-sheet 自评表 (form_writeback.py)
        from xlreport.core.form_writeback import form_writes

        filled = form_writes(ev, form, plan, words)
    else:
        _indicator_writes(ev, layout, plan, words)
    _budget_writes(ev, plan)
    _marks(ev, plan)
    plan.sheets = [scores_sheet(ev, now or datetime.now(), words), problems_sheet(ev), meta_sheet(ev)]
    if form is not None:
        plan.sheets[-1].rows.extend(filled)
    plan.writes = [replace(w, value=_clean(w.value)) for w in plan.writes]
    plan.marks = [replace(m, comment=_clean(m.comment)) for m in plan.marks]
    for sheet in plan.sheets:
        sheet.rows = [[_clean(v) for v in row] for row in sheet.rows]
    return plan


