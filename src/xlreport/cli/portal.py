"""``xlreport serve`` (the web portal) and ``xlreport portal invite`` (one-time password links)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from xlreport.core.failures import XlreportError

CONFIG_HELP = "平台配置文件 central.toml。"


def _free_port(host: str, preferred: int) -> int:
    import socket

    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return s.getsockname()[1]
    return preferred


@click.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), help=CONFIG_HELP)
@click.option("--demo", is_flag=True, help="演示模式：临时数据库、示例单位名单，账号 admin 与各单位名称，密码均为 demo。")
@click.option("--host", help="监听地址（默认 127.0.0.1，仅本机；对外服务请放在 nginx 等反向代理之后）。")
@click.option("--port", type=int, help="监听端口（默认 8300）。")
def serve(config_path: Path | None, demo: bool, host: str | None, port: int | None) -> None:
    """启动网上报送平台（各单位上传评分，主管部门跟踪、审核、催报、汇总）。"""
    import logging

    if demo == (config_path is not None):
        raise click.UsageError("请用 --config 指定平台配置文件，或用 --demo 启动演示（二者选一）。")
    if demo:
        from xlreport.central.portal.demo import DEMO_PASSWORD, prepare_demo

        if host not in (None, "127.0.0.1"):
            raise click.UsageError("演示模式只在本机 127.0.0.1 上运行。")
        click.echo("正在准备演示数据……")
        config, folder, units = prepare_demo(_free_port("127.0.0.1", port or 8300))
        click.echo(f"演示数据目录：{folder}")
        click.echo(f"主管部门账号：admin　单位账号：{'、'.join(units)}　密码均为：{DEMO_PASSWORD}")
    else:
        from dataclasses import replace

        from xlreport.central.portal.config import load_portal_config

        config = load_portal_config(config_path)  # type: ignore[arg-type]
        if host:
            config = replace(config, host=host)
        if port:
            config = replace(config, port=port)
    if _free_port(config.host, config.port) != config.port:
        raise XlreportError.make("portal-port", host=config.host, port=config.port)
    import uvicorn

    from xlreport.central.portal.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(config)
    click.echo(f"平台地址：{config.address()}　（按 Ctrl+C 停止）", err=False)
    sys.stdout.flush()
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", server_header=False,
                proxy_headers=True, forwarded_allow_ips="127.0.0.1")


@click.group()
def portal() -> None:
    """网上报送平台的管理命令。"""


@portal.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help=CONFIG_HELP)
@click.option("--all", "all_units", is_flag=True, help="为所有尚未设置密码的单位生成链接。")
@click.option("--office", "office", help="为主管部门账号生成链接（账号不存在时新建）。")
@click.argument("units", nargs=-1)
def invite(config_path: Path, all_units: bool, office: str | None, units: tuple[str, ...]) -> None:
    """生成一次性的设置密码链接（打印出来，或通过安全渠道发给各单位）。"""
    from xlreport.central.portal.app import State, sync_accounts
    from xlreport.central.portal.auth import new_token, token_hash
    from xlreport.central.portal.config import load_portal_config
    from xlreport.central.portal.jobs import BuildPool
    from xlreport.central.portal.notify import Mailer
    from xlreport.central.portal.store import Role, Store
    from xlreport.central.portal.web import RosterCache

    config = load_portal_config(config_path)
    store = Store(config.url)
    st = State(config, store, BuildPool(1), RosterCache(config.roster), Mailer(config))
    sync_accounts(st)
    targets = []
    if office:
        store.ensure_account(office, Role.OFFICE)
        targets.append(store.account_by_name(office))
    for unit in units:
        row = store.account_by_name(unit) or store.account_for_unit(unit)
        if row is None:
            raise XlreportError.make("portal-invite", unit=unit)
        targets.append(row)
    if all_units:
        targets += [a for a in store.unit_accounts() if not a["password_hash"]]
    if not targets:
        raise click.UsageError("请指定单位名称、--all 或 --office 账号。")
    for row in targets:
        token = new_token()
        store.add_invite(row["id"], token_hash(token), config.invite_days, "命令行")
        store.log("命令行", "invite", row["unit"] or row["username"])
        click.echo(f"{row['username']}\t{config.public_url()}/invite/{token}")
    click.echo(f"共{len(targets)}个链接，{config.invite_days:g}天内有效，每个只能使用一次。", err=True)
    store.dispose()
