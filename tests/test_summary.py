"""`xlreport summary DIR -o 汇总.xlsx`: one row per unit and project, frozen header, filters, formats, chart."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlreport.central.summary import HEADERS
from xlreport.cli.main import main

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


@pytest.fixture
def folder(tmp_path) -> Path:
    samples = sorted(SAMPLES.glob("*.xlsx"))
    if len(samples) < 2:
        pytest.skip("samples/*.xlsx not available")
    d = tmp_path / "收到的工作簿"
    d.mkdir()
    for s in samples[:2]:
        shutil.copy(s, d / s.name)
    from xlreport.adapters.template import write_template

    write_template(d / "空白.xlsx", "项目支出")  # errors: 有错误
    (d / "坏文件.xlsx").write_bytes(b"PK\x03\x04 broken")
    return d


def test_summary_from_folder(folder, tmp_path):
    roster = tmp_path / "名单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["单位名称", "电子邮箱"])
    wb.active.append(["某某县医疗保障局", "x@y.cn"])
    wb.save(roster)
    out = tmp_path / "汇总.xlsx"
    result = CliRunner().invoke(main, ["summary", str(folder), "-o", str(out), "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert "坏文件.xlsx" in result.output  # skipped with its reason
    book = openpyxl.load_workbook(out)
    ws = book["汇总"]
    assert tuple(c.value for c in ws[1]) == HEADERS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    rows = [r for r in ws.iter_rows(min_row=2)]
    by_status: dict[str, list] = {}
    for r in rows:
        by_status.setdefault(r[10].value, []).append(r)
    assert len(by_status["已通过"]) == 2 and len(by_status["有错误"]) == 1
    assert [r[0].value for r in by_status["未提交"]] == ["某某县医疗保障局"]
    passed = by_status["已通过"][0]
    assert passed[3].number_format == "#,##0.00" and passed[5].number_format == "0.00%"
    assert 0 < passed[5].value <= 1.5 and passed[6].value > 0 and passed[7].value
    assert passed[11].number_format == "yyyy-mm-dd hh:mm"
    # A native Excel chart of scores by unit, fed from the 得分图 sheet.
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts
        xml = z.read(charts[0]).decode()
    assert "barChart>" in xml and "得分图" in xml
    scores = book["得分图"]
    assert scores.max_row == 3  # the two scored units


def test_summary_needs_exactly_one_source(tmp_path):
    result = CliRunner().invoke(main, ["summary", "-o", str(tmp_path / "a.xlsx")])
    assert result.exit_code == 2 and "二者选一" in result.output
