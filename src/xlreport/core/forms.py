"""Find the self-evaluation in any workbook by its content, and read the official one-sheet 自评表.

A workbook is a self-evaluation when some sheet holds an indicator header (三级指标 with a
target and a weight column). If that sheet also carries the header fields and the budget block
— the attachment of 财预〔2020〕10号 and its provincial variants — it is read as a *form*: header
fields, budget block, goal row, indicator block, 总分/合计 row and text rows all come from that
one sheet. docs/forms.md lists the layouts and the words recognised.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from xlreport.core import schema
from xlreport.core.failures import FileRejected
from xlreport.core.grid import BookGrid, RawCell, SheetGrid, a1
from xlreport.core.locate import field_at, find_header, labelled_cells, right_of_label
from xlreport.core.model import BasicInfo, BudgetInput, Field, Ref, SnippetInput
from xlreport.core.problems import Problem, problem
from xlreport.core.reader import read_budget_lines, read_indicators
from xlreport.core.rules import parse_grades
from xlreport.core.values import (
    displayed_places,
    parse_number,
    parse_percent,
    year_text,
)

INDICATOR_LABELS = schema.INDICATOR_INPUTS + schema.INDICATOR_STATED + schema.INDICATOR_OUTPUTS
REQUIRED_KEYS = ("name", "target", "weight")
_KEY_WORDS = {"name": "三级指标", "target": "指标值（年度指标值）", "weight": "分值（权重）",
              "actual": "实际完成值", "level1": "一级指标", "level2": "二级指标"}
_SPELLINGS = {label.key: "、".join(label.spellings()[:4]) for label in INDICATOR_LABELS}
_CANONICAL = {"name": "三级指标", "target": "年度指标值", "weight": "分值"}
_GUESS_WORDS = {"name": ("指标", "名称"), "target": ("目标", "指标值", "计划", "标准"), "weight": ("分", "权", "重")}
_YEAR_RE = re.compile(r"(?<!\d)(20\d{2}|19\d{2})\s*年")
_SYSTEM_CODE_RE = re.compile(r"^\s*\[?\d{3,}\]?\s*[-－—_]\s*(?=\S)")
_DECLARED_RE = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分\s*[)）]")
_NOT_TEMPLATE_SHEETS = {schema.normalize_label(n) for n in (*schema.OUTPUT_SHEETS, schema.SHEET_META)}


@dataclass
class FormLayout:
    """Where a form keeps what the write-back fills: positions only, nothing typed."""

    sheet: str
    header_row: int
    cols: dict[str, int]
    last_row: int  # last row of the indicator block (before 总分/合计)
    output_cols: dict[str, int]  # suggested / note: ours, right of the block
    budget_header_row: int | None = None
    budget_row: int | None = None  # the 年度资金总额 row
    budget_cols: dict[str, int] = field(default_factory=dict)  # weight / rate / score
    total_row: int | None = None
    total_label: str = "总分"
    stated: dict[str, Field] = field(default_factory=dict)  # budget_score / total_score as the unit typed
    budget_weight_stated: bool = False  # the form gives the 执行率 a weight (cell or '(10分)')
    filled_before: dict[str, object] = field(default_factory=dict)  # A1 -> value an earlier build filled in


# Finding the indicator table ------------------------------------------------------------------
def _header_rows(sheet: SheetGrid) -> dict[int, dict[str, int]]:
    index = schema.label_index(INDICATOR_LABELS)
    rows: dict[int, dict[str, int]] = {}
    for row, col, cell in sheet.iter_nonblank():
        if isinstance(cell.value, str) and len(cell.value) <= 40:
            key = index.get(schema.normalize_label(cell.value))
            if key is not None:
                rows.setdefault(row, {}).setdefault(key, col)
    return rows


def header_span(sheet: SheetGrid) -> tuple[int, int, dict[str, int]] | None:
    """(first row, last row, columns) of the indicator header: 三级指标 with a target and a
    weight column, on one row or on two (指标值 over 年度指标值 | 实际完成值)."""
    rows = _header_rows(sheet)
    for row, cols in sorted(rows.items()):
        if "name" not in cols:
            continue
        below = rows.get(row + 1, {})
        name_below = sheet.get(row + 1, cols["name"])
        if {"target", "actual"} & set(below) and "name" not in below and name_below.is_blank:
            merged = {**cols, **below}
            if all(k in merged for k in REQUIRED_KEYS):
                return row, row + 1, merged
        if all(k in cols for k in REQUIRED_KEYS):
            return row, row, cols
    return None


def indicator_header(sheet: SheetGrid) -> tuple[int, dict[str, int]] | None:
    """The first row of the indicator header and its columns."""
    span = header_span(sheet)
    return (span[0], span[2]) if span else None


def _closest(book: BookGrid) -> str:
    """Name the nearest thing to an indicator header that was seen, and what to rename."""
    best: tuple[int, str, int, dict[str, int]] | None = None
    for sheet in book.sheets.values():
        for row, cols in _header_rows(sheet).items():
            score = len(set(cols) & set(_KEY_WORDS)) + (2 if "name" in cols else 0)
            if best is None or score > best[0]:
                best = (score, sheet.name, row, cols)
    if best is None:
        names = "、".join(f"“{n}”" for n in list(book.sheets)[:6]) or "（无）"
        return (f"各工作表（{names}）中都没有“三级指标”表头。如用本工具的模板，请把指标所在工作表命名为"
                f"“{schema.SHEET_INDICATORS}”；如用财政部门的自评表，请确认指标表头行写有“三级指标”“年度指标值”“分值”。")
    _, name, row, cols = best
    missing = [k for k in REQUIRED_KEYS if k not in cols]
    sheet = book.sheets[name]
    known = set(cols.values())
    others = [str(sheet.value(row, c)).strip() for c in range(1, sheet.max_col + 1)
              if c not in known and isinstance(sheet.value(row, c), str) and sheet.value(row, c).strip()]
    seen = "、".join(f"“{t}”" for t in others[:6])
    wanted = "；".join(f"“{_KEY_WORDS[k]}”列（可写作：{_SPELLINGS[k]}）" for k in missing)
    renames = []
    for key in missing:
        guess = next((t for t in others if any(w in t for w in _GUESS_WORDS[key])), None)
        if guess is not None:
            others.remove(guess)
            renames.append(f"把“{guess}”改为“{_CANONICAL[key]}”")
    if renames:
        hint = "如是这一列，请" + "，".join(renames) + "。"
    else:
        hint = f"该行还有未识别的表头{seen}，请把对应的一列改名。" if seen else "请补上该列。"
    return f"最接近的是工作表“{name}”第{row}行的表头，但缺少{wanted}。{hint}"


def _usable(sheet: SheetGrid) -> bool:
    return schema.normalize_label(sheet.name) not in _NOT_TEMPLATE_SHEETS


def locate(book: BookGrid, by_name: dict[str, SheetGrid | None]) -> tuple[SheetGrid | None, bool]:
    """(the indicator sheet, whether it is a one-sheet form). Rejects a workbook without one."""
    named = by_name[schema.SHEET_INDICATORS]
    sheet = named if named is not None and indicator_header(named) else None
    if sheet is None:
        sheet = next((s for s in book.sheets.values() if _usable(s) and indicator_header(s)), None)
    if sheet is None:
        if named is not None or (by_name[schema.SHEET_INFO] and by_name[schema.SHEET_BUDGET]):
            return named, False  # the template with a damaged header: reported as missing columns
        raise FileRejected.make("file-not-template", path=book.path or "工作簿", closest=_closest(book))
    is_form = (by_name[schema.SHEET_INFO] is None and by_name[schema.SHEET_BUDGET] is None) or _holds_budget(sheet)
    return sheet, is_form


def _holds_budget(sheet: SheetGrid) -> bool:
    """A budget block above the indicator header on the same sheet: a one-sheet form, even if
    the workbook has other sheets called 基本信息 or 预算执行."""
    header = indicator_header(sheet)
    budget = find_header(sheet, schema.BUDGET_HEADER, 2)
    return bool(header and budget and budget[0] < header[0] and {"annual", "executed"} <= set(budget[1]))


# Reading a form -------------------------------------------------------------------------------
def _text(sheet: SheetGrid, row: int, col: int) -> str:
    value = sheet.value(row, col)
    return value.strip() if isinstance(value, str) else ""


def _right_of(sheet: SheetGrid, row: int, col: int, limit: int) -> Field:
    """The first non-blank cell right of a label (past the label's own merged range)."""
    start = right_of_label(sheet, row, col)
    for c in range(start, max(limit, start) + 1):
        f = field_at(sheet, row, c)
        if not f.is_blank:
            return f
    return field_at(sheet, row, start)


def _title_facts(sheet: SheetGrid, before_row: int) -> tuple[str, str, Ref | None]:
    """(report type, year, where the year was read) from the title lines above the block."""
    report_type, year, where = schema.TYPE_PROJECT, "", None
    type_found = False
    for row in range(1, before_row):
        for col in range(1, sheet.max_col + 1):
            text = unicodedata.normalize("NFKC", _text(sheet, row, col))
            if not text:
                continue
            if not type_found and ("自评表" in text or "评价表" in text):
                for rtype, words in schema.FORM_TITLES:
                    if any(w in text for w in words):
                        report_type, type_found = rtype, True
                        break
            m = _YEAR_RE.search(text)
            if not year and m and len(text) <= 40 and ("年度" in text or "自评表" in text):
                year, where = m.group(1), Ref(sheet.name, row, col)
    if not type_found:  # no title line: the sheet's own name may say it
        name = unicodedata.normalize("NFKC", sheet.name)
        report_type = next((t for t, words in schema.FORM_TITLES if any(w in name for w in words)), report_type)
    return report_type, year, where


def _goal(sheet: SheetGrid, before_row: int, info: BasicInfo) -> None:
    """The goal row: headers '预期目标 | 实际完成情况' with the texts below them, or a
    '年度总体目标' label with the text to its right."""
    goals = {schema.normalize_label(w) for w in schema.FORM_GOAL_HEADERS}
    dones = {schema.normalize_label(w) for w in schema.FORM_DONE_HEADERS}
    for row in range(1, before_row):
        cols = {schema.normalize_label(sheet.value(row, c)): c for c in range(1, sheet.max_col + 1)
                if isinstance(sheet.value(row, c), str)}
        goal_col = next((c for t, c in cols.items() if t in goals), None)
        done_col = next((c for t, c in cols.items() if t in dones), None)
        if goal_col is None or done_col is None:
            continue
        for below in range(row + 1, min(row + 4, before_row)):
            goal, done = field_at(sheet, below, goal_col), field_at(sheet, below, done_col)
            if not goal.is_blank or not done.is_blank:
                info.goal, info.goal_done = goal.text, done.text
                info.fields["goal"], info.fields["goal_done"] = goal, done
                return
        return
    labels = {schema.normalize_label(w) for w in schema.FORM_GOAL_LABELS}
    for row in range(1, before_row):
        for col in range(1, sheet.max_col + 1):
            if schema.normalize_label(sheet.value(row, col)) in labels:
                f = _right_of(sheet, row, col, sheet.max_col)
                if schema.normalize_label(f.text) not in goals:
                    info.goal, info.fields["goal"] = f.text, f
                    return


def read_form_info(sheet: SheetGrid, header_row: int, problems: list[Problem]) -> BasicInfo:
    labels = tuple(label for label in schema.INFO_LABELS
                   if label.key not in ("report_type", "goal", "goal_done", "default_handling", "grades"))
    cells = {k: f for k, f in labelled_cells(sheet, labels).items() if f.ref and f.ref.row < header_row}
    info = BasicInfo(fields=dict(cells), grades=parse_grades(schema.DEFAULT_GRADES) or ())
    for key in ("project", "department", "unit", "contact", "phone", "email"):
        f = cells.get(key)
        setattr(info, key, f.text if f else "")
    for key in ("department", "unit"):  # '219001-某镇人民政府': the 一体化 system's code is no part of the name
        setattr(info, key, _SYSTEM_CODE_RE.sub("", getattr(info, key)))
    info.report_type, year, _ = _title_facts(sheet, header_row)
    info.year = year_text(cells["year"].value) if "year" in cells and not cells["year"].is_blank else year
    _goal(sheet, header_row, info)
    if not info.project and info.report_type == schema.TYPE_DEPARTMENT:
        info.project = info.unit or info.department  # 部门整体支出: the department is the subject
    if not info.unit:
        info.unit = info.department if info.report_type != schema.TYPE_DEPARTMENT else info.project
    if not info.project:
        f = cells.get("project")
        problems.append(problem("info-missing" if f else "missing-label", sheet.name, f.ref.a1 if f else None,
                                name="项目名称", advice="请在自评表的“项目名称”一栏填写项目名称。"))
    if not info.year:
        problems.append(problem("form-year-missing", sheet.name, None))
    return info


def _budget_block(sheet: SheetGrid, before_row: int, budget: BudgetInput, layout: FormLayout,
                  problems: list[Problem]) -> None:

    header = find_header(sheet, schema.BUDGET_HEADER, 2)
    if header is None or header[0] >= before_row or not {"annual", "executed"} <= set(header[1]):
        problems.append(problem("form-budget-missing", sheet.name, None))
        budget.weight = Decimal(0)
        return
    header_row, cols = header
    layout.budget_header_row = header_row
    budget.lines = read_budget_lines(sheet, header_row, cols, before_row - 1, problems)
    total = budget.lines.get("total")
    if total is None:
        first_amount = min(cols[k] for k in ("initial", "annual", "executed") if k in cols)
        seen = [t for r in range(header_row + 1, before_row) for c in range(1, first_amount)
                if (t := _text(sheet, r, c))]
        problems.append(problem("form-budget-total-missing", sheet.name, a1(header_row, first_amount),
                                seen="、".join(f"“{t}”" for t in seen[:6]) or "（无）"))
        return
    row = next(iter(total.refs.values())).row
    layout.budget_row = row
    last_amount = max(cols[k] for k in ("initial", "annual", "executed") if k in cols)
    index = schema.label_index(schema.BUDGET_FORM_COLUMNS)
    for col in range(last_amount + 1, sheet.max_col + 1):
        key = index.get(schema.normalize_label(sheet.value(header_row, col)))
        if key is not None:
            layout.budget_cols.setdefault(key, col)
    declared = None
    for col in range(1, sheet.max_col + 1):
        m = _DECLARED_RE.search(_text(sheet, header_row, col))
        if m and col not in cols.values():
            declared = Decimal(m.group(1))
    budget.weight = declared if declared is not None else Decimal(10)
    layout.budget_weight_stated = declared is not None
    if "weight" in layout.budget_cols:
        f = field_at(sheet, row, layout.budget_cols["weight"])
        budget.weight_ref = f.ref
        layout.budget_weight_stated = layout.budget_weight_stated or not f.is_blank
        if not f.is_blank:
            value = parse_number(f.value, f.raw.number_format)
            if value is None or value < 0:
                problems.append(problem("value-invalid", sheet.name, f.ref.a1, name="预算执行率分值", value=f.text))
            else:
                budget.weight = value
    if "rate" in layout.budget_cols:
        f = field_at(sheet, row, layout.budget_cols["rate"])
        layout.stated["budget_rate"] = f
        if not f.is_blank and not ours(f, layout.filled_before):
            budget.stated_rate = parse_percent(f.value, f.raw.number_format)
            budget.stated_places = displayed_places(f.value, f.raw.number_format)
            if _plain_fraction(f) and budget.stated_rate is not None and budget.stated_rate <= 1:
                # 0.8618 typed into a General cell of the 执行率 column: the column says it is a rate
                budget.stated_rate *= 100
                budget.stated_places = max(budget.stated_places - 2, 0)
            if budget.stated_rate is not None:
                budget.rate_ref = f.ref  # where a mismatch is shown; never written (typed)
    if "score" in layout.budget_cols:
        layout.stated["budget_score"] = field_at(sheet, row, layout.budget_cols["score"])


def ours(f: Field, filled_before: dict[str, object]) -> bool:
    """A cell an earlier build filled, still holding what it wrote (a unit who typed over it
    made it theirs again)."""
    if f.ref is None or f.ref.a1 not in filled_before:
        return False
    mine, now = filled_before[f.ref.a1], f.value
    numbers = (int, float, Decimal)
    if isinstance(mine, numbers) and isinstance(now, numbers) and not isinstance(now, bool):
        return float(mine) == float(now)
    return mine == now


def _plain_fraction(f: Field) -> bool:
    """A number in a cell whose format shows no % (General, 0.00 …)."""
    return isinstance(f.value, (int, float)) and not isinstance(f.value, bool) and "%" not in f.raw.number_format


def _summary_row(sheet: SheetGrid, header_row: int, cols: dict[str, int]) -> int | None:
    last_col = cols["name"]
    words = {schema.normalize_label(w) for w in schema.SUMMARY_ROWS}
    for row in range(header_row + 1, sheet.max_row + 1):
        for col in range(1, last_col + 1):
            if schema.normalize_label(sheet.value(row, col)) in words:
                return row
    return None


def _text_rows(sheet: SheetGrid, after_row: int) -> dict[str, SnippetInput]:
    labels = {schema.normalize_label(k): v for k, v in schema.FORM_TEXT_ROWS.items()}
    found: dict[str, SnippetInput] = {}
    for row in range(after_row, sheet.max_row + 1):
        for col in range(1, min(sheet.max_col, 4) + 1):
            key = labels.get(schema.normalize_label(sheet.value(row, col)))
            if key is None or key in found:
                continue
            f = _right_of(sheet, row, col, sheet.max_col)
            spec = schema.ALL_SNIPPETS[key]
            content = f.text if not (f.raw.error or f.raw.missing_cache) else ""
            found[key] = SnippetInput(key, spec.title, content, f.ref)
            break
    return found


def _first_text_row(sheet: SheetGrid, after_row: int) -> int | None:
    labels = {schema.normalize_label(k) for k in (*schema.FORM_TEXT_ROWS, "项目负责人", "财务负责人", "填表人",
                                                   "自评等级", "评价等级", "单位负责人", "填报人")}
    for row in range(after_row, sheet.max_row + 1):
        for col in range(1, min(sheet.max_col, 4) + 1):
            if schema.normalize_label(sheet.value(row, col)) in labels:
                return row
    return None


def _output_cols(sheet: SheetGrid, header_row: int, cols: dict[str, int]) -> dict[str, int]:
    """Our 建议得分 / 评分说明 columns: found again on a rebuild, else right of everything."""
    found = {k: cols[k] for k in ("suggested", "note") if k in cols}
    if len(found) == 2:
        return found
    right = max([sheet.max_col, *(c2 for _, _, _, c2 in sheet.merged)])
    return {"suggested": found.get("suggested", right + 1), "note": found.get("note", right + 2)}


def _scored_in_the_table(indicators: list) -> bool:
    """No weight given to the budget block: is the budget already covered by the indicators
    (a 预算执行率 indicator, or indicator weights adding up to 100 on their own)?"""
    if any(schema.normalize_label(row.name) in schema.BUDGET_RATE_NAMES for row in indicators):
        return True
    weights = [parse_number(row.field("weight").value, row.field("weight").raw.number_format) for row in indicators]
    return all(w is not None for w in weights) and sum(weights, Decimal(0)) == 100


def read_form(sheet: SheetGrid, problems: list[Problem], filled_before: dict[str, object]
              ) -> tuple[BasicInfo, BudgetInput, list, dict[str, SnippetInput], FormLayout]:
    """Read a one-sheet 自评表: everything above the indicator header is header fields, goal
    and budget block; below the block come the 总分/合计 row and the text rows."""

    header_row, header_end, cols = header_span(sheet)  # type: ignore[misc]  # located before
    if "stated_score" not in cols and "final" in cols:
        # a form's own '自评得分' column is the unit's score, not the template's output column
        cols["stated_score"] = cols.pop("final")
    summary = _summary_row(sheet, header_end, cols)
    texts_at = _first_text_row(sheet, header_end + 1)
    ends = [r - 1 for r in (summary, texts_at) if r is not None]
    last_row = min(ends) if ends else sheet.max_row
    layout = FormLayout(sheet.name, header_row, cols, last_row, _output_cols(sheet, header_row, cols),
                        total_row=summary, filled_before=filled_before)
    info = read_form_info(sheet, header_row, problems)
    budget = BudgetInput()
    _budget_block(sheet, header_row, budget, layout, problems)
    indicators, _, _ = read_indicators(sheet, problems, header_row=header_end, last_row=last_row, cols=cols)
    if not layout.budget_weight_stated and _scored_in_the_table(indicators):
        budget.weight = Decimal(0)  # the rate is scored in the indicator table, or weights already make 100
    for row in indicators:  # a score an earlier build filled in is ours, not the unit's
        f = row.cells.get("stated_score")
        if f is not None and ours(f, filled_before):
            row.cells["stated_score"] = Field(RawCell(), f.ref)
    if summary is not None:
        layout.total_label = next((t for t in (_text(sheet, summary, c) for c in range(1, cols["name"] + 1))
                                   if schema.normalize_label(t) in {schema.normalize_label(w) for w in schema.SUMMARY_ROWS}),
                                  "总分")
        if "stated_score" in cols:
            layout.stated["total_score"] = field_at(sheet, summary, cols["stated_score"])
        layout.stated["total_weight"] = field_at(sheet, summary, cols["weight"])
    for key in ("budget_rate", "budget_score", "total_score"):
        f = layout.stated.get(key)
        if f is not None and ours(f, filled_before):
            layout.stated[key] = Field(RawCell(), f.ref)
    snippets = _text_rows(sheet, (summary or last_row) + 1)
    return info, budget, indicators, snippets, layout


__all__ = ["FormLayout", "indicator_header", "locate", "read_form"]
