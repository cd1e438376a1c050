"""The portal tests' fixtures live in portal_fixtures.py (a unique module name, importable by the tests)."""

from portal_fixtures import browser, context, portal, shots  # noqa: F401
