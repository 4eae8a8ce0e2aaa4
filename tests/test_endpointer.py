"""The endpointer is pure: scripted speech/no-speech frames in, events out."""

import pytest

from heard.core.settings import EndpointSettings
from heard.listen.endpointer import Endpointer, State

F = 0.03  # frame seconds


def frames(*spec):
    """spec: (is_speech, seconds) pairs -> list of bools."""
    out = []
    for speech, secs in spec:
        out += [speech] * int(round(secs / F))
    return out


def run(ep, seq):
    events = []
    for b in seq:
        events += ep.push(b)
    return events


def test_turn_start_and_end_with_times():
    ep = Endpointer(EndpointSettings(start_s=0.3, end_silence_s=1.2))
    ev = run(ep, frames((False, 2.01), (True, 1.5), (False, 2.0)))
    kinds = [e.kind for e in ev]
    assert kinds == ["start", "end"]
    start, end = ev
    assert start.speech_start == pytest.approx(2.01, abs=F)
    assert end.speech_start == pytest.approx(2.01, abs=F)
    assert end.speech_end == pytest.approx(3.51, abs=F)
    # The decision comes end_silence_s after the speech ended.
    assert end.time == pytest.approx(3.51 + 1.2, abs=F)
    assert ep.state is State.DONE


def test_thinking_pause_shorter_than_end_silence_keeps_the_turn():
    ep = Endpointer(EndpointSettings(end_silence_s=1.2))
    ev = run(ep, frames((True, 1.0), (False, 0.9), (True, 1.0), (False, 1.5)))
    assert [e.kind for e in ev] == ["start", "end"]
    assert ev[1].speech_end == pytest.approx(2.9, abs=F)


def test_click_shorter_than_start_is_ignored():
    ep = Endpointer(EndpointSettings(start_s=0.3), listen_s=3.0)
    ev = run(ep, frames((True, 0.09), (False, 4.0)))
    assert [e.kind for e in ev] == ["silence"]


def test_silence_through_the_window_is_an_answer():
    ep = Endpointer(listen_s=5.0)
    ev = run(ep, frames((False, 6.0)))
    assert len(ev) == 1 and ev[0].kind == "silence"
    assert ev[0].time == pytest.approx(5.0, abs=F)
    assert run(ep, frames((True, 2.0))) == []  # done means done


def test_short_gap_inside_a_starting_word_still_starts():
    ep = Endpointer(EndpointSettings(start_s=0.3))
    ev = run(ep, frames((True, 0.15), (False, 0.09), (True, 0.3)))
    assert ev and ev[0].kind == "start"
    assert ev[0].speech_start == pytest.approx(0.0, abs=F)


def test_hard_cap_on_turn_length():
    ep = Endpointer(EndpointSettings(max_turn_s=5.0))
    ev = run(ep, frames((True, 8.0)))
    assert [e.kind for e in ev] == ["start", "end"]
    assert ev[1].reason == "max_turn"
    assert ev[1].time == pytest.approx(5.0, abs=2 * F)


def test_finish_closes_an_open_turn_at_end_of_file():
    ep = Endpointer()
    run(ep, frames((False, 0.5), (True, 1.0)))
    ev = ep.finish()
    assert ev[0].kind == "end" and ev[0].reason == "eof"
    assert ev[0].speech_end == pytest.approx(1.5, abs=F)


def test_reset_allows_a_new_turn():
    ep = Endpointer(listen_s=1.0)
    run(ep, frames((False, 1.5)))
    assert ep.state is State.DONE
    ep.reset()
    ev = run(ep, frames((True, 0.5)))
    assert ev[0].kind == "start" and ev[0].speech_start == pytest.approx(0.0)
