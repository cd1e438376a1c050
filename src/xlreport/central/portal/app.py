"""The Starlette application: routes, middleware, error pages, and the start/stop of its workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from xlreport.central.portal import views_auth as va
from xlreport.central.portal import views_office as vo
from xlreport.central.portal import views_unit as vu
from xlreport.central.portal.config import PortalConfig
from xlreport.central.portal.jobs import BuildPool
from xlreport.central.portal.notify import Mailer
from xlreport.central.portal.store import Role, Store
from xlreport.central.portal.web import HERE, RosterCache, State, redirect, render

log = logging.getLogger("xlreport.central.portal")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")


class SecurityHeaders:
    """Plain ASGI middleware (no buffering, so file downloads still stream)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-frame-options", b"DENY"),
                            (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                            (b"cache-control", b"no-store")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def sync_accounts(st: State) -> None:
    """An account for every roster unit and every configured office account (never removed)."""
    def ensure_units(roster: RosterCache) -> None:
        for unit in roster.units:
            st.store.ensure_account(unit, Role.UNIT, unit)

    st.roster.on_change = ensure_units
    st.roster.refresh()
    for name in st.config.office_accounts:
        st.store.ensure_account(name, Role.OFFICE)


def warm_up_workbook(st: State):
    """A workbook to build once per worker at start: the last scored upload, or a sample."""
    from pathlib import Path

    for sub in reversed(st.store.all_submissions()[-50:]):
        if sub["outcome"] == "scored" and sub["work_dir"]:
            original = Path(sub["work_dir"]) / "原件" / sub["file_name"]
            if original.is_file():
                return original
    from xlreport.central.portal.demo import find_samples

    samples = find_samples()
    return samples[0] if samples else None


async def _mail_loop(st: State) -> None:
    from xlreport.central.portal.mailsync import sync_mail

    while True:
        try:
            added = await sync_mail(st.store, st.pool)
            if added:
                log.info("已导入%d条邮件提交", added)
        except Exception as exc:  # noqa: BLE001 - a database hiccup must not stop the portal
            log.warning("导入邮件提交失败：%s", exc)
        await asyncio.sleep(st.config.mail_sync_seconds)


async def _error_page(request: Request, exc: Exception) -> Response:
    status = getattr(exc, "status_code", 500)
    if status == 401:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        if request.headers.get("x-requested-with") == "XMLHttpRequest":  # the upload script goes to /login
            return PlainTextResponse("登录已过期，请重新登录。", status_code=401)
        return redirect("/login")
    detail = getattr(exc, "detail", "") if status != 500 else ""
    messages = {404: "页面不存在，或您无权查看。", 403: "请求被拒绝。", 405: "不支持该操作。",
                413: "上传的文件过大。", 400: "请求有误。", 500: "服务器内部错误，请稍后重试；如持续出现请联系主管部门。"}
    text = detail if detail and isinstance(detail, str) and not detail.isascii() else messages.get(status, "请求有误。")
    if request.headers.get("hx-request") == "true" or request.headers.get("x-requested-with") == "XMLHttpRequest":
        return render(request, "_upload_error.html", {"message": text}, status_code=status)
    try:
        return render(request, "error.html", {"status": status, "message": text}, status_code=status)
    except Exception:  # noqa: BLE001 - the error page itself must never fail
        return PlainTextResponse(text, status_code=status)


async def _healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(config: PortalConfig, *, store: Store | None = None) -> Starlette:
    st = State(config=config, store=store or Store(config.url), pool=BuildPool(config.workers),
               roster=RosterCache(config.roster), mailer=Mailer(config))
    from xlreport.wording.mail import broken_overrides

    for problem in broken_overrides(config.templates):  # the default text is used instead; never fatal
        log.error("%s（用到该模板的通知邮件将改用默认模板。）", problem)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await asyncio.get_running_loop().run_in_executor(None, sync_accounts, st)
        await asyncio.get_running_loop().run_in_executor(None, st.pool.warm, warm_up_workbook(st))
        task = asyncio.create_task(_mail_loop(st))
        try:
            yield
        finally:
            task.cancel()
            st.pool.shutdown()

    routes = [
        Route("/", va.home),
        Route("/healthz", _healthz),
        Route("/login", va.login_page, methods=["GET"]),
        Route("/login", va.login, methods=["POST"]),
        Route("/logout", va.logout, methods=["POST"]),
        Route("/invite/{token}", va.invite_page, methods=["GET"]),
        Route("/invite/{token}", va.invite_set, methods=["POST"]),
        Route("/unit", vu.unit_home),
        Route("/unit/history", vu.unit_history),
        Route("/unit/upload", vu.upload, methods=["POST"]),
        Route("/submissions/{sid}", vu.submission_page),
        Route("/submissions/{sid}/download/{kind}", vu.download),
        Route("/submissions/{sid}/review", vo.review, methods=["POST"]),
        Route("/office", vo.office_home),
        Route("/office/units/{aid}", vo.unit_detail),
        Route("/office/units/{aid}/invite", vo.make_invite, methods=["POST"]),
        Route("/office/remind", vo.remind, methods=["POST"]),
        Route("/office/download.zip", vo.bulk_zip),
        Route("/office/summary.xlsx", vo.summary_workbook),
        Route("/office/analytics", vo.analytics_page),
        Route("/office/audit", vo.audit_page),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(SessionMiddleware, secret_key=config.secret_key(), session_cookie="xlreport_session",
                   max_age=int(config.session_hours * 3600), same_site="lax", https_only=config.secure_cookies),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={HTTPException: _error_page, Exception: _error_page})
    app.state.portal = st
    app.state.store = st.store
    return app
