"""The one build every entry point calls (command line, batch, Excel button, mail processor).

``score_grid`` is the pure core: grid in, evaluation and write plan out. :func:`build` runs it
over a :class:`Book` adapter – a workbook file (:class:`xlreport.adapters.xlsx_io.WorkbookFile`) or the
live Excel book (:class:`xlreport.adapters.excel.LiveBook`) – then writes the report beside it. What a
user can cause (a file that cannot be used, a report that cannot be written) comes back as a
:class:`BuildOutcome` with an exit code from :mod:`xlreport.core.failures`, never as an exception.
See docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from xlreport.core.failures import EXIT_ERRORS, EXIT_OK, XlreportError
from xlreport.core.grid import BookGrid
from xlreport.core.model import Evaluation
from xlreport.core.plan import WritePlan
from xlreport.core.problems import Problem

if TYPE_CHECKING:
    from xlreport.core.rules import RulesProfile

REPORT_SUFFIX = "_自评报告.docx"


def score_grid(grid: BookGrid, now: datetime | None = None,
               rules: RulesProfile | None = None,
               templates_dir: str | Path | None = None) -> tuple[Evaluation, WritePlan]:
    """Read, validate and score a workbook picture; plan what to write back (its sentences in
    the wording of ``templates_dir`` when an office gives one).

    ``rules``: a profile imposed by the caller (``--rules``, the mail processor's office
    profile); None lets the workbook's 评分规则 decide (ruleset.py, docs/rules.md).
    """
    from xlreport.core.planner import make_plan
    from xlreport.core.read_book import read_workbook
    from xlreport.core.reader import read_meta
    from xlreport.core.ruleset import MetaRules, choose_profile
    from xlreport.core.scoring import evaluate
    from xlreport.wording import wording

    wb_input, problems, layout = read_workbook(grid)
    chosen = choose_profile(wb_input, MetaRules.from_meta(read_meta(grid)[2]), rules, problems)
    evaluation = evaluate(wb_input, problems, chosen)
    if layout.form is not None:  # an official 自评表: compare the unit's own 得分
        from xlreport.core.form_writeback import check_stated_scores

        check_stated_scores(evaluation, layout.form)
    if evaluation.complete:  # what the report will leave for the unit to write, as 提示
        from xlreport.adapters.report.render import placeholder_problems

        try:
            evaluation.problems.extend(placeholder_problems(evaluation, templates_dir))
        except XlreportError:
            pass  # a broken report template is reported when the report is written
    return evaluation, make_plan(evaluation, layout, now, wording(templates_dir))


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
        return self.score_line

    @property
    def score_line(self) -> str:
        """The scoring result alone (total and grade, or how many errors stop it)."""
        ev = self.evaluation
        if ev is None:
            return "未评分。"
        if ev.total is None:
            return f"存在{len(ev.errors)}个错误、{len(ev.warnings)}个警告，总分不完整，请按“校验结果”修改后重新评分。"
        rules = f"按“{ev.rules.name}”评分规则，" if ev.rules is not None and ev.rules.id != "national" else ""
        return (f"{rules}总分{ev.total:.2f}分，评价等级“{ev.grade}”；"
                f"{len(ev.warnings)}个警告、{len(ev.infos)}个提示。")


def exit_code_for(evaluation: Evaluation) -> int:
    return EXIT_OK if evaluation.complete else EXIT_ERRORS


def default_report_path(workbook: Path) -> Path:
    return workbook.with_name(workbook.stem + REPORT_SUFFIX)


NO_REPORT_WITH_ERRORS = "存在错误，本次未生成自评报告；请按“校验结果”修改后重新评分，即可生成报告。"


class Book(Protocol):
    """A workbook the build reads and writes back, wherever it lives. Both methods raise
    :class:`~xlreport.core.failures.XlreportError` for anything a user can cause."""

    source: Path  # the workbook's file (the report goes beside it)

    def read(self) -> BookGrid:
        """Guard and read the input sheets and ``_meta``."""
        ...

    def write(self, plan: WritePlan) -> Path | None:
        """Apply the plan; return the file written, or None when the user saves (live book)."""
        ...


def build(book: Book, *, write: bool = True, report: bool = True, report_path: str | Path | None = None,
          templates_dir: str | Path | None = None, pdf: bool = False, now: datetime | None = None,
          rules: RulesProfile | str | None = None) -> BuildOutcome:
    """Score ``book``, write the plan back and the report beside it. Never raises for anything
    a user can cause.

    ``rules``: a profile (or a built-in's id or name, or a profile file) that scores the book
    whatever its 评分规则 says.
    """
    try:
        if isinstance(rules, str):
            from xlreport.core.rules import load_profile

            rules = load_profile(rules)
        evaluation, plan = score_grid(book.read(), now, rules, templates_dir)
        outcome = BuildOutcome(book.source, exit_code_for(evaluation), evaluation)
        if write:
            outcome.workbook_path = book.write(plan)
    except XlreportError as exc:
        return BuildOutcome(book.source, exc.exit_code, failure=exc)
    if write and report:
        _write_report(outcome, evaluation, report_path, templates_dir, pdf)
    return outcome


def _write_report(outcome: BuildOutcome, evaluation: Evaluation, report_path, templates_dir, pdf: bool) -> None:
    if not evaluation.complete:
        outcome.notices.append(NO_REPORT_WITH_ERRORS)
        return
    from xlreport.adapters.report import write_report

    written = outcome.workbook_path or outcome.source
    destination = Path(report_path) if report_path else default_report_path(written)
    try:
        outcome.report_path = write_report(evaluation, destination, templates_dir=templates_dir)
    except XlreportError as exc:  # the workbook is already written; say so
        outcome.failure, outcome.exit_code = exc, exc.exit_code
        where = f"工作簿已写回：{outcome.workbook_path}" if outcome.workbook_path else "评分结果已写入工作簿"
        outcome.notices.append(f"{where}，但自评报告未能生成。")
        return
    if pdf:
        from xlreport.adapters.report import convert_to_pdf

        outcome.pdf_path, notice = convert_to_pdf(outcome.report_path)
        if notice:
            outcome.notices.append(notice)


def build_file(path: str | Path, *, output: str | Path | None = None, write: bool = True,
               report: bool = True, report_path: str | Path | None = None,
               templates_dir: str | Path | None = None, pdf: bool = False,
               now: datetime | None = None, rules: RulesProfile | str | None = None) -> BuildOutcome:
    """Build one workbook file (written to ``output``, or in place with a .bak copy)."""
    from xlreport.adapters.xlsx_io import WorkbookFile

    return build(WorkbookFile(path, output), write=write, report=report, report_path=report_path,
                 templates_dir=templates_dir, pdf=pdf, now=now, rules=rules)
