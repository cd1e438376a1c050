"""The central processor: units e-mail workbooks, the processor replies and keeps a registry.

Nothing outside this package imports it (and SQLAlchemy) so the Excel command line stays fast.
"""
