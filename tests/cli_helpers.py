"""Running the real ``heard`` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys

HEARD = [sys.executable, "-m", "heard"]


def run_heard(*args, env: dict | None = None, replace_env: bool = False, data_dir=None,
              stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """``heard ARGS...``; ``env`` adds to this process's environment (or replaces it)."""
    full = dict(env or {}) if replace_env else {**os.environ, **(env or {})}
    if data_dir is not None:
        full["HEARD_DATA_DIR"] = str(data_dir)
    return subprocess.run([*HEARD, *map(str, args)], capture_output=True, text=True, env=full,
                          input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                          timeout=timeout)


def one_line(err: str) -> str:
    """The single line of a message, failing if there is a traceback or more than one."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def assert_one_line_error(r: subprocess.CompletedProcess, prefix: str = "heard: ") -> str:
    """Bad input: exit 2 and one line on stderr, starting ``prefix``."""
    assert r.returncode == 2, r.stderr
    line = one_line(r.stderr)
    assert line.startswith(prefix), line
    return line
