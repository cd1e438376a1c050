"""Batch builds: which files are picked up, one bad file never stops the rest, the worst exit
code wins, and the final table says what happened to every file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from factory import make_workbook, simple_indicators

from xlreport import pipeline
from xlreport.batch import build_all
from xlreport.cli.main import collect_workbooks, main


def _errors_workbook(path: Path) -> Path:
    items = simple_indicators()
    items[0]["weight"] = 30  # weights add up to 110: an error, total incomplete
    return make_workbook(path, indicators=items)


def _invoke(*args: str):
    return CliRunner().invoke(main, ["build", *args], catch_exceptions=False)


def test_collect_skips_outputs_backups_and_temporaries(tmp_path):
    make_workbook(tmp_path / "a.xlsx")
    (tmp_path / "sub").mkdir()
    make_workbook(tmp_path / "sub" / "b.xlsm")
    for junk in ("a.xlsx.bak", "~$a.xlsx", ".xlreport-x1.xlsx", ".hidden.xlsx", "a_自评报告.docx",
                 "a_自评报告.xlsx", "a_自评报告.pdf", "notes.txt"):
        (tmp_path / junk).write_bytes(b"x")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.xlsx").write_bytes(b"x")
    found = collect_workbooks((tmp_path,), exclude=tmp_path / "out")
    assert [p.relative_to(tmp_path).as_posix() for p in found] == ["a.xlsx", "sub/b.xlsm"]
    # the output folder is only skipped when it is the output folder
    assert len(collect_workbooks((tmp_path,))) == 3
    # a file named explicitly is kept, and a file reached twice is listed once
    assert collect_workbooks((tmp_path / "a.xlsx", tmp_path), exclude=tmp_path / "out") == [
        tmp_path / "a.xlsx", tmp_path / "sub" / "b.xlsm"]


def test_batch_table_and_worst_exit_code(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    make_workbook(src / "good1.xlsx")
    make_workbook(src / "good2.xlsx")
    _errors_workbook(src / "errors.xlsx")
    (src / "broken.xlsx").write_bytes(b"PK\x03\x04garbage")
    out = tmp_path / "out"
    result = _invoke(str(src), "-o", str(out), "--no-report")
    assert result.exit_code == 2, result.output  # the worst: a file that cannot be used
    text = result.output
    for name in ("good1.xlsx", "good2.xlsx", "errors.xlsx", "broken.xlsx"):
        assert name in text
    for header in ("文件", "总分", "等级", "错误", "警告"):
        assert header in text
    assert text.count("99.50") == 2  # the two good files' totals
    assert "共4个工作簿：2个评分完成，1个有错误，1个无法处理。" in text
    assert sorted(p.name for p in out.iterdir()) == ["errors.xlsx", "good1.xlsx", "good2.xlsx"]
    # the originals are untouched when writing elsewhere
    assert not list(src.glob("*.bak"))


def test_batch_exit_code_is_1_when_worst_is_errors(tmp_path):
    make_workbook(tmp_path / "good.xlsx")
    _errors_workbook(tmp_path / "errors.xlsx")
    result = _invoke(str(tmp_path), "-o", str(tmp_path / "out"), "--no-report")
    assert result.exit_code == 1, result.output
    assert "共2个工作簿：1个评分完成，1个有错误，0个无法处理。" in result.output


def test_second_run_skips_its_own_outputs(tmp_path):
    make_workbook(tmp_path / "a.xlsx")
    make_workbook(tmp_path / "b.xlsx")
    out = tmp_path / "out"  # inside the folder being searched
    for _ in range(2):
        result = _invoke(str(tmp_path), "-o", str(out))
        assert result.exit_code == 0, result.output
        assert "共2个工作簿" in result.output


def test_in_place_runs_skip_backups_and_reports(tmp_path):
    make_workbook(tmp_path / "a.xlsx")
    make_workbook(tmp_path / "b.xlsx")
    for _ in range(2):  # in place: backups and reports appear beside the files
        result = _invoke(str(tmp_path))
        assert result.exit_code == 0, result.output
        assert "共2个工作簿" in result.output
    assert (tmp_path / "a.xlsx.bak").exists() and (tmp_path / "b.xlsx.bak").exists()


def test_reports_written_in_batch(tmp_path):
    pytest.importorskip("xlreport.adapters.report")
    make_workbook(tmp_path / "a.xlsx")
    make_workbook(tmp_path / "b.xlsx")
    out = tmp_path / "out"
    result = _invoke(str(tmp_path), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.docx")) == ["a_自评报告.docx", "b_自评报告.docx"]
    from docx_schema import validate_docx

    for report in out.glob("*.docx"):
        assert validate_docx(report) == [], report.name


def test_a_bug_in_one_file_does_not_stop_the_batch(tmp_path, monkeypatch):
    for name in ("a", "b", "c"):
        make_workbook(tmp_path / f"{name}.xlsx")
    real = pipeline.build_file

    def flaky(path, **kwargs):
        if Path(path).name == "b.xlsx":
            raise RuntimeError("boom")
        return real(path, **kwargs)

    monkeypatch.setattr(pipeline, "build_file", flaky)  # inherited by forked workers; used in-process too
    for workers in (1, 2):
        rows = build_all(sorted(tmp_path.glob("*.xlsx")), output_dir=tmp_path / f"out{workers}", report=False,
                         workers=workers)
        assert [(r.path.name, r.exit_code) for r in rows] == [("a.xlsx", 0), ("b.xlsx", 3), ("c.xlsx", 0)]
        assert "RuntimeError: boom" in rows[1].message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers inherit the patch only when forked")
def test_a_worker_that_dies_fails_only_its_own_file(tmp_path, monkeypatch):
    names = [f"w{i}.xlsx" for i in range(6)]
    for name in names:
        make_workbook(tmp_path / name)
    real = pipeline.build_file

    def deadly(path, **kwargs):
        if Path(path).name == "w2.xlsx":
            os._exit(9)  # as if killed: the pool breaks
        return real(path, **kwargs)

    monkeypatch.setattr(pipeline, "build_file", deadly)
    rows = build_all([tmp_path / n for n in names], output_dir=tmp_path / "out", report=False, workers=2)
    assert [r.path.name for r in rows] == names
    assert {r.path.name: r.exit_code for r in rows} == {n: (3 if n == "w2.xlsx" else 0) for n in names}
    assert "意外退出" in rows[2].message
