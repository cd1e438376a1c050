"""The report's outline per type: which sections, in which order, holding what.

Each builder walks the report context and appends blocks (title, headings, paragraphs, tables,
attachment) that ``report.docx`` renders one by one. Headings are numbered as they are added,
tables as 表<章>-<n>. Every sentence comes from the wording layer; user text is kept as typed.
A placeholder “（待填写：…）” is split out of its paragraph so Word highlights it, and listed
(section, what) so 校验结果 can ask for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from xlreport.adapters.report.context import base_context, paragraphs
from xlreport.adapters.report.tables import (
    alloc_layout,
    annex_block,
    budget_block,
    indicator_block,
)
from xlreport.core import schema
from xlreport.wording import TODO_OPEN, Wording
from xlreport.wording.filters import cn_number

_TODO = re.compile(r"（待填写：[^（）]*(?:（[^（）]*）[^（）]*)*）")
# A unit's 组织实施情况 is taken as the 绩效自评工作情况 only when it is about the self-evaluation;
# otherwise it describes the project's own implementation and goes under 基本情况.
_SELF_EVALUATION = ("自评", "绩效评价", "评价工作", "评分")


@dataclass
class Placeholder:
    section: str
    what: str
    ref: Any = None  # the workbook cell to fill, when one is known


@dataclass
class Outline:
    blocks: list[dict[str, Any]] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)
    chapter: int = 0
    section: int = 0
    item: int = 0
    tables: int = 0
    chapter_title: str = ""

    # Headings ----------------------------------------------------------------------------
    def h1(self, title: str) -> None:
        self.chapter += 1
        self.section = self.item = self.tables = 0
        self.chapter_title = title
        self.blocks.append({"kind": "h1", "text": f"{cn_number(self.chapter)}、{title}"})

    def h2(self, title: str) -> None:
        self.section += 1
        self.item = 0
        self.blocks.append({"kind": "h2", "text": f"（{cn_number(self.section)}）{title}"})

    def h3(self, title: str) -> None:
        self.item += 1
        self.blocks.append({"kind": "h3", "text": f"{self.item}.{title}"})

    def simple(self, kind: str, text: str) -> None:
        if text:
            self.blocks.append({"kind": kind, "text": text})

    # Text --------------------------------------------------------------------------------
    def para(self, text: str, ref: Any = None) -> None:
        """One paragraph; placeholders become highlighted segments and are listed."""
        text = text.strip()
        if not text:
            return
        segments: list[tuple[str, bool]] = []
        pos = 0
        for m in _TODO.finditer(text):
            if m.start() > pos:
                segments.append((text[pos:m.start()], False))
            segments.append((m.group(0), True))
            what = m.group(0)[len(TODO_OPEN):-1].split("。")[0]
            self.placeholders.append(Placeholder(self.chapter_title, what, ref))
            pos = m.end()
        if pos < len(text):
            segments.append((text[pos:], False))
        self.blocks.append({"kind": "p", "segments": segments, "text": text})

    def paras(self, texts: list[str], ref: Any = None) -> None:
        for t in texts:
            self.para(t, ref)

    def next_table(self) -> str:
        self.tables += 1
        return f"{self.chapter}-{self.tables}"

    def table(self, kind: str, caption: str, block: dict[str, Any], unit: str = "") -> str:
        number = self.next_table()
        self.blocks.append({"kind": "caption", "text": f"表{number}　{caption}"})
        if unit:
            self.blocks.append({"kind": "unit", "text": unit})
        self.blocks.append({"kind": kind, **block})
        return number


class Builder:
    """Fills an :class:`Outline` for one evaluation."""

    def __init__(self, evaluation, words: Wording, today: date | None = None) -> None:
        self.ev = evaluation
        self.words = words
        self.ctx = base_context(evaluation)
        self.out = Outline()
        self.today = today or date.today()
        self.snippets = evaluation.input.snippets

    # Helpers -------------------------------------------------------------------------------
    def w(self, name: str, **extra: Any) -> list[str]:
        return self.words.paragraphs(name, **{**self.ctx, **extra})

    def user(self, key: str) -> list[str]:
        s = self.snippets.get(key)
        return paragraphs(s.content) if s is not None and s.content and s.content.strip() else []

    def ref(self, key: str):
        s = self.snippets.get(key)
        return s.ref if s is not None else None

    def snippet(self, key: str, generated: str | None = None, **extra: Any) -> None:
        """The unit's text for a section; else the generated text; else a placeholder."""
        text = self.user(key)
        if text:
            self.out.paras(text)
            return
        if generated:
            self.out.paras(self.w(generated, **extra), self.ref(key))
            return
        spec = schema.ALL_SNIPPETS.get(key)
        title, hint = (spec.title, spec.hint) if spec else (key, "")
        self.out.paras(self.w("待填写.j2", title=title, hint=hint), self.ref(key))

    def self_evaluation_text(self) -> list[str]:
        text = self.user("组织实施情况")
        return text if text and any(w in "".join(text) for w in _SELF_EVALUATION) else []

    def implementation_text(self) -> list[str]:
        text = self.user("组织实施情况")
        return text if text and not any(w in "".join(text) for w in _SELF_EVALUATION) else []

    def goal(self) -> None:
        info = self.ev.info
        f = info.fields
        if self.ctx["goal"]:
            self.out.para(self.ctx["goal"])
        else:
            self.out.paras(self.w("待填写.j2", title="年度总体目标", hint="在“基本信息”表填写批复的年度总体目标"),
                           f.get("goal").ref if f.get("goal") else None)

    def goal_done(self) -> None:
        f = self.ev.info.fields
        if self.ctx["goal_done"]:
            self.out.para(self.ctx["goal_done"])
        else:
            self.out.paras(self.w("待填写.j2", title="年度目标完成情况", hint="在“基本信息”表填写年度总体目标的实际完成情况"),
                           f.get("goal_done").ref if f.get("goal_done") else None)

    def funds(self, budget_caption: str) -> None:
        """资金投入: the unit's text (or one from the figures), the budget table, the 资金到位情况表."""
        if self.user("资金投入情况"):
            self.snippet("资金投入情况")
        elif self.ctx["budget"]["has_rate"]:
            self.out.paras(self.w("资金投入情况.j2"))
        else:
            self.snippet("资金投入情况")
        self.out.table("budget", budget_caption, budget_block(self.ctx), unit="单位：万元")
        alloc = self.ctx["allocations"]
        if alloc:
            number = f"{self.out.chapter}-{self.out.tables + 1}"
            self.out.paras(self.w("资金到位情况.j2", a=alloc, table=number))
            self.out.table("alloc", f"{self.ctx['year']}年度资金到位情况表", {**alloc, "layout": alloc_layout(alloc)},
                           unit="单位：万元")

    def analysis(self) -> None:
        """绩效指标完成情况分析: the budget rate (if scored apart), then each 一级指标."""
        b = self.ctx["budget"]
        heading = self.out.h2
        if b["scored"]:
            heading("预算执行情况")
            self.out.paras(self.w("预算执行分析.j2", b=b, short=False))
        for g in self.ctx["groups"]:
            heading(g["name"] or "其他指标")
            number = f"{self.out.chapter}-{self.out.tables + 1}"
            self.out.paras(self.w("一级指标小结.j2", g=g, table=number))
            self.out.table("itable", f"{g['short']}指标得分情况", indicator_block(g))
            self.indicator_paragraphs(g)

    def indicator_paragraphs(self, g: dict[str, Any]) -> None:
        plain = [i for i in g["indicators"] if i["status"] == "met" and not i["explanation"] and not i["manual"]]
        if len(plain) < 2:
            plain = []
        others = [i for i in g["indicators"] if i not in plain]
        if others:
            self.out.para(f"根据评分情况，{g['short']}类指标完成情况如下：")
        for ind in others:
            self.out.paras(self.w("指标分析.j2", v=ind), ind["result"].source.field("deviation").ref
                           if ind["missed"] else ind["result"].source.field("explanation").ref)
        if plain:
            self.out.paras(self.w("满分指标汇总.j2", names=[i["name"] for i in plain], whole=not others))

    def conclusion(self) -> None:
        self.out.paras(self.w("自评结论.j2"))

    def problems(self, nested: bool = False) -> None:
        """`nested`: under a （一） heading, so items are numbered 1. 2. (never （一） again)."""
        self.snippet("存在的问题", "存在的问题.j2", nested=nested)

    def measures(self, nested: bool = False) -> None:
        self.snippet("改进措施", "改进措施.j2", nested=nested)

    def self_evaluation(self) -> None:
        """How the self-evaluation was done: the unit's words when they say so, else generated."""
        self.out.paras(self.self_evaluation_text() or self.w("绩效自评工作情况.j2"))

    def problems_and_measures(self, measures_heading: str = "改进措施") -> None:
        self.out.h1("存在的问题")
        self.problems()
        self.out.h1(measures_heading)
        self.measures()

    def ending(self, use_heading: str, annex_title: str) -> None:
        """The last two chapters of every outline (结果应用, 其他说明) and the closing with the annex."""
        self.out.h1(use_heading)
        self.snippet("结果应用")
        self.out.h1("其他需要说明的问题")
        self.snippet("其他说明")
        self.closing(annex_title)

    def closing(self, annex_title: str) -> None:
        self.out.simple("attach", f"附件：{annex_title}")
        self.out.simple("signature", self.ctx["issuer"])
        self.out.simple("date", f"{self.today.year}年{self.today.month}月{self.today.day}日")
        self.out.simple("annexlabel", "附件")
        self.out.simple("annextitle", annex_title)
        note = "　　".join(x for x in (f"填报人：{self.ctx['contact']}" if self.ctx["contact"] else "",
                                      f"联系电话：{self.ctx['phone']}" if self.ctx["phone"] else "") if x)
        self.out.blocks.append({"kind": "annex", **annex_block(self.ctx), "note": note})

    def title(self, *lines: str) -> None:
        for line in lines:
            self.out.simple("title", line)
        issuer = self.ctx["issuer"]
        # the issuer under the title, or an empty line: GB/T 9704 leaves one before the text
        self.out.blocks.append({"kind": "subtitle", "text": issuer if issuer and issuer not in "".join(lines)
                                else ""})

    # Outlines --------------------------------------------------------------------------------
    def project(self) -> None:
        c, o = self.ctx, self.out
        self.title(c["year_project"], "项目支出绩效自评报告")
        o.h1("基本情况")
        o.h2("单位基本情况")
        self.snippet("单位概况")
        o.h2("项目基本情况")
        self.snippet("项目概况")
        o.h2("资金投入和使用情况")
        self.funds(f"{c['year']}年度资金投入和执行情况")
        o.h2("资金管理情况")
        self.snippet("资金管理情况")
        if self.implementation_text():
            o.h2("项目组织实施情况")
            o.paras(self.implementation_text())
        o.h2("绩效目标")
        o.h3("年度总体目标")
        self.goal()
        o.h3("年度目标完成情况")
        self.goal_done()
        o.h1("绩效自评工作情况")
        self.self_evaluation()
        o.h1("自评结论")
        self.conclusion()
        o.h1("绩效指标完成情况分析")
        self.analysis()
        self.problems_and_measures()
        self.ending("绩效自评结果应用和公开情况", f"{c['year']}年度项目支出绩效自评表")

    def transfer(self) -> None:
        """The Ministry of Finance's outline for a transfer payment's self-evaluation."""
        c, o = self.ctx, self.out
        self.title(f"{c['year_project']}", "转移支付绩效自评报告")
        o.h1("绩效目标分解下达情况")
        o.h2("中央和省下达预算补助资金和绩效目标情况")
        self.snippet("项目概况")
        o.paras(self.user("单位概况"))
        o.h2("年度绩效目标")
        self.goal()
        o.h1("绩效情况分析")
        o.h2("资金投入情况分析")
        self.funds(f"{c['year']}年度资金投入和执行情况")
        o.h2("资金管理情况分析")
        self.snippet("资金管理情况")
        o.paras(self.implementation_text())
        o.h2("总体绩效目标完成情况分析")
        self.goal_done()
        o.h2("绩效指标完成情况分析")
        self.self_evaluation()
        self.conclusion()
        self.transfer_indicators()
        o.h1("偏离绩效目标的原因和下一步改进措施")
        o.h2("偏离绩效目标的原因")
        self.problems(nested=True)
        o.h2("下一步改进措施")
        self.measures(nested=True)
        self.ending("绩效自评结果拟应用和公开情况", f"{c['year']}年度转移支付绩效自评表")

    def transfer_indicators(self) -> None:
        """Indicators under （四）: one numbered item per 一级指标, each with its table."""
        o = self.out
        b = self.ctx["budget"]
        if b["scored"]:
            o.h3("预算执行情况")
            o.paras(self.w("预算执行分析.j2", b=b, short=False))
        for g in self.ctx["groups"]:
            o.h3(g["name"] or "其他指标")
            number = f"{o.chapter}-{o.tables + 1}"
            o.paras(self.w("一级指标小结.j2", g=g, table=number))
            o.table("itable", f"{g['short']}指标得分情况", indicator_block(g))
            self.indicator_paragraphs(g)

    def four_level(self) -> None:
        """The scored 4-level evaluation outline (项目决策、过程管理、项目产出、项目效益)."""
        c, o = self.ctx, self.out
        self.title(c["year_project"], f"{c['type_word']}绩效自评报告")
        o.h1("基本情况")
        o.h2("项目总体情况")
        o.h3("项目单位情况")
        self.snippet("单位概况")
        o.h3("项目基本情况")
        self.snippet("项目概况")
        o.h3("项目预算及资金来源")
        self.funds(f"{c['year']}年度资金投入和执行情况")
        o.h3("资金管理情况")
        self.snippet("资金管理情况")
        o.h2("项目绩效目标")
        o.h3("年度总体目标")
        self.goal()
        o.h3("年度目标完成情况")
        self.goal_done()
        o.h1("绩效评价工作情况")
        self.self_evaluation()
        o.paras(self.implementation_text())
        o.h1("绩效评价结论")
        self.conclusion()
        o.h1("绩效评价指标分析")
        self.analysis()
        self.problems_and_measures()
        self.ending("绩效自评结果拟应用和公开情况", f"{c['year']}年度{c['type_word']}绩效自评表")

    def department(self) -> None:
        c, o = self.ctx, self.out
        self.title(c["project"] or c["issuer"], f"{c['year']}年度部门整体支出绩效自评报告")
        o.h1("部门基本情况")
        self.snippet("部门职能")
        o.h1("部门预算及执行情况")
        self.funds(f"{c['year']}年度部门预算及执行情况")
        self.snippet("资金管理情况")
        o.h1("项目资金执行情况")
        self.snippet("项目资金执行情况", "项目资金执行情况.j2" if c["budget"]["project_line"] else None)
        o.h1("绩效目标完成情况")
        o.h2("年度总体目标")
        self.goal()
        o.h2("年度目标完成情况")
        self.goal_done()
        o.h2("主要履职成效")
        self.snippet("履职成效")
        o.h1("绩效自评工作情况")
        self.self_evaluation()
        o.paras(self.implementation_text())
        o.h1("自评结论")
        self.conclusion()
        o.h1("绩效指标完成情况分析")
        self.analysis()
        self.problems_and_measures("改进措施和建议")
        self.ending("绩效自评结果应用和公开情况", f"{c['year']}年度部门整体支出绩效自评表")

    def build(self) -> Outline:
        kind = self.ctx["report_type"]
        if kind == schema.TYPE_DEPARTMENT:
            self.department()
        elif self.ctx["four_level"]:
            self.four_level()
        elif kind == schema.TYPE_TRANSFER:
            self.transfer()
        else:
            self.project()
        return self.out


def build_outline(evaluation, words: Wording, today: date | None = None) -> Outline:
    return Builder(evaluation, words, today).build()


__all__ = ["Outline", "Placeholder", "build_outline"]
