"""Score a workbook by the rules of a rules profile (财预〔2020〕10号 by default; docs/rules.md).

Pure: takes a :class:`WorkbookInput`, returns an :class:`Evaluation`. All arithmetic is
``decimal.Decimal``, rounded half-up to 2 places at indicator level; totals are sums of
rounded scores. The profile's parameters (rules.py) replace the national constants; the
deductions a profile adds are applied by adjustments.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from xlreport.core import schema
from xlreport.core.grid import RawCell
from xlreport.core.model import (
    Blocker,
    BudgetInput,
    BudgetResult,
    Degree,
    Evaluation,
    Field,
    GroupResult,
    IndicatorResult,
    IndicatorRow,
    Kind,
    Method,
    Miss,
    Rule,
    Status,
    WorkbookInput,
)
from xlreport.core.problems import Level, Problem, problem
from xlreport.core.rules import RulesProfile, default_profile
from xlreport.core.values import (
    Actual,
    Op,
    Target,
    change_direction,
    convert,
    display_text,
    displayed_places,
    fmt,
    fmt_percent,
    fmt_score,
    is_qualitative_nature,
    nature_op,
    parse_actual,
    parse_number,
    parse_target,
    round2,
    same_at_display,
    written_op,
)

HUNDRED = Decimal(100)
POSITIVE_WORDS = ("符合", "达成", "完成", "是", "合规", "规范", "有效", "健全", "合理", "科学", "细化",
                  "全覆盖", "及时", "准确", "落实", "已", "优", "良好", "达标", "到位", "完善", "满足",
                  "完整", "提升", "提高", "显著", "满意", "正常", "按时", "齐全", "实现", "达到")
PARTIAL_WORDS = ("基本", "部分", "较好", "一般")
ZERO_WORDS = frozenset({"零", "未发生", "没有发生", "无发生", "未出现", "没有出现", "没有", "杜绝", "无此情况"})
NEGATIVE_START = ("未", "不", "否", "没有", "无法", "尚未")


# Budget --------------------------------------------------------------------------------
def score_budget(budget: BudgetInput, problems: list[Problem], needs_rate: bool) -> BudgetResult:
    total = budget.lines.get("total")
    annual = total.annual if total else None
    executed = total.executed if total else None
    initial = total.initial if total else None
    rate: Decimal | None = None

    for line in budget.lines.values():
        for key in ("initial", "annual", "executed"):
            value = getattr(line, key)
            if value is not None and value < 0:
                ref = line.refs.get(key)
                problems.append(problem("budget-negative", ref.sheet if ref else schema.SHEET_BUDGET,
                                        ref.a1 if ref else None, name=line.label,
                                        column=_budget_column(key), value=fmt(value)))
        if line.annual is not None and line.executed is not None and line.executed > line.annual:
            ref = line.refs.get("executed")
            problems.append(problem("budget-overspent", ref.sheet if ref else schema.SHEET_BUDGET,
                                    ref.a1 if ref else None, name=line.label,
                                    executed=fmt(line.executed), annual=fmt(line.annual)))
    groups = sorted({line.group for key, line in budget.lines.items() if key != "total"})
    for group in groups if total is not None else ():
        # 部门整体支出 forms split the total twice (by source, by use); each split adds up alone
        parts = [line for key, line in budget.lines.items() if key != "total" and line.group == group]
        for key in ("initial", "annual", "executed"):
            values = [getattr(p, key) for p in parts if getattr(p, key) is not None]
            whole = getattr(total, key)
            if values and whole is not None and sum(values) != whole:
                ref = total.refs.get(key)
                problems.append(problem("budget-subrows", ref.sheet if ref else schema.SHEET_BUDGET,
                                        ref.a1 if ref else None, column=_budget_column(key),
                                        parts=fmt(sum(values)), total=fmt(whole)))
            elif values and whole is None and key in ("annual", "executed") and group != "expense":
                # Only the sub-rows were filled: their sum is the total a unit means.
                ref = total.refs.get(key)
                problems.append(problem("budget-total-derived", ref.sheet if ref else schema.SHEET_BUDGET,
                                        ref.a1 if ref else None, column=_budget_column(key),
                                        parts=fmt(sum(values))))
                if key == "annual":
                    annual = sum(values)
                else:
                    executed = sum(values)
    for line in budget.allocations:
        parts = [v for v in (line.central, line.provincial, line.local) if v is not None]
        if line.subtotal is not None and parts and sum(parts) != line.subtotal:
            ref = line.subtotal_ref
            problems.append(problem("allocation-subtotal", ref.sheet if ref else schema.SHEET_BUDGET,
                                    ref.a1 if ref else None,
                                    seq=line.seq or line.row, subtotal=fmt(line.subtotal),
                                    computed=fmt(sum(parts))))

    if annual is not None and annual > 0 and executed is not None and executed >= 0:
        rate = round2(executed / annual * HUNDRED)
    elif budget.weight > 0 or needs_rate:
        ref = total.refs.get("annual") if total else None
        if not (total and annual is not None and annual < 0):
            problems.append(problem("budget-missing", ref.sheet if ref else schema.SHEET_BUDGET,
                                    ref.a1 if ref else None))

    if rate is not None and budget.stated_rate is not None and \
            not same_at_display(budget.stated_rate, executed / annual * HUNDRED, budget.stated_places):
        ref = budget.rate_ref
        problems.append(problem("rate-mismatch", ref.sheet, ref.a1, stated=fmt_percent(budget.stated_rate),
                                computed=fmt_percent(rate)))
    threshold = budget.threshold if budget.threshold is not None else Decimal(90)
    score: Decimal | None = None
    rule = Rule.NONE
    if budget.weight > 0 and rate is not None:
        if budget.method == "达标":
            score = budget.weight if rate >= threshold else Decimal(0)
            rule = Rule.FULL if rate >= threshold else Rule.THRESHOLD
        else:
            # the exact ratio, rounded once (rounding the displayed rate first could move a cent)
            score = round2(budget.weight * min(executed / annual, Decimal(1)))
            rule = Rule.FULL if score == budget.weight else Rule.RATIO
    return BudgetResult(annual=annual, executed=executed, initial=initial, rate=rate,
                        weight=budget.weight, method=budget.method, threshold=threshold,
                        score=score, rule=rule)


def _exact_rate(budget: BudgetResult) -> Decimal:
    """The unrounded execution rate in percent, for checking a stated rate at its own precision."""
    if budget.annual and budget.executed is not None:
        return budget.executed / budget.annual * HUNDRED
    return budget.rate or Decimal(0)


def _budget_column(key: str) -> str:
    return {"initial": "年初预算数", "annual": "全年预算数", "executed": "全年执行数"}[key]


# Indicators ----------------------------------------------------------------------------
@dataclass
class _Ctx:
    problems: list[Problem]
    default_handling: str
    budget: BudgetResult
    rules: RulesProfile = field(default_factory=default_profile)


def _p(ctx: _Ctx, code: str, f: Field | None, **fields) -> None:
    ref = f.ref if f is not None else None
    ctx.problems.append(problem(code, ref.sheet if ref else schema.SHEET_INDICATORS,
                                ref.a1 if ref else None, **fields))


def _display_actual(actual: Actual, target: Target | None = None) -> str:
    if actual.kind == "number" and actual.value is not None:
        # a bare 89.974 scored against ≤90万元 was read in the target's unit: show it so
        unit = actual.unit or (target.unit if target is not None and target.kind in ("number", "range") else None)
        return f"{fmt(actual.value)}{unit or ''}"
    return display_text(actual.text)


def _display_target(target: Target, unit_col: str) -> str:
    if target.kind in ("number", "range"):
        shown = display_text(target.text, target.unit or unit_col or None)
        if target.kind == "number" and target.op not in (None, Op.RANGE) and not target.implicit \
                and not shown.startswith(target.op.value):
            shown = target.op.value + shown  # the operator sits in its own 指标性质/指标方向 column
        return shown
    return display_text(target.text)


def _error_result(row: IndicatorRow, weight: Decimal | None, method: str | None, why: Blocker) -> IndicatorResult:
    return IndicatorResult(source=row, method=Method(method or "比例"), status=Status.ERROR, weight=weight,
                           suggested=None, final=None, blocker=why)


def _infer_degree(target: Target, actual_text: str) -> str | None:
    text = schema.normalize_label(actual_text)
    if not text:
        return None
    if text == schema.normalize_label(target.text):
        return "达成"
    if text.startswith(NEGATIVE_START):
        return "未达成"
    if any(word in text for word in PARTIAL_WORDS):
        return "部分达成"
    if any(word in text for word in POSITIVE_WORDS):
        return "达成"
    return None


def miss_side(target: Target, a: Decimal) -> Miss:
    """Below a lower bound or above an upper one (for the wording: 未达到 / 超过上限)."""
    if target.kind == "range":
        return Miss.BELOW if target.low is not None and a < target.low else Miss.ABOVE
    if target.op in (Op.LE, Op.LT):
        return Miss.ABOVE
    if target.op in (Op.GE, Op.GT) or target.value is None:
        return Miss.BELOW
    return Miss.BELOW if a < target.value else Miss.ABOVE


def _compare(target: Target, a: Decimal) -> tuple[bool, Decimal | None]:
    """(met, share) for a quantitative comparison; share is the 比例 score share when missed."""
    t = target.value
    op = target.op
    if target.kind == "range":
        low, high = target.low, target.high
        if low <= a <= high:
            return True, None
        if a < low:
            return False, (a / low if low > 0 else Decimal(0))
        return False, (high / a if a > 0 else Decimal(0))
    if op is Op.GE:
        met = a >= t
    elif op is Op.GT:
        met = a > t
    elif op is Op.LE:
        met = a <= t
    elif op is Op.LT:
        met = a < t
    else:
        met = a == t
    if met:
        return True, None
    if t == 0:
        return False, Decimal(0)
    if op in (Op.GE, Op.GT):
        share = a / t
    elif op in (Op.LE, Op.LT):
        share = t / a if a > 0 else Decimal(0)
    else:
        share = min(a, t) / max(a, t) if max(a, t) > 0 else Decimal(0)
    return False, max(Decimal(0), min(share, Decimal(1)))


def _ratio(target: Target, a: Decimal) -> Decimal | None:
    """actual ÷ target for a plain numeric target (what 'exceeded' and 'deviated' compare)."""
    if target.kind != "number" or target.value is None or target.value <= 0:
        return None
    return a / target.value


def _exceeded(target: Target, a: Decimal, rules: RulesProfile) -> bool:
    ratio = _ratio(target, a)
    if ratio is None:
        return False
    if target.op in (Op.GE, Op.GT):
        return ratio >= rules.exceeded_high
    if target.op in (Op.LE, Op.LT):
        return ratio <= rules.exceeded_low
    return False


def _relative(target: Target, actual: Actual, last_year: Decimal | None) -> tuple[bool, Decimal | None] | None:
    """Compare against last year. None means 上年值 is needed and missing."""
    required = target.value or Decimal(0)
    if actual.kind == "change":
        change = actual.value
        if change is None:  # '提高' / '有所下降' with no figure: only the direction is known
            direction = change_direction(actual)
            if direction is None or required != 0:
                return None
            change = Decimal("0.01") * direction
        if actual.unit == "%" and target.unit == "百分点" or actual.unit == "百分点" and target.unit == "%":
            if required != 0:
                return None
        met, _ = _compare(Target(target.text, "number", target.op, required, None, None, None), change)
        if met:
            return True, None
        if required > 0 and change > 0:
            return False, min(change / required, Decimal(1))
        return False, Decimal(0)
    if actual.kind == "number" and actual.value is not None:
        if last_year is None:
            return None
        if target.unit == "%" and required != 0:
            level = last_year * (1 + required / HUNDRED)
        else:
            level = last_year + required
        return _compare(Target(target.text, "number", target.op, level, None, None, None), actual.value)
    return None


def score_indicator(row: IndicatorRow, ctx: _Ctx) -> IndicatorResult:
    """Score one row into a typed verdict, with the target and actual as sentences show them."""
    shown: dict[str, object] = {}
    result = _score_indicator(row, ctx, shown)
    result.target_shown = str(shown.get("target", ""))
    result.actual_shown = str(shown.get("actual", ""))
    if result.target is None:
        result.target = shown.get("target_parsed")
    if result.actual is None:
        result.actual = shown.get("actual_parsed")
    if result.kind is Kind.NUMBER and isinstance(result.target, Target):
        result.kind = Kind(result.target.kind)
    if schema.is_budget_rate_name(row.name):
        result.kind = Kind.BUDGET_RATE
    return result


def _score_indicator(row: IndicatorRow, ctx: _Ctx, shown: dict[str, str]) -> IndicatorResult:
    name = row.name or f"第{row.row}行"
    f_weight, f_target, f_actual = row.field("weight"), row.field("target"), row.field("actual")
    f_unit, f_nature, f_method = row.field("unit"), row.field("nature"), row.field("method")
    f_degree = row.field("degree")
    unit_col = f_unit.text

    if row.field("name").is_blank:
        _p(ctx, "indicator-name-missing", row.field("name"))
    # Weight
    weight: Decimal | None = None
    if f_weight.unusable:
        pass
    elif f_weight.is_blank:
        _p(ctx, "weight-missing", f_weight, name=name)
    else:
        weight = parse_number(f_weight.value, f_weight.raw.number_format)
        if weight is None or weight <= 0:
            _p(ctx, "weight-invalid", f_weight, name=name, value=f_weight.text)
            weight = None

    # Nature and method
    nature: str | None = None
    if not f_nature.is_blank and not f_nature.unusable:
        if nature_op(f_nature.text) is not None or is_qualitative_nature(f_nature.text):
            nature = f_nature.text
        else:
            _p(ctx, "nature-invalid", f_nature, name=name, value=f_nature.text)
    method: str | None = None
    if not f_method.is_blank and not f_method.unusable:
        if f_method.text in schema.METHODS:
            method = f_method.text
        else:
            _p(ctx, "method-invalid", f_method, name=name, value=f_method.text)
            return _error_result(row, weight, "比例", Blocker.METHOD_INVALID)

    # Target
    f_target = _constant_formula_as_text(f_target)
    if f_target.unusable:
        return _error_result(row, weight, method or "比例", Blocker.TARGET_CELL)
    if f_target.is_blank:
        _p(ctx, "target-missing", f_target, name=name)
        return _error_result(row, weight, method or "比例", Blocker.TARGET_MISSING)
    target = parse_target(f_target.value, f_target.raw.number_format, nature, unit_col or None)
    declared_op = nature_op(nature) if nature else None
    typed_op = written_op(f_target.value, f_target.raw.number_format)
    if declared_op is not None and typed_op is not None and declared_op is not typed_op:
        _p(ctx, "nature-conflict", f_nature, name=name, nature=nature, value=f_target.text, op=typed_op.value)
    if declared_op is Op.RANGE and target.kind != "range":
        _p(ctx, "target-unreadable", f_target, name=name, value=f_target.text,
           reason="指标性质为“区间”，但指标值不是“6-9”这样的区间")
        return _error_result(row, weight, method or "比例", Blocker.TARGET_UNREADABLE)
    if target.kind == "text" and method in ("比例", "达标"):
        _p(ctx, "method-not-applicable", f_method, name=name, value=target.text, method=method)
        method = "定性"
    if method is None:
        method = "定性" if target.kind == "text" else ctx.rules.method
    target_shown = _display_target(target, unit_col)
    shown["target"] = target_shown
    shown["target_parsed"] = target

    # Actual
    budget_rate = schema.is_budget_rate_name(row.name)
    if f_actual.unusable:
        return _error_result(row, weight, method, Blocker.ACTUAL_CELL)
    if budget_rate and ctx.budget.rate is not None:
        computed = ctx.budget.rate
        if not f_actual.is_blank:
            stated = parse_actual(f_actual.value, f_actual.raw.number_format, unit_col or None)
            if stated.kind == "number" and stated.value is not None and not same_at_display(
                    stated.value, _exact_rate(ctx.budget), displayed_places(f_actual.value, f_actual.raw.number_format)):
                ctx.problems.append(problem("rate-mismatch", f_actual.ref.sheet, f_actual.ref.a1,
                                            stated=f"{fmt(stated.value)}%", computed=fmt_percent(computed)))
        actual = Actual(fmt_percent(computed), "number", computed, "%")
    elif f_actual.is_blank:
        _p(ctx, "actual-missing", f_actual, name=name)
        return _error_result(row, weight, method, Blocker.ACTUAL_MISSING)
    else:
        actual = parse_actual(f_actual.value, f_actual.raw.number_format, unit_col or None)
        if actual.kind == "text" and target.kind == "number" and target.value == 0 \
                and schema.normalize_label(actual.text) in ZERO_WORDS:
            actual = Actual(actual.text, "number", Decimal(0), target.unit)  # '未发生' against a target of 0
    actual_shown = _display_actual(actual, target)
    shown["actual"] = actual_shown
    shown["actual_parsed"] = actual

    if weight is None:
        return _error_result(row, None, method, Blocker.WEIGHT_INVALID)

    # 缺省
    if actual.kind == "na":
        if row.field("explanation").is_blank:
            _p(ctx, "default-no-explanation", row.field("explanation") if row.field("explanation").ref else f_actual, name=name)
        if ctx.default_handling == "折算":
            _p(ctx, "default-rescaled", f_actual, name=name)
            return IndicatorResult(row, Method(method), Status.EXCLUDED, weight, None, None,
                                   rule=Rule.DEFAULT_EXCLUDED)
        result = IndicatorResult(row, Method(method), Status.DEFAULT, weight, weight, weight,
                                 rule=Rule.DEFAULT_FULL, share=Decimal(1))
        return _apply_manual(result, row, ctx, None)

    degree: str | None = None
    status: str
    share: Decimal
    if method == "定性" or target.kind == "text" or actual.kind == "text" and target.kind != "relative":
        if target.kind != "text" and actual.kind in ("number", "change") and method == "定性":
            met, _ = _quant_met(target, actual, row, ctx, name, f_actual)
            if met is None:
                return _error_result(row, weight, method, Blocker.NOT_COMPARABLE)
            degree = "达成" if met else None
        given = f_degree.text if not f_degree.is_blank else ""
        if given:
            if given not in schema.DEGREES:
                _p(ctx, "degree-invalid", f_degree, name=name, value=given)
                return _error_result(row, weight, method, Blocker.DEGREE_INVALID)
            degree = given
        elif degree is None:
            if actual.kind == "text" or target.kind == "text":
                degree = _infer_degree(target, actual.text)
            elif target.kind != "text":
                degree = "未达成"
        if degree is None:
            _p(ctx, "degree-unknown", f_degree if f_degree.ref else f_actual, name=name, value=actual.text)
            return _error_result(row, weight, "定性", Blocker.DEGREE_UNKNOWN)
        share = ctx.rules.shares[degree]
        suggested = round2(weight * share)
        status = Status.MET if degree == "达成" else (Status.PARTIAL if degree == "部分达成" else Status.MISSED)
        if degree != "达成" and row.field("deviation").is_blank:
            _p(ctx, "deviation-missing", row.field("deviation") if row.field("deviation").ref else f_actual,
               name=name, target=target_shown, actual=actual_shown)
        result = IndicatorResult(row, Method.QUALITATIVE, status, weight, suggested, suggested,
                                 rule=Rule.DEGREE, degree=Degree(degree), share=share)
        return _apply_manual(result, row, ctx, degree)

    if actual.kind == "text":  # numeric target, words for actual (relative targets included)
        _p(ctx, "actual-unreadable", f_actual, name=name, value=actual.text, target=target_shown,
           reason="指标值是数值，实际完成值却不是数值")
        return _error_result(row, weight, method, Blocker.ACTUAL_UNREADABLE)

    if _percent_as_fraction(target, actual, method, ctx, name, f_actual, target_shown):
        return _error_result(row, weight, method, "实际完成值疑似把百分比写成了小数")
    met, share_missed = _quant_met(target, actual, row, ctx, name, f_actual)
    if met is None:
        return _error_result(row, weight, method, Blocker.NOT_COMPARABLE)
    a_value = _converted_actual(target, actual)
    miss: Miss | None = None
    if met:
        suggested = weight
        share = Decimal(1)
        rule = Rule.FULL
        status = Status.EXCEEDED if a_value is not None and _exceeded(target, a_value, ctx.rules) else Status.MET
        if status is Status.EXCEEDED and row.field("deviation").is_blank:
            _p(ctx, "exceeded-no-analysis", row.field("deviation") if row.field("deviation").ref else f_actual,
               name=name, target=target_shown, actual=actual_shown)
    else:
        status = Status.MISSED
        if a_value is not None and target.kind in ("number", "range"):
            miss = miss_side(target, a_value)
        elif target.kind == "relative":
            miss = Miss.ABOVE if target.op in (Op.LE, Op.LT) else Miss.BELOW
        if method == "达标":
            suggested, share, rule = Decimal(0), Decimal(0), Rule.THRESHOLD
        else:
            share = share_missed or Decimal(0)
            suggested, rule = round2(weight * share), Rule.RATIO
        if row.field("deviation").is_blank:
            _p(ctx, "deviation-missing", row.field("deviation") if row.field("deviation").ref else f_actual,
               name=name, target=target_shown, actual=actual_shown)
    result = IndicatorResult(row, Method(method), status, weight, suggested, suggested, rule=rule, share=share,
                             miss=miss)
    if met and a_value is not None:
        result.ratio = _ratio(target, a_value)
        result.lower_is_better = target.op in (Op.LE, Op.LT)
    return _apply_manual(result, row, ctx, None)


_CONSTANT_FORMULA = re.compile(r"=?\s*[-+]?\d+(?:\.\d+)?\s*%?")


def _constant_formula_as_text(f: Field) -> Field:
    """A target typed as '=100' becomes a formula in Excel; the user meant 'exactly 100'."""
    formula = f.raw.formula
    if formula and _CONSTANT_FORMULA.fullmatch(formula.strip()):
        text = "=" + formula.strip().lstrip("=").strip()
        return Field(RawCell(text, "General"), f.ref)
    return f


def _percent_as_fraction(target: Target, actual: Actual, method: str, ctx: _Ctx, name: str,
                         f_actual: Field, target_shown: str) -> bool:
    """0.97 in a General cell against ≥95%: if reading it as 97% would change the score, the
    tool cannot know which was meant, so it asks (an error) instead of guessing."""
    bound = target.value if target.kind == "number" else target.low
    if not (target.unit == "%" and actual.kind == "number" and actual.value is not None
            and actual.unit is None and 0 < actual.value <= 1 and bound is not None and bound > 1):
        return False
    as_written, as_percent = _compare(target, actual.value), _compare(target, actual.value * HUNDRED)
    if method == "达标":
        as_written, as_percent = as_written[0], as_percent[0]
    if as_written == as_percent:
        return False
    _p(ctx, "percent-as-fraction", f_actual, name=name, target=target_shown, value=fmt(actual.value),
       percent=fmt(actual.value * HUNDRED))
    return True


def _converted_actual(target: Target, actual: Actual) -> Decimal | None:
    if actual.kind != "number" or actual.value is None:
        return None
    return convert(actual.value, actual.unit, target.unit)


def _quant_met(target: Target, actual: Actual, row: IndicatorRow, ctx: _Ctx, name: str,
               f_actual: Field) -> tuple[bool | None, Decimal | None]:
    if target.kind == "relative":
        last = row.field("last_year")
        last_year = None
        if not last.is_blank and not last.unusable:
            parsed = parse_actual(last.value, last.raw.number_format, row.field("unit").text or None)
            if parsed.kind == "number" and parsed.value is not None:
                last_year = convert(parsed.value, parsed.unit, actual.unit) if actual.unit else parsed.value
        outcome = _relative(target, actual, last_year)
        if outcome is None:
            _p(ctx, "last-year-missing", last if last.ref else f_actual, name=name, value=target.text)
            return None, None
        return outcome
    if actual.kind == "change":
        _p(ctx, "actual-unreadable", f_actual, name=name, value=actual.text, target=target.text,
           reason="指标值是具体数值，实际完成值却是增减幅度")
        return None, None
    value = _converted_actual(target, actual)
    if value is None:
        _p(ctx, "unit-mismatch", f_actual, name=name, target_unit=target.unit or "", actual_unit=actual.unit or "")
        return None, None
    return _compare(target, value)


def _apply_manual(result: IndicatorResult, row: IndicatorRow, ctx: _Ctx, degree: str | None) -> IndicatorResult:
    f_manual, f_reason = row.field("manual_score"), row.field("manual_reason")
    if f_manual.is_blank or f_manual.unusable:
        return result
    name = row.name
    weight = result.weight or Decimal(0)
    value = parse_number(f_manual.value, f_manual.raw.number_format)
    if value is None:
        _p(ctx, "manual-score-invalid", f_manual, name=name, value=f_manual.text)
        return _with_final(result, None)
    if not (0 <= value <= weight):
        _p(ctx, "manual-score-range", f_manual, name=name, value=fmt(value), weight=fmt(weight))
        return _with_final(result, None)
    if f_reason.is_blank:
        _p(ctx, "manual-score-no-reason", f_reason if f_reason.ref else f_manual, name=name, value=fmt(value))
        return _with_final(result, None)
    if degree is not None:
        low, high = ctx.rules.bands[degree]
        lo, hi = round2(weight * low), round2(weight * high)
        if not (lo <= value <= hi):
            _p(ctx, "manual-score-band", f_manual, name=name, degree=degree, low=fmt(lo), high=fmt(hi),
               weight=fmt(weight), value=fmt(value))
            return _with_final(result, None)
    value = round2(value)
    reason = f_reason.text
    _p(ctx, "manual-score-used", f_manual, name=name, value=fmt_score(value),
       suggested=fmt_score(result.suggested) if result.suggested is not None else "—", reason=reason)
    result.final = value
    result.manual = True
    result.manual_reason = reason
    return result


def _with_final(result: IndicatorResult, final: Decimal | None) -> IndicatorResult:
    result.final = final
    result.status = Status.ERROR
    result.blocker = Blocker.MANUAL_INVALID
    return result


# Groups, totals, grade -----------------------------------------------------------------
def build_groups(results: list[IndicatorResult], problems: list[Problem]) -> list[GroupResult]:
    groups: dict[str, GroupResult] = {}
    for res in results:
        src = res.source
        g1 = groups.get(src.level1)
        if g1 is None:
            g1 = groups[src.level1] = GroupResult(1, src.level1, src.level1_declared, Decimal(0), Decimal(0), True)
        elif g1.declared is None and src.level1_declared is not None:
            g1.declared = src.level1_declared
        g2 = next((g for g in g1.children if g.name == src.level2), None)
        if g2 is None:
            g2 = GroupResult(2, src.level2, src.level2_declared, Decimal(0), Decimal(0), True)
            g1.children.append(g2)
        elif g2.declared is None and src.level2_declared is not None:
            g2.declared = src.level2_declared
        g2.indicators.append(res)
        g1.indicators.append(res)
        for g in (g1, g2):
            if res.weight is not None and res.status != "excluded":
                g.weight += res.weight
            if res.final is not None:
                g.score += res.final
            elif res.status != "excluded":
                g.complete = False
    for g1 in groups.values():
        for g in (g1, *g1.children):
            if g.declared is None:
                continue
            children_weight = sum((r.weight or Decimal(0)) for r in g.indicators)
            if g.declared != children_weight:
                first = g.indicators[0].source
                col = "level1" if g.level == 1 else "level2"
                f = first.field(col)
                # the label sits on the group's first row, or above it when blank (same as above)
                problems.append(problem("declared-weight-mismatch", schema.SHEET_INDICATORS,
                                        f.ref.a1 if f.ref else None, name=g.name or "（空）",
                                        declared=fmt(g.declared), actual=fmt(children_weight)))
    return list(groups.values())


def grade_of(total: Decimal, grades: tuple[tuple[Decimal, str], ...]) -> str | None:
    for bound, name in grades:
        if total >= bound:
            return name
    return grades[-1][1] if grades else None


def _check_duplicates(results: list[IndicatorResult], problems: list[Problem]) -> None:
    seen: dict[tuple[str, str, str], IndicatorRow] = {}
    for res in results:
        src = res.source
        key = (src.level1, src.level2, schema.normalize_label(src.name))
        if not src.name:
            continue
        if key in seen:
            f = src.field("name")
            problems.append(problem("duplicate-indicator", schema.SHEET_INDICATORS, f.ref.a1 if f.ref else None,
                                    group=src.level2 or src.level1, name=src.name,
                                    other=f"第{seen[key].row}行"))
        else:
            seen[key] = src


_STATED_RATE = re.compile(r"(?:预算|资金)?执行率(?:为|达到|达|是|约)?\s*[:：]?\s*(\d+(?:\.\d+)?)\s*[%％]")


def _check_stated_rates(wb: WorkbookInput, budget: BudgetResult, problems: list[Problem]) -> None:
    """Prose that quotes an execution rate must agree with the budget figures (the seeds show
    slips such as 81.62% stated where the figures give 80.62%)."""
    if budget.rate is None:
        return
    fields = [f for key, f in wb.info.fields.items() if key in ("goal_done", "goal")]
    texts = [(f.text, f.ref) for f in fields]
    texts += [(s.content, s.ref) for s in wb.snippets.values()]
    texts += [(row.text("explanation"), row.field("explanation").ref) for row in wb.indicators]
    for text, ref in texts:
        if not text or ref is None:
            continue
        for m in _STATED_RATE.finditer(unicodedata.normalize("NFKC", text)):
            stated = Decimal(m.group(1))
            if not same_at_display(stated, _exact_rate(budget), displayed_places(m.group(1))):
                problems.append(problem("rate-mismatch", ref.sheet, ref.a1, stated=f"{fmt(stated)}%",
                                        computed=fmt_percent(budget.rate)))
                break


def _check_snippets(wb: WorkbookInput, problems: list[Problem]) -> None:
    for spec in schema.SNIPPETS_BY_TYPE.get(wb.info.report_type, ()):
        snippet = wb.snippets.get(spec.key)
        if snippet is not None and snippet.content:
            continue
        ref = snippet.ref if snippet else None
        code = "snippet-generated" if spec.generated else "snippet-empty"
        problems.append(problem(code, ref.sheet if ref else schema.SHEET_TEXTS, ref.a1 if ref else None,
                                name=spec.key))


def evaluate(wb: WorkbookInput, problems: list[Problem] | None = None,
             rules: RulesProfile | None = None) -> Evaluation:
    """Score everything that can be scored; errors leave the total incomplete, never wrong.

    ``rules`` None: the profile the workbook's 评分规则 names (national when blank).
    """
    from xlreport.core.adjustments import apply_deviations, apply_total_rules
    from xlreport.core.ruleset import MetaRules, apply_settings, choose_profile

    problems = list(problems or [])
    if rules is None:
        rules = choose_profile(wb, MetaRules(), None, problems)
    wb = apply_settings(wb, rules, problems)
    rate_rows = [row for row in wb.indicators if schema.is_budget_rate_name(row.name)]
    # The budget figures are needed when the rate is scored on the budget sheet, or as an
    # indicator whose 实际完成值 was left blank to be taken from them.
    budget = score_budget(wb.budget, problems, needs_rate=any(r.field("actual").is_blank for r in rate_rows))
    if wb.budget.weight > 0 and rate_rows:
        f = rate_rows[0].field("name")
        problems.append(problem("budget-double-count", schema.SHEET_BUDGET,
                                wb.budget.weight_ref.a1 if wb.budget.weight_ref else None,
                                weight=fmt(wb.budget.weight), where=f"绩效指标!{f.ref.a1}" if f.ref else "绩效指标"))
    ctx = _Ctx(problems, wb.info.default_handling, budget, rules)
    results = [score_indicator(row, ctx) for row in wb.indicators]
    adjustments = apply_deviations(results, rules, problems)
    _check_duplicates(results, problems)
    groups = build_groups(results, problems)

    indicator_weights = sum((r.weight for r in results if r.weight is not None), Decimal(0))
    weight_total = indicator_weights + wb.budget.weight
    weights_known = all(r.weight is not None for r in results)
    if weights_known and weight_total != HUNDRED:
        header = wb.weight_header
        problems.append(problem("weight-total", header.sheet if header else schema.SHEET_INDICATORS,
                                header.a1 if header else None, indicators=fmt(indicator_weights),
                                budget=fmt(wb.budget.weight), total=fmt(weight_total)))
    _check_snippets(wb, problems)
    _check_stated_rates(wb, budget, problems)

    raw_total = sum((r.final for r in results if r.final is not None), Decimal(0))
    if budget.score is not None:
        raw_total += budget.score
    rescaled = False
    excluded = sum((r.weight for r in results if r.status == "excluded" and r.weight), Decimal(0))
    total: Decimal | None = raw_total
    if excluded > 0:
        rescaled = True
        base = weight_total - excluded
        total = round2(raw_total / base * HUNDRED) if base > 0 else Decimal(0)
    total = round2(total)
    total = apply_total_rules(total, wb.budget, budget, results, rules, problems, adjustments)
    complete = not any(p.level is Level.ERROR for p in problems)
    if not complete:
        total = None
    grade = grade_of(total, wb.info.grades) if total is not None else None
    if not complete:
        count = sum(1 for p in problems if p.level is Level.ERROR)
        problems.append(problem("score-incomplete", None, None, count=count))
    return Evaluation(input=wb, budget=budget, indicators=results, groups=groups, total=total,
                      raw_total=round2(raw_total), grade=grade, complete=complete, rescaled=rescaled,
                      problems=problems, rules=rules, adjustments=adjustments)


__all__ = ["evaluate", "fmt", "fmt_percent", "fmt_score", "grade_of", "round2"]
