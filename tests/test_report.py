"""The narrative report (SPEC §6): structure, numbers read back from the .docx, layout, overrides."""

from __future__ import annotations

import re
import shutil
import time
import zipfile
from decimal import Decimal

import pytest
from docx import Document
from report_fixtures import (
    FULL_TEXTS,
    budget,
    check_report,
    department_evaluation,
    indicator,
    make_evaluation,
    project_evaluation,
    transfer_threshold_evaluation,
    write,
)

from xlreport import schema
from xlreport.report import (
    ReportError,
    convert_to_pdf,
    generate_snippets,
    report_context,
    write_report,
)
from xlreport.report import render as render_mod


# Scenarios ---------------------------------------------------------------------------------
def test_project_report(tmp_path):
    ev = project_evaluation(FULL_TEXTS)
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    body = rb.body()
    assert "（一）预算执行情况" in rb.styled("Heading 2")
    assert "按执行率计分，本项指标得9.38分" in body
    assert "本项指标按缺省处理，得满分。" in body
    assert "根据评分标准，本项指标按完成比例得9.20分。" in body
    assert rb.styled("Title") == ["2022年度城乡居民医保补助资金", "项目支出绩效自评报告"]


def test_held_out_four_level_table_with_failed_threshold(tmp_path):
    """转移支付, 4-level table, 预算执行率 as a 达标 indicator at 80.62% < 90%."""
    ev = transfer_threshold_evaluation(FULL_TEXTS)
    assert ev.complete and ev.total == Decimal("96.00") and ev.grade == "优"
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    body = rb.body()
    assert "根据评分标准，本项指标不得分。" in body
    assert "综合得分为96分，评价等级为“优”" in body
    assert [c for c in rb.styled("Caption") if c.startswith("表4-")] == [
        "表4-1 项目决策指标得分情况", "表4-2 过程管理指标得分情况", "表4-3 项目产出指标得分情况",
        "表4-4 项目效益指标得分情况"]
    # the failed indicator is a problem in 五、存在的问题 (generated: the snippet is empty)
    problems = body.split("五、存在的问题")[1].split("六、改进措施")[0]
    assert "“预算执行率”指标未完成年度目标" in problems and "80.62%" in problems
    assert "部分项目年底才完成验收" in problems
    rate_row = next(r for t in rb.table_with_header("二级指标") for r in t if r[1] == "预算执行率")
    assert rate_row[2:] == ["90%", "80.62%", "4", "0", "0.00%"]
    assert "转移支付绩效自评报告" in rb.styled("Title")
    assert "附件：转移支付绩效自评表" in body


def test_department_report_follows_linze(tmp_path):
    ev = department_evaluation()
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    body = rb.body()
    assert "达到90%的标准，根据评分标准，本项指标得满分10分。" in body
    assert rb.styled("Title") == ["临泽县医疗保障局", "2023年度部门整体支出绩效自评报告"]
    assert "表5-1 产出指标得分情况" in rb.styled("Caption")
    # the department name is the title: no repeated line under it
    assert rb.styled("Subtitle") == []


def test_empty_snippets_are_generated_or_marked(tmp_path):
    ev = transfer_threshold_evaluation({})
    rb = write(ev, tmp_path)
    body = rb.body()
    todos = rb.styled("待填写")
    assert any(t.startswith("（待填写：单位基本情况") for t in todos)
    assert any(t.startswith("（待填写：改进措施") for t in todos)
    assert any(t.startswith("（待填写：其他需要说明的问题") for t in todos)
    # generated from data, not marked
    assert "全年预算数391万元" in body and "全年执行数315.22万元" in body and "尚有75.78万元未支出" in body
    assert "根据《项目支出绩效评价管理办法》（财预〔2020〕10号）" in body
    gen = generate_snippets(ev)
    assert set(gen) == {"资金投入情况", "存在的问题", "组织实施情况", "conclusion"}
    assert "96分" in gen["conclusion"]
    # the scorer tells the user, as 提示 / 警告 in 校验结果
    codes = {(p.code, p.fields.get("name")) for p in ev.problems}
    assert ("snippet-generated", "资金投入情况") in codes and ("snippet-empty", "改进措施") in codes


def test_user_snippets_win_over_generated(tmp_path):
    texts = {**FULL_TEXTS, "存在的问题": "第一段问题。\n\n第二段问题。", "资金投入情况": "用户写的资金情况。"}
    ev = project_evaluation(texts)
    rb = write(ev, tmp_path)
    body = rb.styled("Normal")
    i = body.index("第一段问题。")
    assert body[i + 1] == "第二段问题。"
    assert "用户写的资金情况。" in body
    assert generate_snippets(ev).keys() == {"组织实施情况", "conclusion"}


def test_all_met_problems_sentence(tmp_path):
    ev = department_evaluation()
    gen = generate_snippets(ev)
    assert gen["存在的问题"].startswith("经自评，2023年度各项绩效指标均已完成")


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
    assert len(rb.table_with_header("一级指标")) == 1


def test_incomplete_evaluation_does_not_crash(tmp_path):
    rows = [indicator(5, "产出指标", "数量指标", "无法识别", "≥95%", "很多", 90)]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(10, 9, 10), FULL_TEXTS)
    assert not ev.complete and ev.total is None
    rb = write(ev, tmp_path)
    text = rb.all_text
    assert "总分不完整" in text
    assert "本项指标存在错误，暂无法评分。" in text
    for leak in ("None", "nan", "{{"):
        assert leak not in text


def test_context_is_plain_strings():
    ctx = report_context(transfer_threshold_evaluation(FULL_TEXTS))

    def walk(value, path="ctx"):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")
        else:
            assert value is None and path.endswith("rate_indicator") or isinstance(value, (str, bool, int)), path
            assert not isinstance(value, Decimal), path
    walk(ctx)
    assert ctx["total"] == "96" and ctx["grade"] == "优"


# Layout --------------------------------------------------------------------------------------
def test_official_layout(tmp_path):
    rb = write(project_evaluation(FULL_TEXTS), tmp_path)
    section = rb.doc.sections[0]
    mm = lambda length: round(length.mm)
    assert (mm(section.page_width), mm(section.page_height)) == (210, 297)
    assert (mm(section.top_margin), mm(section.bottom_margin), mm(section.left_margin),
            mm(section.right_margin)) == (37, 35, 28, 26)
    styles = rb.doc.styles
    assert styles["Normal"].font.size.pt == 16
    assert styles["Normal"].paragraph_format.line_spacing.pt == 28
    assert styles["Title"].font.size.pt == 22
    with zipfile.ZipFile(rb.path) as z:
        document = z.read("word/document.xml").decode("utf-8")
        style_xml = z.read("word/styles.xml").decode("utf-8")
        footer = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("word/footer"))
        fonts = z.read("word/fontTable.xml").decode("utf-8")
    for face in ("仿宋_GB2312", "黑体", "楷体_GB2312", "方正小标宋简体"):
        assert f'w:eastAsia="{face}"' in document, face
        assert f'w:eastAsia="{face}"' in style_xml, face
    assert "eastAsiaTheme" not in document and "asciiTheme" not in document
    assert re.search(r'<w:font w:name="方正小标宋简体"><w:altName w:val="黑体"/>', fonts)
    assert "PAGE" in footer and footer.count("—") == 2
    footer_text = "".join(p.text for p in section.footer.paragraphs)
    assert footer_text.startswith("—") and footer_text.endswith("—")
    # headings keep their own faces in the runs too
    h1 = next(p for p in rb.paragraphs if p.style.name == "Heading 1")
    assert h1.runs[0]._r.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "黑体"


def test_template_is_reproducible(tmp_path):
    """The committed report.docx is what make_docx_template.py generates."""
    from xlreport.report import make_docx_template as mk
    from xlreport.report.templating import DEFAULT_DIR

    fresh = tmp_path / "fresh.docx"
    mk.build().save(fresh)
    with zipfile.ZipFile(fresh) as a, zipfile.ZipFile(DEFAULT_DIR / "report.docx") as b:
        for name in ("word/document.xml", "word/styles.xml", "word/footer1.xml", "word/fontTable.xml"):
            if name in a.namelist():
                assert a.read(name) == b.read(name), f"{name} differs: run `uv run python -m xlreport.report.make_docx_template`"


# Overrides -----------------------------------------------------------------------------------
def test_templates_dir_overrides_by_name(tmp_path):
    custom = tmp_path / "office"
    custom.mkdir()
    (custom / "gen_组织实施情况.j2").write_text("本局按省厅统一部署开展自评（{{ counts.n }}项指标）。", encoding="utf-8")
    ev = project_evaluation(FULL_TEXTS)
    rb = write(ev, tmp_path, templates_dir=custom)
    assert f"本局按省厅统一部署开展自评（{len(ev.indicators)}项指标）。" in rb.styled("Normal")
    check_report(ev, rb)
    # a styling override: the office's own report.docx
    from xlreport.report.templating import DEFAULT_DIR

    shutil.copy(DEFAULT_DIR / "report.docx", custom / "report.docx")
    doc = Document(str(custom / "report.docx"))
    doc.styles["Normal"].font.size = Document().styles["Normal"].font.size or None
    from docx.shared import Pt

    doc.styles["Normal"].font.size = Pt(15)
    doc.save(str(custom / "report.docx"))
    rb = write(ev, tmp_path, "styled.docx", templates_dir=custom)
    assert rb.doc.styles["Normal"].font.size.pt == 15


def test_broken_override_is_a_clear_error(tmp_path):
    custom = tmp_path / "bad"
    custom.mkdir()
    (custom / "outline_项目支出.j2").write_text("# 一、{{ no_such_thing.x }}", encoding="utf-8")
    with pytest.raises(ReportError) as info:
        write_report(project_evaluation(FULL_TEXTS), tmp_path / "r.docx", templates_dir=custom)
    assert "模板有误" in info.value.message
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


# Performance -------------------------------------------------------------------------------------
def test_render_time_for_sixty_indicators(tmp_path):
    rows = []
    groups = [("产出指标", "数量指标"), ("产出指标", "质量指标"), ("效益指标", "社会效益指标"),
              ("满意度指标", "服务对象满意度指标")]
    for i in range(60):
        l1, l2 = groups[i * len(groups) // 60]
        w = "1.5" if i < 60 else "0"
        rows.append(indicator(5 + i, l1, l2, f"指标{i + 1}", "≥95%", "97.5%", w,
                              explanation=f"第{i + 1}项指标的完成情况说明，全年完成97.5%。"))
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(100, 95, 100), FULL_TEXTS)
    assert ev.complete
    write_report(ev, tmp_path / "warm.docx")
    start = time.perf_counter()
    rb = write(ev, tmp_path)
    elapsed = time.perf_counter() - start
    print(f"render 60 indicators: {elapsed:.3f}s")
    assert elapsed < 1.5
    check_report(ev, rb)


def test_scoring_path_does_not_import_docx():
    import subprocess
    import sys

    code = ("import sys; from xlreport.pipeline import score_grid; import xlreport.scoring, xlreport.planner;"
            "print(any(m == 'docx' or m.startswith(('docx.', 'docxtpl')) for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
