"""The take's timeline when a microphone's capture stamps jitter.

A sound card hands over consecutive blocks of samples; the time stamp of each
block (from PortAudio's ADC time) wobbles by tens of milliseconds. The
samples must land on the timeline as they came: the wait before an answer is
judged to the hundredth (praise at 2.0 s), and a timeline that slid early
reported every wait about 0.025 s short through the PulseAudio rig.

Real webrtcvad on real human speech (tests/human_speech.py); the source is a
scripted microphone because the jitter must be known to test it.
"""

from __future__ import annotations

import numpy as np
import pytest

import human_speech
from heard.audio.capture import Chunk
from heard.core.settings import RATE
from heard.listen.listener import TurnListener

BLOCK = 480  # 30 ms, as MicCapture reads


class JitteryMic:
    """Consecutive blocks of ``samples``, each stamped with its true start plus jitter."""

    def __init__(self, samples: np.ndarray, t0: float, jitter_s: float, seed: int,
                 gap_at: float | None = None, gap_s: float = 0.0) -> None:
        self.samples, self.t0, self.pos = samples, t0, 0
        self.jitter = np.random.default_rng(seed).uniform(-jitter_s, jitter_s, len(samples) // BLOCK + 2)
        self.gap_at, self.gap_s = gap_at, gap_s

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self.pos + BLOCK > len(self.samples):
            raise EOFError
        k = self.pos // BLOCK
        start = self.pos / RATE
        x = self.samples[self.pos: self.pos + BLOCK]
        self.pos += BLOCK
        if self.gap_at is not None and self.gap_at <= start < self.gap_at + self.gap_s:
            return None  # muted: these blocks never reach the listener
        return Chunk(x, self.t0 + start + float(self.jitter[k]))


@pytest.fixture(scope="module")
def answer() -> np.ndarray:
    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    case = human_speech.complete_answers(limit=1)[0]
    return case.samples[int(0.6 * RATE): int(case.speech_end * RATE)]


def where(needle: np.ndarray, hay: np.ndarray, near: int, within: int) -> int | None:
    """Offset of ``needle`` in ``hay`` within ``within`` samples of ``near``, if it is there whole."""
    for d in range(-within, within + 1):
        a = near + d
        if 0 <= a and np.array_equal(hay[a: a + len(needle)], needle):
            return d
    return None


@pytest.mark.parametrize("seed", range(4))
def test_jittering_capture_stamps_do_not_move_the_answer(answer, seed):
    wait = 2.0
    take = np.concatenate([human_speech.room_tone(wait, seed=seed), answer,
                           human_speech.room_tone(2.5, seed=seed + 1)])
    t0 = 1000.0
    mic = JitteryMic(take, t0, 0.02, seed)
    turn = TurnListener(None).listen(mic, None, start=t0)
    assert turn.kind == "turn"
    # The first block sets the timeline (to within its own stamp's jitter); after
    # it every sample follows the one before: none lost, none added, no drift.
    first = int(round(mic.jitter[0] * RATE))  # > 0: silence before it; < 0: cut at time 0
    n = 4 * RATE
    got, sent = (turn.samples[first: first + n], take[:n]) if first >= 0 else \
        (turn.samples[:n], take[-first: n - first])
    assert np.array_equal(got, sent)
    assert where(answer, turn.samples, int(wait * RATE), int(0.02 * RATE)) is not None
    assert turn.speech_start == pytest.approx(wait, abs=0.03)


def test_a_muted_stretch_is_silence_on_the_timeline_and_the_rest_stays_in_place(answer):
    wait = 2.0
    take = np.concatenate([human_speech.room_tone(wait, seed=7), answer,
                           human_speech.room_tone(2.5, seed=8)])
    t0 = 50.0
    # 0.3-1.2 s never arrives (the mic was muted while heard spoke).
    turn = TurnListener(None).listen(JitteryMic(take, t0, 0.02, 9, gap_at=0.3, gap_s=0.9), None,
                                     start=t0)
    assert not turn.samples[int(0.36 * RATE): int(1.17 * RATE)].any()
    # The answer after it is whole, where it was said (give or take one stamp's jitter).
    assert where(answer, turn.samples, int(wait * RATE), int(0.02 * RATE)) is not None
    assert turn.speech_start == pytest.approx(wait, abs=0.03)
