"""Read a workbook picture: the full template (sheets found by label) or an official one-sheet
自评表 (found by content, read by :mod:`xlreport.core.forms`). Both end as the same
``WorkbookInput``, structural problems and write-back ``Layout`` (docs/workbook.md, docs/forms.md).
"""

from __future__ import annotations

from xlreport.core import forms, schema
from xlreport.core.failures import FileRejected
from xlreport.core.grid import BookGrid, SheetGrid
from xlreport.core.model import BasicInfo, BudgetInput, Ref, WorkbookInput
from xlreport.core.plan import Layout
from xlreport.core.problems import Problem, problem
from xlreport.core.reader import (
    find_sheet,
    formula_problems,
    read_budget,
    read_indicators,
    read_info,
    read_meta,
    read_snippets,
)
from xlreport.core.rules import parse_grades


def read_workbook(book: BookGrid) -> tuple[WorkbookInput, list[Problem], Layout]:
    """Build the input model; also returns structural problems and layout facts for write-back."""
    problems: list[Problem] = []
    version, marks, meta = read_meta(book)
    if version is not None and version > schema.TEMPLATE_VERSION:
        raise FileRejected.make("file-newer-version", found=version, supported=schema.TEMPLATE_VERSION)

    sheets = {name: find_sheet(book, name) for name in schema.INPUT_SHEETS}
    indicator_sheet, is_form = forms.locate(book, sheets)
    if is_form:
        return _read_form_workbook(book, indicator_sheet, problems, version, marks, meta)
    sheets[schema.SHEET_INDICATORS] = indicator_sheet
    for name in (schema.SHEET_INFO, schema.SHEET_BUDGET, schema.SHEET_INDICATORS):
        if sheets[name] is None:
            problems.append(problem("missing-sheet", name, None, name=name))
    if sheets[schema.SHEET_TEXTS] is None:
        problems.append(problem("texts-sheet-missing", schema.SHEET_TEXTS, None))

    info = read_info(sheets[schema.SHEET_INFO], problems) if sheets[schema.SHEET_INFO] else BasicInfo(
        grades=parse_grades(schema.DEFAULT_GRADES) or ())
    budget = read_budget(sheets[schema.SHEET_BUDGET], problems, meta.get("budget_rate_written")) \
        if sheets[schema.SHEET_BUDGET] else BudgetInput()
    if indicator_sheet is not None:
        indicators, header_row, cols = read_indicators(indicator_sheet, problems)
    else:
        indicators, header_row, cols = [], 0, {}
    snippets = read_snippets(sheets[schema.SHEET_TEXTS], problems)
    for sheet in sheets.values():
        if sheet is not None:
            problems.extend(formula_problems(sheet))
    layout = Layout(
        sheet_names={name: (s.name if s else None) for name, s in sheets.items()},
        indicator_header_row=header_row,
        indicator_columns=cols,
        indicator_max_row=indicator_sheet.max_row if indicator_sheet else 0,
        indicator_max_col=indicator_sheet.max_col if indicator_sheet else 0,
    )
    wb = WorkbookInput(info=info, budget=budget, indicators=indicators, snippets=snippets,
                       template_version=version, previous_marks=marks)
    if indicator_sheet is not None and "weight" in cols:
        wb.weight_header = Ref(indicator_sheet.name, header_row, cols["weight"])
    return wb, problems, layout


def _read_form_workbook(book: BookGrid, sheet: SheetGrid, problems: list[Problem], version: int | None,
                        marks: list, meta: dict) -> tuple[WorkbookInput, list[Problem], Layout]:
    """An official one-sheet 自评表: everything comes from the one sheet."""
    filled = {cell: value for (name, cell), value in meta.get("filled", {}).items() if name == sheet.name}
    info, budget, indicators, snippets, form = forms.read_form(sheet, problems, filled)
    problems.extend(formula_problems(sheet))
    layout = Layout(
        sheet_names={name: None for name in schema.INPUT_SHEETS} | {schema.SHEET_INDICATORS: sheet.name},
        indicator_header_row=form.header_row,
        indicator_columns=form.cols,
        indicator_max_row=form.last_row,
        indicator_max_col=sheet.max_col,
        form=form,
    )
    wb = WorkbookInput(info=info, budget=budget, indicators=indicators, snippets=snippets,
                       template_version=version, previous_marks=marks)
    if "weight" in form.cols:
        wb.weight_header = Ref(sheet.name, form.header_row, form.cols["weight"])
    return wb, problems, layout
