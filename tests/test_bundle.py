"""The offline bundle: markers per platform, the install page, and a real offline install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlreport._version import DIST_NAME, __version__
from xlreport.cli.main import main
from xlreport.install.bundle import (
    INSTALL_PAGE,
    PYTHON_VERSIONS,
    TARGETS,
    WHEELS_DIR,
    BundleError,
    find_project,
    install_page,
    parse_requirements,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "红寺堡_2022_城乡居民医保补助资金.xlsx"
LOCKED = """\
appscript==1.5.0 ; sys_platform == 'darwin'
click==8.5.1
lxml==6.1.3
pywin32==312 ; sys_platform == 'win32'
tomli==2.0.1 ; python_full_version < '3.12'
"""


def _names(target: str, python: str) -> set[str]:
    return {r.name for r in parse_requirements(LOCKED.splitlines()) if r.applies(TARGETS[target], python)}


def test_markers_are_evaluated_for_the_target_not_this_machine():
    assert _names("windows-x64", "3.12") == {"click", "lxml", "pywin32"}
    assert _names("macos-arm64", "3.12") == {"appscript", "click", "lxml"}
    assert _names("macos-x86_64", "3.11") == {"appscript", "click", "lxml", "tomli"}
    assert _names("linux-x86_64", "3.13") == {"click", "lxml"}


def test_the_locked_runtime_set_has_no_dev_tools():
    """What the bundle is driven from: pins only, no pytest, no project itself."""
    out = subprocess.run(["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project",
                          "--no-header", "--no-annotate", "--project", str(ROOT)],
                         capture_output=True, text=True, check=True).stdout
    names = {r.name for r in parse_requirements(out.splitlines())}
    assert {"openpyxl", "xlwings", "lxml", "pywin32", "appscript"} <= names
    assert not names & {"pytest", "hypothesis", "pymap", "xlreport", DIST_NAME}


def test_find_project_needs_this_distribution(tmp_path):
    assert find_project(ROOT / "src") == ROOT
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "xlreport"\n', encoding="utf-8")
    (tmp_path / "uv.lock").write_text("", encoding="utf-8")
    assert find_project(tmp_path) == ROOT  # an unrelated project is passed over
    with pytest.raises(BundleError) as caught:  # a folder named with --project is searched alone
        find_project(tmp_path, near_module=False)
    assert caught.value.code == "bundle-no-project"


def test_install_page_names_the_distribution_and_the_offline_commands():
    page = install_page([TARGETS["windows-x64"], TARGETS["macos-arm64"]], ["3.11", "3.12"], "x.whl")
    assert f"uv tool install --offline --no-index --find-links {WHEELS_DIR} {DIST_NAME}" in page
    assert f"pip install --no-index --find-links {WHEELS_DIR} {DIST_NAME}" in page
    assert "Windows（64位）、macOS（Apple 芯片）" in page and "Python 3.11、3.12" in page
    assert "xlreport excel install" in page


def test_a_non_empty_output_folder_is_refused(tmp_path):
    (tmp_path / "old.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["bundle", "-o", str(tmp_path), "--platform", "linux-x86_64"])
    assert result.exit_code == BundleError("x", "x").exit_code
    assert "已存在且不是空文件夹" in result.output


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """No package index and no find-links from this machine's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", UV_NO_CONFIG="1", UV_OFFLINE="1",
               XLREPORT_CACHE_DIR=str(tmp_path / "cache"))
    return env


def _run(cmd: list[str | Path], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run([str(c) for c in cmd], env=env, cwd=cwd, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.mark.slow
def test_bundle_installs_and_runs_with_no_index(tmp_path):
    """Linux wheels for this Python only (the other platforms cannot run here): built through
    the real command, installed into fresh environments by pip and by uv with every index
    switched off, then the installed `xlreport` builds a sample and makes the add-in."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert python in PYTHON_VERSIONS
    folder = tmp_path / "离线安装包"
    result = CliRunner().invoke(main, ["bundle", "-o", str(folder), "--platform", "linux-x86_64",
                                       "--python", python, "--project", str(ROOT), "--zip"])
    assert result.exit_code == 0, result.output
    wheels = {p.name for p in (folder / WHEELS_DIR).glob("*.whl")}
    assert f"{DIST_NAME.replace('-', '_')}-{__version__}-py3-none-any.whl" in wheels
    assert any(n.startswith("lxml-") and "manylinux" in n for n in wheels)
    assert not any("win_amd64" in n or "macosx" in n for n in wheels)
    assert (folder / INSTALL_PAGE).is_file() and folder.with_suffix(".zip").is_file()

    env = _offline_env(tmp_path)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], env, tmp_path)
    # --no-compile: byte-compiling pandas and numpy is most of pip's time and no part of what is tested
    _run([venv / "bin" / "python", "-m", "pip", "install", "--isolated", "--no-index", "--quiet", "--no-compile",
          "--find-links", folder / WHEELS_DIR, DIST_NAME], env, tmp_path)
    xlreport = venv / "bin" / "xlreport"
    assert _run([xlreport, "--version"], env, tmp_path).strip() == f"xlreport {__version__}"
    workbook = tmp_path / "工作簿.xlsx"
    shutil.copy(SAMPLE, workbook)
    out = _run([xlreport, "build", workbook], env, tmp_path)
    assert "总分" in out and (tmp_path / "工作簿_自评报告.docx").stat().st_size > 10_000
    out = _run([xlreport, "excel", "addin", "-o", tmp_path / "addin"], env, tmp_path)
    assert (tmp_path / "addin" / "xlreport.xlam").is_file() and str(venv) in out

    uv = shutil.which("uv")
    if uv is not None:  # the uv route of the install page, into its own tool folder
        env.update(UV_TOOL_DIR=str(tmp_path / "tools"), UV_TOOL_BIN_DIR=str(tmp_path / "bin"))
        _run([uv, "tool", "install", "--offline", "--no-index", "--find-links", folder / WHEELS_DIR,
              "--python", sys.executable, DIST_NAME], env, tmp_path)
        assert _run([tmp_path / "bin" / "xlreport", "--version"], env, tmp_path).strip() == f"xlreport {__version__}"
