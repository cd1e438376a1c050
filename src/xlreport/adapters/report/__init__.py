"""The narrative report (绩效自评报告, .docx) written from an Evaluation.

Only the report imports docx/docxtpl, and only when a report is written; the scoring
path never loads them.
"""

from __future__ import annotations

from xlreport.adapters.report.render import (
    ReportError,
    convert_to_pdf,
    placeholder_problems,
    render_docx,
    write_report,
)

__all__ = ["ReportError", "convert_to_pdf", "placeholder_problems", "render_docx", "write_report"]
