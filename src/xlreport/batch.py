"""Build many workbooks on all cores with a progress bar; one bad file never stops the batch.

Speed: the parent imports everything a build needs (openpyxl, the scoring core and, with
reports, the report stack) *before* it starts the workers, so on Linux the forked workers
begin warm and share those pages; where workers are spawned instead (Windows, macOS) the
pool initializer does the same once per worker. Each worker returns only a small row.

Robustness: an exception in a build becomes that file's row (exit code 3). A worker that dies
outright (killed, out of memory, a crash in a C extension) breaks the whole process pool; the
files that were still pending are then built again, each in a process of its own, so only the
file that kills its process is reported as failed.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from xlreport.core import catalogue
from xlreport.core.failures import EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_UNUSABLE


@dataclass(frozen=True)
class BatchRow:
    path: Path
    exit_code: int
    total: str
    grade: str
    errors: int
    warnings: int
    message: str


def warm_up(report: bool) -> None:
    """Import what a build needs, once per process (see the module docstring)."""
    from xlreport.adapters import openpyxl_loader, safety, xlsx_io  # noqa: F401  (openpyxl without numpy)

    if report:
        try:
            from xlreport.adapters import report as _report  # noqa: F401
        except ImportError:  # the build reports a missing report module per file
            pass


def build_one(path: Path, output: Path | None, report: bool, templates_dir: Path | None, pdf: bool,
              rules=None) -> BatchRow:
    """Runs in a worker process; returns only small, picklable facts.

    ``rules``: the RulesProfile every file is scored with (None: each workbook's own 评分规则).
    """
    from xlreport.pipeline import build_file

    try:
        outcome = build_file(path, output=output, report=report, templates_dir=templates_dir, pdf=pdf,
                             rules=rules)
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other files
        return _internal(path, f"{type(exc).__name__}: {exc}")
    total = f"{outcome.total:.2f}" if outcome.total is not None else "—"
    message = outcome.failure.message if outcome.failure else outcome.summary
    return BatchRow(path, outcome.exit_code, total, outcome.grade or "—", outcome.n_errors,
                    outcome.n_warnings, message)


def _internal(path: Path, what: str) -> BatchRow:
    return BatchRow(path, EXIT_INTERNAL, "", "", 0, 0, catalogue.message("internal-error", "batch", detail=what))


def _target(path: Path, output_dir: Path | None) -> Path | None:
    return output_dir / path.name if output_dir else None


def _context():
    """fork where it exists and is safe (Linux): workers inherit the warm parent."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _run_pool(paths: list[Path], workers: int, args: tuple, on_row) -> list[Path]:
    """Build paths in one pool; returns the paths whose worker died (pool broken)."""
    output_dir, report, templates_dir, pdf, rules = args
    broken: list[Path] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(), initializer=warm_up,
                             initargs=(report,)) as pool:
        futures = {pool.submit(build_one, p, _target(p, output_dir), report, templates_dir, pdf, rules): p
                   for p in paths}
        on_row(None)  # all submitted: the caller may start showing progress
        for future in as_completed(futures):
            path = futures[future]
            try:
                row = future.result()
            except BrokenProcessPool:
                broken.append(path)
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be unpickled
                row = _internal(path, f"{type(exc).__name__}: {exc}")
            on_row(row)
    return broken


def build_all(paths: list[Path], *, output_dir: Path | None = None, report: bool = True,
              templates_dir: Path | None = None, pdf: bool = False, workers: int | None = None,
              on_row=None, on_start=None, rules=None) -> list[BatchRow]:
    """Build every file (all cores); rows in the order of ``paths``. No printing."""
    workers = max(1, min(len(paths), workers or os.cpu_count() or 1))
    rows: list[BatchRow] = []
    started = False

    def take(row: BatchRow | None) -> None:
        nonlocal started
        if row is None:
            if not started and on_start:
                on_start()
            started = True
            return
        rows.append(row)
        if on_row:
            on_row(row)

    args = (output_dir, report, templates_dir, pdf, rules)
    if workers == 1:
        take(None)
        for path in paths:
            take(build_one(path, _target(path, output_dir), report, templates_dir, pdf, rules))
    else:
        warm_up(report)  # once, in the parent: forked workers start warm
        broken = _run_pool(paths, workers, args, take)
        for path in broken:  # isolate: a file that kills its process fails alone
            if _run_pool([path], 1, args, take):
                take(_internal(path, "处理该文件的进程意外退出"))
    order = {p: i for i, p in enumerate(paths)}
    rows.sort(key=lambda r: order[r.path])
    return rows


def run_batch(paths: list[Path], *, output_dir: Path | None = None, report: bool = True,
              templates_dir: Path | None = None, pdf: bool = False, console=None,
              workers: int | None = None, rules=None) -> int:
    """Build every file with a progress bar; print a table; return the worst exit code."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.table import Table

    console = console or Console()
    if output_dir is not None:
        names = [p.name for p in paths]
        if len(set(names)) != len(names):
            console.print("多个工作簿同名，无法写入同一文件夹；请分批处理或不指定 -o。")
            return EXIT_UNUSABLE
        output_dir.mkdir(parents=True, exist_ok=True)
    # No refresh thread (auto_refresh=False): the bar is redrawn as each file finishes, and
    # worker processes are never forked while another thread runs.
    progress = Progress(TextColumn("评分中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False, auto_refresh=False)
    task = progress.add_task("build", total=len(paths))

    def advance(row: BatchRow) -> None:
        progress.advance(task)
        progress.refresh()

    try:
        rows = build_all(paths, output_dir=output_dir, report=report, templates_dir=templates_dir, pdf=pdf,
                         workers=workers, on_start=progress.start, on_row=advance, rules=rules)
    finally:
        progress.stop()
    table = Table(header_style="bold")
    for col in ("文件", "总分", "等级", "错误", "警告", "说明"):
        table.add_column(col, overflow="fold")
    for row in rows:
        note = "" if row.exit_code == EXIT_OK else row.message
        table.add_row(row.path.name, row.total, row.grade, str(row.errors), str(row.warnings), note)
    console.print(table)
    done = sum(1 for r in rows if r.exit_code == EXIT_OK)
    if rules is not None:
        console.print(f"评分规则：{rules.name}（{rules.title}，参数摘要{rules.digest}），适用于全部工作簿。")
    console.print(f"共{len(rows)}个工作簿：{done}个评分完成，"
                  f"{sum(1 for r in rows if r.exit_code == EXIT_ERRORS)}个有错误，"
                  f"{sum(1 for r in rows if r.exit_code >= EXIT_UNUSABLE)}个无法处理。")
    return max((r.exit_code for r in rows), default=EXIT_OK)
