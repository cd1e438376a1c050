"""``xlreport summary --config mail.toml -o 汇总.xlsx`` or ``xlreport summary DIR -o 汇总.xlsx``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xlreport.core import catalogue
from xlreport.core.failures import EXIT_UNUSABLE, XlreportError


@click.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              help="邮件配置文件 mail.toml：从登记簿汇总。")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="汇总表保存位置，如 汇总.xlsx。")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path),
              help="单位名单（单位名称、电子邮箱）：列出未提交的单位。用 --config 时默认取配置中的名单。")
def summary(directory: Path | None, config_path: Path | None, output: Path, roster: Path | None) -> None:
    """汇总各单位的评分结果（每个单位、每个项目取最近一次提交）。"""
    if (directory is None) == (config_path is None):
        raise click.UsageError("请指定一个工作簿文件夹，或用 --config 指定邮件配置文件（二者选一）。")
    from xlreport.central.summary import (
        rows_from_folder,
        rows_from_registry,
        write_summary,
    )

    if output.suffix.lower() != ".xlsx":
        output = output.with_suffix(".xlsx")
    roster_units: list[str] = []
    if config_path is not None:
        from xlreport.central.mail.config import load_config

        config = load_config(config_path)
        roster = roster or config.policy.roster
    if roster is not None:
        from xlreport.central.mail.roster import load_roster

        roster_units = load_roster(roster).units
    if config_path is not None:
        rows = rows_from_registry(config.store.url, roster_units)
    else:
        if not directory.is_dir():  # type: ignore[union-attr]
            click.echo(catalogue.message("file-folder-missing", path=directory), err=True)
            sys.exit(EXIT_UNUSABLE)
        rows, skipped = rows_from_folder(directory, roster_units, exclude=[output])  # type: ignore[arg-type]
        for message in skipped:
            click.echo(f"已跳过：{message}", err=True)
    try:
        path = write_summary(rows, output)
    except OSError as exc:
        raise XlreportError.make("file-write-failed", path=output, reason=exc.strerror or exc) from exc
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    detail = "，".join(f"{k}{v}行" for k, v in counts.items()) or "没有数据"
    click.echo(f"已生成汇总表：{path}（{detail}）")
