"""Reading incoming messages and writing replies (plain Chinese, threaded, RFC 2231 file names)."""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
# Files that look like a spreadsheet: handed to build_file, which says what is wrong with them.
SPREADSHEET_SUFFIXES = WORKBOOK_SUFFIXES + (".xls", ".xlsb", ".xltx", ".xltm", ".et", ".ods", ".csv", ".numbers")
SPREADSHEET_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml",
                     "application/vnd.ms-excel", "application/vnd.oasis.opendocument.spreadsheet")
MAX_PROBLEM_LINES = 20
MAIL_POLICY = policy.SMTP.clone(max_line_length=78)


@dataclass
class Attachment:
    name: str  # sanitised, unique within the message
    data: bytes
    content_type: str

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


@dataclass
class Incoming:
    message: EmailMessage
    sender: str  # address only, lower case
    sender_display: str
    subject: str
    message_id: str | None
    date: datetime | None
    attachments: list[Attachment] = field(default_factory=list)  # spreadsheet-like ones
    other_files: list[str] = field(default_factory=list)  # attachments we ignore (pdf, images…)
    auto_reason: str | None = None  # set for auto-replies, bounces and lists: never answered


def parse_message(raw: bytes) -> Incoming:
    msg: EmailMessage = BytesParser(policy=policy.default).parsebytes(raw)  # type: ignore[assignment]
    display, addr = parseaddr(_header(msg, "From"))
    subject = _header(msg, "Subject")
    message_id = _header(msg, "Message-ID").strip() or None
    try:
        date = msg["Date"].datetime if msg["Date"] is not None else None
    except (AttributeError, TypeError, ValueError):
        date = None
    inc = Incoming(msg, addr.strip().lower(), display, subject, message_id, date)
    inc.auto_reason = _auto_reason(msg, inc.sender)
    used: set[str] = set()
    for n, part in enumerate(_file_parts(msg), 1):
        ctype = part.get_content_type()
        name = sanitise_filename(_part_filename(part), n, ctype)
        if Path(name).suffix.lower() in SPREADSHEET_SUFFIXES or ctype.startswith(SPREADSHEET_TYPES):
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:  # noqa: BLE001 - a broken transfer encoding: let build_file call it corrupt
                data = b""
            inc.attachments.append(Attachment(_unique(name, used), data, ctype))
        else:
            inc.other_files.append(name)
    return inc


def _header(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # noqa: BLE001 - undecodable header: keep going with nothing
        return ""
    return str(value) if value is not None else ""


def _auto_reason(msg: Message, sender: str) -> str | None:
    auto = _header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"自动发送的邮件（Auto-Submitted: {auto}）"
    if _header(msg, "Precedence").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "群发或自动回复邮件（Precedence）"
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe")):
        return "自动回复或邮件列表邮件"
    local = sender.partition("@")[0]
    if not sender or local in ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"):
        return "退信或系统邮件"
    if msg.get_content_type() == "multipart/report":
        return "退信（投递状态通知）"
    return None


def _file_parts(msg: Message):
    for part in msg.walk():
        if part.is_multipart():
            continue
        disposition = (part.get_content_disposition() or "").lower()
        if disposition == "attachment" or part.get_filename() or part.get_param("name") or part.get_content_type().startswith(SPREADSHEET_TYPES):
            yield part


def _part_filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:  # noqa: BLE001 - a malformed parameter: fall back to name=
        name = None
    if not name:
        value = part.get_param("name")
        if isinstance(value, tuple):  # RFC 2231 triple
            from email.utils import collapse_rfc2231_value

            value = collapse_rfc2231_value(value)
        name = str(value) if value else ""
    return name


_BAD = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')


def sanitise_filename(name: str, n: int, content_type: str = "") -> str:
    """A safe base name: no folders, no control characters, not empty, at most 120 characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD.sub("_", name).strip().strip(".")
    if not name:
        ext = ".xlsx" if "spreadsheetml" in content_type else (mimetypes.guess_extension(content_type) or ".bin")
        name = f"附件{n}{ext}"
    if len(name) > 120:
        stem, suffix = Path(name).stem, Path(name).suffix[:10]
        name = stem[: 120 - len(suffix)] + suffix
    return name


def _unique(name: str, used: set[str]) -> str:
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


def build_reply(incoming: Incoming, *, from_addr: str, to: list[str], cc: list[str], body: str,
                attachments: list[tuple[str, bytes]], message_id: str, date: datetime) -> EmailMessage:
    msg = EmailMessage(policy=MAIL_POLICY)
    msg["From"] = from_addr
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = reply_subject(incoming.subject)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id
    if incoming.message_id:
        msg["In-Reply-To"] = incoming.message_id
        refs = " ".join(_header(incoming.message, "References").split())
        msg["References"] = f"{refs} {incoming.message_id}".strip()
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer us
    msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(body, charset="utf-8", cte="base64")
    for name, data in attachments:
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.lower().endswith(".xlsm"):
            ctype = "application/vnd.ms-excel.sheet.macroEnabled.12"
        maintype, subtype = ctype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        part = msg.get_payload()[-1]
        part.set_param("name", name)  # clients that only read Content-Type's name= (RFC 2231 too)
    return msg


def recipients_of(msg: EmailMessage) -> list[str]:
    pairs = getaddresses([str(v) for h in ("To", "Cc") for v in (msg.get_all(h) or [])])
    seen: list[str] = []
    for _, addr in pairs:
        if addr and addr.lower() not in [s.lower() for s in seen]:
            seen.append(addr)
    return seen


# Texts ---------------------------------------------------------------------------------------
CHINESE_NUMERALS = "一二三四五六七八九十"


def ordinal(i: int) -> str:
    if i <= 10:
        return CHINESE_NUMERALS[i - 1]
    if i < 20:
        return "十" + CHINESE_NUMERALS[i - 11]
    return str(i)


def money(value) -> str:
    return "—" if value is None else f"{value:,.2f}"


def greeting(unit: str | None) -> str:
    return f"{unit}：\n\n您好！" if unit else "您好！"


SIGNATURE = ("\n\n——\n本邮件由绩效自评汇总系统自动发送。"
             "修改后重新提交时，直接回复本邮件并附上工作簿即可；如有疑问请联系汇总单位。")


def how_to_text(template_name: str) -> str:
    return (f"1. 用Excel打开附件“{template_name}”，按黄色单元格的提示填写“基本信息”“预算执行”“绩效指标”“文字材料”后保存；\n"
            "2. 把填好的工作簿（.xlsx）作为附件发送到本邮箱，系统将自动评分，并回复评分结果、已评分的工作簿和自评报告。")
