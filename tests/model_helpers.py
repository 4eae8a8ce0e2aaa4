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


def undithered_copy(src: Path, dst: Path) -> Path:
    """A linked copy whose features are computed without dither.

    Kaldi adds random dither to every frame before its features, from one
    random stream per process, so the same audio decoded twice in one process
    may give other words (vosk-api#868; seen here: '지켜야' then '쥐어 야').
    A test that compares two decodes of the same audio needs this copy; the
    product keeps the model as it is.
    """
    linked_copy(src, dst)
    conf = dst / "conf" / "mfcc.conf"
    text = conf.read_text()
    conf.unlink()
    conf.write_text(text.rstrip("\n") + "\n--dither=0\n")
    return dst
