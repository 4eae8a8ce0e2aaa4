"""Keeping the user's calm baseline on disk (the value is ``heard.analysis.baseline``).

It is kept in the user data folder, readable only by the user (it describes
their voice). A damaged file never stops a session.
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from dataclasses import asdict, fields
from pathlib import Path

from heard.analysis.baseline import Baseline, baseline_from_prosody
from heard.core.paths import ensure_private_dir, user_data_dir

__all__ = ["Baseline", "baseline_from_prosody", "default_path", "load_baseline", "save_baseline"]

PROFILE_NAME = "profile.json"
# Logged, not raised or warnings.warn'd: with no logging set up Python prints a
# warning as one plain line on stderr, which is what the user should see.
log = logging.getLogger(__name__)


def default_path() -> Path:
    return user_data_dir() / PROFILE_NAME


def _positive_or_none(v) -> float | None:
    if v is None:
        return None
    v = float(v)
    if not math.isfinite(v) or v <= 0:
        raise ValueError("not a positive number")
    return v


def _from_json(data) -> Baseline:
    if not isinstance(data, dict):
        raise ValueError("not an object")
    missing = {f.name for f in fields(Baseline)} - data.keys()
    if missing:
        raise ValueError(f"missing {', '.join(sorted(missing))}")
    loud = float(data["loudness_db"])
    if not math.isfinite(loud):
        raise ValueError("loudness is not a number")
    return Baseline(
        f0_median_hz=_positive_or_none(data["f0_median_hz"]),
        loudness_db=loud,
        syllables_per_s=_positive_or_none(data["syllables_per_s"]),
        created=str(data["created"]),
    )


def load_baseline(path: str | os.PathLike | None = None) -> Baseline | None:
    """The saved baseline, or None when there is none or it is unusable.

    A damaged file never stops a practice session: it is logged as a warning
    and the take is compared with typical ranges instead.
    """
    path = Path(path) if path is not None else default_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("cannot read the voice profile %s (%s); record a calm baseline again", path, exc)
        return None
    try:
        return _from_json(json.loads(text))
    except (ValueError, TypeError) as exc:
        log.warning("the voice profile %s is damaged (%s); record a calm baseline again", path, exc)
        return None


def save_baseline(b: Baseline, path: str | os.PathLike | None = None) -> Path:
    """Write the baseline atomically, file 0600 in a 0700 folder."""
    path = Path(path) if path is not None else default_path()
    # Make our own folder private, never one the caller chose that already exists.
    if path.parent == default_path().parent or not path.parent.exists():
        ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=".profile-", suffix=".json", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(b), f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
