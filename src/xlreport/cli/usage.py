"""Mistakes on the command line (a misspelt command or option, a missing argument) in Chinese.

click words these in English ("Error: No such option '--foo'"). A clerk who types
``xlreport biuld`` should read what is wrong and what to type instead, in the same language as
every other message. :func:`chinese` turns click's usage errors into one that shows itself in
Chinese; the exit code stays click's 2 (README 退出码).
"""

from __future__ import annotations

import difflib
import re

import click

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Option '(.+?)' requires an argument\.$"), "选项“{0}”后面需要写上它的值。"),
    (re.compile(r"^Option '(.+?)' requires (\d+) arguments\.$"), "选项“{0}”后面需要写上{1}个值。"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), "多出了参数：{0}。"),
    (re.compile(r"^Missing command\.$"), "缺少命令。"),
]
_SUGGESTION = "您是否想用“{0}”？"
_CHOICE = re.compile(r"^'(.+?)' is not one of (.+)\.$")
_PATH = re.compile(r"^(?:Path|File|Directory) '(.+?)' (does not exist|is a directory|is a file)\.$")
_PATH_WORDS = {"does not exist": "不存在", "is a directory": "是文件夹，这里需要文件",
               "is a file": "是文件，这里需要文件夹"}


class ChineseUsageError(click.UsageError):
    """A usage error that shows itself in Chinese, with the usage line and where to find help."""

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        lines = []
        if self.ctx is not None:
            usage = self.ctx.get_usage().split(":", 1)[-1].strip()
            lines.append(f"用法：{usage}")
            lines.append(f"命令行有误：{self.message}")
            lines.append(f"输入“{self.ctx.command_path} -h”可查看说明。")
        else:
            lines.append(f"命令行有误：{self.message}")
        click.echo("\n".join(lines), file=file, err=True)


def _translate(text: str) -> str:
    for pattern, words in _PATTERNS:
        found = pattern.match(text)
        if found:
            return words.format(*found.groups())
    return text


def chinese(exc: click.UsageError) -> ChineseUsageError:
    """The same mistake, worded in Chinese (click's own text kept when it has no translation)."""
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        name = exc.param.opts[0] if exc.param.param_type_name == "option" else exc.param.human_readable_name
        text = f"缺少“{name}”。"
    elif isinstance(exc, click.BadParameter):
        name = exc.param_hint if isinstance(exc.param_hint, str) else (
            exc.param.opts[0] if exc.param is not None and exc.param.opts else "")
        detail = exc.message
        choice, path = _CHOICE.match(detail), _PATH.match(detail)
        if choice:
            options = "、".join(part.strip(" '") for part in choice.group(2).split(","))
            detail = f"“{choice.group(1)}”不是可选的值（可选：{options}）"
        elif path:
            detail = f"“{path.group(1)}”{_PATH_WORDS[path.group(2)]}"
        text = f"“{name.strip(chr(39))}”的值无效：{detail}。" if name else f"值无效：{detail}。"
    elif isinstance(exc, click.exceptions.NoSuchCommand):
        name = exc.command_name
        text = f"没有“{name}”这个命令。"
        close = difflib.get_close_matches(name, list(getattr(exc, "possibilities", None) or ()), n=1)
        if close:
            text += _SUGGESTION.format(close[0])
    elif isinstance(exc, click.NoSuchOption):
        text = f"没有“{exc.option_name}”这个选项。"
        if exc.possibilities:
            text += _SUGGESTION.format("”或“".join(exc.possibilities))
    else:
        text = _translate(exc.message)
    return ChineseUsageError(text, exc.ctx)
