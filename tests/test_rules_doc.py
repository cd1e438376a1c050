"""Every worked example in docs/rules.md is a test: the document and the scorer cannot drift apart.

Blocks fenced as ``xlreport-values`` hold value-grammar lines, ``xlreport-example`` blocks
describe a small workbook and what it must score, ``toml`` blocks are profiles (an example
whose 规则 is 上方规则 is scored with the last profile above it). The format is explained in
the document itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from report_fixtures import budget, field, indicator

from xlreport.core import schema
from xlreport.core.model import BasicInfo, BudgetInput, WorkbookInput
from xlreport.core.rules import (
    RulesProfile,
    builtin_profiles,
    load_profile,
    parse_profile,
)
from xlreport.core.scoring import evaluate
from xlreport.core.values import parse_actual, parse_target
from xlreport.wording import wording

DOC = Path(__file__).parents[1] / "docs" / "rules.md"
BLOCK = re.compile(r"^```(xlreport-values|xlreport-example|toml)\n(.*?)^```", re.DOTALL | re.MULTILINE)


@dataclass
class Example:
    title: str
    text: str
    profile: RulesProfile


def _blocks() -> tuple[list[str], list[Example], list[str]]:
    values: list[str] = []
    examples: list[Example] = []
    tomls: list[str] = []
    for kind, body in BLOCK.findall(DOC.read_text(encoding="utf-8")):
        if kind == "toml":
            tomls.append(body)
        elif kind == "xlreport-values":
            values += [line.strip() for line in body.splitlines() if line.strip()]
        else:
            keys = _pairs(body)
            spec = keys["规则"][0]
            profile = parse_profile(tomls[-1], "docs/rules.md") if spec == "上方规则" else load_profile(spec)
            examples.append(Example(keys["示例"][0], body, profile))
    return values, examples, tomls


def _pairs(body: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in body.splitlines():
        if line.strip():
            key, _, value = line.partition("：")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


VALUES, EXAMPLES, TOMLS = _blocks()


def test_the_document_has_examples_for_every_rule():
    assert len(VALUES) >= 20 and len(EXAMPLES) >= 25 and len(TOMLS) >= 2
    titles = " ".join(e.title for e in EXAMPLES)
    for word in ("比例", "达标", "定性", "人工得分", "缺省", "大幅超额", "预算执行率", "执行率", "130%", "折算",
                 "四舍五入"):
        assert word in titles, word


# Value grammar ---------------------------------------------------------------------------
def _describe_target(t) -> str:
    unit = f" {t.unit}" if t.unit else ""
    if t.kind == "number":
        return f"数值 {t.op.value} {_n(t.value)}{unit}"
    if t.kind == "range":
        return f"区间 {_n(t.low)}~{_n(t.high)}{unit}"
    if t.kind == "relative":
        return f"上年 {t.op.value} {_n(t.value)}{unit}"
    return "文字"


def _describe_actual(a) -> str:
    unit = f" {a.unit}" if a.unit else ""
    return {"number": f"数值 {_n(a.value)}{unit}" if a.value is not None else "",
            "change": f"增减 {_n(a.value)}{unit}" if a.value is not None else "",
            "na": "缺省", "text": "文字"}[a.kind]


def _n(value: Decimal) -> str:
    return format(value.normalize(), "f")


@pytest.mark.parametrize("line", VALUES)
def test_value_grammar(line: str):
    left, _, expected = line.partition("→")
    what, _, typed = left.strip().partition(" ")
    typed, _, number_format = typed.partition("@")
    raw: object = typed
    if number_format:
        raw = float(typed)
    number_format = number_format or "General"
    if typed == "0":
        raw = 0
    if what == "指标值":
        got = _describe_target(parse_target(raw, number_format, None, None))
    else:
        got = _describe_actual(parse_actual(raw, number_format, None))
    assert got == expected.strip(), line


# Scoring examples ------------------------------------------------------------------------
INDICATOR_KEYS = {"评分方法": "method", "达成程度": "degree", "人工得分": "manual_score", "调整理由": "manual_reason",
                  "偏差原因": "deviation", "指标性质": "nature", "单位": "unit"}


def _workbook(keys: dict[str, list[str]]) -> WorkbookInput:
    fields = {}
    info = BasicInfo(report_type=schema.TYPE_PROJECT, year="2024", project="示例项目", unit="示例单位")
    for row, (key, label) in enumerate((("default_handling", "缺省指标处理"), ("grades", "等级划分")), start=10):
        if label in keys:
            fields[key] = field(keys[label][0], schema.SHEET_INFO, row, 2)
    if "default_handling" in fields:
        info.default_handling = fields["default_handling"].text
    info.fields = fields
    if "预算" in keys:
        parts = dict(p.split("=") for p in re.split(r"[，,]\s*", keys["预算"][0]))
        b = budget(parts["全年预算数"], parts["全年执行数"], weight=parts.get("分值", 10),
                   method=parts.get("方法", "比例"), threshold=parts.get("达标值"))
    else:
        b = BudgetInput(weight=Decimal(0))
    rows = []
    for i, line in enumerate(keys.get("指标", []), start=5):
        name, target, actual, weight, *extra = [p.strip() for p in line.split("|")]
        more = {INDICATOR_KEYS[k]: v for k, _, v in (e.partition("=") for e in extra)}
        rows.append(indicator(i, "产出指标", "数量指标", name, target, actual, weight, **more))
    return WorkbookInput(info, b, rows, {}, template_version=1)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.title for e in EXAMPLES])
def test_worked_example(example: Example):
    keys = _pairs(example.text)
    ev = evaluate(_workbook(keys), rules=example.profile)
    by_name = {r.name: r for r in ev.indicators}
    for item in keys.get("得分", []):
        name, _, score = item.partition("=")
        assert by_name[name].final == Decimal(score), (name, wording().indicator_note(by_name[name], ev.budget))
    if "总分" in keys:
        assert ev.complete, [p.text for p in ev.errors]
        assert ev.total == Decimal(keys["总分"][0])
    if "等级" in keys:
        assert ev.grade == keys["等级"][0]
    everything = " ".join([wording().indicator_note(r, ev.budget) for r in ev.indicators] + [wording().budget_note(ev.budget)] + [a.text for a in ev.adjustments]
                          + [p.message for p in ev.problems])
    for text in keys.get("说明", []):
        assert text in everything, everything
    codes = {p.code for p in ev.problems}
    for code in keys.get("问题", []):
        assert code in codes, [p.text for p in ev.problems]


def test_the_reference_profile_in_the_document_is_national_plus_the_yitihua_rules():
    reference = parse_profile(TOMLS[0], "docs/rules.md")
    national, yitihua = builtin_profiles()["national"], builtin_profiles()["yitihua"]
    for attr in ("shares", "bands", "method", "default_handling", "exceeded_high", "exceeded_low", "budget_points",
                 "budget_method", "budget_threshold", "grades"):
        assert getattr(reference, attr) == getattr(national, attr), attr
    assert reference.caps == yitihua.caps and reference.deviation == yitihua.deviation
