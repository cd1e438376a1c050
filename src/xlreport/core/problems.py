"""The catalogue of problems a workbook can have, with stable codes and Chinese messages.

Modelled on frictionless-py's error classes: each kind of problem has a stable code, a
level, a short title and a message template filled from the problem's own fields. The
position (sheet, cell) is data, not text, so the central office can count and filter.
The README's table of codes is generated from :data:`CATALOGUE`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Level(str, Enum):
    ERROR = "错误"
    WARNING = "警告"
    INFO = "提示"


@dataclass(frozen=True)
class ProblemType:
    code: str
    level: Level
    title: str
    template: str


def _t(code: str, level: Level, title: str, template: str) -> tuple[str, ProblemType]:
    return code, ProblemType(code, level, title, template)


E, W, I = Level.ERROR, Level.WARNING, Level.INFO

CATALOGUE: dict[str, ProblemType] = dict([
    # Structure
    _t("missing-sheet", E, "缺少工作表", "缺少工作表“{name}”。请使用 xlreport new 生成的标准模板，或按模板补建该工作表。"),
    _t("missing-column", E, "缺少列", "找不到表头“{name}”。请在表头行补上该列（列顺序可以调整，但列名需与模板一致）。"),
    _t("texts-sheet-missing", W, "缺少文字材料工作表", "缺少工作表“文字材料”，报告中的文字部分将标为“待填写”。请按模板补建该工作表。"),
    _t("missing-label", W, "缺少填报项", "找不到“{name}”一栏。请在A列写上“{name}”，并在其右侧单元格填写内容。"),
    _t("missing-row", E, "缺少行", "预算执行表中找不到“{name}”行。请按模板补上该行。"),
    _t("form-year-missing", W, "自评表未写年度", "自评表标题下未写明年度（如“（2022年度）”）。请在标题下一行写明评价年度。"),
    _t("form-budget-missing", W, "自评表缺少预算执行情况", "自评表中找不到预算执行情况（“年初预算数 | 全年预算数 | 全年执行数”表头）。请核对该部分表头，执行率不计分。"),
    _t("form-budget-total-missing", E, "自评表找不到年度资金总额", "预算执行情况中找不到“年度资金总额”（或“资金总额”“总额”）行，该部分的行名有：{seen}。请把总额所在行的名称改为“年度资金总额”。"),
    _t("form-score-differs", W, "填写的得分与评分规则不符", "“{name}”填写的得分为{stated}分，按评分规则应为{rule}分（见“建议得分”列）。请核对；本工具未改动您填写的得分。"),
    _t("form-no-texts", I, "自评表没有文字材料", "自评表没有单位概况、项目概况等文字材料，报告中这些部分将标为“待填写”。如需补写，可用 xlreport convert 转为完整模板后填写“文字材料”工作表。"),
    _t("info-invalid", W, "基本信息不规范", "“{name}”填写为“{value}”，无法识别，已按“{default}”处理。{advice}"),
    _t("info-missing", W, "基本信息未填", "“{name}”未填写。{advice}"),
    # Indicator rows
    _t("indicator-name-missing", E, "指标名称为空", "该行填写了指标内容但“三级指标”名称为空。请补写指标名称，或删除整行。"),
    _t("weight-missing", E, "分值为空", "指标“{name}”未填写分值。请填写该指标的分值。"),
    _t("weight-invalid", E, "分值无效", "指标“{name}”的分值“{value}”不是正数。请填写大于0的数字，如 5。"),
    _t("target-missing", E, "指标值为空", "指标“{name}”未填写指标值（目标）。请照抄批复的年度指标值。"),
    _t("target-unreadable", E, "指标值无法识别", "指标“{name}”的指标值“{value}”无法识别：{reason}。请改写为如“≥95%”“6-9个月”“不低于上年度”等形式。"),
    _t("actual-missing", E, "实际完成值为空", "指标“{name}”未填写实际完成值。请填写实际完成值；不适用的指标填“缺省”。"),
    _t("actual-unreadable", E, "实际完成值无法识别", "指标“{name}”的实际完成值“{value}”与指标值“{target}”无法比较：{reason}。请按指标值的形式填写数值，如“97.5%”。"),
    _t("unit-mismatch", E, "计量单位不一致", "指标“{name}”的指标值单位为“{target_unit}”，实际完成值单位为“{actual_unit}”，无法换算。请统一计量单位。"),
    _t("last-year-missing", E, "缺少上年值", "指标“{name}”的目标“{value}”需要与上年比较，但未填写上年值，实际完成值也未写明增减。请在“上年值”列填写上年实际值。"),
    _t("nature-invalid", E, "指标性质无效", "指标“{name}”的指标性质“{value}”不在下拉列表中。请选择 ≥、≤、=、>、<、区间 或 定性。"),
    _t("nature-conflict", W, "指标性质与指标值矛盾", "指标“{name}”的指标性质为“{nature}”，但指标值“{value}”写明的是“{op}”。已按指标性质“{nature}”评分，请核对。"),
    _t("method-invalid", E, "评分方法无效", "指标“{name}”的评分方法“{value}”不在下拉列表中。请选择 比例、达标 或 定性。"),
    _t("method-not-applicable", W, "评分方法不适用", "指标“{name}”的指标值“{value}”是文字目标，不能按“{method}”计算，已按定性评分。请核对评分方法。"),
    _t("degree-invalid", E, "达成程度无效", "指标“{name}”的达成程度“{value}”不在下拉列表中。请选择 达成、部分达成 或 未达成。"),
    _t("degree-unknown", E, "无法判断达成程度", "定性指标“{name}”的实际完成值“{value}”无法判断是否达成。请在“达成程度”列选择 达成、部分达成 或 未达成。"),
    _t("duplicate-indicator", W, "指标名称重复", "二级指标“{group}”下的指标“{name}”重复出现（另见{other}）。请核对是否重复填报。"),
    # Weights
    _t("weight-total", E, "分值合计不等于100", "全部指标分值（{indicators}）加预算执行率分值（{budget}）合计为{total}分，应为100分。请调整分值。"),
    _t("declared-weight-mismatch", W, "分值与下级合计不符", "“{name}”标明{declared}分，但其下级指标分值合计为{actual}分。请核对分值。"),
    # Manual scores
    _t("manual-score-range", E, "人工得分超出范围", "指标“{name}”的人工得分“{value}”不在 0 至 {weight} 分之间。请修改人工得分。"),
    _t("manual-score-invalid", E, "人工得分无效", "指标“{name}”的人工得分“{value}”不是数字。请填写数字或清空。"),
    _t("manual-score-no-reason", E, "人工得分缺少理由", "指标“{name}”填写了人工得分{value}分，但“调整理由”为空。请写明调整理由。"),
    _t("manual-score-band", E, "人工得分与达成程度不符", "指标“{name}”的达成程度为“{degree}”，人工得分应在{low}至{high}分之间（分值{weight}分），现为{value}分。请修改人工得分或达成程度。"),
    _t("manual-score-used", I, "采用人工得分", "指标“{name}”采用人工得分{value}分（建议得分{suggested}分），理由：{reason}"),
    # Deviations
    _t("percent-as-fraction", E, "百分比疑似写成小数", "指标“{name}”的指标值为“{target}”，实际完成值却是“{value}”（常规格式，未带%）。按{value}%和按{percent}%评分结果不同，无法确定本意。请改为“{percent}%”（或把单元格设为百分比格式），如确为{value}%请写明“{value}%”，再重新评分。"),
    _t("deviation-missing", W, "未完成目标缺少偏差分析", "指标“{name}”未达到目标（{target}，实际{actual}），但“偏差原因分析及改进措施”为空。请说明原因和改进措施。"),
    _t("exceeded-no-analysis", W, "大幅超额缺少分析", "指标“{name}”大幅超额完成（{target}，实际{actual}），请在“偏差原因分析及改进措施”中分析目标是否设置偏低。"),
    _t("default-no-explanation", W, "缺省指标缺少说明", "指标“{name}”按缺省处理，但“完成情况说明”为空。请说明不适用的原因。"),
    _t("default-rescaled", I, "缺省指标不计分", "指标“{name}”按缺省处理，不计入总分，总分按100分折算。"),
    # Budget
    _t("budget-value-invalid", E, "金额无效", "“{name}”的“{column}”填写为“{value}”，不是金额。请填写以万元为单位的数字。"),
    _t("budget-negative", E, "金额为负数", "“{name}”的“{column}”为负数（{value}）。请核对金额。"),
    _t("budget-unit-unclear", E, "金额单位存疑", "“{name}”的“{column}”为{value}，按万元计相当于{yuan}亿元，与其他金额（如{other}万元）相差悬殊，疑似按元填写。请确认单位：如为元，请在金额后加“元”或在表头写明“（元）”；如确为万元，请核对金额。"),
    _t("budget-unit-too-small", E, "金额单位存疑", "表头写明金额单位为元，“{name}”的“{column}”为{value}元（{wan}万元），金额过小，疑似按万元填写。请确认单位：如为万元，请把表头改为“（万元）”；如确为元，请核对金额。"),
    _t("budget-missing", E, "缺少预算数", "“年度资金总额”的全年预算数为空或为0，无法计算预算执行率。请填写全年预算数。"),
    _t("budget-overspent", W, "执行数超过预算数", "“{name}”的全年执行数{executed}万元大于全年预算数{annual}万元。请核对。"),
    _t("budget-subrows", W, "分项合计不等于总额", "“{column}”各分项合计{parts}万元，与年度资金总额{total}万元不符。请核对。"),
    _t("budget-total-derived", I, "年度资金总额按分项合计", "“年度资金总额”的“{column}”未填写，已按各分项合计{parts}万元计算。如有不同请填写年度资金总额。"),
    _t("rate-mismatch", W, "执行率与预算数不符", "填写的预算执行率为{stated}，但按全年执行数÷全年预算数计算为{computed}。已按计算值评分，请核对。"),
    _t("budget-double-count", E, "预算执行率重复计分", "预算执行表的“预算执行率分值”为{weight}分，指标表中又有“预算执行率”指标（{where}），会重复计分。请将其中一处分值改为0。"),
    _t("budget-method-invalid", W, "执行率评分方法无效", "执行率评分方法“{value}”无法识别，已按“比例”评分。请选择 比例 或 达标。"),
    _t("budget-threshold-invalid", E, "执行率达标值无效", "执行率评分方法为“达标”，但执行率达标值“{value}”无法识别。请填写如 90%。"),
    _t("allocation-subtotal", W, "资金下达小计不符", "资金下达明细第{seq}行小计{subtotal}万元，与各级资金合计{computed}万元不符。请核对。"),
    # Formulas
    _t("formula-error", E, "公式错误", "单元格的值是Excel错误“{value}”。请修正公式后保存，再重新评分。"),
    _t("formula-no-cache", E, "公式没有计算结果", "单元格是公式（{formula}），但文件中没有保存计算结果。请在Excel中打开并保存一次，再重新评分。"),
    _t("value-invalid", E, "数值无效", "“{name}”应填写数字，现为“{value}”。请改为数字。"),
    # Texts
    _t("snippet-empty", W, "文字材料未填写", "文字材料“{name}”为空，报告中该部分将标为“待填写”。请补写。"),
    _t("snippet-generated", I, "文字材料已自动生成", "文字材料“{name}”为空，报告中已根据数据自动生成，请核对。"),
    # Rules profiles (docs/rules.md)
    _t("rules-unknown", E, "评分规则无法识别", "“评分规则”填写为“{value}”，不是内置规则（{builtins}），工作簿中也没有携带该规则。请从下拉列表选择，或请汇总单位用 --rules 指定规则文件。"),
    _t("rules-overridden", W, "按汇总单位的评分规则评分", "工作簿选择的评分规则为“{wanted}”，本次按{by}指定的评分规则“{used}”评分。"),
    _t("rules-changed", I, "评分规则已更新", "工作簿下发时的评分规则“{name}”（参数摘要{old}）与本次使用的版本（{new}）不同，已按本次使用的版本评分。"),
    _t("rules-setting-ignored", I, "按评分规则统一设置", "“{name}”填写为“{value}”，评分规则“{rules}”统一规定为“{fixed}”，已按评分规则评分。"),
    _t("rules-budget-points", W, "预算执行率分值与评分规则不符", "评分规则“{rules}”规定预算执行率分值为{points}分，工作簿填写为{weight}分。已按工作簿填写的分值评分，请核对。"),
    _t("rules-cap-no-rate", E, "无法按执行率限制总分", "评分规则“{rules}”按预算执行率限制总分，但无法计算预算执行率。请在预算执行表填写年度资金总额的全年预算数和全年执行数。"),
    _t("rules-capped", I, "总分受执行率限制", "{text}（评分规则“{rules}”）"),
    _t("rules-deviation", I, "偏差扣分", "指标“{name}”{text}（评分规则“{rules}”）"),
    _t("report-placeholder", I, "报告留有待填写内容", "自评报告“{section}”部分留有待填写内容（{what}），已在报告中以黄色突出显示。请在工作簿中补充后重新生成，或直接在报告中补写。"),
    # Result
    _t("score-incomplete", I, "总分不完整", "存在{count}个错误，总分不完整。请先修正错误。"),
])


@dataclass(frozen=True)
class Problem:
    """One problem found in a workbook, positioned at a cell where it has one."""

    code: str
    sheet: str | None = None
    cell: str | None = None
    fields: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def type(self) -> ProblemType:
        return CATALOGUE[self.code]

    @property
    def level(self) -> Level:
        return self.type.level

    @property
    def title(self) -> str:
        return self.type.title

    @property
    def message(self) -> str:
        """The message without the position."""
        return self.type.template.format(**self.fields)

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"工作表“{self.sheet}”{self.cell}单元格"
        if self.sheet:
            return f"工作表“{self.sheet}”"
        return ""

    @property
    def text(self) -> str:
        """The message a user reads: where, then what and what to do."""
        return f"{self.location}：{self.message}" if self.location else self.message


def problem(code: str, sheet: str | None = None, cell: str | None = None, **fields: Any) -> Problem:
    if code not in CATALOGUE:
        raise KeyError(f"unknown problem code {code!r}")
    return Problem(code, sheet, cell, fields)
