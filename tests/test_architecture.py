"""Dependencies run one way, and the folders say which way (docs/architecture.md).

core ← wording ← adapters ← the build (pipeline, batch, convert) ← central office, install ← cli.
A module may import its own room and the rooms to its left, never to its right; the core imports
no I/O library and not the package root.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "xlreport"
IO_LIBRARIES = {"openpyxl", "xlwings", "docx", "docxtpl", "jinja2", "sqlalchemy", "click", "rich",
                "imap_tools", "lxml", "defusedxml", "olefile", "starlette", "uvicorn", "pandas"}
# Rooms in the order they may depend on each other.
RANK = {"_version": 0, "core": 0, "wording": 1, "adapters": 2, "pipeline": 3, "batch": 3,
        "convert": 3, "central": 4, "install": 4, "cli": 5, "__init__": 6}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def _nodes(tree: ast.AST, typing_only: bool):
    """Every node, optionally without the bodies of ``if TYPE_CHECKING:`` (never run)."""
    for node in ast.iter_child_nodes(tree):
        if not typing_only and isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            yield from (n for child in node.orelse for n in [child, *_nodes(child, typing_only)])
            continue
        yield node
        yield from _nodes(node, typing_only)


def imports(path: Path, typing_only: bool = True) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, as 'xlreport.x.y' or 'lib'
    (``typing_only=False``: only the imports that run)."""
    name = _module(path)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found: set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8")), typing_only):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["xlreport", *package[: len(package) - node.level + 1]]
                target = ".".join(base + ([node.module] if node.module else []))
                found |= {target} if node.module else {f"{target}.{a.name}" for a in node.names}
            elif node.module == "xlreport":  # `from xlreport import pipeline` imports a module
                found |= {f"xlreport.{a.name}" for a in node.names}
            elif node.module:
                found.add(node.module)
    return found


def _room(dotted: str) -> str:
    """'core.model' -> 'core', 'pipeline' -> 'pipeline'; the package root is its own room."""
    return dotted.split(".")[0] if dotted else "__init__"


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_lives_in_a_known_room():
    assert {_room(_module(p)) for p in MODULES} <= set(RANK)


@pytest.mark.parametrize("path", MODULES, ids=_module)
def test_imports_point_left(path: Path):
    me = _room(_module(path))
    wrong = []
    for imported in imports(path):
        if imported == "xlreport":
            if me != "__init__" and me != "cli":
                wrong.append(imported)
        elif imported.startswith("xlreport."):
            room = _room(imported.removeprefix("xlreport."))
            if RANK[room] > RANK[me] or (room == "cli" and me not in ("cli", "__init__")):
                wrong.append(imported)
    assert not wrong, f"{_module(path)} imports {sorted(wrong)}"


@pytest.mark.parametrize("path", [p for p in MODULES if _room(_module(p)) == "core"], ids=_module)
def test_the_core_does_no_io(path: Path):
    wrong = sorted(i for i in imports(path) if i.split(".")[0] in IO_LIBRARIES)
    assert not wrong, f"{_module(path)} imports {wrong}"


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("xlreport")):
            found += [f"{node.module}.{a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


@pytest.mark.parametrize("path", MODULES, ids=_module)
def test_no_module_reaches_into_another_ones_private_names(path: Path):
    """A helper two modules need is public, in the module it belongs to (e.g. the label finders in
    core/locate.py, round2 and the sentence number formats in core/values.py)."""
    assert not _private_imports(path)


def test_a_build_never_loads_numpy(tmp_path: Path):
    """openpyxl would import numpy (installed for the portal's pandas) in every build: ≈0.2 s and
    14 MB per click and per mail worker. adapters/openpyxl_loader.py hides it; a build with a
    report, in a fresh process, must end with numpy never imported."""
    import subprocess
    import sys

    sample = sorted((PACKAGE.parents[1] / "samples").glob("*.xlsx"))[0]
    code = ("import sys; from xlreport.pipeline import build_file; "
            f"o = build_file({str(sample)!r}, output={str(tmp_path / 'out.xlsx')!r}); "
            "assert o.evaluation is not None, o.summary; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'pandas')))")
    done = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_no_import_cycles():
    """Inside a room too, modules form layers: no module imports (even inside a function) one that
    imports it back, directly or through others."""
    names = {_module(p): p for p in MODULES}
    graph = {}
    for name, path in names.items():
        targets = set()
        for imported in imports(path, typing_only=False):
            ours = imported.removeprefix("xlreport.") if imported.startswith("xlreport.") else None
            while ours and ours not in names:  # `from xlreport.core import schema` names a module
                ours = ours.rpartition(".")[0]
            if ours and ours != name and not ours.endswith("__init__") and ours in names:
                targets.add(ours)
        graph[name] = targets - {n for n in targets if names[n].name == "__init__.py"}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" → ".join([*stack[stack.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles
