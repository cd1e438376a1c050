"""The official 自评表 of the tests: data a unit would type, built by samples/official_forms.py.

Each form carries what units really do: merged 一级/二级 cells, their own 得分 column (some
agreeing with the rules, one not, one left empty), an amount typed in 元, full-width text and,
for Yunnan, ≧ and ═ in 指标性质. The expected scores are worked out by hand in the comments.
"""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    "official_forms", Path(__file__).resolve().parents[1] / "samples" / "official_forms.py")
official_forms = importlib.util.module_from_spec(_SPEC)
sys.modules["official_forms"] = official_forms
_SPEC.loader.exec_module(official_forms)

FormData = official_forms.FormData
FormIndicator = official_forms.FormIndicator
build = official_forms.build


def project_indicators(natures: dict[str, str] | None = None) -> list:
    """Five indicators worth 90 points; the unit's own 得分: agrees, agrees, agrees, differs, empty."""
    n = natures or {}
    return [
        # ≥50000人, 52000 -> met: 20
        FormIndicator("产出指标", "数量指标", "参保人数", "≥50000人" if not n else "50000", 52000, 20, stated=20,
                      nature=n.get("ge"), unit="人" if n else None),
        # full-width ≥９５％, 93% (percent-formatted) -> 比例 20 × 93/95 = 19.578… -> 19.58
        FormIndicator("产出指标", "质量指标", "综合参保率", "≥９５％" if not n else "９５", 0.93, 20, stated=19.58,
                      nature=n.get("ge"), unit="%" if n else None, actual_format="0.00%",
                      deviation="部分群众外出务工，参保动员不足。"),
        # = 100% (Yunnan ═) -> met: 10
        FormIndicator("产出指标", "时效指标", "资金拨付及时率", "100%" if not n else "100", "100%", 10, stated=10,
                      nature=n.get("eq"), unit="%" if n else None),
        # qualitative, 达成 -> 20; the unit typed 18 (differs)
        FormIndicator("效益指标", "社会效益指标", "群众就医负担", "有效减轻", "有效减轻", 20, stated=18,
                      nature=n.get("text")),
        # ≥90%, 92% -> met: 20; the unit left 得分 empty
        FormIndicator("满意度指标", "服务对象满意度指标", "参保群众满意度", "≥90%" if not n else "90", "92%", 20,
                      nature=n.get("ge"), unit="%" if n else None),
    ]


# Budget: 年度资金总额 全年预算数 typed as "1,200,000.00元" (= 120 万元), executed 103.42 万元:
# rate 86.1833…% -> 86.18%, score 10 × 0.861833… = 8.62. Total 20 + 19.58 + 10 + 20 + 20 + 8.62 = 98.20.
PROJECT_TOTAL = Decimal("98.20")
PROJECT_SCORES = [Decimal(20), Decimal("19.58"), Decimal(10), Decimal(20), Decimal(20)]
PROJECT_BUDGET = {
    "年度资金总额": (100, "1,200,000.00元", 103.42),
    "其中：当年财政拨款": (100, 120, 103.42),
    "上年结转资金": (0, 0, 0),
    "其他资金": (0, 0, 0),
}
TEXTS = {"评价结论": "项目总体完成年度目标。", "存在问题": "参保动员不够深入。", "改进措施": "加强宣传动员。"}


def national_form(**overrides) -> FormData:
    data = FormData(
        kind=official_forms.NATIONAL, project="城乡居民基本医疗保险补助资金", department="某县医疗保障局",
        unit="某县医疗保障事务中心", budget=dict(PROJECT_BUDGET), goal="完成年度参保任务，减轻群众就医负担。",
        goal_done="参保人数52000人，综合参保率93%。", indicators=project_indicators(), total_score=None)
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def yunnan_form(**overrides) -> FormData:
    data = national_form(kind=official_forms.YUNNAN,
                         indicators=project_indicators({"ge": "≧", "eq": "═", "text": "定性"}))
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def sichuan_form(**overrides) -> FormData:
    data = FormData(
        kind=official_forms.SICHUAN, project="城乡居民基本医疗保险补助资金", department="某县医疗保障局",
        unit="某县医疗保障事务中心",
        budget={"总额": (100, "1,200,000.00元", 103.42), "其中:财政资金": (100, 120, 103.42),
                "财政专户管理资金": (0, 0, 0), "单位资金": (0, 0, 0), "其他资金": (0, 0, 0)},
        goal="完成年度参保任务。", goal_done="完成。",
        indicators=project_indicators({"ge": "≥", "eq": "＝", "text": "定性"}),
        total_weight=90, total_score=96, texts=dict(TEXTS))
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


# 部门整体支出: total 500 / 520 / 480 (rate 92.3077% -> 92.31%, score 9.23); income and expense
# splits each add up to the total. Indicators as the project's: 89.58; total 98.81.
DEPARTMENT_TOTAL = Decimal("98.81")


def department_form(**overrides) -> FormData:
    data = FormData(
        kind=official_forms.DEPARTMENT, project="某县医疗保障局",
        budget={"年度资金总额": (500, 520, 480), "按收入性质分：": (),
                "其中：一般公共预算财政拨款": (400, 420, 390), "政府性基金预算拨款": (50, 50, 45),
                "其他资金": (50, 50, 45), "按支出性质分：": (), "其中：基本支出": (300, 310, 300),
                "项目支出": (200, 210, 180)},
        goal="保障机关运转，完成医保年度任务。", goal_done="全面完成。", indicators=project_indicators(),
        texts=dict(TEXTS))
    for key, value in overrides.items():
        setattr(data, key, value)
    return data


def save(data: FormData, path: Path) -> Path:
    build(data).save(path)
    return path
