"""Passwords (argon2id), sessions, CSRF tokens and login rate limiting.

The session is a signed cookie (Starlette's SessionMiddleware: HttpOnly, SameSite=Lax, expiry);
it carries the account id and the account's ``session_epoch``, so changing a password or logging
out everywhere ends old cookies. Every POST must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from xlreport.central.portal.store import Role, Store

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("xlreport-dummy-password")

LOCK_MINUTES = 15
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_IP = 30
MIN_PASSWORD = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """(ok, new hash when the parameters have moved on). Unknown users cost the same time."""
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored is None:
        return False, None
    return True, (_hasher.hash(password) if _hasher.check_needs_rehash(stored) else None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def password_problem(password: str, confirm: str, demo: bool = False) -> str | None:
    if password != confirm:
        return "两次输入的密码不一致。"
    if len(password) < (4 if demo else MIN_PASSWORD):
        return f"密码至少需要{MIN_PASSWORD}个字符。"
    return None


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: Role
    unit: str | None

    @property
    def is_office(self) -> bool:
        return self.role is Role.OFFICE


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def check_csrf(request: Request, form=None) -> None:
    """403 unless the request carries this session's token (header, or the given form's field)."""
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and form is not None:
        sent = form.get("csrf_token")
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "页面已过期或请求来源无法确认（缺少安全令牌）。请刷新页面后重试。")


def current_user(request: Request) -> User | None:
    store: Store = request.app.state.store
    uid, epoch = request.session.get("uid"), request.session.get("ep")
    if not isinstance(uid, int):
        return None
    row = store.account(uid)
    if row is None or not row["active"] or row["session_epoch"] != epoch:
        return None
    return User(row["id"], row["username"], Role(row["role"]), row["unit"])


def login_session(request: Request, row) -> None:
    request.session.clear()
    request.session.update({"uid": row["id"], "ep": row["session_epoch"], "csrf": secrets.token_urlsafe(32)})


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


def too_many_failures(store: Store, username: str, ip: str) -> bool:
    by_user, by_ip = store.recent_failures(username, ip, LOCK_MINUTES)
    return by_user >= MAX_FAILURES_PER_USER or by_ip >= MAX_FAILURES_PER_IP
