"""Fill the blank template by its labels, as a unit (or a reviewer's script) would.

Tests describe a workbook as plain Python data; this module writes it into a fresh
template found by label text only, so the tests exercise the same contract users rely on.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from xlreport.adapters.template import build_template
from xlreport.core import schema

INDICATOR_KEYS = {label.key: label.text for label in (*schema.INDICATOR_INPUTS, *schema.INDICATOR_OUTPUTS)}


def find_label(ws, text: str) -> tuple[int, int]:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None and schema.normalize_label(cell.value) == schema.normalize_label(text):
                return cell.row, cell.column
    raise KeyError(text)


def indicator_columns(ws) -> tuple[int, dict[str, int]]:
    row, _ = find_label(ws, "三级指标")
    cols = {}
    for cell in ws[row]:
        for key, text in INDICATOR_KEYS.items():
            if cell.value is not None and schema.normalize_label(cell.value) == schema.normalize_label(text):
                cols[key] = cell.column
    return row, cols


def fill(wb, *, info: dict[str, Any] | None = None, budget: dict[str, tuple] | None = None,
         budget_weight: Any = 10, budget_method: str | None = None, threshold: Any = None,
         indicators: list[dict[str, Any]] | None = None, snippets: dict[str, str] | None = None) -> None:
    ws = wb[schema.SHEET_INFO]
    for label, value in (info or {}).items():
        r, c = find_label(ws, label)
        ws.cell(r, c + 1).value = value
    ws = wb[schema.SHEET_BUDGET]
    for label, amounts in (budget or {}).items():
        r, _ = find_label(ws, label)
        header_row, _ = find_label(ws, "全年预算数")
        cols = {}
        for cell in ws[header_row]:
            for key in ("年初预算数", "全年预算数", "全年执行数"):
                if cell.value and schema.normalize_label(cell.value) == key:
                    cols[key] = cell.column
        for key, value in zip(("年初预算数", "全年预算数", "全年执行数"), amounts):
            ws.cell(r, cols[key]).value = value
    r, c = find_label(ws, "预算执行率分值")
    ws.cell(r, c + 1).value = budget_weight
    if budget_method is not None:
        r, c = find_label(ws, "执行率评分方法")
        ws.cell(r, c + 1).value = budget_method
    if threshold is not None:
        r, c = find_label(ws, "执行率达标值")
        ws.cell(r, c + 1).value = threshold
    if indicators is not None:
        ws = wb[schema.SHEET_INDICATORS]
        header_row, cols = indicator_columns(ws)
        for row in range(header_row + 1, ws.max_row + 1):
            for col in cols.values():
                ws.cell(row, col).value = None
        for i, item in enumerate(indicators):
            for key, value in item.items():
                ws.cell(header_row + 1 + i, cols[key]).value = value
    if snippets:
        ws = wb[schema.SHEET_TEXTS]
        header_row, _ = find_label(ws, "内容")
        _, content_col = find_label(ws, "内容")
        for key, text in snippets.items():
            try:
                r, _ = find_label(ws, key)
            except KeyError:
                continue  # not a section of this report type
            ws.cell(r, content_col).value = text


ALL_SNIPPETS_FILLED = {key: f"{key}的内容。" for key in schema.ALL_SNIPPETS}


def simple_indicators() -> list[dict[str, Any]]:
    """A clean 项目支出 table worth 90 points (10 more on the budget sheet)."""
    return [
        dict(level1="产出指标", level2="数量指标", name="培训次数", target="≥2", unit="次", actual="2", weight=20),
        dict(name="参保人数", target="≥1000", unit="人", actual="1000", weight=20),
        dict(level2="质量指标", name="合格率", target="≥90%", actual="100%", weight=20,
             deviation="培训组织充分。"),
        dict(level1="效益指标", level2="社会效益指标", name="宣传能力", target="显著提升", actual="显著提升", weight=15),
        dict(level1="满意度指标", level2="服务对象满意度指标", name="满意度", target="≥85%", actual="90%", weight=15),
    ]


@lru_cache(maxsize=4)
def _blank(report_type: str):
    return build_template(report_type)


def make_grid(report_type: str = schema.TYPE_PROJECT, *, info: dict[str, Any] | None = None,
              budget: dict[str, tuple] | None = None, indicators: list[dict[str, Any]] | None = None,
              snippets: dict[str, str] | None = None, **kwargs: Any):
    """The same filled workbook as :func:`make_workbook`, as the grid the reader sees, without
    writing a file (a copy of a blank template built once per type)."""
    from xlreport.adapters.xlsx_io import GRID_SHEETS, _sheet_grid
    from xlreport.core.grid import BookGrid

    wb = copy.deepcopy(_blank(report_type))
    base_info = {"评价年度": 2022, "项目名称": "测试项目", "主管部门": "测试局", "实施单位": "测试中心",
                 "年度总体目标": "完成年度任务。", "年度目标完成情况": "已完成。"}
    base_info.update(info or {})
    fill(wb, info=base_info, budget=budget if budget is not None else {"年度资金总额": (100, 100, 95)},
         indicators=indicators if indicators is not None else simple_indicators(),
         snippets=snippets if snippets is not None else ALL_SNIPPETS_FILLED, **kwargs)
    sheets = {ws.title: _sheet_grid(ws, ws.title, formulas=True) for ws in wb.worksheets if ws.title in GRID_SHEETS}
    return BookGrid(sheets=sheets, path="内存工作簿.xlsx")


def make_workbook(path: Path, report_type: str = schema.TYPE_PROJECT, *,
                  info: dict[str, Any] | None = None, budget: dict[str, tuple] | None = None,
                  indicators: list[dict[str, Any]] | None = None, snippets: dict[str, str] | None = None,
                  **kwargs: Any) -> Path:
    wb = build_template(report_type)
    base_info = {"评价年度": 2022, "项目名称": "测试项目", "主管部门": "测试局", "实施单位": "测试中心",
                 "年度总体目标": "完成年度任务。", "年度目标完成情况": "已完成。"}
    base_info.update(info or {})
    fill(wb, info=base_info, budget=budget if budget is not None else {"年度资金总额": (100, 100, 95)},
         indicators=indicators if indicators is not None else simple_indicators(),
         snippets=snippets if snippets is not None else ALL_SNIPPETS_FILLED, **kwargs)
    wb.save(path)
    return path
