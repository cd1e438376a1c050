"""Dependencies run one way (docs/architecture.md): the core imports no adapter, no entry
point and no I/O library; only entry points import the command line."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "xlreport"
CORE = {"schema", "values", "grid", "model", "problems", "plan", "styles", "failures", "_version",
        "reader", "scoring", "planner", "forms", "form_writeback"}
IO_LIBRARIES = {"openpyxl", "xlwings", "docx", "docxtpl", "jinja2", "sqlalchemy", "click", "rich",
                "imap_tools", "lxml", "defusedxml", "olefile"}
ENTRY_POINTS = {"cli", "excel_cli", "summary_cli", "bundle_cli", "mail.cli"}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE).with_suffix("").parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, as 'xlreport.x.y' or 'lib'."""
    name = _module(path)
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ["xlreport", *package[: len(package) - node.level + 1]]
                target = ".".join(base + ([node.module] if node.module else []))
                found |= {target} if node.module else {f"{target}.{a.name}" for a in node.names}
            elif node.module:
                found.add(node.module)
    return found


def _ours(name: str) -> str | None:
    return name.removeprefix("xlreport.") if name.startswith("xlreport.") else None


def test_the_core_imports_only_the_core():
    wrong = {}
    for name in sorted(CORE):
        for imported in imports(PACKAGE / f"{name}.py"):
            ours = _ours(imported)
            if (ours is not None and ours not in CORE) or imported.split(".")[0] in IO_LIBRARIES \
                    or imported == "xlreport":
                wrong.setdefault(name, []).append(imported)
    assert not wrong, wrong


def test_only_entry_points_import_the_command_line():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        name = _module(path)
        if name in ENTRY_POINTS or name == "__init__":
            continue
        if any((_ours(i) or "") in ENTRY_POINTS for i in imports(path)):
            wrong.append(name)
    assert not wrong, wrong
