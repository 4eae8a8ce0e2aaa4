"""Cutting the take at the cue's end (or at an answer that came sooner): pure logic."""

import numpy as np
import pytest

from heard.core.settings import FRAME_SAMPLES, RATE
from heard.core.transcript import Transcript, Word
from heard.listen.listener import Turn
from heard.practice.session import PracticeSession


def turn(speech_start, speech_end, seconds=8.0):
    n = int(seconds / 0.03)
    mask = np.zeros(n, bool)
    mask[int(speech_start / 0.03): int(speech_end / 0.03)] = True
    return Turn("turn", np.arange(n * FRAME_SAMPLES, dtype=np.int64).astype(np.int16), mask,
                Transcript("yes", [Word("yes", speech_start + 0.1, speech_end, 1.0)]),
                speech_start, speech_end)


def test_an_answer_after_the_cue_is_timed_from_the_cue_end():
    whole = turn(4.0, 5.0)
    t, offset = PracticeSession._from_cue_end(whole, 3.0)
    assert offset == pytest.approx(0.0, abs=0.03)
    assert t.speech_start == pytest.approx(1.0, abs=0.03)
    assert t.transcript.words[0].start == pytest.approx(1.1, abs=0.03)
    assert len(t.samples) == len(t.mask) * FRAME_SAMPLES
    assert t.samples[0] == whole.samples[int(round(3.0 / 0.03)) * FRAME_SAMPLES]


def test_an_answer_over_the_cue_starts_the_take_and_the_cue_end_lies_inside_it():
    t, offset = PracticeSession._from_cue_end(turn(0.9, 4.0), 3.0)
    assert t.speech_start == pytest.approx(0.06, abs=0.03)  # a little before the answer
    assert offset == pytest.approx(3.0 - 0.84, abs=0.03)  # where the cue ended, in the take
    assert t.mask[:int(t.speech_start / 0.03) + 1].sum() <= 1
    assert len(t.samples) / RATE == pytest.approx(8.0 - 0.84, abs=0.03)
