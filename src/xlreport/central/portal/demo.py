"""``xlreport serve --demo``: a temporary registry, the sample units as the roster, password ``demo``.

Two of the samples are already submitted (so the office pages show something), the others are
left for the visitor to upload as that unit. Mail is written to an outbox folder, not sent.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from xlreport.central.portal.config import PortalConfig

DEMO_PASSWORD = "demo"
PRESUBMITTED = 2


def find_samples() -> list[Path]:
    here = Path(__file__).resolve()
    for parent in here.parents:
        folder = parent / "samples"
        if folder.is_dir() and any(folder.glob("*.xlsx")):
            return sorted(folder.glob("*.xlsx"))
    return []


def _write_roster(path: Path, units: list[str]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "单位名单"
    ws.append(["单位名称", "电子邮箱"])
    for i, unit in enumerate(units, 1):
        ws.append([unit, f"unit{i}@demo.invalid"])
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 24
    wb.save(path)


def prepare_demo(port: int = 8300) -> tuple[PortalConfig, Path, list[str]]:
    """Make the temporary folder, roster, database and accounts; returns the config, folder and units."""
    from xlreport.central.portal.auth import hash_password
    from xlreport.central.portal.jobs import output_name, score_upload
    from xlreport.central.portal.store import Channel, Review, Role, Store, utcnow
    from xlreport.core.failures import XlreportError
    from xlreport.pipeline import build_file

    samples = find_samples()
    if not samples:
        raise XlreportError.make("portal-demo")
    folder = Path(tempfile.mkdtemp(prefix="xlreport-demo-"))
    units: list[str] = []
    unit_of: dict[Path, str] = {}
    for sample in samples:
        outcome = build_file(sample, write=False)
        info = outcome.evaluation.input.info if outcome.evaluation else None
        unit = (info.unit if info else "") or sample.stem
        unit_of[sample] = unit
        if unit not in units:
            units.append(unit)
    roster = folder / "单位名单.xlsx"
    _write_roster(roster, units)
    config = PortalConfig(path=None, url=f"sqlite:///{folder / 'registry.db'}", data_dir=folder / "data",
                          roster=roster, host="127.0.0.1", port=port, title="绩效自评报送平台（演示）",
                          outbox_dir=folder / "outbox", demo=True, workers=2, mail_sync_seconds=10)
    store = Store(config.url)
    password = hash_password(DEMO_PASSWORD)
    store.ensure_account("admin", Role.OFFICE)
    for unit in units:
        store.ensure_account(unit, Role.UNIT, unit)
    for name in ["admin", *units]:
        store.set_password(store.account_by_name(name)["id"], password)
    for sample in samples[:PRESUBMITTED]:
        work = config.data_dir / "uploads" / "demo" / sample.stem
        (work / "原件").mkdir(parents=True, exist_ok=True)
        (work / "结果").mkdir(parents=True, exist_ok=True)
        source = work / "原件" / sample.name
        source.write_bytes(sample.read_bytes())
        result = score_upload(str(source), str(work / "结果" / output_name(sample.name)), sample.name)
        details = result.get("details") or {}
        account = store.account_for_unit(unit_of[sample])
        store.record({"unit": unit_of[sample], "account_id": account["id"] if account else None,
                      "channel": Channel.WEB.value, "file_name": sample.name, "work_dir": str(work),
                      "workbook_path": result.get("workbook_path"), "report_path": result.get("report_path"),
                      "outcome": result["outcome"], "reason": result.get("reason"), "submitted_at": utcnow(),
                      "review": Review.PENDING.value, **(details.get("row") or {})}, details)
    store.dispose()
    return config, folder, units
