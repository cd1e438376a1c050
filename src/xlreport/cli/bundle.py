"""`xlreport bundle`: make the offline installation folder (see :mod:`xlreport.install.bundle`)."""

from __future__ import annotations

from pathlib import Path

import click

from xlreport.install.bundle import PYTHON_VERSIONS, TARGETS


@click.command()
@click.option("-o", "--output", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="离线安装包的文件夹（须不存在或为空）。")
@click.option("--zip", "archive", is_flag=True, help="同时打包为同名 .zip 文件，便于拷贝和发送。")
@click.option("--platform", "platforms", multiple=True, type=click.Choice(list(TARGETS)),
              help="只收集这些平台的软件包（可重复；默认全部）。")
@click.option("--python", "pythons", multiple=True, type=click.Choice(list(PYTHON_VERSIONS)),
              help="只收集这些 Python 版本的软件包（可重复；默认全部）。")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path),
              help="xlreport 源代码目录（默认：当前目录或其上级目录）。")
def bundle(out: Path, archive: bool, platforms: tuple[str, ...], pythons: tuple[str, ...],
           project: Path | None) -> None:
    """制作离线安装包：xlreport 及全部依赖的安装文件和中文安装说明，供无法联网的电脑安装。"""
    from xlreport.install.bundle import INSTALL_PAGE, make_bundle

    result = make_bundle(out, targets=platforms or tuple(TARGETS), pythons=pythons or PYTHON_VERSIONS,
                         project=project, archive=archive, progress=click.echo)
    click.echo(f"已生成离线安装包：{result.folder.resolve()}（{len(result.wheels)}个安装文件，"
               f"安装方法见其中的“{INSTALL_PAGE}”）")
    if result.archive is not None:
        click.echo(f"已打包：{result.archive.resolve()}")
