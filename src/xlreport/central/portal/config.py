"""``central.toml``: the portal's settings, read with tomllib; a bad file gives a Chinese message.

Secrets never sit in the file: ``secret_env`` and ``[smtp] password_env`` name environment
variables. Relative paths are resolved against the folder holding the file.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlreport.central.mail.config import resolve_path, resolve_sqlite_url
from xlreport.core.catalogue import message, setting
from xlreport.core.failures import XlreportError


class PortalConfigError(XlreportError):
    """``central.toml`` cannot be used (exit code 2)."""

    @classmethod
    def make(cls, path: Path | str, detail: str) -> PortalConfigError:
        return cls("portal-config", message("portal-config", path=path, detail=detail))


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 465
    ssl: bool = True
    starttls: bool = False
    user: str | None = None
    password_env: str | None = None
    from_: str = ""
    timeout: float = 30.0

    def password(self) -> str | None:
        if not self.user:
            return None
        value = os.environ.get(self.password_env or "")
        if value is None:
            raise PortalConfigError("portal-config", message("portal-config", "smtp-password", env=self.password_env))
        return value


@dataclass(frozen=True)
class PortalConfig:
    path: Path | None
    url: str  # registry database (SQLAlchemy URL)
    data_dir: Path  # uploads and scored files
    roster: Path | None
    host: str = "127.0.0.1"
    port: int = 8300
    base_url: str = ""  # public address for invite links, e.g. https://report.example.gov.cn
    title: str = "绩效自评报送平台"
    secret_env: str | None = None
    max_upload_mb: float = 20.0
    workers: int = 2  # build processes
    build_timeout: float = 120.0
    session_hours: float = 8.0
    secure_cookies: bool = False  # true behind HTTPS
    remind_interval_hours: float = 24.0
    mail_sync_seconds: float = 30.0  # how often mail submissions are brought in
    invite_days: float = 14.0
    smtp: SmtpSettings | None = None
    outbox_dir: Path | None = None  # demo: mail is written here instead of sent
    demo: bool = False
    office_accounts: tuple[str, ...] = ("admin",)
    templates: Path | None = None  # the office's wording and report templates (README --templates)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def public_url(self) -> str:
        return (self.base_url or self.address()).rstrip("/")

    def secret_key(self) -> str:
        """From the environment, else a key file in data_dir shared by every worker on this host."""
        if self.secret_env:
            value = os.environ.get(self.secret_env)
            if not value:
                raise PortalConfigError("portal-config", message("portal-config", "secret", env=self.secret_env))
            return value
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_file = self.data_dir / "secret.key"
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return key_file.read_text(encoding="ascii").strip()
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_urlsafe(48))
        return key_file.read_text(encoding="ascii").strip()


_TYPES = {str: "文字", int: "整数", float: "数字", bool: "true 或 false"}


def _get(path: Path, table: dict[str, Any], section: str, key: str, kind: type, default: Any = ...) -> Any:
    if key not in table:
        if default is ...:
            raise PortalConfigError.make(path, setting("key-missing", section=section, key=key))
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PortalConfigError.make(path, setting("key-type", section=section, key=key, kind=_TYPES[kind], value=value))
    return value


def _unknown(path: Path, table: dict[str, Any], section: str, known: set[str]) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise PortalConfigError.make(path, setting("unknown-keys", section=section, keys="、".join(extra)))


PORTAL_KEYS = {"host", "port", "base_url", "title", "secret_env", "max_upload_mb", "workers", "build_timeout",
               "session_hours", "secure_cookies", "remind_interval_hours", "mail_sync_seconds", "invite_days",
               "data_dir", "roster", "office_accounts", "templates"}


def load_portal_config(path: str | Path) -> PortalConfig:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise PortalConfigError("portal-config", message("portal-config", "not-found", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PortalConfigError.make(path, setting("unreadable", reason=exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PortalConfigError.make(path, setting("syntax", reason=exc)) from None
    base = path.resolve().parent
    _unknown(path, data, "文件顶层", {"portal", "store", "smtp"})
    p = data.get("portal") or {}
    _unknown(path, p, "portal", PORTAL_KEYS)
    s = data.get("store") or {}
    _unknown(path, s, "store", {"url", "password_env"})
    roster = _get(path, p, "portal", "roster", str, None)
    templates = _get(path, p, "portal", "templates", str, None)
    templates_dir = resolve_path(base, templates) if templates else None
    if templates_dir is not None and not templates_dir.is_dir():
        raise PortalConfigError.make(path, setting("folder-missing", section="portal", key="templates", folder=templates_dir))
    offices = p.get("office_accounts", ["admin"])
    if not isinstance(offices, list) or not all(isinstance(o, str) and o for o in offices):
        raise PortalConfigError.make(path, setting("office-accounts"))
    smtp = None
    if "smtp" in data:
        t = data["smtp"]
        _unknown(path, t, "smtp", {"host", "port", "ssl", "starttls", "user", "password_env", "from", "timeout"})
        ssl = _get(path, t, "smtp", "ssl", bool, True)
        starttls = _get(path, t, "smtp", "starttls", bool, False)
        if ssl and starttls:
            raise PortalConfigError.make(path, setting("ssl-and-starttls", section="smtp", ssl_port=465, starttls_port=587))
        smtp = SmtpSettings(
            host=_get(path, t, "smtp", "host", str),
            port=_get(path, t, "smtp", "port", int, 465 if ssl else (587 if starttls else 25)),
            ssl=ssl, starttls=starttls,
            user=_get(path, t, "smtp", "user", str, None),
            password_env=_get(path, t, "smtp", "password_env", str, None),
            from_=_get(path, t, "smtp", "from", str),
            timeout=_get(path, t, "smtp", "timeout", float, 30.0))
        if "@" not in smtp.from_:
            raise PortalConfigError.make(path, setting("smtp-from", value=smtp.from_))
    url = resolve_sqlite_url(_get(path, s, "store", "url", str, "sqlite:///xlreport.db"), base)
    password_env = _get(path, s, "store", "password_env", str, None)
    if password_env:
        from sqlalchemy.engine import make_url

        value = os.environ.get(password_env)
        if value is None:
            raise PortalConfigError.make(path, setting("store-env-unset", env=password_env))
        url = make_url(url).set(password=value).render_as_string(hide_password=False)
    config = PortalConfig(
        path=path,
        url=url,
        data_dir=resolve_path(base, _get(path, p, "portal", "data_dir", str, "portal-data")),
        roster=resolve_path(base, roster) if roster else None,
        host=_get(path, p, "portal", "host", str, "127.0.0.1"),
        port=_get(path, p, "portal", "port", int, 8300),
        base_url=_get(path, p, "portal", "base_url", str, ""),
        title=_get(path, p, "portal", "title", str, "绩效自评报送平台"),
        secret_env=_get(path, p, "portal", "secret_env", str, None),
        max_upload_mb=_get(path, p, "portal", "max_upload_mb", float, 20.0),
        workers=_get(path, p, "portal", "workers", int, 2),
        build_timeout=_get(path, p, "portal", "build_timeout", float, 120.0),
        session_hours=_get(path, p, "portal", "session_hours", float, 8.0),
        secure_cookies=_get(path, p, "portal", "secure_cookies", bool, False),
        remind_interval_hours=_get(path, p, "portal", "remind_interval_hours", float, 24.0),
        mail_sync_seconds=_get(path, p, "portal", "mail_sync_seconds", float, 30.0),
        invite_days=_get(path, p, "portal", "invite_days", float, 14.0),
        smtp=smtp,
        office_accounts=tuple(offices),
        templates=templates_dir,
    )
    if config.max_upload_mb <= 0 or config.workers < 1:
        raise PortalConfigError.make(path, setting("portal-limits"))
    return config
