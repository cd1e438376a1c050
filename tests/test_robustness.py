"""Whatever a user types into the input cells, a build ends with a verdict, never a crash."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from xlreport.pipeline import build_file

SAMPLE = next((Path(__file__).parents[1] / "samples").glob("红寺堡*.xlsx"))
junk = st.one_of(
    st.none(), st.text(max_size=30), st.integers(-10**9, 10**9),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(["#DIV/0!", "#REF!", "=1/0", "≥", "%", "缺省", "—", "１２３４５", "1,0,0", "6-", "-6-9",
                     "不低于上年", "提高", "", "   ", "达成", "部分达成", "折算", "=", "(35分)"]),
)


@settings(max_examples=int(__import__("os").environ.get("XLREPORT_FUZZ_EXAMPLES", "25")), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(edits=st.lists(st.tuples(st.sampled_from(["基本信息", "预算执行", "绩效指标", "文字材料"]),
                                st.integers(1, 45), st.integers(1, 19), junk), min_size=1, max_size=12))
def test_random_edits_never_crash(tmp_path_factory, edits):
    folder = tmp_path_factory.mktemp("fuzz")
    path = folder / "wb.xlsx"
    shutil.copy(SAMPLE, path)
    wb = openpyxl.load_workbook(path)
    for sheet, row, col, value in edits:
        try:
            wb[sheet].cell(row, col).value = value
        except (ValueError, TypeError, AttributeError, IllegalCharacterError):
            continue  # a value openpyxl itself refuses (merged cell, illegal character)
    wb.save(path)
    outcome = build_file(path, output=folder / "out.xlsx", report=False)
    assert outcome.exit_code in (0, 1, 2)
    if outcome.exit_code == 2:
        assert outcome.failure is not None and outcome.failure.message
    else:
        for problem in outcome.problems:
            assert problem.text  # every message renders
