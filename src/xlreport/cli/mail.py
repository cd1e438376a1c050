"""``xlreport mail run|status|retry|purge --config mail.toml``."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from xlreport.core.failures import EXIT_ERRORS, XlreportError


class RegistryUnavailable(XlreportError):
    """The registry's database cannot be reached at start (exit code 1: try again later)."""


def _open_registry(config):
    from sqlalchemy.exc import SQLAlchemyError

    from xlreport.central.registry import Registry

    try:
        return Registry(config.store.url)
    except SQLAlchemyError as exc:
        from sqlalchemy.engine import make_url

        where = make_url(config.store.url).render_as_string(hide_password=True)
        raise RegistryUnavailable.make("mail-db-unavailable", where=where, kind=type(exc).__name__) from None


def _start_warnings(config, log: logging.Logger) -> None:
    from xlreport.central.mail.config import SenderCheck

    if config.policy.sender_check is SenderCheck.FROM_ONLY:
        log.warning("注意：sender_check = \"from-only\"，仅凭发件人地址认定单位，发件人地址可以伪造。"
                    "建议改用 \"auth-results\" 或 \"code\"（见 docs/mail.md“发件人核验”）。")
    for name, section in (("imap", config.imap), ("smtp", config.smtp)):
        if not section.tls_verify:
            log.warning("注意：[%s] tls_verify = false，不验证服务器证书，邮箱密码可能被冒充的服务器截获。", name)
    from sqlalchemy.engine import make_url

    try:
        url = make_url(config.store.url)
    except Exception:  # noqa: BLE001 - the registry reports a bad URL itself
        return
    if url.password and not config.store.password_env:
        log.warning("注意：数据库口令写在了 mail.toml 的 url 中。请改用 [store] password_env 指定的环境变量。")


class SafeFormatter(logging.Formatter):
    """A message never carries a raw CR, LF or other control character: nothing can forge a log line."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        from xlreport.central.mail.headers import escape

        return escape(super().formatMessage(record))


def _setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(SafeFormatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("xlreport.central.mail")
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
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.processor import Processor

    os.umask(0o077)  # archive, work folders, the SQLite registry: readable by this account only
    _setup_logging(verbose)
    config = load_config(config_path)
    config.imap_password()  # a missing environment variable is a plain message now, not an outage later
    config.smtp_password()
    if config.policy.roster is not None:  # fail early with a plain message
        from xlreport.central.mail.roster import load_roster

        load_roster(config.policy.roster)
    log = logging.getLogger("xlreport.central.mail")
    _start_warnings(config, log)
    registry = _open_registry(config)
    stop = threading.Event()

    def _stop(signum, _frame):
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("收到停止信号，处理完当前邮件后退出（再按一次 Ctrl+C 立即退出）。")
        stop.set()

    if not once:
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    processor = Processor(config, stop=stop, registry=registry)
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
    from xlreport.central.registry import STATUS_TEXT

    return STATUS_TEXT.get(status, status)


@mail.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="邮件配置文件 mail.toml。")
def status(config_path: Path) -> None:
    """显示登记簿：各状态的邮件数，以及处理失败、已隔离的邮件。"""
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.headers import escape
    from xlreport.central.registry import FAILED, QUARANTINED

    config = load_config(config_path)
    registry = _open_registry(config)
    try:
        counts = registry.counts()
        if not counts:
            click.echo("登记簿中暂无邮件。")
            return
        click.echo("，".join(f"{_status_text(k)}：{v}封" for k, v in sorted(counts.items())))
        for row in registry.messages_with_status(FAILED, QUARANTINED):
            click.echo(escape(f"[{_status_text(row['status'])}] {row['received_at']:%Y-%m-%d %H:%M} "
                              f"{row['message_key']} {row['sender'] or '（发件人不明）'} "
                              f"《{row['subject'] or ''}》：{row['reason'] or ''}"))
    finally:
        registry.dispose()


@mail.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="邮件配置文件 mail.toml。")
@click.option("--all-failed", is_flag=True, help="重新处理全部“处理失败”的邮件。")
@click.argument("keys", nargs=-1)
def retry(config_path: Path, all_failed: bool, keys: tuple[str, ...]) -> None:
    """把邮件重新排队（KEY 见 mail status），下次 mail run 时按存档重新处理并回复（新回复有新的 Message-ID）。"""
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.headers import escape
    from xlreport.central.registry import FAILED

    config = load_config(config_path)
    registry = _open_registry(config)
    try:
        targets = list(keys) + (registry.keys_with_status(FAILED) if all_failed else [])
        if not targets:
            raise click.UsageError("请给出邮件编号（KEY，见 mail status），或使用 --all-failed。")
        missing = [k for k in targets if not registry.requeue(k)]
        done = len(targets) - len(missing)
        click.echo(f"已重新排队{done}封邮件，下次运行 xlreport mail run 时处理。")
        if missing:
            click.echo("以下编号不存在或尚未处理完，未重新排队：" + "、".join(escape(k) for k in missing), err=True)
            sys.exit(EXIT_ERRORS)
    finally:
        registry.dispose()


MAX_DAYS = 36500.0


def _days(_ctx, param, value: float | None) -> float | None:
    """FloatRange lets ``nan`` through and ``1e308`` overflows timedelta: both are refused as usage."""
    if value is not None and not 0 <= value <= MAX_DAYS:
        raise click.BadParameter(f"天数应为0到{MAX_DAYS:g}之间的数字。", param=param)
    return value


@mail.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="邮件配置文件 mail.toml。")
@click.option("--older-than", "days", required=True, type=float, callback=_days, metavar="天数",
              help="删除处理完已超过多少天的邮件文件。")
@click.option("--quarantined-older-than", "q_days", type=float, callback=_days, default=None, metavar="天数",
              help="已隔离邮件的保留天数（默认取 --older-than 与7天中较小者）。")
def purge(config_path: Path, days: float, q_days: float | None) -> None:
    """删除旧邮件的存档原件、回复存档和处理文件夹；登记簿中的记录和汇总数据保留。"""
    from xlreport.central.mail.config import load_config
    from xlreport.central.mail.purge import purge_old

    config = load_config(config_path)
    registry = _open_registry(config)
    try:
        now = datetime.now(UTC).replace(tzinfo=None)
        q_days = min(days, 7.0) if q_days is None else q_days
        n, freed = purge_old(config, registry, now - timedelta(days=days), now - timedelta(days=q_days))
        click.echo(f"已清理{n}封邮件的文件，释放{freed / 1024 / 1024:.1f}MB。")
    finally:
        registry.dispose()
