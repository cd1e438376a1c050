"""Bring the mail processor's submissions into the portal, so the office sees both channels.

The registry's ``submissions`` table is read by reflection (no import of the mail package's
internals); each row is copied once (unique ``mail_submission_id``) with its problems and
scores, taken by scoring the already-built workbook again (read only) in the process pool.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, Table, select
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError

from xlreport.central.portal.jobs import BuildPool, rescore
from xlreport.central.portal.store import Channel, Outcome, Review, Store

log = logging.getLogger("xlreport.central.portal")

MAIL_STATUS = {"已通过": Outcome.SCORED, "有错误": Outcome.ERRORS, "无法使用": Outcome.REJECTED,
               "处理失败": Outcome.FAILED}


def pending_mail_rows(store: Store) -> list[dict[str, Any]]:
    try:
        table = Table("submissions", MetaData(), autoload_with=store.engine)
    except (NoSuchTableError, SQLAlchemyError):
        return []
    if "id" not in table.c:
        return []
    done = store.mail_ids()
    with store.engine.connect() as conn:
        todo = [i for (i,) in conn.execute(select(table.c.id).order_by(table.c.id)) if i not in done]
        rows: list[dict[str, Any]] = []
        for start in range(0, len(todo), 500):
            chunk = todo[start:start + 500]
            rows += [dict(r) for r in conn.execute(select(table).where(table.c.id.in_(chunk))
                                                   .order_by(table.c.id)).mappings()]
    return rows


def mail_row(r: dict[str, Any], details: dict[str, Any] | None) -> dict[str, Any]:
    outcome = MAIL_STATUS.get(r.get("status") or "", Outcome.FAILED)
    row = {"unit": r.get("unit") or r.get("workbook_unit") or r.get("sender") or "（未知单位）",
           "channel": Channel.MAIL.value, "mail_submission_id": r["id"], "file_name": r.get("file_name") or "",
           "workbook_path": r.get("workbook_path"), "report_path": r.get("report_path"),
           "outcome": outcome.value, "reason": r.get("reason"), "project": r.get("project"),
           "year": r.get("year"), "report_type": r.get("report_type"), "workbook_unit": r.get("workbook_unit"),
           "annual": r.get("annual"), "executed": r.get("executed"), "rate": r.get("rate"),
           "total": r.get("total"), "grade": r.get("grade"), "n_errors": r.get("n_errors") or 0,
           "n_warnings": r.get("n_warnings") or 0, "submitted_at": r["submitted_at"],
           "review": Review.PENDING.value}
    if details:
        row["department"] = (details.get("row") or {}).get("department")
        row["n_infos"] = (details.get("row") or {}).get("n_infos") or 0
    return row


async def sync_mail(store: Store, pool: BuildPool) -> int:
    """Copy new mail submissions in; returns how many were added by this call."""
    from starlette.concurrency import run_in_threadpool

    added = 0
    for r in await run_in_threadpool(pending_mail_rows, store):
        details = None
        path = r.get("workbook_path")
        if path and Path(path).is_file() and r.get("status") in ("已通过", "有错误"):
            try:
                details = await pool.run(rescore, path, timeout=120)
            except Exception as exc:  # noqa: BLE001 - the totals from the registry still stand
                log.warning("无法读取邮件提交 #%s 的明细：%s", r["id"], exc)
        if await run_in_threadpool(store.record, mail_row(r, details), details) is not None:
            added += 1
    return added
