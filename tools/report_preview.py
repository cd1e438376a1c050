"""Preview a report the way a reviewer sees it: .docx -> PDF (LibreOffice) -> PNG pages.

Usage: uv run python tools/report_preview.py REPORT.docx [OUTDIR]

Debian setup (not part of the package):
    apt-get install -y libreoffice-writer poppler-utils fonts-noto-cjk fonts-arphic-ukai
    apt-get install -y --no-install-recommends texlive-lang-chinese   # FandolFang (仿宋)
The script writes fontconfig aliases for the official fonts (仿宋_GB2312 → FandolFang,
楷体_GB2312 → AR PL UKai CN, 黑体 → Noto Sans CJK SC, 方正小标宋简体/宋体 → Noto Serif CJK SC)
into the user's fontconfig directory, so LibreOffice substitutes look-alikes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ALIASES = {
    "仿宋_GB2312": ["FandolFang", "AR PL UKai CN", "Noto Serif CJK SC"],
    "仿宋": ["FandolFang", "AR PL UKai CN", "Noto Serif CJK SC"],
    "FangSong": ["FandolFang", "AR PL UKai CN", "Noto Serif CJK SC"],
    "楷体_GB2312": ["AR PL UKai CN", "FandolKai"],
    "楷体": ["AR PL UKai CN", "FandolKai"],
    "黑体": ["Noto Sans CJK SC", "FandolHei"],
    "SimHei": ["Noto Sans CJK SC"],
    "方正小标宋简体": ["Noto Serif CJK SC:bold", "Noto Serif CJK SC"],
    "宋体": ["Noto Serif CJK SC", "FandolSong"],
}


def write_aliases() -> Path:
    base = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "fontconfig" / "conf.d"
    base.mkdir(parents=True, exist_ok=True)
    fandol = "/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"
    parts = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">', "<fontconfig>"]
    if Path(fandol).is_dir():
        parts.append(f"  <dir>{fandol}</dir>")
    for family, prefer in ALIASES.items():
        names = "".join(f"<family>{p.split(':')[0]}</family>" for p in prefer)
        parts.append(f'  <alias binding="same"><family>{family}</family><prefer>{names}</prefer></alias>')
    # 方正小标宋 is a heavy Song face: embolden the substitute
    parts.append('  <match target="pattern"><test name="family"><string>方正小标宋简体</string></test>'
                 '<edit name="family" mode="assign" binding="same"><string>Noto Serif CJK SC</string></edit>'
                 '<edit name="weight" mode="assign"><const>bold</const></edit></match>')
    parts.append("</fontconfig>")
    conf = base / "60-xlreport-cjk.conf"
    conf.write_text("\n".join(parts) + "\n", encoding="utf-8")
    subprocess.run(["fc-cache", "-f"], check=False, stdout=subprocess.DEVNULL)
    return conf


def main() -> None:
    docx = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else docx.parent / (docx.stem + "_pages")
    out.mkdir(parents=True, exist_ok=True)
    write_aliases()
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(out), str(docx)], check=True,
                   stdout=subprocess.DEVNULL)
    pdf = out / (docx.stem + ".pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(out / "page")], check=True)
    for png in sorted(out.glob("page*.png")):
        print(png)


if __name__ == "__main__":
    main()
