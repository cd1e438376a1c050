"""What the processor itself reads of an untrusted message: its header block only, never the MIME tree.

The body (attachments, nesting, odd parameters) is parsed in the worker process
(:mod:`xlreport.central.mail.worker`), so nothing in it can stop or bloat the processor. Every header
access here is guarded: a header the stdlib cannot decode counts as absent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses

from xlreport.central.mail.roster import normalise_address

MAX_HEADER_BYTES = 256 * 1024
MAX_SUBJECT = 200
MAX_FROM = 2048  # a longer From value has no sender (an address is at most 254 characters)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Subject prefixes of out-of-office and other robots that send no Auto-Submitted header.
AUTO_SUBJECT = re.compile(r"^\s*(自动回复|自动答复|automatic reply|auto[- ]?reply|autoreply|out of office|"
                          r"休假|系统退信|退信|undeliverable|undelivered mail|delivery status notification|"
                          r"mail delivery failed|returned mail)\s*[:：\-—(（]?", re.IGNORECASE)
ROBOT_LOCAL_PARTS = ("mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply")


def valid_text(text: str) -> str:
    """Undecodable bytes (kept by the parser as lone surrogates) become U+FFFD: storable, printable."""
    return text.encode("utf-8", "replace").decode("utf-8") if text else ""


def one_line(text: str, limit: int = MAX_SUBJECT) -> str:
    """Control characters (CR, LF, bidi overrides …) become spaces: safe for a header, a log, a terminal."""
    text = " ".join(CONTROL.sub(" ", valid_text(text or "")).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: object) -> str:
    """Control characters shown as ``\\x..`` escapes (logs, ``mail status``): nothing forges a line."""
    return CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), valid_text(str(text)))


@dataclass
class Headers:
    sender: str = ""  # plain address, lower case; '' when From is missing, odd, or names several people
    subject: str = ""  # one line, bounded
    message_id: str | None = None  # whole value, whitespace removed (never cut at a space)
    references: str = ""
    date: datetime | None = None
    auto_reason: str | None = None
    auth_results: list[str] = field(default_factory=list)  # Authentication-Results, topmost first
    content_type: str = ""


def header_block(raw: bytes) -> bytes:
    """The header block of ``raw`` (up to the first empty line), at most MAX_HEADER_BYTES."""
    head = raw[:MAX_HEADER_BYTES]
    ends = [i for i in (head.find(b"\r\n\r\n"), head.find(b"\n\n")) if i >= 0]
    return head[: min(ends) + 2] if ends else head


class _Decoded:
    """compat32 headers with RFC 2047 words decoded, for messages the modern parser rejects."""

    def __init__(self, msg: Message) -> None:
        self.msg = msg

    @staticmethod
    def _decode(value) -> str:
        from email.header import decode_header, make_header

        try:
            return str(make_header(decode_header(str(value))))
        except Exception:  # noqa: BLE001
            return str(value)

    def get(self, name: str):
        value = self.msg.get(name)
        return None if value is None else self._decode(value)

    def get_all(self, name: str):
        return [self._decode(v) for v in (self.msg.get_all(name) or [])]

    def __getitem__(self, name: str):
        return None  # no parsed Date: treated as absent


def _get(msg: Message, name: str) -> str:
    try:
        value = msg.get(name)
        return str(value) if value is not None else ""
    except Exception:  # noqa: BLE001 - an undecodable header counts as absent
        return ""


_ADDRESS_DELIMITERS = re.compile(r'[\s<>"(),;:\[\]]+')  # split, never search: linear on any input


def _raw_all(msg, name: str) -> list[str]:
    """A header's values as they arrived (encoded words not decoded), unfolded. For headers read as
    tokens: the stdlib's structured parsers take tens of seconds on a crafted 200 KB value."""
    raw = msg.msg if isinstance(msg, _Decoded) else msg
    name = name.lower()
    try:
        return ["".join(str(v).splitlines()) for k, v in raw.raw_items() if k.lower() == name]
    except Exception:  # noqa: BLE001 - an undecodable value counts as absent
        return []


def _raw(msg, name: str) -> str:
    values = _raw_all(msg, name)
    return values[0] if values else ""


def _raw_from(msg) -> list[str]:
    return _raw_all(msg, "From")


def _ambiguous_from(msg) -> bool:
    """A malformed From naming two different addresses (``a@unit <b@evil>``, ``<a@unit>b@evil``):
    parsers disagree on which one is the sender — the receiving server's DMARC may have checked the
    other — so the message has no sender at all. Well-formed values, and malformed ones with a single
    address (raw 8-bit display names), are kept."""
    from email import errors

    values: list[str] = []
    try:
        values = _raw_from(msg)
        header = policy.default.header_factory("From", values[0]) if len(values) == 1 else None
        invalid = header is None or any(isinstance(d, errors.InvalidHeaderDefect) for d in header.defects)
    except Exception:  # noqa: BLE001 - a value the modern parser cannot even build: judge by its addresses
        invalid = True
    if not invalid:
        return False
    found = {normalise_address(a) or a.lower() for v in values for a in _ADDRESS_DELIMITERS.split(v)
             if "@" in a.strip("@")}
    return len(found) > 1


def read_headers(raw_head: bytes) -> Headers:
    """Never raises for anything in the message."""
    block = header_block(raw_head)
    try:
        # Split with compat32, then read values the modern way: parsing with policy.default would
        # parse Content-Type whole at the end (20 s for a crafted 180 KB one); we need only its type.
        msg = BytesHeaderParser(policy=policy.compat32).parsebytes(block)
        msg.policy = policy.default
    except Exception:  # noqa: BLE001 - e.g. "Content-Type: multipart/mixed; bou*": read the raw values instead
        msg = _Decoded(BytesHeaderParser(policy=policy.compat32).parsebytes(block))
    h = Headers()
    pairs = []
    try:  # the address from the raw value: an RFC 2047 word (display names only) never yields one
        raw_from = _raw_from(msg)
        if all(len(v) <= MAX_FROM for v in raw_from):  # the stdlib parsers are slow on huge values
            pairs = getaddresses(raw_from)
    except Exception:  # noqa: BLE001
        pairs = []
    addresses = {normalise_address(addr) for _, addr in pairs}
    if len(addresses) == 1 and not _ambiguous_from(msg):
        h.sender = addresses.pop()
    h.subject = one_line(_get(msg, "Subject"))
    mid = "".join(valid_text(_get(msg, "Message-ID")).split())
    h.message_id = mid[:998] or None
    h.references = one_line(_get(msg, "References"), 2000)
    try:
        value = msg["Date"]
        h.date = value.datetime if value is not None else None
    except Exception:  # noqa: BLE001
        h.date = None
    h.auth_results = [" ".join(v.split()) for v in _raw_all(msg, "Authentication-Results")]
    h.content_type = _raw(msg, "Content-Type").split(";", 1)[0].strip().lower()
    h.auto_reason = _auto_reason(msg, h)
    return h


def _auto_reason(msg: Message, h: Headers) -> str | None:
    auto = _raw(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"自动发送的邮件（Auto-Submitted: {one_line(auto, 40)}）"
    if _raw(msg, "Precedence").strip().lower() in ("bulk", "junk", "list", "auto_reply"):
        return "群发或自动回复邮件（Precedence）"
    if _raw(msg, "Return-Path").strip() == "<>" or _raw(msg, "X-Failed-Recipients"):  # null envelope sender
        return "退信或自动发送的邮件（Return-Path 为空）"
    if any(_raw(msg, name).strip() for name in ("X-Autoreply", "X-Autorespond", "List-Id", "List-Unsubscribe")):
        return "自动回复或邮件列表邮件"
    if AUTO_SUBJECT.match(h.subject):
        return "自动回复邮件（主题）"
    local = h.sender.partition("@")[0]
    if not h.sender or local in ROBOT_LOCAL_PARTS:
        return "退信或系统邮件" if h.sender else "发件人地址缺失或无法识别"
    if h.content_type == "multipart/report":
        return "退信（投递状态通知）"
    return None
