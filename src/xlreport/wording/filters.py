"""Number and text filters the templates use; the same helpers format the workbook's numbers."""

from __future__ import annotations

from decimal import Decimal

from xlreport.core.values import fmt, fmt_percent, fmt_score

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 12 -> 十二, 21 -> 二十一 (enough for section and item numbers)."""
    if n <= 0:
        return str(n)
    if n < 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    if n < 100:
        tens, ones = divmod(n, 10)
        return _CN_DIGITS[tens] + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def end_sentence(text: str) -> str:
    """Close a user's sentence with 。 unless it already ends with punctuation."""
    text = (text or "").strip()
    if text and not text.endswith(tuple("。！？；.!?;…）)”\"")):
        text += "。"
    return text


def item_mark(n: int, nested: bool = False) -> str:
    """An item number: （一） under a chapter heading, 1. under a （一） section heading."""
    return f"{n}." if nested else f"（{cn_number(n)}）"


def clause(text: str) -> str:
    """A user's sentence used inside brackets or before more text: its closing 。/；/. dropped."""
    return (text or "").strip().rstrip("。；;.．")


def _num(value: object, how) -> str:
    if value is None or value == "":
        return ""
    return how(value if isinstance(value, Decimal) else Decimal(str(value)))


FILTERS = {
    "cn": cn_number,
    "num": lambda v: _num(v, fmt),
    "score": lambda v: _num(v, fmt_score),
    "pct": lambda v: _num(v, fmt_percent),
    "sentence": end_sentence,
    "clause": clause,
    "mark": item_mark,
}
