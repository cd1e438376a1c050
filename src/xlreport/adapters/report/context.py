"""The numbers and names the report prints, computed from an :class:`Evaluation` only (pure).

Everything here is a plain string or flag: the outline and the Word template never see a
``Decimal`` or ``None``, so they cannot print ``None``, ``nan`` or an unrounded figure, and
every number is formatted by the same helpers as the workbook (``fmt``, ``fmt_score``,
``fmt_percent``). Sentences are not written here: see :mod:`xlreport.wording`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from xlreport.core import schema
from xlreport.core.model import Evaluation, GroupResult, IndicatorResult, Status
from xlreport.core.values import fmt, fmt_percent, fmt_score
from xlreport.wording.views import budget_view, indicator_view, one_line

HUNDRED = Decimal(100)
DASH = "—"
TYPE_WORDS = {schema.TYPE_PROJECT: "项目支出", schema.TYPE_TRANSFER: "转移支付",
              schema.TYPE_DEPARTMENT: "部门整体支出"}
_BUDGET_NAMES = {"total": "年度资金总额", "appropriation": "其中：当年财政拨款", "carryover": "上年结转资金",
                 "other": "其他资金", "basic": "其中：基本支出", "project": "项目支出"}
# 一级指标 names of the scored 4-level evaluation system (项目决策 / 过程管理 / 项目产出 / 项目效益)
_FOUR_LEVEL = ("决策", "过程", "管理")


def paragraphs(text: object) -> list[str]:
    """User text split into paragraphs (one per non-empty line), control characters removed."""
    if text is None:
        return []
    out = []
    for line in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", line).replace("\t", " ").strip()
        if line:
            out.append(line)
    return out


def score_text(value: Decimal | None) -> str:
    return DASH if value is None else fmt_score(value)


def rate_text(score: Decimal | None, weight: Decimal | None) -> str:
    if score is None or not weight:
        return DASH
    return fmt_percent(score / weight * HUNDRED)


def short_name(name: str) -> str:
    """'产出指标' -> '产出', '项目决策' -> '项目决策' (for '产出类指标')."""
    s = name.strip()
    if s.endswith("指标") and len(s) > 2:
        s = s[:-2]
    return s or name


def is_four_level(evaluation: Evaluation) -> bool:
    """The scored 4-level evaluation system (一级: 项目决策、过程管理、项目产出、项目效益)."""
    names = [g.name for g in evaluation.groups]
    return any(any(word in n for word in _FOUR_LEVEL) for n in names)


def indicator(ind: IndicatorResult, evaluation: Evaluation) -> dict[str, Any]:
    v = indicator_view(ind, evaluation.budget)
    excluded = ind.status is Status.EXCLUDED
    return {
        **v,
        "result": ind,
        "level1": one_line(ind.source.level1),
        "level2": one_line(ind.source.level2),
        "target": v["target"] or DASH,
        "actual": v["actual"] or DASH,
        "weight": v["weight"] or DASH,
        "score": "不计分" if excluded else score_text(ind.final),
        "rate": DASH if excluded else rate_text(ind.final, ind.weight),
        "missed": ind.status in (Status.MISSED, Status.PARTIAL),
        "is_default": ind.status in (Status.DEFAULT, Status.EXCLUDED),
    }


def group(g: GroupResult, by_id: dict[int, dict]) -> dict[str, Any]:
    children = []
    for child in g.children:
        label = one_line(child.name)
        children.append({
            "name": label,
            "label": f"{label}（{fmt(child.weight)}分）" if label else "",
            "weight_label": f"（{fmt(child.weight)}分）",
            "indicators": [by_id[id(i)] for i in child.indicators],
        })
    name = one_line(g.name)
    return {
        "name": name,
        "short": short_name(name),
        "label": f"{name}（{fmt(g.weight)}分）" if name else "",
        "weight_label": f"（{fmt(g.weight)}分）",
        "weight": fmt(g.weight),
        "score": fmt_score(g.score) if g.complete else DASH,
        "rate": rate_text(g.score, g.weight) if g.complete else DASH,
        "complete": g.complete,
        "children": children,
        "children_names": "、".join(c["name"] for c in children if c["name"]),
        "indicators": [by_id[id(i)] for i in g.indicators],
    }


def budget(evaluation: Evaluation) -> dict[str, Any]:
    b = evaluation.budget
    view = budget_view(b)
    lines = []
    parts, expense = [], []
    lines_in = evaluation.input.budget.lines
    # rows in the workbook's order: an official form's own rows (政府性基金, 单位资金, 基本支出 …) too
    order = sorted(lines_in, key=lambda k: min((r.row for r in lines_in[k].refs.values()), default=0))
    for key in ["total", *(k for k in order if k != "total")]:
        line = lines_in.get(key)
        if line is None and key != "total":
            continue
        label = _BUDGET_NAMES.get(key) or line.label
        initial = line.initial if line else b.initial
        annual = line.annual if line else b.annual
        executed = line.executed if line else b.executed
        if key == "total":
            initial, annual, executed = (initial if initial is not None else b.initial), b.annual, b.executed
        row = {"key": key, "label": label, "initial": fmt(initial) if initial is not None else DASH,
               "annual": fmt(annual) if annual is not None else DASH,
               "executed": fmt(executed) if executed is not None else DASH,
               "weight": DASH, "rate": DASH, "score": DASH}
        if key == "total":
            row["rate"] = view["rate"] or DASH
            if view["scored"]:
                row["weight"], row["score"] = view["weight"], score_text(b.score)
        elif annual is not None and annual > 0 and executed is not None:
            row["rate"] = fmt_percent(executed / annual * HUNDRED)
        lines.append(row)
        if key != "total" and annual and (line is None or getattr(line, "group", None) != "expense"):
            parts.append(f"{label.removeprefix('其中：')}{fmt(annual)}万元")  # one split in the sentence
        elif key != "total" and annual and line is not None and line.group == "expense":
            expense.append(f"{label.removeprefix('其中：')}{fmt(annual)}万元")  # 基本支出 / 项目支出
    _mark_groups(lines, lines_in)
    return {**view, "lines": lines, "parts": "、".join(parts), "expense_parts": "、".join(expense),
            "project_line": _project_line(lines_in.get("project")),
            "score_rate": rate_text(b.score, b.weight) if view["scored"] else DASH}


def _mark_groups(lines: list[dict[str, Any]], lines_in: dict) -> None:
    """A 部门整体支出 budget split both ways reads as the official form does: a '按收入性质分：'
    and a '按支出性质分：' row above each split, so 基本支出 is never read as a kind of income."""
    groups = [(getattr(lines_in.get(line["key"]), "group", "") or "") for line in lines]
    if "expense" not in groups:
        return
    blank = {"initial": "", "annual": "", "executed": "", "weight": "", "rate": "", "score": ""}
    first_expense = groups.index("expense")
    lines.insert(first_expense, {"key": "expense_mark", "label": "按支出性质分：", **blank})
    income = [i for i, g in enumerate(groups[:first_expense]) if i > 0]
    if income:
        lines.insert(income[0], {"key": "income_mark", "label": "按收入性质分：", **blank})


def _project_line(line) -> dict[str, str] | None:
    """A 部门整体支出's 项目支出 line as the 项目资金执行情况 sentence needs it (None without amounts)."""
    if line is None or line.annual is None or line.executed is None:
        return None
    unspent = line.annual - line.executed
    return {"annual": fmt(line.annual), "executed": fmt(line.executed),
            "initial": fmt(line.initial) if line.initial is not None and line.initial != line.annual else "",
            "rate": fmt_percent(line.executed / line.annual * HUNDRED) if line.annual > 0 else "",
            "unspent": fmt(unspent) if unspent > 0 else ""}


def allocations(evaluation: Evaluation) -> dict[str, Any] | None:
    """资金下达明细 as the rows of the 资金到位情况表 (None when the workbook lists none)."""
    lines = [a for a in evaluation.input.budget.allocations
             if a.document or any(v is not None for v in (a.central, a.provincial, a.local, a.subtotal))]
    if not lines:
        return None

    def money(v: Decimal | None) -> str:
        return fmt(v) if v is not None else ""

    rows, sums = [], {"central": Decimal(0), "provincial": Decimal(0), "local": Decimal(0), "subtotal": Decimal(0)}
    for k, a in enumerate(lines, 1):
        subtotal = a.subtotal
        if subtotal is None:
            parts = [v for v in (a.central, a.provincial, a.local) if v is not None]
            subtotal = sum(parts) if parts else None
        rows.append({"seq": one_line(a.seq) or str(k), "document": one_line(a.document), "central": money(a.central),
                     "provincial": money(a.provincial), "local": money(a.local), "subtotal": money(subtotal)})
        for key, v in (("central", a.central), ("provincial", a.provincial), ("local", a.local), ("subtotal", subtotal)):
            if v is not None:
                sums[key] += v
    seen = {k for r in rows for k in sums if r[k]}
    total = {k: (fmt(v) if k in seen else "") for k, v in sums.items()}
    return {"rows": rows, "total": total if len(rows) > 1 else None, "sum": total["subtotal"], "n": len(rows)}


def base_context(evaluation: Evaluation) -> dict[str, Any]:
    """The numbers and names shared by every outline."""
    info = evaluation.info
    report_type = info.report_type if info.report_type in TYPE_WORDS else schema.TYPE_PROJECT
    by_id = {id(ind): indicator(ind, evaluation) for ind in evaluation.indicators}
    groups = [group(g, by_id) for g in evaluation.groups]
    indicators = [by_id[id(ind)] for ind in evaluation.indicators]
    statuses = [i["status"] for i in indicators]
    counts = {
        "n": len(indicators),
        "met": sum(s in ("met", "exceeded") for s in statuses),
        "exceeded": sum(s == "exceeded" for s in statuses),
        "missed": sum(s == "missed" for s in statuses),
        "partial": sum(s == "partial" for s in statuses),
        "default": sum(s == "default" for s in statuses),
        "excluded": sum(s == "excluded" for s in statuses),
    }
    weights = sum((i.weight for i in evaluation.indicators if i.weight is not None and i.status != "excluded"),
                  Decimal(0)) + (evaluation.budget.weight or Decimal(0))
    complete = evaluation.complete and evaluation.total is not None
    project, unit, department = one_line(info.project), one_line(info.unit), one_line(info.department)
    year = one_line(info.year)
    year_project = project if (not year or year in project) else f"{year}年度{project}"
    return {
        "report_type": report_type,
        "type_word": TYPE_WORDS[report_type],
        "four_level": is_four_level(evaluation),
        "year": year,
        "year_project": year_project,
        "project": project,
        "unit": unit,
        "department": department,
        "issuer": unit or department or project,
        "contact": one_line(info.contact),
        "phone": one_line(info.phone),
        "goal": one_line(info.goal),
        "goal_done": one_line(info.goal_done),
        "complete": complete,
        "total": fmt_score(evaluation.total) if complete else DASH,
        "grade": one_line(evaluation.grade) if complete and evaluation.grade else "",
        "weight_total": fmt(weights),
        "rescaled": evaluation.rescaled,
        "budget": budget(evaluation),
        "allocations": allocations(evaluation),
        "groups": groups,
        "indicators": indicators,
        "missed": [i for i in indicators if i["missed"]],
        "defaults": [i for i in indicators if i["is_default"]],
        "counts": counts,
        "rules": _rules(evaluation),
        "adjustments": [one_line(a.text) for a in evaluation.adjustments],
    }


def _rules(evaluation: Evaluation) -> dict[str, str]:
    """The rules profile the scores follow (rules.py); the report names it."""
    rules = evaluation.rules
    if rules is None:
        return {"name": "", "title": "", "digest": ""}
    return {"name": one_line(rules.name), "title": one_line(rules.title), "digest": rules.digest}


__all__ = ["DASH", "TYPE_WORDS", "base_context", "is_four_level", "paragraphs", "short_name"]
