""""I wasn't finished": an answer that went on after the key is one take.

The real session on a real (virtual) microphone, the real Korean vosk model
and a real SQLite history: the parent answers, pauses long enough for
listening to stop, presses w, says the rest. The history must hold one row
for that answer (both halves, one feedback), not one per half.
"""

import io
import sqlite3
import threading
import time

import pytest

from audio_helpers import espeak
from heard.audio import devices
from heard.core.settings import RATE
from heard.listen.endofturn import EndOfTurn, load_turn_policy
from heard.practice.controls import KeyInput
from heard.practice.session import PracticeSession, SessionSettings
from heard.store.history import History
from heard.store.recording import TakeRecorder
from pulse import FifoWriter, pulse_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.pulse]


def test_an_answer_continued_with_w_is_one_take_in_the_history(ko_model, pulse_server,  # noqa: F811
                                                               tmp_path):
    devices.list_devices(refresh=True)
    writer = FifoWriter(pulse_server.fifo)
    writer.start()
    first_half = espeak("넘어졌구나", voice="ko")
    second_half = espeak("괜찮아 많이 아팠지", voice="ko")
    events: list[tuple[float, str, dict]] = []
    listening = []

    settings = SessionSettings(scenarios=("tripped-rug",), input_device="pulse", speak=False,
                               lang="ko")
    # No end-of-turn model: a fixed silence ends the first half (1.2 s in the policy).
    session = PracticeSession(settings, model=ko_model, keys=KeyInput(read=False),
                              out=io.StringIO(), end_of_turn=EndOfTurn(load_turn_policy("ko"), None))
    db = tmp_path / "history.sqlite3"
    recorder = TakeRecorder(History(db))
    session.on_take.append(recorder)
    steps = iter(["w\n", "q\n"])  # at the first prompt: "I wasn't finished"; then quit

    def script(name: str, data: dict) -> None:
        now = time.monotonic()
        events.append((now, name, data))
        if name == "listening":
            listening.append(data["cue_end"])
            half = first_half if len(listening) == 1 else second_half
            writer.say(half, at=data["cue_end"] + (1.0 if len(listening) == 1 else 0.5),
                       label=f"half_{len(listening)}")
        elif name == "awaiting_step":
            threading.Timer(0.3, session.keys.press, args=(next(steps),)).start()

    session.on_event.append(script)
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("rc", session.run()), daemon=True)
    t.start()
    t.join(180)
    writer.stop()
    recorder.close()
    assert not t.is_alive(), "the session did not finish"
    assert box["rc"] == 0

    assert [d["step"] for _, n, d in events if n == "step"] == ["continue", "stop"]
    assert "half_2" in writer.started  # the rest was said after w, and listened to
    # Two judgements were made (the first half, then the whole), but one take is kept...
    assert len([n for _, n, _ in events if n == "take"]) == 2
    assert len(session.takes) == 1
    take = session.takes[0]
    first = [d["turn"] for _, n, d in events if n == "take"][0]
    first_s = len(first.samples) / RATE  # where the second half's audio begins in the take
    assert len(take.turn.samples) > len(first.samples)
    # ...holding both halves: words from before the key and words from after it.
    starts = [w.start for w in take.analysis.transcript.words]
    assert starts and min(starts) < first_s < max(starts), (take.analysis.transcript.text, starts,
                                                           first_s)
    assert take.analysis.pacing.speech_end > first_s
    assert take.analysis.pacing.wait_s == pytest.approx(1.0, abs=0.15)  # the first half's wait

    # The history has one row for it, with the whole answer and the final feedback.
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT id, transcript, feedback, metrics FROM takes").fetchall()
        found = [r[0] for r in c.execute("SELECT finding FROM take_findings ORDER BY pos")]
    assert len(rows) == 1, rows
    take_id, transcript, feedback, metrics = rows[0]
    assert transcript == take.analysis.transcript.text
    assert feedback == take.analysis.feedback.spoken
    assert found == [f.id for f in take.analysis.findings]
    with History(db) as h:
        back, = h.recent()
    assert back.metrics["pacing"]["words"] == take.analysis.pacing.words
    assert recorder.saved == [take_id]
