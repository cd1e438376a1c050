"""`xlreport serve --demo`: starts on 127.0.0.1, prints the address, admin and every sample unit log in with 'demo'."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from portal_fixtures import SAMPLE_UNITS, SAMPLES, free_port

pytestmark = pytest.mark.slow  # real servers: seconds, still in the default run


def _login(base: str, username: str, opener=None) -> str:
    opener = opener or urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    token = re.search(r'data-csrf="([^"]+)"', opener.open(base + "/login").read().decode()).group(1)
    with opener.open(base + "/login", urllib.parse.urlencode(
            {"csrf_token": token, "username": username, "password": "demo"}).encode()) as r:
        return r.geturl() + "\n" + r.read().decode()


def test_demo_starts_and_every_account_logs_in(tmp_path):
    port = free_port()
    env = {**os.environ, "XLREPORT_CACHE_DIR": str(tmp_path / "cache"), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "from xlreport.cli.main import main; main()", "serve", "--demo",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while not any("平台地址" in line for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, "".join(lines)
            lines.append(proc.stdout.readline())
        address = re.search(r"http://127\.0\.0\.1:(\d+)", "".join(lines))
        assert address and int(address.group(1)) == port
        base = address.group(0)
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        office = _login(base, "admin", opener)
        assert office.startswith(base + "/office")
        for unit in SAMPLE_UNITS.values():
            assert f'data-unit="{unit}"' in office
            assert _login(base, unit).startswith(base + "/unit")
        # A plain form upload (no JavaScript): redirected to the result page.
        unit_opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        unit_page = _login(base, "海口市医疗保障局", unit_opener)
        token = re.search(r'data-csrf="([^"]+)"', unit_page).group(1)
        sample = next(p for p in SAMPLES if p.name.startswith("海口"))
        boundary = "xlreportboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{sample.name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + sample.read_bytes() + \
            f"\r\n--{boundary}--\r\n".encode()
        with unit_opener.open(urllib.request.Request(base + "/unit/upload", data=body, headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}"})) as r:
            assert re.search(r"/submissions/\d+$", r.geturl())
            assert 'data-testid="total">99.38<' in r.read().decode()
        assert office.count("待审核") >= 2  # two samples are already submitted in the demo
        csrf = re.search(r'data-csrf="([^"]+)"', office).group(1)
        remind = opener.open(urllib.request.Request(base + "/office/remind", data=b"", headers={
            "X-CSRF-Token": csrf, "HX-Request": "true"})).read().decode()
        assert "已向1个单位发送催报邮件：吴忠市红寺堡区医疗保障局" in remind and "演示模式" in remind
        outbox = re.search(r"已保存到 (\S+?)。", remind).group(1)
        assert len(list(Path(outbox).glob("*.eml"))) == 1
        helpers = _descendants(proc.pid)
        assert helpers  # the build pool's forkserver and workers
    finally:
        proc.terminate()
        proc.wait(20)
    # Stopped with SIGTERM (as systemd or Ctrl+C does), the server leaves no process behind.
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in helpers if _alive(pid)]


def _descendants(root: int) -> set[int]:
    """Every process below ``root`` (from /proc: children, their children …)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
