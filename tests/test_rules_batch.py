"""A central office's profile file scoring a folder of unit workbooks in one batch."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
from click.testing import CliRunner
from rules_fixtures import OFFICE_NAME, unit_folder, write_office_profile

from xlreport.cli.main import main
from xlreport.core import schema
from xlreport.core.rules import load_profile
from xlreport.pipeline import build_file


def _scores(path):
    ws = openpyxl.load_workbook(path)[schema.SHEET_SCORES]
    return {row[0]: list(row) for row in ws.iter_rows(values_only=True) if row and row[0]}


def _meta(path):
    return {r[0]: r[1] for r in openpyxl.load_workbook(path)[schema.SHEET_META].iter_rows(values_only=True)}


def test_office_profile_scores_a_folder(tmp_path):
    profile_path = write_office_profile(tmp_path)
    profile = load_profile(str(profile_path))
    units = unit_folder(tmp_path / "各单位")
    out = tmp_path / "评分结果"
    result = CliRunner().invoke(main, ["build", str(tmp_path / "各单位"), "-o", str(out), "--no-report",
                                       "--rules", str(profile_path)])
    assert result.exit_code == 0, result.output
    assert f"评分规则：{OFFICE_NAME}" in result.output and f"共{len(units)}个工作簿：{len(units)}个评分完成" in result.output

    totals = {}
    for name, source in units.items():
        scored = out / name
        scores = _scores(scored)
        expected = build_file(source, write=False, rules=profile).evaluation
        totals[name] = expected.total
        assert scores["总分"][3] == float(expected.total), name
        assert scores["评价等级"][3] == expected.grade and expected.grade in ("好", "较好", "一般", "差")
        assert scores["评分规则"][3] == OFFICE_NAME
        meta = _meta(scored)
        assert meta["rules_name"] == OFFICE_NAME and meta["rules_hash"] == profile.digest
        assert "city-2024" in meta["rules_source"]  # the scored workbook carries the office's rules
        # a unit that chose 国家标准 in its workbook is told the office's profile was used instead;
        # an official one-sheet form has no 评分规则 field, so there is nothing to contradict
        chosen = expected.input.info.fields.get("rules")
        problems = [r[4] for r in openpyxl.load_workbook(scored)[schema.SHEET_PROBLEMS].iter_rows(values_only=True)]
        said = any(f"本次按汇总单位指定的评分规则“{OFFICE_NAME}”评分" in (p or "") for p in problems)
        assert said == (chosen is not None and chosen.text == "国家标准"), name

    assert totals["低执行率单位.xlsx"] == Decimal(89)
    assert "按评分规则扣减：执行率限制总分" in _scores(out / "低执行率单位.xlsx")
    assert totals["超额单位.xlsx"] == Decimal("97.50")
    assert "按评分规则扣减：培训次数" in _scores(out / "超额单位.xlsx")
    # the national rules give the published results on the samples
    national = {name: build_file(src, write=False).evaluation.total for name, src in units.items()}
    assert national["低执行率单位.xlsx"] == Decimal("97.62") and national["超额单位.xlsx"] == Decimal("99.50")
