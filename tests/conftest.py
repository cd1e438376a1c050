import sys
from pathlib import Path

# Test helpers (factory, xlsx_compare, fake_xlwings) import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))
