"""Build many workbooks on all cores with a progress bar; one bad file never stops the batch."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

EXIT_INTERNAL = 3


@dataclass(frozen=True)
class BatchRow:
    path: Path
    exit_code: int
    total: str
    grade: str
    errors: int
    warnings: int
    message: str


def build_one(path: Path, output: Path | None, report: bool, templates_dir: Path | None, pdf: bool) -> BatchRow:
    """Runs in a worker process; returns only small, picklable facts."""
    from .pipeline import build_file

    try:
        outcome = build_file(path, output=output, report=report, templates_dir=templates_dir, pdf=pdf)
    except Exception as exc:  # a bug must not stop the other files
        return BatchRow(path, EXIT_INTERNAL, "", "", 0, 0, f"程序内部错误（{type(exc).__name__}: {exc}）")
    total = f"{outcome.total:.2f}" if outcome.total is not None else "—"
    message = outcome.failure.message if outcome.failure else outcome.summary
    return BatchRow(path, outcome.exit_code, total, outcome.grade or "—", outcome.n_errors,
                    outcome.n_warnings, message)


def _target(path: Path, output_dir: Path | None) -> Path | None:
    return output_dir / path.name if output_dir else None


def run_batch(paths: list[Path], *, output_dir: Path | None = None, report: bool = True,
              templates_dir: Path | None = None, pdf: bool = False, console=None,
              workers: int | None = None) -> int:
    """Build every file; print a table; return the worst exit code."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = console or Console()
    if output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        names = [p.name for p in paths]
        if len(set(names)) != len(names):
            console.print("多个工作簿同名，无法写入同一文件夹；请分批处理或不指定 -o。")
            return 2
    workers = workers or min(len(paths), os.cpu_count() or 1)
    rows: list[BatchRow] = []
    progress = Progress(TextColumn("评分中"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        console=console, transient=False)
    with progress:
        task = progress.add_task("build", total=len(paths))
        if workers <= 1:
            for path in paths:
                rows.append(build_one(path, _target(path, output_dir), report, templates_dir, pdf))
                progress.advance(task)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = [pool.submit(build_one, p, _target(p, output_dir), report, templates_dir, pdf)
                           for p in paths]
                for future in as_completed(futures):
                    rows.append(future.result())
                    progress.advance(task)
    order = {p: i for i, p in enumerate(paths)}
    rows.sort(key=lambda r: order[r.path])
    table = Table(header_style="bold")
    for col in ("文件", "总分", "等级", "错误", "警告", "说明"):
        table.add_column(col, overflow="fold")
    for row in rows:
        note = "" if row.exit_code == 0 else row.message
        table.add_row(row.path.name, row.total, row.grade, str(row.errors), str(row.warnings), note)
    console.print(table)
    done = sum(1 for r in rows if r.exit_code == 0)
    console.print(f"共{len(rows)}个工作簿：{done}个评分完成，"
                  f"{sum(1 for r in rows if r.exit_code == 1)}个有错误，"
                  f"{sum(1 for r in rows if r.exit_code >= 2)}个无法处理。")
    return max((r.exit_code for r in rows), default=0)
