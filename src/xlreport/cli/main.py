"""Command line: `xlreport new | check | build` (and the excel/mail/summary groups).

Every failure a user can cause ends as a Chinese message and a documented exit code:
0 scored, 1 errors remain, 2 the file cannot be used, 3 an internal error. ``--debug``
shows tracebacks; nothing else does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xlreport._version import __version__
from xlreport.adapters.files import WORKBOOK_SUFFIXES, collect_workbooks
from xlreport.cli.usage import ChineseUsageError, chinese
from xlreport.core import catalogue, schema
from xlreport.core.failures import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_UNUSABLE,
    XlreportError,
)

__all__ = ["EXIT_INTERNAL", "collect_workbooks", "main"]


# Sub-command groups that live in their own modules: command name -> module (the module's
# attribute of the same name is the click group). Imported only when the command is used or
# listed, so `xlreport build` never pays for the mail/Excel/summary machinery.
OPTIONAL_GROUPS = {"excel": "xlreport.cli.excel", "mail": "xlreport.cli.mail", "summary": "xlreport.cli.summary",
                   "bundle": "xlreport.cli.bundle", "serve": "xlreport.cli.portal", "portal": "xlreport.cli.portal"}


HELP_TEXT = "显示本帮助并退出。"


def localize_help(command: click.Command) -> None:
    """Give a command (and its sub-commands) a Chinese -h/--help option."""
    if command.add_help_option:
        click.help_option("-h", "--help", help=HELP_TEXT)(command)
        command.add_help_option = False
    for sub in getattr(command, "commands", {}).values():
        localize_help(sub)


class XlreportGroup(click.Group):
    """Turns stray exceptions into a Chinese message instead of a traceback; loads the
    optional sub-command groups on first use."""

    def get_command(self, ctx: click.Context, cmd_name: str):
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in OPTIONAL_GROUPS:
            command = self._load_optional(cmd_name)
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        for name in OPTIONAL_GROUPS:
            if name not in self.commands:
                self._load_optional(name)
        return super().list_commands(ctx)

    def _load_optional(self, name: str):
        import importlib

        try:
            module = importlib.import_module(OPTIONAL_GROUPS[name])
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("xlreport"):
                return None  # that part is not installed in this build
            raise
        command = getattr(module, name)
        localize_help(command)
        self.add_command(command, name)
        return command

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XlreportError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(exc.message, err=True)
            sys.exit(exc.exit_code)
        except ChineseUsageError:
            raise
        except click.UsageError as exc:  # a misspelt command or option: said in Chinese
            raise chinese(exc) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:  # a bug: say so plainly
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(catalogue.message("internal-error", detail=f"{type(exc).__name__}: {exc}"), err=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=XlreportGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="xlreport", help="显示版本号并退出。",
                      message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="出错时显示技术细节（traceback）。")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """绩效自评工作簿：读取、校验、评分、回写，并生成自评报告。"""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


RULES_HELP = ("评分规则：内置规则的代号或名称（national 国家标准、yitihua 一体化），或评分规则文件（.toml）。"
              "指定后不论工作簿“评分规则”填写什么，一律按此规则评分。说明见 docs/rules.md。")


def _rules(spec: str | None):
    """--rules NAME|FILE, loaded once (a bad profile stops here with a Chinese message)."""
    if spec is None:
        return None
    from xlreport.core.rules import load_profile

    return load_profile(spec)


@main.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--type", "report_type", type=click.Choice(schema.REPORT_TYPES), default=schema.TYPE_PROJECT,
              show_default=True, help="报告类型。")
@click.option("--force", is_flag=True, help="文件已存在时覆盖（原文件中填写的内容会丢失）。")
@click.option("--rules", "rules_spec", metavar="NAME|FILE",
              help="模板携带的评分规则（写入“评分规则”并预填其设置）；默认国家标准。")
def new(out: Path, report_type: str, force: bool, rules_spec: str | None) -> None:
    """生成空白的绩效自评工作簿模板。"""
    from xlreport.adapters.template import write_template

    rules = _rules(rules_spec)
    if out.suffix.lower() not in WORKBOOK_SUFFIXES:
        out = out.with_suffix(".xlsx")
    if out.exists() and not force:
        from xlreport.core.failures import FileRejected

        raise FileRejected.make("file-exists", path=out)
    try:
        path = write_template(out, report_type, rules)
    except OSError as exc:
        raise XlreportError.make("file-write-failed", path=out, reason=exc.strerror or exc) from exc
    click.echo(f"已生成{report_type}模板：{path}")


@main.command()
@click.argument("form", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="转换后的模板文件名（.xlsx）。")
@click.option("--force", is_flag=True, help="输出文件已存在时覆盖。")
def convert(form: Path, output: Path, force: bool) -> None:
    """把财政部门格式的绩效自评表转换为本工具的完整模板（含“文字材料”工作表）。"""
    from xlreport.convert import convert_form

    if output.suffix.lower() not in WORKBOOK_SUFFIXES:
        output = output.with_suffix(".xlsx")
    path = convert_form(form, output, force=force)
    click.echo(f"已转换为模板：{path}。请在“文字材料”工作表补写文字后，用 xlreport build 评分。")


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
@click.option("--rules", "rules_spec", metavar="NAME|FILE", help=RULES_HELP)
def check(workbook: Path, rules_spec: str | None) -> None:
    """只校验并评分，不写回文件，逐条列出问题。"""
    from xlreport.pipeline import build_file

    outcome = build_file(workbook, write=False, rules=_rules(rules_spec))
    if outcome.failure is not None:
        click.echo(outcome.failure.message, err=True)
        sys.exit(outcome.exit_code)
    echo_problems(outcome.problems)
    click.echo(outcome.summary)
    sys.exit(outcome.exit_code)


@main.command("rules")
@click.argument("spec", required=False, metavar="[NAME|FILE]")
def rules_command(spec: str | None) -> None:
    """列出内置评分规则，或检查并逐条列出一个评分规则（文件）。"""
    from xlreport.core.rules import builtin_profiles, describe, load_profile

    if spec is None:
        for profile in builtin_profiles().values():
            click.echo(f"{profile.id}\t{profile.name}\t{profile.title}（参数摘要 {profile.digest}）")
        click.echo("用 xlreport rules 代号或文件 查看每条规则；写法见 docs/rules.md。")
        return
    for line in describe(load_profile(spec)):
        click.echo(line)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="另存为此文件（单个工作簿），或此文件夹（多个工作簿）；不指定则写回原文件并保留 .bak 备份。")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="自评报告（.docx）的保存位置；默认与工作簿同一文件夹。")
@click.option("--no-report", is_flag=True, help="不生成自评报告。")
@click.option("--templates", "templates_dir", type=click.Path(file_okay=False, path_type=Path),
              help="报告模板文件夹，用于替换默认的措辞和版式。")
@click.option("--pdf", is_flag=True, help="同时用 LibreOffice 生成 PDF（需已安装）。")
@click.option("--rules", "rules_spec", metavar="NAME|FILE", help=RULES_HELP)
def build(paths: tuple[Path, ...], output: Path | None, report_path: Path | None, no_report: bool,
          templates_dir: Path | None, pdf: bool, rules_spec: str | None) -> None:
    """校验、评分，写回工作簿并生成自评报告。"""
    rules = _rules(rules_spec)
    workbooks = collect_workbooks(paths, exclude=output if output is not None and output.is_dir() else None)
    if not workbooks:
        click.echo("没有找到要处理的工作簿（.xlsx / .xlsm）。", err=True)
        sys.exit(EXIT_UNUSABLE)
    if len(workbooks) == 1 and not (output and output.is_dir()):
        sys.exit(_build_one(workbooks[0], output, not no_report, report_path, templates_dir, pdf, rules))
    if report_path is not None:
        click.echo("--report 只能用于单个工作簿；批量处理时报告与各工作簿放在一起。", err=True)
        sys.exit(EXIT_UNUSABLE)
    from xlreport.batch import run_batch

    sys.exit(run_batch(workbooks, output_dir=output, report=not no_report, templates_dir=templates_dir,
                       pdf=pdf, console=_console(), rules=rules))


def _build_one(workbook: Path, output: Path | None, report: bool, report_path: Path | None,
               templates_dir: Path | None, pdf: bool, rules=None) -> int:
    """One workbook, answered as fast as the work allows.

    A one-shot process: the cycle collector is paused while the workbook is built (nothing
    lives long enough for it to pay; ~5% of the run), everything still alive is frozen at exit
    so the interpreter's final collection does not walk the workbook's objects once more
    (another ~7%), and the answer is printed with plain click output rather than a rich table
    (rich's import and table layout cost more than the whole scoring).
    """
    import atexit
    import gc

    from xlreport.pipeline import build_file

    atexit.unregister(gc.freeze)  # once, however often build runs in one process (tests)
    atexit.register(gc.freeze)  # runs before the final collection; harmless in a longer-lived process
    enabled = gc.isenabled()
    gc.disable()
    try:
        outcome = build_file(workbook, output=output, report=report, report_path=report_path,
                             templates_dir=templates_dir, pdf=pdf, rules=rules)
    finally:
        if enabled:
            gc.enable()
    _report_one(outcome)
    return outcome.exit_code


LEVEL_COLOURS = {"错误": "red", "警告": "yellow", "提示": "cyan"}


def echo_problems(problems) -> None:
    """The one way problems reach a terminal (check and build): one line each, worst first,
    level in colour when the terminal has colour."""
    from xlreport.core.planner import sort_problems

    if not problems:
        click.echo("未发现问题。")
        return
    for p in sort_problems(problems):
        where = f"{p.sheet}!{p.cell}" if p.sheet and p.cell else (p.sheet or "")
        level = p.level.value
        click.echo(f"{click.style(level, fg=LEVEL_COLOURS.get(level))}  {p.code}  "
                   f"{where + '  ' if where else ''}{p.message}")


def _report_one(outcome) -> None:
    if outcome.failure is not None:
        click.echo(outcome.failure.message, err=True)
        for notice in outcome.notices:
            click.echo(notice, err=True)
        return
    if outcome.problems:
        echo_problems(outcome.problems)
    if outcome.workbook_path:
        click.echo(f"已写回工作簿：{outcome.workbook_path}")
    if outcome.report_path:
        click.echo(f"已生成自评报告：{outcome.report_path}")
    if outcome.pdf_path:
        click.echo(f"已生成PDF：{outcome.pdf_path}")
    for notice in outcome.notices:
        click.echo(notice)
    click.echo(outcome.summary)


localize_help(main)

if __name__ == "__main__":  # pragma: no cover
    main()
