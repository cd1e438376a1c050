import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

# Test helpers (factory, xlsx_compare, fake_xlwings) import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))


def _bytecode_cache_for_this_run() -> None:
    """With PYTHONDONTWRITEBYTECODE set, every Python process the tests start (mail runs and their
    workers, portal servers, xdist workers: hundreds) would compile SQLAlchemy, openpyxl and the
    project from source again, about 0.5 s of CPU each. Byte code goes to one temporary folder
    for this run instead (PYTHONPYCACHEPREFIX), never beside the sources; removed at the end."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return  # byte code is cached as usual, or someone chose the folder
    folder = tempfile.mkdtemp(prefix="xlreport-test-pycache-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = folder
    sys.pycache_prefix, sys.dont_write_bytecode = folder, False


_bytecode_cache_for_this_run()  # at import: before xdist starts its workers, which inherit it

# Modules whose tests build on one session server's state in file order: under xdist each runs
# whole, in order, on one worker (pytest-xdist's own xdist_group does not group with pytest 9).
ONE_WORKER_MODULES = {"tests/portal/test_portal_browser.py"}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Tests are handed out one by one to whichever worker is free; a module of ONE_WORKER_MODULES
    goes out as one unit (first: it is the longest)."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduler(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else nodeid

    return Scheduler(config, log)


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Every test (and every process a test starts) caches into a temporary folder, never the
    user's ~/.cache/xlreport. One folder per session: the compiled report template is built once
    per run, as on a user's machine; tests of the cache itself set their own folder."""
    folder = tmp_path_factory.mktemp("xlreport-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XLREPORT_CACHE_DIR", str(folder))
        yield folder



# Hypothesis's per-example deadline is a wall-clock assertion too: off for every test.
try:
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("xlreport", deadline=None)
    _hypothesis_settings.load_profile("xlreport")
except ImportError:  # pragma: no cover - hypothesis is a dev dependency
    pass
