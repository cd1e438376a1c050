"""`xlreport build` on every sample: the published results come out of the rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from xlreport.pipeline import build_file

SAMPLES = sorted((Path(__file__).parents[1] / "samples").glob("*.xlsx"))


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_every_sample_builds_without_errors(sample, tmp_path):
    outcome = build_file(sample, output=tmp_path / sample.name, report=False)
    assert outcome.exit_code == 0, [p.text for p in outcome.errors] if hasattr(outcome, "errors") else outcome.summary
    assert outcome.total is not None and Decimal(0) < outcome.total <= Decimal(100)


def test_hongsibu_reproduces_published_100_points(tmp_path):
    sample = next(s for s in SAMPLES if s.name.startswith("红寺堡"))
    outcome = build_file(sample, output=tmp_path / "out.xlsx", report=False)
    ev = outcome.evaluation
    assert ev.total == Decimal("100.00")
    assert ev.grade == "好"
    rate = next(r for r in ev.indicators if r.name == "预算执行率")
    assert rate.final == Decimal(2) and ev.budget.rate == Decimal("100.00")
    defaults = [r for r in ev.indicators if r.status == "default"]
    assert {r.name for r in defaults} >= {"资金分配规范性", "资金分配合理性"}
    assert [g.name for g in ev.groups] == ["项目决策", "过程管理", "项目产出", "项目效益"]
    assert [g.weight for g in ev.groups] == [Decimal(20), Decimal(35), Decimal(35), Decimal(10)]


def test_haikou_execution_rate_is_scored_by_ratio(tmp_path):
    sample = next(s for s in SAMPLES if s.name.startswith("海口"))
    ev = build_file(sample, output=tmp_path / "out.xlsx", report=False).evaluation
    assert ev.budget.rate == Decimal("93.77")
    assert ev.budget.score == Decimal("9.38")


def test_official_form_sample_scores_like_the_template_sample(tmp_path):
    """The same project as the Sichuan one-sheet form and as the template: the same scores."""
    form = next(s for s in SAMPLES if s.name.endswith("_四川自评表.xlsx"))
    template = next(s for s in SAMPLES if s.name == "攀枝花_2022_定点医药机构监管经费.xlsx")
    a = build_file(form, output=tmp_path / "form.xlsx", report=False).evaluation
    b = build_file(template, output=tmp_path / "template.xlsx", report=False).evaluation
    assert a.total == b.total and a.grade == b.grade and a.budget.score == b.budget.score
    assert [(r.name, r.final) for r in a.indicators] == [(r.name, r.final) for r in b.indicators]
    assert not a.errors and not a.warnings  # the unit's own 得分 agree with the rules
