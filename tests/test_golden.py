"""The golden transcript: the demo's day, as every person saw it, equal to tests/golden/demo.txt.

Any change of what users see (a text, a button, an order of messages) shows
here and in review. When the change is meant, refresh the file on purpose:

    HOTLINE_REFRESH_GOLDEN=1 .venv/bin/pytest -q tests/test_golden.py

and commit tests/golden/demo.txt with the change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from bot.sandbox.demo import run_demo

GOLDEN = Path(__file__).resolve().parent / "golden" / "demo.txt"
REFRESH = "HOTLINE_REFRESH_GOLDEN=1 .venv/bin/pytest -q tests/test_golden.py"
OUT = "<out>"  # stands for the demo's output directory, the only part of the transcript that varies


def normalise(lines: list[str], out_dir: Path) -> list[str]:
    """The transcript with the output directory (where the .docx files and the database go) as <out>."""
    text = "\n".join(lines)
    for path in {str(out_dir.resolve()), str(out_dir)}:
        text = text.replace(path, OUT)
    return text.splitlines()


async def test_the_demo_transcript_is_the_golden_one(tmp_path):
    echoed: list[str] = []
    assert await run_demo(tmp_path / "demo", echo=echoed.append) == 0
    actual = normalise(echoed, tmp_path / "demo")
    if os.environ.get("HOTLINE_REFRESH_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text("\n".join(actual) + "\n", encoding="utf-8")
        pytest.skip(f"refreshed {GOLDEN.relative_to(GOLDEN.parents[2])}; review its diff and commit it")
    assert GOLDEN.exists(), f"no golden transcript yet; write it with: {REFRESH}"
    expected = GOLDEN.read_text(encoding="utf-8").splitlines()
    if actual != expected:
        diff = difflib.unified_diff(expected, actual, "tests/golden/demo.txt", "the demo now", lineterm="", n=2)
        pytest.fail("the demo's transcript differs from tests/golden/demo.txt (- golden, + now).\n"
                    f"If the change is meant, refresh it with: {REFRESH}\n\n" + "\n".join(diff), pytrace=False)
