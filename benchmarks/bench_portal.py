"""Load on the portal: N units upload a 40-indicator workbook at the same moment.

Starts `xlreport serve` on a temporary SQLite registry (or ``--db URL``) with N roster units,
logs each unit in with its own session, releases all uploads together, and reports median and
p95 latency (request sent → scored answer received) and whether every upload was answered and
recorded exactly once.

    .venv/bin/python benchmarks/bench_portal.py              # 20 uploads, 2 build workers
    .venv/bin/python benchmarks/bench_portal.py -n 40 --workers 2
"""

from __future__ import annotations

import argparse
import http.cookiejar
import math
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PASSWORD = "bench-password-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_roster(path: Path, units: list[str]) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["单位名称", "电子邮箱"])
    for i, u in enumerate(units, 1):
        ws.append([u, f"bench{i}@units.example.cn"])
    wb.save(path)


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = ""

    def _csrf_from(self, html: str) -> str:
        m = re.search(r'data-csrf="([^"]+)"', html)
        return m.group(1) if m else ""

    def login(self, username: str) -> None:
        html = self.opener.open(self.base + "/login").read().decode()
        token = self._csrf_from(html)
        data = urllib.parse.urlencode({"csrf_token": token, "username": username, "password": PASSWORD}).encode()
        html = self.opener.open(self.base + "/login", data).read().decode()
        self.csrf = self._csrf_from(html)
        assert "/logout" in html, f"login failed for {username}"

    def upload(self, name: str, payload: bytes) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{self.csrf}\r\n"
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n"
                ).encode() + payload + f"\r\n--{boundary}--\r\n".encode()
        req = urllib.request.Request(self.base + "/unit/upload", data=body, headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "X-CSRF-Token": self.csrf,
            "X-Requested-With": "XMLHttpRequest"})
        try:
            with self.opener.open(req, timeout=300) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def tree_cpu(root: int, children: bool = True) -> float:
    """CPU seconds (user + system) used so far by a process and all its live descendants (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += stats.get(pid, (0, 0.0))[1]
        if children:
            todo += [p for p, (ppid, _) in stats.items() if ppid == pid]
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=20, help="simultaneous uploads (one unit each)")
    ap.add_argument("--indicators", type=int, default=40)
    ap.add_argument("--workers", type=int, default=2, help="build processes of the portal")
    ap.add_argument("--db", help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = ap.parse_args()

    from workbooks import make_workbook

    from xlreport.central.portal.auth import hash_password
    from xlreport.central.portal.store import Role, Store

    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    folder = Path(tempfile.mkdtemp(prefix="xlreport-bench-portal-"))
    units = [f"压测单位{i:02d}" for i in range(1, args.n + 1)]
    write_roster(folder / "roster.xlsx", units)
    workbook = make_workbook(folder / "bench.xlsx", seed=7, n_indicators=args.indicators)
    payload = workbook.read_bytes()
    db = args.db or f"sqlite:///{folder / 'registry.db'}"
    store = Store(db)
    hashed = hash_password(PASSWORD)
    for u in units:
        store.ensure_account(u, Role.UNIT, u)
        store.set_password(store.account_by_name(u)["id"], hashed)
    before = {u: len(store.submissions_of(u)) for u in units}
    port = free_port()
    (folder / "central.toml").write_text(
        f'[portal]\nport = {port}\nroster = "roster.xlsx"\ndata_dir = "data"\nworkers = {args.workers}\n'
        f'[store]\nurl = "{db}"\n', encoding="utf-8")
    env = {**os.environ, "XLREPORT_CACHE_DIR": str(folder / "cache")}
    proc = subprocess.Popen([sys.executable, "-c", "from xlreport.cli.main import main; main()", "serve", "--config",
                             str(folder / "central.toml")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env, cwd=folder)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        clients = []
        for u in units:
            c = Client(base)
            c.login(u)
            clients.append(c)
        cpu_before, web_before = tree_cpu(proc.pid), tree_cpu(proc.pid, children=False)
        barrier = threading.Barrier(len(clients))
        results: list[tuple[int, float, str]] = [(0, 0.0, "")] * len(clients)

        def run(i: int, c: Client) -> None:
            barrier.wait()
            t0 = time.perf_counter()
            status, text = c.upload(f"{units[i]}.xlsx", payload)
            results[i] = (status, time.perf_counter() - t0, text)

        threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
        t_start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t_start
        cpu_used = tree_cpu(proc.pid) - cpu_before
        web_used = tree_cpu(proc.pid, children=False) - web_before
    finally:
        proc.terminate()
        proc.wait(30)
    latencies = sorted(r[1] for r in results)
    answered = sum(1 for s, _, text in results if s == 200 and 'data-testid="total"' in text)
    recorded = {u: len(store.submissions_of(u)) - before[u] for u in units}
    store.dispose()
    p95 = latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)]
    print(f"uploads: {len(results)} simultaneous, {args.indicators} indicators, {args.workers} build workers, "
          f"{os.cpu_count()} CPUs")
    print(f"answered with a score: {answered}/{len(results)}; recorded exactly once: "
          f"{sum(1 for v in recorded.values() if v == 1)}/{len(units)}")
    print(f"latency median {statistics.median(latencies):.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s; "
          f"all done in {wall:.2f} s")
    print(f"CPU used by the portal (web process + build workers): {cpu_used:.2f} s, "
          f"{cpu_used / len(results) * 1000:.0f} ms per upload (web process {web_used / len(results) * 1000:.0f} ms); "
          f"load average before: {load_before}")
    ok = answered == len(results) and all(v == 1 for v in recorded.values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
