"""``mail.toml``: read with tomllib into dataclasses; a bad file gives a Chinese message.

Passwords never sit in the file: ``password_env`` names the environment variable holding one.
Relative paths (roster, archive_dir, work_dir, a relative SQLite file) are resolved against the
folder holding ``mail.toml``, so cron and systemd work whatever their working directory.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..failures import XlreportError


class MailConfigError(XlreportError):
    """``mail.toml`` cannot be used (exit code 2)."""

    @classmethod
    def make(cls, path: Path | str, detail: str) -> MailConfigError:
        return cls("mail-config", f"邮件配置文件“{path}”有误：{detail}")


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


@dataclass(frozen=True)
class StoreConfig:
    url: str = "sqlite:///xlreport.db"
    archive_dir: Path = Path("archive")
    work_dir: Path = Path("work")


@dataclass(frozen=True)
class PolicyConfig:
    roster: Path | None = None
    max_attachment_mb: float = 20.0
    max_attempts: int = 3  # build attempts before a message is recorded as failed
    poll_seconds: float = 60.0
    lease_seconds: float = 600.0
    retries: int = 3  # IMAP/SMTP retries within one pass
    backoff_seconds: float = 2.0  # first retry delay, doubled each time
    max_backoff_seconds: float = 300.0
    on_uncertain: str = "resend"  # resend | skip: a reply that may or may not have left
    report_type: str = "项目支出"  # type of the blank template sent back
    rules: Any = None  # the office's RulesProfile: every workbook is scored by it (docs/rules.md)


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
            raise MailConfigError.make(path, f"[{section}] 缺少 password_env（保存密码的环境变量名）。密码不要写在配置文件里。")
        return None
    value = os.environ.get(env)
    if value is None:
        raise MailConfigError.make(path, f"[{section}] 指定的环境变量 {env} 未设置。请先设置该环境变量（其值为邮箱密码或授权码）。")
    return value


_TYPES = {str: "文字", int: "整数", float: "数字", bool: "true 或 false"}


def _get(path: Path, table: dict[str, Any], section: str, key: str, kind: type, default: Any = ...,
         ) -> Any:
    if key not in table:
        if default is ...:
            raise MailConfigError.make(path, f"[{section}] 缺少 {key}。")
        return default
    value = table[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise MailConfigError.make(path, f"[{section}] {key} 应为{_TYPES[kind]}，现为“{value}”。")
    return value


def _section(path: Path, data: dict[str, Any], name: str, required: bool) -> dict[str, Any]:
    value = data.get(name)
    if value is None:
        if required:
            raise MailConfigError.make(path, f"缺少 [{name}] 一节。")
        return {}
    if not isinstance(value, dict):
        raise MailConfigError.make(path, f"{name} 应为一节（[{name}]）。")
    return value


def _unknown(path: Path, table: dict[str, Any], section: str, known: set[str]) -> None:
    extra = sorted(set(table) - known)
    if extra:
        raise MailConfigError.make(path, f"[{section}] 中有无法识别的设置：{'、'.join(extra)}。请检查拼写。")


def _resolve(base: Path, value: str) -> Path:
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


def load_config(path: str | Path) -> MailConfig:
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise MailConfigError("mail-config", f"找不到邮件配置文件“{path}”。请检查文件名，或参照 docs/mail.md 新建。") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MailConfigError.make(path, f"无法读取（{exc}）。请确认文件为 UTF-8 编码的文本文件。") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MailConfigError.make(path, f"格式错误（{exc}）。请检查引号、等号和方括号。") from None
    base = path.resolve().parent
    _unknown(path, data, "文件顶层", {"imap", "smtp", "store", "policy"})

    t = _section(path, data, "imap", True)
    _unknown(path, t, "imap", {"host", "port", "ssl", "starttls", "user", "password_env", "folder",
                               "processed_folder", "timeout"})
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
    )

    t = _section(path, data, "smtp", True)
    _unknown(path, t, "smtp", {"host", "port", "ssl", "starttls", "user", "password_env", "from", "timeout"})
    ssl = _get(path, t, "smtp", "ssl", bool, True)
    starttls = _get(path, t, "smtp", "starttls", bool, False)
    if ssl and starttls:
        raise MailConfigError.make(path, "[smtp] ssl 与 starttls 不能同时为 true（465端口用 ssl，587端口用 starttls）。")
    smtp = SmtpConfig(
        host=_get(path, t, "smtp", "host", str),
        port=_get(path, t, "smtp", "port", int, 465 if ssl else (587 if starttls else 25)),
        ssl=ssl,
        starttls=starttls,
        user=_get(path, t, "smtp", "user", str, None),
        password_env=_get(path, t, "smtp", "password_env", str, None),
        from_=_get(path, t, "smtp", "from", str),
        timeout=_get(path, t, "smtp", "timeout", float, 30.0),
    )
    if smtp.user and not smtp.password_env:
        raise MailConfigError.make(path, "[smtp] 设置了 user 但没有 password_env。无需登录的中继请删除 user。")
    if "@" not in smtp.from_:
        raise MailConfigError.make(path, f"[smtp] from 应为邮箱地址，现为“{smtp.from_}”。")

    t = _section(path, data, "store", False)
    _unknown(path, t, "store", {"url", "archive_dir", "work_dir"})
    archive = _resolve(base, _get(path, t, "store", "archive_dir", str, "archive"))
    work = _resolve(base, _get(path, t, "store", "work_dir", str, str(archive.parent / "work")))
    if work.resolve() == archive.resolve() or archive.resolve() in work.resolve().parents:
        raise MailConfigError.make(path, "[store] work_dir 不能位于 archive_dir 之内（存档只保存原始邮件）。")
    store = StoreConfig(
        url=resolve_sqlite_url(_get(path, t, "store", "url", str, "sqlite:///xlreport.db"), base),
        archive_dir=archive,
        work_dir=work,
    )

    t = _section(path, data, "policy", False)
    _unknown(path, t, "policy", {"roster", "max_attachment_mb", "max_attempts", "poll_seconds", "lease_seconds",
                                 "retries", "backoff_seconds", "max_backoff_seconds", "on_uncertain",
                                 "report_type", "rules"})
    roster = _get(path, t, "policy", "roster", str, None)
    policy = PolicyConfig(
        roster=_resolve(base, roster) if roster else None,
        max_attachment_mb=_get(path, t, "policy", "max_attachment_mb", float, 20.0),
        max_attempts=_get(path, t, "policy", "max_attempts", int, 3),
        poll_seconds=_get(path, t, "policy", "poll_seconds", float, 60.0),
        lease_seconds=_get(path, t, "policy", "lease_seconds", float, 600.0),
        retries=_get(path, t, "policy", "retries", int, 3),
        backoff_seconds=_get(path, t, "policy", "backoff_seconds", float, 2.0),
        max_backoff_seconds=_get(path, t, "policy", "max_backoff_seconds", float, 300.0),
        on_uncertain=_get(path, t, "policy", "on_uncertain", str, "resend"),
        report_type=_get(path, t, "policy", "report_type", str, "项目支出"),
    )
    if policy.on_uncertain not in ("resend", "skip"):
        raise MailConfigError.make(path, f"[policy] on_uncertain 只能是 \"resend\" 或 \"skip\"，现为“{policy.on_uncertain}”。")
    if policy.max_attempts < 1 or policy.max_attachment_mb <= 0:
        raise MailConfigError.make(path, "[policy] max_attempts 与 max_attachment_mb 必须大于0。")
    from .. import schema

    if policy.report_type not in schema.REPORT_TYPES:
        raise MailConfigError.make(path, f"[policy] report_type 应为{'、'.join(schema.REPORT_TYPES)}之一。")
    rules_spec = _get(path, t, "policy", "rules", str, None)
    if rules_spec:
        from ..rules import RulesError, load_profile

        try:
            policy = replace(policy, rules=load_profile(rules_spec, base))
        except RulesError as exc:
            raise MailConfigError.make(path, f"[policy] rules：{exc.message}") from None
    return MailConfig(path=path, imap=imap, smtp=smtp, store=store, policy=policy)
