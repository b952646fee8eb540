"""Run the demo and turn every Word form it produced into PDF and PNG pages, for a person to look at.

    .venv/bin/python tools/render_forms.py [OUT]      # default /tmp/hotline-forms

Needs LibreOffice (`soffice`) for the PDF and poppler's `pdftoppm` for the PNGs; without them
only the .docx files are written. Prints each file and its page count.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
import subprocess
import sys
from pathlib import Path

from bot.sandbox.demo import run_demo


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "/tmp/hotline-forms")
    with contextlib.redirect_stdout(io.StringIO()):
        asyncio.run(run_demo(out))
    docs = sorted((out / "forms").glob("*.docx"))
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice:
        print("soffice not found: the .docx files are in", out / "forms")
    pdf_dir, png_dir = out / "pdf", out / "png"
    for doc in docs:
        if not soffice:
            print(doc)
            continue
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(pdf_dir), str(doc)],
                       check=True, capture_output=True)
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
