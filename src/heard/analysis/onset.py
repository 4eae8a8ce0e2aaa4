"""Where speech begins, to the millisecond, from the audio around the VAD's first frame.

The VAD decides per 30 ms frame, so its first speech frame starts up to a
frame before the voice (or, on a soft start, a frame after it). The wait
before answering is judged against thresholds (2.0 s "waited"), so a 20-30 ms
error decides praise. Here the onset is found on the samples: a fine energy
envelope near the VAD's frame, the noise floor measured just before it, the
first sustained rise well above that floor, walked back to where the rise left
the floor. Pure numpy over a fraction of a second of audio: bounded work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heard.core.settings import RATE


@dataclass(frozen=True)
class OnsetSettings:
    win_s: float = 0.005  # envelope window: short enough to place an onset within ms
    hop_s: float = 0.001
    # The noise floor is read over this span before the VAD frame (start, end
    # seconds before it): far enough back to be clear of a soft start.
    floor_span_s: tuple[float, float] = (0.3, 0.05)
    floor_percentile: float = 50.0
    back_s: float = 0.15  # how far before the VAD frame a soft start may begin
    ahead_s: float = 0.09  # how far after it (the VAD may flag a frame late)
    rise_db: float = 6.0  # speech: this far above the floor ...
    hold_s: float = 0.02  # ... for this long (a click is not speech)
    leave_db: float = 3.0  # the onset: where the envelope left the floor on the way up


def refine_onset(samples: np.ndarray, frame_start: float,
                 settings: OnsetSettings = OnsetSettings()) -> float:
    """The onset (seconds in ``samples``, 16 kHz) of speech the VAD found at ``frame_start``.

    Returns ``frame_start`` unchanged when there is too little audio before it
    to measure a floor, or no sustained rise near it.
    """
    s = settings
    x = np.asarray(samples, dtype=np.float64) / 32768.0
    win = max(1, int(round(s.win_s * RATE)))
    hop = max(1, int(round(s.hop_s * RATE)))
    a = max(0, int((frame_start - s.floor_span_s[0]) * RATE))
    b = min(len(x), int((frame_start + s.ahead_s + s.hold_s) * RATE) + win)
    seg = x[a:b]
    if len(seg) < 4 * win:
        return frame_start
    energy = np.concatenate([[0.0], np.cumsum(seg * seg)])
    starts = np.arange((len(seg) - win) // hop + 1) * hop
    db = 10 * np.log10((energy[starts + win] - energy[starts]) / win + 1e-12)
    times = (a + starts + win / 2) / RATE  # window centres
    before = times <= frame_start - s.floor_span_s[1]
    if before.sum() < 20:  # no room to hear the floor (speech at the very start)
        return frame_start
    floor = float(np.percentile(db[before], s.floor_percentile))
    hold = max(1, int(round(s.hold_s / s.hop_s)))
    loud = (db > floor + s.rise_db).astype(int)
    sustained = np.convolve(loud, np.ones(hold, int), "valid") >= hold
    lo = int(np.searchsorted(times, frame_start - s.back_s))
    hits = np.flatnonzero(sustained[lo:])
    if not len(hits):
        return frame_start
    i = lo + int(hits[0])
    while i > lo and db[i - 1] > floor + s.leave_db:
        i -= 1
    return float(times[i])


def refine_segments(samples: np.ndarray, segments: list[tuple[float, float]], after: float = 0.0,
                    settings: OnsetSettings = OnsetSettings()) -> list[tuple[float, float]]:
    """``segments`` with the start of the first one ending after ``after`` (the
    cue's end: the answer) placed on the audio; it stays after the segment before."""
    out = list(segments)
    for k, (start, end) in enumerate(out):
        if end > after:
            onset = refine_onset(samples, start, settings)
            low = out[k - 1][1] if k else 0.0
            out[k] = (min(max(onset, low), end), end)
            break
    return out
