"""The take history: a real SQLite file in tmp_path, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli_helpers import one_line, run_heard
from heard.store.history import (
    History,
    HistoryUnavailable,
    TakeRecord,
    Trend,
    compute_trends,
    load_wording,
    open_history_or_warn,
)

SECRET = "zebra marmalade whispered softly"


def take(i: int = 0, findings=("acknowledges_view",), transcript=None, **kw) -> TakeRecord:
    base = dict(scenario="cookie", created=f"2024-05-01T10:{i // 60:02d}:{i % 60:02d}Z",
                transcript=f"You really want a cookie, take {i}." if transcript is None else transcript,
                metrics={"pacing": {"wait_s": 1.6, "words": 5}, "tone": {"baseline": False}},
                findings=list(findings), feedback="You said what he wanted.")
    base.update(kw)
    return TakeRecord(**base)


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def raw_bytes(db: Path) -> bytes:
    """Everything on disk for this database, including its WAL."""
    return b"".join(Path(f"{db}{s}").read_bytes() for s in ("", "-wal", "-shm", "-journal")
                    if Path(f"{db}{s}").exists())


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "data" / "history.sqlite3"


# -- storage -------------------------------------------------------------------

def test_take_is_saved_and_read_back_with_every_field(db):
    with History(db) as h:
        audio = h.audio_dir() / "t1.wav"
        rec = TakeRecord(
            scenario="cookie", created="2024-05-01T12:30:05+02:00",
            transcript="You really want a cookie. I said no.",
            metrics={"pacing": {"wait_s": 1.62, "words": 8, "words_per_min": None},
                     "tone": {"baseline": True, "loudness_db": -3.1}},
            findings=["reflects_words", "holds_limit", "waited"],
            feedback="You gave back his words and held the limit.",
            details=["Reflected: 'You really want a cookie.'", "Waited 1.6 s."],
            latency={"end_of_speech": 0.0, "final_result": 0.41, "speech_start": 1.32},
            audio_path=str(audio), session_id="s-42")
        take_id = h.add(rec)
    with History(db) as h:  # a fresh connection: really on disk
        [back] = h.recent()
    assert back.id == take_id
    assert back.created == "2024-05-01T10:30:05Z"  # stored as UTC
    for name in ("scenario", "transcript", "metrics", "findings", "feedback", "details",
                 "latency", "audio_path", "session_id"):
        assert getattr(back, name) == getattr(rec, name), name


def test_recent_is_newest_first_with_limit_and_scenario(db):
    with History(db) as h:
        for i in (3, 1, 2):
            h.add(take(i, scenario="cookie" if i != 2 else "bedtime"))
        assert [t.created[-3:] for t in h.recent()] == ["03Z", "02Z", "01Z"]
        assert [t.created[-3:] for t in h.recent(limit=2)] == ["03Z", "02Z"]
        assert [t.scenario for t in h.recent(scenario="bedtime")] == ["bedtime"]


def test_database_is_wal_and_private_even_with_an_open_umask(db):
    old = os.umask(0o022)
    try:
        with History(db) as h:
            h.add(take())
            with sqlite3.connect(db) as other:
                assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert mode(db.parent) == 0o700
            assert mode(h.audio_dir()) == 0o700
            for suffix in ("", "-wal", "-shm"):
                assert mode(Path(f"{db}{suffix}")) == 0o600, suffix
    finally:
        os.umask(old)


def test_an_existing_readable_database_is_made_private(db):
    History(db).close()
    os.chmod(db, 0o644)
    History(db).close()
    assert mode(db) == 0o600


def test_anonymous_mode_keeps_numbers_but_no_words_or_audio(db):
    with History(db, anonymous=True) as h:
        wav = h.audio_dir() / "kept.wav"
        wav.write_bytes(b"RIFF")
        h.add(take(transcript=SECRET, feedback=f"You said {SECRET}.", details=[SECRET],
                   audio_path=str(wav), findings=["acknowledges_view", "waited"],
                   latency={"final_result": 0.4}))
        [back] = h.recent()
        assert back.transcript is None and back.feedback == "" and back.details == []
        assert back.audio_path is None and not wav.exists()
        assert back.findings == ["acknowledges_view", "waited"]
        assert back.metrics["pacing"]["wait_s"] == 1.6 and back.latency == {"final_result": 0.4}
        assert SECRET.encode() not in raw_bytes(db)


def test_newer_schema_is_refused_with_one_line(db):
    History(db).close()
    with sqlite3.connect(db) as c:
        c.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(HistoryUnavailable, match="newer heard"):
        History(db)


# -- trends --------------------------------------------------------------------

def test_trends_count_the_last_window_against_the_one_before(db):
    # Oldest 10 takes: acknowledges_view in 3, rushed_in in 6.
    # Latest 10 takes: acknowledges_view in 7, rushed_in in 2, waited in 4.
    older = [["acknowledges_view"]] * 3 + [["rushed_in"]] * 6 + [[]]
    newer = ([["acknowledges_view", "waited"]] * 4 + [["acknowledges_view"]] * 3
             + [["rushed_in"]] * 2 + [[]])
    with History(db) as h:
        for i, found in enumerate(older + newer):
            h.add(take(i, findings=found))
        trends = {t.finding: t for t in h.trends(window=10)}
    wording = load_wording()
    view, rushed, waited = trends["acknowledges_view"], trends["rushed_in"], trends["waited"]
    assert (view.count, view.takes, view.before, view.before_takes) == (7, 10, 3, 10)
    assert (rushed.count, rushed.before, rushed.direction) == (2, 6, "down")
    assert (waited.count, waited.before, waited.direction) == (4, 0, "up")
    assert wording.trend_sentence(view) == \
        "acknowledged the child's view in 7 of your last 10 takes, up from 3"
    assert wording.trend_sentence(rushed) == "rushed in in 2 of your last 10 takes, down from 6"
    assert list(trends) == ["acknowledges_view", "waited", "rushed_in"]  # most frequent first


def test_trend_with_a_short_earlier_window_compares_rates():
    # 5 of 10 lately is a lower rate than 3 of 4 before, though 5 > 3.
    found = [["calm_voice"]] * 5 + [[]] * 5 + [["calm_voice"]] * 3 + [[]]
    [t] = compute_trends(found, window=10)
    assert (t.count, t.takes, t.before, t.before_takes, t.direction) == (5, 10, 3, 4, "down")
    assert load_wording().trend_sentence(t) == \
        "kept a calm voice in 5 of your last 10 takes, down from 3 of 4"
    [first] = compute_trends([["calm_voice", "calm_voice"]], window=10)  # counted once per take
    assert load_wording().trend_sentence(first) == "kept a calm voice in your last take"


def test_finding_without_a_phrase_reads_as_words():
    assert load_wording().trend_sentence(Trend("some_new_id", 2, 3, 0, 0)) == \
        "some new id in 2 of your last 3 takes"


# -- forgetting ----------------------------------------------------------------

def test_forget_one_take_and_its_recording(db):
    with History(db) as h:
        wav = h.audio_dir() / "2.wav"
        wav.write_bytes(b"RIFF")
        keep = h.add(take(1))
        gone = h.add(take(2, transcript=SECRET, audio_path=str(wav)))
        assert h.forget(gone) is True
        assert SECRET.encode() not in raw_bytes(db)  # not left behind in free pages
        assert h.forget(gone) is False
        assert [t.id for t in h.recent()] == [keep]
        assert not wav.exists()
        assert h.trends()[0].takes == 1


def test_forget_all_leaves_no_words_recordings_or_findings(db):
    with History(db) as h:
        for i in range(5):
            wav = h.audio_dir() / f"{i}.wav"
            wav.write_bytes(b"RIFF")
            h.add(take(i, transcript=f"{SECRET} {i}", audio_path=str(wav)))
        (h.audio_dir() / "orphan.wav").write_bytes(b"RIFF")  # from a session that died
        assert SECRET.encode() in raw_bytes(db)
        assert h.forget_all() == 5
        assert h.recent() == [] and h.trends() == [] and h.count() == 0
        assert list(h.audio_dir().iterdir()) == []
        assert SECRET.encode() not in raw_bytes(db)
        h.add(take(9))  # still usable afterwards
        assert h.count() == 1


# -- damage and contention -----------------------------------------------------

KILLED_WRITER = textwrap.dedent("""
    import sqlite3, sys, time
    from heard.store.history import History, TakeRecord
    db = sys.argv[1]
    with History(db) as h:
        for i in range(3):
            h.add(TakeRecord("cookie", f"2024-05-01T10:00:0{i}Z", f"take {i}", {}, ["waited"], "ok"))
    # The 4th take, written the way History.add does but never committed; a tiny
    # cache forces its pages out to the WAL before the kill.
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("PRAGMA cache_size = 2")
    c.execute("BEGIN IMMEDIATE")
    for n in range(200):
        c.execute("INSERT INTO takes (scenario, created, transcript) VALUES (?, ?, ?)",
                  ("cookie", "2024-05-01T10:00:09Z", "half-written " * 500))
    print("in transaction", flush=True)
    time.sleep(60)
""")


def test_a_killed_session_leaves_earlier_takes_intact(db):
    db.parent.mkdir(parents=True)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(db)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "in transaction"
        assert Path(f"{db}-wal").stat().st_size > 0  # uncommitted pages reached the WAL
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    with History(db) as h:
        takes = h.recent()
        assert [t.transcript for t in takes] == ["take 2", "take 1", "take 0"]
        assert all(t.findings == ["waited"] for t in takes)
        h.add(take(10))
        assert h.count() == 4
        assert h._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_corrupt_database_warns_and_practice_goes_on(db, capsys):
    db.parent.mkdir(parents=True)
    db.write_bytes(os.urandom(4096))
    assert open_history_or_warn(db) is None
    line = one_line(capsys.readouterr().err)
    assert "damaged" in line and str(db) in line and "won't be saved" in line


def test_locked_database_warns_and_recovers_when_released(db, capsys):
    History(db).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert open_history_or_warn(db, timeout=0.2) is None
        line = one_line(capsys.readouterr().err)
        assert "in use by another heard" in line and "won't be saved" in line
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    h = open_history_or_warn(db, timeout=0.2)
    assert h is not None
    h.close()


# -- command line --------------------------------------------------------------

def heard(data_dir: Path, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return run_heard(*args, data_dir=data_dir, stdin=stdin, timeout=60)


def test_cli_history_empty_then_listed(tmp_path):
    r = heard(tmp_path, "history")
    assert r.returncode == 0 and "No takes saved yet" in r.stdout
    assert not (tmp_path / "history.sqlite3").exists()  # looking doesn't create a file
    with History(tmp_path / "history.sqlite3") as h:
        for i in range(3):
            h.add(take(i, transcript="You really really want a cookie and I said no to that",
                       findings=["acknowledges_view", "rushed_in"]))
    r = heard(tmp_path, "history", "--limit", "2")
    assert r.returncode == 0, r.stderr
    rows = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("#")]
    assert len(rows) == 2
    assert '"You really really want a cookie and I..."' in rows[0]
    assert "acknowledged the child's view; rushed in" in rows[0]
    assert "acknowledged the child's view in 3 of your last 3 takes" in r.stdout
    data = json.loads(heard(tmp_path, "history", "--json").stdout)
    assert len(data["takes"]) == 3 and data["takes"][0]["findings"][0] == "acknowledges_view"
    assert {t["finding"]: t["count"] for t in data["trends"]} == \
        {"acknowledges_view": 3, "rushed_in": 3}


def test_cli_forget_asks_first_and_deletes_on_yes(tmp_path):
    with History(tmp_path / "history.sqlite3") as h:
        ids = [h.add(take(i)) for i in range(3)]
    r = heard(tmp_path, "forget")  # no stdin: counts as no
    assert r.returncode == 1 and "Nothing deleted" in r.stderr
    r = heard(tmp_path, "forget", stdin="n\n")
    assert r.returncode == 1
    r = heard(tmp_path, "forget", "--take", "999")
    assert r.returncode == 2 and one_line(r.stderr).startswith("heard: no saved take")
    r = heard(tmp_path, "forget", "--take", str(ids[0]))
    assert r.returncode == 0, r.stderr
    with History(tmp_path / "history.sqlite3") as h:
        assert [t.id for t in h.recent()] == ids[:0:-1]
    r = heard(tmp_path, "forget", stdin="y\n")
    assert r.returncode == 0 and "Deleted 2 takes" in r.stdout
    assert "No takes saved yet" in heard(tmp_path, "history").stdout
    r = heard(tmp_path, "forget", "--yes")
    assert r.returncode == 0 and "nothing to delete" in r.stdout


def test_cli_damaged_history_is_one_line_and_forget_replaces_it(tmp_path):
    (tmp_path / "history.sqlite3").write_bytes(b"not a database at all " * 200)
    r = heard(tmp_path, "history")
    assert r.returncode == 2 and "damaged" in one_line(r.stderr)
    r = heard(tmp_path, "forget", "--yes")
    assert r.returncode == 0, r.stderr
    assert "No takes saved yet" in heard(tmp_path, "history").stdout
