"""Verdicts as plain values for the templates: strings already formatted, flags for the branches.

Templates never see a Decimal or None, so they cannot print 'None' or an unrounded figure.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from xlreport.core.model import BudgetResult, IndicatorResult, Kind
from xlreport.core.values import (
    canonical_unit,
    display_text,
    fmt,
    fmt_percent,
    fmt_score,
    round2,
    written_unit,
)

HUNDRED = Decimal(100)
# Where a 偏差原因 turns from the cause to what the unit will do about it.
_MEASURE = re.compile(r"(下一步|下步|下一阶段|下阶段|下一年度|今后)")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_END = tuple("。！？；.!?;…）)”\"")


def one_line(text: object) -> str:
    """User text for inline use: one line, trimmed, no control characters."""
    if text is None:
        return ""
    parts = [p.strip() for p in str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n") if p.strip()]
    joined = ""
    for p in parts:
        if joined and not joined.endswith(_END) and not joined.endswith(("：", ":", "，", ",", "、")):
            joined += "；"
        joined += p
    return _CONTROL.sub("", joined).replace("\t", " ")


def _quantity(value: Decimal | None, unit: str) -> str:
    return "" if value is None else f"{fmt(value)}{unit}"


def _bounds(res: IndicatorResult) -> tuple[str, str]:
    """(lower, upper) bound of the target as plain quantities ('90%', '100%'), '' when none."""
    t = res.target
    if t is None or getattr(t, "kind", None) not in ("number", "range"):
        return "", ""
    unit = t.unit or res.source.field("unit").text or ""
    written = written_unit(display_text(t.text))
    if written and canonical_unit(written) == canonical_unit(unit):
        unit = written  # '1次/月' as the unit wrote it, not the canonical '1次/个月'
    if t.kind == "range":
        return _quantity(t.low, unit), _quantity(t.high, unit)
    op = getattr(t.op, "name", "")
    value = _quantity(t.value, unit)
    if op in ("GE", "GT"):
        return value, ""
    if op in ("LE", "LT"):
        return "", value
    return value, value


def measure_of(deviation: str) -> str:
    """The measure part of a 偏差原因 ('…滞后。下一步将…' -> '下一步将…'), '' when it gives none."""
    m = _MEASURE.search(deviation or "")
    return deviation[m.start():].strip() if m else ""


def indicator_view(res: IndicatorResult, budget: BudgetResult | None = None) -> dict[str, Any]:
    src = res.source
    low, high = _bounds(res)
    score = res.final if res.final is not None else res.suggested
    explanation = one_line(src.text("explanation"))
    target = display_text(one_line(res.target_shown))  # half-width, one %, as the values layer shows it
    actual = display_text(one_line(res.actual_shown))
    a, t = res.actual, res.target
    unit = (getattr(t, "unit", None) or src.field("unit").text or "") if t is not None else ""
    if (a is not None and getattr(a, "kind", None) == "number" and not getattr(a, "unit", None) and unit
            and actual and not actual.endswith(unit)):
        actual += unit  # '7' against '6-9个月' is 7个月
    qualitative = res.method == "定性" or res.kind is Kind.TEXT
    budget_rate = res.kind is Kind.BUDGET_RATE
    return {
        "name": one_line(src.name) or f"第{src.row}行指标",
        "status": str(res.status),
        "method": str(res.method),
        "kind": str(res.kind),
        "rule": str(res.rule),
        "degree": str(res.degree) if res.degree else "",
        "miss": str(res.miss) if res.miss else "",
        "blocker": str(res.blocker) if res.blocker else "",
        "qualitative": qualitative,
        "budget_rate": budget_rate,
        "target": target,
        "actual": actual,
        "same": bool(target) and target == actual,  # '显著提升' against '显著提升': say it once
        "low": low,
        "high": high,
        "weight": fmt(res.weight) if res.weight is not None else "",
        "score": fmt_score(score) if score is not None else "",
        "suggested": fmt_score(res.suggested) if res.suggested is not None else "",
        "full": score is not None and res.weight is not None and score == res.weight,
        "zero": score is not None and score == 0,
        "share_pct": fmt(round2(res.share * HUNDRED)) if res.share is not None else "",
        "manual": res.manual,
        "manual_reason": one_line(res.manual_reason),
        "explanation": explanation,
        "deviation": one_line(src.text("deviation")),
        "measure": measure_of(one_line(src.text("deviation"))),
        "says_score": bool(re.search(r"得(满分|[0-9０-９.]+分)|不得分|不计分", explanation)),
        "says_default": "缺省" in explanation,
        "last_year": one_line(src.text("last_year")),
        # rules a profile applied on top of the score (deductions, caps), each already worded
        "adjustments": [one_line(getattr(a, "text", a)) for a in getattr(res, "adjustments", None) or []],
        "exec_rate": fmt_percent(budget.rate) if budget_rate and budget is not None and budget.rate is not None else "",
        "annual": fmt(budget.annual) if budget_rate and budget is not None and budget.annual is not None else "",
        "executed": fmt(budget.executed) if budget_rate and budget is not None and budget.executed is not None else "",
    }


def budget_view(b: BudgetResult) -> dict[str, Any]:
    threshold = b.threshold if b.threshold is not None else Decimal(90)
    scored = b.weight is not None and b.weight > 0
    unspent = b.annual - b.executed if b.annual is not None and b.executed is not None else None
    return {
        "scored": scored,
        "method": b.method or "比例",
        "rule": str(b.rule),
        "weight": fmt(b.weight) if b.weight is not None else "0",
        "threshold": f"{fmt(threshold)}%",
        "annual": fmt(b.annual) if b.annual is not None else "",
        "executed": fmt(b.executed) if b.executed is not None else "",
        "initial": fmt(b.initial) if b.initial is not None else "",
        "rate": fmt_percent(b.rate) if b.rate is not None else "",
        "has_rate": b.rate is not None,
        "rate_ok": b.rate is not None and b.rate >= threshold,
        "score": fmt_score(b.score) if b.score is not None else "",
        "full": scored and b.score is not None and b.score == b.weight,
        "zero": scored and b.score is not None and b.score == 0,
        "unspent": fmt(unspent) if unspent is not None and unspent > 0 else "",
        "adjustments": [one_line(a.text) for a in b.adjustments],
    }


__all__ = ["budget_view", "indicator_view", "one_line"]
