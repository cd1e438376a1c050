"""Scoring rules profiles: the national rules by default, local variants as small TOML files.

A profile names every rule the scorer applies and its parameters (qualitative shares and
bands, default method, 缺省 handling, greatly-exceeded thresholds, the budget block, grades,
the total cap by execution rate, the deviation deduction). Built-in profiles live in
``xlreport/profiles/*.toml``; a central office writes its own file without code. The format
and every rule are documented, with worked examples, in docs/rules.md.

A bad profile is refused with a :class:`RulesError`: a stable code and a Chinese message
naming the file, the key and what to write instead.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any

from xlreport.core.failures import XlreportError

HUNDRED = Decimal(100)
DEFAULT_ID = "national"
DEGREES = ("达成", "部分达成", "未达成")
METHODS = ("比例", "达标")
HANDLINGS = ("满分", "折算")
MAX_PROFILE_BYTES = 64 * 1024  # a profile is a few dozen lines; anything larger is not one

class RulesError(XlreportError):
    """A rules profile that cannot be used (exit code 2, like an unusable file)."""


@dataclass(frozen=True)
class CapBand:
    """Execution rate strictly below ``rate_below`` percent: the total is at most ``max_total``."""

    rate_below: Decimal
    max_total: Decimal


@dataclass(frozen=True)
class DeviationRule:
    """A met target exceeded by far counts as 'deviated' and loses ``points``.

    ``high``/``low`` are ratios actual ÷ target (1.3 = 130%); ``low`` None means targets of
    the ≤ kind are never deviated.
    """

    high: Decimal
    low: Decimal | None
    points: Decimal


@dataclass(frozen=True)
class RulesProfile:
    """Every parameter the scorer uses; shares and ratios are fractions (0.7), rates percents."""

    id: str
    name: str
    title: str
    workbook_settings: bool
    shares: dict[str, Decimal]
    bands: dict[str, tuple[Decimal, Decimal]]
    method: str
    default_handling: str
    exceeded_high: Decimal
    exceeded_low: Decimal
    budget_points: Decimal
    budget_method: str
    budget_threshold: Decimal
    grades_text: str
    grades: tuple[tuple[Decimal, str], ...]
    caps: tuple[CapBand, ...]
    deviation: DeviationRule | None
    digest: str
    source: str  # the TOML text, carried in a workbook's _meta for profiles that are not built in
    builtin: bool = False

    @property
    def label(self) -> str:
        """The name users read, with the short hash that pins the exact parameters."""
        return f"{self.name}（{self.digest}）"

    def cap_for(self, rate: Decimal) -> CapBand | None:
        """The tightest band whose bound the rate is strictly below (None: no cap)."""
        hits = [band for band in self.caps if rate < band.rate_below]
        return min(hits, key=lambda b: b.max_total) if hits else None


# Parsing ------------------------------------------------------------------------------
_SCHEMA: dict[str, set[str]] = {
    "profile": {"id", "name", "title", "workbook_settings"},
    "qualitative": {"shares", "bands"},
    "indicator": {"method", "default_handling"},
    "exceeded": {"high", "low"},
    "budget": {"points", "method", "threshold"},
    "grades": {"bands"},
    "cap": {"bands"},
    "deviation": {"high", "low", "points"},
}
_REQUIRED = ("profile", "qualitative", "indicator", "exceeded", "budget", "grades")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


class _Reader:
    """Reads one profile's tables, raising a RulesError that names the offending key."""

    def __init__(self, data: dict[str, Any], origin: str) -> None:
        self.data = data
        self.origin = origin

    def fail(self, key: str, value: object, reason: str) -> RulesError:
        return RulesError.make("rules-value-invalid", path=self.origin, key=key, value=_show(value), reason=reason)

    def table(self, name: str, required: bool) -> dict[str, Any] | None:
        table = self.data.get(name)
        if table is None:
            if required:
                raise RulesError.make("rules-missing-key", path=self.origin, key=f"[{name}]")
            return None
        if not isinstance(table, dict):
            raise self.fail(name, table, f"[{name}] 应是一个表（以 [{name}] 开头的一节）")
        for key in table:
            if key not in _SCHEMA[name]:
                raise RulesError.make("rules-unknown-key", path=self.origin, key=f"{name}.{key}")
        return table

    def get(self, table: dict[str, Any], section: str, key: str) -> Any:
        if key not in table:
            raise RulesError.make("rules-missing-key", path=self.origin, key=f"{section}.{key}")
        return table[key]

    def text(self, table: dict[str, Any], section: str, key: str, choices: tuple[str, ...] = ()) -> str:
        value = self.get(table, section, key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{section}.{key}", value, "应为带引号的文字")
        value = value.strip()
        if choices and value not in choices:
            raise self.fail(f"{section}.{key}", value, f"应为{'、'.join(choices)}之一")
        return value

    def number(self, value: Any, key: str, low: Decimal, high: Decimal, *, open_low: bool = False) -> Decimal:
        """A TOML number (or a numeric string) in [low, high] (or (low, high] when open_low)."""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.fail(key, value, "应为数字")
        try:
            number = Decimal(str(value).strip().rstrip("%").strip())
        except InvalidOperation:
            raise self.fail(key, value, "应为数字") from None
        if not number.is_finite() or number > high or number < low or (open_low and number == low):
            bound = f"大于{_num(low)}" if open_low else f"不小于{_num(low)}"
            raise self.fail(key, value, f"应{bound}且不大于{_num(high)}")
        return number


def parse_profile(text: str, origin: str, *, builtin: bool = False) -> RulesProfile:
    """Validate a profile's TOML text; ``origin`` names it in messages (a path or a built-in)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError.make("rules-syntax", path=origin, reason=str(exc)) from None
    for key in data:
        if key not in _SCHEMA:
            raise RulesError.make("rules-unknown-key", path=origin, key=key)
    r = _Reader(data, origin)

    t = r.table("profile", True)
    pid = r.text(t, "profile", "id")
    if not _ID.fullmatch(pid):
        raise r.fail("profile.id", pid, "只能用字母、数字、连字符和下划线，如 national、gansu-2024")
    name = r.text(t, "profile", "name")
    if len(name) > 20 or any(ch in name for ch in ",，\"'\n"):
        raise r.fail("profile.name", name, "应为不超过20个字、不含逗号和引号的名称")
    title = t.get("title", name)
    if not isinstance(title, str):
        raise r.fail("profile.title", title, "应为带引号的文字")
    settings = t.get("workbook_settings", True)
    if not isinstance(settings, bool):
        raise r.fail("profile.workbook_settings", settings, "应为 true 或 false")

    t = r.table("qualitative", True)
    shares_raw = r.get(t, "qualitative", "shares")
    bands_raw = r.get(t, "qualitative", "bands")
    shares: dict[str, Decimal] = {}
    bands: dict[str, tuple[Decimal, Decimal]] = {}
    for table, key in ((shares_raw, "qualitative.shares"), (bands_raw, "qualitative.bands")):
        if not isinstance(table, dict) or set(table) != set(DEGREES):
            raise r.fail(key, table, f"应恰好写明{'、'.join(DEGREES)}三项")
    for degree in DEGREES:
        shares[degree] = r.number(shares_raw[degree], f"qualitative.shares.{degree}", Decimal(0), HUNDRED) / HUNDRED
        band = bands_raw[degree]
        key = f"qualitative.bands.{degree}"
        if not isinstance(band, list) or len(band) != 2:
            raise r.fail(key, band, "应为 [下限, 上限] 两个数")
        low, high = (r.number(v, key, Decimal(0), HUNDRED) for v in band)
        if low > high:
            raise r.fail(key, band, "下限不能大于上限")
        if not low <= shares[degree] * HUNDRED <= high:
            raise r.fail(key, band, f"应包含该达成程度的得分比例{_num(shares[degree] * HUNDRED)}")
        bands[degree] = (low / HUNDRED, high / HUNDRED)

    t = r.table("indicator", True)
    method = r.text(t, "indicator", "method", METHODS)
    handling = r.text(t, "indicator", "default_handling", HANDLINGS)

    t = r.table("exceeded", True)
    exceeded_high = r.number(r.get(t, "exceeded", "high"), "exceeded.high", HUNDRED, Decimal(10000), open_low=True)
    exceeded_low = r.number(r.get(t, "exceeded", "low"), "exceeded.low", Decimal(0), HUNDRED, open_low=True)
    if exceeded_low == HUNDRED:
        raise r.fail("exceeded.low", exceeded_low, "应小于100")

    t = r.table("budget", True)
    points = r.number(r.get(t, "budget", "points"), "budget.points", Decimal(0), HUNDRED)
    budget_method = r.text(t, "budget", "method", METHODS)
    threshold = r.number(r.get(t, "budget", "threshold"), "budget.threshold", Decimal(0), HUNDRED)

    t = r.table("grades", True)
    grades_text = r.text(t, "grades", "bands")
    grades = parse_grades(grades_text)
    if grades is None:
        raise r.fail("grades.bands", grades_text, "格式应如 90:优,80:良,60:中,0:差")

    caps: list[CapBand] = []
    t = r.table("cap", False)
    if t is not None:
        raw = r.get(t, "cap", "bands")
        if not isinstance(raw, list) or not raw:
            raise r.fail("cap.bands", raw, "应为 [{ rate_below = 80, max_total = 89 }, …] 这样的列表")
        for i, band in enumerate(raw, 1):
            key = f"cap.bands 第{i}项"
            if not isinstance(band, dict) or set(band) != {"rate_below", "max_total"}:
                raise r.fail(key, band, "应写成 { rate_below = 80, max_total = 89 }")
            caps.append(CapBand(r.number(band["rate_below"], key + " rate_below", Decimal(0), HUNDRED, open_low=True),
                                r.number(band["max_total"], key + " max_total", Decimal(0), HUNDRED)))
        bounds = [b.rate_below for b in caps]
        if len(set(bounds)) != len(bounds):
            raise r.fail("cap.bands", raw, "各档的 rate_below 不能重复")

    deviation: DeviationRule | None = None
    t = r.table("deviation", False)
    if t is not None:
        high = r.number(r.get(t, "deviation", "high"), "deviation.high", HUNDRED, Decimal(10000), open_low=True)
        low = None
        if "low" in t:
            low = r.number(t["low"], "deviation.low", Decimal(0), HUNDRED, open_low=True)
            if low == HUNDRED:
                raise r.fail("deviation.low", t["low"], "应小于100")
        dev_points = r.number(r.get(t, "deviation", "points"), "deviation.points", Decimal(0), HUNDRED, open_low=True)
        deviation = DeviationRule(high / HUNDRED, low / HUNDRED if low is not None else None, dev_points)

    canonical = {
        "id": pid, "name": name, "workbook_settings": settings,
        "shares": {k: str(v) for k, v in shares.items()},
        "bands": {k: [str(v[0]), str(v[1])] for k, v in bands.items()},
        "method": method, "default_handling": handling,
        "exceeded": [str(exceeded_high), str(exceeded_low)],
        "budget": [str(points), budget_method, str(threshold)],
        "grades": [[str(b), n] for b, n in grades],
        "cap": sorted([str(b.rate_below), str(b.max_total)] for b in caps),
        "deviation": None if deviation is None else [str(deviation.high), str(deviation.low), str(deviation.points)],
    }
    # repr of a dict built in a fixed order: stable across runs and Python versions for str/list/bool/None
    digest = hashlib.sha256(repr(sorted(canonical.items())).encode()).hexdigest()[:12]
    return RulesProfile(
        id=pid, name=name, title=title.strip() or name, workbook_settings=settings, shares=shares, bands=bands,
        method=method, default_handling=handling, exceeded_high=exceeded_high / HUNDRED,
        exceeded_low=exceeded_low / HUNDRED, budget_points=points, budget_method=budget_method,
        budget_threshold=threshold, grades_text=grades_text, grades=grades,
        caps=tuple(sorted(caps, key=lambda b: b.rate_below, reverse=True)), deviation=deviation,
        digest=digest, source=text, builtin=builtin)


def parse_grades(text: str) -> tuple[tuple[Decimal, str], ...] | None:
    """'90:优,80:良,60:中,0:差' -> ((90, 优), (80, 良), ...), highest first; None if unreadable."""
    text = unicodedata.normalize("NFKC", text)
    grades = []
    for part in re.split(r"[,;，；、\s]+", text.strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*[:=]\s*(\S+)", part) or re.fullmatch(
            r"(\S+?)\s*[:=]\s*(\d+(?:\.\d+)?)", part)
        if not m:
            return None
        a, b = m.groups()
        bound, name = (Decimal(a), b) if re.fullmatch(r"\d+(?:\.\d+)?", a) else (Decimal(b), a)
        grades.append((bound, name))
    if not grades:
        return None
    grades.sort(key=lambda g: g[0], reverse=True)
    return tuple(grades)


def _num(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _show(value: object) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def describe(profile: RulesProfile) -> list[str]:
    """Every rule of a profile in plain Chinese, one line each (``xlreport rules``)."""
    def pct(fraction: Decimal) -> str:
        return f"{_num(fraction * HUNDRED)}%"

    shares = "、".join(f"{k}{pct(v)}" for k, v in profile.shares.items())
    bands = "、".join(f"{k}{pct(lo)}～{pct(hi)}" for k, (lo, hi) in profile.bands.items())
    lines = [
        f"评分规则：{profile.name}（代号 {profile.id}，参数摘要 {profile.digest}）{profile.title}",
        f"工作簿中的缺省指标处理、等级划分、执行率评分方法和达标值：{'优先于本规则' if profile.workbook_settings else '不采用，按本规则'}",
        f"定性指标：{shares}；人工得分区间 {bands}（含两端）",
        f"数值指标未填评分方法时：{profile.method}",
        f"缺省指标：{profile.default_handling}",
        (f"大幅超额（须分析原因，不影响得分）：≥类 实际÷目标≥{pct(profile.exceeded_high)}，"
         f"≤类 ≤{pct(profile.exceeded_low)}"),
        (f"预算执行率：{_num(profile.budget_points)}分，{profile.budget_method}"
         + (f"，达标值{_num(profile.budget_threshold)}%" if profile.budget_method == "达标" else "")),
        f"等级划分：{profile.grades_text}（分数不低于下限即为该等级）",
    ]
    if profile.caps:
        caps = "；".join(f"低于{_num(b.rate_below)}%不超过{_num(b.max_total)}分" for b in profile.caps)
        lines.append(f"按执行率限制总分：{caps}（取最低上限）")
    if profile.deviation is not None:
        dev = profile.deviation
        low = f"，≤类 ≤{pct(dev.low)}" if dev.low is not None else "，≤类指标不扣分"
        lines.append(f"偏差扣分：≥类 实际÷目标≥{pct(dev.high)}{low}，扣{_num(dev.points)}分（扣至0分为止）")
    return lines


# Built-ins and lookup -----------------------------------------------------------------
@cache
def builtin_profiles() -> dict[str, RulesProfile]:
    """The profiles shipped in xlreport/profiles, by id, national first."""
    found: dict[str, RulesProfile] = {}
    folder = Path(__file__).parent / "profiles"
    for entry in sorted(folder.glob("*.toml"), key=lambda e: (e.name != f"{DEFAULT_ID}.toml", e.name)):
        if entry.is_file():
            profile = parse_profile(entry.read_text(encoding="utf-8"), f"内置规则 {entry.name}", builtin=True)
            found[profile.id] = profile
    return found


def default_profile() -> RulesProfile:
    return builtin_profiles()[DEFAULT_ID]


def builtin_names() -> tuple[str, ...]:
    """The names offered in the workbook's 评分规则 drop-down."""
    return tuple(p.name for p in builtin_profiles().values())


def find_builtin(name: str) -> RulesProfile | None:
    """A built-in by id or by name (spaces and case ignored)."""
    key = re.sub(r"\s+", "", name).lower()
    for profile in builtin_profiles().values():
        if key in (profile.id.lower(), re.sub(r"\s+", "", profile.name).lower()):
            return profile
    return None


def load_profile(spec: str | Path, base: Path | None = None) -> RulesProfile:
    """``--rules NAME|FILE``: a built-in's id or name, or a TOML file (relative to ``base``)."""
    text = str(spec).strip()
    builtin = find_builtin(text) if not isinstance(spec, Path) else None
    if builtin is not None:
        return builtin
    path = Path(text).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise RulesError.make("rules-not-found", spec=text, builtins="、".join(
            f"{p.id}（{p.name}）" for p in builtin_profiles().values()))
    try:
        if path.stat().st_size > MAX_PROFILE_BYTES:
            raise RulesError.make("rules-unreadable", path=path, reason="文件过大")
        source = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError.make("rules-unreadable", path=path, reason=str(exc)) from None
    return parse_profile(source, str(path))


__all__ = ["CapBand", "DeviationRule", "RulesError", "RulesProfile", "builtin_names", "builtin_profiles",
           "default_profile", "describe", "find_builtin", "load_profile", "parse_profile"]
