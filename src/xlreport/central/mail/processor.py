"""The processor loop: take in by UID, check the sender, build in a worker, reply once, record.

A pass has two halves.

**Taking in** (per UID the registry has not seen in this folder): the server's ``RFC822.SIZE`` is
read first — a message over ``max_message_mb`` is never downloaded, only its header block; the raw
bytes are archived (content-addressed) and the message registered under ``sha256:<hash>`` *before
anything parses it*, and the UID is recorded. ``\\Seen`` plays no part: a message a person has
already opened is still taken in.

**Processing** (per registered message not done yet, from its archived bytes), each step committed
before the next:

1. the message is *claimed* (lease); claims do not count as attempts;
2. its header block is read (never the MIME tree): auto-replies and oversize messages are settled;
   the sender is checked by the configured policy (:mod:`xlreport.central.mail.auth`); a message that fails
   is quarantined and never answered with data;
3. a worker process (:mod:`xlreport.central.mail.worker`) parses the body and builds each attachment in its
   own folder, under a time and memory limit. Only the worker dying, timing out or the processing
   of *this* message raising counts as an attempt; after ``max_attempts`` the unit gets a notice;
4. the reply is composed with a **deterministic Message-ID**, its exact bytes archived and an
   ``outbox`` row ``prepared`` committed together with the submissions. If the reply cannot be
   built, a plain-text notice takes its place;
5. SMTP: MAIL, one RCPT per roster address, DATA and the body; ``sending`` is committed; only then
   the final ``.`` is written and the server's answer read;
6. ``sent`` and the message's final status are committed in one transaction;
7. the message is flagged ``\\Seen`` (or moved to ``processed_folder``) on the server.

After ``kill -9`` anywhere, the next run claims the message again (the dead process's lease is free
at once on the same host, after ``lease_seconds`` elsewhere) and goes on from the last commit. The
one window plain SMTP cannot close is between ``sending`` and ``sent``: ``on_uncertain = "resend"``
sends the same bytes (same Message-ID) again **at most once**; ``"skip"`` never does.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from xlreport.central.mail import archive
from xlreport.central.mail.auth import Refusal, Verdict, check_sender
from xlreport.central.mail.compose import build_reply, reply_message_id
from xlreport.central.mail.config import MailConfig, SenderCheck
from xlreport.central.mail.headers import (
    MAX_HEADER_BYTES,
    Headers,
    escape,
    read_headers,
)
from xlreport.central.mail.replies import (
    Body,
    Notice,
    file_status,
    no_workbook,
    notice,
    results_body,
)
from xlreport.central.mail.roster import Roster, load_roster, normalise_address
from xlreport.central.mail.transport import (
    IMAP_ERRORS,
    ImapSession,
    SendError,
    SmtpSender,
)
from xlreport.central.registry import (
    ABANDONED,
    DUPLICATE,
    FAILED,
    QUARANTINED,
    REPLIED,
    SENDING,
    SENT,
    LeaseLost,
    Registry,
    make_owner,
    recipients_of,
)
from xlreport.core import catalogue
from xlreport.core.failures import EXIT_ERRORS, EXIT_OK, XlreportError
from xlreport.wording.mail import NotCopied, broken_overrides

log = logging.getLogger("xlreport.central.mail")

CRASH_ENV = "XLREPORT_TEST_CRASH_AT"
PAUSE_ENV = "XLREPORT_TEST_PAUSE_AT"


def crash_point(name: str) -> None:
    """Test hook: ``XLREPORT_TEST_CRASH_AT=name`` kills this process with SIGKILL right here;
    ``XLREPORT_TEST_PAUSE_AT=name`` prints a marker and sleeps so a test can ``kill -9`` it."""
    if os.environ.get(CRASH_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == name:
        print(f"XLREPORT-PAUSED {name}", file=sys.stderr, flush=True)
        time.sleep(3600)


class Outage(Exception):
    """IMAP or SMTP is unreachable; retried later, never fatal."""


class WorkerFailed(Exception):
    """The worker for one message died, timed out or wrote no result: one attempt of that message."""


OVERSIZE_PREFIX = "head-sha256:"


def _die_with_parent() -> None:
    """Linux: the worker is killed when the processor dies (kill -9 leaves no orphan building)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def _bounded(chunks, limit: int):
    """Pass chunks on until more than ``limit`` bytes came (then the partial file is discarded)."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise _TooLarge(total)
        yield chunk


def _noted(reason: str | None, body: Body) -> str | None:
    """The message's reason, with the office's template error when the default text was used."""
    if body.template_error is None:
        return reason
    log.error("回复改用默认模板：%s", escape(body.template_error))
    return (reason + "；" if reason else "") + f"回复改用默认模板（{body.template_error}）"


def message_key(raw: bytes) -> str:
    return f"sha256:{archive.sha256(raw)}"


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


@dataclass
class Reply:
    """What to send for one message (always to roster addresses only)."""

    to: list[str]
    cc: list[str]
    body: str
    files: list[tuple[str, bytes | Path]]
    status: str
    reason: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)


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
        for folder in (config.store.archive_dir, config.store.work_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.templates = config.policy.templates  # the office's wording for replies and reports
        for problem in broken_overrides(self.templates):
            log.error("%s（用到该模板的邮件回复将改用默认模板。）", problem)

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
        """Poll until stopped (or one pass with ``once``). Returns 0, or 1 when messages remain pending
        because a server or the database was unavailable. Messages that failed on their own do not count."""
        delay = self.config.policy.backoff_seconds
        while True:
            stats = self.run_pass()
            if once:
                return EXIT_ERRORS if (stats.outage or stats.pending) else EXIT_OK
            if self.stop.is_set():
                return EXIT_OK
            if stats.outage:
                log.warning("%s；%.0f秒后重试。", stats.outage, delay)
                self._sleep(delay)
                delay = min(delay * 2, self.config.policy.max_backoff_seconds)
            else:
                delay = self.config.policy.backoff_seconds
                self._sleep(self.config.policy.poll_seconds)
            if self.stop.is_set():
                return EXIT_OK

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
                uids = self._with_retries("读取邮件列表", session.all_uids)
                known = self.registry.known_uids(session.mailbox, session.uidvalidity)
            except (Outage, SQLAlchemyError) as exc:
                stats.outage = str(exc)
                log.error("%s", escape(exc))
                return stats
            for uid in uids:
                if uid in known or self.stop.is_set() or stats.outage:
                    continue
                stats.seen += 1
                self._guarded(stats, f"uid={uid}", lambda uid=uid: self.take_in(session, uid, known))
            for key in ([] if stats.outage else self.registry.pending_keys()):
                if self.stop.is_set() or stats.outage:
                    stats.pending += 1
                    continue
                self._guarded(stats, key, lambda key=key: self.process(key, stats), imap=False)
            if not stats.outage:
                self._flag_done(session, uids, stats)
        except SQLAlchemyError as exc:  # the registry's database went away between messages
            stats.outage = f"登记簿数据库错误：{type(exc).__name__}: {exc}"
            log.error("%s", escape(stats.outage))
        finally:
            session.close()
        return stats

    def _guarded(self, stats: PassStats, name: str, fn: Callable[[], None], imap: bool = True) -> None:
        """One message's step: an outage stops the pass, anything else is that message's alone."""
        imap_errors = IMAP_ERRORS if imap else ()
        try:
            fn()
        except Outage as exc:
            stats.outage = str(exc)
            stats.pending += 1
            log.error("%s（%s）", escape(exc), name)
        except imap_errors as exc:
            stats.outage = f"IMAP连接中断：{type(exc).__name__}: {exc}"
            stats.pending += 1
            log.error("%s（%s）", escape(stats.outage), name)
        except SQLAlchemyError as exc:
            stats.outage = f"登记簿数据库错误：{type(exc).__name__}: {exc}"
            stats.pending += 1
            log.error("%s（%s）", escape(stats.outage), name)
        except Exception as exc:
            log.error("处理 %s 时出错，继续处理其他邮件：%s: %s", name, type(exc).__name__, escape(exc))
            log.debug("详细信息", exc_info=True)
            stats.failed += 1

    # Taking in ---------------------------------------------------------------------------------
    def take_in(self, session: ImapSession, uid: str, known: dict[str, tuple[str, bool]]) -> None:
        """Archive and register one UID; the key exists before anything parses the message."""
        limit = int(self.config.policy.max_message_mb * 1024 * 1024)
        size = session.size(uid)
        where = f"{session.mailbox} {session.uidvalidity} {uid}"
        stored = None
        if size is None or size <= limit:
            try:
                stored = archive.store_chunks(self.config.store.archive_dir, _bounded(session.fetch_chunks(uid), limit))
            except _TooLarge as exc:  # the server's size was wrong: stop at the limit, never more
                size = exc.size
        if stored is None:
            head = session.fetch_header(uid, MAX_HEADER_BYTES) or b""
            key = f"{OVERSIZE_PREFIX}{archive.sha256(head + str(size).encode())}"
            path, _ = archive.store(self.config.store.archive_dir, head, sub="headers")
            self.registry.register(key, message_id=None, sender="", subject="", unit=None, raw_sha256="",
                                   archive_path=str(path), raw_size=size or 0, imap_uid=where)
            log.info("邮件过大未下载 uid=%s %s（%.1fMB）", uid, key, (size or 0) / 1024 / 1024)
        else:
            path, digest, got = stored
            if got == 0:
                return
            key = f"sha256:{digest}"
            self.registry.register(key, message_id=None, sender="", subject="", unit=None, raw_sha256=digest,
                                   archive_path=str(path), raw_size=got, imap_uid=where)
        crash_point("after-archive")
        self.registry.record_uid(session.mailbox, session.uidvalidity, uid, key)
        known[uid] = (key, False)
        row = self.registry.lookup(key)
        if row is not None and row["status"] in (REPLIED, FAILED, QUARANTINED, DUPLICATE):
            log.info("已处理过，不再回复 uid=%s %s（%s）", uid, key, row["status"])

    def _flag_done(self, session: ImapSession, uids: list[str], stats: PassStats) -> None:
        known = self.registry.known_uids(session.mailbox, session.uidvalidity)
        for uid in uids:
            entry = known.get(uid)
            if entry is None or entry[1]:
                continue
            row = self.registry.lookup(entry[0])
            if row is None or row["status"] not in (REPLIED, FAILED, QUARANTINED, DUPLICATE):
                continue
            session.mark_done(uid)
            self.registry.uid_flagged(session.mailbox, session.uidvalidity, uid)
            crash_point("after-flag")

    # Processing ----------------------------------------------------------------------------------
    def process(self, key: str, stats: PassStats) -> None:
        claim = self.registry.claim(key, self.owner, self.config.policy.lease_seconds)
        if claim.outcome == "done":
            return
        if not claim.claimed:
            stats.skipped += 1
            log.info("另一处理进程正在处理 %s，跳过", key)
            return
        crash_point("after-claim")
        row = claim.row
        while True:
            try:
                final = self._process_claimed(key, row)
                break
            except LeaseLost:
                log.warning("租约已过期，%s 已由其他进程接手", key)
                return
            except (Outage, SQLAlchemyError):
                self.registry.release(key, self.owner, "邮件服务器或数据库暂时不可用，稍后重试")
                raise
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                log.error("处理 %s 时出错：%s", key, escape(reason))
                log.debug("详细信息", exc_info=True)
                attempts = self.registry.note_attempt(key, self.owner, reason)
                if attempts >= self.config.policy.max_attempts:
                    final = self._quarantine(key, catalogue.reason("mail-failed", attempts=attempts, detail=reason), key,
                                             status=FAILED)
                    break
                row = self.registry.lookup(key)
        crash_point("after-record")
        if final == QUARANTINED:
            stats.quarantined += 1
        elif final == FAILED:
            stats.failed += 1
        elif final == DUPLICATE:
            stats.duplicates += 1
        else:
            stats.replied += 1

    def _process_claimed(self, key: str, row) -> str:
        """Everything after the claim; returns the message's final status."""
        ob = self.registry.outbox_row(key)
        if ob is not None:
            return self._deliver(key, ob)
        h = self._headers(row)
        log_name = f"{key} 发件人={h.sender or '（无）'} 主题={escape(h.subject)}"
        verdict = check_sender(h, self.roster, self.config.policy)
        self.registry.update_headers(key, sender=h.sender, subject=h.subject, message_id=h.message_id,
                                     unit=verdict.unit, verified_by=verdict.detail[:200] or None)
        if h.auto_reason:
            return self._quarantine(key, catalogue.reason("mail-auto-reply", detail=h.auto_reason), log_name)
        if key.startswith(OVERSIZE_PREFIX):  # never downloaded
            size = f"{row['raw_size'] / 1024 / 1024:.1f}MB"
            return self._refuse(key, h, verdict, "mail-too-large", catalogue.message("mail-too-large", size=size), log_name,
                                notice_kind=Notice.TOO_LARGE, detail=size)
        if not verdict.ok and not verdict.pending_code:
            if verdict.refusal is Refusal.UNKNOWN_SENDER:
                return self._quarantine(key, f"[{verdict.refusal}] {verdict.detail}，不回复", log_name)
            return self._refuse(key, h, verdict, str(verdict.refusal), verdict.detail, log_name,
                                notice_kind=Notice.UNVERIFIED, detail=verdict.detail)
        if h.message_id and h.sender:
            dup = self.registry.replied_duplicate(key, h.message_id, h.sender)
            if dup is not None:
                self.registry.finish(key, self.owner, DUPLICATE, f"与 {dup['message_key']} 是同一封来信，已回复过")
                log.info("已处理过，不再回复 %s（同一发件人、同一 Message-ID）", log_name)
                return DUPLICATE
        cap_address = h.sender or (verdict.unit or "")
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        if self.registry.replies_since(h.sender, since) >= self.config.policy.max_replies_per_hour:
            return self._quarantine(key, catalogue.reason("mail-rate-limited", address=cap_address,
                                                          limit=self.config.policy.max_replies_per_hour), log_name)
        if verdict.pending_code and self.registry.refusals_since(
                h.sender, str(Refusal.NO_CODE), since) >= self.config.policy.max_replies_per_hour:
            return self._quarantine(key, catalogue.reason(Refusal.NO_CODE, "rate-limited",
                                                          limit=self.config.policy.max_replies_per_hour), log_name)
        workdir = self.config.store.work_dir / archive.sha256(key.encode())[:20]
        result = self._run_worker(key, row, workdir, find_code=verdict.pending_code)
        crash_point("after-build")
        if result is None:  # failed max_attempts times
            reply = self._notice_reply(h, verdict, Notice.FAILED, FAILED,
                                       f"已尝试{self.config.policy.max_attempts}次均未完成，请人工处理")
            if reply is None:
                return self._quarantine(key, catalogue.reason("mail-failed", "gave-up"), log_name, status=FAILED)
            return self._send_new(key, row, h, reply, log_name)
        if "parse_error" in result:
            return self._refuse(key, h, verdict, "mail-unparseable",
                                catalogue.message("mail-unparseable", detail=result["parse_error"]), log_name,
                                notice_kind=Notice.UNPARSEABLE)
        if verdict.pending_code:
            codes = " ".join(f.get("code_text", "") for f in result.get("files", []))
            unit = self.roster.unit_for_code(codes)
            if unit is None:
                return self._refuse(key, h, verdict, str(Refusal.NO_CODE), catalogue.message(Refusal.NO_CODE),
                                    log_name, notice_kind=Notice.UNVERIFIED, detail="没有有效的提交码")
            verdict = Verdict(unit, detail="工作簿中的提交码", roster_unit=verdict.roster_unit)
            self.registry.update_headers(key, unit=unit, verified_by=verdict.detail)
        try:
            reply = self._results_reply(h, verdict, result, workdir)
        except Exception as exc:
            log.error("回复内容未能生成 %s：%s", log_name, escape(exc))
            log.debug("详细信息", exc_info=True)
            reply = self._notice_reply(h, verdict, Notice.BUILD_BROKEN, FAILED,
                                       f"回复内容未能生成：{type(exc).__name__}: {exc}")
            if reply is None:
                return self._quarantine(key, catalogue.reason("mail-failed", "no-reply"), log_name, status=FAILED)
        return self._send_new(key, row, h, reply, log_name)

    def _headers(self, row) -> Headers:
        path = row["archive_path"]
        head = b""
        if path:
            try:
                with open(path, "rb") as fh:
                    head = fh.read(MAX_HEADER_BYTES)
            except OSError:
                head = b""
        return read_headers(head)

    def _quarantine(self, key: str, reason: str, log_name: str, status: str = QUARANTINED) -> str:
        self.registry.finish(key, self.owner, status, reason)
        log.info("已隔离 %s：%s", log_name, escape(reason))
        return status

    def _refuse(self, key: str, h: Headers, verdict: Verdict, code: str, reason: str, log_name: str, *,
                notice_kind: Notice, detail: str = "") -> str:
        """Quarantined; a short notice without any data goes to the roster address in From, if any."""
        status_reason = f"[{code}] {reason}"
        if not verdict.roster_unit or not h.sender:
            return self._quarantine(key, status_reason + "，不回复", log_name)
        since = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        if self.registry.replies_since(h.sender, since) >= self.config.policy.max_replies_per_hour:
            return self._quarantine(key, status_reason + "，已达每小时回复上限，不回复", log_name)
        body = notice(notice_kind, verdict.roster_unit, h.subject, detail, self.templates)
        reply = Reply([h.sender], [], body.text, [], QUARANTINED, _noted(status_reason + "，已通知发件人", body))
        if notice_kind is Notice.UNVERIFIED:  # the forger's subject is not repeated in the reply's subject either
            h = dataclasses.replace(h, subject="")
        return self._send_new(key, None, h, reply, log_name)

    # Worker ----------------------------------------------------------------------------------------
    def build_options(self) -> dict[str, Any]:
        """Extra keyword arguments (JSON values) for ``build_file`` in the worker: the office's rules
        profile and templates folder."""
        options: dict[str, Any] = {"rules": self.config.policy.rules} if self.config.policy.rules else {}
        if self.templates:
            options["templates_dir"] = str(self.templates)
        return options

    def _run_worker(self, key: str, row, workdir: Path, *, find_code: bool) -> dict[str, Any] | None:
        """The worker's result, or None after ``max_attempts`` failures of this message's own worker."""
        policy = self.config.policy
        attempts = row["attempts"] or 0
        while attempts < policy.max_attempts:
            try:
                return self._worker_once(row["archive_path"], workdir, find_code)
            except WorkerFailed as exc:
                attempts = self.registry.note_attempt(key, self.owner, str(exc))
                log.warning("处理 %s 的子进程失败（第%d次）：%s", key, attempts, escape(exc))
        return None

    def _worker_once(self, raw_path: str, workdir: Path, find_code: bool) -> dict[str, Any]:
        policy = self.config.policy
        if workdir.exists():
            shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True, mode=0o700)
        limit = int(policy.max_attachment_mb * 1024 * 1024)
        memory = policy.worker_memory_mb * 1024 * 1024

        def limits() -> None:  # runs in the child before exec
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            os.umask(0o077)
            _die_with_parent()

        options = {"max_attachment_bytes": limit, "find_code": find_code, "build": self.build_options()}
        cmd = [sys.executable, "-m", "xlreport.central.mail.worker", raw_path, str(workdir), json.dumps(options)]
        errors = workdir / "worker-stderr.txt"
        try:
            with open(errors, "wb") as err:
                proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                      timeout=policy.build_timeout_seconds, preexec_fn=limits, check=False)
        except subprocess.TimeoutExpired as exc:
            raise WorkerFailed(f"处理超时（超过{policy.build_timeout_seconds:g}秒）") from exc
        result = workdir / "result.json"
        if proc.returncode != 0 or not result.exists():
            with open(errors, "rb") as err:
                err.seek(max(0, errors.stat().st_size - 300))
                tail = escape(err.read().decode("utf-8", "replace").strip())
            how = f"被信号{-proc.returncode}终止" if proc.returncode < 0 else f"退出码{proc.returncode}"
            raise WorkerFailed(f"处理子进程{how}（{tail}）")
        return json.loads(result.read_text(encoding="utf-8"))

    # Replies ---------------------------------------------------------------------------------------
    def _recipients(self, h: Headers, unit: str) -> list[str]:
        """To: the sender when it is one of the unit's roster addresses, otherwise all of them."""
        addresses = self.roster.addresses_of(unit)
        return [h.sender] if h.sender in addresses else addresses

    def _notice_reply(self, h: Headers, verdict: Verdict, kind: Notice, status: str, reason: str) -> Reply | None:
        unit = verdict.unit or verdict.roster_unit
        if not unit:
            return None
        to = self._recipients(h, unit)
        if not to:
            return None
        body = notice(kind, unit, h.subject, templates=self.templates)
        return Reply(to, [], body.text, [], status, _noted(reason, body))

    def _results_reply(self, h: Headers, verdict: Verdict, result: dict[str, Any], workdir: Path) -> Reply:
        unit = verdict.unit or ""
        to = self._recipients(h, unit)
        files = result.get("files", [])
        now = datetime.now(UTC).replace(tzinfo=None)
        if not files:
            name, data = self._template(workdir)
            body = no_workbook(unit, h.subject, result.get("other_files", []), name, self.templates)
            return Reply(to, [], body.text, [(name, data)], REPLIED, _noted(None, body))
        cc: list[str] = []
        not_copied: list[NotCopied] = []
        own = set(self.roster.addresses_of(unit))
        for r in files:
            raw = r.get("email")
            if not raw:
                continue
            addr = normalise_address(raw)
            if addr and addr in own:
                if addr not in to and addr not in cc:
                    cc.append(addr)
            else:
                not_copied.append(NotCopied(r["name"], escape(raw)[:80]))
        body = results_body(unit, h.subject, files, not_copied, self.templates)
        if body.need_template:
            body.files.append(self._template(workdir))
        internal = [f"{r['name']}：{r['internal']}" for r in files if r.get("internal")]
        reason = "；".join(internal + [f"{r['name']}：自评报告未生成（{r['report_failure']}）" for r in files
                                      if r.get("report_failure")]) or None
        rows = [self._submission_row(r, unit, h.sender, now) for r in files]
        return Reply(to, cc, body.text, body.files, FAILED if internal else REPLIED, _noted(reason, body), rows)

    def _template(self, workdir: Path) -> tuple[str, bytes]:
        from xlreport.adapters.template import write_template

        report_type = self.config.policy.report_type
        name = f"绩效自评模板_{report_type}.xlsx"
        folder = workdir / "模板"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = write_template(folder / name, report_type)
        return name, Path(path).read_bytes()

    @staticmethod
    def _submission_row(r: dict[str, Any], unit: str, sender: str, now: datetime) -> dict[str, Any]:
        from decimal import Decimal

        row: dict[str, Any] = {"file_name": r["name"], "unit": unit, "status": file_status(r), "sender": sender,
                               "submitted_at": now, "reason": r.get("rejected") or r.get("internal")}
        if "exit_code" in r and not r.get("rejected"):
            dec = (lambda v: None if v is None else Decimal(v))
            row.update(workbook_unit=r.get("workbook_unit"), project=r.get("project"), year=r.get("year"),
                       report_type=r.get("report_type"), annual=dec(r.get("annual")),
                       executed=dec(r.get("executed")), rate=dec(r.get("rate")), total=dec(r.get("total")),
                       grade=r.get("grade"), n_errors=r.get("n_errors"), n_warnings=r.get("n_warnings"),
                       workbook_path=r.get("workbook_path"), report_path=r.get("report_path"))
        return row

    def _send_new(self, key: str, row, h: Headers, reply: Reply, log_name: str) -> str:
        """Archive the exact bytes, commit the outbox row (with the submissions), then deliver."""
        from_addr = self.config.smtp.from_
        generation = (row["generation"] if row is not None else self.registry.lookup(key)["generation"]) or 0
        mid = reply_message_id(key if not generation else f"{key}#{generation}", from_addr)
        try:
            msg, placeholders = build_reply(h, from_addr=from_addr, to=reply.to, cc=reply.cc, body=reply.body,
                                            attachments=reply.files, message_id=mid,
                                            date=datetime.now(UTC).astimezone())
            path = self._store_reply(msg, placeholders)
        except Exception as exc:  # e.g. a header the library refuses: plain text, no attachments
            log.error("回复邮件未能生成 %s，改发纯文本通知：%s", log_name, escape(exc))
            log.debug("详细信息", exc_info=True)
            h = Headers(sender=h.sender, subject="", message_id=None)
            msg, placeholders = build_reply(h, from_addr=from_addr, to=reply.to, cc=[], body=notice(
                Notice.BUILD_BROKEN, None, "").text, attachments=[], message_id=mid,
                date=datetime.now(UTC).astimezone())
            path = self._store_reply(msg, placeholders)
            reply.reason = (reply.reason + "；" if reply.reason else "") + f"回复未能生成（{type(exc).__name__}），已发纯文本通知"
        del msg
        self.registry.prepare_reply(key, self.owner, reply_message_id=mid, sender=from_addr,
                                    recipients=[*reply.to, *reply.cc], reply_path=str(path),
                                    final_status=reply.status, final_reason=reply.reason,
                                    unit=self.registry.lookup(key)["unit"], rows=reply.rows)
        crash_point("after-prepare")
        return self._deliver(key, self.registry.outbox_row(key))

    def _store_reply(self, msg, placeholders: dict[str, Path]) -> Path:
        """The reply's exact bytes, generated straight into the archive (``sent/``)."""
        import tempfile

        from xlreport.central.mail.compose import write_message

        spool = self.config.store.archive_dir / "sent"
        spool.mkdir(parents=True, exist_ok=True, mode=0o700)
        with tempfile.TemporaryFile(dir=spool) as fh:
            write_message(msg, placeholders, fh)
            fh.seek(0)
            path, _, _ = archive.store_chunks(self.config.store.archive_dir, iter(lambda: fh.read(1 << 20), b""),
                                              sub="sent")
        return path

    # Delivery ----------------------------------------------------------------------------------------
    def _deliver(self, key: str, ob) -> str:
        policy = self.config.policy
        if ob["state"] in (SENT, ABANDONED):
            self.registry.mark_sent(key, abandoned_reason=ob["last_error"] if ob["state"] == ABANDONED else None)
            return self._final(key)
        if ob["state"] == SENDING:
            if policy.on_uncertain == "skip" or ob["uncertain_resends"] >= 1:
                return self._give_up_uncertain(key, ob["reply_message_id"])
            self.registry.note_uncertain(key)
            log.warning("回复 %s 上次发送在最后一步中断，无法确认是否已发出，按配置重发一次（Message-ID 相同）",
                        ob["reply_message_id"])
        data = Path(ob["reply_path"])
        recipients = recipients_of(ob)
        delay = policy.backoff_seconds
        refused: list[str] = []
        for attempt in range(policy.retries + 1):
            try:
                refused = self.smtp.send(data, ob["sender"], recipients, before_dot=lambda: self._before_dot(key))
                break
            except SendError as exc:
                if exc.permanent:
                    self.registry.mark_sent(key, abandoned_reason=f"回复被邮件服务器拒收：{exc}", permanent=True)
                    log.error("回复 %s 被拒收：%s", key, escape(exc))
                    return FAILED
                if exc.uncertain:
                    if policy.on_uncertain == "skip":
                        self.registry.mark_sent(key, abandoned_reason=f"{exc}；按配置不再重发")
                        return self._final(key)
                    if self.registry.note_uncertain(key) > 1:
                        return self._give_up_uncertain(key, ob["reply_message_id"])
                else:
                    self.registry.mark_not_sent(key, str(exc))
                if attempt >= policy.retries or self.stop.is_set():
                    raise Outage(f"发送回复失败（已重试{attempt}次）：{exc}") from exc
                log.warning("发送回复失败：%s；%.1f秒后第%d次重试。", escape(exc), delay, attempt + 1)
                self._sleep(delay)
                delay = min(delay * 2, policy.max_backoff_seconds)
        crash_point("after-send")
        self.registry.mark_sent(key)
        final = self._final(key)
        if refused:
            self.registry.set_reason(key, f"部分收件人被拒绝：{'、'.join(refused)}")
        self._log_reply(key, final)
        return final

    def _give_up_uncertain(self, key: str, reply_id: str) -> str:
        self.registry.mark_sent(key, abandoned_reason="发送在最后一步中断，无法确认是否已发出；不再重发（重发至多一次）")
        log.warning("回复 %s 可能已发出（发送时中断），不再重发", reply_id)
        return self._final(key)

    def _before_dot(self, key: str) -> None:
        self.registry.mark_sending(key, self.owner, self.config.policy.lease_seconds)
        crash_point("before-dot")

    def _final(self, key: str) -> str:
        row = self.registry.lookup(key)
        return row["status"] if row else REPLIED

    def _log_reply(self, key: str, final: str) -> None:
        row = self.registry.lookup(key)
        rows = self.registry.submissions_for(key)
        detail = "；".join(
            f"{r['file_name']} {r['status']}" + (f" 总分{r['total']:.2f} {r['grade']}" if r["total"] is not None else "")
            for r in rows) or (row["reason"] or "无附件，已回复模板")
        verb = {REPLIED: "已回复", QUARANTINED: "已隔离并通知"}.get(final, "已回复（处理失败通知）")
        log.info("%s %s 单位=%s 发件人=%s：%s", verb, key, escape(row["unit"] or ""), row["sender"], escape(detail))


__all__ = ["Outage", "Processor", "SenderCheck", "crash_point", "message_key"]
