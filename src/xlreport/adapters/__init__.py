"""The outside worlds of one workbook: files on disk (openpyxl), the live Excel book (xlwings),
the blank template and the Word report. Each adapter imports the core, never the other way
(docs/architecture.md).
"""
