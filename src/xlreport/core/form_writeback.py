"""Write-back for official one-sheet 自评表: what a build adds to a form, and what it checks.

Nothing the unit typed is changed. The form's own 得分, 执行率 and 总分 cells are filled only
where empty (and remembered in ``_meta`` so a rebuild refills them); the rules' score and the
评分说明 the planner wrote for the template go into a ``建议得分`` / ``评分说明`` pair of columns
right of the form, on every indicator row, the budget row and the 总分/合计 row. A 得分 the
unit typed that differs from the rules is a warning naming both figures.
"""

from __future__ import annotations

from decimal import Decimal

from xlreport.core.forms import FormLayout
from xlreport.core.model import Evaluation, Field
from xlreport.core.plan import (
    FORMAT_PERCENT,
    FORMAT_SCORE,
    STYLE_OUTPUT_HEADER,
    CellWrite,
    WritePlan,
)
from xlreport.core.problems import problem
from xlreport.core.values import format_decimal, parse_number

NOTE_WIDTH = 48
SCORE_WIDTH = 10


def _num(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _stated(f: Field | None) -> Decimal | None:
    if f is None or f.is_blank or f.raw.error or f.raw.missing_cache:
        return None
    return parse_number(f.value, f.raw.number_format)


def _empty(f: Field | None) -> bool:
    return f is not None and f.ref is not None and f.is_blank


def check_stated_scores(ev: Evaluation, form: FormLayout) -> None:
    """A 得分 the unit typed that differs from the rules: a warning naming both figures.

    Forms carry no 文字材料; the template's one-warning-per-missing-snippet becomes one 提示."""
    found = []
    for res in ev.indicators:
        f = res.source.cells.get("stated_score")
        stated = _stated(f)
        if stated is not None and res.final is not None and stated != res.final:
            found.append(problem("form-score-differs", f.ref.sheet, f.ref.a1, name=res.name or f"第{res.source.row}行",
                                 stated=format_decimal(stated), rule=format_decimal(res.final)))
    checks = (("budget_score", "预算执行率", ev.budget.score), ("total_score", form.total_label, total_of_row(ev, form)))
    for key, name, rule in checks:
        f = form.stated.get(key)
        stated = _stated(f)
        if stated is not None and rule is not None and stated != rule:
            found.append(problem("form-score-differs", f.ref.sheet, f.ref.a1, name=name,
                                 stated=format_decimal(stated), rule=format_decimal(rule)))
    snippet_codes = ("snippet-empty", "snippet-generated")
    had_snippet_notes = any(p.code in snippet_codes for p in ev.problems)
    ev.problems[:] = [p for p in ev.problems if p.code not in snippet_codes]
    if had_snippet_notes:
        found.append(problem("form-no-texts", None, None))
    ev.problems.extend(found)


def covers_indicators_only(ev: Evaluation, form: FormLayout) -> bool:
    """Sichuan's 合计 row sits under 绩效指标(90分): its 分值 is the indicators' 90, not 100."""
    weight = _stated(form.stated.get("total_weight"))
    indicator_weights = sum((r.weight for r in ev.indicators if r.weight is not None), Decimal(0))
    return (weight is not None and ev.budget.weight > 0 and weight == indicator_weights
            and weight != Decimal(100))


def total_of_row(ev: Evaluation, form: FormLayout) -> Decimal | None:
    """What the 总分/合计 row should say by the rules: the total, or the indicators' sum."""
    if ev.total is None or not covers_indicators_only(ev, form):
        return ev.total
    return sum((r.final for r in ev.indicators if r.final is not None), Decimal(0))


def _total_note(ev: Evaluation, form: FormLayout) -> str:
    """The 总分 row's 评分说明: the same remarks the 评分结果 sheet gives its 总分 row."""
    if ev.total is None:
        return f"总分不完整：存在{len(ev.errors)}个错误，请先修正（见“校验结果”）"
    remark = "；缺省指标不计分，总分已按100分折算" if ev.rescaled else ""
    if covers_indicators_only(ev, form):
        return f"绩效指标合计；加预算执行{format_decimal(ev.budget.score or Decimal(0))}分，总分{ev.total}分，评价等级“{ev.grade}”{remark}"
    return f"评价等级“{ev.grade}”{remark}"


def form_writes(ev: Evaluation, form: FormLayout, plan: WritePlan, words) -> list[list]:
    """Plan the form's write-back; returns the ``_meta`` rows recording the cells filled.
    ``words`` is the wording layer (:class:`xlreport.core.planner.Sentences`) that says 评分说明."""
    sheet = form.sheet
    sug, note = form.output_cols["suggested"], form.output_cols["note"]
    filled: list[list] = []

    def fill(f: Field | None, value, number_format: str) -> None:
        if value is not None and _empty(f):
            plan.writes.append(CellWrite(sheet, f.ref.row, f.ref.col, value, number_format, style=None))
            filled.append(["filled", sheet, f.ref.a1, value])

    for row in (form.header_row, form.budget_header_row):
        if row:
            plan.writes.append(CellWrite(sheet, row, sug, "建议得分", style=STYLE_OUTPUT_HEADER))
            plan.writes.append(CellWrite(sheet, row, note, "评分说明", style=STYLE_OUTPUT_HEADER))
    plan.column_widths[(sheet, sug)] = SCORE_WIDTH
    plan.column_widths[(sheet, note)] = NOTE_WIDTH

    written: set[int] = set()
    for res in ev.indicators:
        row = res.source.row
        written.add(row)
        plan.writes.append(CellWrite(sheet, row, sug, _num(res.suggested), FORMAT_SCORE))
        plan.writes.append(CellWrite(sheet, row, note, words.indicator_note(res, ev.budget)))
        fill(res.source.cells.get("stated_score"), _num(res.final), FORMAT_SCORE)
    for row in range(form.header_row + 1, form.last_row + 1):
        if row not in written:  # rows that are no longer indicators keep no stale output
            plan.writes.append(CellWrite(sheet, row, sug, None))
            plan.writes.append(CellWrite(sheet, row, note, None))

    if form.budget_row:
        budget = ev.budget
        score = _num(budget.score) if budget.weight > 0 else None
        plan.writes.append(CellWrite(sheet, form.budget_row, sug, score, FORMAT_SCORE))
        plan.writes.append(CellWrite(sheet, form.budget_row, note, words.budget_note(budget) if budget.weight > 0
                                     else None))
        if budget.rate is not None:
            fill(form.stated.get("budget_rate"), float((budget.rate / 100).quantize(Decimal("0.0001"))),
                 FORMAT_PERCENT)
        fill(form.stated.get("budget_score"), score, FORMAT_SCORE)

    if form.total_row:
        total = total_of_row(ev, form)
        plan.writes.append(CellWrite(sheet, form.total_row, sug, _num(total), FORMAT_SCORE))
        plan.writes.append(CellWrite(sheet, form.total_row, note, _total_note(ev, form)))
        fill(form.stated.get("total_score"), _num(total), FORMAT_SCORE)
    return filled


__all__ = ["check_stated_scores", "form_writes"]
