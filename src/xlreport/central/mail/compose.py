"""Attachment names and reply messages (threaded, RFC 2231 file names); their words are in
:mod:`xlreport.central.mail.replies`."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path

from xlreport.central.mail.headers import CONTROL, Headers, valid_text

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Files that look like a spreadsheet: handed to build_file, which says what is wrong with them.
SPREADSHEET_SUFFIXES = WORKBOOK_SUFFIXES + (".xls", ".xlsb", ".xltx", ".xltm", ".et", ".ods", ".csv", ".numbers")
SPREADSHEET_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml",
                     "application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet")
MAIL_POLICY = policy.SMTP.clone(max_line_length=78)
_MSGID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$")  # printable, no spaces or angle brackets inside


_BAD = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def sanitise_filename(name: str, n: int, content_type: str = "") -> str:
    """A safe base name: no folders, no control characters, not empty, at most 120 characters."""
    name = valid_text(name).replace("\ufffd", "_").replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD.sub("_", CONTROL.sub("_", name)).strip().strip(".")
    if not name:
        ext = ".xlsx" if "spreadsheetml" in content_type else (mimetypes.guess_extension(content_type) or ".bin")
        name = f"附件{n}{ext}"
    if len(name) > 120:
        stem, suffix = Path(name).stem, Path(name).suffix[:10]
        name = stem[: 120 - len(suffix)] + suffix
    return name


def unique_name(name: str, used: set[str]) -> str:
    candidate, i = name, 2
    while candidate.lower() in used:
        candidate = f"{Path(name).stem}({i}){Path(name).suffix}"
        i += 1
    used.add(candidate.lower())
    return candidate


# Replies -----------------------------------------------------------------------------------
def reply_message_id(message_key: str, from_addr: str) -> str:
    """Deterministic: the same incoming message always gets a reply with the same Message-ID."""
    domain = parseaddr(from_addr)[1].rpartition("@")[2] or "xlreport.invalid"
    digest = hashlib.sha256(message_key.encode("utf-8")).hexdigest()[:32]
    return f"<xlreport.{digest}@{domain}>"


def reply_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if re.match(r"^(re|回复|答复)\s*[:：]", subject, re.IGNORECASE):
        return subject
    return f"Re: {subject}" if subject else "Re: 绩效自评工作簿"


Attachment = tuple[str, "bytes | Path"]  # a file on disk is streamed in, never read whole


def build_reply(h: Headers, *, from_addr: str, to: list[str], cc: list[str], body: str,
                attachments: list[Attachment], message_id: str, date: datetime
                ) -> tuple[EmailMessage, dict[str, Path]]:
    """The reply, and the placeholders standing for files that :func:`write_message` streams in.

    ``to`` and ``cc`` are plain addresses already checked against the roster.
    """
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = from_addr
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = reply_subject(h.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if h.message_id and _MSGID.match(h.message_id):
        msg["In-Reply-To"] = h.message_id
        refs = [r for r in h.references.split() if _MSGID.match(r)][-20:]
        msg["References"] = " ".join([*refs, h.message_id])
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer us
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(body, charset="utf-8", cte="base64")
    placeholders: dict[str, Path] = {}
    for name, data in attachments:
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.lower().endswith(".xlsm"):
            ctype = "application/vnd.ms-excel.sheet.macroEnabled.12"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data if isinstance(data, bytes) else b"", maintype=maintype, subtype=subtype,
                           filename=name)
        part = msg.get_payload()[-1]
        part.set_param("name", name)  # clients that only read Content-Type's name= (RFC 2231 too)
        if not isinstance(data, bytes):
            token = f"XLREPORT-FILE-{hashlib.sha256(f'{message_id}{len(placeholders)}'.encode()).hexdigest()}"
            part.set_payload(token)
            placeholders[token] = Path(data)
    return msg, placeholders


def write_message(msg: EmailMessage, placeholders: dict[str, Path], fh) -> None:
    """Write ``msg`` to the binary file ``fh``, each placeholder line replaced by its file in base64."""
    import base64
    import io
    from email.generator import BytesGenerator

    buf = io.BytesIO()
    BytesGenerator(buf, policy=MAIL_POLICY).flatten(msg)
    buf.seek(0)
    tokens = {t.encode(): p for t, p in placeholders.items()}
    for line in buf:
        path = tokens.get(line.strip())
        if path is None:
            fh.write(line)
            continue
        with open(path, "rb") as src:
            while block := src.read(57 * 1024):  # whole 57-byte groups: 76-character lines
                fh.write(base64.encodebytes(block).replace(b"\n", b"\r\n"))
