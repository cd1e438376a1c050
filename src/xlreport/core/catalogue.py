"""The one catalogue of every stable code a user can see, with Chinese titles and messages.

Modelled on frictionless-py's error classes. Each entry has a stable code (never renamed:
workbooks' 校验结果 sheets, mail replies and the central office's statistics keep it), the
family it belongs to, a level for problems in a workbook, a short Chinese title, a message
template with named placeholders (some codes have a few named variants of it), and the exit
code when the failure ends a command. Raise sites name a code and its fields; the text lives
here only. The README's tables 问题代码, 原因代码 and 退出码 list every entry (tests/test_docs.py);
tests/test_catalogue.py checks that every code the source uses is here and every entry is used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum, StrEnum
from typing import Any


class Exit(IntEnum):
    """The one table of exit codes: the command line, batch rows, mail runs and the Excel button."""

    OK = 0  # done (perhaps with warnings or hints)
    ERRORS = 1  # not all done: errors remain in a workbook, or mail is left for the next run
    UNUSABLE = 2  # a file, configuration, rules profile, report or bundle could not be made or used
    INTERNAL = 3  # a bug: the message asks for --debug output
    INTERRUPTED = 130  # Ctrl+C, as shells report it


class Level(str, Enum):
    ERROR = "错误"
    WARNING = "警告"
    INFO = "提示"


class Family(StrEnum):
    """Where a code comes from; each family is listed in one table of the README."""

    PROBLEM = "工作簿问题"  # a problem in a workbook, shown in its 校验结果 sheet (## 问题代码)
    FILE = "文件"  # a file that cannot be read, converted or written
    REPORT = "自评报告"
    RULES = "评分规则"
    EXCEL = "Excel 按钮"
    ADDIN = "Excel 加载项"
    BUNDLE = "离线安装包"
    PORTAL = "网上报送平台"  # including central.toml
    MAIL = "邮件汇总处理"  # reasons in the mail registry, mail.toml and its database (### 七、原因代码)
    ROSTER = "单位名单"
    PROGRAM = "程序"  # a bug in xlreport itself


@dataclass(frozen=True)
class Entry:
    """One stable code: what it is called, where it belongs, and the words a user reads."""

    code: str
    family: Family
    title: str
    template: str
    level: Level | None = None  # problems only
    exit_code: Exit | None = None  # when the failure ends a command
    variants: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def message(self, variant: str | None = None, **fields: Any) -> str:
        template = self.variants[variant] if variant else self.template
        return template.format(**fields)


E, W, I = Level.ERROR, Level.WARNING, Level.INFO
_entries: list[Entry] = []


def _p(code: str, level: Level, title: str, template: str) -> None:
    _entries.append(Entry(code, Family.PROBLEM, title, template, level=level))


def _f(code: str, family: Family, title: str, template: str, exit_code: Exit | None = Exit.UNUSABLE,
       **variants: str) -> None:
    _entries.append(Entry(code, family, title, template, exit_code=exit_code,
                          variants={k.replace("_", "-"): v for k, v in variants.items()}))


# Problems in a workbook ------------------------------------------------------------------
# Structure
_p("missing-sheet", E, "缺少工作表", "缺少工作表“{name}”。请使用 xlreport new 生成的标准模板，或按模板补建该工作表。")
_p("missing-column", E, "缺少列", "找不到表头“{name}”。请在表头行补上该列（列顺序可以调整，但列名需与模板一致）。")
_p("texts-sheet-missing", W, "缺少文字材料工作表", "缺少工作表“文字材料”，报告中的文字部分将标为“待填写”。请按模板补建该工作表。")
_p("missing-label", W, "缺少填报项", "找不到“{name}”一栏。请在A列写上“{name}”，并在其右侧单元格填写内容。")
_p("missing-row", E, "缺少行", "预算执行表中找不到“{name}”行。请按模板补上该行。")
_p("form-year-missing", W, "自评表未写年度", "自评表标题下未写明年度（如“（2022年度）”）。请在标题下一行写明评价年度。")
_p("form-budget-missing", W, "自评表缺少预算执行情况", "自评表中找不到预算执行情况（“年初预算数 | 全年预算数 | 全年执行数”表头）。请核对该部分表头，执行率不计分。")
_p("form-budget-total-missing", E, "自评表找不到年度资金总额", "预算执行情况中找不到“年度资金总额”（或“资金总额”“总额”）行，该部分的行名有：{seen}。请把总额所在行的名称改为“年度资金总额”。")
_p("form-score-differs", W, "填写的得分与评分规则不符", "“{name}”填写的得分为{stated}分，按评分规则应为{rule}分（见“建议得分”列）。请核对；本工具未改动您填写的得分。")
_p("form-no-texts", I, "自评表没有文字材料", "自评表没有单位概况、项目概况等文字材料，报告中这些部分将标为“待填写”。如需补写，可用 xlreport convert 转为完整模板后填写“文字材料”工作表。")
_p("info-invalid", W, "基本信息不规范", "“{name}”填写为“{value}”，无法识别，已按“{default}”处理。{advice}")
_p("info-missing", W, "基本信息未填", "“{name}”未填写。{advice}")
# Indicator rows
_p("indicator-name-missing", E, "指标名称为空", "该行填写了指标内容但“三级指标”名称为空。请补写指标名称，或删除整行。")
_p("weight-missing", E, "分值为空", "指标“{name}”未填写分值。请填写该指标的分值。")
_p("weight-invalid", E, "分值无效", "指标“{name}”的分值“{value}”不是正数。请填写大于0的数字，如 5。")
_p("target-missing", E, "指标值为空", "指标“{name}”未填写指标值（目标）。请照抄批复的年度指标值。")
_p("target-unreadable", E, "指标值无法识别", "指标“{name}”的指标值“{value}”无法识别：{reason}。请改写为如“≥95%”“6-9个月”“不低于上年度”等形式。")
_p("actual-missing", E, "实际完成值为空", "指标“{name}”未填写实际完成值。请填写实际完成值；不适用的指标填“缺省”。")
_p("actual-unreadable", E, "实际完成值无法识别", "指标“{name}”的实际完成值“{value}”与指标值“{target}”无法比较：{reason}。请按指标值的形式填写数值，如“97.5%”。")
_p("unit-mismatch", E, "计量单位不一致", "指标“{name}”的指标值单位为“{target_unit}”，实际完成值单位为“{actual_unit}”，无法换算。请统一计量单位。")
_p("last-year-missing", E, "缺少上年值", "指标“{name}”的目标“{value}”需要与上年比较，但未填写上年值，实际完成值也未写明增减。请在“上年值”列填写上年实际值。")
_p("nature-invalid", E, "指标性质无效", "指标“{name}”的指标性质“{value}”不在下拉列表中。请选择 ≥、≤、=、>、<、区间 或 定性。")
_p("nature-conflict", W, "指标性质与指标值矛盾", "指标“{name}”的指标性质为“{nature}”，但指标值“{value}”写明的是“{op}”。已按指标性质“{nature}”评分，请核对。")
_p("method-invalid", E, "评分方法无效", "指标“{name}”的评分方法“{value}”不在下拉列表中。请选择 比例、达标 或 定性。")
_p("method-not-applicable", W, "评分方法不适用", "指标“{name}”的指标值“{value}”是文字目标，不能按“{method}”计算，已按定性评分。请核对评分方法。")
_p("degree-invalid", E, "达成程度无效", "指标“{name}”的达成程度“{value}”不在下拉列表中。请选择 达成、部分达成 或 未达成。")
_p("degree-unknown", E, "无法判断达成程度", "定性指标“{name}”的实际完成值“{value}”无法判断是否达成。请在“达成程度”列选择 达成、部分达成 或 未达成。")
_p("duplicate-indicator", W, "指标名称重复", "二级指标“{group}”下的指标“{name}”重复出现（另见{other}）。请核对是否重复填报。")
# Weights
_p("weight-total", E, "分值合计不等于100", "全部指标分值（{indicators}）加预算执行率分值（{budget}）合计为{total}分，应为100分。请调整分值。")
_p("declared-weight-mismatch", W, "分值与下级合计不符", "“{name}”标明{declared}分，但其下级指标分值合计为{actual}分。请核对分值。")
# Manual scores
_p("manual-score-range", E, "人工得分超出范围", "指标“{name}”的人工得分“{value}”不在 0 至 {weight} 分之间。请修改人工得分。")
_p("manual-score-invalid", E, "人工得分无效", "指标“{name}”的人工得分“{value}”不是数字。请填写数字或清空。")
_p("manual-score-no-reason", E, "人工得分缺少理由", "指标“{name}”填写了人工得分{value}分，但“调整理由”为空。请写明调整理由。")
_p("manual-score-band", E, "人工得分与达成程度不符", "指标“{name}”的达成程度为“{degree}”，人工得分应在{low}至{high}分之间（分值{weight}分），现为{value}分。请修改人工得分或达成程度。")
_p("manual-score-used", I, "采用人工得分", "指标“{name}”采用人工得分{value}分（建议得分{suggested}分），理由：{reason}")
# Deviations
_p("percent-as-fraction", E, "百分比疑似写成小数", "指标“{name}”的指标值为“{target}”，实际完成值却是“{value}”（常规格式，未带%）。按{value}%和按{percent}%评分结果不同，无法确定本意。请改为“{percent}%”（或把单元格设为百分比格式），如确为{value}%请写明“{value}%”，再重新评分。")
_p("deviation-missing", W, "未完成目标缺少偏差分析", "指标“{name}”未达到目标（{target}，实际{actual}），但“偏差原因分析及改进措施”为空。请说明原因和改进措施。")
_p("exceeded-no-analysis", W, "大幅超额缺少分析", "指标“{name}”大幅超额完成（{target}，实际{actual}），请在“偏差原因分析及改进措施”中分析目标是否设置偏低。")
_p("default-no-explanation", W, "缺省指标缺少说明", "指标“{name}”按缺省处理，但“完成情况说明”为空。请说明不适用的原因。")
_p("default-rescaled", I, "缺省指标不计分", "指标“{name}”按缺省处理，不计入总分，总分按100分折算。")
# Budget
_p("budget-value-invalid", E, "金额无效", "“{name}”的“{column}”填写为“{value}”，不是金额。请填写以万元为单位的数字。")
_p("budget-negative", E, "金额为负数", "“{name}”的“{column}”为负数（{value}）。请核对金额。")
_p("budget-unit-unclear", E, "金额单位存疑", "“{name}”的“{column}”为{value}，按万元计相当于{yuan}亿元，与其他金额（如{other}万元）相差悬殊，疑似按元填写。请确认单位：如为元，请在金额后加“元”或在表头写明“（元）”；如确为万元，请核对金额。")
_p("budget-unit-too-small", E, "金额单位存疑", "表头写明金额单位为元，“{name}”的“{column}”为{value}元（{wan}万元），金额过小，疑似按万元填写。请确认单位：如为万元，请把表头改为“（万元）”；如确为元，请核对金额。")
_p("budget-missing", E, "缺少预算数", "“年度资金总额”的全年预算数为空或为0，无法计算预算执行率。请填写全年预算数。")
_p("budget-overspent", W, "执行数超过预算数", "“{name}”的全年执行数{executed}万元大于全年预算数{annual}万元。请核对。")
_p("budget-subrows", W, "分项合计不等于总额", "“{column}”各分项合计{parts}万元，与年度资金总额{total}万元不符。请核对。")
_p("budget-total-derived", I, "年度资金总额按分项合计", "“年度资金总额”的“{column}”未填写，已按各分项合计{parts}万元计算。如有不同请填写年度资金总额。")
_p("rate-mismatch", W, "执行率与预算数不符", "填写的预算执行率为{stated}，但按全年执行数÷全年预算数计算为{computed}。已按计算值评分，请核对。")
_p("budget-double-count", E, "预算执行率重复计分", "预算执行表的“预算执行率分值”为{weight}分，指标表中又有“预算执行率”指标（{where}），会重复计分。请将其中一处分值改为0。")
_p("budget-method-invalid", W, "执行率评分方法无效", "执行率评分方法“{value}”无法识别，已按“比例”评分。请选择 比例 或 达标。")
_p("budget-threshold-invalid", E, "执行率达标值无效", "执行率评分方法为“达标”，但执行率达标值“{value}”无法识别。请填写如 90%。")
_p("allocation-subtotal", W, "资金下达小计不符", "资金下达明细第{seq}行小计{subtotal}万元，与各级资金合计{computed}万元不符。请核对。")
# Formulas
_p("formula-error", E, "公式错误", "单元格的值是Excel错误“{value}”。请修正公式后保存，再重新评分。")
_p("formula-no-cache", E, "公式没有计算结果", "单元格是公式（{formula}），但文件中没有保存计算结果。请在Excel中打开并保存一次，再重新评分。")
_p("value-invalid", E, "数值无效", "“{name}”应填写数字，现为“{value}”。请改为数字。")
# Texts
_p("snippet-empty", W, "文字材料未填写", "文字材料“{name}”为空，报告中该部分将标为“待填写”。请补写。")
_p("snippet-generated", I, "文字材料已自动生成", "文字材料“{name}”为空，报告中已根据数据自动生成，请核对。")
# Rules profiles (docs/rules.md)
_p("rules-unknown", E, "评分规则无法识别", "“评分规则”填写为“{value}”，不是内置规则（{builtins}），工作簿中也没有携带该规则。请从下拉列表选择，或请汇总单位用 --rules 指定规则文件。")
_p("rules-overridden", W, "按汇总单位的评分规则评分", "工作簿选择的评分规则为“{wanted}”，本次按{by}指定的评分规则“{used}”评分。")
_p("rules-changed", I, "评分规则已更新", "工作簿下发时的评分规则“{name}”（参数摘要{old}）与本次使用的版本（{new}）不同，已按本次使用的版本评分。")
_p("rules-setting-ignored", I, "按评分规则统一设置", "“{name}”填写为“{value}”，评分规则“{rules}”统一规定为“{fixed}”，已按评分规则评分。")
_p("rules-budget-points", W, "预算执行率分值与评分规则不符", "评分规则“{rules}”规定预算执行率分值为{points}分，工作簿填写为{weight}分。已按工作簿填写的分值评分，请核对。")
_p("rules-cap-no-rate", E, "无法按执行率限制总分", "评分规则“{rules}”按预算执行率限制总分，但无法计算预算执行率。请在预算执行表填写年度资金总额的全年预算数和全年执行数。")
_p("rules-capped", I, "总分受执行率限制", "{text}（评分规则“{rules}”）")
_p("rules-deviation", I, "偏差扣分", "指标“{name}”{text}（评分规则“{rules}”）")
_p("report-placeholder", I, "报告留有待填写内容", "自评报告“{section}”部分留有待填写内容（{what}），已在报告中以黄色突出显示。请在工作簿中补充后重新生成，或直接在报告中补写。")
# Result
_p("score-incomplete", I, "总分不完整", "存在{count}个错误，总分不完整。请先修正错误。")

# Files -----------------------------------------------------------------------------------
F = Family.FILE
_f("file-not-found", F, "找不到文件", "找不到文件“{path}”。请检查文件名和所在文件夹。")
_f("file-empty", F, "文件是空文件（0字节）", "文件“{path}”是空文件（0字节）。请重新保存或重新发送工作簿。")
_f("file-unreadable", F, "无法读取文件",
   "无法读取文件“{path}”：{reason}。请确认文件未被其他程序占用、有读取权限。")
_f("file-legacy-xls", F, "文件是旧版Excel 97-2003格式（.xls）",
   "文件“{path}”是旧版Excel 97-2003格式（.xls）。请在Excel中“另存为”Excel工作簿（.xlsx）后再提交。")
_f("file-xlsb", F, "文件是Excel二进制工作簿（.xlsb）",
   "文件“{path}”是Excel二进制工作簿（.xlsb）。请在Excel中“另存为”Excel工作簿（.xlsx）后再提交。")
_f("file-encrypted", F, "文件设置了打开密码",
   "文件“{path}”设置了打开密码，无法读取。请在Excel中“文件→信息→保护工作簿→用密码进行加密”清除密码后再提交。")
_f("file-not-workbook", F, "文件不是Excel工作簿",
   "文件“{path}”不是Excel工作簿（{kind}）。请提交用绩效自评模板填写的 .xlsx 文件。")
_f("file-corrupt", F, "文件已损坏或不完整",
   "文件“{path}”已损坏或不完整，无法打开（{reason}）。请在Excel中重新保存后再提交。")
_f("file-too-large", F, "文件过大或压缩异常",
   "文件“{path}”过大或压缩异常（{reason}），为安全起见拒绝处理。绩效自评工作簿通常不超过1MB，请删除无关内容后再提交。")
_f("file-unsafe-xml", F, "文件含有不安全的XML结构",
   "文件“{path}”含有不安全的XML结构（{reason}），为安全起见拒绝处理。请用Excel重新另存为 .xlsx 后再提交。")
_f("file-not-template", F, "文件不是绩效自评工作簿",
   "文件“{path}”不是绩效自评工作簿：找不到绩效指标表（含“三级指标”“指标值”“分值”的表头）。{closest}")
_f("file-newer-version", F, "工作簿模板版本过新",
   "工作簿模板版本为{found}，本工具只支持到版本{supported}。请升级xlreport后再评分。")
_f("file-keeps-parts", F, "工作簿含有保存时会丢失的内容",
   "工作簿中含有{parts}，本工具保存工作簿时会丢失这些内容，因此未写回（用 -o 另存也一样）。"
   "请删除这些内容或另存一份不含它们的副本后重新评分；只查看分数和问题可用 xlreport check。")
_f("file-exists", F, "输出文件已存在",
   "“{path}”已存在，未覆盖（其中可能已填写内容）。请换一个文件名；确需覆盖，请加 --force。")
_f("file-write-failed", F, "无法写入文件",
   "无法写入“{path}”：{reason}。原有文件（如有）未被修改。请关闭在Excel中打开的该文件，或检查文件夹写入权限。")
_f("convert-not-form", F, "无需转换",
   "“{path}”已经是本工具的模板格式，无需转换，可直接用 xlreport build 评分。")
_f("convert-same-file", F, "转换结果不能覆盖原自评表",
   "转换结果不能覆盖原自评表“{path}”，请用 -o 指定另一个文件名。")

_f("file-folder-missing", F, "找不到文件夹", "找不到文件夹“{path}”。请检查文件夹名称和路径。")

# The narrative report -------------------------------------------------------------------
R = Family.REPORT
_f("report-template-invalid", R, "自定义报告模板有误",
   "自评报告模板有误{where}：{reason}。请检查自定义模板，或去掉 --templates 使用默认模板。",
   wording="文字模板“{name}”有误：{reason}。请检查自定义模板文件夹中的该文件，或去掉 --templates 使用默认模板。")
_f("report-write-failed", R, "无法写入自评报告",
   "无法写入自评报告“{path}”：{reason}。请关闭在Word/WPS中打开的该文件，或检查文件夹写入权限。")

# Rules profiles (docs/rules.md) ----------------------------------------------------------
RU = Family.RULES
_f("rules-not-found", RU, "找不到评分规则",
   "找不到评分规则“{spec}”：既不是内置规则（{builtins}），也不是存在的规则文件。请检查名称或文件路径。")
_f("rules-unreadable", RU, "评分规则文件无法读取",
   "无法读取评分规则文件“{path}”：{reason}。请确认文件为 UTF-8 编码的文本文件（不超过64KB）。")
_f("rules-syntax", RU, "评分规则文件格式错误",
   "评分规则文件“{path}”格式错误（{reason}）。请检查引号、等号和方括号，格式见 docs/rules.md。")
_f("rules-unknown-key", RU, "评分规则文件中有不认识的设置项",
   "评分规则文件“{path}”中的“{key}”不是评分规则的设置项，请删除或改正拼写。可用的设置项见 docs/rules.md。")
_f("rules-missing-key", RU, "评分规则文件缺少必需的设置项",
   "评分规则文件“{path}”缺少“{key}”。请补上，写法见 docs/rules.md。")
_f("rules-value-invalid", RU, "评分规则文件中的设置值无效",
   "评分规则文件“{path}”中“{key}”的值“{value}”无效：{reason}。")

# The Excel button and its add-in --------------------------------------------------------
X = Family.EXCEL
_f("excel-book-unsaved", X, "工作簿还没有保存过",
   "这个工作簿还没有保存过。请先按 Ctrl+S 保存到一个文件夹，再点“评分并生成报告”：自评报告会生成在工作簿所在的文件夹。")
_f("excel-book-online", X, "工作簿保存在网络位置",
   "这个工作簿保存在 OneDrive/SharePoint 的网络位置，无法确定报告的保存文件夹。"
   "请先“另存为”到本机文件夹（或 OneDrive 的本地同步文件夹）后再点“评分并生成报告”。")
_f("addin-template", Family.ADDIN, "无法生成 Excel 加载项",
   "xlwings {version} 中没有找到加载项模板 {name}。",
   no_xlwings="没有安装 xlwings，无法生成 Excel 加载项。请重新安装 xlreport。",
   no_conf_sheet="加载项模板中没有配置工作表“{sheet}”（xlwings 版本不受支持）。",
   no_rels="加载项模板的工作表关系不完整。",
   bad_cell="加载项模板中的单元格地址无法识别：{ref}",
   bad_conf="加载项模板的配置工作表格式不受支持。",
   unreadable="无法读取加载项模板“{path}”：{reason}",
   missing_part="加载项模板缺少“{part}”（xlwings 版本不受支持）。")

# The offline bundle ---------------------------------------------------------------------
B = Family.BUNDLE
_f("bundle-no-project", B, "找不到 xlreport 的源代码目录",
   "找不到 xlreport 的源代码目录（含 pyproject.toml 和 uv.lock）。请在源代码目录中运行，或用 --project 指定该目录。")
_f("bundle-no-uv", B, "没有找到 uv 命令",
   "没有找到 uv 命令。制作离线安装包需要 uv：请先安装 uv（https://docs.astral.sh/uv/）。")
_f("bundle-step-failed", B, "制作离线安装包的某一步失败",
   "制作离线安装包时“{step}”失败：{detail}。请检查网络连接或软件包镜像设置后重新运行。")
_f("bundle-output-exists", B, "输出文件夹已存在且不是空文件夹",
   "输出文件夹“{path}”已存在且不是空文件夹。请换一个文件夹，或先删除它。")

# The portal -----------------------------------------------------------------------------
P = Family.PORTAL
_f("portal-config", P, "平台配置文件有误", "平台配置文件“{path}”有误：{detail}",
   not_found="找不到平台配置文件“{path}”。请参照 README“网上报送平台”一节新建。",
   smtp_password="发信密码环境变量 {env} 未设置。",
   secret="会话密钥环境变量 {env} 未设置。")
_f("portal-port", P, "平台端口不可用",
   "无法在 {host}:{port} 上监听：端口已被占用或地址不可用。请用 --port 换一个端口，或先停止占用该端口的程序。")
_f("portal-invite", P, "单位名单中没有该单位",
   "单位名单中没有“{unit}”。请核对单位名称（与名单中的“单位名称”一致）。")
_f("portal-demo", P, "找不到示例工作簿",
   "找不到示例工作簿（samples 文件夹）。请在 xlreport 源代码目录中运行 uv run xlreport serve --demo。")

# A bug in xlreport itself ----------------------------------------------------------------
_f("internal-error", Family.PROGRAM, "程序内部错误",
   "程序内部错误（{detail}）。原文件未被修改。请加 --debug 重新运行，并把输出发给技术支持。", Exit.INTERNAL,
   batch="程序内部错误（{detail}）。请用 --debug 单独处理该文件。",
   button="程序内部错误（{detail}）。您填写的内容不会被改动；请把这条信息和工作簿发给技术支持。",
   portal="处理文件“{name}”时发生内部错误（{detail}），请稍后重试或联系主管部门。")

# Mail: why a message was quarantined or failed (shown as “[code] …” in mail status) ------
M = Family.MAIL
_f("mail-sender-unknown", M, "发件人不在单位名单中", "发件人不在单位名单中", exit_code=None)
_f("mail-sender-unverified", M, "发件人未通过核验（可能被冒用）", "{detail}", exit_code=None)
_f("mail-code-missing", M, "没有有效的提交码", "主题和工作簿中均没有有效的提交码", exit_code=None,
   subject="主题中没有有效的提交码",
   rate_limited="一小时内已有{limit}封没有有效提交码的来信，未处理、不回复（可用 mail retry 重新处理）")
_f("mail-too-large", M, "邮件过大，未下载", "邮件过大（{size}），未下载", exit_code=None)
_f("mail-unparseable", M, "邮件结构畸形，无法读取", "{detail}", exit_code=None)
_f("mail-auto-reply", M, "自动回复、退信或群发邮件", "{detail}，不回复", exit_code=None)
_f("mail-rate-limited", M, "回复次数已达每小时上限",
   "一小时内已回复 {address} {limit} 次，暂不回复（可用 mail retry 重新处理）", exit_code=None)
_f("mail-failed", M, "多次处理均未完成", "已尝试{attempts}次仍出错：{detail}", exit_code=None,
   gave_up="多次处理均未完成", no_reply="回复内容未能生成")
_f("mail-db-unavailable", M, "连不上登记簿数据库",
   "无法连接登记簿数据库“{where}”（{kind}）。请确认数据库服务已启动、地址和口令正确，稍后再运行。", exit_code=Exit.ERRORS)
_f("mail-config", M, "邮件配置文件有误", "邮件配置文件“{path}”有误：{detail}",
   not_found="找不到邮件配置文件“{path}”。请检查文件名，或参照 docs/mail.md 新建。")

# The roster of units (mail and portal) --------------------------------------------------
RO = Family.ROSTER
_f("roster-missing", RO, "找不到单位名单", "找不到单位名单“{path}”。请检查 mail.toml 中 [policy] roster 的路径。")
_f("roster-unreadable", RO, "单位名单无法读取", "无法读取单位名单“{path}”（{reason}）。请用Excel另存为 .xlsx 后重试。")
_f("roster-header", RO, "单位名单缺少表头",
   "单位名单“{path}”中找不到表头“{unit_header}”和“{email_header}”。请在第一行写上这两个列名。")
_f("roster-code", RO, "提交码无效或重复",
   "单位名单“{path}”中“{unit}”的提交码“{code}”无效或与其他单位重复。提交码应为至少6位的字母和数字，各单位互不相同。")

CATALOGUE: dict[str, Entry] = {e.code: e for e in _entries}
if len(CATALOGUE) != len(_entries):
    raise ValueError("a code is catalogued twice")


# What is wrong in a settings file (mail.toml, central.toml): the {detail} of mail-config and
# portal-config, naming the section and the key. -------------------------------------------
SETTINGS: dict[str, str] = {
    "unreadable": "无法读取（{reason}）。请确认文件为 UTF-8 编码的文本文件。",
    "syntax": "格式错误（{reason}）。请检查引号、等号和方括号。",
    "section-missing": "缺少 [{section}] 一节。",
    "not-a-section": "{section} 应为一节（[{section}]）。",
    "key-missing": "[{section}] 缺少 {key}。",
    "key-type": "[{section}] {key} 应为{kind}，现为“{value}”。",
    "unknown-keys": "[{section}] 中有无法识别的设置：{keys}。请检查拼写。",
    "ssl-and-starttls": "[{section}] ssl 与 starttls 不能同时为 true（{ssl_port}端口用 ssl，{starttls_port}端口用 starttls）。",
    "ca-file-missing": "[{section}] ca_file 指定的证书文件“{ca_file}”不存在。",
    "folder-missing": "[{section}] {key} 指定的模板文件夹“{folder}”不存在。",
    "password-env-missing": "[{section}] 缺少 password_env（保存密码的环境变量名）。密码不要写在配置文件里。",
    "password-env-unset": "[{section}] 指定的环境变量 {env} 未设置。请先设置该环境变量（其值为邮箱密码或授权码）。",
    "server-names": "[{section}] {key} 应为服务器名称或名称列表。",
    "smtp-user-without-password": "[smtp] 设置了 user 但没有 password_env。无需登录的中继请删除 user。",
    "smtp-from": "[smtp] from 应为邮箱地址，现为“{value}”。",
    "store-env-unset": "[store] 指定的环境变量 {env} 未设置。请先设置该环境变量（其值为数据库口令）。",
    "store-url": "[store] url 无法识别（{kind}）。",
    "store-work-in-archive": "[store] work_dir 不能位于 archive_dir 之内（存档只保存原始邮件）。",
    "sender-check-missing": "[policy] 缺少 sender_check（如何确认来信确实来自名单中的单位），可选{choices}。"
                            "请参照 docs/mail.md“发件人核验”一节选择。",
    "sender-check-invalid": "[policy] sender_check 只能是{choices}，现为“{value}”。",
    "on-uncertain": "[policy] on_uncertain 只能是 \"resend\" 或 \"skip\"，现为“{value}”。",
    "policy-sizes": "[policy] max_attempts、max_attachment_mb 与 max_message_mb 必须大于0。",
    "policy-limits": "[policy] max_replies_per_hour、build_timeout_seconds 必须大于0，worker_memory_mb 不能小于256。",
    "authserv-missing": "[policy] sender_check = \"auth-results\" 时必须用 trusted_authserv_id 写明"
                        "本单位收信服务器在 Authentication-Results 中的名称（如 \"mx.example.gov.cn\"）。",
    "code-needs-roster": "[policy] sender_check = \"code\" 需要单位名单（roster）中的“提交码”列。",
    "report-type": "[policy] report_type 应为{choices}之一。",
    "rules": "[policy] rules：{reason}",
    "office-accounts": "[portal] office_accounts 应为账号名列表，如 [\"admin\"]。",
    "portal-limits": "[portal] max_upload_mb 与 workers 必须大于0。",
}


def setting(name: str, /, **fields: Any) -> str:
    """What is wrong in a settings file, as the {detail} of mail-config or portal-config."""
    return SETTINGS[name].format(**fields)


def entry(code: str) -> Entry:
    """The catalogue entry; an unknown code is a bug, so it raises KeyError."""
    return CATALOGUE[code]


def message(code: str, variant: str | None = None, /, **fields: Any) -> str:
    """The Chinese message for ``code`` (or one of its named variants) filled from ``fields``."""
    return CATALOGUE[code].message(variant, **fields)


def reason(code: str, variant: str | None = None, /, **fields: Any) -> str:
    """The ``[code] message`` a registry records, so ``mail status`` shows the code first."""
    return f"[{code}] {message(code, variant, **fields)}"


__all__ = ["CATALOGUE", "SETTINGS", "Entry", "Exit", "Family", "Level", "entry", "message", "reason", "setting"]
