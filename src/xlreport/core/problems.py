"""Problems a workbook can have: stable codes, levels and Chinese messages, positioned at a cell.

Each kind of problem is an entry of the one catalogue (:mod:`xlreport.core.catalogue`): a
stable code, a level, a short title and a message template filled from the problem's own
fields. The position (sheet, cell) is data, not text, so the central office can count and filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xlreport.core.catalogue import CATALOGUE as _ALL
from xlreport.core.catalogue import Entry, Family, Level

ProblemType = Entry  # a problem's entry in the one catalogue: code, level, title, template

# The problems a workbook can have: a view of the one catalogue (xlreport.core.catalogue).
CATALOGUE: dict[str, Entry] = {code: e for code, e in _ALL.items() if e.family is Family.PROBLEM}


@dataclass(frozen=True)
class Problem:
    """One problem found in a workbook, positioned at a cell where it has one."""

    code: str
    sheet: str | None = None
    cell: str | None = None
    fields: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def type(self) -> ProblemType:
        return CATALOGUE[self.code]

    @property
    def level(self) -> Level:
        return self.type.level

    @property
    def title(self) -> str:
        return self.type.title

    @property
    def message(self) -> str:
        """The message without the position."""
        return self.type.template.format(**self.fields)

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"工作表“{self.sheet}”{self.cell}单元格"
        if self.sheet:
            return f"工作表“{self.sheet}”"
        return ""

    @property
    def text(self) -> str:
        """The message a user reads: where, then what and what to do."""
        return f"{self.location}：{self.message}" if self.location else self.message


def problem(code: str, sheet: str | None = None, cell: str | None = None, **fields: Any) -> Problem:
    if code not in CATALOGUE:
        raise KeyError(f"unknown problem code {code!r}")
    return Problem(code, sheet, cell, fields)
