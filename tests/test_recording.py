"""Saving takes into a real SQLite history from the session's on_take hook."""

import io
import os
import sqlite3
import stat

import numpy as np
import pytest

from audio_helpers import espeak
from heard.analysis.take import analyse_text
from heard.audio.wavio import read_wav
from heard.core.scenarios import get_scenario
from heard.store.history import History
from heard.store.recording import RecordingSettings, TakeRecorder, take_record

WORDS = "You really wanted that cookie, and you're cross that I said no."
LATENCY = {"end_of_turn": 0.012, "final_transcript": 0.31, "analysis_done": 0.4}


@pytest.fixture(scope="module")
def analysis():
    return analyse_text(get_scenario("cookie"), WORDS)


@pytest.fixture(scope="module")
def take_audio():
    return espeak("you really wanted that cookie", "en-us")


def _rows(db):
    with sqlite3.connect(db) as c:
        return c.execute("SELECT transcript, feedback, details, metrics, audio_path, scenario,"
                         " session_id FROM takes ORDER BY id").fetchall()


def _findings(db):
    with sqlite3.connect(db) as c:
        return [r[0] for r in c.execute("SELECT finding FROM take_findings ORDER BY take_id, pos")]


def test_full_mode_keeps_words_feedback_findings_and_private_audio(tmp_path, analysis, take_audio):
    db = tmp_path / "h.sqlite3"
    history = History(db)
    rec = TakeRecorder(history, keep_audio=True, session_id="visitor-1")
    take_id = rec(analysis, LATENCY, samples=take_audio)
    rec.close()
    assert take_id is not None and rec.saved == [take_id]
    (transcript, feedback, details, metrics, audio, scenario, session), = _rows(db)
    assert transcript == WORDS and scenario == "cookie" and session == "visitor-1"
    assert feedback == analysis.feedback.spoken and feedback
    assert '"pacing"' in metrics and '"tone"' in metrics
    assert _findings(db) == [f.id for f in analysis.findings] and _findings(db)
    # The recording is the take itself, private to the user, inside the history's folder.
    assert audio and os.path.dirname(audio) == str(tmp_path / "audio")
    assert stat.S_IMODE(os.stat(audio).st_mode) == 0o600
    assert np.array_equal(read_wav(audio), take_audio)
    # And `heard history` reads it back the same way.
    with History(db) as h:
        back, = h.recent()
    assert back.transcript == WORDS and back.latency == LATENCY


def test_anonymous_mode_keeps_numbers_and_finding_ids_but_no_words_or_audio(
        tmp_path, analysis, take_audio):
    db = tmp_path / "h.sqlite3"
    rec = TakeRecorder.open(RecordingSettings("anonymous", keep_audio=True, path=db))
    assert rec.active and not rec.keep_audio
    rec(analysis, LATENCY, take_audio)
    rec.close()
    (transcript, feedback, details, metrics, audio, _, _), = _rows(db)
    assert transcript is None and feedback == "" and details == "[]" and audio is None
    assert '"wait_s"' in metrics
    assert _findings(db) == [f.id for f in analysis.findings]
    assert not (tmp_path / "audio").exists() or not any((tmp_path / "audio").iterdir())
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("h.sqlite3*"))
    assert b"cookie, and you're cross" not in raw


def test_off_mode_creates_no_history_at_all(tmp_path, analysis):
    db = tmp_path / "h.sqlite3"
    rec = TakeRecorder.open(RecordingSettings("off", keep_audio=True, path=db))
    assert not rec.active
    assert rec(analysis, LATENCY, np.zeros(1600, np.int16)) is None
    assert not db.exists() and not (tmp_path / "audio").exists()


def test_a_locked_history_costs_one_warning_line_and_no_orphan_audio(
        tmp_path, analysis, take_audio):
    db = tmp_path / "h.sqlite3"
    err = io.StringIO()
    rec = TakeRecorder(History(db, timeout=0.2), keep_audio=True, stream=err)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another heard holding the database
    try:
        assert rec(analysis, LATENCY, samples=take_audio) is None
    finally:
        other.execute("ROLLBACK")
        other.close()
    lines = err.getvalue().splitlines()
    assert len(lines) == 1 and "not saved" in lines[0] and "practice goes on" in lines[0]
    assert not any((tmp_path / "audio").iterdir())
    # The next take, once the lock is gone, is saved as usual.
    assert rec(analysis, LATENCY) is not None
    rec.close()
    assert len(_rows(db)) == 1


def test_an_unusable_history_place_warns_once_and_saves_nothing(tmp_path, analysis):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    err = io.StringIO()
    rec = TakeRecorder.open(RecordingSettings("full", path=blocker / "h.sqlite3"), stream=err)
    assert not rec.active
    assert rec(analysis, LATENCY) is None
    assert len(err.getvalue().splitlines()) == 1 and "won't be saved" in err.getvalue()


def test_bad_mode_is_a_one_line_error():
    from heard.core.errors import HeardError

    with pytest.raises(HeardError, match="off, anonymous, full"):
        RecordingSettings("everything")


def test_record_fields_come_from_the_analysis(analysis):
    r = take_record(analysis, {"end_of_turn": 0.1234, "note": "x"}, session_id="s",
                    created="2026-01-02T03:04:05Z")
    assert r.scenario == "cookie" and r.created == "2026-01-02T03:04:05Z"
    assert r.latency == {"end_of_turn": 0.123}  # stamps only, rounded to ms
    assert r.metrics["pacing"]["words"] == len(WORDS.split())
    anon = take_record(analysis, {}, anonymous=True, audio_path="/x.wav")
    assert anon.transcript is None and anon.feedback == "" and anon.audio_path is None


def test_a_continued_take_replaces_its_first_part_and_its_recording(tmp_path, analysis, take_audio):
    db = tmp_path / "h.sqlite3"
    rec = TakeRecorder(History(db), keep_audio=True)
    first = rec(analyse_text(get_scenario("cookie"), "You really wanted"), LATENCY,
                samples=take_audio[: len(take_audio) // 2])
    (_, _, _, _, first_audio, _, _), = _rows(db)
    again = rec(analysis, LATENCY, samples=take_audio, continues=True)
    rec.close()
    assert again == first and rec.saved == [first]
    (transcript, feedback, _, _, audio, _, _), = _rows(db)  # one row: the whole answer
    assert transcript == WORDS and feedback == analysis.feedback.spoken
    assert _findings(db) == [f.id for f in analysis.findings]
    assert np.array_equal(read_wav(audio), take_audio)
    assert not os.path.exists(first_audio)  # the first part's recording went with its row
