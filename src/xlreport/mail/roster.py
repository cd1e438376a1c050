"""The roster: which units may submit, and from which addresses (xlsx: 单位名称, 电子邮箱)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path

from ..failures import XlreportError

_SPLIT = re.compile(r"[;；,，、\s]+")
HEADER_UNIT = "单位名称"
HEADER_EMAIL = "电子邮箱"


class RosterError(XlreportError):
    pass


def normalise_address(value: str) -> str:
    """``张三 <ZS@Example.CN>`` → ``zs@example.cn``; '' when it is not an address."""
    addr = parseaddr(value or "")[1].strip().lower()
    return addr if "@" in addr else ""


@dataclass
class Roster:
    units: list[str] = field(default_factory=list)  # in roster order
    by_address: dict[str, str] = field(default_factory=dict)
    source: Path | None = None
    mtime: float | None = None

    def unit_for(self, address: str) -> str | None:
        return self.by_address.get(normalise_address(address))

    def __contains__(self, address: str) -> bool:
        return self.unit_for(address) is not None


def _clean(value) -> str:
    return re.sub(r"\s+", "", str(value)) if value is not None else ""


def load_roster(path: Path) -> Roster:
    """Read the roster workbook; the header row is found by its labels in the first 20 rows."""
    import openpyxl

    if not path.exists():
        raise RosterError("roster-missing", f"找不到单位名单“{path}”。请检查 mail.toml 中 [policy] roster 的路径。")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        raise RosterError("roster-unreadable", f"无法读取单位名单“{path}”（{exc}）。请用Excel另存为 .xlsx 后重试。") from None
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
                    header_found = (labels.index(HEADER_UNIT), labels.index(HEADER_EMAIL))
                    break
            if header_found is None:
                continue
            ui, ei = header_found
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
            return roster
    finally:
        wb.close()
    raise RosterError("roster-header", f"单位名单“{path}”中找不到表头“{HEADER_UNIT}”和“{HEADER_EMAIL}”。请在第一行写上这两个列名。")
