from xlreport._version import __version__

__all__ = ["__version__", "main"]


def main() -> None:
    """What the Excel button runs (``import xlreport; xlreport.main()``): score the active
    workbook in place. Imports nothing heavy until called."""
    from xlreport.cli.button import main as _main

    return _main()
