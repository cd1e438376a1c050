"""A mistake on the command line is answered in Chinese, with the usage line and exit code 2."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from xlreport.cli.main import main

CASES = [
    (["biuld"], "没有“biuld”这个命令。您是否想用“build”？"),
    (["build", "--foo", "a.xlsx"], "没有“--foo”这个选项。"),
    (["build"], "缺少“PATHS”。"),
    (["build", "a.xlsx", "--rules"], "选项“--rules”后面需要写上它的值。"),
    (["new", "a.xlsx", "b", "c"], "多出了参数：b c。"),
    (["bundle", "--platform", "mac", "-o", "x"], "“mac”不是可选的值（可选：windows-x64、"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_usage_mistakes_in_chinese(args, said):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "命令行有误：" in result.output and said in result.output
    assert not re.search(r"\b(Error|Usage|Try|No such|Missing|Got unexpected)\b", result.output), result.output
