"""Import openpyxl without numpy.

openpyxl imports numpy whenever it is installed (numpy comes with pandas, which the portal uses),
only so that numpy numbers are accepted as cell values; xlreport never writes one. numpy costs
about 0.2 s and 14 MB in every process that opens a workbook: each ``xlreport build``, each mail
worker, each batch worker. So the first import of openpyxl happens with numpy hidden, unless numpy
is already loaded (then openpyxl uses it as usual). numpy stays importable afterwards.

Import this module before openpyxl (the adapters that use openpyxl do, at their top).
"""

from __future__ import annotations

import sys


def import_openpyxl() -> None:
    """Import openpyxl, hiding numpy from it if neither is loaded yet."""
    if "openpyxl" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # `import numpy` now raises ImportError
    try:
        import openpyxl  # noqa: F401
    finally:
        if "numpy" in sys.modules and sys.modules["numpy"] is None:
            del sys.modules["numpy"]


import_openpyxl()
