"""A unit's pages: upload, the result, history with the office's comments, downloads.

An upload is limited while it streams (the request body is counted as it arrives, so an
oversize file is refused without being stored whole), then goes through the same guard and
``build_file`` as the CLI in the process pool. A submission of another unit is a 404.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from xlreport.central.portal.auth import User, check_csrf
from xlreport.central.portal.jobs import output_name, score_upload
from xlreport.central.portal.store import Channel, Outcome, Review, utcnow
from xlreport.central.portal.web import (
    redirect,
    render,
    require_unit,
    require_user,
    row_or_404,
    state,
)
from xlreport.core import catalogue

CHUNK = 64 * 1024


class UploadTooLarge(Exception):
    pass


def safe_file_name(name: str) -> str:
    """The last path part, without control characters or reserved signs, at most 120 characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name).strip(" .")
    if not name:
        name = "工作簿.xlsx"
    if len(name) > 120:
        p = Path(name)
        name = p.stem[: 120 - len(p.suffix)] + p.suffix
    return name


def _too_large_message(name: str, limit_mb: float) -> str:
    return (f"文件“{name}”超过{limit_mb:g}MB的上限，未处理。绩效自评工作簿通常不超过1MB，"
            "请删除无关内容（图片、无关工作表）后再提交。")


async def _read_upload(request: Request, limit: int):
    """The multipart form, parsed from a body stream that stops at ``limit`` bytes."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit + 64 * 1024:
        raise UploadTooLarge
    received = 0
    original = request.receive

    async def counting_receive():
        nonlocal received
        message = await original()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit + 64 * 1024:  # the form's own fields and boundaries are small
                raise UploadTooLarge
        return message

    limited = Request(request.scope, counting_receive)
    return await limited.form(max_files=1, max_fields=5, max_part_size=64 * 1024)


async def unit_home(request: Request) -> Response:
    user = await require_unit(request)
    st = state(request)
    subs = await run_in_threadpool(st.store.submissions_of, user.unit)
    revs = await run_in_threadpool(st.store.reviews_of_unit, user.unit)
    return render(request, "unit.html", {"submissions": subs, "reviews": revs,
                                         "limit_mb": st.config.max_upload_mb})


async def unit_history(request: Request) -> Response:
    user = await require_unit(request)
    st = state(request)
    subs = await run_in_threadpool(st.store.submissions_of, user.unit)
    return render(request, "_history.html", {"submissions": subs})


def _message_response(request: Request, message: str, status: int) -> Response:
    return render(request, "_upload_error.html", {"message": message}, status_code=status)


async def upload(request: Request) -> Response:
    user = await require_unit(request)
    st = state(request)
    if request.headers.get("x-csrf-token") is not None:
        await check_csrf(request)
    try:
        form = await _read_upload(request, st.config.max_upload_bytes)
    except UploadTooLarge:
        return _message_response(request, _too_large_message("上传的文件", st.config.max_upload_mb), 413)
    except Exception:  # noqa: BLE001 - a malformed multipart body is the sender's problem, not a 500
        return _message_response(request, "上传未完成或格式不正确，请重新选择文件上传。", 400)
    await check_csrf(request, form)
    upload_file = form.get("file")
    if upload_file is None or isinstance(upload_file, str) or not upload_file.filename:
        return _message_response(request, "请选择要上传的工作簿文件（.xlsx）。", 400)
    name = safe_file_name(upload_file.filename)
    work = st.config.data_dir / "uploads" / f"{utcnow():%Y%m%d}" / secrets.token_hex(8)
    source_dir, out_dir = work / "原件", work / "结果"
    await run_in_threadpool(_make_dirs, source_dir, out_dir)
    source = source_dir / name
    size = 0
    with source.open("wb") as fh:
        while chunk := await upload_file.read(CHUNK):
            size += len(chunk)
            if size > st.config.max_upload_bytes:
                break
            fh.write(chunk)
    await upload_file.close()
    if size > st.config.max_upload_bytes:
        source.unlink(missing_ok=True)
        return _message_response(request, _too_large_message(name, st.config.max_upload_mb), 413)
    output = out_dir / output_name(name)
    try:
        result = await st.pool.run(score_upload, str(source), str(output), name,
                                   str(st.config.templates) if st.config.templates else None,
                                   timeout=st.config.build_timeout)
    except TimeoutError:
        result = {"outcome": Outcome.FAILED.value, "details": None,
                  "reason": f"文件“{name}”处理超时，未能评分。请检查工作簿是否过大，或稍后重试。"}
    except Exception as exc:  # noqa: BLE001 - the worker died: recorded and answered, never a 500
        result = {"outcome": Outcome.FAILED.value, "details": None,
                  "reason": catalogue.message("internal-error", "portal", name=name, detail=type(exc).__name__)}
    details = result.get("details") or {}
    row = {"unit": user.unit, "account_id": user.id, "channel": Channel.WEB.value, "file_name": name,
           "work_dir": str(work), "workbook_path": result.get("workbook_path"),
           "report_path": result.get("report_path"), "outcome": result["outcome"], "reason": result.get("reason"),
           "submitted_at": utcnow(), "review": Review.PENDING.value, **(details.get("row") or {})}
    new_id = await run_in_threadpool(st.store.record, row, details)
    if request.headers.get("x-requested-with") != "XMLHttpRequest" and request.headers.get("hx-request") != "true":
        return redirect(f"/submissions/{new_id}")
    sub = await run_in_threadpool(st.store.submission, new_id)
    probs = await run_in_threadpool(st.store.problems_of, new_id)
    status = 200 if result["outcome"] in (Outcome.SCORED.value, Outcome.ERRORS.value) else 422
    return render(request, "_result.html", {"sub": sub, "problems": probs, "fresh": True}, status_code=status)


def _make_dirs(*dirs: Path) -> None:
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True, mode=0o700)


async def _visible_submission(request: Request, user: User):
    """The submission if this user may see it; 404 otherwise (never 403: no hint it exists)."""
    sub = await row_or_404(request, "sid", state(request).store.submission)
    if not user.is_office and sub["unit"] != user.unit:
        raise HTTPException(404)
    return sub


async def submission_page(request: Request) -> Response:
    user = await require_user(request)
    st = state(request)
    sub = await _visible_submission(request, user)
    probs = await run_in_threadpool(st.store.problems_of, sub["id"])
    groups = await run_in_threadpool(st.store.groups_of, sub["id"])
    revs = await run_in_threadpool(st.store.reviews_of, sub["id"])
    account = await run_in_threadpool(st.store.account_for_unit, sub["unit"]) if user.is_office else None
    return render(request, "submission.html", {"sub": sub, "problems": probs, "groups": groups, "reviews": revs,
                                               "unit_account": account})


def _download_name(sub, kind: str) -> str:
    if kind == "report":
        return Path(sub["report_path"]).name
    return f"{Path(sub['file_name']).stem}_评分{Path(sub['workbook_path']).suffix}"


async def download(request: Request) -> Response:
    user = await require_user(request)
    st = state(request)
    sub = await _visible_submission(request, user)
    kind = request.path_params["kind"]
    path = sub["report_path"] if kind == "report" else sub["workbook_path"] if kind == "workbook" else None
    if not path or not Path(path).is_file():
        raise HTTPException(404)
    if user.is_office:
        await run_in_threadpool(st.store.log, user.username, "download", sub["unit"], f"{kind} #{sub['id']}",
                                request.client.host if request.client else None)
    media = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document" if kind == "report"
             else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return FileResponse(path, media_type=media, filename=_download_name(sub, kind))
