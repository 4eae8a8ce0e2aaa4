"""The human-speech cases the turn-taking benchmark and tests are built on.

Their word times are what the benchmark's stand-in recogniser reads, so they
must sit on the case's own timeline: before the inserted pause, then after it.
"""

from __future__ import annotations

import numpy as np
import pytest

import human_speech
from heard.core.settings import RATE


@pytest.fixture(scope="module")
def cases():
    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    return human_speech.pause_cases(pauses=(1.5,))


def test_word_times_straddle_the_inserted_pause(cases):
    assert len(cases) >= 15
    for c in cases:
        before = [w for w in c.words if w[1] <= c.pause_at + 0.05]
        after = [w for w in c.words if w[0] >= c.pause_at + c.pause_s - 0.05]
        assert before and after and len(before) + len(after) == len(c.words), c.name
        assert before[-1][2].lower() in human_speech.CLAUSE_INTERNAL  # a pause inside a clause
        assert after[-1][1] == pytest.approx(c.speech_end, abs=0.05)


def test_the_inserted_pause_is_quiet_and_the_words_around_it_are_not(cases):
    def dbfs(a: float, b: float, x: np.ndarray) -> float:
        seg = x[int(a * RATE): int(b * RATE)].astype(np.float64) / 32768
        return 10 * np.log10(np.mean(seg * seg) + 1e-12)

    for c in cases:
        assert dbfs(c.pause_at + 0.1, c.pause_at + c.pause_s - 0.1, c.samples) < -55
        loud = max(dbfs(s, e, c.samples) for s, e, _ in c.words)
        assert loud > -40, c.name
