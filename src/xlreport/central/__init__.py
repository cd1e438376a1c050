"""The central office: the registry of submissions (SQLite or PostgreSQL), the mail processor,
the web portal and the summary. Everything here is untrusted-input territory: see
docs/architecture.md and the README's 主管部门 sections.
"""
