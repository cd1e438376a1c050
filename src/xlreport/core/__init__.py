"""The pure core: the workbook model, value parsing, reading by label, scoring, the write plan.

Nothing here reads or writes a file, a book or a socket, or imports an I/O library; it takes a
``grid.BookGrid`` in memory and returns typed results (docs/architecture.md). The tests in
``tests/test_architecture.py`` hold it to that.
"""
