"""Command line: `xlreport new | check | build` (and the excel/mail/summary groups).

Every failure a user can cause ends as a Chinese message and a documented exit code:
0 scored, 1 errors remain, 2 the file cannot be used, 3 an internal error. ``--debug``
shows tracebacks; nothing else does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__, schema
from .failures import EXIT_UNUSABLE, XlreportError

EXIT_INTERNAL = 3
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


class XlreportGroup(click.Group):
    """Turns stray exceptions into a Chinese message instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except XlreportError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(exc.message, err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("已中断。", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: say so plainly
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"程序内部错误（{type(exc).__name__}: {exc}）。原文件未被修改。"
                       "请加 --debug 重新运行，并把输出发给技术支持。", err=True)
            sys.exit(EXIT_INTERNAL)


@click.group(cls=XlreportGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="xlreport")
@click.option("--debug", is_flag=True, help="出错时显示技术细节（traceback）。")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """绩效自评工作簿：读取、校验、评分、回写，并生成自评报告。"""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@main.command()
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--type", "report_type", type=click.Choice(schema.REPORT_TYPES), default=schema.TYPE_PROJECT,
              show_default=True, help="报告类型。")
def new(out: Path, report_type: str) -> None:
    """生成空白的绩效自评工作簿模板。"""
    from .template import write_template

    if out.suffix.lower() not in WORKBOOK_SUFFIXES:
        out = out.with_suffix(".xlsx")
    try:
        path = write_template(out, report_type)
    except OSError as exc:
        raise XlreportError("file-write-failed", f"无法写入“{out}”：{exc.strerror or exc}。请检查文件夹写入权限。") from exc
    click.echo(f"已生成{report_type}模板：{path}")


def _print_problems(outcome, console) -> None:
    from rich.table import Table

    from .planner import sort_problems

    problems = sort_problems(outcome.problems)
    if not problems:
        console.print("未发现问题。")
        return
    table = Table(show_lines=False, header_style="bold")
    for col in ("级别", "代码", "位置", "问题说明"):
        table.add_column(col, overflow="fold")
    colours = {"错误": "red", "警告": "yellow", "提示": "cyan"}
    for p in problems:
        where = f"{p.sheet}!{p.cell}" if p.sheet and p.cell else (p.sheet or "")
        table.add_row(f"[{colours[p.level.value]}]{p.level.value}[/]", p.code, where, p.message)
    console.print(table)


def _console():
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


@main.command()
@click.argument("workbook", type=click.Path(path_type=Path))
def check(workbook: Path) -> None:
    """只校验并评分，不写回文件，以表格列出问题。"""
    from .pipeline import build_file

    outcome = build_file(workbook, write=False)
    console = _console()
    if outcome.failure is not None:
        click.echo(outcome.failure.message, err=True)
        sys.exit(outcome.exit_code)
    _print_problems(outcome, console)
    console.print(outcome.summary)
    sys.exit(outcome.exit_code)


def collect_workbooks(paths: tuple[Path, ...]) -> list[Path]:
    """Files as given; folders searched for workbooks, skipping our own outputs and backups."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for candidate in sorted(path.rglob("*")):
                name = candidate.name
                if (candidate.is_file() and candidate.suffix.lower() in WORKBOOK_SUFFIXES
                        and not name.startswith(("~$", ".xlreport-", "."))):
                    found.append(candidate)
        else:
            found.append(path)
    return found


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
def build(paths: tuple[Path, ...], output: Path | None, report_path: Path | None, no_report: bool,
          templates_dir: Path | None, pdf: bool) -> None:
    """校验、评分，写回工作簿并生成自评报告。"""
    from .pipeline import build_file

    workbooks = collect_workbooks(paths)
    console = _console()
    if not workbooks:
        click.echo("没有找到要处理的工作簿（.xlsx / .xlsm）。", err=True)
        sys.exit(EXIT_UNUSABLE)
    if len(workbooks) == 1 and not (output and output.is_dir()):
        outcome = build_file(workbooks[0], output=output, report=not no_report, report_path=report_path,
                             templates_dir=templates_dir, pdf=pdf)
        _report_one(outcome, console)
        sys.exit(outcome.exit_code)
    from .batch import run_batch

    sys.exit(run_batch(workbooks, output_dir=output, report=not no_report, templates_dir=templates_dir,
                       pdf=pdf, console=console))


def _report_one(outcome, console) -> None:
    if outcome.failure is not None:
        click.echo(outcome.failure.message, err=True)
        return
    if outcome.problems:
        _print_problems(outcome, console)
    if outcome.workbook_path:
        console.print(f"已写回工作簿：{outcome.workbook_path}")
    if outcome.report_path:
        console.print(f"已生成自评报告：{outcome.report_path}")
    if outcome.pdf_path:
        console.print(f"已生成PDF：{outcome.pdf_path}")
    for notice in outcome.notices:
        console.print(notice)
    console.print(outcome.summary)


def _register_optional_groups() -> None:
    """Sub-command groups that live in their own modules (imported only when present)."""
    import importlib

    for module_name, attr in (("xlreport.excel_cli", "excel"), ("xlreport.mail.cli", "mail"),
                              ("xlreport.summary_cli", "summary")):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("xlreport"):
                continue
            raise
        main.add_command(getattr(module, attr))


_register_optional_groups()

if __name__ == "__main__":  # pragma: no cover
    main()
