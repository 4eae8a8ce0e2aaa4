"""Speech/no-speech per 30 ms frame: webrtcvad plus an energy gate."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import webrtcvad

from heard.core.settings import FRAME_MS, FRAME_SAMPLES, RATE, VadSettings


def frame_dbfs(frame: np.ndarray) -> float:
    x = frame.astype(np.float64) / 32768.0
    rms = np.sqrt(np.mean(x * x)) if len(x) else 0.0
    return 20 * np.log10(max(rms, 1e-9))


class FrameVad:
    """Stateful frame classifier. Feed consecutive 30 ms int16 frames at 16 kHz."""

    def __init__(self, settings: VadSettings = VadSettings()) -> None:
        self.settings = settings
        self._vad = webrtcvad.Vad(settings.mode)
        self.reset()

    def reset(self) -> None:
        self._noise_db = -70.0

    def is_speech(self, frame: np.ndarray) -> bool:
        if len(frame) != FRAME_SAMPLES:
            raise ValueError(f"frame must be {FRAME_SAMPLES} samples")
        db = frame_dbfs(frame)
        voiced = self._vad.is_speech(np.ascontiguousarray(frame, dtype="<i2").tobytes(), RATE)
        gate = db > self.settings.floor_dbfs and db > self._noise_db + self.settings.above_noise_db
        speech = voiced and gate
        # Track the noise floor: fall fast to quiet frames, rise slowly on non-speech.
        if not speech:
            rate = 0.5 if db < self._noise_db else 0.02
            self._noise_db += rate * (db - self._noise_db)
        return speech


def iter_frames(samples: np.ndarray) -> Iterator[np.ndarray]:
    """Split 16 kHz int16 audio into whole 30 ms frames (a short tail is dropped)."""
    for i in range(0, len(samples) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        yield samples[i: i + FRAME_SAMPLES]


def speech_mask(samples: np.ndarray, settings: VadSettings = VadSettings()) -> np.ndarray:
    """One bool per 30 ms frame."""
    vad = FrameVad(settings)
    return np.array([vad.is_speech(f) for f in iter_frames(samples)], dtype=bool)


def speech_fraction(samples: np.ndarray, settings: VadSettings = VadSettings()) -> float:
    m = speech_mask(samples, settings)
    return float(m.mean()) if len(m) else 0.0


FRAME_S = FRAME_MS / 1000.0
