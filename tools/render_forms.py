"""Run the demo, and the variants of tools/form_variants.py (every channel and result the demo's day does not
print), and turn every Word form they produced into PDF and PNG pages, for a person to look at.

    .venv/bin/python tools/render_forms.py [OUT]      # default /tmp/hotline-forms

The demo's forms go to OUT/forms, OUT/pdf and OUT/png; the variants' to OUT/variants/{forms,pdf,png}.
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

from form_variants import write_variants  # tools/, next to this script

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


def pages_of(png_dir: Path, stem: str) -> list[Path]:
    """<stem>-1.png, <stem>-2.png …, not <stem>-masked-1.png."""
    return [p for p in png_dir.glob(f"{stem}-*.png") if p.stem[len(stem) + 1:].isdigit()]


def render(doc: Path, out: Path, env: dict[str, str] | None) -> str:
    """DOC as OUT/pdf/<name>.pdf and OUT/png/<name>-<page>.png: the line to print, with its page count."""
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice:
        return str(doc)
    pdf_dir, png_dir = out / "pdf", out / "png"
    subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(pdf_dir), str(doc)],
                   check=True, capture_output=True, env=env)
    pdf = pdf_dir / (doc.stem + ".pdf")
    pages = "?"
    if pdftoppm:
        png_dir.mkdir(parents=True, exist_ok=True)
        for page in pages_of(png_dir, doc.stem):  # an earlier run's, perhaps of more pages
            page.unlink()
        subprocess.run([pdftoppm, "-png", "-r", "90", str(pdf), str(png_dir / doc.stem)], check=True)
        pages = len(pages_of(png_dir, doc.stem))
    return f"{pdf}  {pages} page(s)"


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "/tmp/hotline-forms")
    with contextlib.redirect_stdout(io.StringIO()):
        asyncio.run(run_demo(out))
    variants = write_variants(out / "variants")
    soffice = shutil.which("soffice")
    if not soffice:
        print("soffice not found: the .docx files are in", out / "forms", "and", out / "variants" / "forms")
    env = font_environment(out) if soffice else None
    for doc in sorted((out / "forms").glob("*.docx")):
        print(render(doc, out, env))
    for what, doc in variants:
        print(f"{render(doc, out / 'variants', env)}  — {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
