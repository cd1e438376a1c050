"""A central office's rules profile and a folder of unit workbooks, for the batch and mail tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from factory import make_workbook, simple_indicators

SAMPLES = Path(__file__).parents[1] / "samples"
OFFICE_NAME = "某市财政局"

# The 一体化 rules as a city's finance bureau writes them: its own name, a 20-point budget block
# scored 比例, its own grade words; the cap and the deviation deduction as in the 一体化 module.
OFFICE_PROFILE = f"""
[profile]
id = "city-2024"
name = "{OFFICE_NAME}"
title = "某市预算管理一体化绩效自评规则（2024年版）"
workbook_settings = false

[qualitative]
shares = {{ "达成" = 100, "部分达成" = 70, "未达成" = 30 }}
bands = {{ "达成" = [80, 100], "部分达成" = [60, 80], "未达成" = [0, 60] }}

[indicator]
method = "比例"
default_handling = "满分"

[exceeded]
high = 120
low = 80

[budget]
points = 10
method = "比例"
threshold = 90

[grades]
bands = "90:好,80:较好,60:一般,0:差"

[cap]
bands = [
  {{ rate_below = 80, max_total = 89 }},
  {{ rate_below = 70, max_total = 79 }},
  {{ rate_below = 60, max_total = 69 }},
  {{ rate_below = 50, max_total = 59 }},
]

[deviation]
high = 130
low = 70
points = 2
"""


def write_office_profile(folder: Path) -> Path:
    path = folder / "office.toml"
    path.write_text(OFFICE_PROFILE, encoding="utf-8")
    return path


def unit_folder(folder: Path) -> dict[str, Path]:
    """The four samples plus two units whose figures trigger the office's rules."""
    folder.mkdir(parents=True, exist_ok=True)
    found = {p.name: shutil.copy(p, folder / p.name) for p in sorted(SAMPLES.glob("*.xlsx"))}
    found = {name: Path(p) for name, p in found.items()}
    found["低执行率单位.xlsx"] = make_workbook(folder / "低执行率单位.xlsx", info={"实施单位": "低执行率单位"},
                                             budget={"年度资金总额": (100, 100, 76.2)})
    rows = simple_indicators()
    rows[0] = dict(rows[0], actual="3")  # ≥2 次, 3 次: 150% of the target
    found["超额单位.xlsx"] = make_workbook(folder / "超额单位.xlsx", info={"实施单位": "超额单位"}, indicators=rows)
    return found
