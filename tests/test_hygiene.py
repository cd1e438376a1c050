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


REPO = TESTS.parent
# A citation of something a newcomer who cloned the repository does not have: the product spec,
# planning notes, the seed reports or the machine they lived on (an RFC section is fine). Point at docs/ instead.
OUTSIDE = re.compile(r"\bSPEC\b|(?<!\d )§\s*\d|\bnotes/|\bshared/|\bseeds/|/work/(?:shared|wt|main)/")


def test_sources_cite_only_the_repository():
    """Docstrings and comments point at docs/ and README, never at files outside the repository."""
    suffixes = {".py", ".toml", ".j2", ".html", ".js", ".css", ".txt", ".md"}
    offenders = [f"{p.relative_to(REPO)}:{n}: {line.strip()}"
                 for folder in ("src", "samples", "benchmarks", "tools", "tests")
                 for p in sorted((REPO / folder).rglob("*")) if p.suffix in suffixes and p.is_file()
                 and p != Path(__file__)
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if OUTSIDE.search(line)]
    assert not offenders, "\n".join(offenders)


def test_cited_docs_exist():
    """Every docs/*.md a source file names is in the repository."""
    cited = {m for p in (REPO / "src").rglob("*.py")
             for m in re.findall(r"docs/[\w.-]+\.md", p.read_text(encoding="utf-8"))}
    assert cited and all((REPO / c).is_file() for c in cited), sorted(c for c in cited if not (REPO / c).is_file())
