"""The version, in a module of its own so any module can read it without importing the
package root (which would pull the Excel entry point in); hatch reads it for the wheel."""

__version__ = "0.1.0"
DIST_NAME = "xlreport-jixiao"  # the name on PyPI and in wheels; the command stays `xlreport`
