__version__ = "0.1.0"


def main() -> None:
    """What the Excel button runs (``import xlreport; xlreport.main()``): score the active
    workbook in place. Imports nothing heavy until called."""
    from .excel import main as _main

    return _main()
