"""Where heard finds its data (prompts, models) and keeps the user's files."""

from __future__ import annotations

import os
from pathlib import Path

_PKG = Path(__file__).resolve().parent


def prompts_dir() -> Path:
    """Editable scenario/lexicon/wording files.

    In a wheel they are packaged as ``heard/prompts``; in a source checkout
    they are the top-level ``prompts/`` folder. ``HEARD_PROMPTS`` overrides
    both so a facilitator can try an edited copy.
    """
    env = os.environ.get("HEARD_PROMPTS")
    if env:
        return Path(env)
    packaged = _PKG / "prompts"
    if packaged.is_dir():
        return packaged
    return _PKG.parent.parent / "prompts"


def source_root() -> Path | None:
    """The checkout root when running from source, else None."""
    root = _PKG.parent.parent
    return root if (root / "pyproject.toml").is_file() else None


def user_data_dir() -> Path:
    """Per-user data (profile, history, downloaded models), XDG style."""
    env = os.environ.get("HEARD_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "heard"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` readable only by its owner (0700)."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path
