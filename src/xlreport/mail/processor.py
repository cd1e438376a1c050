"""The processor loop: fetch, claim, archive, build, reply, record — exactly once.

Per message, in this order, each step committed before the next starts:

1. the raw bytes are archived (content-addressed) and the message is registered (``received``);
2. the message is *claimed* in the registry (lease + attempt counter);
3. each workbook attachment is built with :func:`xlreport.pipeline.build_file` in a per-message
   work folder;
4. the reply is composed with a **deterministic Message-ID** (a hash of the message key), its exact
   bytes archived, and an ``outbox`` row ``prepared`` is committed together with the submissions;
5. SMTP: MAIL, RCPT, DATA and the whole body are sent; the outbox row is committed as ``sending``;
   only then the final ``.`` is written and the server's answer read;
6. ``sent`` and the message's final status are committed in one transaction;
7. the message is flagged ``\\Seen`` (or moved to ``processed_folder``) on the server.

What a restart does after ``kill -9`` at any point:

* before 4: nothing was sent; the message is claimed again (the dead process's lease is free at
  once on the same host, after ``lease_seconds`` elsewhere) and built again. A message whose
  processing keeps dying is failed after ``max_attempts`` claims, with a notice to the unit.
* between 4 and 5 (``prepared``): nothing was sent; the stored bytes are sent.
* after 6: the registry says done; the message is only flagged, never answered again. The same
  message arriving twice (same Message-ID, or same bytes without one) is recognised the same way.
* **the one window that cannot be closed with plain SMTP**: the process dies after the
  ``sending`` commit and before the ``sent`` commit — i.e. around the final ``.`` and the
  server's ``250``, a single network round trip plus one commit. The registry cannot know whether
  the server accepted the message. ``on_uncertain = "resend"`` (default) sends it again: the unit
  may get the same reply twice, with the *same* Message-ID (so many mail systems fold the two);
  ``"skip"`` never resends: the unit may get no reply if the server had not accepted it. The event
  is counted in ``outbox.uncertain_resends`` and logged.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import smtplib
import ssl as ssl_module
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from ..failures import EXIT_ERRORS, EXIT_INTERNAL, EXIT_OK, EXIT_UNUSABLE, XlreportError
from . import archive
from .compose import (
    MAX_PROBLEM_LINES,
    SIGNATURE,
    WORKBOOK_SUFFIXES,
    Attachment,
    Incoming,
    build_reply,
    greeting,
    how_to_text,
    money,
    ordinal,
    parse_message,
    reply_message_id,
)
from .config import MailConfig
from .registry import (
    ABANDONED,
    DONE_STATUSES,
    FAILED,
    QUARANTINED,
    REPLIED,
    SENDING,
    SENT,
    LeaseLost,
    Registry,
    make_owner,
)
from .roster import Roster, load_roster, normalise_address

log = logging.getLogger("xlreport.mail")

CRASH_ENV = "XLREPORT_TEST_CRASH_AT"
PAUSE_ENV = "XLREPORT_TEST_PAUSE_AT"


def crash_point(name: str) -> None:
    """Test hook: ``XLREPORT_TEST_CRASH_AT=name`` kills this process with SIGKILL right here;
    ``XLREPORT_TEST_PAUSE_AT=name`` prints a marker and sleeps so a test can ``kill -9`` it."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == name:
        import sys

        print(f"XLREPORT-PAUSED {name}", file=sys.stderr, flush=True)
        time.sleep(3600)


def _imap_errors() -> tuple[type[BaseException], ...]:
    import imaplib

    from imap_tools.errors import ImapToolsError

    return (OSError, EOFError, imaplib.IMAP4.error, ImapToolsError)


IMAP_ERRORS = _imap_errors()


class Outage(Exception):
    """IMAP or SMTP is unreachable; retried later, never fatal."""


class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.uncertain = uncertain


def message_key(message_id: str | None, raw: bytes) -> str:
    mid = (message_id or "").strip()
    if mid:
        mid = mid.strip("<>").strip()
    if mid and len(mid) <= 200 and mid.isprintable():
        return f"mid:{mid}"
    if mid:
        return f"mid-sha256:{archive.sha256(mid.encode('utf-8', 'replace'))}"
    return f"raw-sha256:{archive.sha256(raw)}"


# IMAP ------------------------------------------------------------------------------------------
class ImapSession:
    def __init__(self, config: MailConfig) -> None:
        from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

        c = config.imap
        if c.ssl:
            box = MailBox(c.host, c.port, timeout=c.timeout)
        elif c.starttls:
            box = MailBoxStartTls(c.host, c.port, timeout=c.timeout)
        else:
            box = MailBoxUnencrypted(c.host, c.port, timeout=c.timeout)
        self.config = config
        self.box = box.login(c.user, config.imap_password(), c.folder)
        self.processed = c.processed_folder
        if self.processed:
            existing = {f.name for f in self.box.folder.list()}
            if self.processed not in existing:
                self.box.folder.create(self.processed)

    def close(self) -> None:
        with contextlib.suppress(*IMAP_ERRORS):
            self.box.logout()

    def pending_uids(self) -> list[str]:
        from imap_tools import AND

        criteria = "ALL" if self.processed else AND(seen=False)
        return self.box.uids(criteria)

    def _fetch(self, uid: str, part: str) -> bytes | None:
        typ, data = self.box.client.uid("FETCH", uid, f"({part})")
        if typ != "OK":
            raise OSError(f"IMAP FETCH {uid} failed: {data!r}")
        for item in data:
            if isinstance(item, tuple) and len(item) >= 2:
                return item[1]
        return None

    def header_message_id(self, uid: str) -> str | None:
        data = self._fetch(uid, "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]")
        if not data:
            return None
        from email.parser import BytesHeaderParser

        value = BytesHeaderParser().parsebytes(data).get("Message-ID")
        return str(value).strip() if value else None

    def fetch_raw(self, uid: str) -> bytes | None:
        return self._fetch(uid, "BODY.PEEK[]")

    def mark_done(self, uid: str) -> None:
        self.box.flag(uid, [r"\Seen"], True)
        if self.processed:
            self.box.move(uid, self.processed)


# SMTP ------------------------------------------------------------------------------------------
def _dot_stuffed(data: bytes) -> bytes:
    """CRLF line ends and leading dots doubled, without the terminating ``.``."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


class SmtpSender:
    def __init__(self, config: MailConfig) -> None:
        self.config = config

    def _connect(self) -> smtplib.SMTP:
        c = self.config.smtp
        context = ssl_module.create_default_context()
        if c.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        smtp.ehlo()
        if c.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        password = self.config.smtp_password()
        if c.user and password is not None:
            smtp.login(c.user, password)
        return smtp

    def send(self, data: bytes, sender: str, recipients: list[str], before_dot: Callable[[], None]) -> list[str]:
        """Send; returns refused recipients. ``before_dot`` runs just before the final ``.``."""
        try:
            smtp = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP登录失败（{exc.smtp_code}）", permanent=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"无法连接SMTP服务器：{exc}") from exc
        in_data = False
        try:
            try:
                code, resp = smtp.mail(parseaddr(sender)[1] or sender)
                if code != 250:
                    raise SendError(f"MAIL FROM 被拒绝：{code} {resp!r}", permanent=code >= 500)
                refused, codes = [], []
                for rcpt in recipients:
                    code, resp = smtp.rcpt(rcpt)
                    codes.append(code)
                    if code not in (250, 251):
                        refused.append(f"{rcpt}（{code}）")
                if len(refused) == len(recipients):
                    raise SendError(f"收件人被拒绝：{'、'.join(refused)}", permanent=all(c >= 500 for c in codes))
                code, resp = smtp.docmd("DATA")
                if code != 354:
                    raise SendError(f"DATA 被拒绝：{code} {resp!r}", permanent=code >= 500)
                in_data = True
                smtp.send(_dot_stuffed(data))
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"SMTP发送中断：{exc}") from exc
            before_dot()
            try:
                smtp.send(b".\r\n")
                in_data = False
                code, resp = smtp.getreply()
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"发送结束时连接中断，无法确认是否已发出：{exc}", uncertain=True) from exc
            if code != 250:
                raise SendError(f"邮件被服务器拒收：{code} {resp!r}", permanent=code >= 500)
            return refused
        finally:
            if in_data:  # abandoned before the final dot: drop the connection, the server discards it
                with contextlib.suppress(OSError):
                    smtp.close()
            else:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    with contextlib.suppress(OSError):
                        smtp.close()


# Results of one attachment -------------------------------------------------------------------------
@dataclass
class FileResult:
    name: str
    outcome: object | None = None  # BuildOutcome
    rejected: str | None = None  # a plain message when the file cannot be used
    internal: str | None = None  # the build crashed (our bug)
    report_failure: str | None = None  # scored and written, but the report could not be written

    @property
    def exit_code(self) -> int:
        if self.internal:
            return EXIT_INTERNAL
        if self.rejected:
            return EXIT_UNUSABLE
        if self.report_failure:
            return EXIT_OK
        return self.outcome.exit_code  # type: ignore[union-attr]

    @property
    def status(self) -> str:
        return {EXIT_OK: "已通过", EXIT_ERRORS: "有错误", EXIT_UNUSABLE: "无法使用"}.get(self.exit_code, "处理失败")


@dataclass
class PassStats:
    seen: int = 0
    replied: int = 0
    quarantined: int = 0
    failed: int = 0
    duplicates: int = 0
    skipped: int = 0
    pending: int = 0
    outage: str | None = None
    lines: list[str] = field(default_factory=list)


class Processor:
    def __init__(self, config: MailConfig, *, registry: Registry | None = None, owner: str | None = None,
                 stop: threading.Event | None = None, sleep: Callable[[float], None] | None = None) -> None:
        self.config = config
        self.registry = registry or Registry(config.store.url)
        self.owner = owner or make_owner()
        self.stop = stop or threading.Event()
        self._sleep = sleep or (lambda s: self.stop.wait(s))
        self.smtp = SmtpSender(config)
        self._roster: Roster | None = None
        config.store.archive_dir.mkdir(parents=True, exist_ok=True)
        config.store.work_dir.mkdir(parents=True, exist_ok=True)

    # Roster ------------------------------------------------------------------------------------
    @property
    def roster(self) -> Roster:
        path = self.config.policy.roster
        if path is None:
            return Roster()
        mtime = path.stat().st_mtime if path.exists() else None
        if self._roster is None or self._roster.mtime != mtime:
            try:
                self._roster = load_roster(path)
            except XlreportError as exc:
                if self._roster is None:
                    raise
                log.error("%s 继续使用上次读取的单位名单。", exc.message)
                self._roster.mtime = mtime
        return self._roster

    # Loop --------------------------------------------------------------------------------------
    def run(self, once: bool = False) -> int:
        """Poll until stopped (or one pass with ``once``). Returns 0, or 1 when messages remain pending."""
        delay = self.config.policy.backoff_seconds
        while True:
            stats = self.run_pass()
            if once:
                return 1 if (stats.outage or stats.pending) else 0
            if self.stop.is_set():
                return 0
            if stats.outage:
                log.warning("%s；%.0f秒后重试。", stats.outage, delay)
                self._sleep(delay)
                delay = min(delay * 2, self.config.policy.max_backoff_seconds)
            else:
                delay = self.config.policy.backoff_seconds
                self._sleep(self.config.policy.poll_seconds)
            if self.stop.is_set():
                return 0

    def _with_retries(self, what: str, fn: Callable):
        policy = self.config.policy
        delay = policy.backoff_seconds
        for attempt in range(policy.retries + 1):
            try:
                return fn()
            except Exception as exc:  # imaplib/imap-tools raise many kinds; all are outages here
                if attempt >= policy.retries or self.stop.is_set():
                    raise Outage(f"{what}失败（已重试{attempt}次）：{type(exc).__name__}: {exc}") from exc
                log.warning("%s失败：%s；%.1f秒后第%d次重试。", what, exc, delay, attempt + 1)
                self._sleep(delay)
                delay = min(delay * 2, policy.max_backoff_seconds)
        raise AssertionError("unreachable")

    def run_pass(self) -> PassStats:
        stats = PassStats()
        try:
            session = self._with_retries("连接IMAP服务器", lambda: ImapSession(self.config))
        except Outage as exc:
            stats.outage = str(exc)
            log.error("%s", exc)
            return stats
        try:
            try:
                uids = self._with_retries("读取邮件列表", session.pending_uids)
            except Outage as exc:
                stats.outage = str(exc)
                log.error("%s", exc)
                return stats
            for uid in uids:
                if self.stop.is_set():
                    stats.pending += 1
                    continue
                if stats.outage:
                    stats.pending += 1
                    continue
                stats.seen += 1
                try:
                    self.handle_uid(session, uid, stats)
                except Outage as exc:
                    stats.outage = str(exc)
                    stats.pending += 1
                    log.error("%s", exc)
                except IMAP_ERRORS as exc:  # the IMAP connection broke mid-message
                    stats.outage = f"IMAP连接中断：{type(exc).__name__}: {exc}"
                    stats.pending += 1
                    log.error("%s", stats.outage)
                except SQLAlchemyError as exc:  # the registry's database is unreachable
                    stats.outage = f"登记簿数据库错误：{type(exc).__name__}: {exc}"
                    stats.pending += 1
                    log.error("%s", stats.outage)
        finally:
            session.close()
        return stats

    # One message ----------------------------------------------------------------------------------
    def handle_uid(self, session: ImapSession, uid: str, stats: PassStats) -> None:
        mid = session.header_message_id(uid)
        if mid:
            row = self.registry.lookup(message_key(mid, b""))
            if row is not None and row["status"] in DONE_STATUSES:
                session.mark_done(uid)
                stats.duplicates += 1
                log.info("已处理过，不再回复 uid=%s %s（%s）", uid, row["message_key"], row["status"])
                return
        raw = session.fetch_raw(uid)
        if raw is None:
            return
        incoming = parse_message(raw)
        key = message_key(incoming.message_id, raw)
        path, digest = archive.store(self.config.store.archive_dir, raw)
        unit = self.roster.unit_for(incoming.sender)
        self.registry.register(key, message_id=incoming.message_id, sender=incoming.sender,
                               subject=incoming.subject, unit=unit, raw_sha256=digest,
                               archive_path=str(path), raw_size=len(raw))
        crash_point("after-archive")
        claim = self.registry.claim(key, self.owner, self.config.policy.lease_seconds)
        if claim.outcome == "done":
            session.mark_done(uid)
            stats.duplicates += 1
            log.info("已处理过，不再回复 uid=%s %s（%s）", uid, key, claim.row["status"] if claim.row else "")
            return
        if not claim.claimed:
            stats.skipped += 1
            log.info("另一处理进程正在处理 uid=%s %s，跳过", uid, key)
            return
        crash_point("after-claim")
        try:
            final = self.process_claimed(key, claim.row["attempts"], incoming, unit)
        except LeaseLost:
            log.warning("租约已过期，%s 已由其他进程接手", key)
            return
        except Outage:
            self.registry.release(key, self.owner, "邮件服务器暂时无法连接，稍后重试")
            raise
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            log.exception("处理 %s 时出错：%s", key, reason)
            if claim.row["attempts"] >= self.config.policy.max_attempts:
                self.registry.finish(key, self.owner, FAILED, f"已尝试{claim.row['attempts']}次仍失败：{reason}")
                session.mark_done(uid)
                stats.failed += 1
            else:
                self.registry.release(key, self.owner, reason)
                stats.pending += 1
            return
        crash_point("after-record")
        session.mark_done(uid)
        crash_point("after-flag")
        if final == QUARANTINED:
            stats.quarantined += 1
        elif final == FAILED:
            stats.failed += 1
        else:
            stats.replied += 1

    def process_claimed(self, key: str, attempts: int, incoming: Incoming, unit: str | None) -> str:
        """Everything after the claim; returns the message's final status."""
        ob = self.registry.outbox_row(key)
        if ob is None:
            if incoming.auto_reason:
                return self._quarantine(key, incoming, f"{incoming.auto_reason}，不回复")
            if unit is None:
                return self._quarantine(key, incoming, "发件人不在单位名单中，不回复")
            workdir = self.config.store.work_dir / archive.sha256(key.encode())[:20]
            if attempts > self.config.policy.max_attempts:
                reason = f"已尝试处理{attempts - 1}次均未完成（处理进程中断），请人工处理"
                self._prepare(key, incoming, unit, workdir, [], final_status=FAILED, final_reason=reason,
                              crashed=True)
            else:
                if workdir.exists():
                    shutil.rmtree(workdir, ignore_errors=True)
                results = [self._build(att, workdir) for att in incoming.attachments]
                crash_point("after-build")
                failed = [r for r in results if r.internal]
                reason = "；".join([f"{r.name}：{r.internal}" for r in failed]
                                  + [f"{r.name}：自评报告未生成（{r.report_failure}）" for r in results
                                     if r.report_failure]) or None
                self._prepare(key, incoming, unit, workdir, results,
                              final_status=FAILED if failed else REPLIED, final_reason=reason)
            crash_point("after-prepare")
            ob = self.registry.outbox_row(key)
        return self._deliver(key, ob, incoming, unit)

    def _quarantine(self, key: str, incoming: Incoming, reason: str) -> str:
        self.registry.finish(key, self.owner, QUARANTINED, reason)
        log.info("已隔离 %s 发件人=%s 主题=%s：%s", key, incoming.sender or "（无）", incoming.subject, reason)
        return QUARANTINED

    # Build ---------------------------------------------------------------------------------------
    def _build(self, att: Attachment, workdir: Path) -> FileResult:
        from ..pipeline import build_file

        limit = self.config.policy.max_attachment_mb
        if len(att.data) > limit * 1024 * 1024:
            return FileResult(att.name, rejected=(
                f"文件“{att.name}”大小为{len(att.data) / 1024 / 1024:.1f}MB，超过{limit:g}MB的上限，未处理。"
                "绩效自评工作簿通常不超过1MB，请删除无关内容（图片、无关工作表）后再提交。"))
        source_dir, out_dir = workdir / "原件", workdir / "结果"
        source_dir.mkdir(parents=True, exist_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        source = source_dir / att.name
        source.write_bytes(att.data)
        output = out_dir / (att.name if att.suffix in WORKBOOK_SUFFIXES else Path(att.name).stem + ".xlsx")
        last: Exception | None = None
        for _ in range(self.config.policy.max_attempts):
            try:
                outcome = build_file(source, output=output, report=True)
            except Exception as exc:  # noqa: BLE001 - a bug in the build: retried, then reported, never blocks the queue
                last = exc
                log.warning("构建 %s 出错：%s: %s", att.name, type(exc).__name__, exc)
                continue
            if outcome.failure is not None:
                message = outcome.failure.message.replace(str(source), att.name).replace(str(output), att.name)
                if outcome.workbook_path and outcome.evaluation is not None and outcome.evaluation.complete:
                    return FileResult(att.name, outcome=outcome, report_failure=message)
                return FileResult(att.name, outcome=outcome, rejected=message)
            return FileResult(att.name, outcome=outcome)
        return FileResult(att.name, internal=f"{type(last).__name__}: {last}")

    # Reply -----------------------------------------------------------------------------------------
    def _template(self, workdir: Path) -> tuple[str, bytes]:
        from ..template import write_template

        report_type = self.config.policy.report_type
        name = f"绩效自评模板_{report_type}.xlsx"
        workdir.mkdir(parents=True, exist_ok=True)
        path = write_template(workdir / name, report_type)
        return name, Path(path).read_bytes()

    def _prepare(self, key: str, incoming: Incoming, unit: str, workdir: Path, results: list[FileResult], *,
                 final_status: str, final_reason: str | None, crashed: bool = False) -> None:
        body, files, cc = self._compose_body(incoming, unit, workdir, results, crashed)
        from_addr = self.config.smtp.from_
        mid = reply_message_id(key, from_addr)
        sender_addr = incoming.sender
        msg = build_reply(incoming, from_addr=from_addr, to=[sender_addr], cc=cc, body=body, attachments=files,
                          message_id=mid, date=datetime.now(UTC).astimezone())
        data = bytes(msg)
        path, _ = archive.store(self.config.store.archive_dir, data, sub="sent")
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = [self._submission_row(r, unit, incoming.sender, now) for r in results]
        self.registry.prepare_reply(key, self.owner, reply_message_id=mid, sender=from_addr,
                                    recipients=[sender_addr, *cc], reply_path=str(path),
                                    final_status=final_status, final_reason=final_reason, unit=unit, rows=rows)

    def _submission_row(self, r: FileResult, unit: str, sender: str, now: datetime) -> dict:
        row: dict = {"file_name": r.name, "unit": unit, "status": r.status, "sender": sender, "submitted_at": now,
                         "reason": r.rejected or r.internal}
        ev = getattr(r.outcome, "evaluation", None) if r.outcome is not None else None
        if ev is not None and not r.rejected:
            info, budget = ev.input.info, ev.budget
            row.update(workbook_unit=info.unit or None, project=info.project or None, year=info.year or None,
                       report_type=info.report_type, annual=budget.annual, executed=budget.executed,
                       rate=budget.rate, total=ev.total, grade=ev.grade, n_errors=len(ev.errors),
                       n_warnings=len(ev.warnings),
                       workbook_path=str(r.outcome.workbook_path) if r.outcome.workbook_path else None,
                       report_path=str(r.outcome.report_path) if r.outcome.report_path else None)
        return row

    def _compose_body(self, incoming: Incoming, unit: str, workdir: Path, results: list[FileResult],
                      crashed: bool) -> tuple[str, list[tuple[str, bytes]], list[str]]:
        from ..planner import sort_problems

        subject = incoming.subject or "（无主题）"
        files: list[tuple[str, bytes]] = []
        cc: list[str] = []
        parts = [greeting(unit)]
        if crashed:
            parts.append(f"您发送的邮件《{subject}》已收到，但系统多次处理均未完成，已记录并通知管理员，"
                         "将由人工处理并另行答复，无需重复发送。")
            return "".join(parts) + SIGNATURE, files, cc
        if not results:
            template_name, template_bytes = self._template(workdir)
            files.append((template_name, template_bytes))
            received = ""
            if incoming.other_files:
                received = f"（收到的附件“{'”“'.join(incoming.other_files[:5])}”不是Excel工作簿）"
            parts.append(f"您发送的邮件《{subject}》中没有找到绩效自评工作簿（.xlsx）附件{received}。"
                         f"随信附上空白模板，填写方法：\n{how_to_text(template_name)}")
            return "".join(parts) + SIGNATURE, files, cc

        parts.append(f"您发送的邮件《{subject}》已收到，共{len(results)}个工作簿，处理结果如下：")
        need_template = False
        for i, r in enumerate(results, 1):
            lines = [f"\n\n{ordinal(i)}、{r.name}"]
            if r.internal:
                lines.append("    系统处理该工作簿时发生内部错误，已记录并通知管理员，将由人工处理，无需重复发送。")
            elif r.rejected:
                need_template = True
                lines.append(f"    无法处理：{r.rejected}")
                lines.append("    随信附上空白模板，请用模板填写后重新发送。")
            else:
                outcome = r.outcome
                ev = outcome.evaluation  # type: ignore[union-attr]
                info, budget = ev.input.info, ev.budget
                if info.email:
                    addr = normalise_address(info.email)
                    if addr and addr != incoming.sender and addr not in cc:
                        cc.append(addr)
                project = f"项目：{info.project or '（未填写）'}" + (f"（{info.year}年度）" if info.year else "")
                rate = f"{budget.rate}%" if budget.rate is not None else "—"
                if budget.annual is not None:
                    money_line = (f"    {project}；全年预算数{money(budget.annual)}万元，"
                                  f"全年执行数{money(budget.executed)}万元，预算执行率{rate}。")
                else:
                    money_line = f"    {project}；全年预算数未填写。"
                wb_path = outcome.workbook_path  # type: ignore[union-attr]
                if r.exit_code == EXIT_OK:
                    lines.append(f"    评分完成：总分{ev.total:.2f}分，评价等级“{ev.grade}”；"
                                 f"错误{len(ev.errors)}个，警告{len(ev.warnings)}个，提示{len(ev.infos)}个。")
                    lines.append(money_line)
                    attached = []
                    if wb_path:
                        files.append((r.name if r.name.lower().endswith(WORKBOOK_SUFFIXES) else Path(wb_path).name,
                                      Path(wb_path).read_bytes()))
                        attached.append(f"“{files[-1][0]}”（已评分的工作簿）")
                    report_path = outcome.report_path  # type: ignore[union-attr]
                    if report_path:
                        files.append((Path(report_path).name, Path(report_path).read_bytes()))
                        attached.append(f"“{files[-1][0]}”（自评报告）")
                    if attached:
                        lines.append(f"    附件：{'、'.join(attached)}。")
                    if r.report_failure:
                        lines.append("    自评报告未能生成，汇总单位将另行处理，无需重复发送。")
                    problems = sort_problems(ev.warnings)
                    if problems:
                        lines.append("    以下警告不影响评分，建议核对修改：")
                        lines += self._problem_lines(problems)
                else:
                    lines.append(f"    发现{len(ev.errors)}个错误、{len(ev.warnings)}个警告，总分不完整，暂不能出具评分结果。"
                                 "请按以下问题修改后重新发送：")
                    lines += self._problem_lines(sort_problems(ev.errors + ev.warnings))
                    lines.append(money_line)
                    if wb_path:
                        files.append((r.name if r.name.lower().endswith(WORKBOOK_SUFFIXES) else Path(wb_path).name,
                                      Path(wb_path).read_bytes()))
                        lines.append(f"    附件“{files[-1][0]}”中已用颜色和批注标出有问题的单元格，"
                                     "“校验结果”工作表列出了全部问题。")
            parts.append("\n".join(lines))
        if need_template:
            files.append(self._template(workdir))
        return "".join(parts) + SIGNATURE, files, cc

    @staticmethod
    def _problem_lines(problems) -> list[str]:
        lines = [f"      {n}. [{p.level.value}] {p.text}" for n, p in enumerate(problems[:MAX_PROBLEM_LINES], 1)]
        if len(problems) > MAX_PROBLEM_LINES:
            lines.append(f"      ……另有{len(problems) - MAX_PROBLEM_LINES}项，详见附件工作簿的“校验结果”工作表。")
        return lines

    # Delivery ----------------------------------------------------------------------------------------
    def _deliver(self, key: str, ob, incoming: Incoming, unit: str | None) -> str:
        policy = self.config.policy
        if ob["state"] in (SENT, ABANDONED):
            self.registry.mark_sent(key, abandoned_reason=ob["last_error"] if ob["state"] == ABANDONED else None)
            return self._final(key)
        if ob["state"] == SENDING:
            if policy.on_uncertain == "skip":
                self.registry.mark_sent(key, abandoned_reason="上次发送在最后一步中断，无法确认是否已发出；按配置不再重发")
                log.warning("回复 %s 可能已发出（发送时中断），按配置不再重发", ob["reply_message_id"])
                return self._final(key)
            self.registry.note_uncertain(key)
            log.warning("回复 %s 上次发送在最后一步中断，无法确认是否已发出，按配置重发（Message-ID 相同）",
                        ob["reply_message_id"])
        data = Path(ob["reply_path"]).read_bytes()
        recipients = [r for r in ob["recipients"].split(",") if r]
        delay = policy.backoff_seconds
        refused: list[str] = []
        for attempt in range(policy.retries + 1):
            try:
                refused = self.smtp.send(data, ob["sender"], recipients, before_dot=lambda: self._before_dot(key))
                break
            except SendError as exc:
                if exc.permanent:
                    self.registry.mark_sent(key, abandoned_reason=f"回复被邮件服务器拒收：{exc}", permanent=True)
                    log.error("回复 %s 被拒收：%s", key, exc)
                    return FAILED
                if exc.uncertain:
                    if policy.on_uncertain == "skip":
                        self.registry.mark_sent(key, abandoned_reason=f"{exc}；按配置不再重发")
                        return self._final(key)
                    self.registry.note_uncertain(key)
                else:
                    self.registry.mark_not_sent(key, str(exc))
                if attempt >= policy.retries or self.stop.is_set():
                    raise Outage(f"发送回复失败（已重试{attempt}次）：{exc}") from exc
                log.warning("发送回复失败：%s；%.1f秒后第%d次重试。", exc, delay, attempt + 1)
                self._sleep(delay)
                delay = min(delay * 2, policy.max_backoff_seconds)
        crash_point("after-send")
        self.registry.mark_sent(key)
        final = self._final(key)
        if refused:
            self.registry.set_reason(key, f"部分收件人被拒绝：{'、'.join(refused)}")
        self._log_reply(key, incoming, unit, final)
        return final

    def _before_dot(self, key: str) -> None:
        self.registry.mark_sending(key, self.owner, self.config.policy.lease_seconds)
        crash_point("before-dot")

    def _final(self, key: str) -> str:
        row = self.registry.lookup(key)
        return row["status"] if row else REPLIED

    def _log_reply(self, key: str, incoming: Incoming, unit: str | None, final: str) -> None:
        rows = self.registry.submissions_for(key)
        detail = "；".join(
            f"{r['file_name']} {r['status']}" + (f" 总分{r['total']:.2f} {r['grade']}" if r["total"] is not None else "")
            for r in rows) or "无附件，已回复模板"
        verb = "已回复" if final == REPLIED else "已回复（处理失败通知）"
        log.info("%s %s 单位=%s 发件人=%s：%s", verb, key, unit or "", incoming.sender, detail)
