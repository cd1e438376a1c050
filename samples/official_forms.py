"""Build official one-sheet 自评表 the way units fill them (openpyxl), for samples and tests.

Four layouts: the national 项目支出绩效自评表 (attachment 1 of 财预〔2020〕10号), its 部门整体支出
counterpart (funds split 按收入性质 / 按支出性质), Sichuan's 部门预算项目支出绩效自评表 and a
Yunnan variant of the national form with a 指标性质 column (≧, ═). Cells are written as a unit
types them: merged 一级/二级 cells, a unit's own 得分 column, amounts with 元, full-width text.
Deterministic: the same data give the same cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

NATIONAL = "national"
DEPARTMENT = "department"
SICHUAN = "sichuan"
YUNNAN = "yunnan"

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


@dataclass
class FormIndicator:
    level1: str
    level2: str
    name: str
    target: Any
    actual: Any
    weight: Any
    stated: Any = None  # the unit's own 得分
    nature: str | None = None  # 指标性质 (Sichuan, Yunnan)
    unit: str | None = None  # 度量单位 (Sichuan, Yunnan)
    deviation: str | None = None
    actual_format: str | None = None


@dataclass
class FormData:
    kind: str
    project: str
    year: Any = "（2022年度）"
    department: str = ""
    unit: str = ""
    budget: dict[str, tuple] = field(default_factory=dict)  # row label -> (年初, 全年, 执行) as typed
    budget_weight: Any = 10
    budget_rate: Any = None  # a rate the unit typed
    budget_rate_format: str = "0.00%"
    budget_score: Any = None  # a budget score the unit typed
    goal: str = ""
    goal_done: str = ""
    indicators: list[FormIndicator] = field(default_factory=list)
    total_weight: Any = 100
    total_score: Any = None
    texts: dict[str, str] = field(default_factory=dict)  # 评价结论 / 存在问题 / 改进措施
    title: str | None = None
    two_row_header: bool = False  # 指标值 over 年度指标值 | 实际完成值 (a second header row)


class _Sheet:
    """A worksheet with the few moves a form needs: put, merge, box."""

    def __init__(self, ws, width: int) -> None:
        self.ws, self.width = ws, width

    def put(self, row: int, col: int, value: Any, number_format: str | None = None) -> None:
        cell = self.ws.cell(row, col)
        cell.value = value
        if number_format:
            cell.number_format = number_format

    def merge(self, r1: int, c1: int, r2: int, c2: int) -> None:
        if (r1, c1) != (r2, c2):
            self.ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)

    def box(self, r1: int, r2: int) -> None:
        for row in self.ws.iter_rows(min_row=r1, max_row=r2, max_col=self.width):
            for cell in row:
                cell.border = _BORDER
                cell.alignment = Alignment(vertical="center", wrap_text=True)
                cell.font = Font(name="宋体", size=10)


def _title(s: _Sheet, data: FormData, default: str) -> int:
    s.put(1, 1, data.title or default)
    s.ws.cell(1, 1).font = Font(name="方正小标宋简体", size=16, bold=True)
    s.merge(1, 1, 1, s.width)
    s.put(2, 1, data.year)
    s.merge(2, 1, 2, s.width)
    return 3


def _budget_and_goal(s: _Sheet, data: FormData, row: int, width: int, label: str) -> int:
    """The budget block (its label merged down the left) and the 年度总体目标 pair; the next free row."""
    head = row
    s.put(row, 1, label)
    for col, text in zip(range(3, 9), ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")):
        s.put(row, col, text)
    row = _budget_rows(s, data, row + 1, 2, 3, 6, 7, 8)
    s.merge(head, 1, row - 1, 1)
    s.put(row, 1, "年度总体目标")
    s.merge(row, 1, row + 1, 1)
    s.put(row, 2, "预期目标")
    s.merge(row, 2, row, 5)
    s.put(row, 6, "实际完成情况")
    s.merge(row, 6, row, width)
    s.put(row + 1, 2, data.goal)
    s.merge(row + 1, 2, row + 1, 5)
    s.put(row + 1, 6, data.goal_done)
    s.merge(row + 1, 6, row + 1, width)
    row += 2
    return row


def _budget_rows(s: _Sheet, data: FormData, row: int, label_col: int, amount_col: int,
                 weight_col: int, rate_col: int, score_col: int) -> int:
    """The budget lines; the first is the total row, carrying 分值, 执行率 and 得分."""
    first = True
    for label, amounts in data.budget.items():
        s.put(row, label_col, label)
        for i, value in enumerate(amounts):
            s.put(row, amount_col + i, value, "#,##0.00" if isinstance(value, (int, float)) else None)
        if first:
            s.put(row, weight_col, data.budget_weight)
            s.put(row, rate_col, data.budget_rate, data.budget_rate_format)
            s.put(row, score_col, data.budget_score, "0.00")
            first = False
        elif amounts:
            s.put(row, weight_col, "—")
            s.put(row, score_col, "—")
        row += 1
    return row


def _indicator_rows(s: _Sheet, data: FormData, row: int, cols: dict[str, int]) -> int:
    """Indicator rows with 一级/二级 merged down over their group (blank = same as above)."""
    groups: dict[str, list[int]] = {"level1": [], "level2": []}
    previous = {"level1": None, "level2": None}
    for item in data.indicators:
        for key in ("level1", "level2"):
            value = getattr(item, key)
            if value != previous[key] or (key == "level2" and item.level1 != previous["level1"]):
                groups[key].append(row)
                s.put(row, cols[key], value)
        previous = {"level1": item.level1, "level2": item.level2}
        s.put(row, cols["name"], item.name)
        s.put(row, cols["target"], item.target)
        s.put(row, cols["actual"], item.actual, item.actual_format)
        s.put(row, cols["weight"], item.weight)
        s.put(row, cols["score"], item.stated, "0.00")
        s.put(row, cols["deviation"], item.deviation)
        if "nature" in cols:
            s.put(row, cols["nature"], item.nature)
        if "unit" in cols:
            s.put(row, cols["unit"], item.unit)
        row += 1
    for key, starts in groups.items():
        bounds = [*starts, row]
        for a, b in pairwise(bounds):
            s.merge(a, cols[key], b - 1, cols[key])
    return row


def _texts(s: _Sheet, data: FormData, row: int) -> int:
    for label in ("评价结论", "存在问题", "改进措施"):
        if label in data.texts:
            s.put(row, 1, label)
            s.put(row, 2, data.texts[label])
            s.merge(row, 2, row, s.width)
            row += 1
    return row


def national(data: FormData, *, natures: bool = False) -> Workbook:
    """财预〔2020〕10号 attachment 1; with `natures`, the Yunnan variant (指标性质, 度量单位)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    width = 11 if natures else 9
    s = _Sheet(ws, width)
    row = _title(s, data, "项目支出绩效自评表")
    top = row
    s.put(row, 1, "项目名称")
    s.put(row, 2, data.project)
    s.merge(row, 2, row, width)
    row += 1
    s.put(row, 1, "主管部门")
    s.put(row, 2, data.department)
    s.merge(row, 2, row, 5)
    s.put(row, 6, "实施单位")
    s.put(row, 7, data.unit)
    s.merge(row, 7, row, width)
    row += 1
    row = _budget_and_goal(s, data, row, width, "项目资金（万元）")
    header = row
    names = ["一级指标", "二级指标", "三级指标"]
    names += ["指标性质", "年度指标值", "度量单位"] if natures else ["年度指标值"]
    names += ["实际完成值", "分值", "得分", "偏差原因分析及改进措施"]
    s.put(row, 1, "绩效指标")
    for col, text in enumerate(names, start=2):
        s.put(row, col, text)
    keys = ["level1", "level2", "name"] + (["nature", "target", "unit"] if natures else ["target"])
    keys += ["actual", "weight", "score", "deviation"]
    cols = {k: c for c, k in enumerate(keys, start=2)}
    if data.two_row_header:
        target, actual = cols["target"], cols["actual"]
        s.put(row, target, "指标值")
        s.put(row, actual, None)
        s.put(row + 1, target, "年度指标值")
        s.put(row + 1, actual, "实际完成值")
        s.merge(row, target, row, actual)
        for key, col in cols.items():
            if key not in ("target", "actual"):
                s.merge(row, col, row + 1, col)
        row += 1
    row = _indicator_rows(s, data, row + 1, cols)
    s.merge(header, 1, row - 1, 1)
    s.put(row, 1, "总分")
    s.merge(row, 1, row, cols["weight"] - 1)
    s.put(row, cols["weight"], data.total_weight)
    s.put(row, cols["score"], data.total_score, "0.00")
    row = _texts(s, data, row + 1)
    s.box(top, row - 1)
    return wb


def department(data: FormData) -> Workbook:
    """部门整体支出绩效自评表: the budget block split 按收入性质 and 按支出性质."""
    wb = Workbook()
    ws = wb.active
    ws.title = "部门整体支出绩效自评表"
    width = 9
    s = _Sheet(ws, width)
    row = _title(s, data, "部门整体支出绩效自评表")
    top = row
    s.put(row, 1, "部门（单位）名称")
    s.put(row, 2, data.project)
    s.merge(row, 2, row, width)
    row += 1
    row = _budget_and_goal(s, data, row, width, "年度预算执行情况（万元）")
    header = row
    s.put(row, 1, "绩效指标")
    for col, text in enumerate(["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                "偏差原因分析及改进措施"], start=2):
        s.put(row, col, text)
    cols = {k: c for c, k in enumerate(["level1", "level2", "name", "target", "actual", "weight", "score",
                                         "deviation"], start=2)}
    row = _indicator_rows(s, data, row + 1, cols)
    s.merge(header, 1, row - 1, 1)
    s.put(row, 1, "总分")
    s.merge(row, 1, row, 6)
    s.put(row, 7, data.total_weight)
    s.put(row, 8, data.total_score, "0.00")
    row = _texts(s, data, row + 1)
    s.box(top, row - 1)
    return wb


def sichuan(data: FormData) -> Workbook:
    """四川 部门预算项目支出绩效自评表 (预算执行情况(10分) / 绩效指标(90分), 合计, 评价结论 …)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "项目支出绩效自评表"
    width = 11
    s = _Sheet(ws, width)
    row = _title(s, data, "部门预算项目支出绩效自评表")
    top = row
    s.put(row, 1, "项目名称")
    s.put(row, 2, data.project)
    s.merge(row, 2, row, 5)
    s.put(row, 6, "主管部门")
    s.put(row, 7, data.department)
    s.merge(row, 7, row, 8)
    s.put(row, 9, "实施单位")
    s.put(row, 10, data.unit)
    s.merge(row, 10, row, 11)
    row += 1
    head = row
    s.put(row, 1, "预算执行情况(10分)")
    for col, text in zip(range(2, 10), ("年度预算数(万元)", "年初预算", "调整后预算数", "预算执行数", "预算执行率",
                                       "权重", "得分", "原因")):
        s.put(row, col, text)
    s.merge(row, 9, row, 11)
    first = True
    row += 1
    for label, amounts in data.budget.items():
        s.put(row, 2, label)
        for i, value in enumerate(amounts):
            s.put(row, 3 + i, value, "#,##0.00" if isinstance(value, (int, float)) else None)
        if first:
            s.put(row, 6, data.budget_rate, data.budget_rate_format)
            s.put(row, 7, data.budget_weight)
            s.put(row, 8, data.budget_score, "0.00")
            first = False
        s.merge(row, 9, row, 11)
        row += 1
    s.merge(head, 1, row - 1, 1)
    s.put(row, 1, "年度总体目标完成情况")
    s.merge(row, 1, row + 1, 1)
    s.put(row, 2, "预期目标")
    s.merge(row, 2, row, 6)
    s.put(row, 7, "实际完成目标")
    s.merge(row, 7, row, width)
    s.put(row + 1, 2, data.goal)
    s.merge(row + 1, 2, row + 1, 6)
    s.put(row + 1, 7, data.goal_done)
    s.merge(row + 1, 7, row + 1, width)
    row += 2
    header = row
    s.put(row, 1, "绩效指标(90分)")
    keys = ["level1", "level2", "name", "nature", "target", "unit", "actual", "weight", "score", "deviation"]
    for col, text in enumerate(["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值",
                                "权重", "得分", "未完成原因分析"], start=2):
        s.put(row, col, text)
    cols = {k: c for c, k in enumerate(keys, start=2)}
    row = _indicator_rows(s, data, row + 1, cols)
    s.merge(header, 1, row - 1, 1)
    s.put(row, 1, "合计")
    s.merge(row, 1, row, 8)
    s.put(row, 9, data.total_weight)
    s.put(row, 10, data.total_score, "0.00")
    row = _texts(s, data, row + 1)
    s.put(row, 1, "项目负责人")
    s.put(row, 2, "张三")
    s.put(row, 6, "财务负责人")
    s.put(row, 7, "李四")
    s.box(top, row)
    return wb


def build(data: FormData) -> Workbook:
    if data.kind == DEPARTMENT:
        return department(data)
    if data.kind == SICHUAN:
        return sichuan(data)
    return national(data, natures=data.kind == YUNNAN)
