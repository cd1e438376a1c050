"""The offline bundle: one folder (or zip) from which xlreport installs with no package index.

Many office PCs reach no public package index. ``xlreport bundle`` is run once, on a machine
that does, from the source checkout: it builds the project's wheel with ``uv build``, reads
the locked versions with ``uv export --frozen`` (so every PC gets exactly what the tests ran
against) and has pip download each dependency's wheel for every target platform and Python
version. Environment markers (``pywin32 ; sys_platform == 'win32'``) are evaluated here for
each target, because pip would evaluate them for the machine it runs on. The folder gets a
short Chinese install page; README “离线安装” is the longer version.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from xlreport._version import DIST_NAME, __version__
from xlreport.core.failures import XlreportError

WHEELS_DIR = "wheels"
INSTALL_PAGE = "安装说明.md"
PYTHON_VERSIONS = ("3.11", "3.12", "3.13", "3.14")
COMMAND_TIMEOUT = 900  # seconds for one uv/pip call; a slow mirror, not a hang


@dataclass(frozen=True)
class Target:
    """A platform the bundle serves: pip's platform tags and the marker values it has."""

    key: str
    label: str
    platforms: tuple[str, ...]
    markers: dict[str, str]


TARGETS: dict[str, Target] = {t.key: t for t in (
    Target("windows-x64", "Windows（64位）", ("win_amd64",),
           {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt", "platform_machine": "AMD64"}),
    # pip widens a macOS tag to every older macOS and to universal2 wheels.
    Target("macos-x86_64", "macOS（Intel 芯片）", ("macosx_12_0_x86_64",),
           {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
            "platform_machine": "x86_64"}),
    Target("macos-arm64", "macOS（Apple 芯片）", ("macosx_11_0_arm64",),
           {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix",
            "platform_machine": "arm64"}),
    # pip does not widen manylinux tags to older glibc baselines: name them all.
    Target("linux-x86_64", "Linux（x86_64）",
           ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
            "manylinux_2_5_x86_64", "manylinux1_x86_64"),
           {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
            "platform_machine": "x86_64"}),
)}


class BundleError(XlreportError):
    """The bundle could not be made (no uv, no source tree, a download failed)."""


@dataclass(frozen=True)
class Requirement:
    """One locked dependency: ``name==version`` and the marker that decides where it applies."""

    name: str
    version: str
    marker: str | None

    def applies(self, target: Target, python: str) -> bool:
        if not self.marker:
            return True
        from packaging.markers import Marker

        env = {"python_version": python, "python_full_version": f"{python}.0", "implementation_name": "cpython",
               "platform_python_implementation": "CPython", "extra": "", **target.markers}
        return Marker(self.marker).evaluate(env)


@dataclass
class BundleResult:
    folder: Path
    wheels: list[Path]
    project_wheel: Path
    archive: Path | None = None


def find_project(start: Path | None = None, *, near_module: bool = True) -> Path:
    """The source checkout: a folder up from ``start`` (then, with ``near_module``, up from this
    module, for a source or editable install) whose pyproject.toml names this distribution
    and has a uv.lock."""
    candidates: list[Path] = []
    if start is not None:
        candidates += [start.resolve(), *start.resolve().parents]
    if near_module:
        candidates += list(Path(__file__).resolve().parents)[1:5]
    for folder in candidates:
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and (folder / "uv.lock").is_file():
            import tomllib

            try:
                name = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {}).get("name")
            except (OSError, ValueError):
                continue
            if name == DIST_NAME:
                return folder
    raise BundleError.make("bundle-no-project")


def _run(step: str, cmd: list[str], cwd: Path | None = None) -> str:
    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
                              encoding="utf-8", errors="replace")
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BundleError.make("bundle-step-failed", step=step, detail=str(exc)) from exc
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise BundleError.make("bundle-step-failed", step=step, detail=" / ".join(lines[-3:]) or f"退出码{done.returncode}")
    return done.stdout


def _uv() -> str:
    uv = shutil.which("uv")
    if uv is None:
        raise BundleError.make("bundle-no-uv")
    return uv


def _pip(uv: str) -> list[str]:
    """pip from this interpreter when it has one (a uv-made environment has none), else uv's."""
    import importlib.util

    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    return [uv, "tool", "run", "--from", "pip", "pip"]


def locked_requirements(uv: str, project: Path) -> list[Requirement]:
    """The runtime dependencies exactly as uv.lock pins them (no dev tools, not the project)."""
    out = _run("读取锁定的依赖版本（uv export）", [
        uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--no-header",
        "--no-annotate", "--project", str(project)])
    return parse_requirements(out.splitlines())


def parse_requirements(lines: Iterable[str]) -> list[Requirement]:
    """``name==version ; marker`` lines as :class:`Requirement` (comments and blanks skipped)."""
    result = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        spec, _, marker = line.partition(";")
        name, sep, version = spec.strip().partition("==")
        if not sep:
            raise BundleError.make("bundle-step-failed", step="读取锁定的依赖版本", detail=f"无法识别“{line}”")
        name = name.split("[", 1)[0].strip()
        result.append(Requirement(name, version.strip(), marker.strip() or None))
    return result


def build_wheel(uv: str, project: Path, out_dir: Path) -> Path:
    _run("构建 xlreport 安装包（uv build）", [uv, "build", "--wheel", "--out-dir", str(out_dir), str(project)])
    wheels = sorted(out_dir.glob("*.whl"))
    if not wheels:
        raise BundleError.make("bundle-step-failed", step="构建 xlreport 安装包（uv build）", detail="没有生成 .whl 文件")
    return wheels[-1]


def download(pip: list[str], requirements: list[Requirement], target: Target, python: str, dest: Path) -> None:
    """Binary wheels only, for one platform and Python; pins only, the lock already resolved."""
    wanted = [f"{r.name}=={r.version}" for r in requirements if r.applies(target, python)]
    cmd = [*pip, "download", "--no-deps", "--only-binary=:all:", "--implementation", "cp",
           "--python-version", python, "--dest", str(dest), "--progress-bar", "off", "--quiet"]
    for platform in target.platforms:
        cmd += ["--platform", platform]
    _run(f"下载 {target.label} Python {python} 的依赖包", cmd + wanted)


def make_bundle(out: Path, *, targets: Iterable[str] = tuple(TARGETS), pythons: Iterable[str] = PYTHON_VERSIONS,
                project: Path | None = None, archive: bool = False,
                progress: Callable[[str], None] = lambda _: None) -> BundleResult:
    """Fill ``out`` with the wheels and the install page; with ``archive`` also ``out``.zip."""
    uv = _uv()
    project = find_project(project, near_module=False) if project else find_project(Path.cwd())
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BundleError.make("bundle-output-exists", path=out)
    chosen = [TARGETS[key] for key in targets]
    pythons = list(pythons)
    wheels_dir = out / WHEELS_DIR
    wheels_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlreport-bundle-") as tmp:
        progress("构建 xlreport 安装包 …")
        built = build_wheel(uv, project, Path(tmp))
        project_wheel = Path(shutil.copy2(built, wheels_dir / built.name))
    requirements = locked_requirements(uv, project)
    pip = _pip(uv)
    for target in chosen:
        for python in pythons:
            progress(f"下载 {target.label} Python {python} 的依赖包 …")
            download(pip, requirements, target, python, wheels_dir)
    (out / INSTALL_PAGE).write_text(install_page(chosen, pythons, project_wheel.name), encoding="utf-8")
    result = BundleResult(out, sorted(wheels_dir.glob("*.whl")), project_wheel)
    if archive:
        result.archive = zip_folder(out)
    return result


def zip_folder(folder: Path) -> Path:
    """``folder``.zip beside it, with the folder's name as the top entry (unzips as one folder)."""
    from xlreport.adapters.files import atomic_target

    target = folder.with_name(folder.name + ".zip")
    with atomic_target(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, Path(folder.name) / path.relative_to(folder))
    return target


def install_page(targets: list[Target], pythons: list[str], wheel_name: str) -> str:
    """The Chinese page that travels with the wheels."""
    platforms = "、".join(t.label for t in targets)
    versions = "、".join(pythons)
    return f"""# xlreport {__version__} 离线安装说明

本文件夹是绩效自评工具 xlreport 的离线安装包，不需要连接互联网或任何软件包镜像。
`{WHEELS_DIR}` 文件夹里是 xlreport 本身（`{wheel_name}`）和它用到的全部软件包，适用于：
{platforms}；Python {versions}。

软件包的名称是 **{DIST_NAME}**，安装后的命令是 **xlreport**。

## 一、准备 Python

电脑上需要有 Python（{pythons[0]} 至 {pythons[-1]} 之间的版本）。没有的话，请信息化部门提供
python.org 的安装程序（Windows 安装时勾选“Add python.exe to PATH”）。不要使用 Microsoft Store 里的 Python。

## 二、安装 xlreport

把本文件夹复制到电脑上（例如 `D:\\xlreport离线安装包`），在该文件夹中打开命令行
（Windows：在资源管理器的地址栏输入 `cmd` 后回车；macOS：打开“终端”后 `cd` 到该文件夹）。

**方式一：已安装 uv**（推荐，命令自动加入 PATH）

```
uv tool install --offline --no-index --find-links {WHEELS_DIR} {DIST_NAME}
```

提示找不到 xlreport 命令时，运行 `uv tool update-shell` 后重新打开命令行。

**方式二：只有 Python**（装在用户目录下的独立环境中，不影响其他程序）

Windows：

```
py -m venv %USERPROFILE%\\.xlreport\\venv
%USERPROFILE%\\.xlreport\\venv\\Scripts\\python -m pip install --no-index --find-links {WHEELS_DIR} {DIST_NAME}
```

以后运行 `%USERPROFILE%\\.xlreport\\venv\\Scripts\\xlreport`（可把 `Scripts` 文件夹加入 PATH）。

macOS / Linux：

```
python3 -m venv ~/.xlreport/venv
~/.xlreport/venv/bin/python -m pip install --no-index --find-links {WHEELS_DIR} {DIST_NAME}
```

以后运行 `~/.xlreport/venv/bin/xlreport`。

## 三、检查并安装 Excel 按钮

1. `xlreport --version` 显示版本号，说明安装成功。
2. Windows 和 macOS 上运行 `xlreport excel install`，Excel 中会出现“绩效自评”选项卡（先关闭 Excel）。
3. 不用 Excel 按钮时，也可直接运行 `xlreport build 工作簿.xlsx`。

升级时用新的离线安装包重复第二步（uv 加 `--reinstall`，pip 加 `--upgrade`），然后重新运行
`xlreport excel install`。
"""


__all__ = [
    "PYTHON_VERSIONS",
    "TARGETS",
    "BundleError",
    "BundleResult",
    "Requirement",
    "Target",
    "find_project",
    "install_page",
    "make_bundle",
    "parse_requirements",
]
