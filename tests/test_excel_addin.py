"""The generated add-in: opened as a zip, its VBA read with oletools (olevba), the wiring
from ribbon button to `xlreport.main()` followed step by step. Excel itself cannot run here."""

from __future__ import annotations

import re
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

with warnings.catch_warnings():  # oletools still uses pyparsing's old names
    warnings.simplefilter("ignore", DeprecationWarning)
    from oletools.olevba import VBA_Parser

import xlreport
from xlreport.cli.main import main as cli
from xlreport.install import addin

ROOT = Path(__file__).resolve().parents[1]
CUSTOMUI_NS = "{http://schemas.microsoft.com/office/2006/01/customui}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("addin")
    result = CliRunner().invoke(cli, ["excel", "addin", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "已生成 Excel 加载项" in result.output
    return out / "xlreport.xlam"


@pytest.fixture(scope="module")
def modules(built) -> dict[str, str]:
    parser = VBA_Parser(str(built))
    try:
        assert parser.detect_vba_macros()
        return {name.rsplit(".", 1)[0]: code for (_, _, name, code) in parser.extract_macros()}
    finally:
        parser.close()


def test_file_name_makes_the_module_name(built):
    # RibbonMyAddin.RunMain imports the module named like the file: xlreport.xlam -> xlreport.
    assert built.name == "xlreport.xlam" and built.stem == xlreport.__name__


def test_ribbon_tab_and_button(built, modules):
    with zipfile.ZipFile(built) as z:
        rels = etree.fromstring(z.read("_rels/.rels"))
        ui_parts = [r.get("Target") for r in rels if r.get("Type", "").endswith("/ui/extensibility")]
        assert ui_parts == ["customUI/customUI.xml"]
        ui = etree.fromstring(z.read("customUI/customUI.xml"))
    tabs = ui.findall(f".//{CUSTOMUI_NS}tab")
    assert [t.get("label") for t in tabs] == ["绩效自评"]
    buttons = ui.findall(f".//{CUSTOMUI_NS}button")
    assert len(buttons) == 1
    button = buttons[0]
    assert "绩效" in button.get("label") or "评分" in button.get("label")
    assert button.get("label") == addin.BUTTON_LABEL
    module, macro = button.get("onAction").split(".")
    assert module in modules, f"the button calls a module the VBA project lacks: {module}"
    assert re.search(rf"^\s*Sub\s+{macro}\s*\(\s*control\s+As\s+IRibbonControl\s*\)", modules[module],
                     re.MULTILINE | re.IGNORECASE)


def test_ribbon_macro_runs_python_main_of_the_file_name(modules):
    code = modules["RibbonMyAddin"]
    assert re.search(r"mymodule\s*=\s*Left\(ThisWorkbook\.Name", code)
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in code
    assert re.search(r"Public Function RunPython\(PythonCommand As String\)", modules["xlwings"])


def test_vba_is_the_installed_xlwings_and_untouched(built, modules):
    import xlwings

    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"' in modules["xlwings"]
    template = addin.template_path()
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(built) as out:
        assert src.namelist() == out.namelist()
        changed = {n for n in src.namelist() if src.read(n) != out.read(n)}
        assert out.read("xl/vbaProject.bin") == src.read("xl/vbaProject.bin")
        assert out.testzip() is None
    assert changed == {"customUI/customUI.xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"}


def test_config_sheet_is_the_one_the_vba_reads_and_names_the_interpreter(built, modules):
    project = re.search(r'PROJECT_NAME As String = "([^"]+)"', modules["xlwings"]).group(1)
    assert addin.CONF_SHEET == f"{project}.conf"
    assert re.search(r'wb\.Sheets\(PROJECT_NAME & "\.conf"\)', modules["xlwings"])
    with zipfile.ZipFile(built) as z:
        workbook = etree.fromstring(z.read("xl/workbook.xml"))
    names = [s.get("name") for s in workbook.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}sheet")]
    assert names == [addin.CONF_SHEET]
    config = addin.read_addin_config(built)
    # The VBA reads keys case-blind down column A until the first blank: all must be present.
    for key in ("INTERPRETER_WIN", "INTERPRETER_MAC"):
        assert key in config
        assert re.search(rf'GetConfig\("{key}"', modules["xlwings"])
    expected = {"INTERPRETER_WIN": sys.executable, "INTERPRETER_MAC": sys.executable}
    if sys.platform.startswith("win"):
        expected["INTERPRETER_MAC"] = ""
    elif sys.platform == "darwin":
        expected["INTERPRETER_WIN"] = ""
    assert {k: config[k] for k in expected} == expected
    assert config["ADD_WORKBOOK_TO_PYTHONPATH"] == "false"
    assert 'GetConfig("ADD_WORKBOOK_TO_PYTHONPATH"' in modules["xlwings"]


def test_config_block_is_contiguous_from_a1(built):
    """GetConfigFromSheet reads A1 down to End(xlDown): a gap would hide keys."""
    with zipfile.ZipFile(built) as z:
        sheet = etree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rows_with_key = sorted(int(c.get("r")[1:]) for c in sheet.iter(f"{ns}c")
                           if c.get("r").startswith("A") and (c.find(f"{ns}v") is not None or c.find(f"{ns}is") is not None))
    assert rows_with_key == list(range(1, len(rows_with_key) + 1))
    assert len(rows_with_key) == len(addin.read_addin_config(built))


@pytest.mark.parametrize("platform, win, mac", [("win32", "C:\\py\\python.exe", ""),
                                                ("darwin", "", "/Users/a/.venv/bin/python")])
def test_settings_per_platform(platform, win, mac, tmp_path):
    exe = win or mac
    path = addin.build_addin(tmp_path, addin.current_settings(exe, platform))
    config = addin.read_addin_config(path)
    assert (config["INTERPRETER_WIN"], config["INTERPRETER_MAC"]) == (win, mac)


def test_interpreter_option(tmp_path):
    result = CliRunner().invoke(cli, ["excel", "addin", "-o", str(tmp_path), "--interpreter", "/opt/py/bin/python"])
    assert result.exit_code == 0, result.output
    assert addin.read_addin_config(tmp_path / "xlreport.xlam")["INTERPRETER_WIN"] == "/opt/py/bin/python"


def test_all_xml_parts_are_well_formed(built):
    with zipfile.ZipFile(built) as z:
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))


def test_install_without_excel_explains_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    result = CliRunner().invoke(cli, ["excel", "install", "-o", str(tmp_path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Excel" in lines[0] and str((tmp_path / "xlreport.xlam").resolve()) in lines[0]
    assert (tmp_path / "xlreport.xlam").is_file()


def test_install_goes_through_xlwings(tmp_path, monkeypatch):
    from xlwings import cli as xlwings_cli

    calls = []
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setattr(xlwings_cli, "addin_install", lambda args: calls.append(args))
    result = CliRunner().invoke(cli, ["excel", "install", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls and Path(calls[0].file) == tmp_path / "xlreport.xlam" and calls[0].glob is False
    assert "绩效自评" in result.output


def test_macros_folder_matches_what_ships():
    assert (ROOT / "macros" / "customUI.xml").read_text(encoding="utf-8") == addin.RIBBON_XML
    bas = (ROOT / "macros" / "xlreport_button.bas").read_bytes()
    bas.decode("ascii")  # the VBA editor imports .bas files in the system code page
    assert b'RunPython "import xlreport; xlreport.main()"' in bas
    assert bas.startswith(b'Attribute VB_Name = "xlreport_button"')


def test_main_is_importable_and_init_stays_light():
    import subprocess

    code = ("import sys, xlreport; assert callable(xlreport.main); "
            "assert 'xlwings' not in sys.modules and 'openpyxl' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
