"""The whole practice session on a real (virtual) microphone and speaker.

A private PulseAudio daemon gives a microphone we write speech into (at
real-time pace) and a speaker whose monitor we record. The session speaks
with the real synthesiser, listens with the real Korean vosk model, analyses
and speaks feedback; the test plays the parent by reacting to its events.
"""

import io
import threading
import time

import pytest

from audio_helpers import espeak
from cli_helpers import assert_one_line_error, run_heard
from heard.audio import devices
from heard.practice.controls import KeyInput
from heard.practice.session import PracticeSession, SessionSettings
from heard.core.settings import RATE
from pulse import FifoWriter, MonitorRecorder, pulse_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.pulse]

SCENARIO = "tripped-rug"
ANSWER_WAIT_S = 1.5


@pytest.fixture
def rig(pulse_server):  # noqa: F811 - the fixture above
    devices.list_devices(refresh=True)  # PortAudio must see the new daemon's devices
    writer = FifoWriter(pulse_server.fifo)
    writer.start()
    monitor = MonitorRecorder(pulse_server)
    monitor.start()
    yield writer, monitor
    monitor.stop()
    writer.stop()


@pytest.fixture(scope="module")
def ko_speech():
    return {"answer": espeak("넘어졌구나 괜찮아", voice="ko"),
            "loud": espeak("안녕하세요 오늘은 날씨가 좋네요", voice="ko", amplitude=200),
            "again": espeak("다시", voice="ko"),
            "stop": espeak("종료", voice="ko")}


class Script:
    """Plays the parent: reacts to the session's events by writing into the mic."""

    def __init__(self, writer: FifoWriter) -> None:
        self.writer = writer
        self.events: list[tuple[float, str, dict]] = []
        self.reactions: dict[str, list] = {}

    def on(self, name: str, react) -> None:
        self.reactions.setdefault(name, []).append(react)

    def __call__(self, name: str, data: dict) -> None:
        now = time.monotonic()
        self.events.append((now, name, data))
        for react in self.reactions.get(name, []):
            react(now, data)

    def times(self, name: str) -> list[float]:
        return [t for t, n, _ in self.events if n == name]

    def data(self, name: str) -> list[dict]:
        return [d for _, n, d in self.events if n == name]


def _run(session: PracticeSession, timeout_s: float = 240.0) -> int:
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("rc", session.run()), daemon=True)
    t.start()
    t.join(timeout_s)
    assert not t.is_alive(), "the session did not finish"
    return box["rc"]


def _session(ko_model, script: Script, once: bool, out: io.StringIO,
             speak: bool = True) -> PracticeSession:
    settings = SessionSettings(scenarios=(SCENARIO,), input_device="pulse",
                               output_device="pulse" if speak else None, speak=speak,
                               verbose=True, lang="ko", once=once)
    s = PracticeSession(settings, model=ko_model, keys=KeyInput(read=False), out=out)
    s.on_event.append(script)
    return s


def test_a_spoken_answer_is_heard_with_its_wait_and_answered_aloud(ko_model, rig, ko_speech):
    writer, monitor = rig
    script = Script(writer)
    # Someone talks loudly while heard narrates: it must never reach the take.
    script.on("narration_playing",
              lambda now, d: writer.say(ko_speech["loud"], at=now + 1.0, label="over_narration"))
    script.on("listening", lambda now, d: writer.say(
        ko_speech["answer"], at=d["cue_end"] + ANSWER_WAIT_S, label="answer"))
    out = io.StringIO()
    session = _session(ko_model, script, once=True, out=out)
    assert _run(session) == 0

    assert len(session.takes) == 1
    take = session.takes[0]
    cue_end = script.data("listening")[0]["cue_end"]
    answer_at = writer.started["answer"]
    answer_end = answer_at + len(ko_speech["answer"]) / RATE

    # Narration and cue were played before the take (heard on the speaker).
    played = monitor.loud_spans()
    before = sum(min(b, cue_end) - a for a, b in played if a < cue_end)
    assert before > 3.0, f"too little sound before the take: {played}"
    # The interruption really happened during the narration...
    assert script.times("narration_playing")[0] < writer.started["over_narration"] < cue_end
    # ...and the take holds only the answer: found at the right wait, nothing earlier.
    assert take.turn.kind == "turn"
    assert take.analysis.pacing.wait_s == pytest.approx(answer_at - cue_end, abs=0.15)
    assert take.analysis.pacing.wait_s == pytest.approx(ANSWER_WAIT_S, abs=0.15)
    assert not take.turn.mask[: int((ANSWER_WAIT_S - 0.2) / 0.03)].any()
    assert take.turn.transcript.words and take.turn.transcript.words[0].start >= 1.2
    # Feedback was spoken after the answer ended.
    assert any(a > answer_end for a, b in played), f"no feedback sound after the take: {played}"
    assert script.times("feedback_playing")[0] > answer_end
    # Latency stamps are kept and printed with --verbose.
    lat = take.latency
    assert set(lat) >= {"end_of_turn", "final_transcript", "analysis_done",
                        "first_feedback_sample"}
    assert 0 < lat["end_of_turn"] <= lat["final_transcript"] <= lat["analysis_done"] \
        <= lat["first_feedback_sample"]
    assert "latency:" in out.getvalue()
    # Measured on the speaker, for the record: when the cue really ended and
    # when the feedback became audible (after its ~0.2 s lead silence).
    cue_sound_end = max(b for a, b in played if a < cue_end)
    feedback_sound = min(a for a, b in played if a > answer_end)
    print("\nlatency stamps (s after end of speech):", lat,
          f"\ncue sound ended {cue_sound_end - cue_end:+.3f} s from the session's cue end;"
          f" feedback audible {feedback_sound - answer_end:.3f} s after the answer ended")


def test_silence_then_a_spoken_again_replays_and_compares_then_stop(ko_model, rig, ko_speech):
    writer, monitor = rig
    script = Script(writer)
    # Take 1: say nothing. While the feedback plays, say "stop" (종료): heard
    # must not hear itself or anyone while it speaks, so this must be ignored.
    script.on("feedback_playing", lambda now, d: writer.say(
        ko_speech["stop"], at=now + 0.4, label=f"stop_during_feedback_{len(session.takes)}")
        if not session.takes else None)
    # After the feedback: "다시" (again); after the second take: "종료" (stop).
    script.on("awaiting_step", lambda now, d: writer.say(
        ko_speech["again"] if len(session.takes) == 1 else ko_speech["stop"],
        at=now + 1.0, label=f"command_{len(session.takes)}"))
    # Take 2 (the replay): answer in words.
    script.on("listening", lambda now, d: writer.say(
        ko_speech["answer"], at=d["cue_end"] + 1.0, label="answer")
        if session.takes else None)
    out = io.StringIO()
    session = _session(ko_model, script, once=False, out=out)
    assert _run(session) == 0

    steps = [d["step"] for d in script.data("step")]
    assert steps == ["again", "stop"], (steps, script.data("heard"))
    assert "stop_during_feedback_0" in writer.started  # it was said, and ignored
    first, second = session.takes
    assert first.turn.kind == "silence"
    assert "stayed_silent" in [f.id for f in first.analysis.findings]
    assert first.analysis.pacing.wait_s is None
    # "Again" replayed the whole scene and compared the new take with the first.
    assert len(script.times("narration_start")) == 2
    assert second.compared and not first.compared
    assert second.turn.kind == "turn"
    assert second.analysis.pacing.wait_s == pytest.approx(1.0, abs=0.15)


def test_no_speak_prints_the_scene_and_feedback_and_plays_nothing(ko_model, rig, ko_speech):
    writer, monitor = rig
    script = Script(writer)
    script.on("listening", lambda now, d: writer.say(ko_speech["answer"], at=d["cue_end"] + 1.0,
                                                     label="answer"))
    out = io.StringIO()
    session = _session(ko_model, script, True, out, speak=False)
    assert _run(session) == 0
    text = out.getvalue()
    assert "trotting across the living room" in text and 'Child: "Oof!"' in text
    take = session.takes[0]
    assert take.analysis.feedback.spoken in text
    assert take.analysis.pacing.wait_s == pytest.approx(1.0, abs=0.15)
    assert monitor.loud_spans() == []  # nothing was played


def test_a_microphone_lost_mid_session_keeps_the_takes_and_exits_cleanly(
        ko_model, rig, ko_speech, pulse_server, capsys):  # noqa: F811 - the fixture
    writer, _ = rig
    script = Script(writer)
    script.on("listening", lambda now, d: writer.say(ko_speech["answer"], at=d["cue_end"] + 1.0))
    script.on("awaiting_step", lambda now, d: pulse_server.stop())  # the mic disappears
    session = _session(ko_model, script, False, io.StringIO(), speak=False)
    assert _run(session) == 2
    assert len(session.takes) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "microphone" in err[0] and "1 take(s) so far are kept" in err[0]


def test_practice_without_any_microphone_is_one_line_pointing_to_analyse(tmp_path):
    from pathlib import Path

    cards = Path("/proc/asound/cards")
    if cards.exists() and "no soundcards" not in cards.read_text():
        pytest.skip("this machine has a sound card, so it has a microphone to find")
    # A sound server that isn't there and may not be spawned: no microphone at all.
    conf = tmp_path / "client.conf"
    conf.write_text("autospawn = no\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path),
           "PULSE_SERVER": f"unix:{tmp_path}/none", "PULSE_CLIENTCONFIG": str(conf)}
    line = assert_one_line_error(run_heard("practice", "--no-speak", "--once", env=env,
                                           replace_env=True))
    assert "no microphone" in line and "heard analyse" in line


def test_keys_explain_then_repeat_the_cue_then_quit(ko_model, rig, ko_speech):
    writer, _ = rig
    script = Script(writer)
    script.on("listening", lambda now, d: writer.say(ko_speech["answer"], at=d["cue_end"] + 1.0))
    out = io.StringIO()
    session = _session(ko_model, script, False, out, speak=False)
    session.keys.press("q\n")  # typed during the narration: discarded, not taken at a prompt
    keys = iter(["e\n", "r\n", "q\n"])  # one key at each step prompt, after it appears
    script.on("awaiting_step", lambda now, d: threading.Timer(
        0.3, session.keys.press, args=(next(keys),)).start())
    assert _run(session) == 0
    assert [d["step"] for d in script.data("step")] == ["explain", "repeat", "stop"]
    first, second = session.takes
    said = out.getvalue()
    assert first.analysis.feedback.details
    for detail in first.analysis.feedback.details:
        assert detail in said
    # "Repeat" replays only the child's cue, then listens and compares.
    assert len(script.times("narration_start")) == 1 and len(script.times("cue_start")) == 2
    assert second.compared
