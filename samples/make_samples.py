"""Build the four sample workbooks in ``samples/``, one per seed report in ``shared/seeds/``.

Each workbook is what the unit would have filed with the xlreport template: the blank
template from :func:`xlreport.template.build_template`, filled in **by label text** (the same
words the reader looks for, taken from :mod:`xlreport.schema`), never by fixed addresses.

    uv run python samples/make_samples.py            # rewrite samples/*.xlsx
    uv run python samples/make_samples.py OUT_DIR    # write them somewhere else

The data are transcribed from the published reports. Where a report is silent, the choice a
unit would plausibly have made is taken and said so in a comment; where a report contradicts
itself, the slip is kept visible (see the comments marked SLIP) instead of being fixed silently.
Amounts are in 万元. The script is deterministic: the same template gives the same cell values.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xlreport import schema
from xlreport.template import build_template, save_atomic

SAMPLES_DIR = Path(__file__).resolve().parent

# ---------------------------------------------------------------------------------------
# Data model of one sample
# ---------------------------------------------------------------------------------------
LAYOUT_REPEAT = "repeat"  # 一级/二级 written on every row
LAYOUT_BLANK = "blank"  # written on the first row of each group only (blank = same as above)
LAYOUT_MERGED = "merged"  # written on the first row and merged down over the group


@dataclass
class Indicator:
    level1: str
    level2: str
    name: str
    target: Any
    actual: Any
    weight: Any
    nature: str | None = None
    unit: str | None = None
    method: str | None = None
    degree: str | None = None
    last_year: Any = None
    deviation: str | None = None
    explanation: str | None = None
    actual_format: str | None = None  # number format for a numeric actual (e.g. "0.00%")

    def inputs(self) -> dict[str, Any]:
        return {
            "level1": self.level1, "level2": self.level2, "name": self.name,
            "nature": self.nature, "target": self.target, "unit": self.unit,
            "actual": self.actual, "weight": self.weight, "method": self.method,
            "degree": self.degree, "last_year": self.last_year, "deviation": self.deviation,
            "explanation": self.explanation,
        }


@dataclass
class Sample:
    filename: str
    report_type: str
    info: dict[str, Any]
    budget_rows: dict[str, tuple[Any, Any, Any]]  # row key -> (年初预算数, 全年预算数, 全年执行数)
    budget_weight: Any
    budget_method: str
    budget_threshold: Any  # a fraction, as the template stores it (0.9 = 90%)
    indicators: list[Indicator]
    texts: dict[str, str | None]  # 文字材料 key -> content (None/"" = left empty on purpose)
    allocations: list[tuple[Any, ...]] = field(default_factory=list)
    layout: str = LAYOUT_REPEAT


# ---------------------------------------------------------------------------------------
# Text helpers
# ---------------------------------------------------------------------------------------
_CJK = r"\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_PDF_SPACES = (
    re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[0-9A-Za-z%])"),
    re.compile(rf"(?<=[0-9A-Za-z%])[ \t]+(?=[{_CJK}])"),
)


def prose(*paragraphs: str) -> str:
    """Join a seed's paragraphs, dropping the spaces PDF extraction puts around digits
    ('2022 年' -> '2022年'); spaces between Chinese words (agency lists) are kept."""
    out = []
    for p in paragraphs:
        p = p.strip()
        for pattern in _PDF_SPACES:
            p = pattern.sub("", p)
        out.append(p)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------
# 1. 红寺堡 2022 城乡居民医保补助资金 (转移支付, 4-level evaluation system)
# ---------------------------------------------------------------------------------------
# Transcribed from the seed's 绩效目标表 (标准值 -> 指标值, 实际完成情况 -> 实际完成值) with the
# weights of its tables 4-1..4-4. Notes on the seed:
#   * table 1 lost two cells in flattening: "预算编制 (2分)" sits in the 一级 column and
#     "财务核算规范性" in the 二级 column; tables 4-1/4-2 show they are a 二级 of 项目决策 and a
#     三级 of 组织管理 (组织管理 21 = 2+2+3+2+2+4+6 only with it), so they are placed there.
#   * SLIP: table 1 says 综合参保率 ≥95%, table 4-3 says ≥90%; the filed target (table 1) is used.
#     Likewise 参保人数 ≥173218 / 补助标准 550 (table 1) vs "≥参保扩面下达的任务目标" / "不得低于
#     国家和自治区要求" (table 4-3), and 决策程序规范 has two different 标准值: table 1 is used.
#   * SLIP: table 1 shows 资金分配规范性/合理性 as 规范/合理, but the text says both were
#     "按缺省处理" at county level: the actual is 缺省 with the text's explanation.
#   * SLIP: 二级 "满意度指 (10分)" is truncated in the seed; written 满意度指标（10分）.
#     Table 4-4 is captioned 项目产出 and the section says 项目效果: the 一级 is 项目效益 as in table 1.
#   * "执行预算绩效管理和资金管理辦法" has a traditional 辦 in table 1; table 4-1 has 办 (used).
#   * 预算执行率 is an indicator here (2 points, 达标, target "90%"); its actual is left blank so
#     it comes from the budget sheet (224 of 224 万元), and the budget sheet's weight is 0.
#   * 基金累计结余可支配月数: actual "-" exactly as published, with no explanation in the seed.
#   * The seed has no per-indicator paragraph for 资金管理 到位率/预算执行率, 项目产出 or 满意度:
#     their 完成情况说明 stay empty.

_HSB_L1_DECISION = "项目决策（20分）"
_HSB_L1_PROCESS = "过程管理（35分）"
_HSB_L1_OUTPUT = "项目产出（35分）"
_HSB_L1_EFFECT = "项目效益（10分）"
_Q = "定性"


def _hsb_indicators() -> list[Indicator]:
    d, p, o, e = _HSB_L1_DECISION, _HSB_L1_PROCESS, _HSB_L1_OUTPUT, _HSB_L1_EFFECT
    return [
        Indicator(d, "决策依据（5分）", "贯彻中央和自治区医疗保障制度改革有关城乡居民医保决策部署",
                  "依据中央和自治区深化医疗保障制度改革的意见进行决策", "符合", 2, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局2022年城乡居民基本医疗保险补助资金在使用及决策过程中符合"
                      "《中共中央国务院关于深化医疗保障制度改革的意见》和自治区医疗保障制度改革的相关要求，"
                      "依据《红寺堡区2022年度城乡居民基本医疗保险参保缴费实施方案》、红寺堡“十四五规划”，"
                      "贯彻了中央医疗保障制度改革决策部署。")),
        Indicator(d, "决策依据（5分）", "执行预算绩效管理和资金管理办法",
                  "决策符合预算绩效管理要求和资金管理办法", "符合", 3, method=_Q,
                  # SLIP kept: the seed's unbalanced 〈…》》 and "（宁财（办）发〔2020〕5）号".
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局2022年城乡居民基本医疗保险补助资金决策符合《国家医疗保障局关于"
                      "全面实施预算绩效管理的意见》、《项目支出绩效评价管理办法》、《中央财政城乡居民基本医疗保险"
                      "补助资金管理办法》以及《自治区财政厅 自治区医保局关于转发〈财政部 医保局关于印发中央财政"
                      "城乡居民基本医疗保险补助资金管理办法》》（宁财（办）发〔2020〕5）号相关管理办法要求。")),
        Indicator(d, "决策过程（2分）", "决策程序规范", "各市、县(区)使用资金决策程序规范", "符合", 2,
                  method=_Q, explanation=prose(
                      "吴忠市红寺堡区医疗保障局按照吴忠市医疗保障局下发《关于执行2022年度吴忠市基本医疗保险基金"
                      "总额预算预支付指标的通知》（吴医保发〔2022〕29号）文件要求。在红寺堡区范围内全面开展基本"
                      "医疗保险住院医疗费用和门诊统筹医疗费用总额预算工作，建立以保证质量、控制成本、规范诊疗为"
                      "核心的医疗服务评价与监管体系，控制医疗费用过快增长，提升基本医疗保险基金保障效益，切实保障"
                      "人民群众基本医疗权益和医保制度长期可持续发展。",
                      "2022年城乡居民基本医疗保险补助资金分配、使用按规定履行报批程序，审批文件和手续齐全，"
                      "下达预算指标的同时明确绩效目标。")),
        Indicator(d, "政策落实（2分）", "落实中央和自治区城乡居民基本医疗保险待遇保障政策",
                  "执行中央和自治区城乡居民基本医疗保险待遇保障政策", "符合", 2, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局严格执行城乡居民基本医疗保险待遇保障政策，各项政策均在国家和自治区"
                      "政策允许的范围内。")),
        Indicator(d, "绩效目标（4分）", "绩效目标设置科学",
                  "自治区遵照财政部和国家医疗保障局下达的年度总体目标和具体绩效指标。各市、县(区)遵照财政厅和"
                  "自治区医疗保障局下达的年度总体目标和具体绩效指标。", "科学", 2, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局遵照财政部和国家医疗保障局下达的年度总体目标和具体绩效指标设置了"
                      "2022年度城乡居民基本医疗保险补助资金绩效目标，绩效目标能够体现“稳定参保率、稳步提高保障"
                      "水平、实现基金收支平衡”等年度总体目标的基本要素，同时明确了产出指标、满意度指标等绩效指标。")),
        Indicator(d, "绩效目标（4分）", "绩效目标分解细化",
                  "自治区对财政部和国家医疗保障局下达的年度总体目标结合实际进行分解细化。各市、县(区)对自治区"
                  "下达的绩效目标进行细化。", "细化", 2, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局对财政部和国家医疗保障局下达的年度总体目标结合实际进行分解细化，"
                      "绩效目标与财政部和国家医疗保障局要求一致。")),
        Indicator(d, "预算编制（2分）", "预算编制科学合理", "编制基金预算科学合理，不得出现赤字预算", "合理", 2,
                  method=_Q,
                  # SLIP: the seed's paragraph breaks off after "预算编制合理，"; closed with a full stop.
                  explanation="吴忠市红寺堡区医疗保障局预算编制合理。"),
        Indicator(d, "资金分配（5分）", "资金分配规范性", "按规定时限分配下达资金", "缺省", 2, method=_Q,
                  explanation="市县（区）级不涉及资金分配考核内容，本项指标按缺省处理。"),
        Indicator(d, "资金分配（5分）", "资金分配合理性", "符合预算管理和城乡居民基本医疗保险补助资金管理要求",
                  "缺省", 3, method=_Q,
                  explanation="市县（区）级不涉及资金分配考核内容，本项指标按缺省处理。"),
        Indicator(p, "资金管理（14分）", "当年各级财政补助资金到位率", "100%", "100%", 4),
        Indicator(p, "资金管理（14分）", "预算执行率", "90%", None, 2, method="达标"),
        Indicator(p, "资金管理（14分）", "基金使用合规性", "专账核算专款专用", "合规", 2, method=_Q,
                  explanation="吴忠市红寺堡区医疗保障局严格执行基金使用办法，设立了专款专户，专账核算。"),
        Indicator(p, "资金管理（14分）", "基金监管有效性", "监督检查制度全覆盖", "全覆盖", 6, method=_Q,
                  # SLIP kept: "违规使用医保基金金 36.82 万元" (doubled 金).
                  explanation=prose(
                      "贯彻落实《医疗保障基金使用监督管理条例》《医疗机构医疗保障定点管理暂行办法》《零售药店医疗"
                      "保障定点管理暂行办法》，实施“双随机、一公开”监管机制。加大基金监管力度，确保基金安全运行。"
                      "一是充分应用智能监控系统，加大对各协议医药机构的监管力度，对监管过程中存在的问题，及时反馈，"
                      "实时跟进，切实做到早发现、早解决。二是结合打击欺诈骗保集中宣传月工作，围绕“织密基金监管网 "
                      "共筑医保防护线”活动主题，主动利用微信公众号、电子屏、“医保无忧红寺堡”快手直播、制作《强子"
                      "骗保记》、公交车载电视广告终端，通过播放宣传视频、张贴海报、悬挂横幅等形式，加大医保基金监管"
                      "宣传力度。三是在两定机构明显位置张贴举报投诉电话、海报，在政府网上公布举报电话、邮箱，引导"
                      "广大参保群众参与监督，营造良好的社会监督氛围。四是对涉及医保基金的违法违规处理情况落实网上"
                      "曝光制度，对涉及医保新纳入药店、社会监督员等履行网上公示制度。",
                      "根据区市医保局关于 2022 年基金监管工作相关要求，聘请第三方对 14 家医疗机构和 45 家零售药店 "
                      "2020 年 1 月 1 日—2021 年 12 月 31 日医保基金使用情况进行了全覆盖检查，共查实违规使用医保"
                      "基金金 36.82 万元，其中医疗机构 34.99 万元，零售药店 1.83 万元。医疗机构主要违规集中在清单"
                      "三过度诊疗上，乡镇卫生院主要集中在药品超限定和处方不规范，大多都发生在村卫生室。零售药店的"
                      "违规主要是处方药的处方书写不规范，超适应症用药。",
                      "吴忠市红寺堡区医疗保障局建立了全覆盖式医保基金监督检查制度，分类推进医保违法违规行为专项"
                      "治理，建立健全行政执法公示、执法全过程记录、重大执法决定法制审核等制度。健全监督举报、举报"
                      "奖励、智能监管、综合监管、责任追究等措施。")),
        Indicator(p, "组织管理（21分）", "管理制度健全有效性", "全面建立统一的城乡居民医保制度", "有效", 2,
                  method=_Q, explanation=prose(
                      "吴忠市红寺堡区医疗保障局严格执行自治区人民政府《关于城乡居民基本医疗保险自治区统筹管理的"
                      "意见》（宁政发〔2015〕19 号）、《关于进一步完善城乡居民基本医疗保险自治区级统筹制度的意见》"
                      "（宁政规发〔2019〕4 号等相关管理制度。全面建立并执行统一的城乡居民医保制度，结合医疗保障相关"
                      "职能整合，在确保覆盖范围、筹资政策、保障待遇、医保目录、定点管理、基金管理“六统一”的基础上，"
                      "统一经办服务和信息系统，进一步提高了运行质量和效率。")),
        Indicator(p, "组织管理（21分）", "开展支付方式改革", "实行按病种(组)、按人头付费等支付方式改革", "完成", 2,
                  method=_Q, explanation=prose(
                      "为贯彻落实中共中央、国务院《关于深化医疗保障制度改革的意见》（中发〔2020〕5号）文件精神，"
                      "根据国务院办公厅《关于进一步深化基本医疗保险支付方式改革的指导意见》（国办发〔2017〕55号）"
                      "文件精神和《关于印发〈吴忠市按疾病诊断相关分组（CHS-DRG）付费试点工作实施方案〉的通知》"
                      "（吴医保发〔2020〕39号），为进一步深化医保支付方式改革，积极推进国家医疗保障疾病诊断相关"
                      "分组（CHS-DRG）宁夏省级试点工作半年来的开展情况进行了市级稽核，人民医院存在低指征入院、"
                      "低码高编、诊断依据不足3项问题，涉及违规金额12621.81元，违规资金已全部收回。人民医院自查"
                      "（CHS-DRG）违规的4700元也全部收回。参加DRG病种权重分值论证会，尤其对NRCU的权重进行调整，"
                      "优化了分值权重配比，提高了医疗机构参与改革的积极性和医疗效益。",
                      "吴忠市红寺堡区医疗保障局按国家和自治区的相关要求开展支付方式改革工作。")),
        Indicator(p, "组织管理（21分）", "定点医药机构规范性", "协议管理严格监管", "规范", 3, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局按照吴忠市制定的《2021年吴忠市基本医疗保险定点医疗机构年度考核"
                      "方案》（吴医保发〔2021〕91号），按年度对红寺堡协议医疗机构进行考核，并对考核结果开展应用："
                      "（1）作为兑付预留保证金的依据；（2）作为结算超支分担金额的依据；（3）作为总额预算控制预算"
                      "费用结算的依据；（4）作为续签医保服务协议的依据；（5）作为调整下一年度总额控制额度的依据。",
                      "吴忠市红寺堡区医疗保障局对定点医疗机构和药店进行协议管理，建立了考核评价机制和动态准入和"
                      "退出机制。")),
        Indicator(p, "组织管理（21分）", "医保信息系统功能性", "信息数据及时准确", "及时准确", 2, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医保信息系统运转正常，能够及时准确提取参保人数、地方财政补助资金到位率、城乡"
                      "居民个人缴费水平等数据。")),
        Indicator(p, "组织管理（21分）", "医保统计、基金报表准确性、及时性、完整性",
                  "医保基金统计、基金报表上报准确完整、及时有效", "准确、及时、完整", 2, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局能够按时、完整上报医保基金统计、财务报表。上报报表不存在虚报、瞒报、"
                      "误报等现象，对异常数据有说明解释。")),
        Indicator(p, "组织管理（21分）", "绩效评价机制健全性", "全面实现绩效管理", "健全", 4, method=_Q,
                  explanation=prose(
                      "吴忠市红寺堡区医疗保障局按照自治区医疗保障局绩效评价管理要求及时上报了上一年度的绩效目标"
                      "申报表和自评报告。")),
        Indicator(p, "组织管理（21分）", "财务核算规范性", "严格按照财务制度规定进行基金收支、记账、对账等工作",
                  "规范", 6, method=_Q, explanation=prose(
                      "吴忠市红寺堡区医疗保障局按照财务管理制度、业务明细科学设置财务核算一级、二级、三级科目，"
                      "财务核算严格按照规定进行账务处理。及时完成与财政、税务、银行、医药机构等多方对账，形成纸质"
                      "对账单。")),
        # 项目产出: names as filed (with the unit in brackets), units repeated in 度量单位.
        Indicator(o, "数量指标（35分）", "参保人数(人)", "≥173218", 176268, 5, unit="人"),
        Indicator(o, "数量指标（35分）", "各级财政补助标准(元)", "550", "610", 5, unit="元"),
        Indicator(o, "数量指标（35分）", "综合参保率(%)", "≥95%", "97.50%", 4, unit="%"),
        Indicator(o, "数量指标（35分）", "重复参保人数(人)", "0", "0", 3, unit="人"),
        Indicator(o, "数量指标（35分）", "虚报参保人数(人)", "0", "0", 3, unit="人"),
        Indicator(o, "数量指标（35分）", "参保人政策范围内住院费用报销比(%)", "不低于上年度", "提高 13.62%", 5,
                  unit="%"),
        Indicator(o, "数量指标（35分）", "参保人住院费用实际报销比(%)", "不低于上年度", "提高 12.09%", 5,
                  unit="%"),
        Indicator(o, "数量指标（35分）", "基金累计结余可支配月数(月)", "6-9个月", "-", 5, unit="个月"),
        Indicator(e, "满意度指标（10分）", "参保对象满意度", "≥90%", "92.8%", 10, unit="%"),
    ]


HONGSIBU = Sample(
    filename="红寺堡_2022_城乡居民医保补助资金.xlsx",
    report_type=schema.TYPE_TRANSFER,
    info={
        "report_type": schema.TYPE_TRANSFER,
        "year": 2022,
        "project": "城乡居民医保补助资金（本级）",
        "department": "吴忠市红寺堡区医疗保障局",
        "unit": "吴忠市红寺堡区医疗保障局",
        "goal": "通过项目的实施，逐步巩固参保率，稳步提高保障水平，实现基金收支平衡，进一步提升参保对象满意度。",
        # The seed states no separate completion paragraph; this is its table's actuals in words.
        "goal_done": "2022年参保人数176268人，综合参保率97.50%；各级财政补助标准610元；参保人政策范围内住院"
                     "费用报销比较上年度提高13.62%，住院费用实际报销比较上年度提高12.09%；参保对象满意度92.8%。"
                     "本级财政补助资金224万元全部到位并执行完毕。",
        "default_handling": "满分",
        "grades": "90:好,80:较好,60:一般,0:差",
        "contact": "财务室",
        "phone": "略",
        "email": None,
    },
    budget_rows={
        "total": (224, 224, 224),
        "appropriation": (224, 224, 224),
        "carryover": (0, 0, 0),
        "other": (0, 0, 0),
    },
    budget_weight=0,  # the rate is the indicator 过程管理/资金管理/预算执行率 (2 points)
    budget_method="达标",
    budget_threshold=0.9,
    allocations=[
        # The seed gives only "本级财政补助资金224万元"; no document number is published.
        (1, "红寺堡区2022年城乡居民基本医疗保险本级财政补助资金（文号未载明）", 0, 0, 224, 224),
    ],
    indicators=_hsb_indicators(),
    texts={
        "单位概况": prose(
            "吴忠市红寺堡区医疗保障局于 2019 年 1 月底正式挂牌成立，为一级预算单位，核定编制 17 个，其中：行政编制"
            " 5 名，事业编制 12 名，下设副科级医疗保障服务中心，内设股室：局综合办公室、稽核室、待遇保障室、信息"
            "登记室、财务室。领导配备：党组书记、局长 1 名，副局长 1 名，医保中心主任 1 名。主要承担城镇职工和城乡"
            "居民基本医疗保险、生育保险、药品和医疗服务价格管理、医疗救助等工作职责。"),
        "项目概况": prose(
            "医疗保障是减轻群众就医负担、增进民生福祉、维护社会和谐稳定的重大制度安排。党中央、国务院高度重视人民"
            "健康，建立了覆盖全民的基本医疗保障制度。为认真贯彻落实《国家医保局财政部国家税务总局关于做好 2022 年"
            "城乡居民基本医疗保障工作的通知》（医保发〔2022〕20 号）、《自治区医疗保障局 财政厅 国家税务总局宁夏"
            "回族自治区税务局关于做好 2022 年城乡居民基本医疗保障工作的通知》（宁医保规发〔2022〕2号）文件精神，"
            "宁夏回族自治区财政厅下达了2022年城乡居民基本医疗保险补助资金。"),
        "资金投入情况": "红寺堡2022年城乡居民基本医疗保险本级财政补助资金224万元。",
        "资金管理情况": None,  # the seed has no such section: left empty (the tool reports it)
        "组织实施情况": prose(
            "本次绩效评价是对吴忠市红寺堡区 2022 年城乡居民医保补助资金实施情况进行综合绩效评价，医保转移支付资金"
            "绩效评价是根据设定的绩效目标，运用科学、合理的绩效评价指标、评价标准和评价方法，对转移支付支出的经济性、"
            "效率性和效益性进行客观、公正的评价。绩效评价的目的是加强预算绩效管理，强化支出责任，建立科学、合理的"
            "医保转移支付资金绩效评价管理体系，提高转移支付资金使用效益。",
            "医保转移支付资金绩效评价遵循科学规范、公正公开、分级分类、绩效相关原则，评价内容包括绩效目标设定情况、"
            "资金投入和使用情况、实现绩效目标的制度措施、绩效目标的实现程度和效果。"),
        "存在的问题": None,  # the seed's sections 五–七 are missing: left empty for the tool to generate
        "改进措施": prose(
            "进一步加强预算管理，提升预算编制的科学合理性。并结合预算执行中存在的问题和差距，认真查找不足，分析原因，"
            "有针对性的强化考核措施，完善预算进度管理的长效机制，精准合理调整预算安排，全面优化财政资金使用效益。"),
        "结果应用": "绩效自评结果已上报自治区医保局。",
        "其他说明": "巡视、财会监督中没有发现问题，2022年没有进行审计。",
    },
    layout=LAYOUT_BLANK,
)


# ---------------------------------------------------------------------------------------
# 2. 海口 2022 医疗服务与保障能力提升补助资金 (转移支付, standard 自评表)
# ---------------------------------------------------------------------------------------
# The seed publishes prose only; the table is the one a unit would have filed: 产出/效益/满意度
# (90 points) plus 预算执行率 on the budget sheet (10 points, 比例). 391 万元 budget, 366.656 执行:
# 93.77% (the seed's own rate agrees), so the budget sheet scores 10 × 0.9377 = 9.38, the part
# score of this sample. All indicators were met according to the seed.
#   * SLIP: the 合格率 the seed reports is that of the "医保DIP培训测试", while the 2 trainings
#     counted are the 药品和医疗服务价格 policy classes; transcribed as published.
#   * The satisfaction actual is not a number in the seed ("大于85%", "高于85％"); kept as typed.
#   * 年初预算数 left blank: the seed does not say when the 391 万元 were allocated.

def _hk_indicators() -> list[Indicator]:
    out, eff, sat = "产出指标", "效益指标", "满意度指标"
    training = prose(
        "2022年分两期举办基本医疗保险药品和医疗服务价格项目政策培训班，市医保局、市社保局和各区医保局有关干部"
        "职工，以及定点医疗机构分管领导、医保办负责人、业务骨干和医师代表等共约390人次参加培训。有效促进我市各级"
        "定点医疗机构和医保行政、经办部门规范执行基本医保药品政策和医疗服务价格管理工作。医保DIP培训测试合格率100%。")
    inspection = prose(
        "2022年，使用医疗服务与保障能力提升补助资金开展10家定点医疗机构规范使用医保基金专项检查项目，全年共对303家"
        "定点医疗机构规范使用医保基金情况开展实地检查（其中：一级以上定点医疗机构53家，村卫生室250家）。")
    return [
        Indicator(out, "数量指标", "开展培训次数", "≥2次", "2次", 15, unit="次", method="比例",
                  explanation=training),
        Indicator(out, "数量指标", "定点医疗机构规范使用医保基金专项检查家数", "≥10家", "10家", 10, unit="家",
                  method="比例", explanation=inspection),
        Indicator(out, "质量指标", "人才培训合格率", "≥90%", "100%", 15, unit="%", method="比例",
                  explanation="医保DIP培训测试合格率100%。"),
        Indicator(out, "质量指标", "城乡医疗保险征缴宣传完成率", "100%", "100%", 10, unit="%", method="比例",
                  explanation=prose(
                      "为做好我市2023年度城乡居民基本医疗保险费征缴工作，进一步扩大医保政策宣传面，提高市民群众对"
                      "医保相关待遇政策知晓度，及时参加城乡居民医保，通过竞争性磋商的方式，委托2家公司，分别通过线下"
                      "到各镇街或行政村现场宣传动员结合线上电台广播、微信抖音相结合的方式，开展“缴纳城乡医保 守护健康"
                      "美好”为主题的2023年度城乡居民基本医疗保险费征缴宣传，通过现场检查监督、收集现场活动照片及相关"
                      "宣传资料等方式对该项目进行验收。通过征缴宣传活动，共在主要镇街及社区开展36场线下现场推广活动，"
                      "发放宣传册3万余份，宣传折页10万余份，宣传条幅400条，政策宣讲车48车次，累计送出礼品1万余份，"
                      "现场为5000余名群众开展了义诊服务。同时结合海南省广播电台、公交车车体、社区灯箱广告及抖音、"
                      "微信公众号、朋友圈广告推流等多媒体宣传渠道，有效扩大城乡居民医保征缴宣传覆盖面，有效提升市民"
                      "群众对医保政策知晓率以及参加城乡居民基本医保的积极性，确保了我市医疗保障事业的持续健康发展。")),
        Indicator(eff, "社会效益指标", "医保宣传能力", "显著提升", "显著提升", 15, method="定性",
                  explanation=prose(
                      "开展医保政策知晓度调查提升项目。医保是我国的基本社会保险保障之一，关系到每一位群众的切身利益。"
                      "2021年年底，我省频繁出台医保新规，于2022年1月1日起执行。医保政策的及时普及至关重要，我局采用"
                      "竞争性磋商的政府采购方式选取一家公司开展调查提升工作。在海口市辖区范围内，对海口市各类型的参保"
                      "人员开展以新出台政策为主的医保政策知晓度调查提升工作。调查工作分为前期调查和回访调查两部分，"
                      "针对前期调查掌握海口市参保人员对医疗保障政策的了解程度，寻找医保政策宣传存在的问题和不足。"
                      "待我局开展一系列相关宣传后，再进行回访调研并出具调查报告，进而规范和加强医保服务与保障工作。")),
        Indicator(eff, "社会效益指标", "医保综合监管能力", "优", "优", 15, method="定性",
                  explanation=prose(
                      "坚持“公立民营一样查、大额小额一起查、所有线索一律查”的原则，充分运用自查自纠、大数据分析、现场"
                      "检查、第三方审计等方式，持续加大医保基金监管力度，严厉打击医保领域违法违规行为。" + inspection
                      + "累计发现违规使用医保基金的定点医疗机构52家次，违规使用医保基金1442万余元，行政处罚2万元，暂停"
                      "定点医疗机构服务协议3家，约谈13家，向社会公开曝光30家，向纪委监委移交线索5家，向公安部门移交"
                      "线索5家，向卫健部门移交线索4家，向市场监管部门移交线索36家。基金监管能力显著提升。",
                      "开展医疗救助基金审计工作。为做好我市各区医疗救助基金运行情况审计工作，及时掌握各区自接收医疗"
                      "救助基金之日起至2021年12月31日的基金运行情况，通过挂网公告的方式依据最优价格选择海南天勤会计师"
                      "事务所对我市各区医疗救助基金运行情况进行审计。同时根据《海南省社会保险服务中心 海南省财政厅 "
                      "海南省医疗保障局关于做好城乡医疗救助基金统一管理有关事宜的通知》要求，为做好账务合并等相关工作，"
                      "将审计时间节点调整扩大至2022年7月31日。审计内容包括资产、负债、基金收支及基金结余等情况，以及"
                      "原医疗救助基金移交情况，年度医疗救助基金收入支出和结余的规模、结构和增长变化情况，以及线上和"
                      "线下手工医疗救助资金使用情况，保障了各类医疗救助对象及时享受医疗救助优惠政策，维护了医疗救助"
                      "基金的合理使用及安全平稳运行。多次召开审计反馈会，对审计报告相关内容进行核实整改及验收。")),
        Indicator(sat, "服务对象满意度指标", "参保人对医保服务满意度", "≥85%", "大于85%", 10, unit="%",
                  method="比例", explanation=prose(
                      "通过开展海口市医保服务满意度调查，了解我市市民群众对医疗保障政策的熟悉度，辅以政策宣传，引导"
                      "我市群众熟悉掌握医保政策，本次调查中所有参保受访者对医保服务的满意度高于85％。我局将吸取经验"
                      "不断完善和加强医保服务与保障工作，努力提高海口市人民对医保服务的满意程度，提升市民群众对医保"
                      "政策的知晓率、满意率及认同感。")),
    ]


HAIKOU = Sample(
    filename="海口_2022_医疗服务与保障能力提升补助资金.xlsx",
    report_type=schema.TYPE_TRANSFER,
    info={
        "report_type": schema.TYPE_TRANSFER,
        "year": 2022,
        "project": "医疗服务与保障能力提升补助资金（医疗保障服务能力提升部分）",
        "department": "海口市医疗保障局",
        "unit": "海口市医疗保障局",
        "goal": "用于医疗保障政策管理、医保综合监管、医保综合业务培训、人才培养、医保政策宣传等方面工作，提升医疗"
                "保障服务能力；有效提升综合监管、宣传引导等医疗保障服务能力。",
        "goal_done": prose(
            "2022年，通过举办基本医疗保险药品和医疗服务价格项目政策培训班2次、开展医疗救助基金审计工作、推进DIP医保"
            "支付方式改革，使用医疗服务与保障能力提升补助资金开展10家定点医疗机构规范使用医保基金专项检查项目，全年"
            "共对303家定点医疗机构规范使用医保基金情况开展实地检查，城乡医疗保险征缴宣传完成率100%；参保人对医保服务"
            "满意度大于85%，有效提升综合监管、宣传引导等医疗保障服务能力。"),
        "default_handling": "满分",
        "grades": schema.DEFAULT_GRADES,
        "contact": "财务科",
        "phone": "略",
        "email": None,
    },
    budget_rows={
        "total": (None, 391, 366.656),
        "appropriation": (None, 391, 366.656),
        "carryover": (0, 0, 0),
        "other": (0, 0, 0),
    },
    budget_weight=10,
    budget_method="比例",
    budget_threshold=0.9,
    allocations=[
        (1, "2022年中央医疗服务与保障能力提升补助资金（医疗保障服务能力提升部分）（文号未载明）", 391, 0, 0, 391),
    ],
    indicators=_hk_indicators(),
    texts={
        "单位概况": None,  # the seed says nothing about the bureau itself
        "项目概况": prose(
            "2022年中央医疗服务与保障能力提升补助资金（医疗保障服务能力提升部分）下达我局391万元，全年执行366.656万元，"
            "预算执行率93.77%。",
            "2022年年度目标是有效提升综合监管、宣传引导等医疗保障服务能力。"),
        "资金投入情况": "2022年医疗服务与保障能力提升补助资金预算391万元，全年执行366.656万元，预算执行率93.77%。",
        # SLIP kept: "针对不对项目" (for 不同项目) as published.
        "资金管理情况": prose(
            "资金分配符合财政厅和海南省医疗保障局下达的文件要求。资金使用符合财经法规和有关专项资金管理办法，资金的"
            "申请和开支均有完整的审批程序和手续，严格执行经费支出的审批权限和报销程序，严格按照中央资金、市级财政资金"
            "的相关管理办法使用资金；未发生截留、挤占、挪用、虚列支出等情况。2022年我局将资金分配到海口市医疗救助基金"
            "审计、医保政策知晓度调查提升、10家定点医疗机构规范使用医保基金专项检查项目、2022年度海口市DIP支付方式"
            "改革配套服务项目、城乡居民基本医疗保险征缴宣传项目、举办基本医疗保险药品和医疗服务价格项目政策培训班等"
            "六个项目，资金分配与绩效评价结果挂钩。",
            "我局严格按照市财政资金管理办法进行资金监管及支付，我局制定了《海口市医疗保障局机关财务管理制度》《海口市"
            "医疗保障局采购内部控制规范》等相关资金管理办法，针对不对项目，分重点、阶段进行制度与质量把握，在支付过程"
            "中各部门分阶段进行验收；各项目均经会议审议，严格实施招标采购流程。加强资金监管，项目均按财务管理规定提请"
            "局长办公会或局党组会审定。"),
        "组织实施情况": None,  # left empty: the tool writes its standard paragraph
        "存在的问题": None,  # left empty: the tool generates it (execution rate 93.77%)
        "改进措施": "在预算年度内总体目标和绩效指标已全部完成。下一步将更加科学的谋划项目，加快预算执行率。",
        "结果应用": "持续做好绩效自评工作，提高资金使用效益。按照要求及时将绩效自评结果在海口市医疗保障局门户网站公开，"
                    "接受社会监督。",
        "其他说明": "无",
    },
    layout=LAYOUT_REPEAT,
)


# ---------------------------------------------------------------------------------------
# 3. 攀枝花 2022 医保定点医药机构监管经费 (项目支出)
# ---------------------------------------------------------------------------------------
# Budget: the seed's table says 计划数 100 / 到位数 9.21 / 使用数 9.21 万元 and its text says the
# 9.21 万元 are "均为调整（追加）预算" and the 资金使用率 is 100%. The budget actually approved
# for the year is the 9.21 (全年预算数); the 计划数 100 is filed as 年初预算数 exactly as
# published. SLIP kept visible: a 年初预算数 of 100 contradicts "均为调整（追加）预算" (which
# implies 0), and nothing explains the gap between 100 planned and 9.21 allocated.
# Other slips: the first paragraph dates 劳社部发〔1999〕23号 "1996年6月29日" (the ministry was
# founded in 1998); copied as published. The unit is only called "本中心"; 实施单位 is taken as
# 攀枝花市医疗保障事务中心. Indicators: the seed's 数量/质量/时效 and 效益 paragraphs, all met.

def _pzh_indicators() -> list[Indicator]:
    out, eff, sat = "产出指标", "效益指标", "满意度指标"
    return [
        Indicator(out, "数量指标", "定点医疗机构住院病例抽查覆盖率", "100%", "100%", 10, unit="%",
                  explanation="按一定比例抽查全市所有定点医疗机构上一年度住院病例的完整病案纸质资料和费用明细。"),
        Indicator(out, "数量指标", "开展定点医药机构监管专项行动", "按计划开展", "已开展多次专项行动", 10,
                  method="定性",
                  explanation="2022年，主要用于保障医保工作的正常运转，主要用于支付医学专家劳务费和费用审核聘用人员工资"
                              "和五险一金；通过开展多次专项行动，加大了定点医药机构监管处罚力度，提高了参保人员对医保"
                              "服务的满意度。"),
        Indicator(out, "质量指标", "费用审核工作完成情况", "按时完成", "按时完成", 10, method="定性",
                  explanation="医学专家劳务费和费用审核聘用人员工资加大费用审核力度，按时完成费用审核工作。"),
        Indicator(out, "时效指标", "资金使用率", "100%", "100%", 10, unit="%",
                  explanation="项目资金使用年度时效安排至2022年底，截至2022年12月31日，资金使用率为100%。"),
        Indicator(out, "成本指标", "项目支出控制在批复预算内", "≤9.21万元", "9.21万元", 10, unit="万元",
                  explanation="截至2022年12月31日，该项目资金已支付使用资金9.21万元。"),
        Indicator(eff, "社会效益指标", "劳务费及工资发放", "按时足额发放", "按时足额发放", 5, method="定性",
                  explanation="医学专家劳务费和费用审核聘用人员工资，按时足额发放劳务费及工资，学习交流经验，解决就业问题。"),
        Indicator(eff, "社会效益指标", "医保公共服务水平", "稳步提高", "稳步提高", 10, method="定性",
                  explanation="医保公共服务水平，稳步提高。"),
        Indicator(eff, "可持续影响指标", "医保基金运行", "平稳有序", "平稳有序", 10, method="定性",
                  explanation="医保基金运行平稳有序，规范医疗机构服务行为。"),
        Indicator(eff, "可持续影响指标", "定点医药机构违规行为", "减少", "减少", 5, method="定性",
                  explanation="规范医疗机构服务行为，减少违规行为的发生。"),
        Indicator(sat, "服务对象满意度指标", "参保人员对医保工作满意度", "满意", "满意", 10, method="定性",
                  explanation="参保人员对医保工作的评价满意，经办工作受到群众表扬，对医保工作满意。"),
    ]


PANZHIHUA = Sample(
    filename="攀枝花_2022_定点医药机构监管经费.xlsx",
    report_type=schema.TYPE_PROJECT,
    info={
        "report_type": schema.TYPE_PROJECT,
        "year": 2022,
        "project": "医保定点医药机构监管经费",
        "department": "攀枝花市医疗保障局",
        "unit": "攀枝花市医疗保障事务中心",
        "goal": prose(
            "（1）不断提升市医保经办机构医保基金监管水平，坚决维护医保基金安全可持续发展。",
            "（2）让全市参保群众懂得了人人参保、按时续保的重要意义，也对医保政策有了更深入全面的了解，在以后的生活中，"
            "能更好地从此项关乎自己切身利益的惠民政策中受益。同时，通过宣传，让医保机构、医疗机构、药店、用人单位和"
            "参保人员等医疗保障参与方在参保、就医、服务等方式遵守法律法规，提升医疗保障的社会影响力。"),
        "goal_done": "截至2022年12月31日，项目资金9.21万元已全部支付，资金使用率为100%；按时完成费用审核工作，通过"
                     "开展多次专项行动加大了定点医药机构监管处罚力度；医保基金运行平稳有序，参保人员对医保工作的评价满意。",
        "default_handling": "满分",
        "grades": schema.DEFAULT_GRADES,
        "contact": "财务室",
        "phone": "略",
        "email": None,
    },
    budget_rows={
        "total": (100, 9.21, 9.21),
        "appropriation": (100, 9.21, 9.21),
        "carryover": (0, 0, 0),
        "other": (0, 0, 0),
    },
    budget_weight=10,
    budget_method="比例",
    budget_threshold=0.9,
    allocations=[],
    indicators=_pzh_indicators(),
    texts={
        "单位概况": None,  # the seed only says "本中心"
        "项目概况": prose(
            "1996年6月29日，劳动和社会保障部、财政部、国家经济贸易委员会、卫生部、国家中医药管理局印发关于《关于加强"
            "城镇职工基本医疗保险费用结算管理意见》（劳社部发〔1999〕23号）第五条规定：加强定点医疗机构门诊处方、入出院"
            "标准、住院病历和特殊检查治疗等基本医疗保险管理和费用支出审核。社会保险经办机构可以应付给定点医疗机构的医疗"
            "费用中暂扣不超过10%的费用，根据结算期末考核情况，再相应拨付给定点医疗机构。四川省劳动和社会保障厅印发"
            "《制定城镇职工基本医疗保险结算办法有关问题的指导意见》（川劳社办〔2000〕22号）第五条规定：为了激励医院加强"
            "管理，降低消耗，提高医疗质量，惩戒消极地通过过度服务和减少合理服务来增加收入的行为，必须建立一套行之有效的"
            "审核制度。医疗保险经办机构可按核定的各定点医院定额控制指标或当期申报费用额度暂扣不超过10%的费用，根据结算"
            "期末的考核情况再相应拨付给定点医院。2004年10月22日经市政府通过对《关于考核扣减的医疗服务质量保证金用途的"
            "请示》（攀劳社〔2004〕62号）的请示的批准。",
            "项目主要内容：（1）用于稽核人员工资、社保缴费、公积金等支出。（2）在参保方面要加大宣传力度，提升参保率，"
            "实现全民参保。（3）按一定比例抽查全市所有定点医疗机构上一年度住院病例的完整病案纸质资料和费用明细。"),
        "资金投入情况": prose(
            "项目资金由市级资金构成，2022年项目资金9.21万元，均为调整（追加）预算，项目资金申报批复均符合资金管理办法等"
            "相关规定。资金计划数100万元，到位数9.21万元，使用数9.21万元。",
            "截至2022年12月31日，该项目资金已支付使用资金9.21万元，主要用于稽核人员工资、社保缴费、公积金等支出；宣传费；"
            "差旅费；按一定比例抽查全市所有定点医疗机构上一年度住院病例的完整病案纸质资料费用；补充人员经费，会议培训、"
            "政策宣传及办公场所基础设备维修等医保日常运转支出。"),
        "资金管理情况": prose(
            "我市定点医药机构违规违约上缴的医保服务质保金按照财务管理规定实行单独开户、单独建账、专款管理、专款专用，"
            "严格按照政府批准的范围使用，使用情况接受市医疗保障局、市财政局、市审计局等部门监督。",
            "本中心资金支付使用严格按照批复方案和实施合同规定执行，资金使用合理规范，合规合法。"),
        "组织实施情况": "根据攀枝花市医疗保险管理局《关于我市对定点单位医疗保险服务质量保证金实行年预付制的通知》"
                        "（攀医保〔2008〕9号）的相关规定，市、县（区）两级医保经办机构处理定点医药机构违规违约上缴的"
                        "质保金作为非税收入全额上缴市财政。",
        "存在的问题": "无",
        "改进措施": "加强项目建设各个审批环节沟通，提前统筹安排，减少审批时间和进度，加快项目建设步伐，提高项目建设效率，"
                    "按规定完成预定绩效目标任务。",
        "结果应用": None,  # the seed has no such section
        "其他说明": None,  # the seed has no such section
    },
    layout=LAYOUT_BLANK,
)


# ---------------------------------------------------------------------------------------
# 4. 临泽 2023 部门整体支出
# ---------------------------------------------------------------------------------------
# Budget: 年初预算 490.06, 支付 488.18 万元 (99.62%). The seed's breakdown of the 488.18 adds up
# exactly (308.18 basic + 176.72 + 3.28). All of it is treated as 当年财政拨款 (a county bureau's
# 部门预算; no carry-over is mentioned). SLIP kept: section 一 gives the 城乡居民医保县级财政配套
# as 176.72 万元 paid, section 二 as "180万元，完成支付167.76万元" (digits transposed?); both
# are copied into the snippets. The project funds of section 二 (40 + 446 + 19 + 180) are not part
# of the 490.06 and stay in the 项目资金执行情况 text rather than the 资金下达明细 table.
# Indicators: built from the report's figures; targets are those a county bureau would set (the
# seed publishes none). The seed's 95 points / 优 is not forced: 医保电子凭证激活率 (88.36% of
# ≥90%) and 城乡居民医保基金支出占收入比例 (122.71% vs ≤100%) are missed and scored 比例,
# 绩效信息管理完善性 ("有待提升" in the seed) is 部分达成.

_LZ_OUT, _LZ_EFF, _LZ_SAT = "产出指标", "效益指标", "满意度指标"


def _lz_indicators() -> list[Indicator]:
    o, e, s = _LZ_OUT, _LZ_EFF, _LZ_SAT
    return [
        Indicator(o, "数量指标", "城乡居民基本医疗保险参保率", "≥95%", 0.98, 8, unit="%", method="比例",
                  actual_format="0%",
                  explanation="2023年城乡居民参保缴费116201人，参保率98%，筹集医保基金11155.30万元。城镇职工参保14731人，"
                              "基金收入6809.15万元。"),
        Indicator(o, "数量指标", "低保对象、已脱贫人口参保率", "100%", "100%", 8, unit="%", method="比例",
                  explanation="与民政、乡村振兴部门建立信息共享机制，按月比对交换信息，低保对象、已脱贫人口参保率100%。"
                              "资助城乡低收入人口14482人264.06万元。"),
        Indicator(o, "数量指标", "定点医药机构监督检查覆盖率", "100%", "100%", 6, unit="%", method="比例",
                  explanation="对县内150多家定点医药机构开展专项检查，促进医疗机构规范医疗服务行为，提高基金使用效率。"
                              "聘请第三方对县域内40家医疗机构进行专项检查，协议处理定点医疗机构30家，追回违规资金28.7万元，"
                              "向卫健局移交疑似违规线索9件。12月份对县域内定点医药机构进行检查，实现检查面全覆盖。"),
        Indicator(o, "数量指标", "医保政策宣讲培训场次", 20, 33, 4, unit="场", nature="≥", method="比例",
                  deviation="门诊共济、门诊统筹等新政策落地，线下宣讲延伸到镇村（社区）、医药机构和企事业单位，实际开展"
                            "33场次，超出年度目标较多；下一年度将按实际需求合理确定目标值。",
                  explanation="线下深入镇村（社区）、医药机构、企事业单位，开展面对面的宣讲培训33场次，受训2000余人。"
                              "发放各类宣传资料4.5万余份，同时加大身边典型案例宣传，切实提高群众对医保政策的知晓度。"),
        Indicator(o, "质量指标", "城乡居民住院政策范围内报销比例", "≥70%", 0.7278, 8, unit="%", method="比例",
                  actual_format="0.00%",
                  explanation="住院33580人次报销11663.42万元，门诊慢特病72293人次报销1080.79万元，住院政策范围内报销"
                              "比例达到72.78%。"),
        Indicator(o, "质量指标", "城镇职工住院政策范围内报销比例", "≥80%", "87.57%", 4, unit="%", method="比例",
                  explanation="住院4334人次报销3197.72万元，门诊慢特病23694人次报销490.47万元，住院政策范围内费用报销"
                              "比例达到87.57%。"),
        Indicator(o, "质量指标", "医保电子凭证激活率", "≥90%", "88.36%", 6, unit="%", method="比例",
                  deviation="部分老年人和外出务工人员未使用智能手机或不在本地，激活难度较大，激活率88.36%，未达到90%的"
                            "目标。下一步依托全县58个医保经办服务点和“送政策、送健康、送便利、送诊疗”服务，协助老年人等"
                            "群体激活使用医保电子凭证。",
                  explanation="全县医保电子凭证激活114669人，激活率达88.36%，使用率达40%。通过医保电子凭证线上办理灵活"
                              "就业人员信息变更、城乡居民参保、跨省参保关系转移接续、异地备案达7206件。"),
        Indicator(o, "时效指标", "医疗保障周转金拨付及时性", "及时", "已及时拨付", 6, method="定性",
                  explanation="及时向定点医疗机构拨付医疗保障周转金1268万元，专项救治资金150万元；拨付集采药品预付周转金"
                              "144.8万元，拨付各定点医疗机构结余留用资金72.54万元。"),
        Indicator(e, "社会效益指标", "城乡居民医保基金支出占基金收入比例", "≤100%", "122.71%", 6, unit="%",
                  method="比例",
                  deviation="落实“乙类乙管”政策后新冠感染患者就医费用集中报销，城乡居民门诊统筹试点和职工门诊共济启动后"
                            "门诊支出增加，当期基金支出超过收入。下一步深化DIP支付方式改革，加强基金运行监测分析，促进"
                            "基金收支平衡。",
                  explanation="城乡居民医保基金支出13688.72万元，占基金收入的122.71%；城镇职工基金收入6809.15万元，"
                              "基金支出7183.01万元，占基金收入的105.49%。为1690名新冠感染住院患者报销费用264.65万元，"
                              "门诊患者80人次1.1万元。"),
        Indicator(e, "社会效益指标", "低收入人口政策范围内报销比例", "≥90%", "92.68%", 6, unit="%", method="比例",
                  explanation="低收入人口住院报销6811人次3321.51万元；门诊慢特病报销18801人次542.82万元，政策范围内报销"
                              "比例达到92.68%。落实依申请医疗救助700人次339.89万元。"),
        Indicator(e, "社会效益指标", "县级医疗机构DIP付费结算占比", "≥90%", "98%", 6, unit="%", method="比例",
                  explanation="2家县级医疗机构DIP支付方式结算占实际结算量的98%，预结算3420.31万元，各镇卫生院自9月起施行"
                              "DIP付费，预结算79.22万元。"),
        Indicator(e, "可持续影响指标", "医保基金监管长效机制", "建立健全", "已建立联席会议、社会监督员和信息公示制度",
                  6, method="定性",
                  explanation="充分发挥联席会议制度职责，聘请公安、财政、审计等部门社会监督员参与监管，进一步增强医保基金"
                              "监管和执法工作透明度。建立信息公示制度，定期公布基金监管工作成果、典型案例以及医保领域违法"
                              "违规机构等信息，不断强化震慑效果。"),
        Indicator(e, "可持续影响指标", "绩效信息管理完善性", "完善", "基本完善", 6, method="定性",
                  deviation="绩效信息的收集、整理和分析还不够系统。下一步加强部门明细预算的编制，强化预算执行管理力度，"
                            "完善绩效信息管理。",
                  explanation="部门管理制度较为健全，在绩效信息管理完善性等方面还有待提升。"),
        Indicator(s, "服务对象满意度指标", "参保群众满意度", "明显提升", "群众对医保工作的满意度得到提升", 10,
                  method="定性", degree="达成",
                  explanation="拓宽宣传渠道，创新宣传方式，在全县建立医保经办服务点58个，全面实施“好差评”制度，统筹区内"
                              "实现基本医保、大病保险、医疗救助“一站式”结报，提升了群众对医保工作的满意度。"),
    ]


LINZE = Sample(
    filename="临泽_2023_部门整体支出.xlsx",
    report_type=schema.TYPE_DEPARTMENT,
    info={
        "report_type": schema.TYPE_DEPARTMENT,
        "year": 2023,
        "project": "临泽县医疗保障局",
        "department": "临泽县医疗保障局",
        "unit": "临泽县医疗保障局",
        "goal": "不断提升领导干部服务能力，着力落实待遇保障，优化经办服务，推动医保改革、强化基金监管，切实减轻参保人"
                "就医负担，提升群众对医保工作的满意度。",
        # The seed's conclusion paragraph without its score sentence (the tool states the score).
        "goal_done": "临泽县医保局部门管理制度较为健全，部门履职、部门效果、满意度及社会评价情况较好，在绩效信息管理完善性"
                     "等方面还有待提升。不断提升领导干部服务能力，着力落实待遇保障，优化经办服务，推动医保改革、强化基金"
                     "监管，切实减轻参保人就医负担，提升了群众对医保工作的满意度。",
        "default_handling": "满分",
        "grades": schema.DEFAULT_GRADES,
        "contact": "综合办公室",
        "phone": "略",
        "email": None,
    },
    budget_rows={
        "total": (490.06, 490.06, 488.18),
        "appropriation": (490.06, 490.06, 488.18),
        "carryover": (0, 0, 0),
        "other": (0, 0, 0),
    },
    budget_weight=10,
    budget_method="比例",
    budget_threshold=0.9,
    allocations=[],
    indicators=_lz_indicators(),
    texts={
        "部门职能": None,  # the seed describes no functions or staffing
        "资金投入情况": prose(
            "临泽县医保局部门整体预算包括人员经费、公用经费。部门预算按照“二上二下”流程进行编制、审批和下达预算。2023年"
            "临泽县医保局部门年初预算为490.06万元，完成支付488.18万元，其中工资奖金208.72万元，社保、医保、公积金等"
            "51.99万元，公务员交通补贴13.38万元；公务接待费0.75万元，福利费及工会经费4.94万元，水费、电费、差旅费等其他"
            "办公费28.4万元。2023年城乡居民基本医保县级财政配套补助资金176.72万元，2023年医疗保险基金第三方核查经费"
            "3.28万元。"),
        "项目资金执行情况": prose(
            "2023年医疗服务与保障能力提升补助资金下达资金共计两批，下达资金40万元，完成支付40万元。中央财政医疗救助补助"
            "资金共下达资金446万元，完成支付446万元。2023年医疗救助补助资金-省级（城乡医疗救助补助资金）下达资金19万元，"
            "完成支付19万元。城乡居民医疗保险县级配套资金180万元，完成支付167.76万元。"),
        "资金管理情况": None,  # the seed has no such section
        "组织实施情况": None,  # left empty: the tool writes its standard paragraph
        "存在的问题": None,  # left empty: generated from the missed indicators
        "改进措施": prose(
            "加强部门明细预算的编制。基本支出的人员、公用支出的预算进一步细化，执行在相关论证充分的基础上进行科学的明细"
            "预算。研究执行相关预算定额标准。基本支出预算实行定员定额管理，人员支出预算按照工资福利标准和编制定员逐人"
            "核定；公用支出预算按照部门性质、职责、工作量差别等划分若干档次。强化预算执行管理力度。在科学编制年度部门"
            "预算的基础上，在推进落实工作计划的同时，严格执行相关支出预算，及时保障本年度支出预算的执行。"),
        "结果应用": None,
        "其他说明": None,
    },
    layout=LAYOUT_MERGED,
)

SAMPLES: tuple[Sample, ...] = (HONGSIBU, HAIKOU, PANZHIHUA, LINZE)


# ---------------------------------------------------------------------------------------
# Filling a template by label text
# ---------------------------------------------------------------------------------------
def _cells(ws: Worksheet):
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip():
                yield cell


def _find_labels(ws: Worksheet, labels: tuple[schema.Label, ...]) -> dict[str, tuple[int, int]]:
    """Key -> (row, col) of the first cell carrying one of the label spellings."""
    found: dict[str, tuple[int, int]] = {}
    for cell in _cells(ws):
        key = schema.match_label(cell.value, labels)
        if key is not None and key not in found:
            found[key] = (cell.row, cell.column)
    return found


def _find_header(ws: Worksheet, labels: tuple[schema.Label, ...], minimum: int,
                 start_row: int = 1) -> tuple[int, dict[str, int]]:
    rows: dict[int, dict[str, int]] = {}
    for cell in _cells(ws):
        if cell.row < start_row:
            continue
        key = schema.match_label(cell.value, labels)
        if key is not None:
            rows.setdefault(cell.row, {}).setdefault(key, cell.column)
    for row in sorted(rows):
        if len(rows[row]) >= minimum:
            return row, rows[row]
    raise LookupError(f"{ws.title}: no header row with {minimum} of {[l.text for l in labels]}")


def _need(found: dict[str, Any], key: str, where: str) -> Any:
    if key not in found:
        raise LookupError(f"{where}: label for {key!r} not found in the template")
    return found[key]


def fill_info(ws: Worksheet, info: dict[str, Any]) -> None:
    found = _find_labels(ws, schema.INFO_LABELS)
    for key, value in info.items():
        row, col = _need(found, key, ws.title)
        ws.cell(row, col + 1).value = value


def fill_budget(ws: Worksheet, sample: Sample) -> None:
    header_row, cols = _find_header(ws, schema.BUDGET_HEADER, 3)
    category_col = cols.get("category", 1)
    rows: dict[str, int] = {}
    for r in range(header_row + 1, ws.max_row + 1):
        key = schema.match_label(ws.cell(r, category_col).value, schema.BUDGET_ROWS)
        if key is not None and key not in rows:
            rows[key] = r
    for key, (initial, annual, executed) in sample.budget_rows.items():
        r = _need(rows, key, ws.title)
        for col_key, value in (("initial", initial), ("annual", annual), ("executed", executed)):
            ws.cell(r, _need(cols, col_key, ws.title)).value = value

    labels = _find_labels(ws, schema.BUDGET_LABELS)
    for key, value in (("weight", sample.budget_weight), ("method", sample.budget_method),
                       ("threshold", sample.budget_threshold)):
        row, col = _need(labels, key, ws.title)
        ws.cell(row, col + 1).value = value

    title = next((c for c in _cells(ws) if schema.normalize_label(c.value)
                  == schema.normalize_label(schema.ALLOCATION_TITLE)), None)
    alloc_row, alloc_cols = _find_header(ws, schema.ALLOCATION_HEADER, 4,
                                         start_row=title.row if title else header_row + 1)
    order = [label.key for label in schema.ALLOCATION_HEADER]
    # Clear the table's input rows, then write ours.
    r = alloc_row + 1
    while r <= ws.max_row and any(ws.cell(r, alloc_cols[k]).value is not None for k in alloc_cols):
        for c in alloc_cols.values():
            ws.cell(r, c).value = None
        r += 1
    for i, values in enumerate(sample.allocations, start=1):
        for key, value in zip(order, values):
            ws.cell(alloc_row + i, _need(alloc_cols, key, ws.title)).value = value


def fill_indicators(ws: Worksheet, sample: Sample) -> None:
    anchor = schema.normalize_label(schema.INDICATOR_ANCHOR)
    header_row = next(c.row for c in _cells(ws) if schema.normalize_label(c.value) == anchor)
    _, cols = _find_header(ws, schema.INDICATOR_INPUTS, 3, start_row=header_row)
    input_cols = sorted(cols.values())

    # Unmerge anything in the data area, then clear every input cell of the skeleton rows.
    for rng in list(ws.merged_cells.ranges):
        if rng.max_row > header_row and any(rng.min_col <= c <= rng.max_col for c in input_cols):
            ws.unmerge_cells(str(rng))
    for r in range(header_row + 1, ws.max_row + 1):
        for c in input_cols:
            ws.cell(r, c).value = None

    previous: tuple[str, str] | None = None
    groups: dict[str, list[tuple[int, int]]] = {"level1": [], "level2": []}  # (first row, last row)
    for i, ind in enumerate(sample.indicators):
        r = header_row + 1 + i
        values = ind.inputs()
        new1 = previous is None or ind.level1 != previous[0]
        new2 = new1 or ind.level2 != previous[1]
        if sample.layout != LAYOUT_REPEAT:
            if not new1:
                values["level1"] = None
            if not new2:
                values["level2"] = None
        for key, is_new in (("level1", new1), ("level2", new2)):
            if is_new:
                groups[key].append((r, r))
            else:
                first, _ = groups[key][-1]
                groups[key][-1] = (first, r)
        for key, value in values.items():
            if key in cols:
                ws.cell(r, cols[key]).value = value
        if ind.actual_format and "actual" in cols:
            ws.cell(r, cols["actual"]).number_format = ind.actual_format
        previous = (ind.level1, ind.level2)

    if sample.layout == LAYOUT_MERGED:
        for key in ("level1", "level2"):
            for first, last in groups[key]:
                if last > first:
                    ws.merge_cells(start_row=first, start_column=cols[key], end_row=last, end_column=cols[key])


def fill_texts(ws: Worksheet, texts: dict[str, str | None]) -> None:
    header_row, cols = _find_header(ws, schema.TEXT_HEADER, 2)
    key_col, content_col = cols["key"], cols["content"]
    rows: dict[str, int] = {}
    for r in range(header_row + 1, ws.max_row + 1):
        key = ws.cell(r, key_col).value
        if isinstance(key, str) and key.strip():
            rows.setdefault(key.strip(), r)
    for key, content in texts.items():
        r = rows.get(key)
        if r is None:  # not in this type's template: add a row, as a user would
            r = ws.max_row + 1
            ws.cell(r, key_col).value = key
            if "title" in cols:
                ws.cell(r, cols["title"]).value = schema.ALL_SNIPPETS[key].title
            rows[key] = r
        ws.cell(r, content_col).value = content or None


def build_sample(sample: Sample) -> Workbook:
    wb = build_template(sample.report_type)
    fill_info(wb[schema.SHEET_INFO], sample.info)
    fill_budget(wb[schema.SHEET_BUDGET], sample)
    fill_indicators(wb[schema.SHEET_INDICATORS], sample)
    fill_texts(wb[schema.SHEET_TEXTS], sample.texts)
    return wb


# ---------------------------------------------------------------------------------------
# The same 攀枝花 project as the official form a Sichuan unit files (部门预算项目支出绩效自评表)
# ---------------------------------------------------------------------------------------
# What a unit has before it ever sees the template: one sheet, 预算执行情况(10分) above 绩效指标(90分),
# 指标性质 and 度量单位 in their own columns, its own 得分 column filled in (matching the rules)
# and the 合计 left for the tool. `uv run xlreport build` scores it in place.
FORM_SAMPLE = "攀枝花_2022_定点医药机构监管经费_四川自评表.xlsx"


def _official_forms():
    """samples/official_forms.py, loaded by path (the tests load this script the same way)."""
    import importlib.util

    name = "official_forms"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, SAMPLES_DIR / "official_forms.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while the class is built
        spec.loader.exec_module(module)
    return sys.modules[name]


def _form_indicator(forms, ind: Indicator, score: Any):
    """Split '≤9.21万元' into 指标性质 / 指标值 / 度量单位 as the Sichuan form asks."""
    target, nature, unit = ind.target, "定性", None
    m = re.fullmatch(r"(≤|≥)?\s*(\d+(?:\.\d+)?)\s*(%|万元)?", str(ind.target))
    if m:
        nature, target, unit = m.group(1) or "≥", m.group(2), m.group(3) or ind.unit
    return forms.FormIndicator(ind.level1, ind.level2, ind.name, target, ind.actual, ind.weight, stated=score,
                               nature=nature, unit=unit, deviation=ind.deviation)


def build_form_sample() -> Workbook:
    forms = _official_forms()
    sample = PANZHIHUA
    scores = [10, 10, 10, 10, 10, 5, 10, 10, 5, 10]  # the unit's own 得分: full marks, as published
    texts = sample.texts
    data = forms.FormData(
        kind=forms.SICHUAN, project=sample.info["project"], year="（2022年度）",
        department=sample.info["department"], unit=sample.info["unit"],
        budget={"总额": sample.budget_rows["total"], "其中:财政资金": sample.budget_rows["appropriation"],
                "财政专户管理资金": (0, 0, 0), "单位资金": (0, 0, 0), "其他资金": (0, 0, 0)},
        budget_weight=10, budget_score=10, goal=sample.info["goal"], goal_done=sample.info["goal_done"],
        indicators=[_form_indicator(forms, ind, s) for ind, s in zip(sample.indicators, scores)],
        total_weight=90, total_score=None,
        texts={"评价结论": "项目资金全部按计划支付，各项绩效指标均已完成，自评等级为“优”。",
               "存在问题": texts["存在的问题"] or "无", "改进措施": texts["改进措施"] or "无"})
    return forms.build(data)


def main(out_dir: str | Path = SAMPLES_DIR) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [save_atomic(build_sample(s), out / s.filename) for s in SAMPLES]
    return [*written, save_atomic(build_form_sample(), out / FORM_SAMPLE)]


if __name__ == "__main__":
    for path in main(sys.argv[1] if len(sys.argv) > 1 else SAMPLES_DIR):
        print(path)
