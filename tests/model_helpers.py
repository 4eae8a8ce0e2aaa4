"""Cheap copies of the real Korean model for tests that damage or move one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def linked_copy(src: Path, dst: Path) -> Path:
    """A copy of a model folder made of symlinks (the real one is ~250 MB).

    To damage one file, unlink its link and write the file anew: the real
    model is never touched.
    """
    shutil.copytree(src, dst, copy_function=os.symlink)
    return dst
