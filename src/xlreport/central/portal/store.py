"""The portal's tables, on the same database as the mail registry but with their own metadata.

Every submission (web upload or mail) is one ``portal_submissions`` row with its problems, its
per-indicator and per-一级指标 scores, so the office can count and chart, not only list totals.
Mail submissions are copied in from the registry's ``submissions`` table (``mail_submission_id``
is unique, so several portal workers importing at once record each exactly once).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, RowMapping

from xlreport.central.database import create_tables, open_engine

metadata = MetaData()


class Role(StrEnum):
    OFFICE = "office"
    UNIT = "unit"


class Channel(StrEnum):
    WEB = "web"
    MAIL = "mail"


CHANNEL_TEXT = {Channel.WEB: "网上报送", Channel.MAIL: "邮件报送"}


class Outcome(StrEnum):
    """What scoring made of the file."""

    SCORED = "scored"  # complete, no errors
    ERRORS = "errors"  # errors remain
    REJECTED = "rejected"  # the file cannot be used (not a workbook, encrypted, ...)
    FAILED = "failed"  # internal failure


class Review(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    RETURNED = "returned"


class UnitStatus(StrEnum):
    NOT_SUBMITTED = "未提交"
    HAS_ERRORS = "有错误"
    PENDING = "待审核"
    APPROVED = "已通过"
    RETURNED = "已退回"


STATUS_ORDER = list(UnitStatus)

accounts = Table(
    "portal_accounts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False, unique=True),
    Column("role", String(10), nullable=False),
    Column("unit", Text),  # roster name, for unit accounts
    Column("password_hash", Text),
    Column("session_epoch", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    Column("last_login_at", DateTime),
)

invites = Table(
    "portal_invites", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", Integer, ForeignKey("portal_accounts.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("used_at", DateTime),
    Column("created_by", String(200)),
)

submissions = Table(
    "portal_submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", Text, nullable=False),
    Column("account_id", Integer),
    Column("channel", String(10), nullable=False),
    Column("mail_submission_id", Integer, unique=True),
    Column("file_name", Text, nullable=False),
    Column("work_dir", Text),
    Column("workbook_path", Text),
    Column("report_path", Text),
    Column("outcome", String(10), nullable=False),
    Column("reason", Text),
    Column("project", Text),
    Column("year", String(20)),
    Column("report_type", String(20)),
    Column("department", Text),
    Column("workbook_unit", Text),
    Column("annual", Numeric(20, 4)),
    Column("executed", Numeric(20, 4)),
    Column("rate", Numeric(12, 4)),
    Column("total", Numeric(12, 2)),
    Column("grade", String(20)),
    Column("n_errors", Integer, nullable=False, default=0),
    Column("n_warnings", Integer, nullable=False, default=0),
    Column("n_infos", Integer, nullable=False, default=0),
    Column("submitted_at", DateTime, nullable=False),
    Column("review", String(10), nullable=False, default=Review.PENDING),
    Column("reviewed_at", DateTime),
    Index("ix_portal_submissions_unit", "unit", "submitted_at"),
)

problems = Table(
    "portal_problems", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("portal_submissions.id"), nullable=False, index=True),
    Column("level", String(10), nullable=False),
    Column("code", String(60), nullable=False),
    Column("title", Text),
    Column("sheet", Text),
    Column("cell", String(20)),
    Column("message", Text, nullable=False),
)

indicator_scores = Table(
    "portal_indicator_scores", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("portal_submissions.id"), nullable=False, index=True),
    Column("level1", Text),
    Column("level2", Text),
    Column("name", Text),
    Column("weight", Numeric(12, 2)),
    Column("score", Numeric(12, 2)),
    Column("status", String(20)),
)

group_scores = Table(
    "portal_group_scores", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("portal_submissions.id"), nullable=False, index=True),
    Column("name", Text, nullable=False),  # 一级指标 (or 预算执行率)
    Column("weight", Numeric(12, 2)),
    Column("score", Numeric(12, 2)),
)

reviews = Table(
    "portal_reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, ForeignKey("portal_submissions.id"), nullable=False, index=True),
    Column("unit", Text, nullable=False),
    Column("decision", String(10), nullable=False),
    Column("comment", Text),
    Column("actor", String(200), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("mailed", Text),  # what happened to the e-mail notice
)

audit = Table(
    "portal_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", Text),
    Column("detail", Text),
    Column("ip", String(64)),
)

reminders = Table(
    "portal_reminders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("unit", Text, nullable=False, index=True),
    Column("at", DateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("recipients", Text),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),
)

login_attempts = Table(
    "portal_login_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("username", String(200)),
    Column("ip", String(64)),
    Column("ok", Boolean, nullable=False),
)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class UnitRow:
    """One roster unit in the office's status table."""

    account_id: int | None
    unit: str
    status: UnitStatus
    latest: RowMapping | None
    department: str = ""
    n_submissions: int = 0
    has_password: bool = False


class Store:
    def __init__(self, url: str) -> None:
        self.engine: Engine = open_engine(url, pragmas=("foreign_keys=ON",))
        self.is_postgres = self.engine.dialect.name == "postgresql"
        create_tables(self.engine, metadata, 7207310012)

    def dispose(self) -> None:
        self.engine.dispose()

    def _insert_ignore(self, table: Table, values: dict[str, Any], key: str):
        if self.is_postgres:
            from sqlalchemy.dialects.postgresql import insert as dialect_insert
        else:
            from sqlalchemy.dialects.sqlite import insert as dialect_insert
        return dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])

    # Accounts ----------------------------------------------------------------------------
    def ensure_account(self, username: str, role: Role, unit: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(self._insert_ignore(accounts, {
                "username": username, "role": role.value, "unit": unit, "session_epoch": 0, "active": True,
                "created_at": utcnow()}, "username"))

    def account(self, account_id: int) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(select(accounts).where(accounts.c.id == account_id)).mappings().first()

    def account_by_name(self, username: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(select(accounts).where(accounts.c.username == username)).mappings().first()

    def account_for_unit(self, unit: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(select(accounts).where(accounts.c.unit == unit, accounts.c.role == Role.UNIT.value)
                                .order_by(accounts.c.id)).mappings().first()

    def unit_accounts(self) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(accounts).where(accounts.c.role == Role.UNIT.value)
                                     .order_by(accounts.c.id)).mappings())

    def set_password(self, account_id: int, password_hash: str) -> None:
        """A new password ends every other session of the account (its epoch moves on)."""
        with self.engine.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.id == account_id)
                         .values(password_hash=password_hash, session_epoch=accounts.c.session_epoch + 1))

    def touch_login(self, account_id: int, password_hash: str | None = None) -> None:
        values: dict[str, Any] = {"last_login_at": utcnow()}
        if password_hash:
            values["password_hash"] = password_hash
        with self.engine.begin() as conn:
            conn.execute(update(accounts).where(accounts.c.id == account_id).values(**values))

    # Invites -----------------------------------------------------------------------------
    def add_invite(self, account_id: int, token_hash: str, days: float, created_by: str) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(insert(invites).values(account_id=account_id, token_hash=token_hash, created_at=now,
                                                expires_at=now + timedelta(days=days), created_by=created_by))

    def open_invite(self, token_hash: str) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(select(invites).where(
                invites.c.token_hash == token_hash, invites.c.used_at.is_(None),
                invites.c.expires_at > utcnow())).mappings().first()

    def use_invite(self, invite_id: int, account_id: int, password_hash: str) -> bool:
        """Mark the invite used and set the password in one transaction; False if already used."""
        with self.engine.begin() as conn:
            done = conn.execute(update(invites).where(invites.c.id == invite_id, invites.c.used_at.is_(None))
                                .values(used_at=utcnow()))
            if done.rowcount != 1:
                return False
            conn.execute(update(accounts).where(accounts.c.id == account_id)
                         .values(password_hash=password_hash, session_epoch=accounts.c.session_epoch + 1))
        return True

    # Login attempts ----------------------------------------------------------------------
    def note_login(self, username: str, ip: str, ok: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(login_attempts).values(at=utcnow(), username=username[:200], ip=ip[:64], ok=ok))

    def recent_failures(self, username: str, ip: str, minutes: float) -> tuple[int, int]:
        since = utcnow() - timedelta(minutes=minutes)
        with self.engine.connect() as conn:
            by_user = conn.execute(select(func.count()).where(
                login_attempts.c.at > since, login_attempts.c.ok.is_(False),
                login_attempts.c.username == username[:200])).scalar_one()
            by_ip = conn.execute(select(func.count()).where(
                login_attempts.c.at > since, login_attempts.c.ok.is_(False),
                login_attempts.c.ip == ip[:64])).scalar_one()
        return by_user, by_ip

    # Submissions -------------------------------------------------------------------------
    def record(self, row: dict[str, Any], details: dict[str, Any] | None) -> int | None:
        """One submission with all its details, in one transaction. None when a mail row is already in."""
        with self.engine.begin() as conn:
            if row.get("mail_submission_id") is not None:
                result = conn.execute(self._insert_ignore(submissions, row, "mail_submission_id")
                                      .returning(submissions.c.id))
                new_id = result.scalar()
                if new_id is None:
                    return None
            else:
                new_id = conn.execute(insert(submissions).values(**row).returning(submissions.c.id)).scalar_one()
            details = details or {}
            if details.get("problems"):
                conn.execute(insert(problems), [{"submission_id": new_id, **p} for p in details["problems"]])
            if details.get("indicators"):
                conn.execute(insert(indicator_scores),
                             [{"submission_id": new_id, **p} for p in details["indicators"]])
            if details.get("groups"):
                conn.execute(insert(group_scores), [{"submission_id": new_id, **p} for p in details["groups"]])
        return new_id

    def submission(self, submission_id: int) -> RowMapping | None:
        with self.engine.connect() as conn:
            return conn.execute(select(submissions).where(submissions.c.id == submission_id)).mappings().first()

    def submissions_of(self, unit: str) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(submissions).where(submissions.c.unit == unit)
                                     .order_by(submissions.c.submitted_at.desc(), submissions.c.id.desc()))
                        .mappings())

    def all_submissions(self) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(submissions).order_by(submissions.c.submitted_at, submissions.c.id))
                        .mappings())

    def latest_by_unit(self) -> dict[str, RowMapping]:
        latest: dict[str, RowMapping] = {}
        for row in self.all_submissions():
            latest[row["unit"]] = row
        return latest

    def problems_of(self, submission_id: int) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(problems).where(problems.c.submission_id == submission_id)
                                     .order_by(problems.c.id)).mappings())

    def groups_of(self, submission_id: int) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(group_scores).where(group_scores.c.submission_id == submission_id)
                                     .order_by(group_scores.c.id)).mappings())

    def details_for(self, ids: list[int]) -> tuple[list[RowMapping], list[RowMapping], list[RowMapping]]:
        """Problems, 一级指标 scores and indicator scores of the given submissions (for analytics)."""
        if not ids:
            return [], [], []
        with self.engine.connect() as conn:
            p = list(conn.execute(select(problems).where(problems.c.submission_id.in_(ids))).mappings())
            g = list(conn.execute(select(group_scores).where(group_scores.c.submission_id.in_(ids))).mappings())
            i = list(conn.execute(select(indicator_scores).where(indicator_scores.c.submission_id.in_(ids)))
                     .mappings())
        return p, g, i

    def mail_ids(self) -> set[int]:
        with self.engine.connect() as conn:
            return {r for (r,) in conn.execute(select(submissions.c.mail_submission_id)
                                               .where(submissions.c.mail_submission_id.is_not(None)))}

    # Reviews -----------------------------------------------------------------------------
    def review(self, submission_id: int, decision: Review, comment: str, actor: str) -> int:
        now = utcnow()
        with self.engine.begin() as conn:
            sub = conn.execute(select(submissions).where(submissions.c.id == submission_id)).mappings().one()
            conn.execute(update(submissions).where(submissions.c.id == submission_id)
                         .values(review=decision.value, reviewed_at=now))
            return conn.execute(insert(reviews).values(
                submission_id=submission_id, unit=sub["unit"], decision=decision.value, comment=comment,
                actor=actor, at=now).returning(reviews.c.id)).scalar_one()

    def note_review_mail(self, review_id: int, text: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(reviews).where(reviews.c.id == review_id).values(mailed=text))

    def reviews_of_unit(self, unit: str) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(reviews).where(reviews.c.unit == unit)
                                     .order_by(reviews.c.at.desc(), reviews.c.id.desc())).mappings())

    def reviews_of(self, submission_id: int) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(reviews).where(reviews.c.submission_id == submission_id)
                                     .order_by(reviews.c.at.desc(), reviews.c.id.desc())).mappings())

    # Audit and reminders -----------------------------------------------------------------
    def log(self, actor: str, action: str, target: str | None = None, detail: str | None = None,
            ip: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(audit).values(at=utcnow(), actor=actor, action=action, target=target,
                                              detail=detail, ip=ip))

    def audit_log(self, limit: int = 500) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings())

    def claim_reminder(self, unit: str, actor: str, interval: timedelta) -> int | None:
        """Reserve a reminder for ``unit`` unless one was sent (or is being sent) within ``interval``.

        On PostgreSQL the unit's reminder rows are serialised with an advisory lock, so two office
        clicks on two workers never remind the same unit twice.
        """
        from sqlalchemy import text

        now = utcnow()
        with self.engine.begin() as conn:
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:u))"), {"u": "remind:" + unit})
            recent = conn.execute(select(func.count()).where(
                reminders.c.unit == unit, reminders.c.at > now - interval,
                (reminders.c.ok.is_(True)) | (reminders.c.error == "sending"))).scalar_one()
            if recent:
                return None
            return conn.execute(insert(reminders).values(unit=unit, at=now, actor=actor, ok=False, error="sending")
                                .returning(reminders.c.id)).scalar_one()

    def finish_reminder(self, reminder_id: int, recipients: list[str], error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(reminders).where(reminders.c.id == reminder_id).values(
                recipients=", ".join(recipients), ok=error is None, error=error))

    def reminders_of(self, unit: str) -> list[RowMapping]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(reminders).where(reminders.c.unit == unit)
                                     .order_by(reminders.c.at.desc())).mappings())

    # The status table --------------------------------------------------------------------
    def status_rows(self, roster_units: list[str]) -> list[UnitRow]:
        latest = self.latest_by_unit()
        counts: dict[str, int] = {}
        for row in self.all_submissions():
            counts[row["unit"]] = counts.get(row["unit"], 0) + 1
        accts = {a["unit"]: a for a in self.unit_accounts()}
        units = list(roster_units) + sorted(u for u in latest if u not in roster_units)
        out = []
        for unit in units:
            row = latest.get(unit)
            acct = accts.get(unit)
            out.append(UnitRow(account_id=acct["id"] if acct else None, unit=unit, status=unit_status(row),
                               latest=row, department=(row["department"] or "") if row else "",
                               n_submissions=counts.get(unit, 0),
                               has_password=bool(acct and acct["password_hash"])))
        return out


def unit_status(latest: RowMapping | dict | None) -> UnitStatus:
    if latest is None:
        return UnitStatus.NOT_SUBMITTED
    if latest["review"] == Review.RETURNED.value:
        return UnitStatus.RETURNED
    if latest["outcome"] != Outcome.SCORED.value:
        return UnitStatus.HAS_ERRORS
    if latest["review"] == Review.APPROVED.value:
        return UnitStatus.APPROVED
    return UnitStatus.PENDING

