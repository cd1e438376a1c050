"""The roster: which units may submit, from which addresses, with which 提交码 (xlsx: 单位名称, 电子邮箱[, 提交码])."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from xlreport.core.failures import XlreportError

_SPLIT = re.compile(r"[;；,，、\s]+")
HEADER_UNIT = "单位名称"
HEADER_EMAIL = "电子邮箱"
HEADER_CODE = "提交码"
# A plain address only: no quoted local part, no comments, no source route — so a value can never
# turn into two recipients, whatever parseaddr made of it.
_ADDRESS = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+$")


class RosterError(XlreportError):
    """The roster of units cannot be used (exit code 2)."""


def normalise_address(value: str) -> str:
    """``张三 <ZS@Example.CN>`` → ``zs@example.cn``; '' when it is not an address."""
    addr = parseaddr(value or "")[1].strip().lower()
    return addr if len(addr) <= 254 and _ADDRESS.match(addr) else ""


@dataclass
class Roster:
    units: list[str] = field(default_factory=list)  # in roster order
    by_address: dict[str, str] = field(default_factory=dict)
    by_code: dict[str, str] = field(default_factory=dict)  # 提交码 → unit
    source: Path | None = None
    mtime: float | None = None

    def unit_for(self, address: str) -> str | None:
        return self.by_address.get(normalise_address(address))

    def __contains__(self, address: str) -> bool:
        return self.unit_for(address) is not None

    def addresses_of(self, unit: str) -> list[str]:
        """The unit's roster addresses, in roster order: the only ones a reply may go to."""
        return [a for a, u in self.by_address.items() if u == unit]

    def unit_for_code(self, text: str) -> str | None:
        """The unit whose 提交码 appears in ``text`` as a whole word (case-insensitive)."""
        for token in re.findall(r"[A-Za-z0-9]{6,}", text or ""):
            unit = self.by_code.get(token.upper())
            if unit:
                return unit
        return None


def _clean(value) -> str:
    return re.sub(r"\s+", "", str(value)) if value is not None else ""


def load_roster(path: Path) -> Roster:
    """Read the roster workbook; the header row is found by its labels in the first 20 rows."""
    import openpyxl

    if not path.exists():
        raise RosterError.make("roster-missing", path=path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise RosterError.make("roster-unreadable", path=path, reason=exc) from None
    try:
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            header_found = None
            for _ in range(20):
                try:
                    row = next(rows)
                except StopIteration:
                    break
                labels = [_clean(v) for v in row]
                if HEADER_UNIT in labels and HEADER_EMAIL in labels:
                    header_found = (labels.index(HEADER_UNIT), labels.index(HEADER_EMAIL),
                                    labels.index(HEADER_CODE) if HEADER_CODE in labels else None)
                    break
            if header_found is None:
                continue
            ui, ei, ci = header_found
            roster = Roster(source=path, mtime=path.stat().st_mtime)
            for row in rows:
                unit = _clean(row[ui]) if ui < len(row) else ""
                emails = str(row[ei]) if ei < len(row) and row[ei] is not None else ""
                if not unit:
                    continue
                if unit not in roster.units:
                    roster.units.append(unit)
                for part in _SPLIT.split(emails):
                    addr = normalise_address(part)
                    if addr:
                        roster.by_address.setdefault(addr, unit)
                code = _clean(row[ci]).upper() if ci is not None and ci < len(row) else ""
                if code:
                    if len(code) < 6 or not code.isalnum() or roster.by_code.get(code, unit) != unit:
                        raise RosterError.make("roster-code", path=path, unit=unit, code=code)
                    roster.by_code[code] = unit
            return roster
    finally:
        wb.close()
    raise RosterError.make("roster-header", path=path, unit_header=HEADER_UNIT, email_header=HEADER_EMAIL)
