"""A real headless Chromium (Debian's `chromium`, installed by scripts/setup --test).

Driven through its own command line: ``--dump-dom`` for the DOM after the
page loaded, ``--screenshot`` for pixels, ``--enable-logging=stderr`` for the
console. Report pages carry no script, so ANY console line from the page
(a CSP violation, a failed load) counts as an error.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
_CONSOLE = re.compile(r":CONSOLE[^\]]*\]\s*(.*)")


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is needed for the report-page tests; run scripts/setup --test")
    return exe


def _run(page: Path, *extra: str, width: int = 1280, height: int = 2000):
    with tempfile.TemporaryDirectory(prefix="heard-chromium-") as profile:
        r = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}",
                            f"--window-size={width},{height}", *extra, Path(page).resolve().as_uri()],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                           cwd=profile)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


def console_lines(stderr: str) -> list[str]:
    return [m.group(1) for m in _CONSOLE.finditer(stderr)]


def dump_dom(page: Path) -> tuple[str, list[str]]:
    """(the DOM as serialised after load, console messages)."""
    r = _run(page, "--dump-dom")
    return r.stdout, console_lines(r.stderr)


def screenshot(page: Path, width: int, height: int = 2000) -> np.ndarray:
    """The rendered page as an RGB array (height x width x 3)."""
    from PIL import Image  # comes with matplotlib

    with tempfile.TemporaryDirectory(prefix="heard-shot-") as d:
        out = Path(d) / "shot.png"
        r = _run(page, f"--screenshot={out}", width=width, height=height)
        assert out.is_file(), r.stderr[-2000:]
        with Image.open(out) as im:
            return np.asarray(im.convert("RGB"))


def assert_not_blank(pixels: np.ndarray) -> None:
    """Something drawn: many non-white pixels and real variation, not one flat colour."""
    grey = pixels.mean(axis=2)
    inked = float((grey < 200).mean())
    assert inked > 0.01, f"only {inked:.2%} of the screenshot has anything on it"
    assert float(grey.std()) > 10, "the screenshot is one flat colour"
    # Colour, not only grey: the plots' Okabe-Ito blue and orange are there.
    spread = pixels.max(axis=2).astype(int) - pixels.min(axis=2)
    assert float((spread > 60).mean()) > 0.002, "no coloured marks on the page"


def print_pdf(page: Path) -> bytes:
    """The page printed by Chromium (its print stylesheet), as PDF bytes."""
    with tempfile.TemporaryDirectory(prefix="heard-pdf-") as d:
        out = Path(d) / "page.pdf"
        _run(page, "--no-pdf-header-footer", f"--print-to-pdf={out}")
        return out.read_bytes()


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """(width, height) in points of each page of a PDF, from its MediaBox entries."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    count = len(re.findall(rb"/Type\s*/Page\b", pdf))
    sizes = [(float(x1) - float(x0), float(y1) - float(y0)) for x0, y0, x1, y1 in boxes]
    assert sizes and len(sizes) in (1, count), "cannot read the PDF's page sizes"
    return sizes * count if len(sizes) == 1 else sizes
