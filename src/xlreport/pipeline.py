"""The one build function every entry point calls (CLI, Excel button, mail processor).

``score_grid`` is the pure core: grid in, evaluation and write plan out. ``build_file`` adds
the file edges: guard, load, apply, save atomically, write the report. User-caused
failures come back as a :class:`BuildOutcome` with exit code 2, never as an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from .failures import EXIT_ERRORS, EXIT_OK, EXIT_UNUSABLE, FileRejected, XlreportError
from .grid import BookGrid
from .model import Evaluation
from .plan import WritePlan
from .problems import Problem

REPORT_SUFFIX = "_自评报告.docx"


def score_grid(grid: BookGrid, now: datetime | None = None,
               templates_dir: str | Path | None = None) -> tuple[Evaluation, WritePlan]:
    """Read, validate and score a workbook picture; plan what to write back (its sentences in
    the wording of ``templates_dir`` when an office gives one)."""
    from .planner import make_plan
    from .reader import read_workbook
    from .scoring import evaluate

    wb_input, problems, layout = read_workbook(grid)
    evaluation = evaluate(wb_input, problems)
    if evaluation.complete:  # what the report will leave for the unit to write, as 提示
        from .report.render import placeholder_problems

        try:
            evaluation.problems.extend(placeholder_problems(evaluation, templates_dir))
        except XlreportError:
            pass  # a broken report template is reported when the report is written
    return evaluation, make_plan(evaluation, layout, now, templates_dir)


@dataclass
class BuildOutcome:
    source: Path
    exit_code: int
    evaluation: Evaluation | None = None
    workbook_path: Path | None = None
    report_path: Path | None = None
    pdf_path: Path | None = None
    failure: XlreportError | None = None
    notices: list[str] = field(default_factory=list)

    @property
    def total(self) -> Decimal | None:
        return self.evaluation.total if self.evaluation else None

    @property
    def grade(self) -> str | None:
        return self.evaluation.grade if self.evaluation else None

    @property
    def problems(self) -> list[Problem]:
        return self.evaluation.problems if self.evaluation else []

    @property
    def n_errors(self) -> int:
        return len(self.evaluation.errors) if self.evaluation else 0

    @property
    def n_warnings(self) -> int:
        return len(self.evaluation.warnings) if self.evaluation else 0

    @property
    def summary(self) -> str:
        """One line of plain Chinese for terminals, message boxes and e-mails."""
        if self.failure is not None:
            return self.failure.message
        ev = self.evaluation
        if ev is None:
            return "未评分。"
        if ev.total is None:
            return f"存在{len(ev.errors)}个错误、{len(ev.warnings)}个警告，总分不完整，请按“校验结果”修改后重新评分。"
        return (f"总分{ev.total:.2f}分，评价等级“{ev.grade}”；"
                f"{len(ev.warnings)}个警告、{len(ev.infos)}个提示。")


def default_report_path(workbook: Path) -> Path:
    return workbook.with_name(workbook.stem + REPORT_SUFFIX)


def build_file(path: str | Path, *, output: str | Path | None = None, write: bool = True,
               report: bool = True, report_path: str | Path | None = None,
               templates_dir: str | Path | None = None, pdf: bool = False,
               now: datetime | None = None) -> BuildOutcome:
    """Build one workbook. Never raises for anything a user can cause."""
    source = Path(path)
    try:
        return _build(source, output, write, report, report_path, templates_dir, pdf, now)
    except XlreportError as exc:
        return BuildOutcome(source, EXIT_UNUSABLE, failure=exc)


def _build(source: Path, output, write: bool, report: bool, report_path, templates_dir, pdf: bool,
           now: datetime | None) -> BuildOutcome:
    from .safety import guard_workbook
    from .xlsx_io import load_book, save_book

    info = guard_workbook(source)
    loaded = load_book(source, info)
    evaluation, plan = score_grid(loaded.grid, now, templates_dir)
    outcome = BuildOutcome(source, EXIT_OK if evaluation.complete else EXIT_ERRORS, evaluation)
    if not write:
        return outcome

    target = Path(output) if output else source
    in_place = target.resolve() == source.resolve()
    if in_place and loaded.lost_on_save:
        raise FileRejected.make("file-keeps-parts", parts="、".join(loaded.lost_on_save))
    from .xlsx_io import apply_plan

    apply_plan(loaded.workbook, plan)
    outcome.workbook_path = save_book(loaded, target, backup=in_place)

    if report:
        if evaluation.complete:
            from .report import write_report

            destination = Path(report_path) if report_path else default_report_path(outcome.workbook_path)
            try:
                outcome.report_path = write_report(evaluation, destination, templates_dir=templates_dir)
            except XlreportError as exc:  # the workbook is already written; say so
                outcome.failure, outcome.exit_code = exc, EXIT_UNUSABLE
                outcome.notices.append(f"工作簿已写回：{outcome.workbook_path}，但自评报告未能生成。")
                return outcome
            if pdf:
                from .report import convert_to_pdf

                outcome.pdf_path, notice = convert_to_pdf(outcome.report_path)
                if notice:
                    outcome.notices.append(notice)
        else:
            outcome.notices.append("存在错误，本次未生成自评报告；修正错误后重新评分即可生成。")
    return outcome
