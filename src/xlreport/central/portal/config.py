"""``central.toml``: the portal's settings, read with tomllib; a bad file gives a Chinese message.

Secrets never sit in the file: ``secret_env`` and ``[smtp] password_env`` name environment
variables. Relative paths are resolved against the folder holding the file.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xlreport.central.config import SmtpConfig, TomlFile
from xlreport.core.catalogue import message, setting
from xlreport.core.failures import XlreportError


class PortalConfigError(XlreportError):
    """``central.toml`` cannot be used (exit code 2)."""

    @classmethod
    def make(cls, path: Path | str, detail: str) -> PortalConfigError:
        return cls("portal-config", message("portal-config", path=path, detail=detail))


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
    smtp: SmtpConfig | None = None
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

    def smtp_password(self) -> str | None:
        """The outgoing server's password, from the environment variable [smtp] names."""
        if self.smtp is None or not self.smtp.user:
            return None
        value = os.environ.get(self.smtp.password_env or "")
        if value is None:
            raise PortalConfigError("portal-config", message("portal-config", "smtp-password", env=self.smtp.password_env))
        return value

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


PORTAL_KEYS = {"host", "port", "base_url", "title", "secret_env", "max_upload_mb", "workers", "build_timeout",
               "session_hours", "secure_cookies", "remind_interval_hours", "mail_sync_seconds", "invite_days",
               "data_dir", "roster", "office_accounts", "templates"}


def load_portal_config(path: str | Path) -> PortalConfig:
    path = Path(path)
    f = TomlFile(path, lambda detail: PortalConfigError.make(path, detail),
                 lambda: PortalConfigError("portal-config", message("portal-config", "not-found", path=path)))
    f.unknown(f.data, "文件顶层", {"portal", "store", "smtp"})
    p = f.section("portal", False)
    f.unknown(p, "portal", PORTAL_KEYS)
    s = f.section("store", False)
    f.unknown(s, "store", {"url", "password_env"})
    roster = f.get(p, "portal", "roster", str, None)
    offices = p.get("office_accounts", ["admin"])
    if not isinstance(offices, list) or not all(isinstance(o, str) and o for o in offices):
        raise f.fail(setting("office-accounts"))
    smtp = f.smtp(f.section("smtp", True), tls=False) if "smtp" in f.data else None
    url, _ = f.store_url(s)
    config = PortalConfig(
        path=path,
        url=url,
        data_dir=f.path_of(f.get(p, "portal", "data_dir", str, "portal-data")),
        roster=f.path_of(roster) if roster else None,
        host=f.get(p, "portal", "host", str, "127.0.0.1"),
        port=f.get(p, "portal", "port", int, 8300),
        base_url=f.get(p, "portal", "base_url", str, ""),
        title=f.get(p, "portal", "title", str, "绩效自评报送平台"),
        secret_env=f.get(p, "portal", "secret_env", str, None),
        max_upload_mb=f.get(p, "portal", "max_upload_mb", float, 20.0),
        workers=f.get(p, "portal", "workers", int, 2),
        build_timeout=f.get(p, "portal", "build_timeout", float, 120.0),
        session_hours=f.get(p, "portal", "session_hours", float, 8.0),
        secure_cookies=f.get(p, "portal", "secure_cookies", bool, False),
        remind_interval_hours=f.get(p, "portal", "remind_interval_hours", float, 24.0),
        mail_sync_seconds=f.get(p, "portal", "mail_sync_seconds", float, 30.0),
        invite_days=f.get(p, "portal", "invite_days", float, 14.0),
        smtp=smtp,
        office_accounts=tuple(offices),
        templates=f.folder(p, "portal", "templates"),
    )
    if config.max_upload_mb <= 0 or config.workers < 1:
        raise f.fail(setting("portal-limits"))
    return config
