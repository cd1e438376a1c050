"""Fixtures for the mail tests (kept out of the top-level conftest); see mail_fixtures.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from mail_fixtures import (  # noqa: F401
    imap_server,
    mail_env,
    mailbox,
    roster,
    smtp_server,
    smtp_session,
)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a mail test of several seconds (still part of the default run)")
