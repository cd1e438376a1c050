"""The README documents every stable code a user or the central office can see."""

from pathlib import Path

from xlreport.adapters.excel import BOOK_FAILURES
from xlreport.core.failures import FILE_FAILURES
from xlreport.core.problems import CATALOGUE
from xlreport.core.rules import RULES_FAILURES
from xlreport.install.bundle import BUNDLE_FAILURES

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_problem_code_is_documented():
    missing = [code for code in CATALOGUE if f"`{code}`" not in README]
    assert not missing, f"README 缺少问题代码：{missing}"


def test_every_file_failure_code_is_documented():
    codes = [*FILE_FAILURES, *RULES_FAILURES, *BUNDLE_FAILURES, *BOOK_FAILURES, "report-template-invalid",
             "report-write-failed"]
    missing = [code for code in codes if f"`{code}`" not in README]
    assert not missing, f"README 缺少文件错误代码：{missing}"


def test_readme_shows_the_two_commands():
    assert "uv run xlreport build samples/" in README
    assert "uv run pytest" in README
