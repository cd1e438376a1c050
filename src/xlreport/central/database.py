"""The one way the central office opens its database (SQLite or PostgreSQL) and creates tables.

The mail registry (:mod:`xlreport.central.registry`) and the portal's tables
(:mod:`xlreport.central.portal.store`) live in the same database with their own metadata; both
open it here, so both get the same connection settings and the same safe table creation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, text
from sqlalchemy.exc import DBAPIError


def open_engine(url: str, *, pragmas: Iterable[str] = (), echo: bool = False) -> Engine:
    """An engine for ``url``. SQLite waits up to a minute for a lock (several processes write),
    runs in WAL mode plus ``pragmas`` on every connection and may be used from worker threads;
    PostgreSQL connections are checked before use (a restarted server costs no request)."""
    kwargs: dict = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"timeout": 60, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        statements = ("PRAGMA journal_mode=WAL", *(f"PRAGMA {p}" for p in pragmas))

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            for statement in statements:
                cur.execute(statement)
            cur.close()

    return engine


def create_tables(engine: Engine, metadata: MetaData, lock_key: int,
                  then: Callable[[Connection], None] | None = None) -> None:
    """Create missing tables; safe when several processes start at once on a fresh database.

    On PostgreSQL an advisory lock (``lock_key``, one per metadata) serialises the creators;
    on SQLite a creator that loses the race simply looks again. ``then`` runs in the same
    transaction (e.g. adding columns to tables created by an older release).
    """
    for attempt in range(5):
        try:
            with engine.begin() as conn:
                if engine.dialect.name == "postgresql":
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({int(lock_key)})"))
                metadata.create_all(conn)
                if then is not None:
                    then(conn)
            return
        except DBAPIError:
            if attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))  # another process was creating them: look again
