"""Files on disk: atomic replacement, and finding the workbooks in folders.

Atomic replacement: a reader sees either the old file or the complete new one.

Every file xlreport writes (workbooks, reports and PDFs, templates, the add-in, the mail archive, caches) goes
through here, so a crash never leaves half a file and a rewritten file keeps its permissions.
The data is flushed to disk (fsync) before the rename: a power cut right after a build leaves
the old file or the new one, never an empty file under the new name.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_target(target: str | os.PathLike[str], suffix: str | None = None,
                  new_mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block succeeds, give it the mode
    ``target`` had (or ``new_mode``, or the usual mode of a new file), flush it to disk and
    rename it over ``target``. When the block fails, the temporary file is removed and
    ``target`` is untouched."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".xlreport-", suffix=suffix or target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        try:
            mode = stat.S_IMODE(target.stat().st_mode)
        except FileNotFoundError:
            mode = _default_mode() if new_mode is None else new_mode
        os.chmod(tmp, mode)
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes, new_mode: int | None = None) -> Path:
    """Write ``data`` to ``target`` through :func:`atomic_target`."""
    target = Path(target)
    with atomic_target(target, new_mode=new_mode) as tmp:
        tmp.write_bytes(data)
    return target


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; not possible (nor needed) on Windows."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# Finding workbooks ---------------------------------------------------------------------
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
REPORT_MARK = "_自评报告"  # pipeline.REPORT_SUFFIX without the extension (PDF/Word copies too)


def collect_workbooks(paths: tuple[Path, ...] | list[Path], exclude: Path | None = None) -> list[Path]:
    """Files as given; folders searched (recursively) for workbooks.

    Skipped in folders: Excel lock files (``~$``), hidden files, our temporary files
    (``.xlreport-``), backups (``*.xlsx.bak`` are not workbooks by suffix), reports and their
    copies (``*_自评报告*``), and everything under ``exclude`` (the ``-o`` output folder, so a
    second run does not score the first run's results). A file named explicitly is always
    kept. A file reached twice is listed once.
    """
    found: list[Path] = []
    seen: set[Path] = set()
    excluded = _resolved(exclude) if exclude is not None else None

    def add(candidate: Path) -> None:
        key = _resolved(candidate)
        if key not in seen:
            seen.add(key)
            found.append(candidate)

    for path in paths:
        if not path.is_dir():
            add(path)
            continue
        for candidate in sorted(path.rglob("*")):
            name = candidate.name
            if (candidate.suffix.lower() not in WORKBOOK_SUFFIXES
                    or name.startswith(("~$", ".xlreport-", "."))
                    or REPORT_MARK in candidate.stem
                    or (excluded is not None and _is_within(candidate, excluded))
                    or not candidate.is_file()):
                continue
            add(candidate)
    return found


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except OSError:
        return path.absolute()


def _is_within(path: Path, folder: Path) -> bool:
    return _resolved(path).is_relative_to(folder)
