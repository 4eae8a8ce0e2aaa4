"""Make docs/report-take.png: a take page as the README shows it.

A real espeak-ng take (see tests/report_helpers.py for how its words are
timed), analysed for real against a calm calibration, rendered by headless
Chromium. Run: .venv/bin/python scripts/docs_screenshot.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import FLAGS, chromium  # noqa: E402
from heard.report.page import write_page  # noqa: E402
from heard.report.takepage import take_page  # noqa: E402
from report_helpers import calm_baseline, take_json  # noqa: E402

WIDTH, HEIGHT = 900, 2300


def main() -> int:
    out = ROOT / "docs" / "report-take.png"
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        take = take_json(tmp, ["You really want a cookie.", "But you need to stop crying now."],
                         baseline=calm_baseline(tmp))
        page = write_page(tmp / "take.html", take_page(take, when="take.wav"))
        subprocess.run([chromium(), *FLAGS, f"--user-data-dir={tmp / 'profile'}",
                        f"--window-size={WIDTH},{HEIGHT}", f"--screenshot={out}", page.as_uri()],
                       check=True, capture_output=True, cwd=tmp, timeout=120)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
