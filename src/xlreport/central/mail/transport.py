"""IMAP and SMTP connections: certificate-verified TLS, size before download, addresses as lists.

TLS is verified against the system trust store (plus ``ca_file``) for IMAP and SMTP alike, for
``ssl`` and ``starttls``; only an explicit ``tls_verify = false`` turns that off (warned about at
every start by ``xlreport mail run``).
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl as ssl_module
from collections.abc import Callable
from pathlib import Path

from xlreport.central.mail.config import ImapConfig, MailConfig, SmtpConfig


def tls_context(c: ImapConfig | SmtpConfig) -> ssl_module.SSLContext:
    context = ssl_module.create_default_context(cafile=str(c.ca_file) if c.ca_file else None)
    if c.ca_file:  # a private CA in addition to the system's
        context.load_default_certs()
    if not c.tls_verify:
        context.check_hostname = False
        context.verify_mode = ssl_module.CERT_NONE
    return context


def _imap_errors() -> tuple[type[BaseException], ...]:
    import imaplib

    from imap_tools.errors import ImapToolsError

    return (OSError, EOFError, imaplib.IMAP4.error, ImapToolsError)


IMAP_ERRORS = _imap_errors()
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class ImapSession:
    """One logged-in connection to the configured folder."""

    def __init__(self, config: MailConfig) -> None:
        from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

        c = config.imap
        if c.ssl:
            box = MailBox(c.host, c.port, timeout=c.timeout, ssl_context=tls_context(c))
        elif c.starttls:
            box = MailBoxStartTls(c.host, c.port, timeout=c.timeout, ssl_context=tls_context(c))
        else:
            box = MailBoxUnencrypted(c.host, c.port, timeout=c.timeout)
        self.config = config
        self.box = box.login(c.user, config.imap_password(), c.folder)
        self.mailbox = f"{c.user}@{c.host}:{c.port}/{c.folder}"
        status = self.box.folder.status(c.folder, ["UIDVALIDITY"])
        self.uidvalidity = str(status.get("UIDVALIDITY", "0"))
        self.processed = c.processed_folder
        if self.processed:
            existing = {f.name for f in self.box.folder.list()}
            if self.processed not in existing:
                self.box.folder.create(self.processed)

    def close(self) -> None:
        with contextlib.suppress(*IMAP_ERRORS):
            self.box.logout()

    def all_uids(self) -> list[str]:
        """Every message in the folder, read or not: \\Seen set by a person never hides one."""
        return self.box.uids("ALL")

    def _fetch(self, uid: str, part: str) -> list:
        typ, data = self.box.client.uid("FETCH", uid, f"({part})")
        if typ != "OK":
            raise OSError(f"IMAP FETCH {uid} failed: {data!r}")
        return data

    def size(self, uid: str) -> int | None:
        for item in self._fetch(uid, "RFC822.SIZE"):
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes) and (m := _SIZE.search(line)):
                return int(m.group(1))
        return None

    def fetch(self, uid: str, section: str = "BODY.PEEK[]") -> bytes | None:
        for item in self._fetch(uid, section):
            if isinstance(item, tuple) and len(item) >= 2:
                return item[1]
        return None

    def fetch_chunks(self, uid: str, chunk: int = 4 * 1024 * 1024):
        """The whole message in partial FETCHes of ``chunk`` bytes: never one big literal in memory."""
        offset = 0
        while True:
            data = self.fetch(uid, f"BODY.PEEK[]<{offset}.{chunk}>")
            if not data:
                return
            yield data
            if len(data) < chunk:
                return
            offset += len(data)

    def fetch_header(self, uid: str, limit: int) -> bytes | None:
        """The header block only, at most ``limit`` bytes (a partial FETCH)."""
        return self.fetch(uid, f"BODY.PEEK[HEADER]<0.{limit}>")

    def mark_done(self, uid: str) -> None:
        self.box.flag(uid, [r"\Seen"], True)
        if self.processed:
            self.box.move(uid, self.processed)


# SMTP ------------------------------------------------------------------------------------------
class SendError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.uncertain = uncertain


def _dot_stuffed(data: bytes) -> bytes:
    """CRLF line ends and leading dots doubled, without the terminating ``.``."""
    lines = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + line if line.startswith(b".") else line) + b"\r\n" for line in lines)


def _dot_stuffed_file(path: Path, block: int = 256 * 1024):
    """:func:`_dot_stuffed` for a file, in blocks: a big reply is never whole in memory."""
    out: list[bytes] = []
    size = 0
    with open(path, "rb") as fh:
        for line in fh:
            line = line.rstrip(b"\r\n")
            out.append((b"." + line if line.startswith(b".") else line) + b"\r\n")
            size += len(line) + 3
            if size >= block:
                yield b"".join(out)
                out, size = [], 0
    if out:
        yield b"".join(out)


class SmtpSender:
    def __init__(self, config: MailConfig) -> None:
        self.config = config

    def _connect(self) -> smtplib.SMTP:
        c = self.config.smtp
        context = tls_context(c)
        if c.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout, context=context)
        else:
            smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout)
        smtp.ehlo()
        if c.starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        password = self.config.smtp_password()
        if c.user and password is not None:
            smtp.login(c.user, password)
        return smtp

    def send(self, data: bytes | Path, sender: str, recipients: list[str], before_dot: Callable[[], None]
             ) -> list[str]:
        """Send to exactly ``recipients`` (plain addresses, one RCPT each); returns refused ones.

        ``before_dot`` runs just before the final ``.``.
        """
        from email.utils import parseaddr

        try:
            smtp = self._connect()
        except smtplib.SMTPAuthenticationError as exc:
            raise SendError(f"SMTP登录失败（{exc.smtp_code}）", permanent=False) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"无法连接SMTP服务器：{exc}") from exc
        in_data = False
        try:
            try:
                code, resp = smtp.mail(parseaddr(sender)[1] or sender)
                if code != 250:
                    raise SendError(f"MAIL FROM 被拒绝：{code} {resp!r}", permanent=code >= 500)
                refused, codes = [], []
                for rcpt in recipients:
                    code, resp = smtp.rcpt(rcpt)
                    codes.append(code)
                    if code not in (250, 251):
                        refused.append(f"{rcpt}（{code}）")
                if len(refused) == len(recipients):
                    raise SendError(f"收件人被拒绝：{'、'.join(refused)}", permanent=all(c >= 500 for c in codes))
                code, resp = smtp.docmd("DATA")
                if code != 354:
                    raise SendError(f"DATA 被拒绝：{code} {resp!r}", permanent=code >= 500)
                in_data = True
                if isinstance(data, Path):
                    for block in _dot_stuffed_file(data):
                        smtp.send(block)
                else:
                    smtp.send(_dot_stuffed(data))
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"SMTP发送中断：{exc}") from exc
            before_dot()
            try:
                smtp.send(b".\r\n")
                in_data = False
                code, resp = smtp.getreply()
            except (OSError, smtplib.SMTPException) as exc:
                raise SendError(f"发送结束时连接中断，无法确认是否已发出：{exc}", uncertain=True) from exc
            if code != 250:
                raise SendError(f"邮件被服务器拒收：{code} {resp!r}", permanent=code >= 500)
            return refused
        finally:
            if in_data:  # abandoned before the final dot: drop the connection, the server discards it
                with contextlib.suppress(OSError):
                    smtp.close()
            else:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    with contextlib.suppress(OSError):
                        smtp.close()
