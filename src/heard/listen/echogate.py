"""Keep heard's own voice out of the take while the mic stays open.

The parent may answer while the child's cue is still playing (barge-in), so
the microphone is not muted then. Without echo cancellation the mic also
hears the cue; this gate wraps the VAD and, while (and just after) a known
sound plays, compares the mic with what was played: where the mic's loudness
rises and falls with the played sound (at some delay, at some level) it is
the echo, not the parent. A voice over the echo, or a mic with no echo path
at all (a headset, the test rig), does not follow the played sound and
passes. No calibration, no level assumptions: only the shape over the last
half second, at delays up to ``max_delay_s``.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from heard.core.settings import FRAME_SAMPLES, RATE
from heard.listen.vad import frame_dbfs

FRAME_S = FRAME_SAMPLES / RATE
_FLOOR_DB = -90.0


class EchoGate:
    """A VAD part: ``expect`` a sound about to be played, then feed frames as usual."""

    def __init__(self, vad, follow: float = 0.7, window_s: float = 0.48,
                 max_delay_s: float = 0.3, tail_s: float = 0.3) -> None:
        self.vad = vad
        self.follow = follow  # correlation above which the mic is taken for the echo
        self.window = max(4, int(round(window_s / FRAME_S)))
        self.max_lag = int(round(max_delay_s / FRAME_S))
        self.tail = int(round(tail_s / FRAME_S))  # room echo after the sound ended
        self._played = np.zeros(0)  # dBFS per frame of the expected sound
        self._offset = 0  # its first frame, in frames from the turn's time 0
        self._mic: deque[float] = deque(maxlen=self.window)
        self._n = 0

    def expect(self, samples: np.ndarray, offset_s: float) -> None:
        """``samples`` (16 kHz) start playing ``offset_s`` after the next turn's time 0."""
        x = np.asarray(samples)
        n = len(x) // FRAME_SAMPLES
        self._played = np.array([max(_FLOOR_DB, frame_dbfs(x[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES]))
                                 for i in range(n)]) if n else np.zeros(0)
        self._offset = int(round(offset_s / FRAME_S))

    def clear(self) -> None:
        self._played = np.zeros(0)

    def reset(self) -> None:
        self.vad.reset()
        self._mic.clear()
        self._n = 0

    def _active(self, i: int) -> bool:
        k = i - self._offset
        return bool(len(self._played)) and 0 <= k < len(self._played) + self.max_lag + self.tail

    def follows_played(self, i: int) -> float:
        """How closely the mic's loudness over the last window follows the played
        sound's, at the best delay (correlation, -1..1; 0 when either is flat)."""
        mic = np.array(self._mic)
        if len(mic) < 4 or mic.std() < 1.0:
            return 0.0
        played = np.concatenate([np.full(self.window + self.max_lag, _FLOOR_DB), self._played,
                                 np.full(self.window + self.max_lag + self.tail, _FLOOR_DB)])
        end = i - self._offset + self.window + self.max_lag + 1  # index of frame i, +1
        best = 0.0
        for lag in range(self.max_lag + 1):
            seg = played[end - lag - len(mic): end - lag]
            if len(seg) == len(mic) and seg.std() >= 1.0:
                best = max(best, float(np.corrcoef(mic, seg)[0, 1]))
        return best

    def is_speech(self, frame: np.ndarray) -> bool:
        i = self._n
        self._n += 1
        speech = self.vad.is_speech(frame)
        self._mic.append(max(_FLOOR_DB, frame_dbfs(frame)))
        if not speech or not self._active(i):
            return speech
        return self.follows_played(i) < self.follow
