"""The wording layer: every sentence a user reads about a score comes from Jinja2 templates here.

Scoring decides (typed verdicts in :mod:`xlreport.core.model`); this package explains. The workbook's
评分说明, the report's paragraphs and tables, and the mail processor's and the portal's mails are
rendered from the ``.j2`` files in ``templates/``. A central office overrides any of them by
putting a file of the same name in the folder given with ``--templates`` (listed file by file in the README, “自评报告与自定义模板”).

A template renders to text; blank lines separate paragraphs, and the lines of one paragraph are
joined without a separator (Chinese needs no spaces), so templates may be laid out for reading.
Mail templates (:mod:`xlreport.wording.mail`) keep their lines as written: a mail is plain text.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from xlreport.core.catalogue import message
from xlreport.core.failures import XlreportError
from xlreport.wording.views import budget_view, indicator_view

DEFAULT_DIR = Path(__file__).parent / "templates"
TODO_OPEN = "（待填写："


class WordingError(XlreportError):
    """An override template is broken: a Chinese message naming the file, never a traceback."""

    def __init__(self, name: str, reason: object) -> None:
        super().__init__("report-template-invalid", message("report-template-invalid", "wording", name=name, reason=reason))


class Wording:
    """A loaded set of templates (the package's, overridden file by file by an office's folder)."""

    def __init__(self, templates_dir: str | Path | None = None) -> None:
        from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

        loaders = [FileSystemLoader(str(DEFAULT_DIR))]
        if templates_dir:
            loaders.insert(0, FileSystemLoader(str(templates_dir)))
        from xlreport.wording.cache import bytecode_cache

        self.env = Environment(loader=ChoiceLoader(loaders), undefined=StrictUndefined, autoescape=False,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                               bytecode_cache=bytecode_cache())
        from xlreport.wording.filters import FILTERS

        self.env.filters.update(FILTERS)
        self.env.globals["todo"] = todo

    def paragraphs(self, name: str, **context: Any) -> list[str]:
        """The template's paragraphs (blank lines separate them; lines within one are joined)."""
        from jinja2 import TemplateError

        try:
            text = self.env.get_template(name).render(**context)
        except TemplateError as exc:
            raise WordingError(name, exc) from exc
        out: list[str] = []
        for block in text.replace("\r", "").split("\n\n"):
            joined = "".join(line.strip() for line in block.split("\n"))
            if joined:
                out.append(joined)
        return out

    def mail(self, name: str, **context: Any) -> str:
        """A plain-text mail as laid out in the template: trailing spaces and extra blank lines dropped.

        Any error in an office's template (syntax, unknown variable, a failing filter) is a
        WordingError, so a caller can fall back to the package's own text.
        """
        try:
            text = self.env.get_template(name).render(**context)
        except Exception as exc:  # an override may raise anything; the caller falls back
            raise WordingError(name, describe_error(exc)) from exc
        lines = [line.rstrip() for line in text.replace("\r", "").split("\n")]
        out: list[str] = []
        for line in lines:
            if line or (out and out[-1]):  # at most one blank line in a row
                out.append(line)
        return "\n".join(out).strip("\n")

    def text(self, name: str, **context: Any) -> str:
        """The template as one paragraph (paragraphs joined)."""
        return "".join(self.paragraphs(name, **context))

    # The sentences the workbook needs -----------------------------------------------------
    def indicator_note(self, result, budget=None) -> str:
        """评分说明 for one indicator."""
        return self.text("评分说明.j2", v=indicator_view(result, budget))

    def budget_note(self, budget) -> str:
        """The 预算执行率 line of 评分结果."""
        return self.text("预算执行评分.j2", b=budget_view(budget), short=True)


def describe_error(exc: Exception) -> str:
    """The error, with the template file and line it comes from when known (“_回复.j2”第3行：…)."""
    import traceback

    from jinja2 import TemplateSyntaxError

    text = str(exc) or type(exc).__name__
    if isinstance(exc, TemplateSyntaxError):
        name, line = exc.filename or exc.name, exc.lineno
    else:  # a runtime error: Jinja2 rewrites the traceback to point at the template's line
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith(".j2")]
        name, line = (frames[-1].filename, frames[-1].lineno) if frames else (None, None)
    if isinstance(name, str) and line:
        return f"“{Path(name).name}”第{line}行：{text}"
    return text


def todo(what: str, hint: str = "") -> str:
    """A placeholder the unit must replace; the report highlights it and 校验结果 lists it."""
    hint = hint.strip().rstrip("。")
    return f"{TODO_OPEN}{what}{'。' + hint if hint else ''}）"


@lru_cache(maxsize=8)
def _cached(key: str | None) -> Wording:
    return Wording(key)


def wording(templates_dir: str | Path | None = None) -> Wording:
    """The wording for a templates folder (None: the package's own), loaded once per process."""
    return _cached(str(Path(templates_dir).resolve()) if templates_dir else None)


__all__ = ["TODO_OPEN", "Wording", "WordingError", "budget_view", "describe_error", "indicator_view", "todo", "wording"]
