"""Each reply's data, from the worker's results (see :mod:`xlreport.central.mail.worker`); the words
are the wording layer's mail templates (``回复_*.j2``), overridable from the office's folder.

The numbers are the worker's, formatted once here (half-up, two places). An office's template that
fails gives the package's own text for that reply; :attr:`Body.template_error` says why, for the log
and the message's reason in the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from xlreport.central.mail.compose import WORKBOOK_SUFFIXES
from xlreport.central.mail.headers import one_line
from xlreport.core.failures import EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_UNUSABLE
from xlreport.wording.mail import (
    MAX_PROBLEM_LINES,
    FileOutcome,
    FileView,
    NotCopied,
    NoticeView,
    NoWorkbookView,
    ResultsView,
    amount,
    percent,
    points,
    render,
)


class Notice(StrEnum):
    """Short replies that carry no data (refused, unreadable, too large, failed)."""

    UNPARSEABLE = "unparseable"
    TOO_LARGE = "too-large"
    UNVERIFIED = "unverified"
    FAILED = "failed"
    BUILD_BROKEN = "build-broken"


@dataclass
class Body:
    text: str
    files: list[tuple[str, bytes | Path]] = field(default_factory=list)
    need_template: bool = False
    template_error: str | None = None  # the office's template failed; the package's text was used


def file_status(r: dict[str, Any]) -> str:
    return {EXIT_OK: "已通过", EXIT_ERRORS: "有错误", EXIT_UNUSABLE: "无法使用"}.get(exit_code(r), "处理失败")


def exit_code(r: dict[str, Any]) -> int:
    if r.get("internal"):
        return EXIT_INTERNAL
    if r.get("rejected"):
        return EXIT_UNUSABLE
    return int(r.get("exit_code", EXIT_UNUSABLE))


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def notice(kind: Notice, unit: str | None, subject: str, detail: str = "",
           templates: str | Path | None = None) -> Body:
    # A forged message's subject is a stranger's words: never relayed to the unit.
    shown = one_line(subject, 80) if subject and kind is not Notice.UNVERIFIED else ""
    out = render("回复_通知.j2", NoticeView(str(kind), unit or "", shown, detail), templates)
    return Body(out.text, template_error=out.error)


def no_workbook(unit: str, subject: str, other_files: list[str], template_name: str,
                templates: str | Path | None = None) -> Body:
    view = NoWorkbookView(unit, subject, tuple(one_line(n, 80) for n in other_files[:5]), template_name)
    out = render("回复_无附件.j2", view, templates)
    return Body(out.text, template_error=out.error)


def results_body(unit: str, subject: str, results: list[dict[str, Any]], not_copied: list[NotCopied],
                 templates: str | Path | None = None) -> Body:
    body = Body("")
    views = []
    for i, r in enumerate(results, 1):
        if r.get("internal"):
            views.append(FileView(i, r["name"], FileOutcome.INTERNAL))
        elif r.get("rejected"):
            body.need_template = True
            views.append(FileView(i, r["name"], FileOutcome.REJECTED, reason=r["rejected"]))
        else:
            views.append(_scored(i, r, body.files))
    out = render("回复_结果.j2", ResultsView(unit, subject, tuple(views), tuple(not_copied)), templates)
    body.text, body.template_error = out.text, out.error
    return body


def _scored(i: int, r: dict[str, Any], files: list[tuple[str, bytes | Path]]) -> FileView:
    """A built workbook: its figures, and the files attached for it (appended to ``files``)."""
    wb_path = r.get("workbook_path")
    name = r["name"] if r["name"].lower().endswith(WORKBOOK_SUFFIXES) else (Path(wb_path).name if wb_path else "")
    scored = exit_code(r) == EXIT_OK
    workbook = report = ""
    if wb_path:
        files.append((name, Path(wb_path)))
        workbook = name
    if scored and r.get("report_path"):
        report = Path(r["report_path"]).name
        files.append((report, Path(r["report_path"])))
    listed = (r.get("warnings") if scored else r.get("problems")) or []
    return FileView(
        n=i, name=r["name"], outcome=FileOutcome.SCORED if scored else FileOutcome.ERRORS,
        project=r.get("project") or "", year=str(r.get("year") or ""),
        annual=amount(_dec(r.get("annual"))), executed=amount(_dec(r.get("executed"))),
        rate=percent(_dec(r.get("rate"))), total=points(_dec(r.get("total"))), grade=r.get("grade") or "",
        n_errors=r.get("n_errors") or 0, n_warnings=r.get("n_warnings") or 0, n_infos=r.get("n_infos") or 0,
        adjustments=tuple(r.get("adjustments") or ()) if scored else (),
        workbook=workbook, report=report, report_failed=scored and bool(r.get("report_failure")),
        problems=tuple(listed[:MAX_PROBLEM_LINES]), more_problems=max(0, len(listed) - MAX_PROBLEM_LINES))
