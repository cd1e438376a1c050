"""The workbook contract (docs/workbook.md): sheet names, labels, headers and closed lists.

Everything that locates data in a workbook goes through this module, so the template
generator, the reader and the documentation always agree on the words.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

TEMPLATE_ID = "xlreport-selfeval"
TEMPLATE_VERSION = 1

# Sheet names --------------------------------------------------------------------------
SHEET_INFO = "基本信息"
SHEET_BUDGET = "预算执行"
SHEET_INDICATORS = "绩效指标"
SHEET_TEXTS = "文字材料"
SHEET_SCORES = "评分结果"
SHEET_PROBLEMS = "校验结果"
SHEET_META = "_meta"

INPUT_SHEETS = (SHEET_INFO, SHEET_BUDGET, SHEET_INDICATORS, SHEET_TEXTS)
OUTPUT_SHEETS = (SHEET_SCORES, SHEET_PROBLEMS)

# Report types -------------------------------------------------------------------------
TYPE_PROJECT = "项目支出"
TYPE_DEPARTMENT = "部门整体支出"
TYPE_TRANSFER = "转移支付"
REPORT_TYPES = (TYPE_PROJECT, TYPE_DEPARTMENT, TYPE_TRANSFER)

# Closed lists (drop-downs) ------------------------------------------------------------
NATURES = ("≥", "≤", "＝", ">", "<", "区间", "定性")  # full-width ＝: a bare "=" picked from a list can start a formula in Excel
METHODS = ("比例", "达标", "定性")
DEGREES = ("达成", "部分达成", "未达成")
DEFAULT_HANDLING = ("满分", "折算")
BUDGET_METHODS = ("比例", "达标")
DEFAULT_GRADES = "90:优,80:良,60:中,0:差"


@dataclass(frozen=True)
class Label:
    """A label the reader looks for, with the spellings people actually use."""

    key: str
    text: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    hint: str = ""

    def spellings(self) -> tuple[str, ...]:
        return (self.text, *self.aliases)


# 基本信息 ------------------------------------------------------------------------------
INFO_LABELS: tuple[Label, ...] = (
    Label("report_type", "报告类型", ("评价类型", "自评类型"), True,
          "从下拉列表选择：项目支出、部门整体支出或转移支付。"),
    Label("year", "评价年度", ("年度", "自评年度", "预算年度"), True, "填写四位年份，如 2022。"),
    Label("project", "项目名称", ("资金名称", "项目（资金）名称", "部门名称", "部门（单位）名称", "单位（部门）名称"), True,
          "填写项目或资金名称；部门整体支出填写部门名称。"),
    Label("department", "主管部门", ("主管单位",), True, "填写主管部门全称。"),
    Label("unit", "实施单位", ("单位名称", "填报单位", "项目实施单位", "项目单位"), True, "填写实施单位全称。"),
    Label("goal", "年度总体目标", ("总体目标", "年度目标"), True, "照抄批复的年度总体目标。"),
    Label("goal_done", "年度目标完成情况", ("总体目标完成情况", "实际完成情况"), True,
          "写明年度总体目标的实际完成情况。"),
    Label("default_handling", "缺省指标处理", ("缺省处理",), False,
          "满分：标为“缺省”的指标得满分；折算：不计入，总分按100分折算。"),
    Label("grades", "等级划分", ("评价等级划分", "等级标准"), False,
          "格式如 90:优,80:良,60:中,0:差（下限含本数）。"),
    Label("contact", "联系人", (), False, "填报联系人姓名。"),
    Label("phone", "联系电话", ("电话",), False, "填报联系人电话。"),
    Label("email", "电子邮箱", ("邮箱", "Email", "E-mail"), False,
          "汇总中心回复结果的邮箱，可不填。"),
    Label("rules", "评分规则", ("评分规则方案",), False,
          "从下拉列表选择；空白按国家标准（财预〔2020〕10号）。汇总单位另有规定的，以汇总单位为准。"),
)

# 预算执行 ------------------------------------------------------------------------------
BUDGET_HEADER = (
    Label("category", "资金类别", ("资金来源", "项目", "年度预算数", "资金项目")),
    Label("initial", "年初预算数", ("年初预算", "年初预算数（万元）")),
    Label("annual", "全年预算数", ("全年预算", "调整后预算数", "调整后预算", "预算数", "全年预算数（调整后）")),
    Label("executed", "全年执行数", ("全年执行", "预算执行数", "执行数", "实际支出数", "支出数", "全年实际执行数")),
)
# The rate, weight and score columns an official form puts beside the budget figures.
BUDGET_FORM_COLUMNS = (
    Label("weight", "分值", ("权重", "权重分值")),
    Label("rate", "执行率", ("预算执行率",)),
    Label("score", "得分", ("执行率得分", "预算执行率得分")),
)
BUDGET_ROWS = (
    Label("total", "年度资金总额", ("资金总额", "总额", "合计", "年度资金总额合计", "资金总额合计",
                                    "年度财政资金总额", "财政资金总额")),
    Label("appropriation", "其中：当年财政拨款", ("当年财政拨款", "其中当年财政拨款", "财政拨款", "财政资金",
                                              "一般公共预算财政拨款", "一般公共预算", "一般公共预算拨款",
                                              "本年财政拨款", "当年财政资金")),
    Label("carryover", "上年结转资金", ("上年结转",)),
    Label("other", "其他资金", ("其他",)),
)
# Rows only official forms have (provincial project forms, 部门整体支出 by source and by use).
FORM_BUDGET_ROWS = (
    Label("fund", "政府性基金预算拨款", ("政府性基金预算", "政府性基金拨款", "政府性基金预算财政拨款")),
    Label("state_capital", "国有资本经营预算拨款", ("国有资本经营预算", "国有资本经营预算财政拨款")),
    Label("special", "财政专户管理资金", ("财政专户管理资金收入", "财政专户资金")),
    Label("unit_funds", "单位资金", ("单位自有资金", "单位自筹资金", "自筹资金")),
    Label("central", "中央补助资金", ("中央补助", "中央资金", "中央财政资金", "中央财政补助资金")),
    Label("local", "地方资金", ("地方财政资金", "省级资金", "市县级资金", "地方配套资金", "地方财政配套资金")),
    Label("basic", "基本支出", ()),
    Label("project", "项目支出", ()),
)
ALL_BUDGET_ROWS = BUDGET_ROWS + FORM_BUDGET_ROWS
# 部门整体支出: funds split twice, by source (按收入性质) and by use (按支出性质); each split
# adds up to the total on its own.
BUDGET_GROUP_MARKS = (("income", ("按收入性质分", "按收入性质")), ("expense", ("按支出性质分", "按支出性质")))
EXPENSE_ROWS = ("basic", "project")
BUDGET_LABELS = (
    Label("weight", "预算执行率分值", ("执行率分值",), False, "默认10分；执行率作为指标表中的一项时填0。"),
    Label("method", "执行率评分方法", ("预算执行率评分方法",), False,
          "比例：分值×执行率；达标：达到达标值得满分，否则不得分。"),
    Label("threshold", "执行率达标值", ("预算执行率达标值",), False, "如 90%，评分方法为“达标”时使用。"),
)
BUDGET_OUTPUTS = (
    Label("rate", "预算执行率", ()),
    Label("score", "预算执行率得分", ("执行率得分",)),
)
ALLOCATION_TITLE = "资金下达明细"
ALLOCATION_HEADER = (
    Label("seq", "序号"),
    Label("document", "预算指标文件", ("文件", "指标文件")),
    Label("central", "中央级", ("中央",)),
    Label("provincial", "省级", ("省级资金", "自治区级")),
    Label("local", "市县级", ("市县级资金", "市级", "县级")),
    Label("subtotal", "小计", ("合计",)),
)

# 绩效指标 ------------------------------------------------------------------------------
INDICATOR_ANCHOR = "三级指标"
INDICATOR_INPUTS = (
    Label("level1", "一级指标", (), True, "如 产出指标、效益指标；空白或合并单元格表示同上。可写分值：项目产出（35分）"),
    Label("level2", "二级指标", (), True, "如 数量指标、质量指标；规则同一级指标。"),
    Label("name", "三级指标", ("指标名称",), True, "指标名称，必填。"),
    Label("nature", "指标性质", ("指标方向", "运算符"), False, "≥ ≤ = > < 区间 定性；指标值已写明时可不填。"),
    Label("target", "指标值", ("年度指标值", "目标值", "标准值", "指标值（目标）", "年度目标值", "全年指标值",
                             "预期指标值", "绩效指标值", "计划值", "年度计划值", "指标目标值",
                             "年初目标值", "年初指标值"), True,
          "如 95、≥95%、6-9个月、不低于上年度、显著提升。"),
    Label("unit", "度量单位", ("单位", "计量单位"), False, "%、人、次、万元、个月等；指标值中已带单位时可不填。"),
    Label("actual", "实际完成值", ("实际值", "全年实际值", "实际完成情况", "完成值", "全年实际完成值",
                                 "实际完成指标值", "全年完成值", "年度实际完成值", "实际完成数"), True,
          "如 97.50%、176268、提高13.62%、缺省、符合。"),
    Label("weight", "分值", ("权重", "权重分值", "指标分值", "指标权重", "标准分值", "满分值"), True,
          "本指标分值，全部分值加预算执行率分值合计100。"),
    Label("method", "评分方法", (), False, "比例（数值指标默认）、达标、定性（文字指标默认）。"),
    Label("degree", "达成程度", (), False, "仅定性指标：达成、部分达成、未达成；填写后优先于自动判断。"),
    Label("last_year", "上年值", ("上年实际值", "上年度值"), False, "目标为“不低于上年”等时必填。"),
    Label("deviation", "偏差原因分析及改进措施", ("偏差原因分析", "偏差原因", "偏差原因及改进措施", "未完成原因分析",
                                          "未完成原因分析及改进措施", "原因", "原因分析", "偏差原因分析及整改措施",
                                          "扣分原因", "扣分原因分析", "偏差及扣分原因"), False,
          "未完成目标或大幅超额完成时必填。"),
    Label("explanation", "完成情况说明", ("指标完成情况说明", "情况说明"), False, "报告中本指标的段落。"),
    Label("manual_score", "人工得分", ("调整得分",), False, "可选；填写后替代建议得分。"),
    Label("manual_reason", "调整理由", ("人工调整理由",), False, "填写人工得分时必填。"),
)
# A unit's own score column (official forms have one; the template does not): read to compare
# with the rules, never overwritten unless empty.
INDICATOR_STATED = (Label("stated_score", "得分", ("自评分", "单位自评得分")),)
INDICATOR_OUTPUTS = (
    Label("suggested", "建议得分"),
    Label("final", "自评得分"),  # no alias: a "得分" column a unit typed is theirs, never overwritten
    Label("rate", "得分率"),
    Label("note", "评分说明"),
)

# The 一级/二级 skeleton a blank template starts from, per report type: (一级指标, (二级指标, ...)).
# 项目支出 and 部门整体支出 follow the standard 自评表; 转移支付 follows the 4-level evaluation
# system of the published 红寺堡 2022 report (samples/红寺堡_2022_城乡居民医保补助资金.xlsx, docs/workbook.md).
SKELETONS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    TYPE_PROJECT: (
        ("产出指标", ("数量指标", "质量指标", "时效指标", "成本指标")),
        ("效益指标", ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标")),
        ("满意度指标", ("服务对象满意度指标",)),
    ),
    TYPE_DEPARTMENT: (
        ("产出指标", ("数量指标", "质量指标", "时效指标", "成本指标")),
        ("效益指标", ("社会效益指标", "可持续影响指标")),
        ("满意度指标", ("服务对象满意度指标",)),
    ),
    TYPE_TRANSFER: (
        ("项目决策", ("决策依据", "决策过程", "政策落实", "绩效目标", "预算编制", "资金分配")),
        ("过程管理", ("资金管理", "组织管理")),
        ("项目产出", ("数量指标", "质量指标", "时效指标")),
        ("项目效益", ("社会效益指标", "可持续影响指标", "满意度指标")),
    ),
}

# Official one-sheet forms ------------------------------------------------------------------
# Words of the form's own header block: goal headers, text rows and titles.
FORM_GOAL_HEADERS = ("预期目标", "年度目标", "总体目标", "年初设定目标")
FORM_DONE_HEADERS = ("实际完成情况", "实际完成目标", "目标完成情况", "完成情况", "全年实际完成情况")
FORM_GOAL_LABELS = ("年度总体目标", "总体目标", "年度总体目标完成情况", "年度绩效目标", "部门整体支出年度绩效目标")
FORM_TEXT_ROWS = {  # row label -> snippet key
    "评价结论": "评价结论", "自评结论": "评价结论", "存在问题": "存在的问题", "存在的问题": "存在的问题",
    "主要问题": "存在的问题", "改进措施": "改进措施", "整改措施": "改进措施", "改进意见": "改进措施",
    "其他需要说明的问题": "其他说明", "其他说明": "其他说明", "结果应用": "结果应用",
}
FORM_TITLES = ((TYPE_DEPARTMENT, ("部门整体支出", "整体支出绩效")), (TYPE_TRANSFER, ("转移支付",)),
               (TYPE_PROJECT, ("项目支出", "项目绩效")))
BUDGET_RATE_NAMES = ("预算执行率", "资金执行率", "预算资金执行率")  # an indicator that is the execution rate
SUMMARY_ROWS = ("合计", "总分", "总计", "小计", "分值合计", "总得分", "合计得分", "综合得分", "自评总分", "自评得分合计")

# 文字材料 ------------------------------------------------------------------------------
TEXT_HEADER = (
    Label("key", "键", ("章节",)),
    Label("title", "标题"),
    Label("content", "内容", ("正文",)),
    Label("hint", "填写提示", ("提示",)),
)


@dataclass(frozen=True)
class Snippet:
    key: str
    title: str
    hint: str
    generated: bool  # True when the tool can write it from data if left empty


_SNIPPETS = {
    "单位概况": Snippet("单位概况", "单位基本情况", "单位职能、编制、内设机构等。", False),
    "项目概况": Snippet("项目概况", "项目基本情况", "项目背景、依据文件、主要内容。", False),
    "资金投入情况": Snippet("资金投入情况", "资金投入和使用情况", "资金来源、到位、支出；空白时根据预算执行表生成。", True),
    "资金管理情况": Snippet("资金管理情况", "资金管理情况", "资金分配、拨付、核算、监管情况。", False),
    "组织实施情况": Snippet("组织实施情况", "组织实施情况", "自评工作的组织、方法和过程；空白时使用标准表述。", True),
    "存在的问题": Snippet("存在的问题", "存在的问题", "空白时根据未完成指标和执行率生成。", True),
    "改进措施": Snippet("改进措施", "改进措施", "针对问题的下一步措施。", False),
    "结果应用": Snippet("结果应用", "绩效自评结果应用和公开情况", "结果报送、公开、与预算安排挂钩情况。", False),
    "其他说明": Snippet("其他说明", "其他需要说明的问题", "无则填“无”。", False),
    "部门职能": Snippet("部门职能", "部门基本情况", "部门职能、机构设置、人员编制。", False),
    "项目资金执行情况": Snippet("项目资金执行情况", "项目资金执行情况", "各项目资金下达和支付情况。", False),
    "履职成效": Snippet("履职成效", "主要履职成效", "围绕部门职责取得的主要成效，可分专题逐段叙述。", False),
    # Only official forms carry it (a 评价结论 row); the template's conclusion is generated.
    "评价结论": Snippet("评价结论", "评价结论", "自评表中单位填写的评价结论。", False),
}

SNIPPETS_BY_TYPE: dict[str, tuple[Snippet, ...]] = {
    TYPE_PROJECT: tuple(_SNIPPETS[k] for k in (
        "单位概况", "项目概况", "资金投入情况", "资金管理情况", "组织实施情况",
        "存在的问题", "改进措施", "结果应用", "其他说明")),
    TYPE_TRANSFER: tuple(_SNIPPETS[k] for k in (
        "单位概况", "项目概况", "资金投入情况", "资金管理情况", "组织实施情况",
        "存在的问题", "改进措施", "结果应用", "其他说明")),
    TYPE_DEPARTMENT: tuple(_SNIPPETS[k] for k in (
        "部门职能", "资金投入情况", "项目资金执行情况", "资金管理情况", "履职成效", "组织实施情况",
        "存在的问题", "改进措施", "结果应用", "其他说明")),
}
ALL_SNIPPETS = _SNIPPETS


# Matching -----------------------------------------------------------------------------
_PAREN_SUFFIX = re.compile(r"[(\[【][^()\[\]【】]*[)\]】]$")
_NOISE = re.compile(r"[\s*＊:：]+")


def normalize_label(text: object) -> str:
    """Fold a label for comparison: full/half width, spaces, '（万元）'-style suffixes, '*' marks."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text))
    s = _NOISE.sub("", s)
    while True:
        stripped = _PAREN_SUFFIX.sub("", s)
        if stripped == s or not stripped:
            break
        s = stripped
    return s.lower()


@lru_cache(maxsize=None)
def is_budget_rate_name(name: str) -> bool:
    """An indicator that is the 预算执行率 (scored from the budget figures)."""
    return normalize_label(name) in BUDGET_RATE_NAMES


def label_index(labels: tuple[Label, ...]) -> dict[str, str]:
    """Map every normalised spelling to its label key (first spelling wins)."""
    index: dict[str, str] = {}
    for label in labels:
        for spelling in label.spellings():
            index.setdefault(normalize_label(spelling), label.key)
    return index


def match_label(text: object, labels: tuple[Label, ...]) -> str | None:
    return label_index(labels).get(normalize_label(text))
