"""Content-addressed storage of raw messages: ``<archive_dir>/ab/cd/<sha256>.eml``.

Writing is atomic (temporary file, fsync, rename) and idempotent: the same bytes always land in
the same file, so archiving a message twice (a restart, a second processor) changes nothing.
Built workbooks never go here; they live in the per-message work folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from xlreport.adapters.files import write_bytes_atomic


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_path(archive_dir: Path, digest: str, suffix: str = ".eml", sub: str = "") -> Path:
    base = archive_dir / sub if sub else archive_dir
    return base / digest[:2] / digest[2:4] / f"{digest}{suffix}"


def store(archive_dir: Path, data: bytes, *, sub: str = "", suffix: str = ".eml") -> tuple[Path, str]:
    """Store ``data`` once; returns (path, sha256)."""
    digest = sha256(data)
    target = archive_path(archive_dir, digest, suffix, sub)
    if target.exists() and target.stat().st_size == len(data):
        return target, digest
    write_bytes_atomic(target, data, new_mode=0o600)  # raw mail: readable by its owner only
    return target, digest


def store_chunks(archive_dir: Path, chunks: Iterable[bytes], *, sub: str = "", suffix: str = ".eml"
                 ) -> tuple[Path, str, int]:
    """Like :func:`store` for data arriving in pieces (never whole in memory); returns (path, sha256, size)."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=archive_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        target = archive_path(archive_dir, digest.hexdigest(), suffix, sub)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists() and target.stat().st_size == size:
            os.unlink(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target, digest.hexdigest(), size
