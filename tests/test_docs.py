"""The README documents every stable code a user or the central office can see, in the right table.

The codes come from the one catalogue (xlreport.core.catalogue): the workbook problems in the
first table of “问题代码”, the failures that stop a command in its second table, the mail and
roster codes in “七、原因代码”, the exit codes in “退出码”. Each row's meaning contains the
catalogue's title, and the README names no code the catalogue does not have.
"""

import re
from pathlib import Path

from xlreport.core.catalogue import CATALOGUE, Exit, Family

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
COMMAND_FAMILIES = {Family.FILE, Family.REPORT, Family.RULES, Family.EXCEL, Family.ADDIN, Family.BUNDLE,
                    Family.PORTAL, Family.PROGRAM}
MAIL_FAMILIES = {Family.MAIL, Family.ROSTER}


def _section(heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = README.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"\n#{{1,{len(level)}}} ", README[start:])]
    return README[start:start + ends[0]] if ends else README[start:]


def _tables(text: str) -> list[list[list[str]]]:
    """Each markdown table in ``text`` as rows of cells, header and rule lines left out."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if current is None:
                current = []
                tables.append(current)
                continue  # the header
            if not set("".join(cells)) <= set("-: "):
                current.append(cells)
        else:
            current = None
    return tables


def _code(cell: str) -> str:
    match = re.fullmatch(r"`([a-z0-9-]+)`", cell)
    assert match, f"a table row must start with one code in backticks: {cell!r}"
    return match.group(1)


def _check(rows: list[list[str]], families: set[Family], meaning_column: int) -> dict[str, list[str]]:
    by_code = {_code(row[0]): row for row in rows}
    assert len(by_code) == len(rows), "a code is listed twice"
    expected = {code for code, e in CATALOGUE.items() if e.family in families}
    assert not set(by_code) - expected, f"README 列出了目录中没有的代码：{sorted(set(by_code) - expected)}"
    assert not expected - set(by_code), f"README 缺少代码：{sorted(expected - set(by_code))}"
    for code, row in by_code.items():
        assert CATALOGUE[code].title in row[meaning_column], f"{code}: 含义应包含“{CATALOGUE[code].title}”"
    return by_code


def test_every_problem_code_is_in_the_problem_table_with_its_level():
    problems, _commands = _tables(_section("## 问题代码"))
    for code, row in _check(problems, {Family.PROBLEM}, 2).items():
        assert row[1] == CATALOGUE[code].level.value, code  # type: ignore[union-attr]


def test_every_code_that_stops_a_command_is_in_the_second_table_with_its_family():
    _problems, commands = _tables(_section("## 问题代码"))
    for code, row in _check(commands, COMMAND_FAMILIES, 2).items():
        assert row[1] == CATALOGUE[code].family.value, code


def test_every_mail_and_roster_code_is_in_the_reason_table():
    (reasons,) = _tables(_section("### 七、原因代码"))
    _check(reasons, MAIL_FAMILIES, 1)


def test_the_mail_guide_shows_the_same_reason_table():
    guide = (Path(__file__).parents[1] / "docs" / "mail.md").read_text(encoding="utf-8")
    start = guide.index("| 代码 | 含义 | 是否回复 |")
    readme_start = README.index("| 代码 | 含义 | 是否回复 |")
    assert guide[start:guide.index("\n\n", start)] == README[readme_start:README.index("\n\n", readme_start)]


def test_every_family_has_its_table():
    assert {Family.PROBLEM} | COMMAND_FAMILIES | MAIL_FAMILIES == set(Family)


def test_the_exit_code_table_is_the_catalogues():
    (table,) = _tables(_section("## 退出码"))
    assert [int(row[0]) for row in table] == [int(e) for e in Exit]


def test_the_readme_names_no_unknown_code():
    prefixes = tuple({code.split("-")[0] + "-" for code, e in CATALOGUE.items() if e.family is not Family.PROBLEM})
    named = {m for m in re.findall(r"`([a-z][a-z0-9]*(?:-[a-z0-9]+)+)`", README) if m.startswith(prefixes)}
    assert not named - set(CATALOGUE), sorted(named - set(CATALOGUE))


def test_readme_shows_the_two_commands():
    assert "uv run xlreport build samples/" in README
    assert "uv run pytest" in README
