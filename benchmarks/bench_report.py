"""Render one report in-process: what the Excel button and a batch worker pay per workbook.

    .venv/bin/python benchmarks/bench_report.py [--indicators 40] [--repeat 20]

Builds a generated workbook's Evaluation once, then times the first ``render_docx`` of the process
(imports and template preparation included) and the median of further renders. Run the same script
with ``PYTHONPATH=<another checkout>/src`` to compare two versions on the same machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    from workbooks import make_workbook

    import xlreport
    from xlreport.pipeline import build_file

    with tempfile.TemporaryDirectory(prefix="xlreport-bench-") as work:
        path = make_workbook(Path(work) / "wb.xlsx", seed=1000, n_indicators=args.indicators)
        t0 = time.perf_counter()
        ev = build_file(path, write=False).evaluation
        t1 = time.perf_counter()
        from xlreport.adapters.report import render_docx

        render_docx(ev)
        t2 = time.perf_counter()
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            render_docx(ev)
            times.append(time.perf_counter() - start)
    print(f"{Path(xlreport.__file__).parents[1]}: score {1000 * (t1 - t0):.0f} ms; first report "
          f"{1000 * (t2 - t1):.0f} ms; warm render median {1000 * statistics.median(times):.1f} ms "
          f"({args.indicators} indicators)")


if __name__ == "__main__":
    main()
