"""Reading targets and actuals the way people type them (the grammar: docs/rules.md, 二、数值的写法).

Pure functions, no I/O: the reader hands over a cell's raw value and number format, and gets
back a `Target` or an `Actual` the scorer can compare. Every public function is total: any
input (odd types, NaN, garbage text) yields a value, never an exception, because one
unreadable cell must become a validation message, not a crash.

The parser works on a *normalised* copy of the text (NFKC, no spaces, no thousands
separators, lower case) and tries, in order: range, relative-to-last-year, single quantity,
and otherwise calls the text qualitative.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from functools import lru_cache

__all__ = [
    "Op", "Target", "Actual",
    "parse_target", "parse_actual", "parse_number", "parse_percent", "parse_amount",
    "canonical_unit", "convert", "is_not_applicable", "format_decimal",
    "round2", "fmt", "fmt_score", "fmt_percent",
    "written_op", "nature_op", "is_qualitative_nature", "change_direction",
    "display_text", "written_unit", "year_text", "displayed_places", "same_at_display",
]

# What odd input can make Decimal or int conversion raise. Anything else escaping a parser is
# a bug, and must fail the tests rather than turn a cell silently into text.
_INPUT_ERRORS = (ArithmeticError, ValueError)

# Characters units and published tables use for "=" (Yunnan's tables use the box-drawing ═).
EQUALS_LIKE = "═＝﹦⩵꞊゠᐀⹀〓"
_EQUALS_FOLD = str.maketrans({c: "=" for c in EQUALS_LIKE})


class Op(str, Enum):
    GE = "≥"
    GT = ">"
    LE = "≤"
    LT = "<"
    EQ = "="
    RANGE = "区间"


@dataclass(frozen=True)
class Target:
    """A target (指标值); `parse_target` documents each kind."""

    text: str
    kind: str  # "number" | "range" | "relative" | "text"
    op: Op | None
    value: Decimal | None
    low: Decimal | None
    high: Decimal | None
    unit: str | None
    implicit: bool = False


@dataclass(frozen=True)
class Actual:
    """An actual value (实际完成值)."""

    text: str
    kind: str  # "number" | "change" | "na" | "text"
    value: Decimal | None
    unit: str | None


# Operators ----------------------------------------------------------------------------
# Words and symbols written before a number. Longest first, so that "不低于" is never read
# as "低于" and ">=" never as ">".
_PRE_OPS: tuple[tuple[str, Op], ...] = tuple(sorted((
    *((w, Op.GE) for w in (
        "≥", "≧", "⩾", "≮", ">=", "=>", "≥=", "大于等于", "大于或等于", "高于等于", "高于或等于",
        "不低于", "不少于", "不小于", "不得低于", "不得少于", "不得小于", "不应低于", "不应少于",
        "至少", "最少", "最低", "达到", "达", "保持")),
    *((w, Op.LE) for w in (
        "≤", "≦", "⩽", "≯", "<=", "=<", "≤=", "小于等于", "小于或等于", "低于等于", "低于或等于",
        "不超过", "不高于", "不多于", "不大于", "不得超过", "不得高于", "不得多于", "不得大于",
        "不应超过", "不应高于", "至多", "最多", "最高", "控制在", "控制")),
    *((w, Op.GT) for w in (">", "大于", "高于", "超过", "多于", "超出")),
    *((w, Op.LT) for w in ("<", "小于", "低于", "少于", "不足", "不到", "未达到", "未超过")),
    *((w, Op.EQ) for w in ("=", "==", "等于", "恰为")),
), key=lambda p: -len(p[0])))

# Words written after a number (and its unit).
_POST_OPS: dict[str, Op] = {
    "及以上": Op.GE, "以上": Op.GE, "或以上": Op.GE, "之上": Op.GE, "(含)以上": Op.GE,
    "以上(含)": Op.GE, "以上(含本数)": Op.GE, "(含本数)以上": Op.GE, "及其以上": Op.GE,
    "以上(不含)": Op.GT, "(不含)以上": Op.GT,
    "及以下": Op.LE, "以下": Op.LE, "或以下": Op.LE, "以内": Op.LE, "之内": Op.LE, "内": Op.LE,
    "(含)以下": Op.LE, "以下(含)": Op.LE, "(含)以内": Op.LE, "以内(含)": Op.LE, "及其以下": Op.LE,
    "以下(不含)": Op.LT, "(不含)以下": Op.LT,
}
_POST_OP_WORDS = tuple(sorted(_POST_OPS, key=len, reverse=True))
_POST_OP_RE = "|".join(re.escape(w) for w in _POST_OP_WORDS)
# "about" words: the brief reads 95%左右 / 约95% as "at least" (implicit).
_APPROX_PRE = ("大约", "约为", "约", "接近", "近")
_FILLER_PRE = ("为", "是", "在", "了")
_TAIL_RE = re.compile(r"(左右|上下|完成|覆盖|到位|达标|落实|兑现|拨付|发放|办结|为宜|即可|为准|或更高|或更多|\(含\))$")
_NOTE_RE = re.compile(r"\([^()\d]{1,20}\)$")  # ≥95%（省定标准）: a note, not part of the quantity
_INCLUSIVE_NOTE_RE = re.compile(r"\((?:含|不含|包含|即)[^()]{0,20}\)$")  # 95%及以上（含95%）

_FLIP = {Op.GE: Op.LE, Op.LE: Op.GE, Op.GT: Op.LT, Op.LT: Op.GT, Op.EQ: Op.EQ}

# Natures (指标性质 column) -----------------------------------------------------------
_QUALITATIVE = "定性"
_NATURES: dict[str, Op | str] = {
    **dict.fromkeys(("≥", "≧", ">=", "=>", "大于等于", "大于或等于", "不低于", "不少于", "正向",
                     "正向指标", "越大越好"), Op.GE),
    **dict.fromkeys(("≤", "≦", "<=", "=<", "小于等于", "小于或等于", "不高于", "不超过", "反向",
                     "反向指标", "越小越好"), Op.LE),
    **dict.fromkeys((">", "大于", "高于"), Op.GT),
    **dict.fromkeys(("<", "小于", "低于"), Op.LT),
    **dict.fromkeys(("=", "==", "等于", "等于某值"), Op.EQ),
    **dict.fromkeys(("区间", "范围", "区间值", "介于"), Op.RANGE),
    **dict.fromkeys(("定性", "定性指标"), _QUALITATIVE),
}

# Units --------------------------------------------------------------------------------
# alias -> canonical. Anything not listed is kept as written (e.g. 车次).
_UNIT_ALIASES: dict[str, str] = {
    "%": "%", "百分比": "%", "百分率": "%", "pct": "%",
    "‰": "‰", "千分比": "‰", "千分率": "‰",
    "百分点": "百分点", "个百分点": "百分点", "pp": "百分点",
    "个月": "个月", "月": "个月",
    "天": "天", "日": "天", "工作日": "工作日", "个工作日": "工作日",
    "年": "年", "周": "周", "小时": "小时", "h": "小时", "分钟": "分钟", "min": "分钟", "秒": "秒",
    "人": "人", "名": "人", "人次": "人次", "次": "次", "个": "个", "家": "家", "家次": "家次",
    "元": "元", "场": "场", "场次": "场", "份": "份", "篇": "篇", "期": "期", "项": "项", "户": "户",
    "所": "所", "台": "台", "套": "套", "件": "件", "张": "张", "册": "册", "批": "批", "条": "条",
    "分": "分", "岁": "岁", "公里": "公里", "km": "公里", "千米": "公里", "米": "米", "m": "米",
    "平方米": "平方米", "平米": "平方米", "m2": "平方米", "亩": "亩", "吨": "吨", "公斤": "公斤",
    "kg": "公斤", "千克": "公斤", "床": "床", "辆": "辆", "部": "部", "本": "本", "处": "处",
    "座": "座", "间": "间", "例": "例", "宗": "宗", "起": "起", "笔": "笔", "单": "单", "种": "种",
    "类": "类", "组": "组", "倍": "倍", "车次": "车次", "支": "支", "盒": "盒", "户次": "户次",
}
_UNIT_PREFIXES: tuple[tuple[str, Decimal], ...] = (
    ("百万", Decimal(10) ** 6), ("千万", Decimal(10) ** 7), ("十万", Decimal(10) ** 5),
    ("万", Decimal(10) ** 4), ("亿", Decimal(10) ** 8), ("千", Decimal(10) ** 3),
)
_UNIT_FACTORS: dict[str, tuple[str, Decimal]] = {
    "‰": ("%", Decimal("0.1")),
    "公里": ("米", Decimal(1000)),
}
_BASE_RE = "|".join(re.escape(u) for u in sorted(_UNIT_ALIASES, key=len, reverse=True))
_PREFIX_RE = "|".join(re.escape(p) for p, _ in _UNIT_PREFIXES)
_ONE_UNIT = rf"(?:(?:{_PREFIX_RE})?(?:{_BASE_RE}))"
_UNIT_RE = re.compile(rf"{_ONE_UNIT}(?:/{_ONE_UNIT})*")

# Numbers and text ---------------------------------------------------------------------
_NUM = r"\d+(?:\.\d+)?|\.\d+"
_NUM_RE = re.compile(_NUM)
_SPACE_RE = re.compile(r"[\s\u200b\u200c\u200d\ufeff]+")
_THOUSANDS_RE = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_EDGE_PUNCT = "。.,;；、!！?？:：\"'“”‘’「」"
_CURRENCY_RE = re.compile(r"^[¥$]|^rmb|^人民币")
_MAX_LEN = 300  # longer text is prose, never a quantity
# Traditional forms that slip into simplified documents (the seeds contain 辦法).
_TRADITIONAL = str.maketrans("於達過內與較減長漲項個點萬億間場臺張條戶歲時鐘數級實際額標準",
                             "于达过内与较减长涨项个点万亿间场台张条户岁时钟数级实际额标准")

_RANGE_SEP = r"(?:-{1,2}|~|〜|至|到|—{1,2}|–|−|_)"
_RANGE_RE = re.compile(
    rf"^(?P<label>[^\d]*?)(?:在|介于)?(?P<a>{_NUM})(?P<ua>{_UNIT_RE.pattern})?{_RANGE_SEP}"
    rf"(?P<b>{_NUM})(?P<ub>{_UNIT_RE.pattern})?(?:之间|范围内|区间内|以内|内)?$")
_BRACKET_RANGE_RE = re.compile(
    rf"^[\[(【](?P<a>[+-]?(?:{_NUM}))[,;，；](?P<b>[+-]?(?:{_NUM}))[\])】](?P<u>.*)$")

# Relative to last year ----------------------------------------------------------------
_REF = (r"(?:上一?个?(?:年度?|期)|去年度?|前一?年度?|上年|同期)(?:同期)?(?:平均)?"
        r"(?:水平|实际值|完成值|实际|数值|数|值|标准)?")
_CMP = r"(?:相较于?|相比于?|对比|比较|较|比|与|和|同)"
_UP = ("提高", "增长", "增加", "上升", "提升", "上涨", "增幅", "涨幅", "↑")
_DOWN = ("下降", "降低", "减少", "下滑", "降幅", "减幅", "回落", "缩短", "缩减", "压减", "↓")
_CHG = "|".join(re.escape(w) for w in sorted((*_UP, *_DOWN, "持平"), key=len, reverse=True))
_ADV = r"(?:有所|略有|稳步|持续|进一步|逐步|同比)"
_REL_CMP_RE = re.compile(
    rf"^(?P<label>[^\d]*?)(?:{_CMP}?(?P<ref>{_REF})(?:相比|比较|对比)?|(?P<yoy>同比))"
    rf"(?P<adv>{_ADV})?(?P<chg>{_CHG})(?:了)?(?P<rest>.*)$")
_REL_OP_RE = re.compile(rf"^(?P<pre>[^\d]*?)(?P<ref>{_REF})(?P<post>{_POST_OP_RE})?$")
_CHANGE_RE = re.compile(rf"^(?P<label>[^\d]*?)(?P<adv>{_ADV})?(?P<chg>{_CHG})(?:了)?(?P<rest>.*)$")
_BARE_CHANGE_RE = re.compile(rf"^(?:有所|略有|稳步|持续|进一步|逐步)?(?P<chg>{_CHG})(?:了)?$")
_REF_WORD_RE = re.compile(r"上一?年|去年|上期|同期|同比|前一?年")
_CHG_END_RE = re.compile(rf"(?:{_CHG})(?:了)?$")

# Not applicable -----------------------------------------------------------------------
_NA_WORDS = frozenset((
    "缺省", "缺省值", "缺项", "不适用", "无", "不涉及", "未涉及", "n/a", "na", "n.a.", "n.a",
    "无此项", "本项不适用", "本项不涉及", "不考核", "不作考核", "不评价",
))
_NA_DASHES_RE = re.compile(r"^[-—–−―_/\\~〜]+$")
_NA_NOTE_RE = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
_NA_WRAP_RE = re.compile(r"^(?:按|作|做|视为|为)?(?P<w>.*?)(?:处理|指标)?$")
_NA_SUFFIX_RE = re.compile(r"^[^\d]{0,8}(?:不涉及|不适用)$")


# Small helpers ------------------------------------------------------------------------
def format_decimal(d: Decimal) -> str:
    """Render a Decimal for messages: no exponent, no trailing zeros (100.00 -> "100")."""
    try:
        if not d.is_finite():
            return str(d)
        if d == 0:
            return "0"
        return format(d.normalize(), "f")
    except _INPUT_ERRORS:
        return str(d)


CENT = Decimal("0.01")


def round2(value: Decimal) -> Decimal:
    """四舍五入 to 2 places, as Excel's ROUND does (not banker's rounding)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    """A number for sentences: 4 -> '4', 3.50 -> '3.5', 97.50 -> '97.5'."""
    return "" if value is None else format_decimal(value)


def fmt_score(value: Decimal) -> str:
    """Scores in sentences keep two decimals unless whole: 4 -> '4', 3.5 -> '3.50'."""
    value = round2(value)
    return format_decimal(value) if value == value.to_integral_value() else f"{value:.2f}"


def fmt_percent(value: Decimal | None) -> str:
    return "" if value is None else f"{round2(value):.2f}%"


def _tidy(d: Decimal) -> Decimal:
    """Drop trailing zeros but never switch to exponent form (97.50 -> 97.5, 1E+2 -> 100)."""
    try:
        n = d.normalize()
        if n == 0:
            return Decimal(0)
        if n.as_tuple().exponent > 0 and n.adjusted() < 28:
            n = n.quantize(Decimal(1))
        return n
    except _INPUT_ERRORS:
        return d


def _normalize(text: str, thousands: bool = True) -> str:
    """Fold full-width forms, drop spaces (and thousands separators), lower-case ASCII."""
    s = unicodedata.normalize("NFKC", text.translate(_EQUALS_FOLD)).translate(_TRADITIONAL)
    s = _SPACE_RE.sub("", s).lower()
    s = s.replace("百分之百", "100%")
    if thousands:
        s = _THOUSANDS_RE.sub("", s)
    return s.strip(_EDGE_PUNCT)


def canonical_unit(text: str | None) -> str | None:
    """The one spelling of a unit: 百分比 -> %, 月 -> 个月, 日 -> 天, （万元）-> 万元, "" -> None."""
    try:
        if text is None:
            return None
        s = _SPACE_RE.sub("", unicodedata.normalize("NFKC", str(text))).lower()
        while len(s) >= 2 and s[0] in "([【" and s[-1] in ")]】":
            s = s[1:-1]
        s = s.strip(_EDGE_PUNCT)
        if s.startswith("单位"):
            s = s[2:].lstrip(":")
        if not s:
            return None
        return "/".join(_canonical_part(p) for p in s.split("/"))
    except _INPUT_ERRORS:
        return None


def _canonical_part(part: str) -> str:
    if part in _UNIT_ALIASES:
        return _UNIT_ALIASES[part]
    for prefix, _ in _UNIT_PREFIXES:
        rest = part[len(prefix):]
        if part.startswith(prefix) and rest in _UNIT_ALIASES:
            return prefix + _UNIT_ALIASES[rest]
    return part


def _base_unit(unit: str) -> tuple[str, Decimal]:
    """(base unit, factor): 万元 -> (元, 10000), ‰ -> (%, 0.1), 公里 -> (米, 1000)."""
    if unit in _UNIT_FACTORS:
        return _UNIT_FACTORS[unit]
    for prefix, factor in _UNIT_PREFIXES:
        rest = unit[len(prefix):]
        if unit.startswith(prefix) and rest and _canonical_part(rest.split("/")[0]) in _UNIT_ALIASES.values():
            return rest, factor
    return unit, Decimal(1)


def convert(value: Decimal, from_unit: str | None, to_unit: str | None) -> Decimal | None:
    """Express `value` (in from_unit) in to_unit; None when the units are incompatible.

    A missing unit on either side is taken as "the same unit": the caller decides whether a
    missing unit is worth a warning. 人 and 人次 are different quantities and stay apart.
    """
    try:
        f, t = canonical_unit(from_unit), canonical_unit(to_unit)
        if f is None or t is None or f == t:
            return value
        (bf, kf), (bt, kt) = _base_unit(f), _base_unit(t)
        if bf != bt:
            # "≥2次/年" against an actual of "2次": the period is part of the indicator, not
            # a different quantity.
            if "/" in f or "/" in t:
                bf, bt = bf.split("/")[0], bt.split("/")[0]
            if bf != bt:
                return None
        return _tidy(value * kf / kt)
    except _INPUT_ERRORS:
        return None


# Number formats -----------------------------------------------------------------------
_FMT_LITERAL_RE = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|_.|\*.')


@lru_cache(maxsize=256)
def _format_info(number_format: str) -> tuple[bool, bool, int, bool]:
    """(scales to %, shows a literal %, decimals, thousands grouping) of an Excel format."""
    fmt = (number_format or "General").split(";")[0]
    literal = "%" in "".join(_FMT_LITERAL_RE.findall(fmt))
    code = _FMT_LITERAL_RE.sub("", fmt)
    scales = "%" in code
    decimals = 0
    m = re.search(r"\.([0#?]+)", code)
    if m:
        decimals = m.group(1).count("0")
    grouping = bool(re.search(r"[#0],[#0]", code))
    return scales, literal and not scales, decimals, grouping


def _render(d: Decimal, number_format: str) -> str:
    """The number as Excel shows it, without ever rounding away digits the cell holds."""
    _, _, decimals, grouping = _format_info(number_format)
    t = _tidy(d)
    places = max(decimals, -t.as_tuple().exponent if t.as_tuple().exponent < 0 else 0)
    if places > 30 or abs(t.adjusted()) > 30:
        return str(t)  # absurd magnitudes: keep the message short
    return format(t, f"{',' if grouping else ''}.{places}f")


@dataclass(frozen=True)
class _Cell:
    text: str
    number: Decimal | None = None  # set for numeric cells
    unit: str | None = None  # "%" for percent-formatted numeric cells


def _cell(raw: object, number_format: str) -> _Cell:
    """Split a raw cell into display text and, for numeric cells, its number."""
    fmt = number_format if isinstance(number_format, str) else "General"
    if raw is None:
        return _Cell("")
    if isinstance(raw, bool):
        return _Cell("TRUE" if raw else "FALSE")
    if isinstance(raw, (int, float, Decimal)):
        try:
            d = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
        except (InvalidOperation, ValueError, OverflowError):
            return _Cell(str(raw))
        if not d.is_finite():
            return _Cell(str(raw))
        scales, literal, _, _ = _format_info(fmt)
        unit = None
        if scales:
            d, unit = d.scaleb(2), "%"
        elif literal:
            unit = "%"
        d = _tidy(d)
        return _Cell(_render(d, fmt) + ("%" if unit else ""), d, unit)
    if isinstance(raw, _dt.datetime):
        return _Cell(raw.date().isoformat() if raw.time() == _dt.time() else raw.isoformat(sep=" "))
    if isinstance(raw, (_dt.date, _dt.time)):
        return _Cell(raw.isoformat())
    return _Cell(str(raw).strip())


# Quantity ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Quantity:
    value: Decimal
    unit: str | None
    op: Op | None  # written operator, if any
    approx: bool
    sign: str  # "+", "-" or "" as written before the number
    label: str


def _strip_pre(pre: str) -> tuple[str, Op | None, bool]:
    """Peel operator / "about" / filler words off the end of the text before a number."""
    op: Op | None = None
    approx = False
    for _ in range(4):
        for word, word_op in _PRE_OPS:
            if pre.endswith(word):
                pre, op = pre[: -len(word)], op or word_op
                break
        else:
            for word in _APPROX_PRE:
                if pre.endswith(word):
                    pre, approx = pre[: -len(word)], True
                    break
            else:
                for word in _FILLER_PRE:
                    if pre.endswith(word):
                        pre = pre[: -len(word)]
                        break
                else:
                    break
    return pre, op, approx


def _parse_post(post: str) -> tuple[str | None, Op | None, bool] | None:
    """Unit, trailing operator and approx flag after a number; None if anything is left."""
    approx = False
    if post[:1] in ("余", "多"):
        post, approx = post[1:], True
    unit = None
    m = _UNIT_RE.match(post)
    if m:
        unit, post = canonical_unit(m.group(0)), post[m.end():]
    op = None
    for _ in range(4):
        t = _TAIL_RE.search(post)
        if t:
            approx = approx or t.group(1) in ("左右", "上下")
            post = post[: t.start()]
            continue
        for word in _POST_OP_WORDS:
            if post.endswith(word):
                op, post = _POST_OPS[word], post[: -len(word)]
                break
        else:
            note = _NOTE_RE.search(post)
            if note is None:
                break
            post = post[: note.start()]
    if not post:
        return unit, op, approx
    if unit is None and re.fullmatch(r"[\u4e00-\u9fff]{1,3}", post) and not _CHG_END_RE.search(post) \
            and not any(w in post for w, _ in _PRE_OPS):
        return canonical_unit(post), op, approx  # an unlisted unit such as 车次
    return None


def _quantity(s: str, allow_label: bool = True) -> _Quantity | None:
    """Read "[label][op][约]number[unit][op][左右]" with exactly one number, else None."""
    if len(s) > _MAX_LEN:
        return None
    note = _INCLUSIVE_NOTE_RE.search(s)
    exclusive = bool(note) and note.group(0)[1:].startswith("不含")
    if note:
        s = s[: note.start()]
    nums = list(_NUM_RE.finditer(s))
    if len(nums) != 1:
        return None
    m = nums[0]
    pre, post = s[: m.start()], s[m.end():]
    sign = ""
    if pre.endswith(("+", "-", "−")):
        sign, pre = ("-" if pre[-1] in "-−" else "+"), pre[:-1]
    pre = _CURRENCY_RE.sub("", pre)
    unit = None
    for word, u in (("百分之", "%"), ("千分之", "‰")):
        if pre.endswith(word):
            pre, unit = pre[: -len(word)], u
    label, op, approx = _strip_pre(pre)
    if label and not allow_label:
        return None
    if any(c in label for c in "≥≤<>=≧≦+-") or _REF_WORD_RE.search(label) or _CHG_END_RE.search(label):
        return None
    parsed = _parse_post(post)
    if parsed is None:
        return None
    post_unit, post_op, post_approx = parsed
    if unit and post_unit:
        return None
    unit = unit or post_unit
    if unit is None:
        inner = re.search(r"\(([^()]{1,6})\)$", label)
        if inner and _UNIT_RE.fullmatch(inner.group(1)):
            unit = canonical_unit(inner.group(1))
    value = Decimal(m.group(0))
    if sign == "-":
        value = -value
    final_op = op or post_op
    if exclusive:  # 90%以上（不含90%）: strictly above
        final_op = {Op.GE: Op.GT, Op.LE: Op.LT}.get(final_op, final_op)
    return _Quantity(_tidy(value), unit, final_op, approx or post_approx, sign, label)


def _range(s: str) -> tuple[Decimal, Decimal, str | None] | None:
    """Read 6-9个月, 6~9, 6至9个月, [6,9] as (low, high, unit)."""
    if len(s) > _MAX_LEN:
        return None
    m = _BRACKET_RANGE_RE.match(s)
    if m:
        unit = canonical_unit(m.group("u")) if m.group("u") else None
        if m.group("u") and not _UNIT_RE.fullmatch(m.group("u")):
            return None
        a, b = Decimal(m.group("a")), Decimal(m.group("b"))
    else:
        m = _RANGE_RE.match(_THOUSANDS_RE.sub("", s))
        if not m or m.group("label").endswith(("-", "+", "−")) or \
                any(c in m.group("label") for c in "≥≤<>=≧≦"):
            return None
        ua, ub = canonical_unit(m.group("ua")), canonical_unit(m.group("ub"))
        if ua and ub and ua != ub:
            return None
        unit = ua or ub
        a, b = Decimal(m.group("a")), Decimal(m.group("b"))
    low, high = sorted((_tidy(a), _tidy(b)))
    return low, high, unit


# Relative -----------------------------------------------------------------------------
def _direction(word: str) -> int:
    return 0 if word == "持平" else (1 if word in _UP else -1)


@dataclass(frozen=True)
class _Relative:
    op: Op
    value: Decimal | None  # signed change; None when only the direction is known
    unit: str | None
    implicit: bool


def _change(chg: str, rest: str) -> _Relative | None:
    """"提高" + rest ("" / "5%" / "不低于2个百分点" / "5%以上") -> required or reported change."""
    direction = _direction(chg)
    if not rest:
        if direction == 0:
            return _Relative(Op.EQ, Decimal(0), None, False)
        return _Relative(Op.GT if direction > 0 else Op.LT, None, None, False)
    q = _quantity(rest, allow_label=False)
    if q is None or q.sign or direction == 0:
        return None
    op = q.op or Op.GE
    value = q.value
    if direction < 0:
        op, value = _FLIP[op], -value
    return _Relative(op, _tidy(value), q.unit, q.op is None)


def _relative(s: str) -> _Relative | None:
    """Targets compared with last year: 不低于上年度, 较上年提高5%, 与上年持平, 同比增长2个百分点."""
    if len(s) > _MAX_LEN:
        return None
    m = _REL_CMP_RE.match(s)
    if m and not _REF_WORD_RE.search(m.group("label")):
        rel = _change(m.group("chg"), m.group("rest"))
        if rel is not None:
            if rel.value is None:  # 较上年提高: strictly better than last year
                return _Relative(rel.op, Decimal(0), None, False)
            return rel
    m = _REL_OP_RE.match(s)
    if m:
        label, op, _ = _strip_pre(m.group("pre"))
        post = _POST_OPS.get(m.group("post") or "")
        if _REF_WORD_RE.search(label) or any(c in label for c in "≥≤<>=≧≦"):
            return None
        if op is None and post is None:
            return _Relative(Op.GE, Decimal(0), None, True) if not label else None
        return _Relative(op or post, Decimal(0), None, False)  # type: ignore[arg-type]
    m = _CHANGE_RE.match(s)
    if m and m.group("rest") and not _REF_WORD_RE.search(m.group("label")):
        # 提高5% without a reference year: still a change, implicitly against last year.
        return _change(m.group("chg"), m.group("rest"))
    if s == "持平":
        return _Relative(Op.EQ, Decimal(0), None, False)
    return None


# Natures ------------------------------------------------------------------------------
def _nature(nature: object) -> Op | str | None:
    if nature is None or not isinstance(nature, str):
        return None
    key = _SPACE_RE.sub("", unicodedata.normalize("NFKC", nature.translate(_EQUALS_FOLD))).lower()
    return _NATURES.get(key)


def nature_op(nature: object) -> Op | None:
    """The operator a 指标性质 value stands for (≥, >=, 区间 …); None for blank, 定性 or unknown."""
    n = _nature(nature)
    return n if isinstance(n, Op) else None


def is_qualitative_nature(nature: object) -> bool:
    """True when 指标性质 says 定性."""
    return _nature(nature) == _QUALITATIVE


# Public parsers -----------------------------------------------------------------------
def _text_target(text: str) -> Target:
    return Target(text, "text", None, None, None, None, None)


def parse_target(raw: object, number_format: str = "General", nature: str | None = None,
                 unit: str | None = None) -> Target:
    """Read a target (指标值).

    kinds:
      * "number": op + value (+unit). A bare number means ≥ (implicit=True), a bare 0 means
        ≤ 0 (implicit=True); "约95%"/"95%左右"/"100%完成" are read as ≥ (implicit=True).
      * "range": low <= high, op RANGE.
      * "relative": change versus last year: op compares the change, value is the required
        change (0 for 不低于上年; -5 with op ≤ for 较上年下降5%), unit "%" (relative change),
        "百分点", the indicator unit, or None when no number is written. A bare change
        magnitude of a %-measured indicator (较上年提高2, unit column %) is in 百分点.
      * "text": anything else (qualitative), including 缺省-style words.
    `nature` (指标性质) wins over a written operator: 定性 forces "text"; ≥/≤/… replace the op of
    a number or relative target (implicit becomes False). 区间 cannot turn a single number into
    a range and ≥/≤ do not break a written range: those keep their own kind, and the caller
    reports the conflict (compare with `nature_op` / `written_op`).
    The unit written in the text wins over `unit` (the 度量单位 column).
    """
    try:
        return _parse_target(raw, number_format, nature, unit)
    except _INPUT_ERRORS:  # a bad cell must never crash a build; a parser bug must fail tests
        return _text_target(_safe_text(raw))


def _safe_text(raw: object) -> str:
    try:
        return "" if raw is None else str(raw).strip()
    except _INPUT_ERRORS:
        return ""


def _parse_target(raw: object, number_format: str, nature: object, unit: object) -> Target:
    cell = _cell(raw, number_format)
    n = _nature(nature)
    if n == _QUALITATIVE:
        return _text_target(cell.text)
    forced = n if isinstance(n, Op) and n is not Op.RANGE else None
    unit_arg = canonical_unit(unit) if isinstance(unit, str) else None

    if cell.number is not None:
        return _number_target(cell.text, cell.number, cell.unit or unit_arg, None, False, forced)
    s = _normalize(cell.text, thousands=False)
    if not s:
        return _text_target(cell.text)
    rng = _range(s) or _bounded_range(s)  # before dropping separators: [60,900] is a range
    s = _THOUSANDS_RE.sub("", s)
    if rng is not None:
        low, high, u = rng
        return Target(cell.text, "range", Op.RANGE, None, low, high, u or unit_arg)
    rel = _relative(s)
    if rel is not None:
        rel_unit = rel.unit
        if rel_unit is None and rel.value not in (None, Decimal(0)):
            rel_unit = "百分点" if unit_arg == "%" else unit_arg
        op, implicit = (forced, False) if forced else (rel.op, rel.implicit)
        return Target(cell.text, "relative", op, rel.value, None, None, rel_unit, implicit)
    q = _quantity(s)
    if q is not None:
        return _number_target(cell.text, q.value, q.unit or unit_arg, q.op, q.approx, forced)
    return _text_target(cell.text)


_BOUND_SPLIT_RE = re.compile(r"(?:且|并且|和|及|,|;|、|/)")


def _bounded_range(s: str) -> tuple[Decimal, Decimal, str | None] | None:
    """'≥98%且≤100%' or '[90%,100%]': two one-sided bounds that together make a range."""
    inner = s[1:-1] if s[:1] in "[(【" and s[-1:] in "])】" else s
    parts = [p for p in _BOUND_SPLIT_RE.split(inner) if p]
    if len(parts) != 2:
        return None
    first, second = _quantity(parts[0], allow_label=False), _quantity(parts[1], allow_label=False)
    if first is None or second is None or (first.unit and second.unit and first.unit != second.unit):
        return None
    bracketed = inner is not s
    lower_ok = first.op in (Op.GE, Op.GT) or (bracketed and first.op is None)
    upper_ok = second.op in (Op.LE, Op.LT) or (bracketed and second.op is None)
    if not (lower_ok and upper_ok) or first.value > second.value:
        return None
    return first.value, second.value, first.unit or second.unit


def _number_target(text: str, value: Decimal, unit: str | None, op: Op | None, approx: bool,
                   forced: Op | None) -> Target:
    if forced is not None:
        return Target(text, "number", forced, value, None, None, unit)
    if op is not None:
        return Target(text, "number", op, value, None, None, unit)
    bare_op = Op.LE if value == 0 and not approx else Op.GE
    return Target(text, "number", bare_op, value, None, None, unit, True)


def written_op(raw: object, number_format: str = "General") -> Op | None:
    """The operator the user wrote in a target (≥95% -> GE, 6-9 -> RANGE); None for bare numbers
    and text. Lets the caller report a conflict with 指标性质."""
    t = parse_target(raw, number_format)
    return None if t.implicit or t.kind == "text" else t.op


def parse_actual(raw: object, number_format: str = "General", unit: str | None = None) -> Actual:
    """Read an actual value (实际完成值).

    kinds:
      * "number": value + unit; operators written around it are dropped ("大于85%" -> 85 %),
        because an actual states what was reached.
      * "change": signed change versus last year (提高13.62% -> +13.62 "%", 下降2 -> -2,
        "+2.1%" -> +2.1, 与上年持平 -> 0). A direction without a number (提高, 有所下降,
        高于上年) gives value None and unit None: no magnitude is guessed; use
        `change_direction` for the sign. A leading "-" is a negative number, not a change.
      * "na": 缺省, 不适用, 无, -, /, N/A ….
      * "text": anything else; an empty cell is "text" with text "".
    """
    try:
        return _parse_actual(raw, number_format, unit)
    except _INPUT_ERRORS:
        return Actual(_safe_text(raw), "text", None, None)


def _parse_actual(raw: object, number_format: str, unit: object) -> Actual:
    cell = _cell(raw, number_format)
    unit_arg = canonical_unit(unit) if isinstance(unit, str) else None
    if cell.number is not None:
        return Actual(cell.text, "number", cell.number, cell.unit or unit_arg)
    s = _normalize(cell.text)
    if not s:
        return Actual(cell.text, "text", None, None)
    if _is_na(s):
        return Actual(cell.text, "na", None, None)
    change = _actual_change(s)
    if change is not None:
        value, u = change
        if value is not None and value != 0 and u is None:
            u = "百分点" if unit_arg == "%" else unit_arg
        return Actual(cell.text, "change", value, u)
    q = _quantity(s)
    if q is not None:
        if q.sign == "+":
            u = q.unit or ("百分点" if unit_arg == "%" else unit_arg)
            return Actual(cell.text, "change", q.value, u)
        return Actual(cell.text, "number", q.value, q.unit or unit_arg)
    return Actual(cell.text, "text", None, None)


def _actual_change(s: str) -> tuple[Decimal | None, str | None] | None:
    if len(s) > _MAX_LEN:
        return None
    m = _REL_CMP_RE.match(s)
    if m is None:
        m = _CHANGE_RE.match(s)
        if m is not None and not m.group("rest") and not _BARE_CHANGE_RE.match(s):
            m = None  # 显著提升: qualitative, not a change
    if m is not None and not _REF_WORD_RE.search(m.group("label")):
        rel = _change(m.group("chg"), m.group("rest"))
        if rel is not None:
            return (None, None) if rel.value is None else (rel.value, rel.unit)
    m = _REL_OP_RE.match(s)
    if m:
        label, op, _ = _strip_pre(m.group("pre"))
        op = op or _POST_OPS.get(m.group("post") or "")
        if op in (Op.GE, Op.LE, Op.EQ) and not _REF_WORD_RE.search(label):
            return Decimal(0), None  # 达到上年水平: no worse (or better) than last year
        if op in (Op.GT, Op.LT):
            return None, None
    return None


def change_direction(actual: Actual) -> int | None:
    """+1 improved, -1 declined, 0 unchanged, None unknown — also for changes without a number."""
    if actual.kind != "change":
        return None
    if actual.value is not None:
        return (actual.value > 0) - (actual.value < 0)
    s = _normalize(actual.text)
    m = _REL_OP_RE.match(s)
    if m:
        _, op, _ = _strip_pre(m.group("pre"))
        if op in (Op.GT, Op.LT):
            return 1 if op is Op.GT else -1
    m = _REL_CMP_RE.match(s) or _CHANGE_RE.match(s)
    return _direction(m.group("chg")) if m else None


def _is_na(s: str) -> bool:
    if _NA_DASHES_RE.match(s):
        return True
    for _ in range(2):
        s = _NA_NOTE_RE.sub("", s)
    m = _NA_WRAP_RE.match(s)
    core = m.group("w") if m else s
    return core in _NA_WORDS or s in _NA_WORDS or bool(_NA_SUFFIX_RE.match(core))


def is_not_applicable(raw: object) -> bool:
    """True for 缺省, 不适用, 无, -, —, /, N/A (any width/case), 缺省（本级不涉及） …."""
    try:
        if raw is None or not isinstance(raw, str):
            return False
        s = _normalize(raw)
        return bool(s) and len(s) <= _MAX_LEN and _is_na(s)
    except _INPUT_ERRORS:
        return False


def parse_number(raw: object, number_format: str = "General") -> Decimal | None:
    """A plain number for weights, amounts and scores: 5, "1,038.00", "１２", "5分", "391万元".

    Returns the number as written or displayed: "10%" -> 10 and 0.1 in a %-formatted cell ->
    10 (use `parse_percent` for rates). Units are dropped (the column says what they are);
    operators or words make it None.
    """
    try:
        return _parse_number(raw, number_format)
    except _INPUT_ERRORS:
        return None


def _parse_number(raw: object, number_format: str) -> Decimal | None:
    cell = _cell(raw, number_format)
    if cell.number is not None:
        return cell.number
    if isinstance(raw, (bool, _dt.date, _dt.time)):
        return None
    s = _CURRENCY_RE.sub("", _normalize(cell.text))
    q = _quantity(s, allow_label=False)
    if q is None or q.op is not None or q.approx or (q.sign and s[0] not in "+-"):
        return None
    return q.value


def parse_percent(raw: object, number_format: str = "General") -> Decimal | None:
    """A rate in percent points: "90%", "90", 0.9 in a %-formatted cell -> 90; "9‰" -> 0.9.

    A plain 0.9 stays 0.9: whether it meant 90% is not guessed.
    """
    try:
        return _parse_percent(raw, number_format)
    except _INPUT_ERRORS:
        return None


def _parse_percent(raw: object, number_format: str) -> Decimal | None:
    cell = _cell(raw, number_format)
    if cell.number is not None:
        return cell.number
    if isinstance(raw, (bool, _dt.date, _dt.time)):
        return None
    q = _quantity(_normalize(cell.text))
    if q is None or q.unit not in (None, "%", "‰"):
        return None
    return q.value if q.unit != "‰" else convert(q.value, "‰", "%")


# Amounts -------------------------------------------------------------------------------
_MONEY_UNITS = {"元": Decimal("0.0001"), "千元": Decimal("0.1"), "万元": Decimal(1),
                "百万元": Decimal(100), "千万元": Decimal(1000), "亿元": Decimal(10000)}
_MONEY_UNIT_RE = re.compile(r"(?:百万|千万|千|万|亿)?元")


def money_unit(text: object) -> str | None:
    """The money unit a header, note or number format names: '全年预算数（元）' -> 元,
    '项目资金（万元）' -> 万元, '单位：元' -> 元, '#,##0.00"元"' -> 元; None when none is named."""
    if not isinstance(text, str) or not text:
        return None
    found = _MONEY_UNIT_RE.findall(unicodedata.normalize("NFKC", text))
    return found[-1] if found else None


def parse_amount(raw: object, number_format: str = "General",
                 unit: str | None = None) -> tuple[Decimal | None, str | None]:
    """An amount in 万元, and the unit written in the cell itself (None: taken from `unit`).

    A unit written in the cell ("1,000,000.00元") or its number format wins over `unit` (the
    unit the column or block header names); both missing means 万元, the forms' unit. The
    caller checks amounts whose cell said nothing for plausibility: a header saying 万元 does
    not stop a unit from typing 元 beneath it.
    """
    try:
        return _parse_amount(raw, number_format, unit)
    except _INPUT_ERRORS:
        return None, None


def _parse_amount(raw: object, number_format: str, unit: str | None) -> tuple[Decimal | None, str | None]:
    fmt = number_format if isinstance(number_format, str) else "General"
    cell = _cell(raw, fmt)
    written: str | None = None
    if cell.number is not None:
        literal = "".join(_FMT_LITERAL_RE.findall(fmt.split(";")[0]))
        written, value = money_unit(literal), cell.number
    else:
        if isinstance(raw, (bool, _dt.date, _dt.time)):
            return None, None
        s = _CURRENCY_RE.sub("", _normalize(cell.text))
        q = _quantity(s, allow_label=False)
        if q is None or q.op is not None or q.approx or (q.sign and s[0] not in "+-"):
            return None, None
        if q.unit is not None and q.unit not in _MONEY_UNITS:
            return None, None
        written, value = q.unit, q.value
    said = written or (unit if unit in _MONEY_UNITS else None)
    if said is None:
        return value, None
    return _tidy(value * _MONEY_UNITS[said]), written


# Display -------------------------------------------------------------------------------
_DISPLAY_FOLD = str.maketrans({
    **{chr(0xFF10 + i): str(i) for i in range(10)}, **{c: "=" for c in EQUALS_LIKE},
    "％": "%", "．": ".", "＋": "+", "－": "-", "＞": ">", "＜": "<", "≧": "≥", "≦": "≤",
})
_PERCENT_WORD_RE = re.compile(r"(?<=[\d.])\s*(?:百分比|百分率|个百分比)")
_MULTI_PERCENT_RE = re.compile(r"%(?:\s*%)+")


def display_text(text: object, unit: str | None = None) -> str:
    """A target or actual as reports print it: half-width digits and operators, one %,
    百分比 -> %, and the unit column's unit appended only when the text lacks it
    ('≥９５％' -> '≥95%'; '≥100百分比' with unit 百分比 -> '≥100%')."""
    s = "" if text is None else str(text).strip().translate(_DISPLAY_FOLD)
    s = _PERCENT_WORD_RE.sub("%", s)
    u = canonical_unit(unit) if unit else None
    if u and s and u not in s and not s.endswith(u) and _NUM_RE.search(s) and written_unit(s) is None:
        s += u
    return _MULTI_PERCENT_RE.sub("%", s)


_TRAILING_UNIT_RE = re.compile(r"\d\s*([^\d\s.,，、%％]+(?:/[^\d\s/]+)?)\s*$")


def written_unit(text: str) -> str | None:
    """The unit as the text itself spells it after its last number ('≥1次/月' -> '次/月'), None
    without one: the report keeps the unit's own spelling, never the canonical '次/个月'."""
    m = _TRAILING_UNIT_RE.search(str(text or "").strip())
    return m.group(1) if m and canonical_unit(m.group(1)) else None


def year_text(raw: object) -> str:
    """评价年度 as four digits: a date cell (2022-01-01) -> '2022'; 2022.0, '2022年度' -> '2022'."""
    if isinstance(raw, (_dt.date, _dt.datetime)):
        return str(raw.year)
    if isinstance(raw, bool) or raw is None:
        return ""
    if isinstance(raw, (int, float, Decimal)):
        try:
            d = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
            if d.is_finite() and d == d.to_integral_value() and 1900 <= d <= 2999:
                return str(int(d))
        except _INPUT_ERRORS:
            pass
        return str(raw)
    s = unicodedata.normalize("NFKC", str(raw)).strip()
    m = re.fullmatch(r"[(\[]?\s*(\d{4})\s*(?:年度?)?\s*[)\]]?", s)
    return m.group(1) if m else s


# Rates at the precision they are shown ----------------------------------------------------
_MAX_SHOWN_PLACES = 4


def displayed_places(raw: object, number_format: str = "General") -> int:
    """How many decimals a stated percentage shows: 0.8619 in a '0.00%' cell -> 2, '86.2%' -> 1,
    86.19 in a General cell -> 2 (at most 4: a formula's float tail is not a statement)."""
    fmt = number_format if isinstance(number_format, str) else "General"
    if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool):
        scales, _, decimals, _ = _format_info(fmt)
        if scales or re.search(r"[0#]", fmt.split(";")[0]):
            return decimals
        cell = _cell(raw, fmt)
        if cell.number is None:
            return 2
        exponent = cell.number.as_tuple().exponent
        return min(-exponent if isinstance(exponent, int) and exponent < 0 else 0, _MAX_SHOWN_PLACES)
    m = _NUM_RE.search(unicodedata.normalize("NFKC", str(raw or "")))
    if not m or "." not in m.group(0):
        return 0
    return min(len(m.group(0).split(".")[1]), _MAX_SHOWN_PLACES)


def same_at_display(stated: Decimal, exact: Decimal, places: int) -> bool:
    """True when the exact value, rounded half-up to the places shown, is what was stated:
    86.183 shown with two decimals is 86.18, so a stated 86.19 is a slip."""
    q = Decimal(1).scaleb(-max(0, min(places, _MAX_SHOWN_PLACES)))
    return stated.quantize(q, ROUND_HALF_UP) == exact.quantize(q, ROUND_HALF_UP)
