"""Reports built from tables the other tests do not have, read as a finance bureau reviewer would.

Each case is an in-memory evaluation modelled on a published table that differs from the samples:
a county 医保局's 转移支付 with many missed indicators and long 偏差原因, a school's 部门整体支出
with 30 indicators and a 基本支出/项目支出 split, a 60-indicator 4-level table. Every report goes
through :func:`check_report` (every number equals the workbook, schema-valid, no malformed phrase);
the other tests pin one defect found by reading these reports page by page (docs/ in the README).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from report_fixtures import (
    budget,
    check_report,
    indicator,
    make_evaluation,
    write,
)

from xlreport.core import schema
from xlreport.core.model import AllocationLine, BudgetLine

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LONG_UNIT = "某某自治州某某县医疗保障事务服务中心（县医疗保险基金征缴与待遇支付管理中心）"
CAUSE = "县级配套资金于2023年12月下旬才拨付到位，部分救助费用结算延后至次年一季度。"
MEASURE = "下一步将主动与财政部门对接，争取配套资金按季度足额拨付，压缩审核时限。"
TEXTS = {"项目概况": "中央和省级财政下达我县医疗救助补助资金。", "资金管理情况": "资金实行专账核算、专款专用。"}


def transfer_case():
    """转移支付 of a county 医保局: 16 indicators, 7 short of target (one above a ceiling, one
    qualitative 部分达成, one date, one manual score), 缺省 with and without a reason."""
    o, e, s = "产出指标", "效益指标", "满意度指标"
    rows = [
        indicator(5, o, "数量指标", "资助参加基本医疗保险人数", "≥12000", 11450, 8, unit="人",
                  explanation="全年资助特困人员、低保对象等参加城乡居民基本医疗保险11450人。",
                  deviation=CAUSE + MEASURE),
        indicator(6, o, "数量指标", "医疗救助人次", "≥5000", 6210, 6, unit="人次",
                  deviation="新增门诊慢特病救助病种，救助人次增加。"),
        indicator(7, o, "数量指标", "开展医疗救助政策宣传", "≥1次/年", "4次", 4),
        indicator(8, o, "质量指标", "救助对象政策范围内住院自付费用救助比例", "≥70%", "65.3%", 8,
                  deviation=(CAUSE + MEASURE) * 3),
        indicator(9, o, "质量指标", "资金使用违规违纪案件", "0起", "0起", 6),
        indicator(19, o, "质量指标", "医疗救助资金到位率", "100%", "100%", 5),
        indicator(20, o, "时效指标", "救助对象信息公示", "及时公示", "及时公示", 5),
        indicator(10, o, "质量指标", "医疗救助资金支出占年度筹集资金的比例", "≤100%", "108.6%", 6,
                  deviation="年末集中结算动用了以前年度结余。下一步加强基金收支预测。"),
        indicator(11, o, "时效指标", "资金拨付完成时间", "2023年12月31日前", "2024年1月20日", 5, degree="未达成",
                  deviation="县级配套资金到位较晚。"),
        indicator(12, o, "时效指标", "救助资金结算及时率", "100%", "96%", 5),
        indicator(13, o, "成本指标", "人均救助成本较上年变动率", "≤5%", "-3.2%", 4,
                  deviation="集中带量采购降低了药品费用。"),
        indicator(14, e, "社会效益指标", "因病致贫返贫风险", "有效防范", "有效防范", 6),
        indicator(15, e, "社会效益指标", "困难群众就医负担", "显著减轻", "有所减轻", 6, degree="部分达成",
                  deviation="大病患者自付费用仍然较高。"),
        indicator(16, e, "社会效益指标", "医疗救助对象信息共享机制", "建立完善", "缺省", 5),
        indicator(17, e, "可持续影响指标", "医疗救助制度长效运行", "长期", "缺省", 5,
                  explanation="本项目为年度补助资金，县级不单独考核长效机制。"),
        indicator(18, s, "服务对象满意度指标", "医疗救助对象满意度", "≥90%", "88%", 6, manual_score=5,
                  manual_reason="抽样调查样本量偏小，经评价小组复核酌情扣分。"),
    ]
    b = budget(1086.5, 1012.35, 1000, parts={"appropriation": (1000, 1000, 930.12), "carryover": (0, 86.5, 82.23)})
    b.allocations = [
        AllocationLine("1", "某财社〔2022〕118号 提前下达2023年中央医疗救助补助资金", Decimal(620), None, None,
                       Decimal(620), 20),
        AllocationLine("2", "某财社〔2023〕45号 下达2023年省级医疗救助补助资金", None, Decimal(230), None, Decimal(230), 21),
        AllocationLine("3", "县财政配套", None, None, Decimal(50), Decimal(50), 22),
    ]
    return make_evaluation(schema.TYPE_TRANSFER, rows, b, TEXTS, year="2023", unit=LONG_UNIT,
                           project="2023年中央和省级医疗救助补助资金", department="某某自治州某某县医疗保障局")


def school_case():
    """部门整体支出 of a school: 30 indicators, income and expense splits of the budget."""
    rows, r = [], 5
    plan = {("产出指标", "数量指标"): 8, ("产出指标", "质量指标"): 6, ("产出指标", "时效指标"): 3,
            ("产出指标", "成本指标"): 3, ("效益指标", "社会效益指标"): 4, ("效益指标", "可持续影响指标"): 3,
            ("满意度指标", "服务对象满意度指标"): 3}
    kinds = [("≥2800", 2846, "人"), ("≥1次/月", "12次", None), ("100%", "100%", None), ("0起", "0起", None),
             ("≥95%", "92%", None), ("显著提升", "显著提升", None), ("≤0", "-5.2%", None)]
    for (l1, l2), n in plan.items():
        for k in range(n):
            target, actual, unit = kinds[r % len(kinds)]
            rows.append(indicator(r, l1, l2, f"{l2[:2]}考核第{k + 1}项", target, actual, 3, unit=unit))
            r += 1
    b = budget(3820.75, 3712.48, 3650.2, parts={"appropriation": (3450.2, 3600.75, 3500.1),
                                                "other": (200, 220, 212.38)})
    b.lines["basic"] = BudgetLine("basic", "基本支出", Decimal("3100.2"), Decimal("3150.2"), Decimal("3120.55"),
                                  group="expense")
    b.lines["project"] = BudgetLine("project", "项目支出", Decimal(550), Decimal("670.55"), Decimal("591.93"),
                                    group="expense")
    name = "某某市第一实验中学（某某市教育局直属公办完全中学）"
    return make_evaluation(schema.TYPE_DEPARTMENT, rows, b, {}, year="2023", project=name, unit=name,
                           department="某某市教育局")


def four_level_case():
    """A 60-indicator 4-level table with 40-character names and every target form."""
    long_name = "县域内紧密型医疗卫生共同体牵头医院与成员单位之间医保基金打包付费结算及时率和准确率"
    assert len(long_name) == 41
    spec = {"项目决策": ("项目立项", "绩效目标", "资金投入"), "过程管理": ("资金管理", "组织实施"),
            "项目产出": ("产出数量", "产出质量", "产出时效"), "项目效益": ("项目效益", "满意度")}
    targets = [("≥95%", "97.2%"), ("显著提升", "显著提升"), ("100%", "100%"), ("规范", "规范"), ("≤100%", "99.1%"),
               ("≥1次/年", "2次"), ("0起", "0起")]
    rows, r = [], 5
    per = {"项目决策": 6, "过程管理": 6, "项目产出": 7, "项目效益": 6}
    for l1, l2s in spec.items():
        for l2 in l2s:
            for k in range(per[l1]):
                t, a = targets[r % len(targets)]
                name = long_name if r == 20 else f"{l2}第{k + 1}项考核内容是否符合要求"
                extra = {}
                if r in (9, 33, 51):
                    a, extra = ("90%" if t.endswith("%") else "基本规范"), {"deviation": "个别环节执行不到位，下一步加强督导。"}
                rows.append(indicator(r, l1, l2, name, t, a, Decimal(2) if r % 3 == 0 else Decimal("1.5"), **extra))
                r += 1
    rows = rows[:60]
    assert sum(row.cells["weight"].raw.value for row in rows) == 100
    return make_evaluation(schema.TYPE_PROJECT, rows, budget(820, 760.4, 800, weight=0), TEXTS,
                           project="基本公共卫生服务补助资金", unit="某某市疾病预防控制中心")


CASES = {"transfer": transfer_case, "school": school_case, "four_level": four_level_case}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = {}
    for name, make in CASES.items():
        ev = make()
        out[name] = (ev, write(ev, tmp_path_factory.mktemp(name)))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_every_number_equals_the_workbook(reports, name):
    ev, rb = reports[name]
    check_report(ev, rb)


def test_cases_are_what_they_claim(reports):
    ev, _ = reports["four_level"]
    assert len(ev.indicators) == 60
    ev, _ = reports["transfer"]
    assert sum(i.status in ("missed", "partial") for i in ev.indicators) == 7


def test_long_issuer_is_set_on_two_lines_with_the_date_under_it(reports):
    """A 38-character issuer used to fill the line, leaving the date a one-character column."""
    from xlreport.adapters.report.layout import SIGN_WIDTH, _chars

    for name in ("transfer", "school"):
        _, rb = reports[name]
        sig = next(p for p in rb.paragraphs if p.style.name == "发文机关署名")
        day = next(p for p in rb.paragraphs if p.style.name == "成文日期")
        lines = sig.text.split("\n")
        assert len(lines) == 2 and lines[1].startswith("（"), lines
        assert all(_chars(line) <= SIGN_WIDTH for line in lines)
        right = int(day._p.pPr.find(f"{W}ind").get(f"{W}rightChars")) / 100
        assert right + _chars(day.text) <= 28 - 2, (right, day.text)  # the date stays on one line
        sig_right = int(sig._p.pPr.find(f"{W}ind").get(f"{W}rightChars")) / 100
        assert sig_right == 2


def test_items_under_a_section_heading_are_numbered_1_2(reports):
    """Under （一）偏离绩效目标的原因 the items read 1. 2. …, never （一） again."""
    _, rb = reports["transfer"]
    texts = rb.texts
    start = texts.index("（一）偏离绩效目标的原因")
    end = texts.index("四、绩效自评结果拟应用和公开情况")
    items = [t for t in texts[start + 1:end] if t not in ("（二）下一步改进措施",)]
    assert items and all(re.match(r"^\d+\.", t) for t in items), items[:3]


def test_shortfall_is_worded_by_its_kind(reports):
    """A ceiling exceeded is not '未达到'; 部分达成 says so; the 改进措施 takes the unit's own
    '下一步…' from its 偏差原因 instead of a placeholder."""
    _, rb = reports["transfer"]
    body = rb.body()
    assert "“医疗救助资金支出占年度筹集资金的比例”超过年度指标值上限。" in body
    assert "“医疗救助资金支出占年度筹集资金的比例”未达到" not in body
    assert "“困难群众就医负担”部分达成。" in body
    assert f"针对“资助参加基本医疗保险人数”未达到年度指标值的问题，{MEASURE}" in body
    assert "针对“医疗救助资金支出占年度筹集资金的比例”超过年度指标值上限的问题，下一步加强基金收支预测。" in body
    measures = body[body.index("（二）下一步改进措施"):body.index("四、绩效自评结果")]
    assert "资助参加基本医疗保险人数" not in re.sub(r"针对“资助参加基本医疗保险人数”[^\n]*", "", measures)


def test_manual_reason_is_not_double_punctuated(reports):
    _, rb = reports["transfer"]
    assert "经综合评定，本项指标得5分（抽样调查样本量偏小，经评价小组复核酌情扣分）。" in rb.body()
    assert "。）" not in rb.body()


def test_unit_keeps_its_own_spelling(reports):
    """'≥1次/月' printed as '≥1次/月次/个月' and '1次/个月' before."""
    _, rb = reports["school"]
    text = rb.all_text
    assert "≥1次/月" in text and "次/个月" not in text and "月次" not in text
    from xlreport.core.values import display_text

    assert display_text("≥1次/月", "次/个月") == "≥1次/月"
    assert display_text("95", "%") == "95%" and display_text("1000", "人") == "1000人"


def test_attachment_points_to_the_section_the_report_has(reports):
    """The transfer-payment outline has no 存在的问题: its attachment says where the cause is."""
    _, rb = reports["transfer"]
    annex = next(t for t in rb.tables if t[0][0] == "项目名称")
    row = next(r for r in annex if r[2] == "救助资金结算及时率")
    assert row[7] == "见报告“偏离绩效目标的原因”"
    assert "五、存在的问题" not in rb.body() and "见报告“存在的问题”" not in rb.all_text


def test_attachment_label_columns_hold_their_words(reports):
    """'年度资金总额' and '年度总体目标' each fit one line of their column at the form's size."""
    from xlreport.adapters.report.tables import ANNEX_CHAR, lines_needed

    for name in CASES:
        _, rb = reports[name]
        tbl = next(t for t in rb.doc.tables if t.rows[0].cells[0].text in ("项目名称", "部门名称"))
        grid = [int(c.get(f"{W}w")) for c in tbl._tbl.find(f"{W}tblGrid").findall(f"{W}gridCol")]
        assert lines_needed("年度总体目标", grid[0], ANNEX_CHAR) == 1
        assert lines_needed("年度资金总额", grid[1], ANNEX_CHAR) == 1


def test_attachment_level1_label_restarts_only_per_run(reports):
    """The 一级 label merges down as many 二级 groups as fit in a run, instead of repeating
    above every 二级 group once the 一级 group is too tall to keep whole."""
    ev, rb = reports["transfer"]
    tbl = next(t for t in rb.doc.tables if t.rows[0].cells[0].text == "项目名称")._tbl
    trs = tbl.findall(f"{W}tr")

    def text(tc):
        return "".join(t.text or "" for t in tc.iter(f"{W}t"))
    head = next(i for i, tr in enumerate(trs) if text(tr.find(f"{W}tc")) == "一级指标")
    data = trs[head + 1:-2]
    assert len(data) == len(ev.indicators)

    def restart(tr, col):
        return text(tr.findall(f"{W}tc")[col]) != ""

    output = data[:sum(i.source.level1 == "产出指标" for i in ev.indicators)]  # too tall to keep whole
    l1 = sum(restart(tr, 0) for tr in output)
    l2 = sum(restart(tr, 1) for tr in output)
    assert l1 < l2  # some runs hold more than one 二级 group
    for tr in data:
        first = text(tr.findall(f"{W}tc")[0])
        if restart(tr, 0):
            assert re.match(r"^(产出|效益|满意度)指标（\d+分）$", first), first


def test_department_budget_states_its_expense_split(reports):
    """基本支出/项目支出 reach the sentences: the budget paragraph and 三、项目资金执行情况."""
    _, rb = reports["school"]
    body = rb.body()
    assert "年初预算数3650.2万元；按支出性质分，基本支出3150.2万元、项目支出670.55万元。截至年末" in body
    texts = rb.texts
    section = texts[texts.index("三、项目资金执行情况") + 1:texts.index("四、绩效目标完成情况")]
    assert section[0] == "2023年度项目支出全年预算数670.55万元（年初预算数550万元），全年执行数591.93万元，" \
                         "执行率88.28%，尚有78.62万元未支出。"
    assert section[1].startswith("（待填写：各项目资金执行情况")


def test_department_budget_table_marks_both_splits(reports):
    _, rb = reports["school"]
    for table in (rb.table_with_header("资金类别")[0], next(t for t in rb.tables if t[0][0] == "部门名称")):
        labels = [next((c for c in r if c.startswith(("按", "其中", "年度资金", "其他", "项目支出"))), "") for r in table]
        seq = [x for x in labels if x]
        assert seq.index("按收入性质分：") < seq.index("其中：当年财政拨款") < seq.index("按支出性质分：") \
            < seq.index("其中：基本支出") < seq.index("项目支出"), seq


def test_negative_actual_under_a_ceiling_reads_naturally(reports):
    """'≤5%' against '-3.2%' read '实际完成-3.2%' before."""
    _, rb = reports["transfer"]
    para = next(t for t in rb.texts if t.startswith("人均救助成本较上年变动率："))
    assert "实际为-3.2%，未超过5%的上限。" in para and "实际完成-" not in rb.body()


def test_label_blocks_are_drawn_not_vertically_merged(reports):
    """LibreOffice drew vertically merged label cells wrongly once keep-with-next moved rows to
    the next page (the box stopped early, the cells under it lost their borders): a label block
    is its first cell's text over cells with no row lines between them, never a vMerge."""
    for name in CASES:
        _, rb = reports[name]
        body = rb.doc.element.body
        for tbl in body.iter(f"{W}tbl"):
            rows = tbl.findall(f"{W}tr")
            heads = [i for i, tr in enumerate(rows)
                     if "".join(t.text or "" for t in tr.find(f"{W}tc").iter(f"{W}t")) in ("一级指标", "二级指标")]
            for tr in rows[heads[0] if heads else len(rows):]:  # the indicator rows (the form's head is fixed)
                assert tr.find(f".//{W}vMerge") is None, name
            for tr in rows:
                for tc in tr.findall(f"{W}tc"):
                    top = tc.find(f"{W}tcPr/{W}tcBorders/{W}top")
                    if top is not None and top.get(f"{W}val") == "nil":  # inside a block: empty
                        assert "".join(t.text or "" for t in tc.iter(f"{W}t")) == ""


def _school_form():
    """The school's 部门整体支出绩效自评表 as the unit files it: 30 indicators, its own 得分 left
    empty, the budget split by income and by expense."""
    from form_factory import department_form, official_forms

    FI = official_forms.FormIndicator
    kinds = [("≥2800人", 2846), ("≥1次/月", "12次"), ("100%", "100%"), ("0起", "0起"), ("≥95%", "92%"),
             ("显著提升", "显著提升"), ("≤0", "-5.2%"), ("≤1200元/平方米", "1150元/平方米")]
    plan = {("产出指标", "数量指标"): 8, ("产出指标", "质量指标"): 6, ("产出指标", "时效指标"): 3,
            ("产出指标", "成本指标"): 3, ("效益指标", "社会效益指标"): 4, ("效益指标", "可持续影响指标"): 3,
            ("满意度指标", "服务对象满意度指标"): 3}
    inds, k = [], 0
    for (l1, l2), n in plan.items():
        for j in range(n):
            target, actual = kinds[k % len(kinds)]
            inds.append(FI(l1, l2, f"{l2[:2]}考核第{j + 1}项", target, actual, 3))
            k += 1
    return department_form(project="某某市第一实验中学（某某市教育局直属公办完全中学）", indicators=inds,
                           total_weight=100,
                           budget={"年度资金总额": (3650.2, 3820.75, 3712.48), "按收入性质分：": (),
                                   "其中：一般公共预算财政拨款": (3450.2, 3600.75, 3500.1),
                                   "政府性基金预算拨款": (0, 0, 0), "其他资金": (200, 220, 212.38),
                                   "按支出性质分：": (), "其中：基本支出": (3100.2, 3150.2, 3120.55),
                                   "项目支出": (550, 670.55, 591.93)})


def _clinic_form():
    """A county clinic's 项目支出绩效自评表 with amounts typed in 元 and 得分 left empty."""
    from form_factory import national_form, official_forms

    FI = official_forms.FormIndicator
    return national_form(
        project="2023年家庭医生签约服务补助资金", unit="某某县某某镇中心卫生院", total_weight=90, total_score=None,
        budget={"年度资金总额": ("2,000,000.00元", "2,350,000.00元", "2,108,300.00元"),
                "其中：当年财政拨款": ("2,000,000.00元", "2,350,000.00元", "2,108,300.00元"),
                "上年结转资金": (0, 0, 0), "其他资金": (0, 0, 0)},
        indicators=[FI("产出指标", "数量指标", "家庭医生签约服务覆盖重点人群人数", "≥45000人", 46210, 15),
                    FI("产出指标", "数量指标", "签约居民年度健康体检", "≥1次/年", "1次/年", 10),
                    FI("产出指标", "质量指标", "签约服务规范率", "≥９５％", "93%", 15, deviation="部分村医信息录入不规范。"),
                    FI("产出指标", "时效指标", "签约服务费拨付时间", "2023年6月30日前", "按时拨付", 10),
                    FI("效益指标", "社会效益指标", "重点人群健康管理水平", "显著提升", "显著提升", 20),
                    FI("满意度指标", "服务对象满意度指标", "签约居民满意度", "≥85%", "91%", 20)])


@pytest.mark.parametrize("make", [_school_form, _clinic_form], ids=["school-form", "clinic-form-yuan"])
def test_official_forms_build_reports_equal_to_the_workbook(make, tmp_path):
    """End to end from the forms units file (read, scored in place, reported)."""
    from form_factory import save
    from report_fixtures import Readback

    from xlreport.pipeline import build_file

    path = save(make(), tmp_path / "自评表.xlsx")
    outcome = build_file(path, output=tmp_path / "out.xlsx")
    ev = outcome.evaluation
    assert ev is not None and ev.complete, outcome.summary
    rb = Readback(outcome.report_path)
    check_report(ev, rb)
    body = rb.body()
    assert "次/个月" not in rb.all_text and "。）。" not in body
    if ev.info.report_type == schema.TYPE_DEPARTMENT:
        assert "按支出性质分，基本支出3150.2万元、项目支出670.55万元" in body
    else:
        assert "全年预算数235万元，执行210.83万元，执行率89.71%" in body  # 元 read as 万元


def test_level2_label_and_weight_stay_whole(tmp_path):
    """'产出数量（19.98分）' broke as '（19.98 / 分）' in a table whose other columns wanted the room."""
    from xlreport.adapters.report.tables import WU_HAO, lines_needed

    rows = [indicator(5 + k, "项目产出", "产出数量", f"产出数量第{k + 1}项考核内容是否符合要求的较长名称", "≥95%", "97.2%",
                      Decimal("3.33")) for k in range(6)]
    rows += [indicator(20, "项目效益", "满意度", "满意度", "≥90%", "95%", Decimal("80.02"))]
    ev = make_evaluation(schema.TYPE_PROJECT, rows, budget(10, 10, 10, weight=0), TEXTS)
    rb = write(ev, tmp_path)
    check_report(ev, rb)
    for tbl in rb.doc.tables:
        if tbl.rows[0].cells[0].text != "二级指标":
            continue
        width = int(tbl._tbl.find(f"{W}tblGrid").findall(f"{W}gridCol")[0].get(f"{W}w"))
        for row in tbl.rows[1:-1]:
            for line in row.cells[0].text.split("\n"):
                assert lines_needed(line, width, WU_HAO) == 1, line


def test_long_group_is_cut_into_even_chunks():
    """12 rows a little over CHUNK: two chunks of 6, not 7 + a 5-row tail (30 rows: 5 × 6, not
    4 × 7 + 2), so a repeated label rarely sits on the same page as the rest of its group."""
    from xlreport.adapters.report.tables import CHUNK, _chunk_starts

    row = CHUNK // 7 - 1
    assert _chunk_starts([row] * 7) == [0]
    assert _chunk_starts([row] * 12) == [0, 6]
    assert _chunk_starts([row] * 30) == [0, 6, 12, 18, 24]
    assert _chunk_starts([CHUNK * 2, row, row]) == [0, 1]  # a row taller than CHUNK stands alone


def test_one_measure_for_several_indicators_is_stated_once(reports):
    """Three indicators whose 偏差原因 end in the same '下一步…' gave three identical items."""
    _, rb = reports["four_level"]
    items = [t for t in rb.texts if t.startswith("（") and "针对" in t]
    assert len(items) == 1, items
    assert re.match(r"^（一）针对(“[^”]+”){3}等3项指标未完全达到年度指标值的问题，", items[0]), items[0]


def test_lead_in_keeps_with_what_it_introduces(reports):
    """'根据评分情况，产出类指标完成情况如下：' stood alone at the foot of a page."""
    _, rb = reports["transfer"]
    lead = [p for p in rb.paragraphs if p.text.endswith("完成情况如下：")]
    assert lead and all(p._p.pPr.find(f"{W}keepNext") is not None for p in lead)
