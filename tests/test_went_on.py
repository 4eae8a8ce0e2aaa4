"""Speech again just after a turn was judged over: the session listens on.

Real human speech (Debian's asterisk prompts, fetched by scripts/setup --test)
through the real VAD; no recogniser is needed to find speech.
"""

from __future__ import annotations

import numpy as np
import pytest

import human_speech
from heard.core.settings import RATE
from heard.listen.listener import ArraySource, TurnListener, went_on


@pytest.fixture(scope="module")
def sentences():
    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    cases = human_speech.complete_answers(limit=2, tail_s=0.0)
    return [c.samples[int(0.6 * RATE):] for c in cases]  # speech only (no lead room tone)


def test_a_second_sentence_after_a_short_pause_is_found_and_replayed(sentences):
    first, second = sentences
    listener = TurnListener(None)
    t0 = 100.0
    end = t0 + len(first) / RATE  # the first turn's audio ended here
    gap = human_speech.room_tone(0.35, seed=3)
    # The mic holds the first sentence (already taken), the pause, and the
    # second sentence: 0.3 s of it is enough to tell.
    captured = np.concatenate([first, gap, second])
    found, src = went_on(listener, ArraySource(captured, start=t0, pad_s=2.0), end, speech_s=0.1)
    assert found
    rest = listener.listen(src, 1.0, start=end)
    assert rest.kind == "turn"
    assert rest.speech_start == pytest.approx(0.35, abs=0.1)  # on the take's own timeline


def test_quiet_after_the_turn_is_not_more_of_the_answer(sentences):
    first, _ = sentences
    listener = TurnListener(None)
    t0 = 100.0
    end = t0 + len(first) / RATE
    captured = np.concatenate([first, human_speech.room_tone(0.6, seed=4)])
    found, src = went_on(listener, ArraySource(captured, start=t0, pad_s=2.0), end, speech_s=0.1)
    assert not found
    # What was read is handed back: listening on from `end` loses none of it.
    assert sum(len(c.samples) for c in src.chunks) >= 0.5 * RATE


def test_speech_not_yet_captured_is_not_waited_for(sentences):
    first, second = sentences
    listener = TurnListener(None)
    # A live microphone: the second sentence starts 2 s after the first, in real time.
    audio = np.concatenate([first, human_speech.room_tone(2.0, seed=5), second])
    src = ArraySource(audio, realtime=True)
    end = src.start + len(first) / RATE
    src.pos = len(first) // 480 * 480  # the first sentence was already read by the turn
    found, _ = went_on(listener, src, end, speech_s=0.1)
    assert not found  # only the quiet so far
