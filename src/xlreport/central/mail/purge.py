"""``xlreport mail purge``: old raw mail, sent replies and work folders go; registry rows stay.

The summary keeps working after a purge: it reads the registry, not the files. Quarantined mail
(strangers, forgeries, auto-replies) has its own, shorter cutoff.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

from xlreport.central.mail import archive
from xlreport.central.mail.config import MailConfig
from xlreport.central.registry import DUPLICATE, FAILED, QUARANTINED, REPLIED, Registry


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def purge_old(config: MailConfig, registry: Registry, cutoff: datetime, quarantined_cutoff: datetime
              ) -> tuple[int, int]:
    """Returns (messages purged, bytes freed). Only files inside archive_dir / work_dir are removed."""
    cutoffs = {REPLIED: cutoff, FAILED: cutoff, DUPLICATE: cutoff, QUARANTINED: quarantined_cutoff}
    store = config.store
    count = freed = 0
    for row in registry.purgeable(cutoffs):
        key = row["message_key"]
        paths = [Path(p) for p in [row["archive_path"], *registry.reply_paths(key)] if p]
        paths.append(store.work_dir / archive.sha256(key.encode())[:20])
        for path in paths:
            if not (_inside(path, store.archive_dir) or _inside(path, store.work_dir)) or not path.exists():
                continue
            freed += _size(path)
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        registry.mark_purged(key)
        count += 1
    return count, freed
