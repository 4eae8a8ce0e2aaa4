"""The listener's timing, pre-roll and end-of-turn logic, on scripted frames.

No espeak, no vosk, no end-of-turn model: the parts are scripted (see
turn_harness.py), the listener, endpointer and end-of-turn policy are real.
"""

import pytest

from heard.listen.endofturn import TurnPolicy
from turn_harness import FINISHED, UNFINISHED, F, run_turn

POLICY = TurnPolicy(checks_s=(0.25, 1.0), complete_at=(0.6, 0.6), ceiling_s=3.0,
                    not_done_words=frozenset({"and", "um"}))


def test_a_finished_answer_ends_at_the_first_check_not_after_a_long_silence():
    r = run_turn((1.0, 0), (1.2, FINISHED, "done"), (5.0, 0), policy=POLICY)
    t = r.turn
    assert t.kind == "turn" and t.reason == "complete"
    assert t.speech_end == pytest.approx(2.2, abs=F)
    # The decision came after a quarter-second pause, not the 1.2 s fixed silence.
    assert len(t.samples) / 16000 == pytest.approx(2.2 + 0.25, abs=2 * F)
    assert len(r.model.calls) == 1


@pytest.mark.parametrize("pause", [0.8, 1.5, 2.5])
def test_a_thinking_pause_that_sounds_unfinished_is_kept_whole(pause):
    r = run_turn((0.5, 0), (1.0, UNFINISHED), (pause, 0), (1.0, FINISHED), (5.0, 0),
                 policy=POLICY)
    assert r.turn.reason == "complete"
    assert r.turn.speech_end == pytest.approx(0.5 + 2.0 + pause, abs=F)


def test_an_unfinished_pause_ends_at_the_ceiling_and_no_sooner():
    r = run_turn((0.5, 0), (1.0, UNFINISHED), (6.0, 0), policy=POLICY)
    assert r.turn.reason == "silence"
    assert len(r.turn.samples) / 16000 == pytest.approx(1.5 + 3.0, abs=2 * F)
    assert len(r.model.calls) == len(POLICY.checks_s)  # asked at each check, not every frame


def test_a_last_word_that_means_more_is_coming_overrules_a_finished_sounding_voice():
    # The voice sounds finished but the words end on "and": keep listening.
    r = run_turn((0.5, 0), (1.0, FINISHED, "and"), (2.0, 0), (0.8, FINISHED, "more"), (4.0, 0),
                 policy=POLICY)
    assert r.turn.speech_end == pytest.approx(0.5 + 1.0 + 2.0 + 0.8, abs=F)
    assert r.turn.transcript.text == "and more"
    assert [v.why for v in r.turn.verdicts][:2] == ["words", "words"]
    assert r.turn.verdicts[-1].why == "model" and r.turn.verdicts[-1].complete


def test_without_the_model_a_fixed_silence_ends_the_turn():
    r = run_turn((0.5, 0), (1.0, FINISHED), (1.0, 0), (1.0, FINISHED), (3.0, 0),
                 policy=POLICY, model=False, end_silence_s=1.2)
    assert r.turn.reason == "silence"
    assert r.turn.speech_end == pytest.approx(3.5, abs=F)  # a 1.0 s pause is kept
    r = run_turn((0.5, 0), (1.0, FINISHED), (1.5, 0), (1.0, FINISHED), (3.0, 0),
                 policy=POLICY, model=False, end_silence_s=1.2)
    assert r.turn.speech_end == pytest.approx(1.5, abs=F)  # a 1.5 s pause is cut
    assert r.turn.verdicts == []


def test_the_model_reads_the_turn_from_the_pre_roll_and_at_most_8_s():
    r = run_turn((2.0, 0), (12.0, FINISHED), (2.0, 0), policy=POLICY, preroll_s=0.3,
                 max_turn_s=30)
    assert r.model.calls == [int(8.0 / F) * 480]
    r = run_turn((2.0, 0), (1.0, FINISHED), (2.0, 0), policy=POLICY, preroll_s=0.3)
    # pre-roll 0.3 + speech 1.0 + the silence up to the check (0.25 s, in whole frames)
    assert r.model.calls[0] / 16000 == pytest.approx(0.3 + 1.0 + 0.27, abs=F)


def test_the_recogniser_gets_the_pre_roll_and_word_times_on_the_take_timeline():
    r = run_turn((2.0, 0), (1.0, FINISHED, "yes"), (2.0, 0), policy=POLICY, preroll_s=0.4)
    assert r.recogniser.offset_s == pytest.approx(2.0 - 0.4, abs=F)
    assert r.turn.transcript.words[0].start == pytest.approx(2.0, abs=F)


def test_a_cough_is_not_a_turn_and_silence_through_the_window_is_an_answer():
    r = run_turn((1.0, 0), (0.09, FINISHED), (5.0, 0), policy=POLICY, listen_s=3.0)
    assert r.turn.kind == "silence"
    assert r.model.calls == []


def test_a_muted_stretch_after_time_zero_counts_in_the_wait():
    r = run_turn((0.5, 0), (1.0, FINISHED), (3.0, 0), policy=POLICY, start_offset_s=0.5)
    assert r.turn.speech_start == pytest.approx(1.0, abs=F)


def test_events_come_in_order_start_then_end():
    r = run_turn((0.5, 0), (1.0, FINISHED), (3.0, 0), policy=POLICY)
    assert [e.kind for e in r.events] == ["start", "end"]
    assert r.events[1].reason == "complete"


def test_a_short_opening_is_not_judged_finished_at_the_early_check():
    # "uh so" (0.5 s) sounding final, a pause, then the answer: the early check
    # does not end a turn with so little speech in it.
    r = run_turn((0.5, 0), (0.5, FINISHED), (0.7, 0), (1.5, FINISHED), (4.0, 0), policy=POLICY)
    assert r.turn.speech_end == pytest.approx(0.5 + 0.5 + 0.7 + 1.5, abs=F)
    assert r.turn.verdicts[0].why == "too short"
