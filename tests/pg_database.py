"""A fresh PostgreSQL database per test, on the server .ci/postgres.sh starts (XLREPORT_TEST_PG_URL)."""

from __future__ import annotations

import contextlib
import os
import uuid

import pytest


@contextlib.contextmanager
def fresh_pg_database():
    """A new, empty database on the test PostgreSQL server (XLREPORT_TEST_PG_URL), dropped afterwards."""
    base = os.environ.get("XLREPORT_TEST_PG_URL")
    if not base:
        pytest.skip("no PostgreSQL server: set XLREPORT_TEST_PG_URL (see .ci/postgres.sh)")
    psycopg = pytest.importorskip("psycopg")
    from sqlalchemy.engine import make_url

    url = make_url(base)
    name = f"xlreport_t_{uuid.uuid4().hex[:10]}"
    admin = {"host": url.host, "port": url.port or 5432, "user": url.username, "password": url.password or None,
             "dbname": url.database or "postgres"}
    try:
        with psycopg.connect(**admin, autocommit=True, connect_timeout=5) as con:
            con.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {base} is not reachable: {exc}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**admin, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
