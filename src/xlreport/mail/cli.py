"""``xlreport mail run --config mail.toml [--once]`` and ``xlreport mail status``."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

import click


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("xlreport.mail")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)
    logger.propagate = False


@click.group()
def mail() -> None:
    """邮件汇总处理：自动接收单位发来的工作簿，评分并回复，登记汇总。"""


@mail.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="邮件配置文件 mail.toml。")
@click.option("--once", is_flag=True, help="只处理当前邮箱中的邮件，处理完即退出（用于 cron 和测试）。")
@click.option("-v", "--verbose", is_flag=True, help="输出更多日志。")
def run(config_path: Path, once: bool, verbose: bool) -> None:
    """收取邮件、评分并回复。不加 --once 时持续运行，按 Ctrl+C 或发送 SIGTERM 停止（处理完手头的邮件后退出）。"""
    from .config import load_config
    from .processor import Processor

    _setup_logging(verbose)
    config = load_config(config_path)
    config.imap_password()  # a missing environment variable is a plain message now, not an outage later
    config.smtp_password()
    if config.policy.roster is not None:  # fail early with a plain message
        from .roster import load_roster

        load_roster(config.policy.roster)
    stop = threading.Event()
    log = logging.getLogger("xlreport.mail")

    def _stop(signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("收到停止信号，处理完当前邮件后退出（再按一次 Ctrl+C 立即退出）。")
        stop.set()

    if not once:
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    processor = Processor(config, stop=stop)
    try:
        if not once:
            log.info("开始收取 %s@%s:%d/%s，每%.0f秒检查一次。", config.imap.user, config.imap.host, config.imap.port,
                     config.imap.folder, config.policy.poll_seconds)
        code = processor.run(once=once)
    finally:
        processor.registry.dispose()
    if once:
        counts = processor.registry.counts()
        click.echo("登记簿：" + "，".join(f"{_status_text(k)}{v}封" for k, v in sorted(counts.items())) if counts
                   else "登记簿：暂无邮件", err=True)
    sys.exit(code)


def _status_text(status: str) -> str:
    from .registry import STATUS_TEXT

    return STATUS_TEXT.get(status, status)


@mail.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="邮件配置文件 mail.toml。")
def status(config_path: Path) -> None:
    """显示登记簿：各状态的邮件数，以及处理失败、已隔离的邮件。"""
    from .config import load_config
    from .registry import FAILED, QUARANTINED, Registry

    config = load_config(config_path)
    registry = Registry(config.store.url)
    try:
        counts = registry.counts()
        if not counts:
            click.echo("登记簿中暂无邮件。")
            return
        click.echo("，".join(f"{_status_text(k)}：{v}封" for k, v in sorted(counts.items())))
        for row in registry.messages_with_status(FAILED, QUARANTINED):
            click.echo(f"[{_status_text(row['status'])}] {row['received_at']:%Y-%m-%d %H:%M} {row['sender']} "
                       f"《{row['subject']}》：{row['reason'] or ''}")
    finally:
        registry.dispose()
