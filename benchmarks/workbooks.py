"""Realistic self-evaluation workbooks for benchmarks: the blank template, filled by label.

Each workbook has 30–60 indicators (by default) with the kinds of names, targets and actuals
units really write (percentages, counts with units, ranges, "不低于上年", qualitative texts,
a few shortfalls with their deviation analysis, the odd "缺省"), a filled 预算执行 sheet and
every 文字材料 section written out, so a build exercises reading, scoring, write-back and the
report just as a real file does. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

import factory  # tests/factory.py: fills the template by its labels

from xlreport.adapters.template import build_template
from xlreport.core import schema

PLACES = ["红寺堡区", "临泽县", "攀枝花市", "海口市", "同心县", "盐池县", "永登县", "会宁县", "西吉县", "彭阳县"]
PROJECTS = ["城乡居民基本医疗保险补助资金", "定点医药机构监管经费", "医疗服务与保障能力提升补助资金",
            "基本公共卫生服务补助资金", "农村饮水安全巩固提升工程", "义务教育薄弱环节改善资金",
            "高标准农田建设项目", "就业补助资金", "残疾人事业发展补助资金", "城市社区综合服务设施建设"]

QUANTITY = [("培训基层人员人次", "人次", 1200), ("参保人数", "人", 176000), ("覆盖乡镇数", "个", 12),
            ("开展专项检查次数", "次", 24), ("新建改建项目数", "个", 35), ("发放宣传资料份数", "份", 20000),
            ("签约服务户数", "户", 8500), ("完成体检人数", "人", 32000), ("建设面积", "平方米", 4800),
            ("购置设备台数", "台", 60), ("举办宣传活动场次", "场", 18), ("受益学生人数", "人", 5400)]
QUALITY = [("资金拨付准确率", 98), ("项目验收合格率", 95), ("参保率", 95), ("政策知晓率", 90),
           ("档案规范率", 92), ("设备完好率", 96), ("数据上报及时准确率", 98), ("问题整改完成率", 100)]
TIMELY = [("资金拨付及时率", 95), ("项目按期完工率", 90), ("报表按时报送率", 100)]
COST = [("人均补助标准", "元", 610), ("单位建设成本", "元/平方米", 2600), ("项目总成本控制", "万元", 1038)]
QUALITATIVE = [("群众就医负担", "有效减轻", "有效减轻"), ("基层服务能力", "显著提升", "显著提升"),
               ("管理制度建设", "健全完善", "基本完善", "部分达成"), ("社会稳定作用", "持续发挥", "持续发挥"),
               ("生态环境改善", "明显改善", "明显改善"), ("长效管护机制", "建立健全", "已建立"),
               ("信息化管理水平", "稳步提高", "稳步提高"), ("可持续运行能力", "持续增强", "持续增强")]
AREAS = ["城区", "农村", "山区", "川区", "移民区", "重点乡镇", "一般乡镇"]
SATISFACTION = [("服务对象满意度", 90), ("参保群众满意度", 85), ("受益群众满意度", 90)]

TEXTS = {
    "单位概况": "{unit}为{department}所属公益一类事业单位，核定编制{staff}名，内设综合科、业务科、财务科等{n}个科室，"
                "主要承担本地区相关政策的组织实施、资金监管和业务指导等职能。",
    "项目概况": "根据上级主管部门和财政部门下达的资金文件，{year}年共安排{project}{amount}万元，主要用于{use}。"
                "项目由{unit}负责组织实施，{department}负责业务指导和监督检查。",
    "资金投入情况": "",  # generated from the budget sheet when left empty (exercises the generator)
    "资金管理情况": "资金严格按照专项资金管理办法管理，实行专款专用、单独核算，资金拨付履行审批程序，"
                  "未发现截留、挤占、挪用等问题。",
    "组织实施情况": "成立了由分管领导任组长的绩效自评工作小组，对照年初绩效目标逐项核实完成情况，"
                  "采取资料审核与实地查看相结合的方式开展自评。",
    "存在的问题": "一是部分指标设置不够细化，可衡量性有待提高；二是个别项目实施进度偏慢，资金支付集中在下半年。",
    "改进措施": "进一步加强绩效目标管理，细化量化指标；加快项目实施和资金支付进度，强化绩效运行监控。",
    "结果应用": "自评结果已报送主管部门和财政部门，并在本单位门户网站公开，作为下年度预算安排的重要参考。",
    "其他说明": "无。",
    "部门职能": "{unit}负责本地区相关领域的政策制定、组织实施和监督管理，下设{n}个内设机构。",
    "项目资金执行情况": "各项目资金均已按文件要求及时下达，全年支付进度符合序时要求。",
}


def _weights(n: int, total: int) -> list[int]:
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def make_indicators(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """n indicators over the 项目支出 skeleton, weights summing to 90 (10 more on the budget sheet)."""
    plan: list[tuple[str, str]] = []
    shares = [("产出指标", "数量指标", 0.30), ("产出指标", "质量指标", 0.20), ("产出指标", "时效指标", 0.08),
              ("产出指标", "成本指标", 0.07), ("效益指标", "社会效益指标", 0.15),
              ("效益指标", "经济效益指标", 0.05), ("效益指标", "可持续影响指标", 0.08),
              ("满意度指标", "服务对象满意度指标", 0.07)]
    counts = [max(1, round(n * s)) for *_, s in shares]
    while sum(counts) > n:
        counts[counts.index(max(counts))] -= 1
    while sum(counts) < n:
        counts[0] += 1
    for (l1, l2, _), c in zip(shares, counts):
        plan.extend([(l1, l2)] * c)
    weights = _weights(n, 90)
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    last = (None, None)
    for i, ((l1, l2), w) in enumerate(zip(plan, weights)):
        row: dict[str, Any] = {"weight": w}
        if (l1, l2) != last:  # blank 一级/二级 below the first row of a group means "same as above"
            row["level1"] = l1 if l1 != last[0] else None
            row["level2"] = l2
            last = (l1, l2)
        roll = rng.random()
        if l2 == "数量指标":
            name, unit, target = rng.choice(QUANTITY)
            target = int(target * rng.uniform(0.8, 1.2))
            if roll < 0.1:  # a shortfall, explained
                actual = int(target * rng.uniform(0.85, 0.98))
                row["deviation"] = "受项目实施进度影响，部分任务结转至下年度完成，将加快推进。"
            else:
                actual = int(target * rng.uniform(1.0, 1.15))
            row.update(name=name, target=f"≥{target}", unit=unit, actual=str(actual))
        elif l2 in ("质量指标", "时效指标"):
            name, target = rng.choice(QUALITY if l2 == "质量指标" else TIMELY)
            actual = round(rng.uniform(target, 100), 2) if roll > 0.1 else round(target - rng.uniform(1, 5), 2)
            if actual < target:
                row["deviation"] = "个别单位资料报送不及时，已督促整改。"
            row.update(name=name, target=f"≥{target}%", actual=f"{actual}%")
        elif l2 == "成本指标":
            name, unit, target = rng.choice(COST)
            row.update(name=name, target=f"≤{target}", unit=unit, actual=str(round(target * rng.uniform(0.9, 1.0), 2)))
        elif l2 == "满意度指标" or l2 == "服务对象满意度指标":
            name, target = rng.choice(SATISFACTION)
            row.update(name=name, target=f"≥{target}%", actual=f"{round(rng.uniform(target, 99), 1)}%")
        elif l2 == "经济效益指标" and roll < 0.5:
            row.update(name="带动就业人数", target="不低于上年", unit="人", last_year=320,
                       actual=str(rng.randint(320, 400)))
        elif roll < 0.08:
            name, target, *_ = rng.choice(QUALITATIVE)
            row.update(name=name, target=target, actual="缺省", explanation="本年度未涉及该项工作，按缺省处理。")
        else:
            name, target, actual, *degree = rng.choice(QUALITATIVE)
            row.update(name=name, target=target, actual=actual)
            if degree:
                row.update(degree=degree[0], deviation="制度体系仍在完善中，下一步将加快修订。")
        k = seen.get(row["name"], 0)
        seen[row["name"]] = k + 1
        if k:  # the same measure for another area, as multi-area projects write it
            row["name"] = f"{AREAS[(k - 1) % len(AREAS)]}{row['name']}" + ("" if k <= len(AREAS) else str(k))
        row.setdefault("explanation", f"{row['name']}全年目标为{row['target']}，实际完成{row['actual']}。")
        rows.append(row)
    return rows


def make_workbook(path: Path, seed: int, n_indicators: int | None = None, formulas: bool = True) -> Path:
    """One filled 项目支出 workbook with 30–60 indicators (or exactly n_indicators).

    With ``formulas`` the 年度资金总额 row is =SUM() of the rows below it, with the cached values
    Excel would have stored (so the build reads them, as it does for real files)."""
    rng = random.Random(seed)
    n = n_indicators or rng.randint(30, 60)
    place, project = rng.choice(PLACES), rng.choice(PROJECTS)
    unit, department = f"{place}{project[:4]}服务中心", f"{place}卫生健康局"
    year = rng.choice([2022, 2023])
    budget = round(rng.uniform(200, 5000), 2)
    executed = round(budget * rng.uniform(0.9, 1.0), 2)
    fmt = {"unit": unit, "department": department, "staff": rng.randint(12, 80), "n": rng.randint(4, 9), "year": year,
               "project": project, "amount": budget, "use": "保障相关政策落实、改善基层服务条件和提升服务能力"}
    snippets = {k: v.format(**fmt) for k, v in TEXTS.items()}
    wb = build_template(schema.TYPE_PROJECT)
    info = {"评价年度": year, "项目名称": f"{place}{year}年{project}", "主管部门": department, "实施单位": unit,
            "年度总体目标": f"全面完成{project}各项任务，提高资金使用效益，群众满意度达到90%以上。",
            "年度目标完成情况": "年度总体目标基本完成，各项指标总体达到预期。", "联系人": "张三", "联系电话": "0953-1234567"}
    factory.fill(wb, info=info, budget={"年度资金总额": (budget, budget, executed),
                                        "其中：当年财政拨款": (budget, budget, executed)},
                 indicators=make_indicators(n, rng), snippets=snippets)
    cached = _sum_formulas(wb) if formulas else {}
    wb.save(path)
    if cached:
        from xlreport.adapters.xlsx_io import _restore_cached_values

        _restore_cached_values(path, cached)
    return path


def _sum_formulas(wb) -> dict[tuple[str, str], Any]:
    ws = wb[schema.SHEET_BUDGET]
    total_row, _ = factory.find_label(ws, "年度资金总额")
    header_row, _ = factory.find_label(ws, "全年预算数")
    cached = {}
    for cell in ws[header_row]:
        if cell.value and schema.normalize_label(cell.value) in ("年初预算数", "全年预算数", "全年执行数"):
            col = cell.column
            value = ws.cell(total_row, col).value
            first, last = ws.cell(total_row + 1, col).coordinate, ws.cell(total_row + 3, col).coordinate
            ws.cell(total_row, col).value = f"=SUM({first}:{last})"
            cached[(schema.SHEET_BUDGET, ws.cell(total_row, col).coordinate)] = value
    return cached


if __name__ == "__main__":  # python benchmarks/workbooks.py OUT_DIR [COUNT]
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for i in range(int(sys.argv[2]) if len(sys.argv) > 2 else 1):
        print(make_workbook(out / f"bench_{i:03d}.xlsx", seed=i))
