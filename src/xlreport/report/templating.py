"""The Jinja2 side of the report: where templates come from and how an outline becomes blocks.

The phrasing and the order of sections live in plain-text Jinja2 templates
(``outline_<报告类型>.j2``, ``gen_*.j2``, ``_analysis.j2``); the styling lives in
``report.docx``. A folder given with ``--templates DIR`` overrides any of them by file name.

An outline renders to lines, one block per line:

=================  ===============================================
``@title T``       the report title (one line of it)
``@subtitle T``    the line under the title (the unit)
``# T``            heading 一、 (黑体)
``## T``           heading （一） (楷体)
``### T``          heading 1. (仿宋)
``@caption T``     a table title (表4-1 …)
``@itable N``      the indicator table of the N-th 一级指标 (0-based)
``@budget``        the budget table (资金投入)
``@annex``         the 绩效自评表 (attachment)
``@annexlabel T``  “附件” at the top of a new page
``@annextitle T``  the attachment's title
``@right T``       a right-aligned line (signature, date)
``@gap``           an empty line
``~ T``            a body paragraph taken literally (user text goes through ``paras``)
anything else      a body paragraph
=================  ===============================================

A paragraph starting with “（待填写” is shown highlighted so it cannot be missed.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

from .context import cn_number, paragraphs

DEFAULT_DIR = Path(__file__).parent / "templates"
DOCX_TEMPLATE = "report.docx"
TODO_PREFIX = "（待填写"


def paras(text: object) -> str:
    """User text as literal paragraphs, one ``~`` line each (never read as markup)."""
    return "\n".join("~ " + p for p in paragraphs(text))


@lru_cache(maxsize=8)
def _environment(override: str | None) -> Environment:
    loaders = [FileSystemLoader(str(DEFAULT_DIR))]
    if override:
        loaders.insert(0, FileSystemLoader(override))
    from .fastdocx import bytecode_cache

    env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=False,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                      bytecode_cache=bytecode_cache())
    env.filters["paras"] = paras
    env.filters["cn"] = cn_number
    env.globals["cn"] = cn_number
    return env


def text_environment(templates_dir: str | Path | None = None) -> Environment:
    return _environment(str(Path(templates_dir).resolve()) if templates_dir else None)


def docx_template_path(templates_dir: str | Path | None = None) -> Path:
    if templates_dir:
        candidate = Path(templates_dir) / DOCX_TEMPLATE
        if candidate.is_file():
            return candidate
    return DEFAULT_DIR / DOCX_TEMPLATE


def outline_name(report_type: str) -> str:
    return f"outline_{report_type}.j2"


_SIMPLE = {"@title": "title", "@subtitle": "subtitle", "@caption": "caption", "@annexlabel": "annexlabel",
           "@annextitle": "annextitle", "@right": "right", "@note": "note"}


def parse_outline(text: str, context: dict[str, Any]) -> list[dict[str, Any]]:
    """Lines of a rendered outline -> blocks for report.docx."""
    blocks: list[dict[str, Any]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("~ ") or line == "~":
            blocks.append(_para(line[2:].strip()))
            continue
        head, _, rest = line.partition(" ")
        rest = rest.strip()
        if head in ("#", "##", "###"):
            blocks.append({"kind": f"h{len(head)}", "text": rest})
        elif head in _SIMPLE:
            blocks.append({"kind": _SIMPLE[head], "text": rest})
        elif head == "@itable":
            group = context["groups"][int(rest)]
            blocks.append({"kind": "itable", "text": "", "g": group})
        elif head in ("@annex", "@budget", "@gap"):
            blocks.append({"kind": head[1:], "text": ""})
        elif head.startswith("@"):
            raise ValueError(f"未知的版式指令“{head}”")
        else:
            blocks.append(_para(line))
    return [b for b in blocks if b["text"] or b["kind"] in ("itable", "annex", "budget", "gap")]


def _para(text: str) -> dict[str, Any]:
    return {"kind": "todo" if text.startswith(TODO_PREFIX) else "p", "text": text}
