"""The Excel button: ``import xlreport; xlreport.main()`` scores the active workbook in place.

An entry point like the command line: it runs the one :func:`xlreport.pipeline.build` over the live
book (:class:`xlreport.adapters.excel.LiveBook`) and turns the outcome into one message box. Real
Excel cannot run on Linux; everything beneath ``main`` is tested with a fake xlwings
(tests/fake_xlwings.py), ``main`` itself only in Excel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from xlreport.adapters.excel import MESSAGE_TITLE, LiveBook
from xlreport.core import catalogue
from xlreport.core.failures import EXIT_OK, EXIT_UNUSABLE


@dataclass
class ButtonResult:
    """What a button press did; ``message`` is the text of the box the user sees."""

    message: str
    ok: bool
    total: Any = None
    grade: str | None = None
    n_errors: int = 0
    n_warnings: int = 0
    report_path: Path | None = None
    notices: list[str] = field(default_factory=list)
    exit_code: int = EXIT_UNUSABLE


SAVE_REMINDER = ("评分结果已写入工作簿（只改动了输出单元格和“评分结果”“校验结果”工作表），"
                 "工作簿尚未保存，请确认后按 Ctrl+S 保存。")



def _is_addin(book) -> bool:
    return (book.name or "").lower().endswith((".xlam", ".xla"))



def run_on_book(book, *, now: datetime | None = None, report: bool = True,
                templates_dir: str | os.PathLike[str] | None = None) -> ButtonResult:
    """One press of the button: the same :func:`~xlreport.pipeline.build` as the command line,
    over the live book; the outcome as the text of one message box. Raises only for bugs."""
    from xlreport.pipeline import build

    outcome = build(LiveBook(book), report=report, templates_dir=templates_dir, now=now)
    if outcome.evaluation is None:
        return ButtonResult(outcome.summary, False, exit_code=outcome.exit_code)
    lines = [outcome.score_line]
    if outcome.report_path is not None:
        lines.append(f"自评报告已生成：{outcome.report_path}")
    if outcome.failure is not None:
        lines.append(outcome.failure.message)
    lines += outcome.notices
    lines.append(SAVE_REMINDER)
    return ButtonResult("\n".join(lines), True, outcome.total, outcome.grade, outcome.n_errors, outcome.n_warnings,
                        outcome.report_path, outcome.notices, outcome.exit_code)


# The entry point the button calls ------------------------------------------------------------
def calling_book():
    """The user's workbook. The custom add-in passes the *active* workbook to Python, so
    ``Book.caller()`` is the user's book; when the plain xlwings module sits inside an add-in,
    the caller is the add-in itself – then the active workbook is the one meant."""
    import xlwings as xw

    try:
        book = xw.Book.caller()
    except Exception:  # noqa: BLE001 - not started from Excel (e.g. from a terminal)
        return xw.books.active
    if _is_addin(book):
        return book.app.books.active
    return book


def main() -> None:
    """``import xlreport; xlreport.main()`` – what the Excel button runs."""
    book = calling_book()
    app = book.app
    active_sheet = None
    try:
        active_sheet = book.sheets.active
    except Exception:  # noqa: BLE001
        pass
    screen = None
    try:
        try:
            screen = app.screen_updating
            app.screen_updating = False
        except Exception:  # noqa: BLE001
            screen = None
        result = run_on_book(book)
    except Exception as exc:  # a bug: say so plainly, then let xlwings log the traceback
        if os.environ.get("XLREPORT_DEBUG"):
            raise
        _restore(app, screen, active_sheet)
        app.alert(catalogue.message("internal-error", "button", detail=f"{type(exc).__name__}: {exc}"),
                  title=MESSAGE_TITLE, mode="critical")
        return
    _restore(app, screen, active_sheet)
    app.alert(result.message, title=MESSAGE_TITLE, mode="info" if result.exit_code == EXIT_OK else "critical")


def _restore(app, screen, active_sheet) -> None:
    if screen is not None:
        try:
            app.screen_updating = screen
        except Exception:  # noqa: BLE001
            pass
    if active_sheet is not None:
        try:
            active_sheet.activate()  # adding a sheet activates it; give the user their view back
        except Exception:  # noqa: BLE001
            pass


__all__ = ["ButtonResult", "SAVE_REMINDER", "calling_book", "main", "run_on_book"]
