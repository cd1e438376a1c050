"""End to end: every sample workbook builds and writes a report whose numbers match the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixtures import Readback, check_report

from xlreport.pipeline import REPORT_SUFFIX, build_file

SAMPLES = sorted((Path(__file__).resolve().parents[1] / "samples").glob("*.xlsx"))


@pytest.mark.skipif(not SAMPLES, reason="no sample workbooks")
@pytest.mark.parametrize("sample", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_sample_builds_a_report(sample: Path, tmp_path: Path):
    outcome = build_file(sample, output=tmp_path / sample.name)
    ev = outcome.evaluation
    assert ev is not None and ev.complete, outcome.summary
    assert outcome.report_path == tmp_path / (sample.stem + REPORT_SUFFIX)
    rb = Readback(outcome.report_path)
    check_report(ev, rb)


@pytest.mark.skipif(not SAMPLES, reason="no sample workbooks")
def test_report_options(tmp_path: Path):
    sample = SAMPLES[0]
    chosen = tmp_path / "out" / "报告.docx"
    outcome = build_file(sample, output=tmp_path / sample.name, report_path=chosen)
    assert outcome.report_path == chosen and chosen.is_file()
    outcome = build_file(sample, output=tmp_path / "again.xlsx", report=False)
    assert outcome.report_path is None
    assert not (tmp_path / ("again" + REPORT_SUFFIX)).exists()
