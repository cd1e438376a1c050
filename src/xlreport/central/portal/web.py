"""What every view shares: the app's state, templates, guards and the roster cache."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from xlreport.central.portal.auth import User, check_csrf, csrf_token, current_user
from xlreport.central.portal.config import PortalConfig
from xlreport.central.portal.jobs import BuildPool
from xlreport.central.portal.notify import Mailer
from xlreport.central.portal.store import (
    CHANNEL_TEXT,
    STATUS_ORDER,
    Channel,
    Outcome,
    Review,
    Store,
    UnitStatus,
)

HERE = Path(__file__).parent

OUTCOME_TEXT = {Outcome.SCORED.value: "评分完成", Outcome.ERRORS.value: "存在错误",
                Outcome.REJECTED.value: "无法使用", Outcome.FAILED.value: "处理失败"}
REVIEW_TEXT = {Review.PENDING.value: "待审核", Review.APPROVED.value: "已通过", Review.RETURNED.value: "已退回"}
STATUS_CLASS = {UnitStatus.NOT_SUBMITTED: "s-none", UnitStatus.HAS_ERRORS: "s-error",
                UnitStatus.PENDING: "s-pending", UnitStatus.APPROVED: "s-ok", UnitStatus.RETURNED: "s-returned"}


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """The registry stores naive UTC; show the server's local time."""
    if value is None:
        return ""
    return value.replace(tzinfo=UTC).astimezone().strftime(fmt)


def money(value: Any, places: int = 2) -> str:
    if value is None:
        return ""
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(1).scaleb(-places)
    return str(Decimal(str(value)).quantize(q, rounding=ROUND_HALF_UP))


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["localtime"] = local_time
templates.env.filters["num"] = money
templates.env.globals.update(OUTCOME_TEXT=OUTCOME_TEXT, REVIEW_TEXT=REVIEW_TEXT, STATUS_CLASS=STATUS_CLASS,
                             CHANNEL_TEXT={c.value: t for c, t in CHANNEL_TEXT.items()},
                             STATUSES=[s.value for s in STATUS_ORDER], Channel=Channel)


@dataclass
class RosterCache:
    """The roster workbook, read again when its file changes (checked at most every few seconds)."""

    path: Path | None
    units: list[str] = field(default_factory=list)
    addresses: dict[str, list[str]] = field(default_factory=dict)
    mtime: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    on_change: Any = None  # called with the cache after the roster was (re)read

    def refresh(self) -> bool:
        if self.path is None:
            return False
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return False
        with self.lock:
            if mtime == self.mtime:
                return False
            from xlreport.central.mail.roster import load_roster

            roster = load_roster(self.path)
            addresses: dict[str, list[str]] = {}
            for addr, unit in roster.by_address.items():
                addresses.setdefault(unit, []).append(addr)
            self.units, self.addresses, self.mtime = roster.units, addresses, mtime
        if self.on_change is not None:
            self.on_change(self)
        return True


@dataclass
class State:
    config: PortalConfig
    store: Store
    pool: BuildPool
    roster: RosterCache
    mailer: Mailer


def state(request: Request) -> State:
    return request.app.state.portal


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200,
           user: User | None = None) -> Response:
    ctx = {"user": user if user is not None else getattr(request.state, "user", None),
           "csrf": csrf_token(request), "title": state(request).config.title,
           "demo": state(request).config.demo}
    ctx.update(context or {})
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


async def require_user(request: Request) -> User:
    user = await run_in_threadpool(current_user, request)
    if user is None:
        raise HTTPException(401)
    request.state.user = user
    return user


async def require_office(request: Request) -> User:
    user = await require_user(request)
    if not user.is_office:
        raise HTTPException(404)  # a unit never learns office pages exist
    return user


async def require_unit(request: Request) -> User:
    user = await require_user(request)
    if user.is_office or not user.unit:
        raise HTTPException(404)
    return user


async def office_form(request: Request, max_fields: int) -> tuple[User, Any]:
    """An office action's user and posted form (no files), its CSRF token checked."""
    user = await require_office(request)
    form = await request.form(max_files=0, max_fields=max_fields)
    await check_csrf(request, form)
    return user, form


async def row_or_404(request: Request, param: str, fetch: Callable[[int], Any]) -> Any:
    """The row ``fetch`` finds for the path's numeric ``param``; 404 for a non-number or no row."""
    try:
        key = int(request.path_params[param])
    except ValueError:
        raise HTTPException(404) from None
    row = await run_in_threadpool(fetch, key)
    if row is None:
        raise HTTPException(404)
    return row


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"
