"""What the central office's two settings files share: ``mail.toml`` and ``central.toml``.

Both are read with tomllib through :class:`TomlFile`, whose typed look-ups fail with a Chinese
message naming the file, the section and the key; both have the same ``[smtp]`` section
(:class:`SmtpConfig`) and the same registry URL in ``[store]`` (its password taken from an
environment variable, never written in the file). Relative paths are resolved against the
folder holding the file, so cron and systemd work whatever their working directory.
Each file keeps its own error class (and code): ``fail`` turns a detail into that error.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xlreport.core.catalogue import setting
from xlreport.core.failures import XlreportError

_TYPES = {str: "文字", int: "整数", float: "数字", bool: "true 或 false"}
SMTP_KEYS = {"host", "port", "ssl", "starttls", "user", "password_env", "from", "timeout"}
TLS_KEYS = {"tls_verify", "ca_file"}
DEFAULT_URL = "sqlite:///xlreport.db"


@dataclass(frozen=True)
class ServerConfig:
    """What an IMAP and an SMTP server have in common: where, how encrypted, how patient."""

    host: str
    port: int = 0
    ssl: bool = True
    starttls: bool = False
    timeout: float = 30.0
    tls_verify: bool = True  # False only when chosen explicitly; warned about at every start
    ca_file: Path | None = None  # a private CA added to the system trust store


@dataclass(frozen=True)
class SmtpConfig(ServerConfig):
    """The office's outgoing mail server (replies, reminders, review notices)."""

    port: int = 465
    user: str | None = None
    password_env: str | None = None
    from_: str = ""


def resolve_path(base: Path, value: str) -> Path:
    """A path in a config file is relative to the config's folder."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p)


def resolve_sqlite_url(url: str, base: Path) -> str:
    """``sqlite:///rel.db`` is relative to the config folder, not the working directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////"):
        rest = url[len(prefix):]
        if rest and rest != ":memory:" and not rest.startswith(("file:", "/")):
            return prefix + str((base / rest).resolve())
    return url


class TomlFile:
    """One settings file being read: ``data`` is its top-level table."""

    def __init__(self, path: Path, fail: Callable[[str], XlreportError], not_found: Callable[[], XlreportError]
                 ) -> None:
        self.path = path
        self.fail = fail
        self.base = path.resolve().parent
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise not_found() from None
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(setting("unreadable", reason=exc)) from None
        try:
            self.data: dict[str, Any] = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise fail(setting("syntax", reason=exc)) from None

    def get(self, table: dict[str, Any], section: str, key: str, kind: type, default: Any = ...) -> Any:
        """``table[key]`` checked to be a ``kind`` (an int is a float too, a bool is no int)."""
        if key not in table:
            if default is ...:
                raise self.fail(setting("key-missing", section=section, key=key))
            return default
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(setting("key-type", section=section, key=key, kind=_TYPES[kind], value=value))
        return value

    def section(self, name: str, required: bool) -> dict[str, Any]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.fail(setting("section-missing", section=name))
            return {}
        if not isinstance(value, dict):
            raise self.fail(setting("not-a-section", section=name))
        return value

    def unknown(self, table: dict[str, Any], section: str, known: set[str]) -> None:
        """A misspelt key is an error, not a silently ignored setting."""
        extra = sorted(set(table) - known)
        if extra:
            raise self.fail(setting("unknown-keys", section=section, keys="、".join(extra)))

    def path_of(self, value: str) -> Path:
        return resolve_path(self.base, value)

    def folder(self, table: dict[str, Any], section: str, key: str) -> Path | None:
        """An optional folder setting (e.g. ``templates``), which must exist."""
        value = self.get(table, section, key, str, None)
        folder = self.path_of(value) if value else None
        if folder is not None and not folder.is_dir():
            raise self.fail(setting("folder-missing", section=section, key=key, folder=folder))
        return folder

    def server(self, table: dict[str, Any], section: str, ports: tuple[int, int, int], *, tls: bool = True
               ) -> dict[str, Any]:
        """The :class:`ServerConfig` fields of a server section; ``ports`` are the defaults with
        ssl, with starttls and with neither; ``tls`` allows tls_verify / ca_file in the section."""
        ssl = self.get(table, section, "ssl", bool, True)
        starttls = self.get(table, section, "starttls", bool, False)
        if ssl and starttls:
            raise self.fail(setting("ssl-and-starttls", section=section, ssl_port=ports[0], starttls_port=ports[1]))
        found: dict[str, Any] = {
            "host": self.get(table, section, "host", str),
            "port": self.get(table, section, "port", int, ports[0] if ssl else (ports[1] if starttls else ports[2])),
            "ssl": ssl, "starttls": starttls, "timeout": self.get(table, section, "timeout", float, 30.0)}
        if tls:
            ca = self.get(table, section, "ca_file", str, None)
            ca_file = self.path_of(ca) if ca else None
            if ca_file is not None and not ca_file.is_file():
                raise self.fail(setting("ca-file-missing", section=section, ca_file=ca_file))
            found |= {"tls_verify": self.get(table, section, "tls_verify", bool, True), "ca_file": ca_file}
        return found

    def smtp(self, table: dict[str, Any], *, tls: bool) -> SmtpConfig:
        """The [smtp] section; ``tls`` allows tls_verify / ca_file in it."""
        self.unknown(table, "smtp", SMTP_KEYS | (TLS_KEYS if tls else set()))
        smtp = SmtpConfig(
            **self.server(table, "smtp", (465, 587, 25), tls=tls),
            user=self.get(table, "smtp", "user", str, None),
            password_env=self.get(table, "smtp", "password_env", str, None),
            from_=self.get(table, "smtp", "from", str),
        )
        if smtp.user and not smtp.password_env:
            raise self.fail(setting("smtp-user-without-password"))
        if "@" not in smtp.from_:
            raise self.fail(setting("smtp-from", value=smtp.from_))
        return smtp

    def store_url(self, table: dict[str, Any]) -> tuple[str, str | None]:
        """The registry's SQLAlchemy URL from [store] (a relative SQLite file resolved, the password
        put in from ``password_env``) and that variable's name."""
        url = resolve_sqlite_url(self.get(table, "store", "url", str, DEFAULT_URL), self.base)
        env = self.get(table, "store", "password_env", str, None)
        if not env:
            return url, None
        value = os.environ.get(env)
        if value is None:
            raise self.fail(setting("store-env-unset", env=env))
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(url).set(password=value).render_as_string(hide_password=False), env
        except (ArgumentError, ValueError) as exc:  # not a URL; a port that is not a number
            raise self.fail(setting("store-url", kind=type(exc).__name__)) from None
