"""Deductions a rules profile adds to the 财预〔2020〕10号 arithmetic, as typed records.

Two rules of the 预算管理一体化 self-evaluation module (see docs/rules.md):

* **deviation**: a met indicator whose actual is at least ``high`` × target (or, for targets of
  the ≤ kind, at most ``low`` × target) loses ``points``, never below 0;
* **cap**: the total is at most the cap of the tightest execution-rate band the rate falls
  below; the excess is deducted.

Each applied rule is an :class:`Adjustment`; the workbook's 评分结果, the indicator's
评分说明, the budget note and the report's conclusion all print its :attr:`Adjustment.text`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from xlreport.core import schema
from xlreport.core.model import BudgetInput, BudgetResult, IndicatorResult
from xlreport.core.problems import Level, Problem, problem
from xlreport.core.rules import RulesProfile
from xlreport.core.values import fmt_score, round2

HUNDRED = Decimal(100)


class AdjustmentKind(str, Enum):
    DEVIATION = "偏差扣分"
    CAP = "执行率限制总分"


@dataclass(frozen=True)
class Adjustment:
    """One rule applied: what it changed, from what to what, and why (the figures it used)."""

    kind: AdjustmentKind
    subject: str  # the indicator's name, or 总分
    before: Decimal
    after: Decimal
    rate: Decimal | None = None  # CAP: execution rate in percent (2 places)
    limit: Decimal | None = None  # CAP: the band's maximum total
    ratio: Decimal | None = None  # DEVIATION: actual ÷ target
    group: str = ""  # DEVIATION: the 二级指标 whose score includes it
    row: int | None = None  # DEVIATION: the indicator's row on 绩效指标

    @property
    def points(self) -> Decimal:
        return self.before - self.after

    @property
    def text(self) -> str:
        """The sentence every output prints (评分说明, 评分结果, the report)."""
        if self.kind is AdjustmentKind.CAP:
            return (f"执行率{self.rate:.2f}%，按评分规则总分不超过{_n(self.limit)}分，"
                    f"扣减{self.points:.2f}分。")
        share = round2(self.ratio * HUNDRED) if self.ratio is not None else None
        return (f"实际完成值为指标值的{share:.2f}%，按评分规则视为偏差，扣减{_n(self.points)}分，"
                f"得{_n(self.after)}分。")

    @property
    def line(self) -> str:
        """The text with its subject, for lists outside the indicator (report, replies)."""
        if self.kind is AdjustmentKind.CAP:
            return self.text
        return f"指标“{self.subject}”{self.text}"


def _n(value: Decimal | None) -> str:
    """4 -> '4', 3.5 -> '3.50' (scores keep two decimals unless whole)."""
    return "" if value is None else fmt_score(value)


def is_deviated(ratio: Decimal, lower_is_better: bool, profile: RulesProfile) -> bool:
    """Bounds are inclusive: exactly 130% of a ≥ target is deviated, 129.99% is not."""
    rule = profile.deviation
    if rule is None:
        return False
    if lower_is_better:
        return rule.low is not None and ratio <= rule.low
    return ratio >= rule.high


def apply_deviations(results: list[IndicatorResult], profile: RulesProfile,
                     problems: list[Problem] | None = None) -> list[Adjustment]:
    """Deduct from every deviated indicator's 建议得分 and 自评得分; their sentences say so."""
    rule = profile.deviation
    if rule is None:
        return []
    found: list[Adjustment] = []
    for res in results:
        if res.ratio is None or res.final is None or res.status not in ("met", "exceeded"):
            continue
        if not is_deviated(res.ratio, res.lower_is_better, profile):
            continue
        before = res.final
        after = max(Decimal(0), round2(before - rule.points))
        adj = Adjustment(AdjustmentKind.DEVIATION, res.name or f"第{res.source.row}行", before, after,
                         ratio=res.ratio, group=res.source.level2 or res.source.level1, row=res.source.row)
        res.final = after
        if res.suggested is not None:
            res.suggested = max(Decimal(0), round2(res.suggested - rule.points))
        res.adjustments.append(adj)  # the wording layer prints it after the indicator's sentence
        found.append(adj)
        if problems is not None:
            ref = res.source.field("actual").ref
            problems.append(problem("rules-deviation", schema.SHEET_INDICATORS, ref.a1 if ref else None,
                                    name=adj.subject, text=adj.text, rules=profile.name))
    return found


def apply_total_rules(total: Decimal | None, budget_input: BudgetInput, budget: BudgetResult,
                      results: list[IndicatorResult], profile: RulesProfile, problems: list[Problem],
                      adjustments: list[Adjustment]) -> Decimal | None:
    """The cap by execution rate, applied to a total the errors leave complete.

    Returns the total to report; the cap (if any) is appended to ``adjustments`` and noted
    where the rate is scored. A profile with caps and no computable rate is an error.
    """
    if not profile.caps or total is None:
        return total
    if budget.rate is None:  # budget-missing already says why, when the figures are needed anyway
        if all(p.code != "budget-missing" for p in problems):
            problems.append(problem("rules-cap-no-rate", schema.SHEET_BUDGET, None, rules=profile.name))
        return total
    if any(p.level is Level.ERROR for p in problems):
        return total  # incomplete: no total to cap
    cap = apply_cap(total, budget.rate, profile)
    if cap is None:
        return total
    adjustments.append(cap)
    note_cap(cap, budget, results)
    ref = budget_input.rate_ref
    problems.append(problem("rules-capped", ref.sheet if ref else schema.SHEET_BUDGET, ref.a1 if ref else None,
                            text=cap.text, rules=profile.name))
    return cap.after


def apply_cap(total: Decimal, rate: Decimal, profile: RulesProfile) -> Adjustment | None:
    """The cap of the band the (rounded) rate falls in, when the total is above it."""
    band = profile.cap_for(rate)
    if band is None or total <= band.max_total:
        return None
    return Adjustment(AdjustmentKind.CAP, "总分", total, band.max_total, rate=rate, limit=band.max_total)


def note_cap(adj: Adjustment, budget: BudgetResult, results: list[IndicatorResult]) -> None:
    """The cap also belongs in the 评分说明 of whatever scores the execution rate."""
    budget.adjustments.append(adj)
    for res in results:
        if schema.is_budget_rate_name(res.name):
            res.adjustments.append(adj)


__all__ = ["Adjustment", "AdjustmentKind", "apply_cap", "apply_deviations", "apply_total_rules", "is_deviated",
           "note_cap"]
