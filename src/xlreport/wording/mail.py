"""The mails' words: typed views for the mail templates, and rendering that survives a broken override.

The mail processor's replies (``回复_结果.j2``, ``回复_无附件.j2``, ``回复_通知.j2``, sharing the
pieces in ``_回复.j2``) and the portal's notices (``平台通知.j2``) are templates like the report's
sentences, overridden file by file from an office's folder. A view holds strings already formatted
(amounts half-up to two places with thousands separators), so a template cannot print ``None`` or
an unrounded number. An office's template that fails (syntax, unknown variable) never stops a mail:
that mail is rendered from the package's own templates and the error is handed back for the log.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from xlreport.core.values import fmt_percent, round2
from xlreport.wording import WordingError, wording

MAX_PROBLEM_LINES = 20  # problems listed in a reply; the rest are in the workbook's 校验结果 sheet


class FileOutcome(StrEnum):
    """What became of one attached workbook."""

    SCORED = "scored"  # 已通过: scored, files attached
    ERRORS = "errors"  # 有错误: problems listed, the marked-up workbook attached
    REJECTED = "rejected"  # 无法使用: cannot be read (reason given), a blank template attached
    INTERNAL = "internal"  # 处理失败: the build itself failed; handled by hand


class PortalKind(StrEnum):
    """The portal's mails to a unit."""

    REMIND = "remind"  # 催报
    APPROVED = "approved"  # 审核通过
    RETURNED = "returned"  # 退回


@dataclass(frozen=True)
class FileView:
    """One attached workbook in a results reply (``f`` in ``回复_结果.j2``)."""

    n: int  # 1, 2, ... in the order attached
    name: str
    outcome: FileOutcome
    reason: str = ""  # REJECTED: why the file cannot be used and what to do
    project: str = ""
    year: str = ""
    annual: str = ""  # 全年预算数 in 万元, '1,234.56'; '' when not filled in
    executed: str = ""
    rate: str = ""  # '97.24%'
    total: str = ""  # '96.50'
    grade: str = ""
    n_errors: int = 0
    n_warnings: int = 0
    n_infos: int = 0
    adjustments: tuple[str, ...] = ()  # deductions by the office's rules, each a sentence
    workbook: str = ""  # the attached scored (or marked-up) workbook's name
    report: str = ""  # the attached 自评报告's name
    report_failed: bool = False  # scored, but the report could not be written
    problems: tuple[str, ...] = ()  # SCORED: the warnings; ERRORS: errors and warnings (at most 20)
    more_problems: int = 0  # how many more are only in 校验结果


@dataclass(frozen=True)
class NotCopied:
    """An address written in a workbook that is not the unit's on the roster: not copied."""

    file: str
    email: str


@dataclass(frozen=True)
class ResultsView:
    unit: str
    subject: str
    files: tuple[FileView, ...]
    not_copied: tuple[NotCopied, ...] = ()


@dataclass(frozen=True)
class NoWorkbookView:
    unit: str
    subject: str
    other_files: tuple[str, ...]  # attachments that are not workbooks (at most five)
    template: str  # the attached blank template's file name


@dataclass(frozen=True)
class NoticeView:
    kind: str  # unparseable | too-large | unverified | failed | build-broken
    unit: str
    subject: str  # '' when it must not be repeated (a forged message)
    detail: str = ""  # too-large: the size; unverified: why the sender could not be confirmed


@dataclass(frozen=True)
class PortalView:
    kind: PortalKind
    title: str  # the portal's name
    unit: str
    url: str
    returned: bool = False  # REMIND: the unit's last submission was returned
    comment: str = ""  # APPROVED / RETURNED: the reviewer's words
    file_name: str = ""


@dataclass(frozen=True)
class Rendered:
    text: str
    error: str | None = None  # why the office's template was not used (for the log and the registry)


def amount(value: Decimal | None) -> str:
    """万元 in a mail: 1234.5 -> '1,234.50' (half-up); '' when unknown."""
    return "" if value is None else f"{round2(value):,.2f}"


def points(value: Decimal | None) -> str:
    """A total in a mail: 96.5 -> '96.50'."""
    return "" if value is None else f"{round2(value):.2f}"


def percent(value: Decimal | None) -> str:
    return fmt_percent(value)


def _context(view: Any) -> dict[str, Any]:
    return {f.name: getattr(view, f.name) for f in fields(view)}


def render(name: str, view: Any, templates_dir: str | Path | None = None) -> Rendered:
    """The mail from the office's templates, else from the package's own (with the reason)."""
    context = _context(view)
    try:
        return Rendered(wording(templates_dir).mail(name, **context))
    except WordingError as exc:
        if not templates_dir:
            raise
        return Rendered(wording(None).mail(name, **context), exc.message)


def portal_notice(view: PortalView, templates_dir: str | Path | None = None) -> tuple[str, str, str | None]:
    """(subject, body, error) of a portal mail: the template's first line is the subject."""
    try:
        subject, body = _split(wording(templates_dir).mail("平台通知.j2", **_context(view)))
        return subject, body, None
    except WordingError as exc:
        if not templates_dir:
            raise
        subject, body = _split(wording(None).mail("平台通知.j2", **_context(view)))
        return subject, body, exc.message


def _split(text: str) -> tuple[str, str]:
    subject, _, body = text.partition("\n")
    if not subject.strip() or not body.strip():
        raise WordingError("平台通知.j2", "第一行应为邮件标题，空一行后为正文")
    return subject.strip(), body.strip("\n") + "\n"


def broken_overrides(templates_dir: str | Path | None) -> list[str]:
    """A message for each template in the office's folder that does not compile (checked at start)."""
    if not templates_dir or not Path(templates_dir).is_dir():
        return []
    words = wording(templates_dir)
    found = []
    for path in sorted(Path(templates_dir).glob("*.j2")):
        try:
            words.env.get_template(path.name)
        except Exception as exc:  # noqa: BLE001 - reported, never raised: the default text is used instead
            from xlreport.wording import describe_error

            found.append(WordingError(path.name, describe_error(exc)).message)
    return found


__all__ = ["MAX_PROBLEM_LINES", "FileOutcome", "FileView", "NoWorkbookView", "NotCopied", "NoticeView",
           "PortalKind", "PortalView", "Rendered", "ResultsView", "amount", "broken_overrides", "percent",
           "points", "portal_notice", "render"]
