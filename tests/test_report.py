"""The narrative report: outline per type, sentences, numbers read back from the .docx,
official layout, pagination flags, overrides."""

from __future__ import annotations

import re
import shutil
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from report_fixtures import (
    FULL_TEXTS,
    MALFORMED,
    budget,
    check_report,
    department_evaluation,
    indicator,
    make_evaluation,
    project_evaluation,
    transfer_threshold_evaluation,
    write,
)

from xlreport.adapters.report import (
    ReportError,
    convert_to_pdf,
    placeholder_problems,
    write_report,
)
from xlreport.adapters.report import render as render_mod
from xlreport.core import schema
from xlreport.core.model import AllocationLine

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# Scenarios ---------------------------------------------------------------------------------
def test_project_report(tmp_path):
    ev = project_evaluation(FULL_TEXTS)
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    body = rb.body()
    assert "（一）预算执行情况" in rb.styled("Heading 2")
    assert "执行率93.77%，按执行率计分，本项得9.38分（分值10分）。" in body
    assert "基金累计结余可支配月数：本级不涉及基金结余考核。本项指标按缺省处理，得满分。" in body
    assert ("资金拨付及时率：部分资金拨付延迟。偏差原因：第四季度资金到位较晚，下一步提前谋划。"
            "根据评分标准，本项指标按完成比例得9.20分。") in body
    assert "判定为部分达成" in body  # 医保制度运行: 基本平稳
    assert rb.styled("Title") == ["2022年度城乡居民医保补助资金", "项目支出绩效自评报告"]
    assert "根据《中共中央 国务院关于全面实施预算绩效管理的意见》（中发〔2018〕34号）和《项目支出绩效评价管理办法》（财预〔2020〕10号）" in body
    assert rb.styled("附件说明") == ["附件：2022年度项目支出绩效自评表"]
    assert rb.styled("附件标题") == ["2022年度项目支出绩效自评表"]


def test_four_level_transfer_with_failed_threshold(tmp_path):
    """转移支付, 4-level table, 预算执行率 as a 达标 indicator at 80.62% < 90%."""
    ev = transfer_threshold_evaluation(FULL_TEXTS)
    assert ev.complete and ev.total == Decimal("96.00") and ev.grade == "优"
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    body = rb.body()
    assert "根据评分标准，本项指标不得分。" in body
    assert "综合得分为96分，评价等级为“优”" in body
    assert [c for c in rb.styled("Caption") if c.startswith("表4")] == [
        "表4-1　项目决策指标得分情况", "表4-2　过程管理指标得分情况", "表4-3　项目产出指标得分情况",
        "表4-4　项目效益指标得分情况"]
    problems = body.split("五、存在的问题")[1].split("六、改进措施")[0]
    assert "“预算执行率”未达到年度指标值" in problems and "80.62%" in problems
    assert "部分项目年底才完成验收" in problems
    rate_row = next(r for t in rb.table_with_header("二级指标") for r in t if r[1] == "预算执行率")
    assert rate_row[2:] == ["90%", "80.62%", "4", "0", "0.00%"]
    assert "转移支付绩效自评报告" in rb.styled("Title")
    # qualitative indicators met in full with nothing to add: said once, not as 'X为X' paragraphs
    assert "决策程序规范、绩效目标设置科学等2项指标均达到年度指标值，根据评分标准，均得满分。" in body
    assert "本项指标按缺省处理，得满分。" in body


def test_transfer_payment_follows_the_ministry_outline(tmp_path):
    ev = project_evaluation(FULL_TEXTS)
    ev.input.info.report_type = schema.TYPE_TRANSFER
    ev.input.budget.allocations = [
        AllocationLine("1", "宁财（社）指标〔2022〕12号", Decimal(300), Decimal(60), None, Decimal(360), 20),
        AllocationLine("2", "宁财（社）指标〔2022〕88号", Decimal(31), None, None, Decimal(31), 21)]
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    assert rb.styled("Heading 2")[:2] == ["（一）中央和省下达预算补助资金和绩效目标情况", "（二）年度绩效目标"]
    alloc = rb.table_with_header("序号")[0]
    assert alloc[-1] == ["合计", "合计", "331", "60", "", "391"]
    assert "2022年度共下达资金391万元（2笔），资金到位情况如表2-2所示。" in rb.body()
    assert "转移支付资金管理办法" in rb.body() and "《项目支出绩效评价管理办法》" not in rb.body()
    assert rb.styled("附件标题") == ["2022年度转移支付绩效自评表"]


def test_department_report_follows_linze(tmp_path):
    ev = department_evaluation({**FULL_TEXTS, "履职成效": "（一）守正创新固基本。\n（二）综合施策抓突破。"})
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    body = rb.body()
    assert "达到90%的标准，按评分标准本项得满分10分。" in body
    assert rb.styled("Title") == ["临泽县医疗保障局", "2023年度部门整体支出绩效自评报告"]
    assert rb.styled("Subtitle") == [""]  # the department is the title: an empty line, not a repeat
    assert "表7-1　产出指标得分情况" in rb.styled("Caption")
    h2 = rb.styled("Heading 2")
    assert h2[:3] == ["（一）年度总体目标", "（二）年度目标完成情况", "（三）主要履职成效"]
    assert "（二）综合施策抓突破。" in body
    annex = next(t for t in rb.tables if t[0][0] == "部门名称")
    assert annex[2][0] == "年度预算执行情况（万元）"
    assert "《项目支出绩效评价管理办法》" not in body


# Generated text ------------------------------------------------------------------------------
def test_empty_snippets_are_generated_or_marked(tmp_path):
    ev = transfer_threshold_evaluation({})
    rb = write(ev, tmp_path)
    body = rb.body()
    todos = rb.placeholders()
    assert any(t.startswith("（待填写：单位基本情况") for t in todos)
    assert any(t.startswith("（待填写：具体改进措施") for t in todos)
    assert any(t.startswith("（待填写：其他需要说明的问题") for t in todos)
    # generated from data, not marked
    assert "全年预算数391万元" in body and "全年执行数315.22万元" in body and "尚有75.78万元未支出" in body
    assert "（一）加快预算执行进度。对尚未支出的75.78万元" in body
    # every placeholder is a 提示 in 校验结果, at the cell to fill when there is one
    found = placeholder_problems(ev)
    assert {p.code for p in found} == {"report-placeholder"}
    assert all(p.level.value == "提示" for p in found)
    whats = {p.fields["what"] for p in found}
    assert {"单位基本情况", "具体改进措施", "其他需要说明的问题"} <= whats
    assert len(found) >= len(todos) - 1


def test_missed_indicator_without_reason_asks_for_it(tmp_path):
    rows = [indicator(5, "产出指标", "数量指标", "培训场次", "≥20场", "15场", 45),
            indicator(6, "产出指标", "数量指标", "宣讲场次", "≥20场", "33场", 45),
            indicator(7, "效益指标", "社会效益指标", "结余月数", "6-9个月", "缺省", 10)]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(100, 100, 100, weight=0), FULL_TEXTS)
    rb = write(ev, tmp_path)
    body = rb.body()
    assert "培训场次：年度指标值为≥20场，实际完成15场，低于年度指标值20场。偏差原因：（待填写：原因分析）" in body
    assert "宣讲场次：年度指标值为≥20场，实际完成33场，大幅超过年度指标值20场。超额完成原因：（待填写：超额完成原因分析）" in body
    assert "结余月数：（待填写：缺省原因。说明本项指标不适用或无法取得数据的原因）本项指标按缺省处理，得满分。" in body
    assert "（待填写：原因分析）" in rb.placeholders()
    whats = {p.fields["what"] for p in placeholder_problems(ev)}
    assert {"原因分析", "超额完成原因分析", "缺省原因"} <= whats


def test_budget_rate_indicator_gives_the_amounts_and_the_rule(tmp_path):
    rows = [indicator(5, "过程管理", "资金管理", "预算执行率", "≥90%", None, 10, method="达标",
                      deviation="部分项目年底才完成验收。"),
            indicator(6, "项目产出", "数量指标", "参保人数", "≥100人", "120人", 90)]
    ev = make_evaluation(schema.TYPE_TRANSFER, rows, budget(398, 320.88, 398, weight=0), FULL_TEXTS)
    body = write(ev, tmp_path).body()
    assert ("预算执行率：全年预算数398万元，执行320.88万元，执行率80.62%，低于年度指标值90%。"
            "偏差原因：部分项目年底才完成验收。根据评分标准，本项指标不得分。") in body


def test_upper_bound_missed_says_over_the_limit(tmp_path):
    rows = [indicator(5, "效益指标", "可持续影响指标", "基金支出占收入比例", "≤100%", "122.71%", 100,
                      deviation="住院人次增长较快。")]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(100, 100, 100, weight=0), FULL_TEXTS)
    body = write(ev, tmp_path).body()
    assert "实际完成122.71%，超过100%的上限。" in body
    for pattern in MALFORMED:
        assert not re.search(pattern, body)


def test_user_snippets_win_over_generated(tmp_path):
    texts = {**FULL_TEXTS, "存在的问题": "第一段问题。\n\n第二段问题。", "资金投入情况": "用户写的资金情况。"}
    ev = project_evaluation(texts)
    rb = write(ev, tmp_path)
    body = rb.styled("Normal")
    i = body.index("第一段问题。")
    assert body[i + 1] == "第二段问题。"
    assert "用户写的资金情况。" in body


def test_implementation_text_is_not_taken_for_the_self_evaluation(tmp_path):
    texts = {**FULL_TEXTS, "组织实施情况": "根据《关于下达经费的通知》要求，市、县两级医保经办机构组织实施。"}
    rb = write(project_evaluation(texts), tmp_path)
    assert "（五）项目组织实施情况" in rb.styled("Heading 2")
    work = rb.body().split("二、绩效自评工作情况")[1].split("三、自评结论")[0]
    assert "项目支出绩效评价管理办法" in work and "组织实施。" not in work


def test_all_met_problems_sentence(tmp_path):
    rb = write(department_evaluation(), tmp_path)
    assert "经自评，2023年度各项绩效指标均已完成" in rb.body()


def test_hostile_user_text_is_printed_literally(tmp_path):
    texts = {**FULL_TEXTS, "项目概况": "# 不是标题\n@annex\n{{ secret }} {% if %} <b>&amp; R&D</b>\n~ tilde"}
    rows = [indicator(5, "产出指标", "数量指标", "指标<1>&{{x}}", "≥1", 1, 90,
                      explanation="说明\n第二行 {%p endfor %}")]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(10, 10, 10), texts)
    assert ev.complete
    rb = write(ev, tmp_path)
    body = rb.styled("Normal")
    assert "# 不是标题" in body and "@annex" in body and "~ tilde" in body
    assert "{{ secret }} {% if %} <b>&amp; R&D</b>" in body
    assert any(t.startswith("指标<1>&{{x}}：说明；第二行 {%p endfor %}") for t in body)


def test_incomplete_evaluation_does_not_crash(tmp_path):
    rows = [indicator(5, "产出指标", "数量指标", "无法识别", "≥95%", "很多", 90)]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(10, 9, 10), FULL_TEXTS)
    assert not ev.complete and ev.total is None
    rb = write(ev, tmp_path)
    text = rb.all_text
    assert "总分不完整" in text and "本项指标暂无法评分。" in text
    for leak in ("None", "nan", "{{"):
        assert leak not in text


# Layout --------------------------------------------------------------------------------------
def test_official_layout(tmp_path):
    rb = write(project_evaluation(FULL_TEXTS), tmp_path, today=date(2026, 3, 5))
    section = rb.doc.sections[0]
    mm = lambda length: round(length.mm)
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin), mm(section.left_margin),
            mm(section.right_margin)) == (37, 35, 28, 26)
    styles = rb.doc.styles
    assert styles["Normal"].font.size.pt == 16
    assert round(styles["Normal"].paragraph_format.line_spacing.pt, 2) == 28.95
    assert styles["Title"].font.size.pt == 22
    with zipfile.ZipFile(rb.path) as z:
        document = z.read("word/document.xml").decode("utf-8")
        style_xml = z.read("word/styles.xml").decode("utf-8")
        settings = z.read("word/settings.xml").decode("utf-8")
        odd, even = z.read("word/footer1.xml").decode(), z.read("word/footer2.xml").decode()
        fonts = z.read("word/fontTable.xml").decode("utf-8")
        core = z.read("docProps/core.xml").decode("utf-8")
    for face in ("仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"):
        assert f'w:eastAsia="{face}"' in style_xml, face
    assert "eastAsiaTheme" not in document + style_xml and "asciiTheme" not in document + style_xml
    assert re.search(r'<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>', fonts)
    # 28 characters a line: 三号 less 0.25 pt per character in the 156 mm line
    assert '<w:spacing w:val="-5"/>' in style_xml and 28 * (16 - 0.25) <= 156 / 25.4 * 72 < 29 * (16 - 0.25)
    # page numbers '— 1 —': odd pages right, even pages left, one character in
    assert "<w:evenAndOddHeaders/>" in settings
    assert '<w:jc w:val="right"/>' in odd and 'w:right="280"' in odd and "— " in odd and " —" in odd
    assert '<w:jc w:val="left"/>' in even and 'w:left="280"' in even and "PAGE" in even
    # signature two characters from the right, the date under it
    assert rb.styled("发文机关署名") == ["吴忠市红寺堡区医疗保障局"]
    assert rb.styled("成文日期") == ["2026年3月5日"]
    sig = next(p for p in rb.paragraphs if p.style.name == "发文机关署名")
    assert sig._p.pPr.find(f"{W}ind").get(f"{W}rightChars") == "200"
    assert "2026-" in core and "<dc:creator>吴忠市红寺堡区医疗保障局</dc:creator>" in core


def _rows(tbl):
    return tbl.findall(f"{W}tr")


def test_tables_survive_pagination(tmp_path):
    """Rows never split; header rows repeat; small tables and groups stay together; a long group
    is cut into chunks that each carry the label; 合计 never alone."""
    rows = [indicator(5 + i, "产出指标", "数量指标" if i < 30 else "质量指标", f"第{i + 1}项产出指标的名称",
                      "≥95%", "97%", 2) for i in range(40)]
    rows += [indicator(50, "满意度指标", "服务对象满意度指标", "满意度", "≥90%", "92%", 20)]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(100, 100, 100, weight=0), FULL_TEXTS)
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    tables = rb.doc.element.body.findall(f"{W}tbl")
    for tbl in tables:
        for tr in _rows(tbl):
            assert tr.find(f"{W}trPr/{W}cantSplit") is not None
    big = next(t for t in tables if "第1项产出指标的名称" in "".join(t.itertext()) and "二级指标" in "".join(t.itertext())
               and "一级指标" not in "".join(t.itertext()))
    trs = _rows(big)
    assert trs[0].find(f"{W}trPr/{W}tblHeader") is not None
    data = trs[1:-1]

    def keeps(tr):
        return all(p.find(f"{W}pPr/{W}keepNext") is not None for p in tr.iter(f"{W}p"))

    def restarts(tr):  # a label block starts here: the label is printed, no open top edge
        tc = tr.find(f"{W}tc")
        top = tc.find(f"{W}tcPr/{W}tcBorders/{W}top")
        return "".join(t.text or "" for t in tc.iter(f"{W}t")) != "" and top is None
    # the 30-row 数量指标 group is too long for one block: its label restarts on a later chunk
    starts = [i for i, tr in enumerate(data[:30]) if restarts(tr)]
    assert starts[0] == 0 and len(starts) >= 2
    for s in starts[1:]:
        assert not keeps(data[s - 1])  # a chunk may start a page ...
        assert "数量指标（60分）" in "".join(data[s].find(f"{W}tc").itertext())  # ... with its label and weight
    assert keeps(data[-1])  # the last row keeps with 合计
    small = next(t for t in tables if "满意度" in "".join(t.itertext()) and "一级指标" not in "".join(t.itertext())
                 and "二级指标" in "".join(t.itertext()))
    assert all(keeps(tr) for tr in _rows(small)[1:-1])
    # table numbers do not break at their hyphen
    caption = next(p for p in rb.paragraphs if p.style.name == "Caption")
    assert caption._p.find(f".//{W}noBreakHyphen") is not None


# Overrides -----------------------------------------------------------------------------------
def test_templates_dir_overrides_by_name(tmp_path):
    custom = tmp_path / "office"
    custom.mkdir()
    (custom / "绩效自评工作情况.j2").write_text("本局按省厅统一部署开展自评（{{ counts.n }}项指标）。", encoding="utf-8")
    (custom / "评分说明.j2").write_text("{{ v.name }}得{{ v.score }}分。", encoding="utf-8")
    ev = project_evaluation(FULL_TEXTS)
    rb = write(ev, tmp_path, templates_dir=custom)
    assert f"本局按省厅统一部署开展自评（{len(ev.indicators)}项指标）。" in rb.styled("Normal")
    check_report(ev, rb)
    from xlreport.wording import wording

    assert wording(custom).indicator_note(ev.indicators[0]) == "参保人数得20分。"
    # a styling override: the office's own report.docx
    shutil.copy(render_mod.DEFAULT_TEMPLATE, custom / "report.docx")
    doc = Document(str(custom / "report.docx"))
    from docx.shared import Pt

    doc.styles["Normal"].font.size = Pt(15)
    doc.save(str(custom / "report.docx"))
    rb = write(ev, tmp_path, "styled.docx", templates_dir=custom)
    assert rb.doc.styles["Normal"].font.size.pt == 15


def test_broken_override_is_a_clear_error(tmp_path):
    custom = tmp_path / "bad"
    custom.mkdir()
    (custom / "自评结论.j2").write_text("{{ no_such_thing.x }}", encoding="utf-8")
    with pytest.raises(ReportError) as info:
        write_report(project_evaluation(FULL_TEXTS), tmp_path / "r.docx", templates_dir=custom)
    assert "模板“自评结论.j2”有误" in info.value.message
    assert not (tmp_path / "r.docx").exists()


# PDF -------------------------------------------------------------------------------------------
def test_pdf_notice_without_libreoffice(tmp_path, monkeypatch):
    monkeypatch.setattr(render_mod, "find_soffice", lambda: None)
    path = write_report(project_evaluation(FULL_TEXTS), tmp_path / "r.docx")
    pdf, notice = convert_to_pdf(path)
    assert pdf is None and notice.startswith("未安装LibreOffice，未生成PDF。")


@pytest.mark.skipif(render_mod.find_soffice() is None, reason="LibreOffice (soffice) not installed")
def test_pdf_with_libreoffice(tmp_path):
    path = write_report(transfer_threshold_evaluation(FULL_TEXTS), tmp_path / "r.docx")
    pdf, notice = convert_to_pdf(path)
    assert notice is None and pdf == tmp_path / "r.pdf" and pdf.read_bytes().startswith(b"%PDF")


# Sixty indicators (how fast: benchmarks/bench_timings.py) ----------------------------------------
def test_report_for_sixty_indicators(tmp_path):
    rows = []
    groups = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("效益指标", "社会效益指标"),
              ("满意度指标", "服务对象满意度指标")]
    for i in range(60):
        l1, l2 = groups[i * len(groups) // 60]
        rows.append(indicator(5 + i, l1, l2, f"指标{i + 1}", "≥95%", "97.5%", "1.5",
                              explanation=f"第{i + 1}项指标的完成情况说明，全年完成97.5%。"))
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(100, 95, 100), FULL_TEXTS)
    assert ev.complete
    check_report(ev, write(ev, tmp_path))


def test_scoring_path_does_not_import_docx():
    import subprocess
    import sys

    code = ("import sys; from xlreport.pipeline import score_grid; import xlreport.core.scoring, xlreport.core.planner;"
            "print(any(m == 'docx' or m.startswith(('docx.', 'docxtpl')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_schema_validation_catches_misordered_properties():
    """The check every report passes (check_report) fails on the faults it is there for."""
    import io

    from docx_schema import validate_docx

    from xlreport.adapters.report import render_docx

    data = render_docx(project_evaluation(FULL_TEXTS))
    assert validate_docx(data) == []
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    doc = parts["word/document.xml"].decode()
    # tblLook before tblLayout, as the old template wrote it
    look = re.search(r"<w:tblLook [^>]*/>", doc).group(0)
    parts["word/document.xml"] = doc.replace(look, "", 1).replace("<w:tblLayout ", look + "<w:tblLayout ", 1).encode()
    styles = parts["word/styles.xml"].decode()
    parts["word/styles.xml"] = styles.replace('<w:snapToGrid w:val="0"/>', "", 1).replace(
        '<w:jc w:val="both"/>', '<w:jc w:val="both"/><w:snapToGrid w:val="0"/>', 1).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n, b in parts.items():
            z.writestr(n, b)
    errors = validate_docx(out.getvalue())
    assert any("document.xml" in e and "tblLayout" in e for e in errors), errors
    assert any("styles.xml" in e and "snapToGrid" in e for e in errors), errors


def test_rescaled_defaults_and_manual_scores(tmp_path):
    """缺省 left out of the total (折算) and a manual score: said once, in the unit's words."""
    rows = [indicator(5, "产出指标", "数量指标", "参保人数", "≥100人", "120人", 40),
            indicator(6, "产出指标", "数量指标", "结余月数", "6-9个月", "缺省", 20, explanation="本级不涉及基金结余考核。"),
            indicator(7, "效益指标", "社会效益指标", "宣传效果", "显著提升", "基本提升", 30, degree="部分达成",
                      deviation="宣传覆盖面仍不足。", manual_score=23, manual_reason="经集体评议酌情给分"),
            indicator(8, "满意度指标", "服务对象满意度指标", "满意度", "≥90%", "95%", 10)]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(100, 100, 100, weight=0), FULL_TEXTS,
                         default_handling="折算")
    assert ev.complete and ev.rescaled
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    body = rb.body()
    assert "结余月数：本级不涉及基金结余考核。本项指标按缺省处理，不计入总分。" in body
    assert "经综合评定，本项指标得23分（经集体评议酌情给分）。" in body
    assert "按缺省处理的指标不计入总分，总分已按100分折算。" in body


def test_a_report_does_not_load_python_docx_once_the_template_is_prepared(tmp_path):
    """docxtpl patches the Word template once (kept in the cache folder); later reports are a
    Jinja render and a zip, without importing python-docx or docxtpl."""
    import os
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, 'tests'); from report_fixtures import project_evaluation, FULL_TEXTS;"
            "from xlreport.adapters.report import render_docx; render_docx(project_evaluation(FULL_TEXTS));"
            "print(any(m == 'docx' or m.startswith(('docx.', 'docxtpl')) for m in sys.modules))")
    env = {**os.environ, "XLREPORT_CACHE_DIR": str(tmp_path / "cache")}
    run = lambda: subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                 env=env, cwd=str(Path(__file__).parents[1])).stdout.strip()
    assert run() == "True"  # the first report of a new template patches it with docxtpl
    assert run() == "False"
