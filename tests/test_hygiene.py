"""Rules for the test suite itself: a private cache, no wall-clock assertions."""

from __future__ import annotations

import os
import re
from pathlib import Path

from xlreport.wording.cache import cache_dir

TESTS = Path(__file__).parent


def test_the_cache_is_a_temporary_folder(private_cache):
    assert os.environ["XLREPORT_CACHE_DIR"] == str(private_cache)
    assert cache_dir() == private_cache
    assert not private_cache.is_relative_to(Path.home() / ".cache")


def test_no_test_times_itself():
    """Timing belongs in benchmarks/: a stopwatch in a test measures how busy the machine is."""
    stopwatch = re.compile(r"perf_counter|process_time|time\.time\(\)")
    offenders = [str(p.relative_to(TESTS)) for p in TESTS.rglob("*.py")
                 if p.name != Path(__file__).name and stopwatch.search(p.read_text(encoding="utf-8"))]
    assert not offenders, offenders
