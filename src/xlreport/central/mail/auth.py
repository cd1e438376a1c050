"""Who really sent a message: the sender check the central office chose in ``mail.toml``.

* ``auth-results``: only the ``Authentication-Results`` header written by our own receiving server
  (its authserv-id is in ``trusted_authserv_id``; the topmost such header, which that server added
  last) counts: ``dmarc=pass`` for the From domain, or ``spf=pass`` / ``dkim=pass`` for a domain
  aligned with it. The server must remove such headers that arrive from outside (RFC 8601, section 5);
  docs/mail.md says how.
* ``code``: the unit's 提交码 from the roster, in the subject (or in the workbook, checked after the
  build). The reply still goes only to the unit's roster addresses.
* ``from-only``: ``From:`` alone; anyone can forge it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from xlreport.central.mail.config import PolicyConfig, SenderCheck
from xlreport.central.mail.headers import Headers
from xlreport.central.mail.roster import Roster
from xlreport.core.catalogue import message


class Refusal(StrEnum):
    """Why a message is not a unit's submission; the code is shown in ``mail status`` and the README."""

    UNKNOWN_SENDER = "mail-sender-unknown"
    UNAUTHENTICATED = "mail-sender-unverified"
    NO_CODE = "mail-code-missing"


@dataclass
class Verdict:
    unit: str | None  # the roster unit the message belongs to (None: nobody's)
    refusal: Refusal | None = None
    detail: str = ""
    roster_unit: str | None = None  # the unit whose roster address is in From, even when refused
    pending_code: bool = False  # code policy: decided by the workbook's 提交码 after the build

    @property
    def ok(self) -> bool:
        return self.unit is not None and self.refusal is None


def check_sender(h: Headers, roster: Roster, policy: PolicyConfig) -> Verdict:
    roster_unit = roster.unit_for(h.sender) if h.sender else None
    if policy.sender_check is SenderCheck.CODE:
        unit = roster.unit_for_code(h.subject)
        if unit:
            return Verdict(unit, detail="主题中的提交码", roster_unit=roster_unit)
        return Verdict(None, Refusal.NO_CODE, message(Refusal.NO_CODE, "subject"), roster_unit=roster_unit,
                       pending_code=True)
    if roster_unit is None:
        return Verdict(None, Refusal.UNKNOWN_SENDER, message(Refusal.UNKNOWN_SENDER))
    if policy.sender_check is SenderCheck.FROM_ONLY:
        return Verdict(roster_unit, detail="仅凭发件人地址（from-only）", roster_unit=roster_unit)
    ok, detail = authenticated(h, policy.trusted_authserv_ids)
    if ok:
        return Verdict(roster_unit, detail=detail, roster_unit=roster_unit)
    return Verdict(None, Refusal.UNAUTHENTICATED, message(Refusal.UNAUTHENTICATED, detail=detail), roster_unit=roster_unit)


def _statements(value: str) -> list[list[str]]:
    """RFC 8601 lexing: ``;``-separated statements of whitespace-separated tokens. Comments (nested,
    with escapes) are dropped and quoted strings stay inside their token, so a ``;`` or ``dmarc=pass``
    that a sender put into a quoted value (its HELO name, its envelope sender) starts nothing."""
    statements: list[list[str]] = [[]]
    token: list[str] = []
    depth, quoted, escaped = 0, False, False

    def flush() -> None:
        if token:
            statements[-1].append("".join(token))
            token.clear()

    for ch in value:
        if escaped:
            if depth == 0:
                token.append(ch)
            escaped = False
        elif ch == "\\" and (quoted or depth):
            escaped = True
        elif quoted:
            if ch == '"':
                quoted = False
            else:
                token.append(ch)
        elif depth:
            depth += {"(": 1, ")": -1}.get(ch, 0)
        elif ch == '"':
            quoted = True
        elif ch == "(":
            flush()
            depth = 1
        elif ch == ";":
            flush()
            statements.append([])
        elif ch.isspace():
            flush()
        else:
            token.append(ch)
    flush()
    return statements


def _results(value: str) -> tuple[str, list[tuple[str, str, dict[str, str]]]]:
    """``authserv-id; method=result prop=value …; …`` → (authserv-id, [(method, result, props)])."""
    head, *rest = _statements(value)
    authserv = (head or [""])[0].lower()
    out = []
    for tokens in rest:
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, result = tokens[0].partition("=")
        props = {}
        for token in tokens[1:]:
            key, eq, val = token.partition("=")
            if eq:
                props[key.lower()] = val.lower()
        out.append((method.lower(), result.lower(), props))
    return authserv, out


def aligned(domain: str, from_domain: str) -> bool:
    """Relaxed alignment: the same domain, or one a subdomain of the other (never a bare TLD)."""
    domain = domain.rpartition("@")[2].strip(".").lower()
    if not domain or "." not in domain:
        return False
    return domain == from_domain or from_domain.endswith("." + domain) or domain.endswith("." + from_domain)


def authenticated(h: Headers, trusted: tuple[str, ...]) -> tuple[bool, str]:
    from_domain = h.sender.rpartition("@")[2]
    for value in h.auth_results:  # topmost first: our server's own header is the first trusted one
        authserv, results = _results(value)
        if authserv not in trusted:
            continue
        for method, result, props in results:
            if result != "pass":
                continue
            if method == "dmarc" and aligned(props.get("header.from", ""), from_domain):
                return True, f"{authserv}：DMARC 通过"
            if method == "spf" and aligned(props.get("smtp.mailfrom", ""), from_domain):
                return True, f"{authserv}：SPF 通过且与发件人域名一致"
            if method == "dkim" and aligned(props.get("header.d", props.get("header.i", "")), from_domain):
                return True, f"{authserv}：DKIM 通过且与发件人域名一致"
        return False, f"{authserv} 的验证结果未通过（DMARC/SPF/DKIM 均未通过或与发件人域名不一致）"
    return False, "没有本单位收信服务器的验证结果（Authentication-Results）"
