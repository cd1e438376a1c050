"""Failures that stop a file or a command, shown as a Chinese message and never a traceback.

An :class:`XlreportError` carries a stable code from the one catalogue
(:mod:`xlreport.core.catalogue`) and the message filled from the catalogue's template; its
exit code is the catalogue's too. The CLI prints the message without a traceback.
"""

from __future__ import annotations

from typing import Self

from xlreport.core.catalogue import CATALOGUE, Exit, Family, message

# The exit codes under their old names: the one table is catalogue.Exit.
EXIT_OK = Exit.OK
EXIT_ERRORS = Exit.ERRORS
EXIT_UNUSABLE = Exit.UNUSABLE
EXIT_INTERNAL = Exit.INTERNAL
EXIT_INTERRUPTED = Exit.INTERRUPTED

# The templates of the file failures: a view of the one catalogue.
FILE_FAILURES: dict[str, str] = {code: e.template for code, e in CATALOGUE.items() if e.family is Family.FILE}


class XlreportError(Exception):
    """Base for failures shown to users as a message, never a traceback."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def exit_code(self) -> Exit:
        entry = CATALOGUE.get(self.code)
        return entry.exit_code if entry is not None and entry.exit_code is not None else Exit.UNUSABLE

    @classmethod
    def make(cls, code: str, /, *, variant: str | None = None, **fields: object) -> Self:
        """The failure ``code`` with the catalogue's message (or its named ``variant``) filled in."""
        return cls(code, message(code, variant, **fields))


class FileRejected(XlreportError):
    """The file cannot be used at all (not a workbook, encrypted, too large, ...)."""
