"""``mail.toml``: read with tomllib into dataclasses; a bad file gives a Chinese message.

Passwords never sit in the file: ``password_env`` names the environment variable holding one.
Relative paths (roster, archive_dir, work_dir, a relative SQLite file) are resolved against the
folder holding ``mail.toml``, so cron and systemd work whatever their working directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from xlreport.core.catalogue import message, setting
from xlreport.core.failures import XlreportError


class MailConfigError(XlreportError):
    """``mail.toml`` cannot be used (exit code 2)."""

    @classmethod
    def make(cls, path: Path | str, detail: str) -> MailConfigError:
        return cls("mail-config", message("mail-config", path=path, detail=detail))


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int = 993
    ssl: bool = True
    starttls: bool = False
    user: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    processed_folder: str | None = None  # move done messages here instead of only flagging \Seen
    timeout: float = 30.0
    tls_verify: bool = True  # False only when chosen explicitly; warned about at every start
    ca_file: Path | None = None  # a private CA added to the system trust store


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 465
    ssl: bool = True
    starttls: bool = False
    user: str | None = None
    password_env: str | None = None
    from_: str = ""
    timeout: float = 30.0
    tls_verify: bool = True
    ca_file: Path | None = None


@dataclass(frozen=True)
class StoreConfig:
    url: str = "sqlite:///xlreport.db"  # with the password from password_env already put in
    password_env: str | None = None
    archive_dir: Path = Path("archive")
    work_dir: Path = Path("work")


class SenderCheck(StrEnum):
    """How a message is tied to a roster unit (see docs/mail.md, “发件人核验”)."""

    AUTH_RESULTS = "auth-results"  # the receiving server's Authentication-Results (DMARC / aligned SPF, DKIM)
    CODE = "code"  # the unit's 提交码 from the roster, in the subject or in the workbook
    FROM_ONLY = "from-only"  # From: alone — forgeable; warned about at every start


@dataclass(frozen=True)
class PolicyConfig:
    roster: Path | None = None
    sender_check: SenderCheck = SenderCheck.AUTH_RESULTS
    trusted_authserv_ids: tuple[str, ...] = ()  # our own receiving server's name(s) in Authentication-Results
    max_message_mb: float = 30.0  # whole message (RFC822.SIZE); larger ones are never downloaded
    max_replies_per_hour: int = 10  # per unit address: a cap against loops and floods
    build_timeout_seconds: float = 300.0  # one message's worker process
    worker_memory_mb: int = 2048  # address-space limit of that worker
    max_attachment_mb: float = 20.0
    max_attempts: int = 3  # build attempts before a message is recorded as failed
    poll_seconds: float = 60.0
    lease_seconds: float = 600.0
    retries: int = 3  # IMAP/SMTP retries within one pass
    backoff_seconds: float = 2.0  # first retry delay, doubled each time
    max_backoff_seconds: float = 300.0
    on_uncertain: str = "resend"  # resend | skip: a reply that may or may not have left
    report_type: str = "项目支出"  # type of the blank template sent back
    rules: str | None = None  # the office's rules profile (built-in id or absolute .toml path), docs/rules.md
    templates: Path | None = None  # the office's wording and report templates, file by file (README --templates)


@dataclass(frozen=True)
class MailConfig:
    path: Path
    imap: ImapConfig
    smtp: SmtpConfig
    store: StoreConfig = field(default_factory=StoreConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)

    def imap_password(self) -> str:
        return _password(self.path, "imap", self.imap.password_env, required=True) or ""

    def smtp_password(self) -> str | None:
        if not self.smtp.user:
            return None
        return _password(self.path, "smtp", self.smtp.password_env, required=True)


def _password(path: Path, section: str, env: str | None, *, required: bool) -> str | None:
    if not env:
        if required:
            raise MailConfigError.make(path, setting("password-env-missing", section=section))
        return None
    value = os.environ.get(env)
    if value is None:
        raise MailConfigError.make(path, setting("password-env-unset", section=section, env=env))
    return value


_TYPES = {str: "文字", int: "整数", float: "数字", bool: "true 或 false"}


def _get(path: Path, table: dict[str, Any], section: str, key: str, kind: type, default: Any = ...,
         ) -> Any:
    if key not in table:
        if default is ...:
            raise MailConfigError.make(path, setting("key-missing", section=section, key=key))
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MailConfigError.make(path, setting("key-type", section=section, key=key, kind=_TYPES[kind], value=value))
    return value


def _section(path: Path, data: dict[str, Any], name: str, required: bool) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        if required:
            raise MailConfigError.make(path, setting("section-missing", section=name))
        return {}
    if not isinstance(value, dict):
        raise MailConfigError.make(path, setting("not-a-section", section=name))
    return value


def _unknown(path: Path, table: dict[str, Any], section: str, known: set[str]) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise MailConfigError.make(path, setting("unknown-keys", section=section, keys="、".join(extra)))


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


# Known keys per section: a new setting is one more name here and one more field above.
IMAP_KEYS = {"host", "port", "ssl", "starttls", "user", "password_env", "folder", "processed_folder", "timeout",
             "tls_verify", "ca_file"}
SMTP_KEYS = {"host", "port", "ssl", "starttls", "user", "password_env", "from", "timeout", "tls_verify", "ca_file"}
STORE_KEYS = {"url", "archive_dir", "work_dir", "password_env"}
POLICY_KEYS = {"roster", "max_attachment_mb", "max_attempts", "poll_seconds", "lease_seconds", "retries",
               "backoff_seconds", "max_backoff_seconds", "on_uncertain", "report_type", "sender_check",
               "trusted_authserv_id", "max_message_mb", "max_replies_per_hour", "build_timeout_seconds",
               "worker_memory_mb", "rules", "templates"}


def _tls(path: Path, base: Path, table: dict[str, Any], section: str) -> dict[str, Any]:
    ca = _get(path, table, section, "ca_file", str, None)
    ca_file = resolve_path(base, ca) if ca else None
    if ca_file is not None and not ca_file.is_file():
        raise MailConfigError.make(path, setting("ca-file-missing", section=section, ca_file=ca_file))
    return {"tls_verify": _get(path, table, section, "tls_verify", bool, True), "ca_file": ca_file}


def _names(path: Path, table: dict[str, Any], section: str, key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise MailConfigError.make(path, setting("server-names", section=section, key=key))
    return tuple(v.strip().lower() for v in value)


def _sender_check(path: Path, table: dict[str, Any]) -> SenderCheck:
    choices = "、".join(f'"{c.value}"' for c in SenderCheck)
    if "sender_check" not in table:
        raise MailConfigError.make(path, setting("sender-check-missing", choices=choices))
    value = table["sender_check"]
    try:
        return SenderCheck(value)
    except ValueError:
        raise MailConfigError.make(path, setting("sender-check-invalid", choices=choices, value=value)) from None


def _with_password(path: Path, url: str, env: str | None) -> str:
    """The registry URL with its password taken from ``env`` (never written in mail.toml)."""
    if not env:
        return url
    value = os.environ.get(env)
    if value is None:
        raise MailConfigError.make(path, setting("store-env-unset", env=env))
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).set(password=value).render_as_string(hide_password=False)
    except Exception as exc:  # noqa: BLE001 - sqlalchemy raises ArgumentError and others for a bad URL
        raise MailConfigError.make(path, setting("store-url", kind=type(exc).__name__)) from None


def load_config(path: str | Path) -> MailConfig:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise MailConfigError("mail-config", message("mail-config", "not-found", path=path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MailConfigError.make(path, setting("unreadable", reason=exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MailConfigError.make(path, setting("syntax", reason=exc)) from None
    base = path.resolve().parent
    _unknown(path, data, "文件顶层", {"imap", "smtp", "store", "policy"})

    t = _section(path, data, "imap", True)
    _unknown(path, t, "imap", IMAP_KEYS)
    ssl = _get(path, t, "imap", "ssl", bool, True)
    imap = ImapConfig(
        host=_get(path, t, "imap", "host", str),
        port=_get(path, t, "imap", "port", int, 993 if ssl else 143),
        ssl=ssl,
        starttls=_get(path, t, "imap", "starttls", bool, False),
        user=_get(path, t, "imap", "user", str),
        password_env=_get(path, t, "imap", "password_env", str),
        folder=_get(path, t, "imap", "folder", str, "INBOX"),
        processed_folder=_get(path, t, "imap", "processed_folder", str, None),
        timeout=_get(path, t, "imap", "timeout", float, 30.0),
        **_tls(path, base, t, "imap"),
    )

    t = _section(path, data, "smtp", True)
    _unknown(path, t, "smtp", SMTP_KEYS)
    ssl = _get(path, t, "smtp", "ssl", bool, True)
    starttls = _get(path, t, "smtp", "starttls", bool, False)
    if ssl and starttls:
        raise MailConfigError.make(path, setting("ssl-and-starttls", section="smtp", ssl_port=465, starttls_port=587))
    smtp = SmtpConfig(
        host=_get(path, t, "smtp", "host", str),
        port=_get(path, t, "smtp", "port", int, 465 if ssl else (587 if starttls else 25)),
        ssl=ssl,
        starttls=starttls,
        user=_get(path, t, "smtp", "user", str, None),
        password_env=_get(path, t, "smtp", "password_env", str, None),
        from_=_get(path, t, "smtp", "from", str),
        timeout=_get(path, t, "smtp", "timeout", float, 30.0),
        **_tls(path, base, t, "smtp"),
    )
    if smtp.user and not smtp.password_env:
        raise MailConfigError.make(path, setting("smtp-user-without-password"))
    if "@" not in smtp.from_:
        raise MailConfigError.make(path, setting("smtp-from", value=smtp.from_))

    t = _section(path, data, "store", False)
    _unknown(path, t, "store", STORE_KEYS)
    archive = resolve_path(base, _get(path, t, "store", "archive_dir", str, "archive"))
    work = resolve_path(base, _get(path, t, "store", "work_dir", str, str(archive.parent / "work")))
    if work.resolve() == archive.resolve() or archive.resolve() in work.resolve().parents:
        raise MailConfigError.make(path, setting("store-work-in-archive"))
    password_env = _get(path, t, "store", "password_env", str, None)
    url = resolve_sqlite_url(_get(path, t, "store", "url", str, "sqlite:///xlreport.db"), base)
    store = StoreConfig(url=_with_password(path, url, password_env), password_env=password_env,
                        archive_dir=archive, work_dir=work)

    t = _section(path, data, "policy", False)
    _unknown(path, t, "policy", POLICY_KEYS)
    roster = _get(path, t, "policy", "roster", str, None)
    templates = _get(path, t, "policy", "templates", str, None)
    templates_dir = resolve_path(base, templates) if templates else None
    if templates_dir is not None and not templates_dir.is_dir():
        raise MailConfigError.make(path, setting("folder-missing", section="policy", key="templates", folder=templates_dir))
    policy = PolicyConfig(
        roster=resolve_path(base, roster) if roster else None,
        sender_check=_sender_check(path, t),
        trusted_authserv_ids=_names(path, t, "policy", "trusted_authserv_id"),
        max_message_mb=_get(path, t, "policy", "max_message_mb", float, 30.0),
        max_replies_per_hour=_get(path, t, "policy", "max_replies_per_hour", int, 10),
        build_timeout_seconds=_get(path, t, "policy", "build_timeout_seconds", float, 300.0),
        worker_memory_mb=_get(path, t, "policy", "worker_memory_mb", int, 2048),
        max_attachment_mb=_get(path, t, "policy", "max_attachment_mb", float, 20.0),
        max_attempts=_get(path, t, "policy", "max_attempts", int, 3),
        poll_seconds=_get(path, t, "policy", "poll_seconds", float, 60.0),
        lease_seconds=_get(path, t, "policy", "lease_seconds", float, 600.0),
        retries=_get(path, t, "policy", "retries", int, 3),
        backoff_seconds=_get(path, t, "policy", "backoff_seconds", float, 2.0),
        max_backoff_seconds=_get(path, t, "policy", "max_backoff_seconds", float, 300.0),
        on_uncertain=_get(path, t, "policy", "on_uncertain", str, "resend"),
        report_type=_get(path, t, "policy", "report_type", str, "项目支出"),
        templates=templates_dir,
    )
    if policy.on_uncertain not in ("resend", "skip"):
        raise MailConfigError.make(path, setting("on-uncertain", value=policy.on_uncertain))
    if policy.max_attempts < 1 or policy.max_attachment_mb <= 0 or policy.max_message_mb <= 0:
        raise MailConfigError.make(path, setting("policy-sizes"))
    if policy.max_replies_per_hour < 1 or policy.build_timeout_seconds <= 0 or policy.worker_memory_mb < 256:
        raise MailConfigError.make(path, setting("policy-limits"))
    if policy.sender_check is SenderCheck.AUTH_RESULTS and not policy.trusted_authserv_ids:
        raise MailConfigError.make(path, setting("authserv-missing"))
    if policy.sender_check is SenderCheck.CODE and policy.roster is None:
        raise MailConfigError.make(path, setting("code-needs-roster"))
    from xlreport.core import schema

    if policy.report_type not in schema.REPORT_TYPES:
        raise MailConfigError.make(path, setting("report-type", choices="、".join(schema.REPORT_TYPES)))
    policy = _rules(path, t, base, policy)
    return MailConfig(path=path, imap=imap, smtp=smtp, store=store, policy=policy)


def _rules(path: Path, table: dict[str, Any], base: Path, policy: PolicyConfig) -> PolicyConfig:
    """[policy] rules: checked now (a bad profile stops the service at start), passed on as a spec
    the build worker loads again: a built-in's id, or the file's absolute path."""
    spec = _get(path, table, "policy", "rules", str, None)
    if not spec:
        return policy
    from xlreport.core.rules import RulesError, load_profile

    try:
        profile = load_profile(spec, base)
    except RulesError as exc:
        raise MailConfigError.make(path, setting("rules", reason=exc.message)) from None
    return replace(policy, rules=profile.id if profile.builtin else str(resolve_path(base, spec)))
