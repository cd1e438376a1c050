"""Two portal servers on one PostgreSQL registry (as behind a load balancer), with the mail processor's table.

A session made on one server works on the other (shared secret); simultaneous uploads to both are
each recorded once; a mail submission is imported once although both servers import; two 催报
clicks at the same moment mail each due unit once.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from portal_fixtures import (
    SAMPLES,
    Smtp,
    _Handler,
    free_port,
    fresh_pg_database,
    start_server,
    write_roster,
)

from xlreport.central.portal.auth import hash_password
from xlreport.central.portal.store import Role, Store

pytestmark = pytest.mark.slow  # real servers: seconds, still in the default run

PASSWORD = "pg-password-123"
UNITS = [f"并行单位{i}" for i in range(1, 7)]


def _opener():
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))


def _csrf(html: str) -> str:
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


def _login(opener, base: str, username: str) -> str:
    token = _csrf(opener.open(base + "/login").read().decode())
    return opener.open(base + "/login", urllib.parse.urlencode(
        {"csrf_token": token, "username": username, "password": PASSWORD}).encode()).read().decode()


def _upload(opener, base: str, csrf: str, name: str, payload: bytes) -> str:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + payload + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(base + "/unit/upload", data=body, headers={
        "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRF-Token": csrf,
        "X-Requested-With": "XMLHttpRequest"})
    with opener.open(request, timeout=300) as r:
        return r.read().decode()


def test_two_servers_on_one_postgresql(tmp_path):
    from aiosmtpd.controller import Controller

    with fresh_pg_database() as url:
        smtp = Smtp(free_port())
        controller = Controller(_Handler(smtp), hostname="127.0.0.1", port=smtp.port)
        controller.start()
        addresses = write_roster(tmp_path / "roster.xlsx", UNITS)
        store = Store(url)
        hashed = hash_password(PASSWORD)
        store.ensure_account("admin", Role.OFFICE)
        store.set_password(store.account_by_name("admin")["id"], hashed)
        for unit in UNITS:
            store.ensure_account(unit, Role.UNIT, unit)
            store.set_password(store.account_by_name(unit)["id"], hashed)
        servers, logs = [], []
        try:
            for i in range(2):
                port = free_port()
                config = tmp_path / f"central{i}.toml"
                config.write_text(f"""
[portal]
port = {port}
roster = "roster.xlsx"
data_dir = "data"
secret_env = "XLREPORT_TEST_PORTAL_SECRET"
workers = 1
mail_sync_seconds = 0.5
[store]
url = "{url}"
[smtp]
host = "127.0.0.1"
port = {smtp.port}
ssl = false
from = "centre@office.example.cn"
""", encoding="utf-8")
                log = (tmp_path / f"server{i}.log").open("wb")
                logs.append(log)
                servers.append(start_server(config, port, log, tmp_path,
                                            env={"XLREPORT_TEST_PORTAL_SECRET": "shared-secret-for-both-servers"}))
            (_, a), (_, b) = servers

            # One session, both servers.
            opener = _opener()
            page = _login(opener, a, UNITS[0])
            csrf = _csrf(page)
            assert "/logout" in opener.open(b + "/unit").read().decode()

            # Simultaneous uploads, half to each server.
            payload = SAMPLES[0].read_bytes()
            answers: dict[int, str] = {}
            barrier = threading.Barrier(8)

            def go(i: int) -> None:
                barrier.wait()
                answers[i] = _upload(opener, a if i % 2 else b, csrf, f"并行{i}.xlsx", payload)

            threads = [threading.Thread(target=go, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert all('data-testid="total"' in answers[i] for i in range(8))
            assert sorted(s["file_name"] for s in store.submissions_of(UNITS[0])) == sorted(
                f"并行{i}.xlsx" for i in range(8))

            # A mail submission: both servers import, one row lands.
            from sqlalchemy import insert

            from xlreport.central.registry import Registry, submissions, utcnow

            registry = Registry(url)
            with registry.engine.begin() as conn:
                conn.execute(insert(submissions).values(
                    message_key="<pg@units.example.cn>", seq=1, file_name="邮件.xlsx", unit=UNITS[1], status="有错误",
                    n_errors=1, n_warnings=0, submitted_at=utcnow()))
            registry.dispose()
            deadline = time.monotonic() + 30
            while not store.submissions_of(UNITS[1]):
                assert time.monotonic() < deadline
                time.sleep(0.2)
            time.sleep(1.5)  # both servers have had several import passes
            assert [s["channel"] for s in store.submissions_of(UNITS[1])] == ["mail"]

            # Two 催报 clicks at the same moment, one on each server.
            office = _opener()
            token = _csrf(_login(office, a, "admin"))
            barrier2 = threading.Barrier(2)
            results: list[str] = []

            def remind(base: str) -> None:
                barrier2.wait()
                request = urllib.request.Request(base + "/office/remind", data=b"", headers={
                    "X-CSRF-Token": token, "HX-Request": "true"})
                results.append(office.open(request).read().decode())

            threads = [threading.Thread(target=remind, args=(base,)) for base in (a, b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            due = UNITS[2:]  # UNITS[0] is 待审核, UNITS[1] 有错误
            rcpts = sorted(r for e in smtp.snapshot() for r in e.rcpt_tos)
            assert rcpts == sorted(a for u in due for a in addresses[u])
            assert len(smtp.snapshot()) == len(due)
        finally:
            for proc, _ in servers:
                proc.terminate()
                proc.wait(20)
            for log in logs:
                log.close()
            controller.stop()
            store.dispose()
        for i in range(2):
            assert "Traceback" not in (tmp_path / f"server{i}.log").read_text(errors="replace")
