"""How fast is `xlreport build`, measured against what openpyxl alone needs for the same file.

    .venv/bin/python benchmarks/bench_build.py                      # generated 30–60-indicator workbooks
    .venv/bin/python benchmarks/bench_build.py --workbook held_out.xlsx
    .venv/bin/python benchmarks/bench_build.py --runs 21 --batch 200 --markdown

Prints
  (a) the whole-process time of `xlreport build X -o Y` (with and without the report) against
      the floor of loading and saving the same file with openpyxl in a fresh interpreter:
      medians over alternating runs and the median of the per-round ratios;
  (b) batch throughput of `xlreport build DIR -o OUT` on all cores, in workbooks per second,
      with and without reports;
  (c) peak memory (maximum resident set size) of one build.

Every command runs as a fresh process of this virtual environment's Python (not `uv run`,
whose own start-up would be counted in both). Timings are taken with Python's bytecode cache
warm, as on any installed machine after the first run: the cache goes to a private folder
(PYTHONPYCACHEPREFIX) so that an environment with PYTHONDONTWRITEBYTECODE=1 (like CI) does
not make every run recompile every module. ``--cold-bytecode`` measures without it.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PYTHON = sys.executable
XLREPORT = [PYTHON, "-c", "import sys; from xlreport.cli.main import main; sys.argv[0] = 'xlreport'; sys.exit(main())"]
_entry = Path(PYTHON).with_name("xlreport")
if _entry.exists():
    XLREPORT = [PYTHON, str(_entry)]  # the console script users run
FLOOR = [PYTHON, "-c", "import sys, openpyxl; openpyxl.load_workbook(sys.argv[1]).save(sys.argv[2])"]


@dataclass
class Run:
    seconds: float  # wall clock
    cpu: float  # user + system CPU seconds of the process and the workers it waited for
    exit_code: int


# Linux counts the RSS a process had before exec() in its maximum, so a child forked from this
# (large) benchmark process would report at least our own size. Memory is therefore measured
# through a tiny spawner started without site-packages (about 8 MB), whose only child is the
# command; timing runs start the command directly, so the spawner's start-up is not counted.
SPAWNER = [PYTHON, "-S", "-c", (
    "import os, sys, resource\n"
    "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ,"
    " file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])\n"
    "_, status = os.waitpid(pid, 0)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(os.waitstatus_to_exitcode(status))")]


def _check(code: int, cmd: list[str], err: bytes) -> None:
    if code not in (0, 1):  # 1: the workbook has errors, still a complete build
        raise SystemExit(f"command failed ({code}): {' '.join(cmd)}\n{err.decode(errors='replace')}")


def run(cmd: list[str], env: dict[str, str]) -> Run:
    """Run a command in a fresh process; its wall time and exit code."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        err.seek(0)
        _check(code, cmd, err.read())
    return Run(seconds, usage.ru_utime + usage.ru_stime, code)


def peak_mb(cmd: list[str], env: dict[str, str]) -> float:
    """Maximum resident set size of one run of the command, in MB."""
    proc = subprocess.run(SPAWNER + cmd, env=env, capture_output=True, check=False)
    _check(proc.returncode, cmd, proc.stderr)
    return int(proc.stdout.split()[-1]) / 1024


def report_available(env: dict[str, str]) -> bool:
    probe = subprocess.run([PYTHON, "-c", "import xlreport.adapters.report as r; r.write_report"], env=env,
                           capture_output=True, check=False)
    return probe.returncode == 0


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    import openpyxl

    return (f"{os.cpu_count()} cores ({model or 'unknown CPU'}), {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, openpyxl {openpyxl.__version__}")


def median(values: list[float]) -> float:
    return statistics.median(values)


def single(workbook: Path, work: Path, runs: int, env: dict[str, str], with_report: bool) -> dict:
    """(a) and (c): alternate floor / build / build --no-report, fresh interpreters each."""
    out = work / "single"
    out.mkdir(exist_ok=True)
    commands = {
        "floor": FLOOR + [str(workbook), str(out / "floor.xlsx")],
        "build --no-report": XLREPORT + ["build", str(workbook), "-o", str(out / "noreport.xlsx"), "--no-report"],
    }
    if with_report:
        commands["build"] = XLREPORT + ["build", str(workbook), "-o", str(out / "built.xlsx")]
    for cmd in commands.values():  # warm-up: bytecode cache, page cache
        run(cmd, env)
        run(cmd, env)
    results: dict[str, list[Run]] = {name: [] for name in commands}
    for i in range(runs):
        names = list(commands)
        if i % 2:  # alternate the order, so drift hits every command alike
            names.reverse()
        for name in names:
            results[name].append(run(commands[name], env))
    floor = results["floor"]
    summary = {}
    for name, rs in results.items():
        ratios = [r.seconds / f.seconds for r, f in zip(rs, floor)]
        cpu_ratios = [r.cpu / f.cpu for r, f in zip(rs, floor)]
        peak = max(peak_mb(commands[name], env) for _ in range(3))
        summary[name] = {"median": median([r.seconds for r in rs]), "ratio": median(ratios),
                             "cpu": median([r.cpu for r in rs]), "cpu_ratio": median(cpu_ratios),
                             "peak": peak, "exit": rs[-1].exit_code}
    return summary


def batch(sources: list[Path], work: Path, env: dict[str, str], with_report: bool, repeats: int) -> dict:
    """(b): `xlreport build DIR -o OUT` on all cores; workbooks per second (best of repeats)."""
    folder = work / "batch_in"
    if not folder.exists():
        folder.mkdir()
        for i, src in enumerate(sources):
            shutil.copyfile(src, folder / f"{src.stem}_{i:04d}{src.suffix}")
    n = len(list(folder.glob("*.xls*")))
    summary = {}
    modes = [("--no-report", ["--no-report"])]
    if with_report:
        modes.insert(0, ("with reports", []))
    for label, extra in modes:
        times, cpus = [], []
        for _ in range(repeats):
            out = work / "batch_out"
            shutil.rmtree(out, ignore_errors=True)
            r = run(XLREPORT + ["build", str(folder), "-o", str(out), *extra], env)
            times.append(r.seconds)
            cpus.append(r.cpu)
            written = len(list(out.glob("*.xlsx")))
            reports = len(list(out.glob("*.docx")))
        out = work / "batch_out"
        shutil.rmtree(out, ignore_errors=True)
        largest = peak_mb(XLREPORT + ["build", str(folder), "-o", str(out), *extra], env)
        best = min(times)
        cpu_per_wb = min(cpus) / n
        summary[label] = {"n": n, "seconds": best, "rate": n / best, "written": written, "reports": reports,
                              "median": median(times), "cpu_ms": cpu_per_wb * 1000, "largest": largest,
                              "capacity": (os.cpu_count() or 1) / cpu_per_wb}
    return summary


def office_resave(paths: list[Path], folder: Path) -> list[Path]:
    """Open and save the workbooks with LibreOffice, as a unit's office suite would (shared
    strings, its own styles and XML); cached formula values are recalculated and kept."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("--office-saved needs LibreOffice (soffice) on PATH")
    folder.mkdir(parents=True, exist_ok=True)
    profile = (folder / "lo-profile").as_uri()
    for i in range(0, len(paths), 50):
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xlsx",
                        "--outdir", str(folder), *map(str, paths[i:i + 50])], capture_output=True, check=True)
    return [folder / p.name for p in paths]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workbook", type=Path, help="measure this workbook (e.g. the held-out one) instead of generated ones")
    ap.add_argument("--runs", type=int, default=11, help="alternating runs for (a) (default 11)")
    ap.add_argument("--batch", type=int, default=96, help="workbooks in the batch for (b) (default 96)")
    ap.add_argument("--batch-repeats", type=int, default=3, help="batch runs, best counted (default 3)")
    ap.add_argument("--indicators", type=int, default=None, help="indicators in the single generated workbook "
                    "(default: 45, the middle of 30–60)")
    ap.add_argument("--office-saved", action="store_true",
                    help="re-save the generated workbooks with LibreOffice first (shared strings, office XML)")
    ap.add_argument("--no-batch", action="store_true")
    ap.add_argument("--no-report", action="store_true", help="measure without reports only")
    ap.add_argument("--cold-bytecode", action="store_true", help="keep the environment's bytecode settings")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ap.add_argument("--markdown", action="store_true", help="also print the figures as Markdown")
    args = ap.parse_args()

    env = dict(os.environ)
    work = args.keep or Path(tempfile.mkdtemp(prefix="xlreport-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if not args.cold_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
    with_report = not args.no_report and report_available(env)

    from workbooks import make_workbook

    gen = work / "generated"
    gen.mkdir(exist_ok=True)
    if args.workbook:
        one = args.workbook.resolve()
        sources = [one] * args.batch
        what = f"{one.name}"
    else:
        one = make_workbook(gen / "single.xlsx", seed=1000, n_indicators=args.indicators or 45)
        sources = [make_workbook(gen / f"wb_{i:04d}.xlsx", seed=i) for i in range(args.batch)]
        what = f"generated 项目支出 workbook, {args.indicators or 45} indicators"
        if args.office_saved:
            one, *sources = office_resave([one, *sources], work / "office")
            what += ", re-saved by LibreOffice"

    print(f"machine : {machine()}")
    print(f"load    : {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) before the runs")
    print(f"workbook: {what} ({one.stat().st_size / 1024:.0f} KB)")
    print(f"bytecode: {'as the environment says' if args.cold_bytecode else 'cached (warm)'}; "
          f"reports: {'yes' if with_report else 'not available (xlreport.adapters.report missing) — measured without'}")
    s = single(one, work, args.runs, env, with_report)
    print(f"\n(a) one workbook, {args.runs} alternating runs, fresh interpreter each")
    print(f"    {'command':<22}{'median s':>10}{'× floor':>10}{'CPU s':>8}{'CPU ×':>8}{'peak MB':>10}{'exit':>6}")
    for name, r in s.items():
        print(f"    {name:<22}{r['median']:>10.3f}{r['ratio']:>10.2f}{r['cpu']:>8.3f}{r['cpu_ratio']:>8.2f}"
              f"{r['peak']:>10.1f}{r['exit']:>6}")
    b = {}
    if not args.no_batch:
        b = batch(sources, work, env, with_report, args.batch_repeats)
        print(f"\n(b) batch `xlreport build DIR -o OUT`, {os.cpu_count()} cores, best of {args.batch_repeats}")
        print(f"    {'mode':<22}{'workbooks':>10}{'seconds':>10}{'wb/s':>8}{'reports':>9}"
              f"{'CPU ms/wb':>11}{'cores/CPU':>11}{'max MB':>8}")
        for label, r in b.items():
            print(f"    {label:<22}{r['n']:>10}{r['seconds']:>10.2f}{r['rate']:>8.1f}{r['reports']:>9}"
                  f"{r['cpu_ms']:>11.0f}{r['capacity']:>11.1f}{r['largest']:>8.0f}")
        print("    (cores/CPU: workbooks/s the cores could give if nothing else ran — all cores ÷ CPU time per workbook;"
              "\n     max MB: the largest single process of the batch, parent or worker)")
    print(f"\nload    : {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min) after the runs")
    key = "build" if "build" in s else "build --no-report"
    print(f"\n(c) peak memory of one `{key}`: {s[key]['peak']:.1f} MB (floor {s['floor']['peak']:.1f} MB)")
    if args.markdown:
        print("\n| figure | value |\n|---|---|")
        print(f"| floor (openpyxl load+save), median | {s['floor']['median'] * 1000:.0f} ms |")
        for name in ("build --no-report", "build"):
            if name in s:
                print(f"| `{name}`, median | {s[name]['median'] * 1000:.0f} ms ({s[name]['ratio']:.2f}× floor) |")
        for label, r in b.items():
            print(f"| batch {label}, {r['n']} workbooks | {r['rate']:.1f} workbooks/s ({r['seconds']:.2f} s; "
                  f"{r['cpu_ms']:.0f} ms CPU per workbook) |")
        print(f"| peak memory, one `{key}` | {s[key]['peak']:.0f} MB |")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
