"""Real test speech: synthesised at test time with espeak-ng, known text and silences."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from heard.audio.wavio import RATE, read_wav, write_wav


def espeak(text: str, voice: str = "en-us", pitch: int = 50, speed: int = 150,
           amplitude: int = 100) -> np.ndarray:
    """Speak ``text`` with espeak-ng; return 16 kHz mono int16, trimmed of edge silence."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "s.wav"
        subprocess.run(
            ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(speed),
             "-a", str(amplitude), "-w", str(out), text],
            check=True, capture_output=True,
        )
        x = read_wav(out)
    return trim(x)


def trim(x: np.ndarray, thresh: int = 200) -> np.ndarray:
    """Cut leading/trailing near-silence so test timings are exact."""
    idx = np.flatnonzero(np.abs(x.astype(np.int32)) > thresh)
    if len(idx) == 0:
        return x[:0]
    return x[idx[0]: idx[-1] + 1]


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(round(seconds * RATE)), dtype=np.int16)


def concat(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray(p, dtype=np.int16) for p in parts])


def save(path: Path, samples: np.ndarray, rate: int = RATE) -> Path:
    write_wav(path, samples, rate)
    return path
