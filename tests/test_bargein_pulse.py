"""Barge-in through a real (virtual) microphone and speaker.

A parent who starts answering over the child's cue silences it, and the whole
answer is taken. How soon the cue stops is measured by scripts/bench_bargein.py,
not asserted here. The rig's microphone is a FIFO with no echo path, except
where a test gives it a room (pulse.add_room: the speaker's sound comes back);
the echo gate's own cases are tests/test_echogate.py's.
"""

import io
import os
import threading
import time

import pytest

import human_speech
from heard.core.settings import RATE
from heard.practice.controls import KeyInput
from heard.practice.session import PracticeSession, SessionSettings
from pulse import FifoWriter, MonitorRecorder, add_room, pulse_server, rig  # noqa: F401 - the fixtures
from scene_helpers import short_prompts

pytestmark = [pytest.mark.slow, pytest.mark.pulse]

SCENARIO = "bedtime-limit"  # a long cue: "No! I want to stay up late! Like yesterday!"


@pytest.fixture(autouse=True)
def short_scene(tmp_path, monkeypatch):
    """A one-line narration: these tests judge the cue, the answer and the feedback,
    and the scene's own narration is seconds of real-time playback before them."""
    short_prompts(tmp_path, SCENARIO, monkeypatch)


def _session(ko_model, events: list, on_event=None) -> PracticeSession:
    settings = SessionSettings(scenarios=(SCENARIO,), input_device="pulse", output_device="pulse",
                               lang="ko", once=True)
    s = PracticeSession(settings, model=ko_model, keys=KeyInput(read=False), out=io.StringIO())

    def record(name: str, data: dict) -> None:
        events.append((time.monotonic(), name, data))
        if on_event is not None:
            on_event(name, data)
    s.on_event.append(record)
    return s


def _run(session: PracticeSession) -> int:
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("rc", session.run()), daemon=True)
    t.start()
    t.join(180)
    assert not t.is_alive(), "the session did not finish"
    return box["rc"]


def _first(events, name):
    return next((t, d) for t, n, d in events if n == name)


def test_a_human_answer_over_the_cue_silences_it_and_is_taken_whole(ko_model, rig):
    writer, monitor = rig
    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    case = next(c for c in human_speech.complete_answers() if 2.0 <= c.speech_end - 0.6 <= 3.5)
    answer = case.samples[int(0.6 * RATE): int(case.speech_end * RATE)]  # speech from sample 0
    events: list = []
    # 1.5 s after the cue starts playing: inside its long middle phrase.
    session = _session(ko_model, events, lambda name, d: writer.say(
        answer, at=time.monotonic() + 1.5, label="answer") if name == "cue_playing" else None)
    assert _run(session) == 0

    answer_at = writer.started["answer"]
    answer_end = answer_at + len(answer) / RATE
    played_at, playing = _first(events, "cue_playing")
    natural_end = played_at + playing["seconds"]
    assert answer_at < natural_end - 2.0  # it really began well inside the cue
    # The child fell silent: the cue's sound ended soon after the answer began,
    # long before the cue would have ended, while the parent was still talking.
    cue_sound = [s for s in monitor.loud_spans(gap_s=0.3) if s[0] < answer_at + 0.5]
    assert cue_sound and cue_sound[-1][1] < min(natural_end - 1.0, answer_end - 1.0), \
        (cue_sound, answer_at, natural_end)
    print(f"\ncue silent {cue_sound[-1][1] - answer_at:.2f} s after the answer began")
    # The answer is taken whole: from its first sound to its last.
    take = session.takes[0]
    assert take.turn.kind == "turn" and take.turn.transcript.words
    assert take.turn.speech_end - take.turn.speech_start == pytest.approx(len(answer) / RATE,
                                                                          abs=0.3)
    assert take.turn.speech_start < 0.2  # the take begins with the answer, not after it
    # All of it counts as spoken, the part over the cue too; the wait is below
    # zero by that part (from the answer's start to the cue's end, as the session
    # saw them), a rushed start.
    pace = take.analysis.pacing
    assert pace.speech_s == pytest.approx(len(answer) / RATE, abs=0.3)
    print(f"wait {pace.wait_s:+.2f} s; the answer entered the mic {answer_at - take.cue_end:+.2f} s "
          "from the cue's end")
    assert pace.wait_s < 0
    assert pace.wait_s == pytest.approx(answer_at - take.cue_end, abs=0.15)
    assert "rushed_in" in [f.id for f in take.analysis.findings]



def test_a_cue_heard_late_is_not_cut_by_its_own_echo_and_an_answer_still_stops_it(ko_model, rig,
                                                                                 pulse_server):
    # A room: the speaker comes back into the mic 0.05 s later, 5 dB down, over
    # room tone. A sleeping sink: the cue is heard only when it wakes, 0.6 s after
    # it was handed over. Its echo then arrives long after the gate used to look
    # for it (0.3 s from the hand-over): the child's own voice stopped the cue.
    writer, monitor = rig
    os.environ["PULSE_SOURCE"] = add_room(pulse_server)  # the fixture puts it back
    writer.room_tone = -62.0
    case = next(c for c in human_speech.complete_answers() if 2.0 <= c.speech_end - 0.6 <= 3.5)
    answer = case.samples[int(0.6 * RATE): int(case.speech_end * RATE)]
    wake_s, answer_s = 0.6, 1.5  # the sink wakes; the parent answers this far into the heard cue

    def on_event(name: str, d: dict) -> None:
        if name == "cue_start":  # before the player opens its stream
            pulse_server.pactl("suspend-sink", "spk", "1")
        elif name == "cue_playing":
            now = time.monotonic()
            threading.Timer(wake_s, pulse_server.pactl, ("suspend-sink", "spk", "0")).start()
            writer.say(answer, at=now + wake_s + answer_s, label="answer")
    events: list = []
    session = _session(ko_model, events, on_event)
    assert _run(session) == 0

    answer_at = writer.started["answer"]
    played_at, playing = _first(events, "cue_playing")
    cue = [s for s in monitor.loud_spans(gap_s=0.3) if played_at < s[1] and s[0] < answer_at + 0.5]
    assert cue, "the cue was not heard"
    heard_at, silent_at = cue[0][0], cue[-1][1]
    print(f"\ncue heard {heard_at - played_at:.2f} s after it was handed over; silent "
          f"{silent_at - answer_at:+.2f} s from the answer's start")
    assert heard_at - played_at >= wake_s - 0.1  # it really was heard late
    # Still playing when the parent began: its own echo did not stop it...
    assert silent_at > answer_at
    # ...the parent did, long before its natural end, and their answer is the take.
    assert silent_at < heard_at + playing["seconds"] - 0.5
    take = session.takes[0]
    assert take.turn.kind == "turn" and take.turn.transcript.words
    assert take.turn.speech_start < 0.2
    assert take.analysis.pacing.speech_s == pytest.approx(len(answer) / RATE, abs=0.3)


def test_the_feedback_heard_back_through_the_room_does_not_stop_itself(ko_model, rig, pulse_server):
    # The feedback's first moments play with the microphone open (a parent who
    # goes on stops it). In a room, the mic hears the feedback too; that echo
    # must not count as the parent going on.
    writer, monitor = rig
    os.environ["PULSE_SOURCE"] = add_room(pulse_server)  # the fixture puts it back
    writer.room_tone = -62.0
    case = next(c for c in human_speech.complete_answers() if 2.0 <= c.speech_end - 0.6 <= 3.5)
    answer = case.samples[int(0.6 * RATE): int(case.speech_end * RATE)]

    def on_event(name: str, d: dict) -> None:
        if name == "listening":
            writer.say(answer, at=d["cue_end"] + 1.0, label="answer")
    events: list = []
    session = _session(ko_model, events, on_event)
    assert _run(session) == 0
    assert len(session.takes) == 1 and session.takes[0].turn.kind == "turn"
    playing = [(t, d) for t, n, d in events if n == "feedback_playing"]
    assert len(playing) == 1, "the feedback stopped itself and was given again"
    start, data = playing[0]
    end = next(d["end"] for t, n, d in events if n == "feedback_end")
    heard = sum(b - a for a, b in monitor.loud_spans() if a >= start - 0.1)
    # Played to its end: the player drops the synthesiser's inaudible lead and tail
    # (up to about 0.5 s together, more or less with the words), so allow 1 s. Stopped
    # by its own echo, it would have ended within its first interrupt_s (1.5 s).
    assert end - start >= data["seconds"] - 1.0, (end - start, data["seconds"])
    assert heard >= data["seconds"] - 1.0, (heard, data["seconds"])
