"""``mail.toml``: read with tomllib into dataclasses; a bad file gives a Chinese message.

Passwords never sit in the file: ``password_env`` names the environment variable holding one.
Relative paths (roster, archive_dir, work_dir, a relative SQLite file) are resolved against the
folder holding ``mail.toml``. The reading itself, [smtp] and the registry URL are shared with the
portal's file (:mod:`xlreport.central.config`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from xlreport.central.config import ServerConfig, SmtpConfig, TomlFile
from xlreport.core.catalogue import message, setting
from xlreport.core.failures import XlreportError


class MailConfigError(XlreportError):
    """``mail.toml`` cannot be used (exit code 2)."""

    @classmethod
    def make(cls, path: Path | str, detail: str) -> MailConfigError:
        return cls("mail-config", message("mail-config", path=path, detail=detail))


@dataclass(frozen=True)
class ImapConfig(ServerConfig):
    port: int = 993
    user: str = ""
    password_env: str = ""
    folder: str = "INBOX"
    processed_folder: str | None = None  # move done messages here instead of only flagging \Seen


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


# Known keys per section: a new setting is one more name here and one more field above.
IMAP_KEYS = {"host", "port", "ssl", "starttls", "user", "password_env", "folder", "processed_folder", "timeout",
             "tls_verify", "ca_file"}
STORE_KEYS = {"url", "archive_dir", "work_dir", "password_env"}
POLICY_KEYS = {"roster", "max_attachment_mb", "max_attempts", "poll_seconds", "lease_seconds", "retries",
               "backoff_seconds", "max_backoff_seconds", "on_uncertain", "report_type", "sender_check",
               "trusted_authserv_id", "max_message_mb", "max_replies_per_hour", "build_timeout_seconds",
               "worker_memory_mb", "rules", "templates"}


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


def load_config(path: str | Path) -> MailConfig:
    path = Path(path)
    f = TomlFile(path, lambda detail: MailConfigError.make(path, detail),
                 lambda: MailConfigError("mail-config", message("mail-config", "not-found", path=path)))
    f.unknown(f.data, "文件顶层", {"imap", "smtp", "store", "policy"})

    t = f.section("imap", True)
    f.unknown(t, "imap", IMAP_KEYS)
    imap = ImapConfig(
        **f.server(t, "imap", (993, 143, 143)),
        user=f.get(t, "imap", "user", str),
        password_env=f.get(t, "imap", "password_env", str),
        folder=f.get(t, "imap", "folder", str, "INBOX"),
        processed_folder=f.get(t, "imap", "processed_folder", str, None),
    )
    smtp = f.smtp(f.section("smtp", True), tls=True)

    t = f.section("store", False)
    f.unknown(t, "store", STORE_KEYS)
    archive = f.path_of(f.get(t, "store", "archive_dir", str, "archive"))
    work = f.path_of(f.get(t, "store", "work_dir", str, str(archive.parent / "work")))
    if work.resolve() == archive.resolve() or archive.resolve() in work.resolve().parents:
        raise f.fail(setting("store-work-in-archive"))
    url, password_env = f.store_url(t)
    store = StoreConfig(url=url, password_env=password_env, archive_dir=archive, work_dir=work)

    t = f.section("policy", False)
    f.unknown(t, "policy", POLICY_KEYS)
    roster = f.get(t, "policy", "roster", str, None)
    policy = PolicyConfig(
        roster=f.path_of(roster) if roster else None,
        sender_check=_sender_check(path, t),
        trusted_authserv_ids=_names(path, t, "policy", "trusted_authserv_id"),
        max_message_mb=f.get(t, "policy", "max_message_mb", float, 30.0),
        max_replies_per_hour=f.get(t, "policy", "max_replies_per_hour", int, 10),
        build_timeout_seconds=f.get(t, "policy", "build_timeout_seconds", float, 300.0),
        worker_memory_mb=f.get(t, "policy", "worker_memory_mb", int, 2048),
        max_attachment_mb=f.get(t, "policy", "max_attachment_mb", float, 20.0),
        max_attempts=f.get(t, "policy", "max_attempts", int, 3),
        poll_seconds=f.get(t, "policy", "poll_seconds", float, 60.0),
        lease_seconds=f.get(t, "policy", "lease_seconds", float, 600.0),
        retries=f.get(t, "policy", "retries", int, 3),
        backoff_seconds=f.get(t, "policy", "backoff_seconds", float, 2.0),
        max_backoff_seconds=f.get(t, "policy", "max_backoff_seconds", float, 300.0),
        on_uncertain=f.get(t, "policy", "on_uncertain", str, "resend"),
        report_type=f.get(t, "policy", "report_type", str, "项目支出"),
        templates=f.folder(t, "policy", "templates"),
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
    policy = _rules(f, t, policy)
    return MailConfig(path=path, imap=imap, smtp=smtp, store=store, policy=policy)


def _rules(f: TomlFile, table: dict[str, Any], policy: PolicyConfig) -> PolicyConfig:
    """[policy] rules: checked now (a bad profile stops the service at start), passed on as a spec
    the build worker loads again: a built-in's id, or the file's absolute path."""
    spec = f.get(table, "policy", "rules", str, None)
    if not spec:
        return policy
    from xlreport.core.rules import RulesError, load_profile

    try:
        profile = load_profile(spec, f.base)
    except RulesError as exc:
        raise f.fail(setting("rules", reason=exc.message)) from None
    return replace(policy, rules=profile.id if profile.builtin else str(f.path_of(spec)))
