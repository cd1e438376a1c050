"""E-mail from the portal: reminders (催报) and review notices, sent over verified SMTP.

In demo mode there is no server: each message is written as an .eml file to the outbox folder.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from xlreport.central.portal.config import PortalConfig
from xlreport.wording.mail import PortalKind, PortalView, portal_notice

log = logging.getLogger("xlreport.central.portal")


@dataclass
class Notice:
    subject: str
    body: str


class MailError(Exception):
    pass


class Mailer:
    """Sends one message to a list of addresses (an envelope per unit, never shared Cc)."""

    def __init__(self, config: PortalConfig) -> None:
        self.config = config

    @property
    def available(self) -> bool:
        return self.config.smtp is not None or self.config.outbox_dir is not None

    def _message(self, to: list[str], notice: Notice) -> EmailMessage:
        sender = self.config.smtp.from_ if self.config.smtp else "portal@demo.invalid"
        msg = EmailMessage()
        msg["From"] = sender
        msg["To"] = ", ".join(to)
        msg["Subject"] = notice.subject
        msg["Date"] = formatdate(localtime=True)
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
        msg["Auto-Submitted"] = "auto-generated"
        msg.set_content(notice.body)
        return msg

    def send(self, to: list[str], notice: Notice) -> str:
        """Send; returns what happened, in words for the office (raises MailError on failure)."""
        if not to:
            raise MailError("单位名单中没有该单位的电子邮箱")
        msg = self._message(to, notice)
        smtp = self.config.smtp
        if smtp is None:
            if self.config.outbox_dir is None:
                raise MailError("未配置发信服务器（central.toml 的 [smtp] 一节）")
            self.config.outbox_dir.mkdir(parents=True, exist_ok=True)
            path = self.config.outbox_dir / f"{msg['Message-ID'].strip('<>').replace('@', '_')}.eml"
            path.write_bytes(bytes(msg))
            return f"演示模式：未真正发送，邮件已保存到 {path}"
        client = self._connect()
        try:
            self._send(client, msg, to)
        finally:
            self._close(client)
        return "已发送至" + "、".join(to)

    def send_many(self, items: list[tuple[list[str], Notice]]) -> list[str | MailError]:
        """Many messages over one SMTP connection (催报 to 200 units), reconnecting after a failure.

        One result per item, in order: what happened, or the MailError for that item.
        """
        if self.config.smtp is None:
            results: list[str | MailError] = []
            for to, notice in items:
                try:
                    results.append(self.send(to, notice))
                except MailError as exc:
                    results.append(exc)
            return results
        results = []
        client = None
        unreachable: MailError | None = None  # the server cannot be reached: do not wait on it 200 times
        for to, notice in items:
            if not to:
                results.append(MailError("单位名单中没有该单位的电子邮箱"))
                continue
            if unreachable is not None:
                results.append(unreachable)
                continue
            try:
                client = client or self._connect()
            except MailError as exc:
                unreachable = exc
                results.append(exc)
                continue
            try:
                self._send(client, self._message(to, notice), to)
                results.append("已发送至" + "、".join(to))
            except MailError as exc:  # this message failed; a fresh connection for the next one
                results.append(exc)
                self._close(client)
                client = None
        self._close(client)
        return results

    def _connect(self) -> smtplib.SMTP:
        smtp = self.config.smtp
        assert smtp is not None
        context = ssl.create_default_context()  # verified TLS, the system trust store
        try:
            if smtp.ssl:
                client: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=context)
            else:
                client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            if smtp.starttls:
                client.starttls(context=context)
            if smtp.user:
                client.login(smtp.user, self.config.smtp_password() or "")
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"无法连接发信服务器：{type(exc).__name__}: {exc}") from exc
        return client

    def _send(self, client: smtplib.SMTP, msg: EmailMessage, to: list[str]) -> None:
        try:
            client.send_message(msg, from_addr=self.config.smtp.from_, to_addrs=to)  # type: ignore[union-attr]
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"发送失败：{type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _close(client: smtplib.SMTP | None) -> None:
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def reminder_notice(title: str, unit: str, status: str, url: str, templates: Path | None = None) -> Notice:
    """催报: the words are ``平台通知.j2`` (the office's own when its folder has one)."""
    view = PortalView(PortalKind.REMIND, title, unit, url, returned=status == "已退回")
    return _notice(view, templates)


def review_notice(title: str, unit: str, decision: str, comment: str, file_name: str, url: str,
                  templates: Path | None = None) -> Notice:
    """审核通过 or 退回, with the reviewer's comment."""
    kind = PortalKind.RETURNED if decision == "returned" else PortalKind.APPROVED
    return _notice(PortalView(kind, title, unit, url, comment=comment, file_name=file_name), templates)


def _notice(view: PortalView, templates: Path | None) -> Notice:
    subject, body, error = portal_notice(view, templates)
    if error:
        log.error("平台通知邮件改用默认模板：%s", error)
    return Notice(subject, body)
