"""`xlreport excel addin | install`: make and install the Excel add-in (the 绩效自评 ribbon tab)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import click

from xlreport.core.failures import EXIT_ERRORS, XlreportError


def _default_install_dir() -> Path:
    """Where `install` keeps the add-in it hands to xlwings (xlwings copies it into XLSTART)."""
    return Path.home() / ".xlreport"


def _build(out_dir: Path, interpreter: str | None) -> Path:
    from xlreport.install.addin import build_addin, current_settings

    try:
        return build_addin(out_dir, current_settings(interpreter))  # AddinError is an XlreportError
    except OSError as exc:
        raise XlreportError.make("file-write-failed", path=out_dir, reason=exc.strerror or exc) from exc


def _interpreter_warnings(interpreter: str) -> list[str]:
    warnings = []
    if "WindowsApps" in interpreter:
        warnings.append("注意：当前 Python 来自 Microsoft Store 的应用别名（WindowsApps），Excel 往往无法启动它。"
                        "建议用 uv 或 python.org 的安装包安装 Python 后重新安装 xlreport。")
    return warnings


@click.group()
def excel() -> None:
    """Excel 加载项：在 Excel 中一键评分（“绩效自评”选项卡）。"""


@excel.command()
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="加载项 xlreport.xlam 的保存文件夹。")
@click.option("--interpreter", help="加载项使用的 Python 解释器（默认：当前环境的解释器）。")
def addin(out_dir: Path, interpreter: str | None) -> None:
    """生成 Excel 加载项 xlreport.xlam（不安装）。"""
    from xlreport.install.addin import CONF_SHEET, xlwings_version

    exe = interpreter or sys.executable
    path = _build(out_dir, exe)
    click.echo(f"已生成 Excel 加载项：{path.resolve()}")
    click.echo(f"加载项使用的 Python：{exe}（写在加载项的“{CONF_SHEET}”工作表中）；"
               f"基于 xlwings {xlwings_version()} 的加载项模板。")
    for line in _interpreter_warnings(exe):
        click.echo(line)
    click.echo("安装：运行 `xlreport excel install`，或 `xlwings addin install --file` 加上面的文件。")


@excel.command()
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="先把 xlreport.xlam 生成到此文件夹（默认：用户目录下的 .xlreport）。")
@click.option("--interpreter", help="加载项使用的 Python 解释器（默认：当前环境的解释器）。")
def install(out_dir: Path | None, interpreter: str | None) -> None:
    """生成并安装 Excel 加载项（Windows / macOS，通过 xlwings）。"""
    exe = interpreter or sys.executable
    path = _build(out_dir or _default_install_dir(), exe)
    if not (sys.platform.startswith("win") or sys.platform == "darwin"):
        click.echo(f"本机不是 Windows 或 macOS，无法运行 Excel，因此没有安装；加载项已生成在 {path.resolve()}，"
                   "请在装有 Excel 的电脑上运行 `xlreport excel install`。", err=True)
        sys.exit(EXIT_ERRORS)
    for line in _interpreter_warnings(exe):
        click.echo(line)
    from xlwings import cli as xlwings_cli

    click.echo(f"正在通过 xlwings 安装加载项 {path} …")
    # The same function `xlwings addin install --file PATH` runs: copies the file into Excel's
    # XLSTART folder (a trusted location), reloads it in a running Excel on Windows, and on
    # macOS also installs the AppleScript RunPython needs (`xlwings runpython install`).
    xlwings_cli.addin_install(argparse.Namespace(file=str(path), dir=None, glob=False))
    if sys.platform == "darwin":
        click.echo("请完全退出 Excel（Cmd+Q）后重新打开；首次点击按钮时，如系统询问是否允许 Excel 控制其他程序，请选择“允许”。")
    click.echo("安装完成后，Excel 功能区会出现“绩效自评”选项卡，打开工作簿后点“评分并生成报告”即可。")
