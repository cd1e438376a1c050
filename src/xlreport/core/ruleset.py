"""Which rules profile scores a workbook, and the settings it fixes.

Chosen once, applied everywhere: a profile given by the caller (``--rules``, the mail
processor's office profile) wins over the workbook's 评分规则 field, which wins over a profile
the template carried in ``_meta``; with none of these, the national profile. When the caller's
profile differs from the one the workbook names, the workbook is told so.

A profile with ``workbook_settings = false`` fixes 缺省指标处理, 等级划分 and the budget
method/threshold whatever the workbook says (each ignored setting is reported as a 提示);
with ``true`` (the national rules) a setting the unit filled in is honoured, as always.
See docs/rules.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from xlreport.core import schema
from xlreport.core.model import BudgetInput, Field, WorkbookInput
from xlreport.core.problems import Problem, problem
from xlreport.core.rules import (
    RulesError,
    RulesProfile,
    builtin_profiles,
    default_profile,
    find_builtin,
    parse_profile,
)

MAX_META_SOURCE = 32000  # an Excel cell holds at most 32767 characters


@dataclass(frozen=True)
class MetaRules:
    """The profile a workbook's ``_meta`` sheet names (written by ``new --rules`` or a build)."""

    name: str | None = None
    digest: str | None = None
    source: str | None = None

    @classmethod
    def from_meta(cls, meta: dict) -> MetaRules:
        def text(key: str) -> str | None:
            value = meta.get(key)
            return value.strip() if isinstance(value, str) and value.strip() else None

        return cls(text("rules_name"), text("rules_hash"), text("rules_source"))


def meta_rules_rows(rules: RulesProfile) -> list[tuple[str, str]]:
    """The profile a workbook carries in _meta: its name and hash, and its text when not built in."""
    rows = [("rules_name", rules.name), ("rules_hash", rules.digest)]
    if not rules.builtin and len(rules.source) <= MAX_META_SOURCE:
        rows.append(("rules_source", rules.source))
    return rows


def _carried(meta: MetaRules) -> RulesProfile | None:
    """A profile whose text the workbook carries; None if absent or no longer valid."""
    if not meta.source:
        return None
    try:
        return parse_profile(meta.source, "工作簿携带的评分规则")
    except RulesError:
        return None


def choose_profile(wb: WorkbookInput, meta: MetaRules, explicit: RulesProfile | None,
                   problems: list[Problem], by: str = "汇总单位") -> RulesProfile:
    """The profile to score with; problems say what was overridden, unknown or changed."""
    field = wb.info.fields.get("rules")
    wanted = field.text if field is not None and not field.is_blank else ""
    where = (field.ref.sheet, field.ref.a1) if field is not None and field.ref else (schema.SHEET_INFO, None)
    carried = _carried(meta)

    named: RulesProfile | None = None
    if wanted:
        named = find_builtin(wanted)
        if named is None and carried is not None and wanted in (carried.name, carried.id):
            named = carried
    elif carried is not None:
        named = carried

    if explicit is not None:
        if wanted and wanted not in (explicit.name, explicit.id):
            problems.append(problem("rules-overridden", *where, wanted=wanted, used=explicit.name, by=by))
        return explicit
    if wanted and named is None:
        problems.append(problem("rules-unknown", *where, value=wanted, builtins="、".join(
            p.name for p in builtin_profiles().values())))
        return default_profile()
    chosen = named or default_profile()
    if meta.digest and meta.name == chosen.name and meta.digest != chosen.digest:
        problems.append(problem("rules-changed", *where, name=chosen.name, old=meta.digest, new=chosen.digest))
    return chosen


def apply_settings(wb: WorkbookInput, profile: RulesProfile, problems: list[Problem]) -> WorkbookInput:
    """The workbook as the profile says to score it (the input itself is never changed)."""
    info, budget = wb.info, wb.budget
    own = profile.workbook_settings
    fields = info.fields

    def typed(key: str) -> Field | None:
        f = fields.get(key)
        return f if f is not None and not f.is_blank else None

    # A setting counts as the workbook's when its cell holds a valid value, or when an input
    # built in memory (no cells) carries a value other than the model's default.
    handling = profile.default_handling
    f = typed("default_handling")
    if (f is not None and f.text in schema.DEFAULT_HANDLING) or (not fields and info.default_handling != "满分"):
        if own:
            handling = info.default_handling
        elif info.default_handling != handling:
            _ignored(problems, f, "缺省指标处理", info.default_handling, handling, profile)

    grades = profile.grades
    f = typed("grades")
    if (f is not None and _grades_given(f)) or (not fields and info.grades):
        if own:
            grades = info.grades
        elif info.grades != profile.grades:
            _ignored(problems, f, "等级划分", f.text if f is not None else "", profile.grades_text, profile)
    new_info = replace(info, default_handling=handling, grades=grades)

    method = profile.budget_method
    if budget.method_ref is not None or budget.method != BudgetInput().method:
        if own:
            method = budget.method
        elif budget.method != method:
            _ignored_at(problems, budget.method_ref, "执行率评分方法", budget.method, method, profile)
    threshold = profile.budget_threshold
    if budget.threshold is not None:
        if own:
            threshold = budget.threshold
        elif budget.threshold != threshold:
            _ignored_at(problems, budget.threshold_ref, "执行率达标值", f"{budget.threshold.normalize():f}%",
                        f"{threshold.normalize():f}%", profile)
    weight = budget.weight
    if budget.weight_ref is None and weight == BudgetInput().weight:  # no 预算执行率分值 cell: the profile's
        weight = profile.budget_points
    elif weight > 0 and weight != profile.budget_points and not own:
        problems.append(problem("rules-budget-points", budget.weight_ref.sheet, budget.weight_ref.a1,
                                rules=profile.name, points=f"{profile.budget_points.normalize():f}",
                                weight=f"{weight.normalize():f}"))
    new_budget = replace(budget, method=method, threshold=threshold, weight=weight)
    return replace(wb, info=new_info, budget=new_budget)


def _grades_given(f: Field) -> bool:
    from xlreport.core.rules import parse_grades

    return parse_grades(f.text) is not None


def _ignored(problems: list[Problem], f: Field | None, name: str, value: str, fixed: str,
             profile: RulesProfile) -> None:
    _ignored_at(problems, f.ref if f is not None else None, name, value, fixed, profile)


def _ignored_at(problems: list[Problem], ref, name: str, value: str, fixed: str, profile: RulesProfile) -> None:
    sheet = ref.sheet if ref is not None else (schema.SHEET_BUDGET if name.startswith("执行率") else schema.SHEET_INFO)
    problems.append(problem("rules-setting-ignored", sheet, ref.a1 if ref is not None else None, name=name,
                            value=value, fixed=fixed, rules=profile.name))


__all__ = ["MetaRules", "apply_settings", "choose_profile", "meta_rules_rows"]
