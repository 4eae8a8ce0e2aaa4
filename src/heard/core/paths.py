"""Where heard finds its data (prompts, models) and keeps the user's files."""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from heard.core.errors import HeardError

MAX_TOML_BYTES = 4_000_000  # the whole shipped prompts folder is well under 1 MB
_PKG = Path(__file__).resolve().parent.parent  # the heard package


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


DEFAULT_LANG = "en"


def language_dir(lang: str = DEFAULT_LANG) -> Path:
    """The folder of one language's word lists and wording (``prompts/<lang>/``)."""
    return prompts_dir() / lang


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file a facilitator may have edited; any problem is one line naming it.

    ``what`` says what the file is for ("lexicon file", "kiosk wording") so
    the message tells the user which of the many prompts files to fix.
    """
    path = Path(path)
    try:
        info = os.stat(path)  # before opening: a FIFO or a device must not block the read
        if stat.S_ISDIR(info.st_mode):
            raise HeardError(f"{what} {path}: cannot be read (it is a folder)")
        if not stat.S_ISREG(info.st_mode):
            raise HeardError(f"{what} {path.name} is not a regular file (a pipe or a device?); "
                             "replace it with a text file")
        if info.st_size > MAX_TOML_BYTES:
            raise HeardError(f"{what} {path.name} is {info.st_size} bytes, more than any prompts "
                             f"file needs ({MAX_TOML_BYTES}); is it the right file?")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise HeardError(f"{what} {path.name} nests too deeply to read; fix or restore it") from None
    except FileNotFoundError:
        raise HeardError(f"{what} {path} is missing; restore it (reinstall heard) or set "
                         "HEARD_PROMPTS to a folder that has it") from None
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise HeardError(f"{what} {path}: cannot be read ({why})") from None
    except tomllib.TOMLDecodeError as exc:
        raise HeardError(f"{what} {path.name} is not valid TOML ({exc}); fix or restore it"
                         ) from None


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
    """Create ``path`` readable only by its owner (0700).

    Missing parents heard creates (``~/.local``, ``~/.local/share``) are
    0700 too, as XDG asks, whatever the umask.
    """
    old = os.umask(0o077)
    try:
        path.mkdir(parents=True, exist_ok=True)
    finally:
        os.umask(old)
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass
    return path
