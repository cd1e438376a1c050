"""Evaluations for the report tests, built without reading a workbook.

A :class:`WorkbookInput` is assembled by hand (as the reader would produce it) and scored with
the pure :func:`xlreport.core.scoring.evaluate`, so the sentences and numbers are the scorer's own.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from xlreport.core import schema
from xlreport.core.grid import RawCell
from xlreport.core.model import (
    BasicInfo,
    BudgetInput,
    BudgetLine,
    Evaluation,
    Field,
    IndicatorRow,
    Ref,
    SnippetInput,
    WorkbookInput,
)
from xlreport.core.scoring import evaluate
from xlreport.core.values import fmt, fmt_percent, fmt_score

GRADES = ((Decimal(90), "优"), (Decimal(80), "良"), (Decimal(60), "中"), (Decimal(0), "差"))
COLUMNS = ("level1", "level2", "name", "nature", "target", "unit", "actual", "weight", "method", "degree",
           "last_year", "deviation", "explanation", "manual_score", "manual_reason")


def D(x: Any) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def field(value: Any, sheet: str, row: int, col: int, number_format: str = "General") -> Field:
    return Field(RawCell(value, number_format), Ref(sheet, row, col))


def indicator(row: int, level1: str, level2: str, name: str, target: Any, actual: Any, weight: Any,
              formats: dict[str, str] | None = None, **extra: Any) -> IndicatorRow:
    values = {"level1": level1, "level2": level2, "name": name, "target": target, "actual": actual,
              "weight": weight, **extra}
    formats = formats or {}
    cells = {key: field(values.get(key), schema.SHEET_INDICATORS, row, i + 1, formats.get(key, "General"))
             for i, key in enumerate(COLUMNS)}
    l1_declared = l2_declared = None
    return IndicatorRow(row, level1, level2, l1_declared, l2_declared, cells)


def budget(annual: Any, executed: Any, initial: Any = None, *, weight: Any = 10, method: str = "比例",
           threshold: Any = None, parts: dict[str, tuple] | None = None) -> BudgetInput:
    lines = {"total": BudgetLine("total", "年度资金总额", D(initial), D(annual), D(executed))}
    labels = {"appropriation": "其中：当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
    for key, (i, a, e) in (parts or {}).items():
        lines[key] = BudgetLine(key, labels[key], D(i), D(a), D(e))
    return BudgetInput(lines=lines, weight=D(weight), method=method, threshold=D(threshold))


def snippets(texts: dict[str, str]) -> dict[str, SnippetInput]:
    return {key: SnippetInput(key, schema.ALL_SNIPPETS[key].title, text, Ref(schema.SHEET_TEXTS, i + 2, 3))
            for i, (key, text) in enumerate(texts.items())}


def make_evaluation(report_type: str, rows: list[IndicatorRow], budget_input: BudgetInput,
                    texts: dict[str, str] | None = None, **info: Any) -> Evaluation:
    basic = BasicInfo(report_type=report_type, year=info.get("year", "2022"),
                      project=info.get("project", "城乡居民医保补助资金"),
                      department=info.get("department", "吴忠市医疗保障局"),
                      unit=info.get("unit", "吴忠市红寺堡区医疗保障局"),
                      goal=info.get("goal", "逐步巩固参保率，稳步提高保障水平，实现基金收支平衡。"),
                      goal_done=info.get("goal_done", "参保率稳定在95%以上，基金运行平稳。"),
                      default_handling=info.get("default_handling", "满分"), grades=GRADES,
                      contact=info.get("contact", "张三"), phone=info.get("phone", "0953-1234567"))
    wb = WorkbookInput(basic, budget_input, rows, snippets(texts or {}), template_version=1)
    return evaluate(wb)


# Scenarios -------------------------------------------------------------------------------
def project_evaluation(texts: dict[str, str] | None = None) -> Evaluation:
    """项目支出: budget scored on the budget sheet (10 points, 比例), one missed indicator."""
    rows = [
        indicator(5, "产出指标", "数量指标", "参保人数", "≥173218", 176268, 20, unit="人",
                  explanation="2022年参保缴费176268人，完成年度任务。"),
        indicator(6, "产出指标", "数量指标", "综合参保率", "≥95%", 0.975, 20, formats={"actual": "0.00%"},
                  explanation="综合参保率97.50%。"),
        indicator(7, "产出指标", "质量指标", "基金使用合规性", "专账核算专款专用", "合规", 10),
        indicator(8, "产出指标", "时效指标", "资金拨付及时率", "100%", "92%", 10,
                  explanation="部分资金拨付延迟。", deviation="第四季度资金到位较晚，下一步提前谋划。"),
        indicator(9, "效益指标", "社会效益指标", "基金累计结余可支配月数", "6-9个月", "缺省", 10,
                  explanation="本级不涉及基金结余考核。"),
        indicator(10, "效益指标", "可持续影响指标", "医保制度运行", "平稳可持续", "基本平稳", 10,
                  deviation="个别月份支出波动。"),
        indicator(11, "满意度指标", "服务对象满意度指标", "参保对象满意度", "≥90%", "92.8%", 10,
                  explanation="委托第三方开展满意度调查。"),
    ]
    b = budget(391, 366.656, 391, parts={"appropriation": (391, 391, 366.656)})
    return make_evaluation(schema.TYPE_PROJECT, rows, b, texts)


def transfer_threshold_evaluation(texts: dict[str, str] | None = None) -> Evaluation:
    """转移支付 4-level table (as in the 红寺堡 report): 预算执行率 as a 达标 indicator that fails
    (315.22 / 391 = 80.62% < 90%), budget sheet weight 0."""
    rows = [
        indicator(5, "项目决策", "决策依据", "贯彻中央和自治区医疗保障制度改革决策部署", "依据中央和自治区意见进行决策",
                  "符合", 5, explanation="资金使用及决策符合中央和自治区医疗保障制度改革要求。"),
        indicator(6, "项目决策", "决策过程", "决策程序规范", "使用资金决策程序规范", "符合", 5),
        indicator(7, "项目决策", "绩效目标", "绩效目标设置科学", "遵照下达的年度总体目标", "科学", 5),
        indicator(8, "项目决策", "资金分配", "资金分配规范性", "按规定时限分配下达资金", "缺省", 5,
                  explanation="市县（区）级不涉及资金分配考核内容。"),
        indicator(9, "过程管理", "资金管理", "当年各级财政补助资金到位率", "100%", "100%", 10),
        indicator(10, "过程管理", "资金管理", "预算执行率", "90%", None, 4, method="达标",
                  explanation="全年预算数391万元，全年执行数315.22万元。",
                  deviation="部分项目年底才完成验收，资金未能及时支付。"),
        indicator(11, "过程管理", "组织管理", "管理制度健全有效性", "全面建立统一的城乡居民医保制度", "有效", 21),
        indicator(12, "项目产出", "数量指标", "参保人数", "≥173218", 176268, 10, unit="人",
                  explanation="参保缴费176268人。"),
        indicator(13, "项目产出", "数量指标", "综合参保率", "≥95%", "97.50%", 10),
        indicator(14, "项目产出", "数量指标", "参保人政策范围内住院费用报销比", "不低于上年度", "提高13.62%", 5,
                  unit="%"),
        indicator(15, "项目产出", "质量指标", "重复参保人数", 0, 0, 10, unit="人"),
        indicator(16, "项目效益", "满意度指标", "参保对象满意度", "≥90%", "92.8%", 10,
                  explanation="满意度调查显示参保对象满意度为92.8%。"),
    ]
    b = budget(391, 315.22, 391, weight=0)
    return make_evaluation(schema.TYPE_TRANSFER, rows, b, texts)


def department_evaluation(texts: dict[str, str] | None = None) -> Evaluation:
    """部门整体支出 (as in the 临泽 report): 10-point 达标 budget rate met, all indicators met."""
    rows = [
        indicator(5, "产出指标", "数量指标", "城乡居民参保人数", "≥115000", 116201, 30, unit="人",
                  explanation="2023年城乡居民参保缴费116201人。"),
        indicator(6, "产出指标", "质量指标", "住院政策范围内报销比例", "≥70%", "72.78%", 20),
        indicator(7, "效益指标", "社会效益指标", "低保对象、已脱贫人口参保率", "100%", "100%", 20),
        indicator(8, "效益指标", "可持续影响指标", "医保基金运行", "平稳有序", "平稳有序", 10),
        indicator(9, "满意度指标", "服务对象满意度指标", "参保群众满意度", "≥90%", "95%", 10),
    ]
    b = budget(490.06, 488.18, 490.06, method="达标", threshold=90,
               parts={"appropriation": (490.06, 490.06, 488.18)})
    info = {"project": "临泽县医疗保障局", "year": "2023", "unit": "临泽县医疗保障局", "department": "临泽县人民政府"}
    return make_evaluation(schema.TYPE_DEPARTMENT, rows, b, texts, **info)


FULL_TEXTS = {
    "单位概况": "吴忠市红寺堡区医疗保障局于2019年1月底正式挂牌成立，为一级预算单位。",
    "项目概况": "宁夏回族自治区财政厅下达了2022年城乡居民基本医疗保险补助资金。",
    "资金管理情况": "资金实行专户管理、专账核算。",
    "改进措施": "进一步加强预算管理，提升预算编制的科学合理性。",
    "结果应用": "绩效自评结果已上报自治区医保局。",
    "其他说明": "无",
}


# Reading a report back ---------------------------------------------------------------------
HEADINGS = {
    "项目支出": ["一、基本情况", "二、绩效自评工作情况", "三、自评结论", "四、绩效指标完成情况分析",
                "五、存在的问题", "六、改进措施", "七、绩效自评结果应用和公开情况", "八、其他需要说明的问题"],
    "转移支付": ["一、绩效目标分解下达情况", "二、绩效情况分析", "三、偏离绩效目标的原因和下一步改进措施",
                "四、绩效自评结果拟应用和公开情况", "五、其他需要说明的问题"],
    "四级": ["一、基本情况", "二、绩效评价工作情况", "三、绩效评价结论", "四、绩效评价指标分析", "五、存在的问题",
            "六、改进措施", "七、绩效自评结果拟应用和公开情况", "八、其他需要说明的问题"],
    "部门整体支出": ["一、部门基本情况", "二、部门预算及执行情况", "三、项目资金执行情况", "四、绩效目标完成情况",
                  "五、绩效自评工作情况", "六、自评结论", "七、绩效指标完成情况分析", "八、存在的问题",
                  "九、改进措施和建议", "十、绩效自评结果应用和公开情况", "十一、其他需要说明的问题"],
}
LEAKS = ("{{", "}}", "{%", "%}", "None", "nan", "NaN", "Decimal", "\u200b", "X为X")
# Malformed phrases the wording must never produce.
MALFORMED = (r"(低于|高于|达到|未达到|超过)[≥≤>＜<]", r"实际完成(值为)?[-—]。", r"%%", r"％%",
             r"本项指标按缺省处理。本项指标按缺省处理", r"年度指标值为“([^”]+)”，实际完成情况为“\1”")
TEMPLATE_LEFTOVERS = (b"ja-JP", "ＭＳ 明朝".encode(), b"MS Mincho", b"make_docx_template", b"2024-01-01")


class Readback:
    def __init__(self, path: Path) -> None:
        from docx import Document

        self.path = path
        self.doc = Document(str(path))
        self.paragraphs = [p for p in self.doc.paragraphs]
        self.texts = [p.text for p in self.paragraphs]
        self.tables = [[[c.text for c in row.cells] for row in t.rows] for t in self.doc.tables]

    def styled(self, style: str) -> list[str]:
        return [p.text for p in self.paragraphs if p.style is not None and p.style.name == style]

    @property
    def all_text(self) -> str:
        cells = "\n".join("\t".join(row) for t in self.tables for row in t)
        footer = "\n".join(p.text for s in self.doc.sections for p in s.footer.paragraphs)
        return "\n".join(self.texts) + "\n" + cells + "\n" + footer

    def labels_filled(self, rows: list[list[str]], columns: tuple[int, ...]) -> list[list[str]]:
        """Rows with a label block's empty cells read as the label above (the report prints a
        一级/二级 label once per block, with no row lines inside the block)."""
        out, above = [], {}
        for row in rows:
            row = list(row)
            for c in columns:
                if c < len(row):
                    if row[c]:
                        above[c] = row[c]
                    else:
                        row[c] = above.get(c, "")
            out.append(row)
        return out

    def table_with_header(self, first: str) -> list[list[list[str]]]:
        return [t for t in self.tables if t and t[0] and t[0][0] == first]

    def body(self) -> str:
        return "\n".join(self.texts)

    def placeholders(self) -> list[str]:
        """Runs in the 待填写 character style (highlighted in Word)."""
        return [r.text for p in self.paragraphs for r in p.runs
                if r.style is not None and r.style.name == "待填写"]


def write(evaluation: Evaluation, tmp_path: Path, name: str = "report.docx", **kw) -> Readback:
    from xlreport.adapters.report import write_report

    path = write_report(evaluation, tmp_path / name, **kw)
    assert path == tmp_path / name and path.is_file()
    return Readback(path)


def rate(score: Decimal, weight: Decimal) -> str:
    return fmt_percent(score / weight * 100)


def outline_key(ev: Evaluation) -> str:
    from xlreport.adapters.report.context import is_four_level

    if ev.info.report_type == schema.TYPE_DEPARTMENT:
        return "部门整体支出"
    return "四级" if is_four_level(ev) else ev.info.report_type


def check_report(ev: Evaluation, rb: Readback) -> None:
    """Everything a finance bureau checks, against the Evaluation itself: every number in the
    report's tables and generated sentences is the workbook's."""
    import re
    import zipfile

    from docx_schema import validate_docx

    errors = validate_docx(rb.path)
    assert not errors, "\n".join(errors[:10])
    text = rb.all_text
    for leak in LEAKS:
        assert leak not in text, f"leaked {leak!r}"
    for pattern in MALFORMED:
        assert not re.search(pattern, text), (pattern, re.search(pattern, text).group(0))
    with zipfile.ZipFile(rb.path) as z:
        for name in z.namelist():
            data = z.read(name)
            for leftover in TEMPLATE_LEFTOVERS:
                assert leftover not in data, (name, leftover)
    assert rb.styled("Heading 1") == HEADINGS[outline_key(ev)]
    # total and grade
    assert ev.total is not None
    assert f"综合得分为{fmt_score(ev.total)}分，评价等级为“{ev.grade}”" in rb.body()
    # every indicator is discussed: its own paragraph, or named in the 'all met' summary
    body = rb.styled("Normal")
    for ind in ev.indicators:
        mine = [t for t in body if t.startswith(f"{ind.name}：")]
        summary = [t for t in body if re.match(r"^(.+)等\d+项指标均达到年度指标值", t)
                   and ind.name in re.match(r"^(.+)等\d+项指标", t).group(1).split("、")]
        summary += [t for t in body if t.startswith("本类") and "均达到年度指标值" in t
                    and ind.status == "met" and not ind.source.text("explanation") and not mine]
        summary = summary[:1]
        assert len(mine) + len(summary) == 1, ind.name
        if mine:
            explanation = ind.source.text("explanation").strip().splitlines()
            if explanation:
                assert explanation[0].strip().rstrip("。") in mine[0]
            if ind.status in ("missed", "partial") and ind.source.text("deviation"):
                assert ind.source.text("deviation").strip().rstrip("。") in mine[0], ind.name
        else:
            assert ind.status == "met" and not ind.source.text("explanation")
    # one table per 一级指标 with every score, the 二级 label over each block of rows, a 合计 row
    itables = rb.table_with_header("二级指标")
    assert len(itables) == len(ev.groups)
    for g, table in zip(ev.groups, itables):
        ordered = [(child, ind) for child in g.children for ind in child.indicators]
        assert len(table) == len(ordered) + 2
        for (child, ind), row in zip(ordered, rb.labels_filled(table[1:-1], (0,))):
            assert row[0] == f"{child.name}\n（{fmt(child.weight)}分）", (row[0], child.name)
            assert row[1] == ind.name
            if ind.status == "excluded":
                assert row[5] == "不计分"
            else:
                assert row[4:] == [fmt(ind.weight), fmt_score(ind.final), rate(ind.final, ind.weight)], ind.name
        assert table[-1][0] == "合计"
        assert table[-1][-3:] == [fmt(g.weight), fmt_score(g.score), rate(g.score, g.weight)]
        captions = [c for c in rb.styled("Caption") if c.endswith("指标得分情况")]
        assert any(g.name.removesuffix("指标") in c for c in captions)
        assert f"分值{fmt(g.weight)}分，实际得分{fmt_score(g.score)}分，得分率为{rate(g.score, g.weight)}" in rb.body()
    # budget figures
    b = ev.budget
    budget_tables = rb.table_with_header("资金类别")
    assert budget_tables, "budget table missing"
    total_row = next(r for r in budget_tables[0] if r[0] == "年度资金总额")
    assert total_row[2:] == [fmt(b.annual), fmt(b.executed), fmt_percent(b.rate)]
    if b.weight > 0:
        assert f"全年预算数{fmt(b.annual)}万元，执行{fmt(b.executed)}万元，执行率{fmt_percent(b.rate)}" in rb.body()
    # 资金下达明细 -> 资金到位情况表
    allocs = [a for a in ev.input.budget.allocations if a.document or a.subtotal is not None]
    alloc_tables = rb.table_with_header("序号")
    if allocs:
        assert len(alloc_tables) == 1
        docs = [r[1] for r in alloc_tables[0][1:] if r[0] != "合计"]
        assert docs == [a.document for a in allocs]
        subtotals = [r[5] for r in alloc_tables[0][1:] if r[0] != "合计"]
        assert subtotals == [fmt(a.subtotal) if a.subtotal is not None else fmt(sum(
            v for v in (a.central, a.provincial, a.local) if v is not None)) for a in allocs]
    else:
        assert not alloc_tables
    # every amount in 万元 the report states is a budget or allocation figure, or the unit's own text
    figures = {fmt(v) for line in ev.input.budget.lines.values() for v in (line.initial, line.annual, line.executed)
               if v is not None}
    figures |= {fmt(v) for v in (b.annual, b.executed, b.initial) if v is not None}
    if b.annual is not None and b.executed is not None:
        figures.add(fmt(b.annual - b.executed))
    figures |= {fmt(line.annual - line.executed) for line in ev.input.budget.lines.values()
                if line.annual is not None and line.executed is not None}  # a line's unspent amount
    for a in ev.input.budget.allocations:
        figures |= {fmt(v) for v in (a.central, a.provincial, a.local, a.subtotal) if v is not None}
    if allocs:
        figures.add(fmt(sum((a.subtotal or Decimal(0)) for a in allocs)))
    user = " ".join([s.content or "" for s in ev.input.snippets.values()]
                    + [ind.source.text(k) for ind in ev.indicators for k in ("explanation", "deviation", "target",
                                                                             "actual")]
                    + [ev.info.goal, ev.info.goal_done])
    for m in re.finditer(r"(\d+(?:\.\d+)?)万元", rb.body()):
        assert m.group(1) in figures or m.group(0) in user, m.group(0)
    # attachment: one 绩效自评表 from the name to 总分
    annex = [t for t in rb.tables if t[0][0] in ("项目名称", "部门名称")]
    assert len(annex) == 1
    annex = annex[0]
    if annex[-1][0].startswith(("填报人", "联系电话")):  # the line under the form, inside it
        note = annex.pop()
        assert (ev.info.contact or ev.info.phone) and (ev.info.contact in note[0] and ev.info.phone in note[0])
    head = next(i for i, r in enumerate(annex) if r[0] == "一级指标")
    ordered = [(g, child, ind) for g in ev.groups for child in g.children for ind in child.indicators]
    rows = annex[head + 1:-1]
    assert len(rows) == len(ordered)
    assert all(rows[0][:2]), rows[0][:2]  # the first row of the form carries both labels
    for (g, child, ind), row in zip(ordered, rb.labels_filled(rows, (0, 1))):
        assert row[0] == f"{g.name}\n（{fmt(g.weight)}分）" and row[1] == f"{child.name}\n（{fmt(child.weight)}分）"
        assert row[2] == ind.name, ind.name
        if ind.status != "excluded":
            assert row[5:7] == [fmt(ind.weight), fmt_score(ind.final)], ind.name
        if ind.status in ("missed", "partial"):
            assert row[7], f"偏差原因 empty for {ind.name}"
    last = annex[-1]
    assert last[0] == "总分" and last[6] == fmt_score(ev.total) and ev.grade in last[7]
    weights = sum(i.weight for i in ev.indicators if i.status != "excluded") + b.weight
    assert last[5] == fmt(weights)
    budget_line = next(r for r in annex if r[1] == "年度资金总额")
    assert budget_line[3:5] == [fmt(b.annual), fmt(b.executed)]
    assert budget_line[6] == fmt_percent(b.rate)
    if b.weight > 0:
        assert budget_line[5] == fmt(b.weight) and budget_line[7] == fmt_score(b.score)
    assert ev.info.year in rb.styled("附件标题")[0]
