"""Scoring in a process pool: the same ``build_file`` as the CLI and the mail processor.

The worker functions return plain, picklable dicts (the submission row and its details), so the
web process never holds a workbook and one slow or crashing build cannot stall the others.
"""

from __future__ import annotations

import asyncio
import gc
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from xlreport.core import catalogue

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


def _warm(sample: str | None = None) -> int:
    """Import the build path once per worker (and build one workbook, which also loads the report
    template), so the first uploads are as fast as the rest."""
    import xlreport.adapters.report
    import xlreport.adapters.safety
    import xlreport.adapters.xlsx_io  # noqa: F401

    if sample:
        import tempfile
        import time

        with tempfile.TemporaryDirectory(prefix="xlreport-warm-") as tmp:
            score_upload(sample, str(Path(tmp) / output_name(sample)), Path(sample).name)
        time.sleep(0.2)  # let the other workers take the other warm-up calls
    gc.freeze()  # the imported modules live for the worker's life: keep them out of every collection
    return os.getpid()


def output_name(file_name: str) -> str:
    p = Path(file_name)
    return p.name if p.suffix.lower() in WORKBOOK_SUFFIXES else p.stem + ".xlsx"


def details_of(outcome) -> dict[str, Any]:
    """The submission's numbers, problems and scores from a build outcome."""
    from xlreport.core.planner import sort_problems

    ev = outcome.evaluation
    if ev is None:
        return {"row": {}, "problems": [], "indicators": [], "groups": []}
    info, budget = ev.input.info, ev.budget
    row = {"project": info.project or None, "year": info.year or None, "report_type": info.report_type,
           "department": info.department or None, "workbook_unit": info.unit or None,
           "annual": budget.annual, "executed": budget.executed, "rate": budget.rate, "total": ev.total,
           "grade": ev.grade, "n_errors": len(ev.errors), "n_warnings": len(ev.warnings),
           "n_infos": len(ev.infos)}
    probs = [{"level": p.level.value, "code": p.code, "title": p.title, "sheet": p.sheet, "cell": p.cell,
              "message": p.message} for p in sort_problems(ev.problems)]
    indicators = [{"level1": r.source.level1, "level2": r.source.level2, "name": r.name, "weight": r.weight,
                   "score": r.final, "status": r.status} for r in ev.indicators]
    groups = [{"name": g.name, "weight": g.weight, "score": g.score} for g in ev.groups]
    if budget.score is not None and budget.weight:
        groups.append({"name": "预算执行率", "weight": budget.weight, "score": budget.score})
    return {"row": row, "problems": probs, "indicators": indicators, "groups": groups}


def _plain(message: str, *paths: Path, name: str) -> str:
    for p in paths:
        message = message.replace(str(p), name)
    return message


def score_upload(source: str, output: str, file_name: str, templates_dir: str | None = None) -> dict[str, Any]:
    """Build one uploaded workbook (write-back and report, in the office's wording when it has its own);
    never raises."""
    from xlreport.pipeline import build_file

    src, out = Path(source), Path(output)
    gc.disable()  # one build's objects die together; collecting midway only costs time (as the CLI does)
    try:
        outcome = build_file(src, output=out, report=True, templates_dir=templates_dir)
    except Exception as exc:  # noqa: BLE001 - a bug in the build: recorded, answered, never a 500
        reason = catalogue.message("internal-error", "portal", name=file_name, detail=type(exc).__name__)
        return {"outcome": "failed", "reason": reason, "details": None}
    finally:
        gc.enable()
    result = details_of(outcome)
    ev = outcome.evaluation
    if outcome.failure is not None and (ev is None or not outcome.workbook_path):
        return {"outcome": "rejected", "reason": _plain(outcome.failure.message, src, out, name=file_name),
                "details": result}
    reason = None
    if outcome.failure is not None:  # the workbook is written, the report could not be
        reason = _plain(outcome.failure.message, src, out, name=file_name)
    return {"outcome": "scored" if ev is not None and ev.complete else "errors", "reason": reason,
            "workbook_path": str(outcome.workbook_path) if outcome.workbook_path else None,
            "report_path": str(outcome.report_path) if outcome.report_path else None,
            "details": result}


def rescore(path: str) -> dict[str, Any] | None:
    """Problems and scores of a workbook already built elsewhere (mail), nothing written."""
    from xlreport.pipeline import build_file

    try:
        outcome = build_file(Path(path), write=False)
    except Exception:  # noqa: BLE001 - the totals from the registry still stand
        return None
    if outcome.evaluation is None:
        return None
    return details_of(outcome)


class BuildPool:
    """A process pool that heals itself when a worker dies (the next call gets a fresh pool)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))
        return self._pool

    def warm(self, sample: Path | None = None) -> None:
        futures = [self._executor().submit(_warm, str(sample) if sample else None) for _ in range(self.workers)]
        for f in futures:
            f.result(timeout=120)

    async def run(self, fn, *args, timeout: float = 120.0):
        loop = asyncio.get_running_loop()
        try:
            return await asyncio.wait_for(loop.run_in_executor(self._executor(), fn, *args), timeout)
        except BrokenProcessPool:
            self._pool = None
            raise

    def shutdown(self) -> None:
        """Stop the workers and wait for them. Without the wait the workers outlive the server
        (each keeps its end of the pool's queue, and the forkserver lives while they do): every
        restart of ``xlreport serve`` would leave three processes behind. Queued builds are
        cancelled; a build already running finishes (it is bounded by the build timeout)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
