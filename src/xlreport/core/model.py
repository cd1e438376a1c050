"""The data the core works on: what a workbook says (input) and what it scores (result).

Pure data, no I/O. The report, the workbook write-back, the Excel button and the mail
processor all read the same :class:`Evaluation`, so their numbers always agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from xlreport.core.grid import RawCell, a1
from xlreport.core.problems import Level, Problem

if TYPE_CHECKING:
    from xlreport.core.adjustments import Adjustment
    from xlreport.core.rules import RulesProfile


@dataclass(frozen=True)
class Ref:
    """A cell position, for messages, highlights and hyperlinks."""

    sheet: str
    row: int
    col: int

    @property
    def a1(self) -> str:
        return a1(self.row, self.col)


@dataclass(frozen=True)
class Field:
    """An input value with where it came from."""

    raw: RawCell
    ref: Ref | None

    @property
    def value(self) -> Any:
        return self.raw.value

    @property
    def text(self) -> str:
        v = self.raw.value
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        return str(v).strip()

    @property
    def is_blank(self) -> bool:
        return self.raw.is_blank

    @property
    def unusable(self) -> bool:
        """A value that cannot be trusted (an error value, or a formula without a cached value)."""
        return bool(self.raw.error) or self.raw.missing_cache


EMPTY_FIELD = Field(RawCell(), None)


# Input ---------------------------------------------------------------------------------
@dataclass
class BasicInfo:
    report_type: str = "项目支出"
    year: str = ""
    project: str = ""
    department: str = ""
    unit: str = ""
    goal: str = ""
    goal_done: str = ""
    default_handling: str = "满分"
    grades: tuple[tuple[Decimal, str], ...] = ()  # (lower bound, name), highest first
    contact: str = ""
    phone: str = ""
    email: str = ""
    fields: dict[str, Field] = field(default_factory=dict)


@dataclass
class BudgetLine:
    key: str  # total / appropriation / carryover / other
    label: str
    initial: Decimal | None
    annual: Decimal | None
    executed: Decimal | None
    refs: dict[str, Ref] = field(default_factory=dict)  # column key -> cell
    group: str = ""  # "" (template, project forms), "income" / "expense" (部门整体支出 forms)


@dataclass
class AllocationLine:
    seq: str
    document: str
    central: Decimal | None
    provincial: Decimal | None
    local: Decimal | None
    subtotal: Decimal | None
    row: int
    subtotal_ref: Ref | None = None


@dataclass
class BudgetInput:
    lines: dict[str, BudgetLine] = field(default_factory=dict)
    weight: Decimal = Decimal(10)
    method: str = "比例"
    threshold: Decimal | None = None  # in percent, e.g. Decimal("90")
    stated_rate: Decimal | None = None  # a rate the user typed into the output cell, in percent
    stated_places: int = 2  # decimals the stated rate shows: it is checked at that precision
    rate_ref: Ref | None = None
    score_ref: Ref | None = None
    weight_ref: Ref | None = None
    method_ref: Ref | None = None  # set when the 执行率评分方法 cell holds a valid method
    threshold_ref: Ref | None = None
    allocations: list[AllocationLine] = field(default_factory=list)


@dataclass
class IndicatorRow:
    """One third-level indicator as typed, with 'same as above' already resolved."""

    row: int
    level1: str
    level2: str
    level1_declared: Decimal | None  # '项目产出（35分）' -> 35
    level2_declared: Decimal | None
    cells: dict[str, Field]  # input column key -> field
    output_refs: dict[str, Ref] = field(default_factory=dict)  # output column key -> cell

    def text(self, key: str) -> str:
        f = self.cells.get(key)
        return f.text if f else ""

    def field(self, key: str) -> Field:
        return self.cells.get(key, EMPTY_FIELD)

    @property
    def name(self) -> str:
        return self.text("name")


@dataclass
class SnippetInput:
    key: str
    title: str
    content: str
    ref: Ref | None


@dataclass
class WorkbookInput:
    info: BasicInfo
    budget: BudgetInput
    indicators: list[IndicatorRow]
    snippets: dict[str, SnippetInput]
    template_version: int | None = None
    previous_marks: list[tuple[str, str, str | None]] = field(default_factory=list)  # sheet, cell, fill
    weight_header: Ref | None = None  # the 分值 header cell, where weight-total is shown


# Result --------------------------------------------------------------------------------
# Verdicts are typed; every sentence about them is written by the wording layer
# (xlreport.wording), never by scoring. The enums compare equal to their plain values.
class Status(StrEnum):
    MET = "met"
    EXCEEDED = "exceeded"  # met, and far beyond the target (asks for an explanation)
    MISSED = "missed"
    PARTIAL = "partial"  # 定性 部分达成
    DEFAULT = "default"  # 缺省, scored in full
    EXCLUDED = "excluded"  # 缺省, left out of the total (折算)
    ERROR = "error"


class Method(StrEnum):
    RATIO = "比例"
    THRESHOLD = "达标"
    QUALITATIVE = "定性"


class Kind(StrEnum):
    """What was compared."""

    NUMBER = "number"  # one bound or an exact value
    RANGE = "range"
    RELATIVE = "relative"  # against last year
    TEXT = "text"  # a qualitative target
    BUDGET_RATE = "budget_rate"  # 预算执行率, taken from the budget figures


class Degree(StrEnum):
    ACHIEVED = "达成"
    PARTLY = "部分达成"
    NOT_ACHIEVED = "未达成"


class Miss(StrEnum):
    """On which side of the target a quantitative value fell short."""

    BELOW = "below"  # under a lower bound (≥, >, the low end of a range, short of an exact value)
    ABOVE = "above"  # over an upper bound (≤, <, the high end of a range, beyond an exact value)


class Rule(StrEnum):
    """Which scoring rule gave the suggested score."""

    FULL = "full"  # target met: full marks
    RATIO = "ratio"  # 比例: weight × share
    THRESHOLD = "threshold"  # 达标: missed, 0 points
    DEGREE = "degree"  # 定性: weight × the degree's share
    DEFAULT_FULL = "default_full"  # 缺省: full marks
    DEFAULT_EXCLUDED = "default_excluded"  # 缺省: not counted, total rescaled
    NONE = "none"  # not scored (an error)


class Blocker(StrEnum):
    """Why an indicator could not be scored (the wording layer says it in words)."""

    METHOD_INVALID = "method_invalid"
    TARGET_CELL = "target_cell"
    TARGET_MISSING = "target_missing"
    TARGET_UNREADABLE = "target_unreadable"
    ACTUAL_CELL = "actual_cell"
    ACTUAL_MISSING = "actual_missing"
    ACTUAL_UNREADABLE = "actual_unreadable"
    WEIGHT_INVALID = "weight_invalid"
    NOT_COMPARABLE = "not_comparable"
    DEGREE_INVALID = "degree_invalid"
    DEGREE_UNKNOWN = "degree_unknown"
    MANUAL_INVALID = "manual_invalid"


@dataclass
class IndicatorResult:
    source: IndicatorRow
    method: Method
    status: Status
    weight: Decimal | None
    suggested: Decimal | None
    final: Decimal | None
    rule: Rule = Rule.NONE
    kind: Kind = Kind.NUMBER
    degree: Degree | None = None  # 定性 (or a quantitative target scored as 定性)
    share: Decimal | None = None  # suggested ÷ weight, as the rule gave it (before rounding)
    miss: Miss | None = None  # quantitative, missed: which side
    target: Any = None  # the parsed values.Target (None when unreadable)
    actual: Any = None  # the parsed values.Actual (None when unreadable)
    blocker: Blocker | None = None
    manual: bool = False
    manual_reason: str = ""
    target_shown: str = ""  # the target and actual as sentences print them ("≥95%", "97.5%")
    actual_shown: str = ""
    ratio: Decimal | None = None  # actual ÷ target of a met numeric target (for deviation rules)
    lower_is_better: bool = False  # the target is of the ≤ / < kind
    adjustments: list[Adjustment] = field(default_factory=list)  # rules applied to this indicator

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def rate(self) -> Decimal | None:
        if self.final is None or not self.weight:
            return None
        return self.final / self.weight


@dataclass
class GroupResult:
    """A 一级 or 二级 indicator: sums of its children's rounded scores."""

    level: int
    name: str
    declared: Decimal | None
    weight: Decimal
    score: Decimal
    complete: bool
    children: list[GroupResult] = field(default_factory=list)
    indicators: list[IndicatorResult] = field(default_factory=list)

    @property
    def rate(self) -> Decimal | None:
        return self.score / self.weight if self.weight else None


@dataclass
class BudgetResult:
    annual: Decimal | None
    executed: Decimal | None
    initial: Decimal | None
    rate: Decimal | None  # percent, rounded to 2 places, e.g. Decimal("93.77")
    weight: Decimal
    method: str
    threshold: Decimal | None
    score: Decimal | None  # None when weight is 0 (the rate is scored as an indicator)
    rule: Rule = Rule.NONE  # FULL / RATIO / THRESHOLD when scored here
    adjustments: list[Adjustment] = field(default_factory=list)  # a profile's cap, noted where the rate is scored


@dataclass
class Evaluation:
    """Everything a build computed; the single source of every number shown anywhere."""

    input: WorkbookInput
    budget: BudgetResult
    indicators: list[IndicatorResult]
    groups: list[GroupResult]  # 一级 groups, each with 二级 children
    total: Decimal | None  # None when errors make the total impossible
    raw_total: Decimal  # sum of the scores that could be computed
    grade: str | None
    complete: bool
    rescaled: bool  # 折算: defaults excluded and total scaled to 100
    problems: list[Problem]
    rules: RulesProfile | None = None  # the profile scored with (docs/rules.md)
    adjustments: list[Adjustment] = field(default_factory=list)  # deductions and caps applied, in order

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.WARNING]

    @property
    def infos(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.INFO]

    @property
    def info(self) -> BasicInfo:
        return self.input.info
