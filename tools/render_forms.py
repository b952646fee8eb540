"""Run the demo and turn every Word form it produced into PDF and PNG pages, for a person to look at.

    .venv/bin/python tools/render_forms.py [OUT]      # default /tmp/hotline-forms

Needs LibreOffice (`soffice`) for the PDF and poppler's `pdftoppm` for the PNGs; without them
only the .docx files are written. Prints each file and its page count.

A machine without the bureau's fonts (宋体, 仿宋_GB2312, 黑体, 方正小标宋简体) would print the forms in
whatever font fontconfig picks first, often a Japanese or a Latin one; when Noto CJK SC is installed
(Debian: fonts-noto-cjk) the forms' fonts are mapped to it, serif for 宋体/仿宋, sans for 黑体.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.sandbox.demo import run_demo

SERIF, SANS = "Noto Serif CJK SC", "Noto Sans CJK SC"
FONTS = {"宋体": SERIF, "仿宋_GB2312": SERIF, "仿宋": SERIF, "方正小标宋简体": SERIF, "黑体": SANS}


def font_environment(out: Path) -> dict[str, str]:
    """soffice's environment, with the forms' Chinese font names mapped to Noto CJK SC when it is installed."""
    env = dict(os.environ)
    fc_list = shutil.which("fc-list")
    installed = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout if fc_list else ""
    if SERIF not in installed or SANS not in installed:
        return env
    aliases = "".join(f'<alias binding="same"><family>{name}</family><prefer><family>{noto}</family></prefer></alias>'
                      for name, noto in FONTS.items())
    conf = out / "fonts.conf"
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include>{aliases}</fontconfig>',
                    encoding="utf-8")
    env["FONTCONFIG_FILE"] = str(conf)
    return env


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "/tmp/hotline-forms")
    with contextlib.redirect_stdout(io.StringIO()):
        asyncio.run(run_demo(out))
    docs = sorted((out / "forms").glob("*.docx"))
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice:
        print("soffice not found: the .docx files are in", out / "forms")
    pdf_dir, png_dir = out / "pdf", out / "png"
    env = font_environment(out) if soffice else None
    for doc in docs:
        if not soffice:
            print(doc)
            continue
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(pdf_dir), str(doc)],
                       check=True, capture_output=True, env=env)
        pdf = pdf_dir / (doc.stem + ".pdf")
        pages = "?"
        if pdftoppm:
            png_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run([pdftoppm, "-png", "-r", "90", str(pdf), str(png_dir / doc.stem)], check=True)
            pages = sum(1 for p in png_dir.glob(f"{doc.stem}-*.png") if p.stem[len(doc.stem) + 1:].isdigit())
        print(f"{pdf}  {pages} page(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
