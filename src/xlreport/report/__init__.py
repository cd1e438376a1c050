"""The narrative report (绩效自评报告, .docx) written from an Evaluation (SPEC §6).

Only the report imports docx/docxtpl, and only when a report is written; the scoring
path never loads them.
"""

from __future__ import annotations

from .context import generate_snippets, report_context
from .render import ReportError, convert_to_pdf, render_docx, write_report

__all__ = [
           "ReportError",
           "convert_to_pdf",
           "generate_snippets",
           "render_docx",
           "report_context",
           "write_report",
]
