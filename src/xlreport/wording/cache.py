"""Compiled wording templates kept between runs, so a build does not recompile them each time.

Jinja2's bytecode cache on disk, keyed by template source; a read-only or missing cache folder
only costs a recompile, never an error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from jinja2 import BytecodeCache, FileSystemBytecodeCache


def cache_dir() -> Path | None:
    """Where compiled templates are kept (None: do not keep them). XLREPORT_CACHE_DIR wins;
    an empty value turns the cache off."""
    configured = os.environ.get("XLREPORT_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "xlreport"


class QuietCache(BytecodeCache):
    """A bytecode cache on disk that never turns a read-only home folder into an error."""

    def __init__(self, directory: Path) -> None:
        self._inner: FileSystemBytecodeCache | None
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._inner = FileSystemBytecodeCache(str(directory), "jinja-%s.cache")
        except OSError:
            self._inner = None

    def load_bytecode(self, bucket) -> None:
        if self._inner is not None:
            try:
                self._inner.load_bytecode(bucket)
            except Exception:  # noqa: BLE001 - a damaged cache file only costs a recompile
                bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        if self._inner is not None:
            try:
                self._inner.dump_bytecode(bucket)
            except OSError:
                pass


def bytecode_cache() -> BytecodeCache | None:
    directory = cache_dir()
    return QuietCache(directory) if directory is not None else None
