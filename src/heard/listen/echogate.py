"""Keep heard's own voice out of the take while the mic stays open.

The parent may answer while the child's cue is still playing (barge-in), so
the microphone is not muted then. Without echo cancellation the mic also
hears the cue; this gate wraps the VAD and, while (and just after) a known
sound plays, compares the mic with what was played: where the mic's loudness
rises and falls with the played sound (at some delay, at some level) it is
the echo, not the parent. A voice over the echo, or a mic with no echo path
at all (a headset, the test rig), does not follow the played sound and
passes. No calibration, no level assumptions: only the shape (dB for dB) over
the last 0.9 s where something was playing, at delays up to ``max_delay_s``.

The delays are counted from when the sound was really heard, not from when it
was handed to the device: a sink that buffers, or a Bluetooth or HDMI sink
waking up, plays it up to a second later, and its echo would then fall
outside every delay searched (taken for the parent, the cue cut itself off).
The player knows (its DAC times) and says so with ``started``.
"""

from __future__ import annotations

import threading
from collections import deque

import numpy as np

from heard.core.settings import FRAME_SAMPLES, RATE
from heard.listen.vad import frame_dbfs

FRAME_S = FRAME_SAMPLES / RATE
_FLOOR_DB = -90.0
_AUDIBLE_DB = -45.0  # played frames quieter than this leave no echo worth the name
_SILENT_DB = -80.0  # a mic this quiet while we play hears none of it (no room, no noise)


def _smooth(db: np.ndarray) -> np.ndarray:
    """Loudest of each frame and its neighbours: an echo a fraction of a frame
    late still lines up with what was played."""
    if len(db) < 3:
        return db
    return np.maximum(np.maximum(db, np.r_[db[:1], db[:-1]]), np.r_[db[1:], db[-1:]])


class EchoGate:
    """A VAD part: ``expect`` a sound about to be played, then feed frames as usual."""

    def __init__(self, vad, follow: float = 0.8, window_s: float = 0.9,
                 max_delay_s: float = 0.3, tail_s: float = 0.3, margin_db: float = 10.0) -> None:
        self.vad = vad
        self.margin_db = margin_db
        self._coupling: deque[float] = deque(maxlen=1000)  # mic minus played dB on echo frames
        self.follow = follow  # correlation above which the mic is taken for the echo
        self.window = max(4, int(round(window_s / FRAME_S)))
        self.max_lag = int(round(max_delay_s / FRAME_S))
        self.tail = int(round(tail_s / FRAME_S))  # room echo after the sound ended
        self._played = np.zeros(0)  # dBFS per frame of the expected sound
        self._smoothed = self._played
        self._quiet = 0  # frames of this sound that left no trace in the mic
        self._offset = 0  # its first frame, in frames from the turn's time 0
        self._mic: deque[float] = deque(maxlen=self.window)
        self._n = 0
        # started/ended come from the player's thread while frames are fed on the
        # listener's: the sound's place on the timeline changes only between frames.
        self._lock = threading.Lock()

    def expect(self, samples: np.ndarray, offset_s: float) -> None:
        """``samples`` (16 kHz) start playing ``offset_s`` after the next turn's time 0
        (a first guess: ``started`` moves it to when the device really played them)."""
        x = np.asarray(samples)
        n = len(x) // FRAME_SAMPLES
        played = np.array([max(_FLOOR_DB, frame_dbfs(x[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES]))
                           for i in range(n)]) if n else np.zeros(0)
        with self._lock:
            self._played, self._smoothed = played, _smooth(played)
            self._offset = int(round(offset_s / FRAME_S))
            self._quiet = 0

    def started(self, offset_s: float) -> None:
        """The sound's first sample is heard ``offset_s`` after time 0, by the
        device's own schedule. Safe from another thread (the player's); may come
        again as the schedule firms up (a sink waking late moves it)."""
        with self._lock:
            self._offset = int(round(offset_s / FRAME_S))

    def ended(self, offset_s: float) -> None:
        """The sound stopped ``offset_s`` after time 0 (cut short, or the device
        played it sooner than expected): nothing of it comes after that."""
        with self._lock:
            n = max(0, int(round(offset_s / FRAME_S)) - self._offset)
            played = self._played[:n]
            self._smoothed, self._played = _smooth(played), played

    def clear(self) -> None:
        with self._lock:
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
        mic = _smooth(np.array(self._mic))
        if len(mic) < 4 or mic.std() < 1.0:
            return 0.0
        played = np.concatenate([np.full(self.window + self.max_lag, _FLOOR_DB), self._smoothed,
                                 np.full(self.window + self.max_lag + self.tail, _FLOOR_DB)])
        end = i - self._offset + self.window + self.max_lag + 1  # index of frame i, +1
        best = 0.0
        for lag in range(self.max_lag + 1):
            seg = played[end - lag - len(mic): end - lag]
            if len(seg) != len(mic) or seg[-1] < _AUDIBLE_DB:
                continue  # nothing was playing then: this frame cannot be its echo
            # Only where something was playing: silence in both says nothing.
            keep = seg >= _AUDIBLE_DB
            if keep.sum() < 6:
                return 1.0  # the sound has only just begun: too soon to tell, take it for echo
            m, seg = mic[keep], seg[keep]
            if m.std() < 1.0 or seg.std() < 1.0:
                continue
            # An echo follows the played loudness dB for dB (a room scales it,
            # it does not stretch it): a voice that merely rises and falls at
            # the same moments, by other amounts, is not the echo.
            slope = float(np.cov(m, seg)[0, 1] / seg.var(ddof=1))
            if 0.6 <= slope <= 1.6:
                best = max(best, float(np.corrcoef(m, seg)[0, 1]))
        return best

    def _played_now(self, i: int) -> float:
        """The played level a whole max_delay ago: its echo is due by now."""
        k = i - self._offset - self.max_lag
        return float(self._played[k]) if 0 <= k < len(self._played) else _FLOOR_DB

    def _loudest_played(self, i: int) -> float:
        k = i - self._offset
        lo, hi = max(0, k - self.max_lag), min(len(self._played), k + 1)
        return float(self._played[lo:hi].max()) if hi > lo else _FLOOR_DB

    def is_speech(self, frame: np.ndarray) -> bool:
        i = self._n
        self._n += 1
        speech = self.vad.is_speech(frame)
        mic = max(_FLOOR_DB, frame_dbfs(frame))
        self._mic.append(mic)
        with self._lock:
            return self._judge(i, speech, mic)

    def _judge(self, i: int, speech: bool, mic: float) -> bool:
        """The VAD's ``speech`` for frame ``i``, unless it is the played sound's echo."""
        if not self._active(i):
            return speech
        played = self._loudest_played(i)
        if not speech and self._played_now(i) >= _AUDIBLE_DB and mic < _SILENT_DB:
            self._quiet += 1  # loud sound out, digital silence in: no echo path at all
        if not speech or self._quiet >= 10:
            return speech
        if self.follows_played(i) >= self.follow:
            if played >= _AUDIBLE_DB:
                self._coupling.append(mic - played)  # how loud the echo is, learned on the device
            return False
        if len(self._coupling) >= 15 and played >= _AUDIBLE_DB:
            # Where the shape cannot tell (a word after a pause), the level can:
            # a voice must be clearly louder than this device's echo.
            return mic > played + float(np.median(self._coupling)) + self.margin_db
        return True
