"""The one catalogue of codes: every code the program can show is in it, and every entry is used.

The source is read as syntax trees (nothing is imported or run), so a code added at a raise
site without a catalogue entry, a misspelt code, a field a message needs but the raise site
does not pass, or a literal exit code fails here.
"""

from __future__ import annotations

import ast
import re
import string
from functools import cache
from pathlib import Path

import pytest

from xlreport.core.catalogue import CATALOGUE, SETTINGS, Entry, Exit, Family, Level, message, reason, setting
from xlreport.core.failures import FILE_FAILURES, FileRejected, XlreportError
from xlreport.core.problems import CATALOGUE as PROBLEMS
from xlreport.core.problems import problem

SRC = Path(__file__).parents[1] / "src" / "xlreport"
CATALOGUE_FILE = SRC / "core" / "catalogue.py"
CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)+$")
BRACKETED = re.compile(r"^\[([a-z][a-z0-9]*(?:-[a-z0-9]+)+)\]")
# Calls whose string arguments are codes: the catalogue's own helpers and the failures' classes.
CODE_CALLS = {"problem", "Problem", "make", "message", "reason", "entry", "_refuse", "fail"}
# Strings that look like a code and start like one but are not codes (a default folder name).
NOT_CODES = {"portal-data"}


def _name(func: ast.expr) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_code_call(call: ast.Call) -> bool:
    name = _name(call.func)
    return name in CODE_CALLS or name.endswith(("Error", "Rejected", "Unavailable"))


@cache
def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(SRC.rglob("*.py"))
            if p != CATALOGUE_FILE}


def _strings() -> dict[str, list[str]]:
    """Every string constant in src (outside the catalogue) → where it occurs."""
    found: dict[str, list[str]] = {}
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.setdefault(node.value, []).append(f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def _code_calls() -> list[tuple[ast.Call, str]]:
    calls = []
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_code_call(node):
                calls.append((node, f"{path.relative_to(SRC)}:{node.lineno}"))
    return calls


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


# Every code shown is catalogued -------------------------------------------------------------


def test_every_code_at_a_raise_site_is_catalogued():
    unknown = []
    for call, where in _code_calls():
        position = 3 if _name(call.func) == "_refuse" else 0
        arg = call.args[position] if len(call.args) > position else None
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and CODE.match(arg.value) \
                and arg.value not in CATALOGUE:
            unknown.append((arg.value, where))
    assert not unknown, f"raise sites name codes the catalogue does not have: {unknown}"


def test_every_code_like_string_with_a_codes_prefix_is_catalogued():
    """A code written anywhere (a variable, an enum, a ``[code] …`` reason) is in the catalogue."""
    prefixes = {code.split("-")[0] + "-" for code in CATALOGUE}
    variants = {v for e in CATALOGUE.values() for v in e.variants} | set(SETTINGS)
    unknown = {}
    for text, where in _strings().items():
        bracketed = BRACKETED.match(text)
        code = bracketed.group(1) if bracketed else text if CODE.match(text) else None
        if code and code.startswith(tuple(prefixes)) and code not in CATALOGUE and code not in NOT_CODES | variants:
            unknown[code] = where
    assert not unknown, f"code-like strings not in the catalogue: {unknown}"


def test_no_code_is_spelt_out_as_a_bracketed_reason():
    """Registry reasons are made by catalogue.reason(), never ``"[mail-…] …"`` by hand."""
    by_hand = {text: where for text, where in _strings().items() if BRACKETED.match(text)}
    assert not by_hand, by_hand


def test_every_catalogue_entry_is_used_in_the_source():
    strings = _strings()
    unused = [code for code in CATALOGUE if code not in strings]
    assert not unused, f"catalogue entries no source file uses: {unused}"


def test_every_variant_is_used_and_every_used_variant_exists():
    used: set[tuple[str, str]] = set()
    for call, where in _code_calls():
        code = call.args[0].value if call.args and isinstance(call.args[0], ast.Constant) else None
        variant = next((k.value.value for k in call.keywords if k.arg == "variant"
                        and isinstance(k.value, ast.Constant)), None)
        if variant is None and _name(call.func) in {"message", "reason"} and len(call.args) > 1 \
                and isinstance(call.args[1], ast.Constant):
            variant = call.args[1].value
        if variant is None:
            continue
        if code is None:  # a code held in an enum member (Refusal.NO_CODE): any entry with the variant
            assert any(variant in e.variants for e in CATALOGUE.values()), where
            used |= {(c, variant) for c, e in CATALOGUE.items() if variant in e.variants}
        else:
            assert variant in CATALOGUE[code].variants, f"{where}: {code} has no variant {variant!r}"
            used.add((code, variant))
    declared = {(code, v) for code, e in CATALOGUE.items() for v in e.variants}
    assert declared <= used, f"variants no source file uses: {sorted(declared - used)}"


def test_raise_sites_pass_exactly_the_fields_the_message_needs():
    wrong = []
    for call, where in _code_calls():
        if not call.args or not isinstance(call.args[0], ast.Constant) or call.args[0].value not in CATALOGUE:
            continue
        if any(k.arg is None for k in call.keywords):  # **fields: checked by the tests that raise it
            continue
        entry = CATALOGUE[call.args[0].value]
        variant = next((k.value.value for k in call.keywords if k.arg == "variant"), None)
        if variant is None and _name(call.func) in {"message", "reason"} and len(call.args) > 1:
            variant = call.args[1].value  # type: ignore[attr-defined]
        needed = _placeholders(entry.variants[variant] if variant else entry.template)
        given = {k.arg for k in call.keywords} - {"variant"}
        if entry.family is Family.PROBLEM:
            ok = needed <= given - {"sheet", "cell"}  # a problem may carry more fields as data for the central office
        else:
            ok = needed == given
        if _name(call.func) in {"Problem", "entry"} or len(call.args) > 1 and _name(call.func) not in {
                "message", "reason", "problem"}:
            continue  # (code, message) constructors re-raising a built message
        if not ok:
            wrong.append((where, entry.code, sorted(needed), sorted(given)))
    assert not wrong, f"fields passed do not match the message's placeholders: {wrong}"


def test_every_settings_sentence_is_used_with_exactly_its_fields():
    """mail.toml and central.toml say what is wrong in the catalogue's words (SETTINGS)."""
    used, wrong = set(), []
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == "setting":
                where = f"{path.relative_to(SRC)}:{node.lineno}"
                name = node.args[0].value  # type: ignore[attr-defined]
                assert name in SETTINGS, f"{where}: no settings sentence {name!r}"
                used.add(name)
                if {k.arg for k in node.keywords} != _placeholders(SETTINGS[name]):
                    wrong.append((where, name))
    assert not wrong, f"fields passed do not match the sentence's placeholders: {wrong}"
    assert used == set(SETTINGS), f"settings sentences no source file uses: {sorted(set(SETTINGS) - used)}"
    assert setting("key-missing", section="smtp", key="host") == "[smtp] 缺少 host。"


# Not codes: Python's own exceptions (a misuse of an API) and click's usage errors (a mistyped command).
NOT_CATALOGUED_CALLS = {"ValueError", "KeyError", "TypeError", "RuntimeError", "AssertionError", "OSError",
                        "UsageError", "BadParameter"}


def test_no_message_sentence_is_written_at_a_raise_site():
    """A raise site passes a code and fields (short fragments such as a reason); the sentences a
    user reads, ending in “。”, are the catalogue's."""
    sentences = []
    for call, where in _code_calls():
        if _name(call.func) in NOT_CATALOGUED_CALLS:
            continue
        # ``advice`` is a 基本信息 field's hint (as the schema's labels carry), not a message of its own
        for arg in [*call.args, *(k.value for k in call.keywords if k.arg != "advice")]:
            for node in ast.walk(arg):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and "。" in node.value:
                    sentences.append((where, node.value[:30]))
    assert not sentences, f"message sentences written at raise sites: {sentences}"


# The catalogue itself -----------------------------------------------------------------------


def test_codes_are_stable_strings_and_entries_are_complete():
    for code, entry in CATALOGUE.items():
        assert CODE.match(code) and entry.code == code
        assert entry.title and entry.template
        assert (entry.level is not None) == (entry.family is Family.PROBLEM), code
        if entry.family is Family.PROBLEM:
            assert entry.exit_code is None, code
        assert "\n" not in entry.template and "Traceback" not in entry.template


def test_problems_and_file_failures_are_views_of_the_one_catalogue():
    assert set(PROBLEMS) == {c for c, e in CATALOGUE.items() if e.family is Family.PROBLEM}
    assert PROBLEMS["weight-total"].level is Level.ERROR
    assert FILE_FAILURES["file-write-failed"] == CATALOGUE["file-write-failed"].template
    p = problem("weight-missing", "绩效指标", "F7", name="满意度")
    assert p.text == "工作表“绩效指标”F7单元格：指标“满意度”未填写分值。请填写该指标的分值。"
    with pytest.raises(KeyError):
        problem("no-such-code")


def test_a_failure_takes_its_message_and_exit_code_from_the_catalogue():
    exc = FileRejected.make("file-write-failed", path="汇总.xlsx", reason="Permission denied")
    assert exc.code == "file-write-failed" and exc.exit_code == Exit.UNUSABLE == 2
    assert exc.message == ("无法写入“汇总.xlsx”：Permission denied。原有文件（如有）未被修改。"
                           "请关闭在Excel中打开的该文件，或检查文件夹写入权限。")
    assert XlreportError.make("mail-db-unavailable", where="sqlite:///x.db", kind="OperationalError").exit_code == 1
    assert message("portal-config", "not-found", path="central.toml").startswith("找不到平台配置文件“central.toml”")
    assert reason("mail-failed", "gave-up") == "[mail-failed] 多次处理均未完成"


def test_file_write_failed_is_written_once():
    """Every command that cannot write its output says it in the same words."""
    sites = [where for call, where in _code_calls() if call.args and isinstance(call.args[0], ast.Constant)
             and call.args[0].value == "file-write-failed"]
    assert len(sites) >= 4
    strings = _strings()
    assert not [t for t in strings if t.startswith("无法写入“")], "a write failure message spelt out at a raise site"


def _literal(value: ast.expr | None) -> bool:
    """An int written out, alone or as a branch of ``… if … else …``."""
    if isinstance(value, ast.IfExp):
        return _literal(value.body) or _literal(value.orelse)
    return isinstance(value, ast.Constant) and type(value.value) is int


def test_exit_codes_are_named_not_literal():
    """No ``sys.exit(1)``, ``exit_code = 3`` or ``0 if … else 1``: every exit code is a member of catalogue.Exit."""
    literal = []
    for path, tree in _trees().items():
        for node in ast.walk(tree):
            values: list[ast.expr] = []
            if isinstance(node, ast.Call) and _name(node.func) == "exit" and node.args:
                values.append(node.args[0])
            elif isinstance(node, ast.Assign) and any("exit" in ast.unparse(t) for t in node.targets):
                values.append(node.value)
            elif isinstance(node, ast.Call):
                values += [k.value for k in node.keywords if k.arg and "exit" in k.arg]
            elif isinstance(node, ast.FunctionDef) and (node.name in {"main", "run"} or "exit" in node.name):
                values += [n.value for n in ast.walk(node) if isinstance(n, ast.Return) and n.value is not None
                           and isinstance(n.value, ast.Constant | ast.IfExp)]
            literal += [f"{path.relative_to(SRC)}:{v.lineno}" for v in values if _literal(v)]
    assert not literal, f"literal exit codes: {literal}"


def test_exit_codes_are_the_documented_table():
    assert [int(e) for e in Exit] == [0, 1, 2, 3, 130]
    assert {e.exit_code for e in CATALOGUE.values() if e.family is not Family.PROGRAM} <= \
        {None, Exit.ERRORS, Exit.UNUSABLE}
    assert {e.exit_code for e in CATALOGUE.values() if e.family is Family.PROGRAM} == {Exit.INTERNAL}


def test_entry_message_fills_a_variant():
    e = Entry("x-y", Family.FILE, "标题", "默认{a}", variants={"other": "另一种{b}"})
    assert e.message(a=1) == "默认1" and e.message("other", b=2) == "另一种2"
