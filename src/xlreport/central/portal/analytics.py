"""Analytics over every unit's latest submission, with pandas: the page's charts and the summary's sheets.

All figures come from the stored problem codes and per-indicator / per-一级指标 scores, so the
page, the workbook and each unit's own result always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd

from xlreport.central.portal.store import Store, UnitStatus, unit_status
from xlreport.core.problems import CATALOGUE

GRADE_ORDER = ["优", "良", "中", "差"]


@dataclass
class Frames:
    latest: pd.DataFrame  # one row per unit with a submission
    problems: pd.DataFrame  # unit, code, level, title
    groups: pd.DataFrame  # unit, name, weight, score
    indicators: pd.DataFrame  # unit, level1, level2, name, weight, score


def load_frames(store: Store, roster_units: list[str]) -> Frames:
    latest = store.latest_by_unit()
    rows = []
    for unit, r in latest.items():
        rows.append({"unit": unit, "id": r["id"], "department": r["department"] or "（未填写主管部门）",
                     "project": r["project"] or "", "total": float(r["total"]) if r["total"] is not None else None,
                     "grade": r["grade"], "n_errors": r["n_errors"], "n_warnings": r["n_warnings"],
                     "status": unit_status(r).value, "outcome": r["outcome"]})
    latest_df = pd.DataFrame(rows, columns=["unit", "id", "department", "project", "total", "grade", "n_errors",
                                            "n_warnings", "status", "outcome"])
    ids = [int(i) for i in latest_df["id"]] if len(latest_df) else []
    unit_of = {int(r["id"]): r["unit"] for r in rows}
    probs, groups, indicators = store.details_for(ids)
    problems_df = pd.DataFrame(
        [{"unit": unit_of[p["submission_id"]], "code": p["code"], "level": p["level"],
          "title": p["title"] or (CATALOGUE[p["code"]].title if p["code"] in CATALOGUE else p["code"])}
         for p in probs], columns=["unit", "code", "level", "title"])
    groups_df = pd.DataFrame(
        [{"unit": unit_of[g["submission_id"]], "name": g["name"],
          "weight": float(g["weight"] or 0), "score": float(g["score"] or 0)} for g in groups],
        columns=["unit", "name", "weight", "score"])
    indicators_df = pd.DataFrame(
        [{"unit": unit_of[i["submission_id"]], "level1": i["level1"] or "", "level2": i["level2"] or "",
          "name": i["name"] or "", "weight": float(i["weight"]) if i["weight"] is not None else None,
          "score": float(i["score"]) if i["score"] is not None else None} for i in indicators],
        columns=["unit", "level1", "level2", "name", "weight", "score"])
    return Frames(latest_df, problems_df, groups_df, indicators_df)


def problem_matrix(f: Frames, level: str | None = None) -> pd.DataFrame:
    """Units × problem codes (counts), errors and warnings only unless a level is given."""
    p = f.problems
    p = p[p["level"] == level] if level else p[p["level"].isin(["错误", "警告"])]
    if p.empty:
        return pd.DataFrame()
    m = pd.crosstab(p["unit"], p["code"])
    order = m.sum().sort_values(ascending=False).index
    return m[order]


def top_problems(f: Frames, n: int = 15) -> pd.DataFrame:
    p = f.problems[f.problems["level"].isin(["错误", "警告"])]
    if p.empty:
        return pd.DataFrame(columns=["code", "title", "level", "units", "count"])
    g = p.groupby(["code", "title", "level"]).agg(units=("unit", "nunique"), count=("unit", "size")).reset_index()
    return g.sort_values(["units", "count", "code"], ascending=[False, False, True]).head(n)


def group_rates(f: Frames) -> pd.DataFrame:
    """Score rate per 一级指标: sum of scores ÷ sum of weights over units with a complete score."""
    scored = set(f.latest.loc[f.latest["total"].notna(), "unit"])
    g = f.groups[f.groups["unit"].isin(scored)]
    if g.empty:
        return pd.DataFrame(columns=["name", "weight", "score", "rate", "units"])
    out = g.groupby("name", sort=False).agg(weight=("weight", "sum"), score=("score", "sum"),
                                            units=("unit", "nunique")).reset_index()
    out["rate"] = (out["score"] / out["weight"].where(out["weight"] > 0)) * 100
    return out


def lost_points(f: Frames, n: int = 15) -> pd.DataFrame:
    """The third-level indicators where units lost the most points (weight − score, summed over units)."""
    d = f.indicators.dropna(subset=["weight", "score"])
    d = d[d["weight"] > d["score"]]
    if d.empty:
        return pd.DataFrame(columns=["level1", "name", "units", "lost", "rate"])
    d = d.assign(lost=d["weight"] - d["score"])
    out = d.groupby(["level1", "name"]).agg(units=("unit", "nunique"), lost=("lost", "sum"),
                                             weight=("weight", "sum"), score=("score", "sum")).reset_index()
    out["rate"] = out["score"] / out["weight"] * 100
    return out.sort_values(["lost", "units", "name"], ascending=[False, False, True]).head(n)


def grade_distribution(f: Frames) -> pd.DataFrame:
    grades = f.latest["grade"].dropna()
    counts = grades.value_counts()
    order = [g for g in GRADE_ORDER if g in counts.index] + [g for g in counts.index if g not in GRADE_ORDER]
    return pd.DataFrame({"grade": order, "units": [int(counts[g]) for g in order]})


def by_department(f: Frames, roster_units: list[str]) -> pd.DataFrame:
    d = f.latest
    if d.empty:
        return pd.DataFrame(columns=["department", "units", "scored", "mean_total", "errors", "pending",
                                     "approved", "returned"])
    out = d.groupby("department").agg(
        units=("unit", "nunique"), scored=("total", "count"), mean_total=("total", "mean"),
        errors=("status", lambda s: int((s == UnitStatus.HAS_ERRORS.value).sum())),
        pending=("status", lambda s: int((s == UnitStatus.PENDING.value).sum())),
        approved=("status", lambda s: int((s == UnitStatus.APPROVED.value).sum())),
        returned=("status", lambda s: int((s == UnitStatus.RETURNED.value).sum())),
    ).reset_index()
    return out.sort_values(["units", "department"], ascending=[False, True])


def _d2(value: float | None) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def add_sheets(path: Path, f: Frames, roster_units: list[str]) -> None:
    """Append the analytics as sheets of the summary workbook (written atomically)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font, PatternFill

    from xlreport.adapters.template import save_atomic

    wb = load_workbook(path)
    head_font, head_fill = Font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78")

    def sheet(title: str, headers: list[str], rows: list[list], widths: list[int]) -> None:
        ws = wb.create_sheet(title)
        ws.append(headers)
        for cell in ws[1]:
            cell.font, cell.fill = head_font, head_fill
        for r in rows:
            ws.append(r)
        from openpyxl.utils import get_column_letter

        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = "B2"

    m = problem_matrix(f)
    codes = list(m.columns)
    titles = {c: CATALOGUE[c].title if c in CATALOGUE else c for c in codes}
    sheet("问题分布", ["单位", *[f"{titles[c]}（{c}）" for c in codes]],
          [[u, *[int(v) or None for v in m.loc[u]]] for u in m.index], [28, *[14] * len(codes)])
    tp = top_problems(f, n=100)
    sheet("常见问题", ["问题代码", "问题", "级别", "涉及单位数", "出现次数"],
          [[r.code, r.title, r.level, int(r.units), int(r.count)] for r in tp.itertuples()], [26, 24, 8, 12, 10])
    gr = group_rates(f)
    sheet("一级指标得分率", ["一级指标", "单位数", "分值合计", "得分合计", "得分率(%)"],
          [[r.name, int(r.units), _d2(r.weight), _d2(r.score), _d2(r.rate)] for r in gr.itertuples()],
          [24, 10, 12, 12, 12])
    lp = lost_points(f, n=100)
    sheet("失分指标", ["一级指标", "三级指标", "失分单位数", "失分合计", "得分率(%)"],
          [[r.level1, r.name, int(r.units), _d2(r.lost), _d2(r.rate)] for r in lp.itertuples()], [16, 32, 12, 10, 12])
    gd = grade_distribution(f)
    sheet("等级分布", ["评价等级", "单位数"], [[r.grade, int(r.units)] for r in gd.itertuples()], [12, 10])
    bd = by_department(f, roster_units)
    sheet("按主管部门", ["主管部门", "已提交单位", "已评分", "平均分", "有错误", "待审核", "已通过", "已退回"],
          [[r.department, int(r.units), int(r.scored), _d2(r.mean_total), int(r.errors), int(r.pending),
            int(r.approved), int(r.returned)] for r in bd.itertuples()], [30, 12, 10, 10, 10, 10, 10, 10])
    save_atomic(wb, path)
