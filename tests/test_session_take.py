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


@pytest.mark.slow
def test_an_answer_over_the_cue_is_measured_whole_and_read_as_rushed(ko_model):
    """A real turn: a human answer that began 1.5 s into the listening, over the
    cue, which stopped 0.3 s later (barge-in); the real listener, the session's
    cut and the real analysis."""
    import human_speech
    from heard.analysis.take import analyse_audio
    from heard.core.scenarios import get_scenario
    from heard.listen.listener import TurnListener, listen_array

    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    case = next(c for c in human_speech.complete_answers() if 2.0 <= c.speech_end - 0.6 <= 3.5)
    answer = case.samples[int(0.6 * RATE): int(case.speech_end * RATE)]  # speech from sample 0
    began, stopped = 1.5, 1.8  # the answer's first sample; the cue's end (it was cut)
    mic = np.concatenate([human_speech.room_tone(began), answer, human_speech.room_tone(3.0, seed=1)])
    whole = listen_array(TurnListener(ko_model), mic, listen_s=10)
    assert whole.kind == "turn" and whole.speech_start < stopped  # the take starts over the cue

    take, offset = PracticeSession._from_cue_end(whole, stopped)
    a = analyse_audio(get_scenario("bedtime-limit"), take.samples, take.transcript,
                      cue_end=offset, mask=take.mask)
    # How long the parent spoke: all of the answer, the part over the cue included.
    assert a.pacing.speech_s == pytest.approx(len(answer) / RATE, abs=0.15)
    # The wait: below zero, by as long as they talked over the cue, and called rushed.
    assert a.pacing.wait_s == pytest.approx(began - stopped, abs=0.1)
    rushed = [f for f in a.findings if f.id == "rushed_in"]
    assert rushed and "over the cue" in rushed[0].evidence
    assert rushed[0].start <= rushed[0].end
