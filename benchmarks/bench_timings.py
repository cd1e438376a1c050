"""Timings that used to be wall-clock assertions in tests (flaky on a busy machine).

    .venv/bin/python benchmarks/bench_timings.py [--runs 7]

Prints the median and worst of ``--runs`` runs, on this machine, for:
  * rendering the report of a workbook with sixty indicators (template warm; target < 1.5 s);
  * refusing a workbook whose sheet claims 200 000 rows (``build_file``; target < 2 s);
  * ``guard_workbook`` refusing a sheet of 400 000 streamed rows (target < 2 s).
The tests keep checking what these produce (and the memory they take); only the time is here.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))


def _sixty_indicator_report(tmp: Path) -> Callable[[], object]:
    from report_fixtures import FULL_TEXTS, budget, indicator, make_evaluation

    from xlreport.adapters.report import write_report
    from xlreport.core import schema

    groups = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("效益指标", "社会效益指标"),
              ("满意度指标", "服务对象满意度指标")]
    rows = [indicator(5 + i, *groups[i * len(groups) // 60], f"指标{i + 1}", "≥95%", "97.5%", "1.5",
                      explanation=f"第{i + 1}项指标的完成情况说明，全年完成97.5%。") for i in range(60)]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(100, 95, 100), FULL_TEXTS)
    write_report(ev, tmp / "warm.docx")
    return lambda: write_report(ev, tmp / "report.docx")


def _huge_used_range(tmp: Path) -> Callable[[], object]:
    import openpyxl

    from xlreport.pipeline import build_file

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "绩效指标"
    ws["A1"] = "三级指标"
    ws["A200000"] = "x"
    path = tmp / "huge.xlsx"
    wb.save(path)
    return lambda: build_file(path)


def _streamed_rows(tmp: Path) -> Callable[[], object]:
    import openpyxl

    from xlreport.adapters.safety import guard_workbook
    from xlreport.core.failures import FileRejected

    src, path = tmp / "small.xlsx", tmp / "big.xlsx"
    openpyxl.Workbook().save(src)
    row = b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>'
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with zout.open(item.filename, "w") as fh:
                    fh.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                             b'spreadsheetml/2006/main"><sheetData>')
                    for r in range(1, 400_000):
                        fh.write(row % (r, r))
                    fh.write(b"</sheetData></worksheet>")
            else:
                zout.writestr(item, zin.read(item.filename))

    def refuse() -> None:
        try:
            guard_workbook(path)
        except FileRejected:
            return
        raise AssertionError("not refused")
    return refuse


CASES = {
    "report, 60 indicators": (_sixty_indicator_report, 1.5),
    "build_file refuses a 200 000-row used range": (_huge_used_range, 2.0),
    "guard_workbook refuses 400 000 streamed rows": (_streamed_rows, 2.0),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("XLREPORT_CACHE_DIR", str(Path(tmp) / "cache"))
        for name, (setup, target) in CASES.items():
            case_dir = Path(tmp) / str(len(name))
            case_dir.mkdir()
            run = setup(case_dir)
            seconds = []
            for _ in range(args.runs):
                start = time.perf_counter()
                run()
                seconds.append(time.perf_counter() - start)
            worst = max(seconds)
            print(f"{name:48} median {statistics.median(seconds):.3f} s, worst {worst:.3f} s "
                  f"(target {target} s: {'ok' if worst < target else 'SLOW'})")


if __name__ == "__main__":
    main()
