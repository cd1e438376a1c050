"""Entry points: the ``xlreport`` command and its groups. Only these parse arguments, print and
choose exit codes; nothing else imports them (docs/architecture.md)."""
