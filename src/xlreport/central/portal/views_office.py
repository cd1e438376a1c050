"""The office's desk: status of every roster unit, unit detail, review, 催报, zip, summary, analytics, audit.

Every action that changes something or takes data out is written to the audit log.
"""

from __future__ import annotations

import math
import os
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from xlreport.central.portal.auth import client_ip, new_token, token_hash
from xlreport.central.portal.notify import MailError, reminder_notice, review_notice
from xlreport.central.portal.store import Review, UnitStatus
from xlreport.central.portal.web import (
    is_htmx,
    office_form,
    redirect,
    render,
    require_office,
    row_or_404,
    state,
)

REMINDABLE = (UnitStatus.NOT_SUBMITTED, UnitStatus.RETURNED)


def _filtered(rows, status: str, q: str, department: str):
    q = q.strip()
    out = []
    for r in rows:
        if status and r.status.value != status:
            continue
        if q and q not in r.unit and not (r.latest and q in (r.latest["project"] or "")):
            continue
        if department and r.department != department:
            continue
        out.append(r)
    return out


async def _status_rows(request: Request):
    st = state(request)
    await run_in_threadpool(st.roster.refresh)
    return await run_in_threadpool(st.store.status_rows, st.roster.units)


async def office_home(request: Request) -> Response:
    await require_office(request)
    rows = await _status_rows(request)
    status = request.query_params.get("status", "")
    q = request.query_params.get("q", "")
    department = request.query_params.get("department", "")
    counts = {s.value: 0 for s in UnitStatus}
    for r in rows:
        counts[r.status.value] += 1
    departments = sorted({r.department for r in rows if r.department})
    ctx = {"rows": _filtered(rows, status, q, department), "all_count": len(rows), "counts": counts,
           "status": status, "q": q, "department": department, "departments": departments,
           "remindable": sum(counts[s.value] for s in REMINDABLE), "mail_ok": state(request).mailer.available}
    if is_htmx(request) and request.headers.get("hx-target") == "status-table":
        return render(request, "_status_table.html", ctx)
    return render(request, "office.html", ctx)


async def unit_detail(request: Request) -> Response:
    await require_office(request)
    st = state(request)
    account = await row_or_404(request, "aid", st.store.account)
    if account["role"] != "unit":
        raise HTTPException(404)
    unit = account["unit"]
    subs = await run_in_threadpool(st.store.submissions_of, unit)
    latest = subs[0] if subs else None
    probs = await run_in_threadpool(st.store.problems_of, latest["id"]) if latest else []
    revs = await run_in_threadpool(st.store.reviews_of_unit, unit)
    rems = await run_in_threadpool(st.store.reminders_of, unit)
    from xlreport.central.portal.store import unit_status

    return render(request, "unit_detail.html", {
        "account": account, "unit": unit, "submissions": subs, "latest": latest, "problems": probs,
        "reviews": revs, "reminders": rems, "status": unit_status(latest),
        "addresses": st.roster.addresses.get(unit, []), "invite_url": request.query_params.get("invite")})


async def review(request: Request) -> Response:
    user, form = await office_form(request, max_fields=10)
    st = state(request)
    sub = await row_or_404(request, "sid", st.store.submission)
    decision_text = str(form.get("decision") or "")
    comment = str(form.get("comment") or "").strip()[:4000]
    if decision_text not in (Review.APPROVED.value, Review.RETURNED.value):
        raise HTTPException(400, "请选择“通过”或“退回”。")
    decision = Review(decision_text)
    if decision is Review.RETURNED and not comment:
        return await _back_to_submission(request, sub["id"], "退回时请填写退回意见，告诉单位需要修改什么。")
    if decision is Review.APPROVED and sub["outcome"] != "scored":
        return await _back_to_submission(request, sub["id"], "该工作簿存在错误或无法使用，不能审核通过；请退回并说明原因。")
    review_id = await run_in_threadpool(st.store.review, sub["id"], decision, comment, user.username)
    await run_in_threadpool(st.store.log, user.username, "approve" if decision is Review.APPROVED else "return",
                            sub["unit"], f"#{sub['id']} {sub['file_name']}：{comment}", client_ip(request))
    mailed = "未发送（未配置发信服务器）"
    addresses = st.roster.addresses.get(sub["unit"], [])
    if st.mailer.available and addresses:
        notice = review_notice(st.config.title, sub["unit"], decision.value, comment, sub["file_name"],
                               st.config.public_url() + f"/submissions/{sub['id']}", st.config.templates)
        try:
            mailed = await run_in_threadpool(st.mailer.send, addresses, notice)
        except MailError as exc:
            mailed = str(exc)
    elif st.mailer.available:
        mailed = "未发送（单位名单中没有该单位的电子邮箱）"
    await run_in_threadpool(st.store.note_review_mail, review_id, mailed)
    return redirect(f"/submissions/{sub['id']}")


async def _back_to_submission(request: Request, sid: int, error: str) -> Response:
    from xlreport.central.portal.views_unit import submission_page

    request.state.review_error = error
    response = await submission_page(request)
    response.status_code = 400
    return response


async def remind(request: Request) -> Response:
    """一键催报: every unit not submitted or returned, each at most once per interval."""
    user, _ = await office_form(request, max_fields=5)
    st = state(request)
    rows = await _status_rows(request)
    targets = [r for r in rows if r.status in REMINDABLE]
    interval = timedelta(hours=st.config.remind_interval_hours)
    sent, skipped_recent, failed = [], [], []
    if not st.mailer.available:
        return render(request, "_remind_result.html",
                      {"error": "未配置发信服务器（central.toml 的 [smtp] 一节），无法发送催报邮件。"}, status_code=409)
    claimed = []
    for r in targets:
        reminder_id = await run_in_threadpool(st.store.claim_reminder, r.unit, user.username, interval)
        if reminder_id is None:
            skipped_recent.append(r.unit)
        else:
            claimed.append((r, reminder_id, st.roster.addresses.get(r.unit, [])))
    url = st.config.public_url()
    results = await run_in_threadpool(st.mailer.send_many, [
        (addresses, reminder_notice(st.config.title, r.unit, r.status.value, url, st.config.templates)) for r, _, addresses in claimed])
    for (r, reminder_id, addresses), result in zip(claimed, results, strict=True):
        error = str(result) if isinstance(result, MailError) else None
        await run_in_threadpool(st.store.finish_reminder, reminder_id, addresses, error)
        (failed if error else sent).append((r.unit, error))
    await run_in_threadpool(st.store.log, user.username, "remind", f"{len(targets)}个单位",
                            f"已发送{len(sent)}，{st.config.remind_interval_hours:g}小时内已催报而跳过{len(skipped_recent)}，"
                            f"失败{len(failed)}", client_ip(request))
    return render(request, "_remind_result.html", {"sent": sent, "skipped": skipped_recent, "failed": failed,
                                                   "hours": st.config.remind_interval_hours,
                                                   "outbox": st.config.outbox_dir if st.config.smtp is None else None})


async def make_invite(request: Request) -> Response:
    user, _ = await office_form(request, max_fields=5)
    st = state(request)
    account = await row_or_404(request, "aid", st.store.account)
    token = new_token()
    await run_in_threadpool(st.store.add_invite, account["id"], token_hash(token), st.config.invite_days,
                            user.username)
    await run_in_threadpool(st.store.log, user.username, "invite", account["unit"] or account["username"], None,
                            client_ip(request))
    url = f"{st.config.public_url()}/invite/{token}"
    return render(request, "_invite.html", {"url": url, "days": st.config.invite_days, "account": account})


def _zip_latest(store, roster_units: list[str], target: Path) -> int:
    latest = store.latest_by_unit()
    n = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for unit in [*roster_units, *sorted(u for u in latest if u not in roster_units)]:
            sub = latest.get(unit)
            if sub is None:
                continue
            for path in (sub["workbook_path"], sub["report_path"]):
                if path and Path(path).is_file():
                    zf.write(path, f"{unit}/{Path(path).name}")
                    n += 1
    return n


async def bulk_zip(request: Request) -> Response:
    user = await require_office(request)
    st = state(request)
    await run_in_threadpool(st.roster.refresh)
    fd, name = tempfile.mkstemp(prefix="xlreport-zip-", suffix=".zip")
    os.close(fd)
    n = await run_in_threadpool(_zip_latest, st.store, st.roster.units, Path(name))
    await run_in_threadpool(st.store.log, user.username, "download-zip", None, f"{n}个文件", client_ip(request))
    return FileResponse(name, media_type="application/zip", filename="各单位最新提交.zip",
                        background=BackgroundTask(Path(name).unlink, missing_ok=True))


def _write_summary(store, roster_units: list[str], target: Path) -> None:
    from xlreport.central.portal.analytics import add_sheets, load_frames
    from xlreport.central.portal.store import unit_status
    from xlreport.central.summary import PASSED, SummaryRow, roster_rows, write_summary

    rows = []
    for sub in store.all_submissions():
        if sub["outcome"] not in ("scored", "errors"):
            continue
        note = f"{sub['file_name']}（{'邮件' if sub['channel'] == 'mail' else '网上'}）"
        status = unit_status(sub).value
        rows.append(SummaryRow(
            unit=sub["unit"], project=sub["project"] or "", year=sub["year"] or "", annual=sub["annual"],
            executed=sub["executed"], rate=sub["rate"], total=sub["total"], grade=sub["grade"],
            n_errors=sub["n_errors"], n_warnings=sub["n_warnings"],
            status=PASSED if status == UnitStatus.APPROVED.value else status,
            submitted_at=sub["submitted_at"], note=note))
    write_summary(roster_rows(rows, roster_units, {}), target)
    add_sheets(target, load_frames(store, roster_units), roster_units)


async def summary_workbook(request: Request) -> Response:
    user = await require_office(request)
    st = state(request)
    await run_in_threadpool(st.roster.refresh)
    folder = Path(tempfile.mkdtemp(prefix="xlreport-summary-"))
    target = folder / "汇总.xlsx"
    await run_in_threadpool(_write_summary, st.store, st.roster.units, target)
    await run_in_threadpool(st.store.log, user.username, "download-summary", None, None, client_ip(request))

    def cleanup() -> None:
        target.unlink(missing_ok=True)
        folder.rmdir()

    return FileResponse(target, filename="绩效自评汇总表.xlsx", background=BackgroundTask(cleanup),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _code_title(code: str) -> str:
    from xlreport.core.problems import CATALOGUE

    return f"{CATALOGUE[code].title}（{code}）" if code in CATALOGUE else code


def _analytics_context(store, roster_units: list[str]) -> dict:
    from xlreport.central.portal import analytics as an
    from xlreport.central.portal.charts import hbar, heatmap, vbar

    f = an.load_frames(store, roster_units)
    m = an.problem_matrix(f)
    tp = an.top_problems(f)
    gr = an.group_rates(f)
    gd = an.grade_distribution(f)
    bd = an.by_department(f, roster_units)
    lp = an.lost_points(f)
    return {
        "n_units": len(roster_units), "n_submitted": len(f.latest),
        "n_scored": int(f.latest["total"].notna().sum()) if len(f.latest) else 0,
        "mean_total": (f"{f.latest['total'].mean():.2f}" if len(f.latest) and f.latest["total"].notna().any()
                       else "—"),
        "heatmap": heatmap(list(m.index), [_code_title(c) for c in m.columns],
                           [[int(v) for v in row] for row in m.values],
                           title="单位×问题代码") if not m.empty else heatmap([], [], []),
        "top_chart": hbar([f"{r.title}（{r.code}）" for r in tp.itertuples()],
                          [int(r.units) for r in tp.itertuples()], fmt="{:d}", unit="个单位",
                          colour="#c55a11", title="最常见的问题"),
        "top": list(tp.itertuples()),
        "group_chart": hbar([r.name for r in gr.itertuples()], [float(r.rate) for r in gr.itertuples()],
                            max_value=100, unit="%", title="一级指标得分率"),
        "grade_chart": vbar(list(gd["grade"]), [int(v) for v in gd["units"]], title="评价等级分布",
                            colours=["#548235", "#2e75b6", "#f4b183", "#c00000"]),
        "dept_chart": hbar(list(bd["department"]), [0.0 if math.isnan(float(v)) else float(v) for v in bd["mean_total"]],
                           max_value=100, unit="分", title="各主管部门平均分"),
        "departments": list(bd.itertuples()),
        "lost_chart": hbar([f"{r.name}（{r.level1}）" for r in lp.itertuples()], [float(r.lost) for r in lp.itertuples()],
                           unit="分", colour="#7f7f7f", title="失分最多的三级指标"),
    }


async def analytics_page(request: Request) -> Response:
    await require_office(request)
    st = state(request)
    await run_in_threadpool(st.roster.refresh)
    ctx = await run_in_threadpool(_analytics_context, st.store, st.roster.units)
    return render(request, "analytics.html", ctx)


async def audit_page(request: Request) -> Response:
    await require_office(request)
    st = state(request)
    rows = await run_in_threadpool(st.store.audit_log)
    return render(request, "audit.html", {"rows": rows})
