"""The README's quick-start scripts, as a newcomer runs them."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_run_without_internet_says_how_to_get_a_model(tmp_path):
    env = {**os.environ, "HEARD_DATA_DIR": str(tmp_path / "data"), "HOME": str(tmp_path),
           # A closed local port stands in for "no internet": nothing leaves the machine.
           "HEARD_MODEL_BASE_URL": "http://127.0.0.1:9/"}
    env.pop("HEARD_MODEL", None)
    probe = subprocess.run([str(REPO / ".venv/bin/heard"), "models", "path"], env=env,
                           capture_output=True, text=True)
    if probe.returncode == 0:
        pytest.skip(f"a model is installed here ({probe.stdout.strip()}), so run would start")
    r = subprocess.run([str(REPO / "scripts/run"), "--no-speak"], env=env, capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("heard: could not download")
    assert "by hand" in last and "models" in last
