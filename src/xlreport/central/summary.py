"""The central office's summary: one row per unit and project (latest submission), with a chart.

Rows come from the mail registry (``rows_from_registry``) or from a folder of built workbooks
(``rows_from_folder``, scored again with the same function as the CLI, nothing written). Units on
the roster with nothing usable are listed as 未提交.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

HEADERS = ("单位", "项目", "年度", "全年预算数", "全年执行数", "执行率", "总分", "等级", "错误数", "警告数", "状态",
           "提交时间", "备注")
PASSED, HAS_ERRORS, NOT_SUBMITTED = "已通过", "有错误", "未提交"


@dataclass
class SummaryRow:
    unit: str
    project: str = ""
    year: str = ""
    annual: Decimal | None = None
    executed: Decimal | None = None
    rate: Decimal | None = None  # percent, e.g. 93.77
    total: Decimal | None = None
    grade: str | None = None
    n_errors: int | None = None
    n_warnings: int | None = None
    status: str = NOT_SUBMITTED
    submitted_at: datetime | None = None
    note: str = ""


def _key(text: str | None) -> str:
    return "".join((text or "").split())


def _latest(rows: Iterable[SummaryRow]) -> list[SummaryRow]:
    latest: dict[tuple[str, str], SummaryRow] = {}
    for row in sorted(rows, key=lambda r: r.submitted_at or datetime.min):
        latest[(_key(row.unit), _key(row.project))] = row
    return list(latest.values())


def roster_rows(rows: list[SummaryRow], roster_units: list[str], unusable: dict[str, list[str]]) -> list[SummaryRow]:
    """The latest row per unit and project, a 未提交 row for every roster unit without one (noting
    files received but unusable), in roster order."""
    rows = _latest(rows)
    present = {_key(r.unit) for r in rows}
    for unit in unusable:
        if _key(unit) not in present and unit not in roster_units:
            roster_units = [*roster_units, unit]
    for unit in roster_units:
        if _key(unit) not in present:
            note = ""
            if unusable.get(unit):
                note = "收到但无法使用：" + "、".join(unusable[unit][-3:])
            rows.append(SummaryRow(unit=unit, status=NOT_SUBMITTED, note=note))
    order = {_key(u): i for i, u in enumerate(roster_units)}
    rows.sort(key=lambda r: (order.get(_key(r.unit), len(order)), r.unit, r.project))
    return rows


def _local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:  # the registry stores UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone().replace(tzinfo=None, microsecond=0)


def rows_from_registry(url: str, roster_units: list[str] | None = None) -> list[SummaryRow]:
    from xlreport.central.registry import Registry, decimal_or_none

    registry = Registry(url)
    try:
        records = registry.all_submissions()
    finally:
        registry.dispose()
    rows: list[SummaryRow] = []
    unusable: dict[str, list[str]] = {}
    for rec in records:
        unit = rec["unit"] or rec["workbook_unit"] or rec["sender"] or "（未知单位）"
        if rec["status"] not in (PASSED, HAS_ERRORS):
            unusable.setdefault(unit, []).append(rec["file_name"])
            continue
        rows.append(SummaryRow(
            unit=unit, project=rec["project"] or "", year=rec["year"] or "",
            annual=decimal_or_none(rec["annual"]), executed=decimal_or_none(rec["executed"]),
            rate=decimal_or_none(rec["rate"]), total=decimal_or_none(rec["total"]), grade=rec["grade"],
            n_errors=rec["n_errors"], n_warnings=rec["n_warnings"], status=rec["status"],
            submitted_at=_local(rec["submitted_at"]), note=rec["file_name"]))
    return roster_rows(rows, list(roster_units or []), unusable)


def rows_from_folder(directory: Path, roster_units: list[str] | None = None,
                     exclude: Iterable[Path] = ()) -> tuple[list[SummaryRow], list[str]]:
    """Score each workbook in ``directory`` (read only). Returns rows and messages about skipped files."""
    from xlreport.adapters.files import collect_workbooks
    from xlreport.pipeline import build_file

    excluded = {p.resolve() for p in exclude}
    rows: list[SummaryRow] = []
    skipped: list[str] = []
    for path in collect_workbooks((directory,)):
        if path.resolve() in excluded:
            continue
        outcome = build_file(path, write=False)
        if outcome.failure is not None or outcome.evaluation is None:
            skipped.append(outcome.summary)
            continue
        ev = outcome.evaluation
        info, budget = ev.input.info, ev.budget
        rows.append(SummaryRow(
            unit=info.unit or info.department or path.stem, project=info.project, year=info.year,
            annual=budget.annual, executed=budget.executed, rate=budget.rate, total=ev.total, grade=ev.grade,
            n_errors=len(ev.errors), n_warnings=len(ev.warnings),
            status=PASSED if ev.complete else HAS_ERRORS,
            submitted_at=datetime.fromtimestamp(path.stat().st_mtime).replace(microsecond=0),
            note=path.name))
    return roster_rows(rows, list(roster_units or []), {}), skipped


def write_summary(rows: list[SummaryRow], path: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.label import DataLabelList
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from xlreport.adapters.xlsx_styles import page_setup_a4

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(list(HEADERS))
    header_fill = PatternFill("solid", fgColor="1F4E78")
    thin = Side(style="thin", color="BFBFBF")
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(bottom=thin)
    fills = {PASSED: PatternFill("solid", fgColor="E2EFDA"), HAS_ERRORS: PatternFill("solid", fgColor="FCE4D6"),
             NOT_SUBMITTED: PatternFill("solid", fgColor="EDEDED")}
    formats = {4: "#,##0.00", 5: "#,##0.00", 6: "0.00%", 7: "0.00", 9: "0", 10: "0", 12: "yyyy-mm-dd hh:mm"}
    for row in rows:
        ws.append([row.unit, row.project or None, row.year or None, row.annual, row.executed,
                   (row.rate / 100) if row.rate is not None else None, row.total, row.grade, row.n_errors,
                   row.n_warnings, row.status, row.submitted_at, row.note or None])
        r = ws.max_row
        for col, fmt in formats.items():
            ws.cell(r, col).number_format = fmt
        ws.cell(r, 11).fill = fills.get(row.status, PatternFill())
    widths = (24, 34, 8, 14, 14, 10, 10, 8, 8, 8, 10, 18, 36)
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{max(ws.max_row, 2)}"
    ws.row_dimensions[1].height = 22
    page_setup_a4(ws, title_rows="1:1")

    # The chart: scores by unit, from its own small table (only rows with a score).
    cs = wb.create_sheet("得分图")
    cs.append(["单位", "总分"])
    for cell in cs[1]:
        cell.font = Font(bold=True)
    scored = [r for r in rows if r.total is not None]
    many = {}
    for r in scored:
        many[r.unit] = many.get(r.unit, 0) + 1
    for r in sorted(scored, key=lambda r: r.total, reverse=True):  # type: ignore[arg-type,return-value]
        label = f"{r.unit}（{r.project}）" if many[r.unit] > 1 and r.project else r.unit
        cs.append([label, r.total])
        cs.cell(cs.max_row, 2).number_format = "0.00"
    cs.column_dimensions["A"].width = 36
    cs.column_dimensions["B"].width = 10
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = "各单位绩效自评得分"
    chart.y_axis.title = "总分"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.x_axis.title = None
    chart.legend = None
    n = max(len(scored), 1)
    data = Reference(cs, min_col=2, min_row=1, max_row=n + 1)
    cats = Reference(cs, min_col=1, min_row=2, max_row=n + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.x_axis.scaling.orientation = "maxMin"  # highest score on top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height = max(7.5, 0.8 * n + 3)
    chart.width = 22
    cs.add_chart(chart, "D2")

    from xlreport.adapters.template import save_atomic

    return save_atomic(wb, path)
