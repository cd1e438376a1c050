"""The registry: which messages arrived, who is working on them, what was replied, what was submitted.

SQLAlchemy Core, SQLite by default, PostgreSQL (psycopg) for several processors sharing one
mailbox. A message is *claimed* with a lease (owner + expiry): on PostgreSQL the row is read with
``SELECT … FOR UPDATE SKIP LOCKED``; on both, the claim itself is a compare-and-swap UPDATE (it only
succeeds if status and attempts are still what was read), so two processors never both win.

Public API (also used by the web portal, which keeps its own tables in its own module): ``Registry``
with ``register``/``claim``/``finish``/``prepare_reply``/``mark_*`` for the processor, the readers
``lookup``, ``counts``, ``messages_with_status``, ``submissions_for``, ``all_submissions``, and
``add_submission_listener(fn)``: ``fn(rows)`` is called after submissions are committed.

A message's key is ``sha256:<hash of its raw bytes>`` (``head-sha256:`` for an oversize message
whose body was never downloaded): it exists before anything parses the message. ``imap_uids``
records which server UIDs were taken in, so the mailbox is read by UID, never by ``\\Seen``.

The reply goes through ``outbox`` in two phases: ``prepared`` (the exact bytes are archived and the
row committed before any SMTP traffic) → ``sending`` (committed immediately before the final
``.`` of SMTP DATA) → ``sent``. See :mod:`xlreport.central.mail.processor` for what a restart does in
each state.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, RowMapping

from xlreport.central.database import create_tables, open_engine

log = logging.getLogger("xlreport.central.mail")
metadata = MetaData()

# Message status
RECEIVED, PROCESSING, REPLIED, FAILED, QUARANTINED = "received", "processing", "replied", "failed", "quarantined"
DUPLICATE = "duplicate"
DONE_STATUSES = (REPLIED, FAILED, QUARANTINED, DUPLICATE)
STATUS_TEXT = {RECEIVED: "已接收", PROCESSING: "处理中", REPLIED: "已回复", FAILED: "处理失败", QUARANTINED: "已隔离",
               DUPLICATE: "重复来信"}

# Outbox state
PREPARED, SENDING, SENT, ABANDONED = "prepared", "sending", "sent", "abandoned"

messages = Table(
    "messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_key", String(255), nullable=False, unique=True),
    Column("message_id", Text),
    Column("sender", String(320)),
    Column("unit", Text),
    Column("subject", Text),
    Column("raw_sha256", String(64)),
    Column("archive_path", Text),
    Column("raw_size", Integer),
    Column("status", String(20), nullable=False, default=RECEIVED),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_owner", String(200)),
    Column("lease_expires", DateTime),
    Column("reason", Text),
    Column("received_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("done_at", DateTime),
    # Added later: nullable, so older registries are extended in place (see Registry._add_columns).
    Column("imap_uid", Text),  # "<mailbox> <uidvalidity> <uid>" where it was taken in
    Column("generation", Integer),  # bumped by ``mail retry``: the reply gets a new Message-ID
    Column("verified_by", Text),  # how the sender was checked
    Column("purged_at", DateTime),
    Column("old_replies", Text),  # JSON list of replies archived before a ``mail retry`` (for purge)
)

imap_uids = Table(
    "imap_uids", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("mailbox", String(400), nullable=False),
    Column("uidvalidity", String(40), nullable=False),
    Column("uid", String(40), nullable=False),
    Column("message_key", String(255), nullable=False),
    Column("flagged", Integer, nullable=False, default=0),  # \Seen set / moved after the message was done
    Column("taken_at", DateTime, nullable=False),
    UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_imap_uid"),
)

outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_key", String(255), nullable=False, unique=True),
    Column("reply_message_id", Text, nullable=False),
    Column("sender", String(320), nullable=False),
    Column("recipients", Text, nullable=False),  # JSON list of plain addresses (older rows: comma separated)
    Column("reply_path", Text, nullable=False),  # archived .eml of the exact bytes sent
    Column("final_status", String(20), nullable=False),  # message status once sent
    Column("final_reason", Text),
    Column("state", String(20), nullable=False),
    Column("send_attempts", Integer, nullable=False, default=0),
    Column("uncertain_resends", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sending_at", DateTime),
    Column("sent_at", DateTime),
)

submissions = Table(
    "submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("message_key", String(255), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("file_name", Text, nullable=False),
    Column("unit", Text),  # the roster's name for the sender
    Column("workbook_unit", Text),  # 实施单位 as written in the workbook
    Column("project", Text),
    Column("year", String(20)),
    Column("report_type", String(20)),
    Column("annual", Numeric(20, 4)),
    Column("executed", Numeric(20, 4)),
    Column("rate", Numeric(12, 4)),  # percent
    Column("total", Numeric(12, 2)),
    Column("grade", String(20)),
    Column("n_errors", Integer),
    Column("n_warnings", Integer),
    Column("status", String(20), nullable=False),  # 已通过 / 有错误 / 无法使用 / 处理失败
    Column("reason", Text),
    Column("sender", String(320)),
    Column("submitted_at", DateTime, nullable=False),
    Column("workbook_path", Text),
    Column("report_path", Text),
    UniqueConstraint("message_key", "seq", name="uq_submission_file"),
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def make_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


def _owner_is_dead(owner: str | None) -> bool:
    """A lease held by a process on this host that no longer exists (kill -9) is free at once."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class Claim:
    outcome: str  # claimed / done / busy
    row: RowMapping | None = None

    @property
    def claimed(self) -> bool:
        return self.outcome == "claimed"


class LeaseLost(RuntimeError):
    """Our lease expired and another processor took the message over."""


class Registry:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = open_engine(url, pragmas=("synchronous=FULL",), echo=echo)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        create_tables(self.engine, metadata, 7207310001, then=self._add_columns)
        self._listeners: list[Callable[[list[dict[str, Any]]], None]] = []

    def add_submission_listener(self, fn: Callable[[list[dict[str, Any]]], None]) -> None:
        """``fn(rows)`` runs after a reply's submissions are committed; its errors are logged, never raised."""
        self._listeners.append(fn)

    def _notify(self, rows: list[dict[str, Any]]) -> None:
        for fn in self._listeners:
            try:
                fn(rows)
            except Exception:
                log.exception("登记簿监听函数出错")

    def _add_columns(self, conn) -> None:
        """Columns added to a table after its first release are added to older databases here."""
        from sqlalchemy import inspect, text

        inspector = inspect(conn)
        for table in metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(dialect=conn.dialect)
                    conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}'))

    def dispose(self) -> None:
        self.engine.dispose()

    # Messages ----------------------------------------------------------------------------
    def _insert_ignore(self, table: Table, values: dict[str, Any], key: str = "message_key"):
        if self.is_postgres:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            return pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])

    def lookup(self, key: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(select(messages).where(messages.c.message_key == key)).mappings().first()

    def register(self, key: str, *, message_id: str | None, sender: str, subject: str, unit: str | None,
                 raw_sha256: str, archive_path: str | None, raw_size: int, imap_uid: str | None = None) -> None:
        """Record an arrived, archived message (no-op when it is already known)."""
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(self._insert_ignore(messages, {
                "message_key": key, "message_id": message_id, "sender": sender, "subject": subject, "unit": unit,
                "raw_sha256": raw_sha256, "archive_path": archive_path, "raw_size": raw_size, "status": RECEIVED,
                "attempts": 0, "received_at": now, "updated_at": now, "imap_uid": imap_uid, "generation": 0}))
            conn.execute(update(messages).where(messages.c.message_key == key,
                                                messages.c.archive_path.is_(None))
                         .values(archive_path=archive_path, raw_sha256=raw_sha256, raw_size=raw_size))

    def claim(self, key: str, owner: str, lease_seconds: float) -> Claim:
        now = utcnow()
        with self.engine.begin() as conn:
            query = select(messages).where(messages.c.message_key == key)
            if self.is_postgres:
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).mappings().first()
            if row is None:
                return Claim("busy")  # locked by another processor right now (or unknown)
            if row["status"] in DONE_STATUSES:
                return Claim("done", row)
            holder = row["lease_owner"]
            if (holder and holder != owner and row["lease_expires"] and row["lease_expires"] > now
                    and not _owner_is_dead(holder)):
                return Claim("busy", row)
            result = conn.execute(
                update(messages)
                .where(messages.c.message_key == key, messages.c.status == row["status"],
                       messages.c.attempts == row["attempts"],
                       messages.c.lease_owner.is_(None) if holder is None else messages.c.lease_owner == holder,
                       messages.c.lease_expires.is_(None) if row["lease_expires"] is None
                       else messages.c.lease_expires == row["lease_expires"])
                .values(status=PROCESSING, lease_owner=owner,
                        lease_expires=now + timedelta(seconds=lease_seconds), updated_at=now))
            if result.rowcount != 1:
                return Claim("busy", row)
            fresh = conn.execute(select(messages).where(messages.c.message_key == key)).mappings().first()
        return Claim("claimed", fresh)

    def _owned(self, key: str, owner: str):
        return (messages.c.message_key == key) & (messages.c.lease_owner == owner)

    def release(self, key: str, owner: str, reason: str | None = None) -> None:
        """Give the message back (to be retried later), keeping the attempt count."""
        with self.engine.begin() as conn:
            conn.execute(update(messages).where(self._owned(key, owner))
                         .values(status=RECEIVED, lease_owner=None, lease_expires=None, reason=reason,
                                 updated_at=utcnow()))

    def finish(self, key: str, owner: str | None, status: str, reason: str | None = None,
               unit: str | None = None) -> None:
        cond = self._owned(key, owner) if owner else (messages.c.message_key == key)
        values: dict[str, Any] = {"status": status, "lease_owner": None, "lease_expires": None, "reason": reason,
                                      "updated_at": utcnow(), "done_at": utcnow()}
        if unit is not None:
            values["unit"] = unit
        with self.engine.begin() as conn:
            result = conn.execute(update(messages).where(cond).values(**values))
            if result.rowcount != 1:
                raise LeaseLost(key)

    def note_attempt(self, key: str, owner: str, reason: str) -> int:
        """One failed attempt of the message's own processing (worker died, timed out, our bug on it).

        A kill or crash of the processor itself is never counted: claims do not count attempts.
        """
        with self.engine.begin() as conn:
            result = conn.execute(update(messages).where(self._owned(key, owner))
                                  .values(attempts=messages.c.attempts + 1, reason=reason[:2000], updated_at=utcnow()))
            if result.rowcount != 1:
                raise LeaseLost(key)
            return conn.execute(select(messages.c.attempts).where(messages.c.message_key == key)).scalar_one()

    def update_headers(self, key: str, **values: Any) -> None:
        """Header facts learnt after registering (sender, subject, unit, how the sender was verified)."""
        with self.engine.begin() as conn:
            conn.execute(update(messages).where(messages.c.message_key == key).values(**values))

    def set_reason(self, key: str, reason: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(messages).where(messages.c.message_key == key).values(reason=reason))

    # Outbox ------------------------------------------------------------------------------
    def outbox_row(self, key: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(select(outbox).where(outbox.c.message_key == key)).mappings().first()

    def prepare_reply(self, key: str, owner: str, *, reply_message_id: str, sender: str,
                      recipients: Iterable[str], reply_path: str, final_status: str,
                      final_reason: str | None, unit: str | None, rows: list[dict[str, Any]]) -> None:
        """One transaction: the reply to send, the submissions it reports, still holding the lease."""
        now = utcnow()
        with self.engine.begin() as conn:
            held = conn.execute(update(messages).where(self._owned(key, owner))
                                .values(updated_at=now, unit=unit))
            if held.rowcount != 1:
                raise LeaseLost(key)
            conn.execute(insert(outbox).values(
                message_key=key, reply_message_id=reply_message_id, sender=sender,
                recipients=json.dumps(list(recipients)), reply_path=reply_path, final_status=final_status,
                final_reason=final_reason, state=PREPARED, send_attempts=0, uncertain_resends=0,
                created_at=now))
            for seq, row in enumerate(rows, 1):
                conn.execute(insert(submissions).values(message_key=key, seq=seq, submitted_at=row.pop(
                    "submitted_at", now), **row))
        if rows:
            self._notify([{"message_key": key, **row} for row in rows])

    def mark_sending(self, key: str, owner: str, lease_seconds: float) -> None:
        """Commit 'sending' — only while we still hold the lease, which is renewed for the send."""
        now = utcnow()
        with self.engine.begin() as conn:
            held = conn.execute(update(messages).where(self._owned(key, owner))
                                .values(lease_expires=now + timedelta(seconds=lease_seconds), updated_at=now))
            if held.rowcount != 1:
                raise LeaseLost(key)
            conn.execute(update(outbox).where(outbox.c.message_key == key)
                         .values(state=SENDING, sending_at=utcnow(),
                                 send_attempts=outbox.c.send_attempts + 1))

    def mark_not_sent(self, key: str, error: str) -> None:
        """The server definitely refused or never got the final dot: back to 'prepared'."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.message_key == key)
                         .values(state=PREPARED, last_error=error[:2000]))

    def note_uncertain(self, key: str) -> int:
        """A send ended in the window where nobody knows whether it left; returns how often so far."""
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.message_key == key)
                         .values(uncertain_resends=outbox.c.uncertain_resends + 1, state=PREPARED))
            return conn.execute(select(outbox.c.uncertain_resends).where(outbox.c.message_key == key)).scalar_one()

    def mark_sent(self, key: str, *, abandoned_reason: str | None = None, permanent: bool = False) -> None:
        """Outbox row and message status in one transaction.

        ``abandoned_reason``: the reply will not be (re)sent — refused by the server (``permanent``:
        the message is then failed) or possibly sent before a crash under ``on_uncertain = "skip"``.
        """
        now = utcnow()
        with self.engine.begin() as conn:
            row = conn.execute(select(outbox).where(outbox.c.message_key == key)).mappings().one()
            state = ABANDONED if abandoned_reason else SENT
            conn.execute(update(outbox).where(outbox.c.message_key == key)
                         .values(state=state, sent_at=now, last_error=abandoned_reason))
            reason, status = row["final_reason"], row["final_status"]
            if abandoned_reason:
                reason = f"{reason}；{abandoned_reason}" if reason else abandoned_reason
                if permanent:
                    status = FAILED
            conn.execute(update(messages).where(messages.c.message_key == key)
                         .values(status=status, reason=reason, lease_owner=None,
                                 lease_expires=None, updated_at=now, done_at=now))

    # Mailbox UIDs -----------------------------------------------------------------------
    def known_uids(self, mailbox: str, uidvalidity: str) -> dict[str, tuple[str, bool]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(imap_uids.c.uid, imap_uids.c.message_key, imap_uids.c.flagged)
                                .where(imap_uids.c.mailbox == mailbox, imap_uids.c.uidvalidity == uidvalidity))
            return {uid: (key, bool(flagged)) for uid, key, flagged in rows}

    def record_uid(self, mailbox: str, uidvalidity: str, uid: str, key: str) -> None:
        values = {"mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid, "message_key": key, "flagged": 0,
                  "taken_at": utcnow()}
        if self.is_postgres:
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(imap_uids).values(**values).on_conflict_do_nothing()
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(imap_uids).values(**values).on_conflict_do_nothing()
        with self.engine.begin() as conn:
            conn.execute(stmt)

    def uid_flagged(self, mailbox: str, uidvalidity: str, uid: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(imap_uids).where(imap_uids.c.mailbox == mailbox, imap_uids.c.uidvalidity == uidvalidity,
                                                 imap_uids.c.uid == uid).values(flagged=1))

    # Queue ----------------------------------------------------------------------------------
    def pending_keys(self) -> list[str]:
        """Messages not done yet, oldest first (those another processor holds are skipped at the claim)."""
        with self.engine.connect() as conn:
            return list(conn.execute(select(messages.c.message_key)
                                     .where(messages.c.status.in_((RECEIVED, PROCESSING)))
                                     .order_by(messages.c.id)).scalars())

    def replied_duplicate(self, key: str, message_id: str, sender: str) -> RowMapping | None:
        """An earlier message with the same Message-ID *and* the same sender that was answered.

        A stranger's message (quarantined) can never make a unit's later message a duplicate.
        """
        with self.engine.connect() as conn:
            return conn.execute(select(messages).where(
                messages.c.message_id == message_id, messages.c.sender == sender,
                messages.c.message_key != key, messages.c.status == REPLIED)).mappings().first()

    def replies_since(self, sender: str, since: datetime) -> int:
        """Replies prepared for messages from ``sender`` since ``since`` (the per-sender hourly cap)."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(outbox.join(
                messages, messages.c.message_key == outbox.c.message_key))
                .where(messages.c.sender == sender, outbox.c.created_at >= since)).scalar_one()

    def refusals_since(self, sender: str, code: str, since: datetime) -> int:
        """Messages from ``sender`` quarantined with ``[code]`` since ``since`` (e.g. wrong 提交码 guesses)."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(messages).where(
                messages.c.sender == sender, messages.c.status == QUARANTINED,
                messages.c.reason.like(f"[{code}]%"), messages.c.done_at >= since)).scalar_one()

    def requeue(self, key: str) -> bool:
        """``mail retry``: a done message is processed again from its archived bytes, with a new reply."""
        with self.engine.begin() as conn:
            row = conn.execute(select(messages).where(messages.c.message_key == key)).mappings().first()
            if row is None or row["status"] not in DONE_STATUSES:
                return False
            old = json.loads(row["old_replies"] or "[]")
            old += [p for p in conn.execute(select(outbox.c.reply_path).where(outbox.c.message_key == key)).scalars()
                    if p]
            conn.execute(delete(outbox).where(outbox.c.message_key == key))
            conn.execute(delete(submissions).where(submissions.c.message_key == key))
            conn.execute(update(messages).where(messages.c.message_key == key).values(old_replies=json.dumps(old),
                status=RECEIVED, attempts=0, lease_owner=None, lease_expires=None, done_at=None,
                generation=(row["generation"] or 0) + 1, reason=f"已重新排队（原状态：{STATUS_TEXT[row['status']]}）",
                updated_at=utcnow()))
        return True

    def keys_with_status(self, status: str) -> list[str]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(messages.c.message_key).where(messages.c.status == status)
                                     .order_by(messages.c.id)).scalars())

    def purgeable(self, status_cutoffs: dict[str, datetime]) -> list[RowMapping]:
        """Done messages older than the cutoff for their status, not purged yet."""
        out: list[RowMapping] = []
        with self.engine.connect() as conn:
            for status, cutoff in status_cutoffs.items():
                out += conn.execute(select(messages).where(messages.c.status == status, messages.c.purged_at.is_(None),
                                                           messages.c.done_at < cutoff)).mappings().all()
        return out

    def reply_paths(self, key: str) -> list[str]:
        """Every reply archived for the message, including those from before a ``mail retry``."""
        with self.engine.connect() as conn:
            paths = [p for p in conn.execute(select(outbox.c.reply_path).where(outbox.c.message_key == key)).scalars()
                     if p]
            old = conn.execute(select(messages.c.old_replies).where(messages.c.message_key == key)).scalar()
        return paths + json.loads(old or "[]")

    def mark_purged(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(messages).where(messages.c.message_key == key).values(purged_at=utcnow()))

    # Reading -----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(messages.c.status, func.count()).group_by(messages.c.status)).all()
        return {status: n for status, n in rows}

    def messages_with_status(self, *statuses: str) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(messages).where(messages.c.status.in_(statuses))
                                     .order_by(messages.c.id)).mappings())

    def submissions_for(self, key: str) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(submissions).where(submissions.c.message_key == key)
                                     .order_by(submissions.c.seq)).mappings())

    def all_submissions(self) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(submissions).order_by(submissions.c.submitted_at,
                                                                  submissions.c.id)).mappings())


def recipients_of(row: RowMapping) -> list[str]:
    """The outbox row's recipients as a list (JSON; comma separated in registries written before)."""
    value = row["recipients"] or ""
    if value.startswith("["):
        return [str(a) for a in json.loads(value)]
    return [a for a in value.split(",") if a]


def decimal_or_none(value) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(str(value))
