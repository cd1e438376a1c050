"""Locate the workbook's contents by label text (docs/workbook.md) and build a WorkbookInput.

Pure: works on a :class:`~xlreport.core.grid.BookGrid`, whichever adapter produced it. Rows may
be inserted, columns reordered, cells merged and notes added; only the words matter.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from xlreport.core import schema
from xlreport.core.grid import BookGrid, SheetGrid
from xlreport.core.locate import field_at, find_header, labelled_cells
from xlreport.core.model import (
    AllocationLine,
    BasicInfo,
    BudgetInput,
    BudgetLine,
    Field,
    IndicatorRow,
    Ref,
    SnippetInput,
)
from xlreport.core.problems import Problem, problem
from xlreport.core.rules import parse_grades
from xlreport.core.values import (
    displayed_places,
    format_decimal,
    money_unit,
    parse_amount,
    parse_number,
    parse_percent,
    year_text,
)

_DECLARED = re.compile(r"[（(]\s*(\d+(?:\.\d+)?)\s*分?\s*[)）]\s*$")
_SUMMARY_ROWS = set(schema.SUMMARY_ROWS)


def find_sheet(book: BookGrid, name: str) -> SheetGrid | None:
    """Exact name first, then a folded comparison ('绩效指标 ' or '绩效指标（表）')."""
    if name in book.sheets:
        return book.sheets[name]
    wanted = schema.normalize_label(name)
    for sheet_name, sheet in book.sheets.items():
        if schema.normalize_label(sheet_name) == wanted:
            return sheet
    return None


def split_declared(label: str) -> tuple[str, Decimal | None]:
    """'项目产出（35分）' -> ('项目产出', 35); the name is folded for grouping."""
    text = unicodedata.normalize("NFKC", label).strip()
    m = _DECLARED.search(text)
    if not m:
        return re.sub(r"\s+", "", text), None
    name = re.sub(r"\s+", "", text[: m.start()])
    return name, Decimal(m.group(1))


# Sheets --------------------------------------------------------------------------------
def read_meta(book: BookGrid) -> tuple[int | None, list[tuple[str, str, str | None]], dict]:
    """Template version, our earlier highlights, and values we wrote into output cells."""
    sheet = book.sheets.get(schema.SHEET_META)
    extras: dict = {}
    if sheet is None:
        return None, [], extras
    version: int | None = None
    marks: list[tuple[str, str, str | None]] = []
    for row in range(1, sheet.max_row + 1):
        key = sheet.value(row, 1)
        if key == "template_version":
            number = parse_number(sheet.value(row, 2))
            version = int(number) if number is not None else None
        elif key == "mark":
            target_sheet, cell, fill = (sheet.value(row, c) for c in (2, 3, 4))
            if isinstance(target_sheet, str) and isinstance(cell, str):
                marks.append((target_sheet, cell, fill if isinstance(fill, str) and fill else None))
        elif key == "budget_rate_written":
            extras["budget_rate_written"] = sheet.value(row, 2)
        elif key == "filled":  # an empty cell of an official form that an earlier build filled
            target_sheet, cell = sheet.value(row, 2), sheet.value(row, 3)
            if isinstance(target_sheet, str) and isinstance(cell, str):
                extras.setdefault("filled", {})[(target_sheet, cell)] = sheet.value(row, 4)
        elif key in ("rules_name", "rules_hash", "rules_source"):
            extras[key] = sheet.value(row, 2)
    return version, marks, extras


def read_info(sheet: SheetGrid, problems: list[Problem]) -> BasicInfo:
    cells = labelled_cells(sheet, schema.INFO_LABELS)
    info = BasicInfo(fields=cells)
    labels = {label.key: label for label in schema.INFO_LABELS}
    for key in ("year", "project", "department", "unit", "goal", "goal_done", "contact", "phone", "email"):
        f = cells.get(key)
        setattr(info, key, f.text if f else "")
    if cells.get("year") is not None:
        info.year = year_text(cells["year"].value)  # a date typed into 评价年度 means its year
    for key in ("report_type", "project", "year", "unit"):
        f = cells.get(key)
        if f is None:
            problems.append(problem("missing-label", sheet.name, None, name=labels[key].text))
        elif f.is_blank:
            problems.append(problem("info-missing", sheet.name, f.ref.a1 if f.ref else None,
                                    name=labels[key].text, advice=labels[key].hint))

    rtype = cells.get("report_type")
    if rtype and not rtype.is_blank:
        folded = schema.normalize_label(rtype.text)
        match = next((t for t in schema.REPORT_TYPES if schema.normalize_label(t) == folded), None)
        if match is None:
            match = next((t for t in schema.REPORT_TYPES if t[:2] in rtype.text), None)
        if match is None:
            problems.append(problem("info-invalid", sheet.name, rtype.ref.a1, name="报告类型",
                                    value=rtype.text, default=schema.TYPE_PROJECT,
                                    advice="请从下拉列表选择报告类型。"))
        info.report_type = match or schema.TYPE_PROJECT

    handling = cells.get("default_handling")
    if handling and not handling.is_blank:
        if handling.text in schema.DEFAULT_HANDLING:
            info.default_handling = handling.text
        else:
            problems.append(problem("info-invalid", sheet.name, handling.ref.a1, name="缺省指标处理",
                                    value=handling.text, default="满分",
                                    advice="请选择“满分”或“折算”。"))

    info.grades = parse_grades(schema.DEFAULT_GRADES) or ()
    grades = cells.get("grades")
    if grades and not grades.is_blank:
        parsed = parse_grades(grades.text)
        if parsed is None:
            problems.append(problem("info-invalid", sheet.name, grades.ref.a1, name="等级划分",
                                    value=grades.text, default=schema.DEFAULT_GRADES,
                                    advice="格式如 90:优,80:良,60:中,0:差。"))
        else:
            info.grades = parsed
    return info


def _amount(f: Field, name: str, column: str, problems: list[Problem],
            unit: str | None = None) -> tuple[Decimal | None, str | None]:
    """The amount in 万元 and the unit it was written in (None: nothing said, 万元 assumed)."""
    if f.unusable:
        return None, None  # reported by formula_problems
    if f.is_blank:
        return None, None
    value, written = parse_amount(f.value, f.raw.number_format, unit)
    if value is None:
        problems.append(problem("budget-value-invalid", f.ref.sheet, f.ref.a1, name=name,
                                column=column, value=f.text))
    return value, written


BUDGET_COLUMN_NAMES = {label.key: label.text for label in schema.BUDGET_HEADER}
PLAUSIBLE_WAN = Decimal(10) ** 6  # 万元: 100亿元 in one self-evaluation is not believable next to small figures
ABSURD_WAN = Decimal(10) ** 7
TINY_WAN = Decimal("0.1")  # 1,000元


def budget_row_key(text: object) -> str | None:
    """The budget row a label names ('其中：财政资金' -> appropriation, '总额' -> total)."""
    index = schema.label_index(schema.ALL_BUDGET_ROWS)
    folded = schema.normalize_label(text)
    key = index.get(folded)
    if key is None and folded.startswith("其中"):
        key = index.get(folded[2:])
    return key


def _group_mark(text: object) -> str | None:
    folded = schema.normalize_label(text)
    for group, words in schema.BUDGET_GROUP_MARKS:
        if any(folded.startswith(schema.normalize_label(w)) for w in words):
            return group
    return None


_MONEY_NOTE = re.compile(r"^\s*(?:金额|资金)?单位\s*[:：]\s*(?:百万|千万|千|万|亿)?元\s*$")


def column_units(sheet: SheetGrid, header_row: int, cols: dict[str, int]) -> dict[str, str | None]:
    """The money unit each amount column is in: its own header ('全年预算数（元）'), else the
    block's ('项目资金（万元）', '单位：元' above the header)."""
    block = None
    for col in range(1, max(cols.values(), default=1) + 1):
        unit = money_unit(sheet.value(header_row, col))
        if unit and col not in cols.values():
            block = unit
    for row in range(1, header_row):
        for col in range(1, sheet.max_col + 1):
            value = sheet.value(row, col)
            near = row >= header_row - 2 and isinstance(value, str) and "单位" in value
            # an export's '金额单位：元' sits under the title, above the header fields
            if (near or _MONEY_NOTE.search(str(value or ""))) and money_unit(value):
                block = money_unit(value)
    return {key: money_unit(sheet.value(header_row, cols[key])) or block
            for key in ("initial", "annual", "executed") if key in cols}


def read_budget_lines(sheet: SheetGrid, header_row: int, cols: dict[str, int], last_row: int,
                      problems: list[Problem]) -> dict[str, BudgetLine]:
    """The budget rows under a header: labels found in any column left of the amounts."""
    amount_cols = [cols[k] for k in ("initial", "annual", "executed") if k in cols]
    first_amount = min(amount_cols, default=sheet.max_col + 1)
    units = column_units(sheet, header_row, cols)
    lines: dict[str, BudgetLine] = {}
    unitless: list[tuple[BudgetLine, str, Decimal]] = []  # 万元 by default: too large?
    tiny: list[tuple[BudgetLine, str, Decimal]] = []  # 元 by the header: too small?
    group = ""
    row_labels = {label.key: label.text for label in schema.ALL_BUDGET_ROWS}
    for row in range(header_row + 1, last_row + 1):
        key = None
        for col in range(1, first_amount):
            anchor = sheet.merge_anchor(row, col)
            if anchor is not None and anchor[0] != row:
                continue  # a label merged down from above belongs to its first row
            text = sheet.value(row, col)
            mark = _group_mark(text)
            if mark is not None:
                group = mark
            key = key or budget_row_key(text)
        if key is None or key in lines:
            continue
        line_group = "expense" if key in schema.EXPENSE_ROWS else ("" if key == "total" else group)
        line = BudgetLine(key, row_labels[key], None, None, None, group=line_group)
        for col_key in ("initial", "annual", "executed"):
            if col_key in cols:
                f = field_at(sheet, row, cols[col_key])
                line.refs[col_key] = f.ref
                value, written = _amount(f, row_labels[key], BUDGET_COLUMN_NAMES[col_key], problems,
                                         units.get(col_key))
                setattr(line, col_key, value)
                if value is not None and written is None:
                    if units.get(col_key) == "元":
                        tiny.append((line, col_key, value))
                    else:
                        unitless.append((line, col_key, value))
        lines[key] = line
    _check_plausible(unitless, problems)
    _check_not_tiny(tiny, problems)
    return lines


def _check_plausible(amounts: list[tuple[BudgetLine, str, Decimal]], problems: list[Problem]) -> None:
    """An amount over 100亿元 beside small ones was almost surely typed in 元: ask, never guess."""
    for line, col_key, value in amounts:
        if value <= PLAUSIBLE_WAN:
            continue
        small = [v for _, _, v in amounts if 0 < v <= value / 1000]
        if small or value > ABSURD_WAN:
            ref = line.refs[col_key]
            problems.append(problem(
                "budget-unit-unclear", ref.sheet, ref.a1, name=line.label,
                column=BUDGET_COLUMN_NAMES[col_key], value=format_decimal(value),
                yuan=format_decimal(value / 10000), other=format_decimal(min(small)) if small else "无"))


def _check_not_tiny(amounts: list[tuple[BudgetLine, str, Decimal]], problems: list[Problem]) -> None:
    """Under a header saying 元, a budget under 1,000元 was almost surely typed in 万元: ask."""
    for line, col_key, value in amounts:
        if line.key == "total" and col_key == "annual" and 0 < value < TINY_WAN:
            ref = line.refs[col_key]
            problems.append(problem("budget-unit-too-small", ref.sheet, ref.a1, name=line.label,
                                    column=BUDGET_COLUMN_NAMES[col_key], value=format_decimal(value * 10000),
                                    wan=format_decimal(value)))


def read_budget(sheet: SheetGrid, problems: list[Problem], rate_written: object = None) -> BudgetInput:
    budget = BudgetInput()
    header = find_header(sheet, schema.BUDGET_HEADER, 3)
    if header is None:
        problems.append(problem("missing-column", sheet.name, None, name="资金类别 | 年初预算数 | 全年预算数 | 全年执行数"))
    else:
        header_row, cols = header
        for key in ("category", "annual", "executed"):
            if key not in cols:
                problems.append(problem("missing-column", sheet.name, None, name=BUDGET_COLUMN_NAMES[key]))
        allocations = find_header(sheet, schema.ALLOCATION_HEADER, 4, start_row=header_row + 1)
        last_row = allocations[0] - 1 if allocations else sheet.max_row
        budget.lines = read_budget_lines(sheet, header_row, cols, last_row, problems)
        if "total" not in budget.lines:
            problems.append(problem("missing-row", sheet.name, None, name="年度资金总额"))

    cells = labelled_cells(sheet, schema.BUDGET_LABELS + schema.BUDGET_OUTPUTS)
    weight = cells.get("weight")
    if weight is not None:
        budget.weight_ref = weight.ref
        if not weight.is_blank:
            value = parse_number(weight.value, weight.raw.number_format)
            if value is None or value < 0:
                problems.append(problem("value-invalid", sheet.name, weight.ref.a1,
                                        name="预算执行率分值", value=weight.text))
            else:
                budget.weight = value
        else:
            budget.weight = Decimal(0)
    method = cells.get("method")
    if method is not None and not method.is_blank:
        if method.text in schema.BUDGET_METHODS:
            budget.method = method.text
            budget.method_ref = method.ref
        else:
            problems.append(problem("budget-method-invalid", sheet.name, method.ref.a1, value=method.text))
    threshold = cells.get("threshold")
    if threshold is not None and not threshold.is_blank:
        value = parse_percent(threshold.value, threshold.raw.number_format)
        if value is None:
            if budget.method == "达标":
                problems.append(problem("budget-threshold-invalid", sheet.name, threshold.ref.a1,
                                        value=threshold.text))
        else:
            budget.threshold = value
            budget.threshold_ref = threshold.ref
    if "rate" in cells:
        rate = cells["rate"]
        budget.rate_ref = rate.ref
        # A rate in the output cell that we did not write there was typed by the user:
        # keep it as the stated rate so a slip (81.62% stated, 80.62% computed) is reported.
        if not rate.is_blank and not rate.unusable and rate.value != rate_written:
            budget.stated_rate = parse_percent(rate.value, rate.raw.number_format)
            budget.stated_places = displayed_places(rate.value, rate.raw.number_format)
    if "score" in cells:
        budget.score_ref = cells["score"].ref
    budget.allocations = _read_allocations(sheet, header[0] if header else 1)
    return budget


def _read_allocations(sheet: SheetGrid, after_row: int) -> list[AllocationLine]:
    header = find_header(sheet, schema.ALLOCATION_HEADER, 4, start_row=after_row + 1)
    if header is None:
        return []
    header_row, cols = header
    lines = []
    for row in range(header_row + 1, sheet.max_row + 1):
        values = {k: sheet.value(row, c) for k, c in cols.items()}
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values.values()):
            if lines:
                break
            continue

        amounts = {key: parse_number(values.get(key)) if key in cols else None
                   for key in ("central", "provincial", "local", "subtotal")}
        lines.append(AllocationLine(
            seq=str(values.get("seq") or ""), document=str(values.get("document") or ""),
            row=row, subtotal_ref=Ref(sheet.name, row, cols["subtotal"]) if "subtotal" in cols else None,
            **amounts))
    return lines


def read_indicators(sheet: SheetGrid, problems: list[Problem], header_row: int | None = None,
                    last_row: int | None = None, cols: dict[str, int] | None = None
                    ) -> tuple[list[IndicatorRow], int, dict[str, int]]:
    """The indicator rows under the header (the first '三级指标' unless given), up to last_row;
    `cols` when the caller already knows the columns (a form's two-row header)."""
    anchor = schema.normalize_label(schema.INDICATOR_ANCHOR)
    for row, _col, cell in sheet.iter_nonblank() if header_row is None else ():
        if isinstance(cell.value, str) and schema.normalize_label(cell.value) in (
                anchor, schema.normalize_label("指标名称")):
            header_row = row
            break
    if header_row is None:
        problems.append(problem("missing-column", sheet.name, None, name=schema.INDICATOR_ANCHOR))
        return [], 0, {}
    if cols is None:
        header = find_header(sheet, schema.INDICATOR_INPUTS + schema.INDICATOR_STATED + schema.INDICATOR_OUTPUTS, 1,
                              start_row=header_row)
        cols = header[1] if header and header[0] == header_row else {}
    for label in schema.INDICATOR_INPUTS:
        if label.required and label.key not in cols:
            problems.append(problem("missing-column", sheet.name, None, name=label.text))
    input_keys = [label.key for label in schema.INDICATOR_INPUTS + schema.INDICATOR_STATED if label.key in cols]
    output_keys = [label.key for label in schema.INDICATOR_OUTPUTS if label.key in cols]

    rows: list[IndicatorRow] = []
    level1 = level2 = ""
    declared1: Decimal | None = None
    declared2: Decimal | None = None
    for row in range(header_row + 1, (last_row or sheet.max_row) + 1):
        cells = {key: field_at(sheet, row, cols[key]) for key in input_keys}
        l1 = cells.get("level1")
        l2 = cells.get("level2")
        if l1 is not None and not l1.is_blank:
            name1, d1 = split_declared(l1.text)
            if name1 != level1:
                level2, declared2 = "", None
            level1, declared1 = name1, d1
        if l2 is not None and not l2.is_blank:
            level2, declared2 = split_declared(l2.text)
        content = [k for k in input_keys if k not in ("level1", "level2") and not cells[k].is_blank]
        if not content:
            continue  # skeleton row or spacer
        name = cells.get("name")
        if (name is None or name.is_blank) and l1 is not None and schema.normalize_label(l1.text) in _SUMMARY_ROWS:
            continue  # a 合计 row some units add at the bottom
        if name is not None and schema.normalize_label(name.text) in _SUMMARY_ROWS:
            continue
        rows.append(IndicatorRow(
            row=row, level1=level1, level2=level2, level1_declared=declared1,
            level2_declared=declared2, cells=cells,
            output_refs={key: Ref(sheet.name, row, cols[key]) for key in output_keys}))
    return rows, header_row, cols


def read_snippets(sheet: SheetGrid | None, problems: list[Problem]) -> dict[str, SnippetInput]:
    if sheet is None:
        return {}
    header = find_header(sheet, schema.TEXT_HEADER, 2)
    if header is None:
        problems.append(problem("missing-column", sheet.name, None, name="键 | 标题 | 内容"))
        return {}
    header_row, cols = header
    if "content" not in cols:
        problems.append(problem("missing-column", sheet.name, None, name="内容"))
        return {}
    by_title = {schema.normalize_label(s.title): s.key for s in schema.ALL_SNIPPETS.values()}
    by_key = {schema.normalize_label(k): k for k in schema.ALL_SNIPPETS}
    snippets: dict[str, SnippetInput] = {}
    for row in range(header_row + 1, sheet.max_row + 1):
        key_text = sheet.value(row, cols["key"]) if "key" in cols else None
        title_text = sheet.value(row, cols["title"]) if "title" in cols else None
        key = by_key.get(schema.normalize_label(key_text)) or by_title.get(schema.normalize_label(title_text))
        if key is None:
            key = by_key.get(schema.normalize_label(title_text))
        if key is None or key in snippets:
            continue
        f = field_at(sheet, row, cols["content"])
        content = f.text if not (f.raw.error or f.raw.missing_cache) else ""
        title = str(title_text).strip() if title_text else schema.ALL_SNIPPETS[key].title
        snippets[key] = SnippetInput(key, title, content, f.ref)
    return snippets


def formula_problems(sheet: SheetGrid) -> list[Problem]:
    """Excel error values and formulas without a cached value anywhere on an input sheet:
    never scored as zero silently (docs/rules.md, 二、数值的写法)."""
    found = []
    for (row, col), cell in sorted(sheet.cells.items()):
        ref = Ref(sheet.name, row, col)
        if cell.error:
            found.append(problem("formula-error", sheet.name, ref.a1, value=cell.error))
        elif cell.missing_cache:
            found.append(problem("formula-no-cache", sheet.name, ref.a1, formula=f"={cell.formula.lstrip('=')}"))
    return found

