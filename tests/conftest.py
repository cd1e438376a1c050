import os
import sys
import tempfile
from pathlib import Path

# Test helpers (factory, xlsx_compare, fake_xlwings) import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))
# Compiled templates go to a private folder, never the user's ~/.cache.
os.environ["XLREPORT_CACHE_DIR"] = tempfile.mkdtemp(prefix="xlreport-test-cache-")
