"""One message's untrusted content, in a separate process: MIME parsing, attachments, builds.

``python -m xlreport.central.mail.worker RAW WORKDIR OPTIONS_JSON`` reads the archived message, gives each spreadsheet attachment its own folder ``WORKDIR/<n>-<name>/`` (原件, 结果),
builds it with :func:`xlreport.pipeline.build_file` and writes ``WORKDIR/result.json``.
``OPTIONS_JSON``: ``max_attachment_bytes``, ``find_code`` (look for a 提交码 in the workbook) and
``build`` — extra keyword arguments for ``build_file`` (JSON values), so a new build setting needs
no change here.

The processor runs it with a time limit and an address-space limit: a message that makes the
parser recurse, allocate or hang kills only this process, and that counts as one failed attempt
of that message alone (see :mod:`xlreport.central.mail.processor`).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from email import policy
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from xlreport.adapters.files import write_bytes_atomic
from xlreport.central.mail.compose import (
    SPREADSHEET_SUFFIXES,
    SPREADSHEET_TYPES,
    WORKBOOK_SUFFIXES,
    sanitise_filename,
    unique_name,
)
from xlreport.central.mail.headers import CONTROL, one_line
from xlreport.core.failures import EXIT_OK

MAX_PARTS = 200
MAX_PART_HEADER = 64 * 1024
MAX_DEPTH = 30
MAX_FILES = 20
TEST_HOOK_ENV = "XLREPORT_TEST_WORKER"  # "crash|hang|raise|noreport:NAME" for attachments named …NAME…: tests only


class Unparseable(Exception):
    """The MIME structure cannot be read (or is hostile): the message is quarantined."""


def _header_end(raw: bytes, start: int, end: int) -> tuple[int, int]:
    """(end of the header block, start of the body) of the part at ``start``."""
    if raw.startswith(b"\r\n", start) or raw.startswith(b"\n", start):  # no headers at all
        return start, start + (2 if raw.startswith(b"\r\n", start) else 1)
    limit = min(end, start + MAX_PART_HEADER)
    hits = [(i, n) for i, n in ((raw.find(b"\r\n\r\n", start, limit), 4), (raw.find(b"\n\n", start, limit), 2))
            if i >= 0]
    if not hits:
        if limit < end:
            raise Unparseable("邮件某部分的头部过长")
        return end, end
    i, n = min(hits)
    return i, i + n


def _subparts(raw: bytes, start: int, end: int, boundary: bytes) -> list[tuple[int, int]]:
    """Body parts of a multipart between ``start`` and ``end`` (RFC 2046 delimiters), as offsets."""
    delim = b"--" + boundary
    marks: list[tuple[int, int]] = []  # (delimiter start, content start)
    i = raw.find(delim, start, end)
    while i != -1:
        if i == start or raw[i - 1:i] == b"\n":
            after = i + len(delim)
            if raw.startswith(b"--", after):
                marks.append((i, -1))
                break
            eol = raw.find(b"\n", after, end)
            eol = end if eol == -1 else eol
            if not raw[after:eol].strip():
                marks.append((i, min(eol + 1, end)))
        i = raw.find(delim, i + len(delim), end)
    if not marks:  # no delimiter at all (e.g. a forwarded message reusing the outer boundary): no parts
        return []
    parts = []
    for (_, content), (nxt, _) in zip(marks, [*marks[1:], (end, -1)], strict=True):
        if content < 0:
            break
        stop = nxt
        if stop > content and raw[stop - 1:stop] == b"\n" and nxt != end:
            stop -= 1
            if stop > content and raw[stop - 1:stop] == b"\r":
                stop -= 1
        parts.append((content, max(content, stop)))
    return parts


def _decode(raw: bytes, start: int, end: int, encoding: str) -> bytes:
    import binascii

    view = memoryview(raw)[start:end]
    try:
        if encoding == "base64":
            return binascii.a2b_base64(view)
        if encoding == "quoted-printable":
            return binascii.a2b_qp(view)
    except (binascii.Error, ValueError):
        return b""  # a broken transfer encoding: build_file calls the file corrupt
    return bytes(view)


def _leaves(raw: bytes):
    """(headers, body start, body end) of every leaf part, iteratively and bounded in depth and count.

    Only header blocks go through the stdlib parser; bodies stay offsets into ``raw``, so a 30 MB
    attachment costs its decoded size once, not the parser's several copies.
    """
    stack = [(0, len(raw), 0, "text/plain")]
    count = 0
    while stack:
        start, end, level, default_type = stack.pop()
        count += 1
        if count > MAX_PARTS:
            raise Unparseable(f"邮件包含超过{MAX_PARTS}个部分")
        if level > MAX_DEPTH:
            raise Unparseable(f"邮件嵌套超过{MAX_DEPTH}层")
        head_end, body = _header_end(raw, start, end)
        headers = _part_headers(raw[start:head_end])
        ctype = _content_type(headers, default_type)
        if ctype.startswith("multipart/"):
            boundary = _param(headers, "boundary")
            if not boundary or len(boundary) > 200:
                raise Unparseable("邮件的分段边界（boundary）缺失或无效")
            child_default = "message/rfc822" if ctype == "multipart/digest" else "text/plain"
            subparts = _subparts(raw, body, end, boundary.encode("utf-8", "replace"))
            stack.extend((s, e, level + 1, child_default) for s, e in reversed(subparts))
        elif ctype == "message/rfc822":
            stack.append((body, end, level + 1, "text/plain"))
        else:
            yield headers, body, end


class _RawValues(policy.Compat32):
    """compat32 that hands back header values as they arrived (8-bit bytes as surrogates, decoded as
    UTF-8 by :func:`_decode_words`) instead of replacing them."""

    def header_fetch_parse(self, name, value):
        return value


_RAW = _RawValues()


def _part_headers(block: bytes) -> Message:
    """compat32: its parameter parsing is plain string work; the modern parser takes ~10 s on a crafted
    50 KB Content-Type, which over 200 parts would hold the worker (and the processor) to its timeout."""
    return BytesHeaderParser(policy=_RAW).parsebytes(block)


def _content_type(headers: Message, default: str) -> str:
    try:
        value = headers.get_content_type() if headers.get("Content-Type") else default
    except Exception:  # noqa: BLE001
        value = "application/octet-stream"
    return value.lower()


def _param(headers: Message, name: str) -> str | None:
    try:
        value = headers.get_param(name)
    except Exception:  # noqa: BLE001
        return None
    if isinstance(value, tuple):
        return None
    return str(value) if value else None


def _filename(part: Message) -> str:
    for getter in (lambda: part.get_param("filename", header="content-disposition"), lambda: part.get_param("name")):
        try:
            value = getter()
        except Exception:  # noqa: BLE001, S112 - a malformed RFC 2231 parameter: try the next source
            continue
        if isinstance(value, tuple):
            try:  # strict: bytes that are not text in the named charset make the name absent
                charset, _, text = value
                data = bytes(text, "raw-unicode-escape")
                try:
                    value = data.decode(charset or "us-ascii")
                except LookupError:  # a charset nobody knows: the name's bytes as UTF-8 at best
                    value = data.decode("utf-8", "replace")
            except Exception:  # noqa: BLE001, S112 - an undecodable value counts as absent
                continue
        value = _decode_words(str(value)) if value else ""
        if CONTROL.sub("", value).strip():  # a name of control characters only (``%00``) counts as absent
            return value
    return ""


def _decode_words(value: str) -> str:
    """Raw UTF-8 bytes (kept by compat32 as surrogates) and RFC 2047 words (``=?gb2312?B?...?=``, as many
    mail clients send them) in a file name, decoded as the modern parser would; bounded in length."""
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if "=?" not in value or len(value) > 2048:
        return value
    try:
        return str(policy.default.header_factory("x-file-name", value))
    except Exception:  # noqa: BLE001 - an unknown charset or broken word: keep the raw text
        return value


def _is_file(part: Message, ctype: str) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:  # noqa: BLE001
        disposition = "attachment"
    return bool(disposition == "attachment" or _filename(part) or ctype.startswith(SPREADSHEET_TYPES))


def extract(raw: bytes, max_bytes: int) -> tuple[list[dict[str, Any]], list[str]]:
    """Spreadsheet attachments (name, data or a refusal) and the names of other files."""
    files: list[dict[str, Any]] = []
    others: list[str] = []
    used: set[str] = set()
    try:
        for n, (headers, start, end) in enumerate(_leaves(raw), 1):
            ctype = _content_type(headers, "text/plain")
            if not _is_file(headers, ctype):
                continue
            name = sanitise_filename(_filename(headers), n, ctype)
            if Path(name).suffix.lower() not in SPREADSHEET_SUFFIXES and not ctype.startswith(SPREADSHEET_TYPES):
                others.append(name)
                continue
            if len(files) >= MAX_FILES:
                others.append(name)
                continue
            try:
                encoding = str(headers.get("Content-Transfer-Encoding", "") or "").strip().lower()
            except Exception:  # noqa: BLE001
                encoding = ""
            if (end - start) * 3 // 4 > max_bytes + 4096:  # clearly too large: never decoded
                files.append({"name": unique_name(name, used), "data": b"", "size": (end - start) * 3 // 4,
                              "too_large": True})
                continue
            data = _decode(raw, start, end, encoding)
            files.append({"name": unique_name(name, used), "data": data, "size": len(data),
                          "too_large": len(data) > max_bytes})
    except RecursionError as exc:
        raise Unparseable("邮件结构嵌套过深") from exc
    return files, others


def _test_hook(name: str) -> None:
    spec = os.environ.get(TEST_HOOK_ENV, "")
    action, _, needle = spec.partition(":")
    if not needle or needle not in name:
        return
    if action == "crash":
        os.kill(os.getpid(), signal.SIGKILL)
    if action == "hang":
        time.sleep(3600)
    if action == "raise":
        raise RuntimeError("模拟的程序缺陷")
    if action == "noreport":
        import xlreport.adapters.report as report_pkg
        from xlreport.core.failures import XlreportError

        def broken(*_args, **_kwargs):
            raise XlreportError.make("report-write-failed", path="（测试）", reason="模拟的写入失败")

        report_pkg.write_report = broken


def _dec(value) -> str | None:
    return None if value is None else str(value)


def _problem_lines(problems) -> list[str]:
    return [one_line(f"[{p.level.value}] {p.text}", 500) for p in problems]


def build_one(item: dict[str, Any], folder: Path, limit_mb: float, find_code: bool,
              build: dict[str, Any] | None = None) -> dict[str, Any]:
    from xlreport.core.planner import sort_problems
    from xlreport.pipeline import build_file

    name = item["name"]
    out: dict[str, Any] = {"name": name, "folder": str(folder)}
    if item["too_large"]:
        out["rejected"] = (f"文件“{name}”大小为{item['size'] / 1024 / 1024:.1f}MB，超过{limit_mb:g}MB的上限，未处理。"
                           "绩效自评工作簿通常不超过1MB，请删除无关内容（图片、无关工作表）后再提交。")
        return out
    source_dir, out_dir = folder / "原件", folder / "结果"
    source_dir.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    source = source_dir / name
    source.write_bytes(item["data"])
    suffix = Path(name).suffix.lower()
    output = out_dir / (name if suffix in WORKBOOK_SUFFIXES else Path(name).stem + ".xlsx")
    try:
        _test_hook(name)
        outcome = build_file(source, output=output, report=True, **(build or {}))
    except Exception as exc:  # noqa: BLE001 - a bug in the build: reported for this file, never blocks the others
        out["internal"] = one_line(f"{type(exc).__name__}: {exc}", 500)
        return out
    ev = outcome.evaluation
    if outcome.failure is not None:
        message = outcome.failure.message.replace(str(source), name).replace(str(output), name)
        if outcome.workbook_path and ev is not None and ev.complete:
            out["report_failure"] = message
        else:
            out["rejected"] = message
            return out
    out["exit_code"] = EXIT_OK if out.get("report_failure") else outcome.exit_code
    info, budget = ev.input.info, ev.budget
    out.update(
        workbook_unit=info.unit or None, project=info.project or None, year=info.year or None,
        report_type=info.report_type, email=info.email or None, annual=_dec(budget.annual),
        executed=_dec(budget.executed), rate=_dec(budget.rate), total=_dec(ev.total), grade=ev.grade,
        n_errors=len(ev.errors), n_warnings=len(ev.warnings), n_infos=len(ev.infos),
        warnings=_problem_lines(sort_problems(ev.warnings)),
        problems=_problem_lines(sort_problems(ev.errors + ev.warnings)),
        adjustments=[one_line(a.line, 500) for a in ev.adjustments],  # deductions by the rules (docs/rules.md)
        workbook_path=str(outcome.workbook_path) if outcome.workbook_path else None,
        report_path=str(outcome.report_path) if outcome.report_path else None)
    if find_code:
        out["code_text"] = _code_text(source)
    return out


def _code_text(path: Path) -> str:
    """Text next to a “提交码” label in the workbook's first 50 rows (code policy)."""
    import openpyxl

    found = []
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - the build already read it; a second read failing means no code
        return ""
    try:
        for ws in wb.worksheets[:5]:
            for row in ws.iter_rows(max_row=50, max_col=20, values_only=True):
                cells = ["" if v is None else str(v).strip() for v in row]
                for i, v in enumerate(cells[:-1]):
                    if v.replace(" ", "") in ("提交码", "提交码：", "提交码:"):
                        found.append(cells[i + 1])
    finally:
        wb.close()
    return " ".join(found)[:200]


def run(raw_path: Path, workdir: Path, max_bytes: int, find_code: bool, build: dict[str, Any] | None = None
        ) -> dict[str, Any]:
    raw = raw_path.read_bytes()
    try:
        files, others = extract(raw, max_bytes)
    except Unparseable as exc:
        return {"parse_error": str(exc)}
    del raw
    results = []
    for n, item in enumerate(files, 1):
        stem = Path(item["name"]).stem[:40] or "附件"
        results.append(build_one(item, workdir / f"{n:02d}-{stem}", max_bytes / 1024 / 1024, find_code, build))
        item["data"] = b""
    return {"files": results, "other_files": others}


def main(argv: list[str]) -> int:
    raw_path, workdir, options = Path(argv[0]), Path(argv[1]), json.loads(argv[2])
    workdir.mkdir(parents=True, exist_ok=True)
    result = run(raw_path, workdir, int(options["max_attachment_bytes"]), bool(options.get("find_code")),
                 options.get("build") or {})
    write_bytes_atomic(workdir / "result.json", json.dumps(result, ensure_ascii=False).encode("utf-8"))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
