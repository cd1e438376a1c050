"""Everything the report prints, computed from an :class:`Evaluation` only (pure, no I/O).

``report_context`` turns the result into plain strings and flags: the templates never see a
``Decimal`` or ``None``, so they cannot print ``None``, ``nan`` or an unrounded figure, and
every number in the report is formatted by the same helpers as the workbook
(``fmt``, ``fmt_score``, ``fmt_percent`` from :mod:`xlreport.scoring`).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import schema
from ..model import Evaluation, Field, GroupResult, IndicatorResult
from ..scoring import fmt, fmt_percent, fmt_score, is_budget_rate_name
from ..values import parse_actual, parse_target

HUNDRED = Decimal(100)
DASH = "—"
# A table cell holding only this character is merged into the cell above after rendering.
MERGE_MARK = "\u200b"
GENERATED_KEYS = ("资金投入情况", "存在的问题", "组织实施情况")
CONCLUSION = "conclusion"
TYPE_WORDS = {schema.TYPE_PROJECT: "项目支出", schema.TYPE_TRANSFER: "转移支付",
              schema.TYPE_DEPARTMENT: "部门整体支出"}
_CN_DIGITS = "零一二三四五六七八九"
_END_PUNCT = tuple("。！？；.!?;…）)”\"")
_BUDGET_ORDER = ("total", "appropriation", "carryover", "other")
_BUDGET_NAMES = {"total": "年度资金总额", "appropriation": "其中：当年财政拨款", "carryover": "上年结转资金",
                 "other": "其他资金"}


# Small text helpers -------------------------------------------------------------------
def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (enough for section numbers)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    if n < 100:
        tens, ones = divmod(n, 10)
        return _CN_DIGITS[tens] + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def one_line(text: object) -> str:
    """User text for inline use: one line, trimmed, no control characters."""
    if text is None:
        return ""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    parts = [p.strip() for p in s.split("\n") if p.strip()]
    joined = ""
    for p in parts:
        if joined and not joined.endswith(_END_PUNCT) and not joined.endswith(("：", ":", "，", ",", "、")):
            joined += "；"
        joined += p
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", joined).replace("\t", " ")


def paragraphs(text: object) -> list[str]:
    """User text split into paragraphs (one per non-empty line)."""
    if text is None:
        return []
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for line in s.split("\n"):
        line = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", line).replace("\t", " ").strip()
        if line:
            out.append(line)
    return out


def sentence(text: str) -> str:
    """Make sure a sentence ends with punctuation so the next one can follow it."""
    text = text.strip()
    if text and not text.endswith(_END_PUNCT):
        text += "。"
    return text


def todo(what: str, hint: str = "") -> str:
    hint = hint.strip().rstrip("。")
    return f"（待填写：{what}{'。' + hint if hint else ''}）"


def score_text(value: Decimal | None) -> str:
    return DASH if value is None else fmt_score(value)


def amount_text(value: Decimal | None) -> str:
    return "" if value is None else fmt(value)


def rate_text(score: Decimal | None, weight: Decimal | None) -> str:
    if score is None or not weight:
        return DASH
    return fmt_percent(score / weight * HUNDRED)


def short_name(name: str) -> str:
    """'产出指标' -> '产出', '项目决策' -> '项目决策' (for '产出类指标')."""
    s = name.strip()
    if s.endswith("指标") and len(s) > 2:
        s = s[:-2]
    return s or name


# Cell display ------------------------------------------------------------------------
def _unit(ind: IndicatorResult) -> str:
    return ind.source.field("unit").text


def shown_target(ind: IndicatorResult) -> str:
    f: Field = ind.source.field("target")
    if f.is_blank:
        return ""
    t = parse_target(f.value, f.raw.number_format)
    text = one_line(t.text)
    unit = _unit(ind)
    if t.kind in ("number", "range") and unit and unit not in text and not (t.unit and t.unit in text):
        text += unit
    return text


def shown_actual(ind: IndicatorResult, evaluation: Evaluation) -> str:
    f: Field = ind.source.field("actual")
    if is_budget_rate_name(ind.name) and evaluation.budget.rate is not None:
        return fmt_percent(evaluation.budget.rate)
    if f.is_blank:
        return ""
    a = parse_actual(f.value, f.raw.number_format)
    text = one_line(a.text)
    unit = _unit(ind)
    if a.kind == "number" and unit and unit not in text and not (a.unit and a.unit in text):
        text += unit
    return text


# Context -------------------------------------------------------------------------------
def _indicator(ind: IndicatorResult, evaluation: Evaluation) -> dict[str, Any]:
    src = ind.source
    explanation = sentence(one_line(src.text("explanation")))
    status = ind.status
    if status == "error" or ind.final is None and status != "excluded":
        scoring = "本项指标存在错误，暂无法评分。"
    else:
        from ..wording import indicator_view, wording

        scoring = wording().text("指标得分.j2", v=indicator_view(ind, evaluation.budget))
        if scoring.rstrip("。") and scoring.rstrip("。") in explanation:
            scoring = ""  # the unit's own paragraph already says it
    return {
        "name": one_line(ind.name) or f"第{src.row}行指标",
        "level1": one_line(src.level1),
        "level2": one_line(src.level2),
        "target": one_line(ind.target_shown) or shown_target(ind),
        "actual": one_line(ind.actual_shown) or shown_actual(ind, evaluation),
        "weight": fmt(ind.weight) if ind.weight is not None else DASH,
        "score": ("不计分" if status == "excluded" else score_text(ind.final)),
        "rate": ("—" if status == "excluded" else rate_text(ind.final, ind.weight)),
        "explanation": explanation,
        "sentence": scoring,
        "deviation": sentence(one_line(src.text("deviation"))),
        "status": status,
        "missed": status in ("missed", "partial"),
        "manual": ind.manual,
        "method": ind.method,
        "qualitative": ind.method == "定性",
        "degree": ind.degree or "",
        "budget_rate": is_budget_rate_name(ind.name),
    }


def _group(g: GroupResult, evaluation: Evaluation, by_id: dict[int, dict]) -> dict[str, Any]:
    children = []
    rows = []
    for child in g.children:
        label = one_line(child.name)
        child_ctx = {
            "name": label,
            "weight": fmt(child.weight),
            "score": fmt_score(child.score) if child.complete else DASH,
            "rate": rate_text(child.score, child.weight) if child.complete else DASH,
            "label": f"{label}（{fmt(child.weight)}分）" if label else "",
            "indicators": [by_id[id(i)] for i in child.indicators],
        }
        children.append(child_ctx)
        for k, ind in enumerate(child_ctx["indicators"]):
            rows.append({**ind, "l2": child_ctx["label"] if k == 0 else MERGE_MARK})
    name = one_line(g.name)
    return {
        "name": name,
        "short": short_name(name),
        "label": f"{name}（{fmt(g.weight)}分）" if name else "",
        "weight": fmt(g.weight),
        "score": fmt_score(g.score) if g.complete else DASH,
        "rate": rate_text(g.score, g.weight) if g.complete else DASH,
        "complete": g.complete,
        "children": children,
        "children_names": "、".join(c["name"] for c in children if c["name"]),
        "indicators": [by_id[id(i)] for i in g.indicators],
        "rows": rows,
    }


def _budget(evaluation: Evaluation) -> dict[str, Any]:
    b = evaluation.budget
    lines_in = evaluation.input.budget.lines
    scored = b.weight is not None and b.weight > 0
    threshold = b.threshold if b.threshold is not None else Decimal(90)
    lines = []
    parts = []
    for key in _BUDGET_ORDER:
        line = lines_in.get(key)
        if line is None and key != "total":
            continue
        label = _BUDGET_NAMES[key]
        initial = line.initial if line else b.initial
        annual = line.annual if line else b.annual
        executed = line.executed if line else b.executed
        row = {"label": label, "initial": amount_text(initial), "annual": amount_text(annual),
               "executed": amount_text(executed), "weight": DASH, "rate": DASH, "score": DASH}
        if key == "total":
            row["rate"] = fmt_percent(b.rate) if b.rate is not None else DASH
            if scored:
                row["weight"] = fmt(b.weight)
                row["score"] = score_text(b.score)
        elif annual is not None and annual > 0 and executed is not None:
            row["rate"] = fmt_percent(executed / annual * HUNDRED)
        lines.append(row)
        if key != "total" and annual:
            parts.append(f"{label.removeprefix('其中：')}{fmt(annual)}万元")
    unspent = None
    if b.annual is not None and b.executed is not None and b.annual > b.executed:
        unspent = fmt(b.annual - b.executed)
    return {
        "scored": scored,
        "method": b.method or "比例",
        "weight": fmt(b.weight) if b.weight is not None else "0",
        "threshold": fmt(threshold),
        "annual": amount_text(b.annual),
        "executed": amount_text(b.executed),
        "initial": amount_text(b.initial),
        "rate": fmt_percent(b.rate) if b.rate is not None else "",
        "has_rate": b.rate is not None,
        "rate_ok": b.rate is not None and b.rate >= threshold,
        "score": score_text(b.score),
        "score_rate": rate_text(b.score, b.weight) if scored else DASH,
        "full": scored and b.score is not None and b.score == b.weight,
        "parts": "、".join(parts),
        "unspent": unspent or "",
        "lines": lines,
    }


def base_context(evaluation: Evaluation) -> dict[str, Any]:
    """The numbers and names, without the text snippets (shared by snippets and report)."""
    info = evaluation.info
    report_type = info.report_type if info.report_type in TYPE_WORDS else schema.TYPE_PROJECT
    by_id = {id(ind): _indicator(ind, evaluation) for ind in evaluation.indicators}
    groups = [_group(g, evaluation, by_id) for g in evaluation.groups]
    indicators = [by_id[id(ind)] for ind in evaluation.indicators]
    statuses = [i["status"] for i in indicators]
    counts = {
        "n": len(indicators),
        "met": sum(s in ("met", "exceeded") for s in statuses),
        "missed": sum(s == "missed" for s in statuses),
        "partial": sum(s == "partial" for s in statuses),
        "default": sum(s == "default" for s in statuses),
        "excluded": sum(s == "excluded" for s in statuses),
        "error": sum(s == "error" for s in statuses),
        "errors": len(evaluation.errors),
        "warnings": len(evaluation.warnings),
    }
    weights = sum((i.weight for i in evaluation.indicators if i.weight is not None and i.status != "excluded"),
                  Decimal(0))
    if evaluation.budget.weight:
        weights += evaluation.budget.weight
    budget = _budget(evaluation)
    complete = evaluation.complete and evaluation.total is not None
    project = one_line(info.project)
    unit = one_line(info.unit)
    department = one_line(info.department)
    rate_indicator = next((i for i in indicators if i["budget_rate"]), None)
    year = one_line(info.year)
    year_project = project if (not year or year in project) else f"{year}年度{project}"
    return {
        "report_type": report_type,
        "type_word": TYPE_WORDS[report_type],
        "is_department": report_type == schema.TYPE_DEPARTMENT,
        "year": year,
        "year_project": year_project,
        "project": project,
        "unit": unit,
        "department": department,
        "issuer": unit or department or project,
        "contact": one_line(info.contact),
        "phone": one_line(info.phone),
        "complete": complete,
        "total": fmt_score(evaluation.total) if complete else "总分不完整",
        "grade": one_line(evaluation.grade) if complete and evaluation.grade else "",
        "weight_total": fmt(weights),
        "rescaled": evaluation.rescaled,
        "raw_total": fmt_score(evaluation.raw_total),
        "budget": budget,
        "groups": groups,
        "indicators": indicators,
        "missed": [i for i in indicators if i["missed"]],
        "rate_indicator": rate_indicator,
        "counts": counts,
    }


def _environment(templates_dir: str | Path | None = None):
    from .templating import text_environment

    return text_environment(templates_dir)


def generate_snippets(evaluation: Evaluation, templates_dir: str | Path | None = None) -> dict[str, str]:
    """Text for the generatable snippets the user left empty, plus the conclusion (always).

    资金投入情况 needs the budget figures; 存在的问题 and 组织实施情况 can always be written.
    """
    return _generate(evaluation, base_context(evaluation), templates_dir)


def _generate(evaluation: Evaluation, ctx: dict[str, Any], templates_dir: str | Path | None) -> dict[str, str]:
    env = _environment(templates_dir)
    snippets = evaluation.input.snippets
    out: dict[str, str] = {}
    for key in GENERATED_KEYS:
        given = snippets.get(key)
        if given is not None and given.content and given.content.strip():
            continue
        if key == "资金投入情况" and not (ctx["budget"]["annual"] and ctx["budget"]["executed"]):
            continue
        text = env.get_template(f"gen_{key}.j2").render(ctx).strip()
        if text:
            out[key] = text
    out[CONCLUSION] = env.get_template("gen_结论.j2").render(ctx).strip()
    return out


def report_context(evaluation: Evaluation, templates_dir: str | Path | None = None) -> dict[str, Any]:
    """Every string and number the report templates print (pure)."""
    ctx = base_context(evaluation)
    generated = _generate(evaluation, ctx, templates_dir)
    specs = {s.key: s for s in schema.SNIPPETS_BY_TYPE.get(ctx["report_type"], ())}
    texts: dict[str, str] = {}
    sources: dict[str, str] = {}
    for key, spec in schema.ALL_SNIPPETS.items():
        given = evaluation.input.snippets.get(key)
        if given is not None and given.content and given.content.strip():
            texts[key] = given.content.strip()
            sources[key] = "user"
        elif key in generated:
            texts[key] = generated[key]
            sources[key] = "generated"
        else:
            spec = specs.get(key, spec)
            texts[key] = todo(f"{spec.title}", spec.hint)
            sources[key] = "todo"
    info = evaluation.info
    ctx.update({
        "s": texts,
        "source": sources,
        "conclusion": generated.get(CONCLUSION, ""),
        "goal": one_line(info.goal) or todo("年度总体目标", "在“基本信息”表填写批复的年度总体目标"),
        "goal_done": one_line(info.goal_done) or todo("年度目标完成情况", "在“基本信息”表填写年度总体目标的实际完成情况"),
        "annex_title": f"{ctx['type_word']}绩效自评表",
        "name_label": "部门名称" if ctx["is_department"] else "项目名称",
        "annex_rows": annex_rows(ctx["groups"]),
        "grade_cell": f"评价等级：{ctx['grade']}" if ctx["grade"] else "",
        "annex_note": annex_note(ctx),
    })
    return ctx


def annex_rows(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of the 绩效自评表: 一级 and 二级 labels on their first row, merge marks below."""
    rows = []
    for g in groups:
        first1 = True
        for child in g["children"]:
            for k, ind in enumerate(child["indicators"]):
                rows.append({**ind, "l1": g["label"] if first1 else MERGE_MARK,
                             "l2": child["label"] if k == 0 else MERGE_MARK})
                first1 = False
    return rows


def annex_note(ctx: dict[str, Any]) -> str:
    parts = []
    if ctx["contact"]:
        parts.append(f"填报人：{ctx['contact']}")
    if ctx["phone"]:
        parts.append(f"联系电话：{ctx['phone']}")
    return "　　".join(parts)
