"""The registry's claiming on SQLite and on a real PostgreSQL server (XLREPORT_TEST_PG_URL, see .ci/postgres.sh).

Several processors share one mailbox and one registry: every message is answered exactly once.
"""

from __future__ import annotations

import threading
import uuid

import pytest
from mail_fixtures import (
    UNIT_A_MAIL,
    UNIT_B_MAIL,
    UNIT_C_MAIL,
    good_workbook,
    unit_message,
    write_config,
)
from pg_database import fresh_pg_database



@pytest.fixture
def pg_url():
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'registry.db'}"
    return request.getfixturevalue("pg_url")


def _register(registry, key):
    registry.register(key, message_id=key, sender="a@b.c", subject="s", unit=None, raw_sha256="0" * 64,
                      archive_path="/dev/null", raw_size=1)


def test_claim_race_has_exactly_one_winner(registry_url):
    from xlreport.central.registry import Registry

    keys = [f"mid:{uuid.uuid4()}" for _ in range(20)]
    setup = Registry(registry_url)
    for key in keys:
        _register(setup, key)
    winners: dict[str, list[str]] = {k: [] for k in keys}
    lock = threading.Lock()
    barrier = threading.Barrier(6)

    def worker(n: int) -> None:
        registry = Registry(registry_url)
        owner = f"otherhost:{n}:w"
        barrier.wait()
        for key in keys:
            if registry.claim(key, owner, lease_seconds=60).claimed:
                with lock:
                    winners[key].append(owner)
        registry.dispose()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(len(w) == 1 for w in winners.values()), winners
    # a claim is not an attempt: only a failure of the message's own processing counts
    assert {row["attempts"] for row in setup.messages_with_status("processing")} == {0}
    setup.dispose()


def test_leases_expire_and_dead_local_owners_are_free(registry_url, monkeypatch):
    import subprocess
    import sys
    from datetime import timedelta

    import xlreport.central.registry as registry_module
    from xlreport.central.registry import Registry, make_owner

    registry = Registry(registry_url)
    key = f"mid:{uuid.uuid4()}"
    _register(registry, key)
    assert registry.claim(key, "otherhost:1:a", lease_seconds=30).claimed
    assert registry.claim(key, "otherhost:2:b", lease_seconds=60).outcome == "busy"  # live lease elsewhere
    real_now = registry_module.utcnow
    with monkeypatch.context() as later:  # the registry's clock 31 s on, not a sleep (a busy machine is no race)
        later.setattr(registry_module, "utcnow", lambda: real_now() + timedelta(seconds=31))
        assert registry.claim(key, "otherhost:2:b", lease_seconds=60).claimed  # expired: taken over
    # A process on this host that was killed: its lease is free at once.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    ghost = make_owner().split(":")[0] + f":{dead.stdout.strip()}:x"
    key2 = f"mid:{uuid.uuid4()}"
    _register(registry, key2)
    assert registry.claim(key2, ghost, lease_seconds=600).claimed
    row = registry.claim(key2, make_owner(), lease_seconds=600)
    assert row.claimed and row.row["attempts"] == 0  # the dead owner's claim was no attempt
    registry.dispose()


def test_two_processors_share_one_mailbox(registry_url, tmp_path, mailbox, smtp_server, roster):
    """Two processors (threads, separate engines and owners) drain one mailbox: one reply per message."""
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster,
                          url=registry_url)
    senders = [UNIT_A_MAIL, UNIT_B_MAIL, UNIT_C_MAIL] * 3
    for i, sender in enumerate(senders):
        attachments = [good_workbook()] if i % 3 == 0 else []
        mailbox.deliver(unit_message(sender, f"并发{i}", attachments))
    results: list[int] = []

    def run():
        processor = Processor(load_config(config))
        results.append(processor.run(once=True))
        processor.registry.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    # Whatever one processor skipped because the other held it, a later pass finishes.
    processor = Processor(load_config(config))
    processor.run(once=True)
    subjects = sorted(c.message["Subject"] for c in smtp_server.messages)
    assert subjects == sorted(f"Re: 并发{i}" for i in range(len(senders)))
    assert processor.registry.counts() == {"replied": len(senders)}
    assert mailbox.unseen() == []
    processor.registry.dispose()


def test_summary_from_postgres_registry(pg_url, tmp_path, mailbox, smtp_server, roster):
    import openpyxl

    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor
    from xlreport.central.summary import rows_from_registry, write_summary

    config = write_config(tmp_path, mailbox.server, mailbox.folder, smtp_server.port, roster=roster, url=pg_url)
    mailbox.deliver(unit_message(UNIT_A_MAIL, "PG", [good_workbook()]))
    processor = Processor(load_config(config))
    assert processor.run(once=True) == 0
    rows = rows_from_registry(pg_url, processor.roster.units)
    out = write_summary(rows, tmp_path / "汇总.xlsx")
    ws = openpyxl.load_workbook(out)["汇总"]
    values = [r for r in ws.iter_rows(min_row=2, values_only=True)]
    assert values[0][0] == "红寺堡区医疗保障局" and values[0][6] == 100 and values[0][10] == "已通过"
    processor.registry.dispose()
