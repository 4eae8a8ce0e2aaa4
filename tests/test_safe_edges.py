"""Issue 11's fuzz cases, as regression tests: the real CLI in a subprocess.

FIFOs, devices, overflowing numbers, tampered history rows, invalid UTF-8,
escape sequences, a newline in a file name, a read-only and a full disk, a
second process holding the history open. Each ends cleanly: one line and
exit 2, or a correct result; never a hang (every run has a timeout) and
never a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from audio_helpers import save
from cli_helpers import HEARD, assert_one_line_error, one_line, run_heard
from heard.store.history import History, TakeRecord

HANG_S = 30  # far more than any of these needs; a FIFO open would wait forever
SECRET = "zebramarmalade"


def tone(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * 16000)) / 16000
    return (3000 * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


@pytest.fixture
def fifo(tmp_path) -> Path:
    p = tmp_path / "f.wav"
    os.mkfifo(p)
    return p


def no_escape_codes(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text, repr(text)


# ------------------------------------------------------------ FIFOs, devices

def test_a_fifo_as_the_take_baseline_calibration_playlist_or_output_never_hangs(tmp_path, fifo):
    good = save(tmp_path / "good.wav", tone())
    data = tmp_path / "data"
    cases = [
        ("analyse", "--scenario", "cookie", fifo),
        ("analyse", "--scenario", "cookie", good, "--baseline", fifo),
        ("calibrate", "--wav", fifo),
        ("kiosk", "--playlist", fifo),
        ("analyse", "--scenario", "cookie", "--text", "You fell.", "--save-speech", fifo),
    ]
    for args in cases:
        line = assert_one_line_error(run_heard(*args, data_dir=data, timeout=HANG_S))
        assert "f.wav" in line and "pipe" in line, line
    assert not (data / "profile.json").exists()


def test_a_device_is_refused_as_a_recording(tmp_path):
    line = assert_one_line_error(run_heard("analyse", "--scenario", "cookie", "/dev/zero",
                                           timeout=HANG_S))
    assert "device" in line


# ------------------------------------------------------------ numbers

@pytest.mark.parametrize("args", [
    ("history", "--limit", "99999999999999999999"),
    ("history", "--limit", "0"),
    ("history", "--limit", "-3"),
    ("history", "--limit", "1e3"),
    ("forget", "--take", "99999999999999999999"),
    ("forget", "--take", "-1"),
    ("forget", "--take", "ten"),
])
def test_out_of_range_numbers_are_one_line(tmp_path, args):
    line = assert_one_line_error(run_heard(*args, data_dir=tmp_path), prefix="heard ")
    assert args[1] in line


# ------------------------------------------------------------ damaged history

def _add(db: Path, n: int, text: str = SECRET) -> None:
    with History(db) as h:
        for i in range(n):
            h.add(TakeRecord(scenario="cookie", created=f"2024-05-01T10:00:{i:02d}Z",
                             transcript=f"{text} number {i}", metrics={"pacing": {}},
                             findings=["acknowledges_view"], feedback=f"{text} feedback"))


def test_tampered_history_rows_are_skipped_with_one_warning(tmp_path):
    db = tmp_path / "history.sqlite3"
    _add(db, 5)
    with sqlite3.connect(db) as c:
        c.execute("UPDATE takes SET metrics = 'not json' WHERE id = 1")
        c.execute("UPDATE takes SET created = 'yesterday' WHERE id = 2")
        c.execute("UPDATE takes SET transcript = X'00ff10' WHERE id = 3")
        c.execute("UPDATE take_findings SET finding = X'ff' WHERE take_id = 4")
    r = run_heard("history", data_dir=tmp_path, timeout=60)
    assert r.returncode == 0, r.stderr
    warning = one_line(r.stderr)
    assert "skipped 3 damaged history rows" in warning and "#1" in warning
    listed = [ln for ln in r.stdout.splitlines() if ln.strip().startswith("#")]
    assert [ln.split()[0] for ln in listed] == ["#5", "#4"]
    r = run_heard("history", "--json", data_dir=tmp_path, timeout=60)
    assert r.returncode == 0 and "Traceback" not in r.stderr
    takes = json.loads(r.stdout)["takes"]
    assert [t["id"] for t in takes] == [5, 4] and takes[1]["findings"] == []


def test_a_history_file_that_is_not_a_database_is_one_line(tmp_path):
    (tmp_path / "history.sqlite3").write_bytes(b"SQLite format 3\x00" + os.urandom(3000))
    line = assert_one_line_error(run_heard("history", data_dir=tmp_path, timeout=60))
    assert "damaged" in line or "history" in line


# ------------------------------------------------------------ text and names

def _run_bytes(args: list, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([*[a.encode() if isinstance(a, str) else a for a in HEARD], *args],
                          capture_output=True, env=env, timeout=60, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("locale_env", [{"PYTHONIOENCODING": "utf-8"},
                                        {"LANG": "C", "LC_ALL": "C"}])
def test_invalid_utf8_in_text_gives_valid_utf8_json(locale_env, tmp_path):
    env = {**os.environ, "HEARD_DATA_DIR": str(tmp_path), **locale_env}
    r = _run_bytes([b"analyse", b"--scenario", b"cookie", b"--json", b"--text",
                    b"you \xff\xfe really wanted it"], env)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout.decode("utf-8"))  # strict: raises on invalid UTF-8
    assert doc["transcript"]["text"].startswith("you \ufffd")
    assert "really wanted it" in doc["transcript"]["text"]
    # Human output too: no UnicodeEncodeError, valid UTF-8.
    r = _run_bytes([b"analyse", b"--scenario", b"cookie", b"--text", b"you \xff\xfe"], env)
    assert r.returncode == 0, r.stderr
    r.stdout.decode("utf-8")


def test_escape_sequences_never_reach_the_terminal(tmp_path):
    evil = "you \x1b[2J\x1b[31mwanted\x1b]0;owned\x07 it\x9b1m\r\x08 now"
    r = run_heard("analyse", "--scenario", "cookie", "--text", evil, data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    no_escape_codes(r.stdout)
    assert "\r" not in r.stdout and "\x08" not in r.stdout
    assert "wanted" in r.stdout
    r = run_heard("analyse", "--scenario", "cookie", "--json", "--text", evil, data_dir=tmp_path)
    assert json.loads(r.stdout)["transcript"]["text"].startswith("you")
    no_escape_codes(r.stdout)
    line = assert_one_line_error(run_heard("analyse", "--scenario", "\x1b[31mcookie\nx",
                                           "--text", "hi", data_dir=tmp_path))
    no_escape_codes(line)


def test_a_newline_in_a_file_name_stays_one_escaped_line(tmp_path):
    p = tmp_path / "take\none\x1b[1m.wav"
    p.write_bytes(b"not a wav at all")
    line = assert_one_line_error(run_heard("analyse", "--scenario", "cookie", p,
                                           data_dir=tmp_path))
    assert "take\\none\\x1b[1m.wav" in line


def test_an_undecodable_file_name_is_shown_escaped(tmp_path):
    name = os.fsencode(str(tmp_path)) + b"/bad\xff.wav"
    with open(name, "wb") as f:
        f.write(b"RIFF")
    r = _run_bytes([b"analyse", b"--scenario", b"cookie", name],
                   {**os.environ, "HEARD_DATA_DIR": str(tmp_path)})
    err = r.stderr.decode("utf-8")
    assert r.returncode == 2 and "bad\\xff.wav" in one_line(err)


# ------------------------------------------------------------ disks

def test_full_disk_on_standard_output_is_one_line(tmp_path):
    for extra in ([], ["--json"]):
        with open("/dev/full", "w") as full:
            r = subprocess.run([*HEARD, "analyse", "--scenario", "cookie", "--text", "You fell.",
                                *extra], stdout=full, stderr=subprocess.PIPE, text=True,
                               timeout=60, env={**os.environ, "HEARD_DATA_DIR": str(tmp_path)})
        assert r.returncode == 2
        assert "space" in one_line(r.stderr)


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs of our own (needs mount rights: root in CI's container)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.strip()}); the full and "
                    "read-only disk cases need one")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_a_read_only_disk_is_one_line_and_practice_data_is_kept(tmp_path, small_disk):
    data = small_disk / "heard"
    _add(data / "history.sqlite3", 3)
    good = save(tmp_path / "good.wav", tone(2.0))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    line = assert_one_line_error(run_heard("calibrate", "--wav", good, data_dir=data))
    assert "read-only" in line.lower() or "cannot" in line
    r = run_heard("history", data_dir=data)
    assert "Traceback" not in r.stderr
    if r.returncode == 0:
        assert r.stdout.count(SECRET) == 3
    else:
        assert_one_line_error(r)
    line = assert_one_line_error(run_heard("forget", "--yes", data_dir=data))
    assert "Deleted" not in line


def _hits(folder: Path, word: str = SECRET) -> dict[str, int]:
    return {p.name: p.read_bytes().count(word.encode()) for p in folder.rglob("*") if p.is_file()}


def test_forget_on_a_full_disk_says_so_and_finishes_once_there_is_room(small_disk):
    data = small_disk / "heard"
    _add(data / "history.sqlite3", 40, SECRET * 20)
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)  # until ENOSPC: the disk is now full
    except OSError:
        pass
    finally:
        os.close(fd)
    r = run_heard("forget", "--yes", data_dir=data)
    assert "Traceback" not in r.stderr
    if r.returncode == 0:  # it managed after all: then every word must be gone
        assert sum(_hits(data).values()) == 0, _hits(data)
    else:
        line = assert_one_line_error(r)
        assert "full" in line and "Deleted" not in r.stdout
    filler.unlink()
    r = run_heard("forget", "--yes", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert sum(_hits(data).values()) == 0, _hits(data)


READER = """
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN")
print(c.execute("SELECT count(*) FROM takes").fetchone()[0], flush=True)
time.sleep(120)
"""


def test_forget_while_another_process_reads_says_the_words_are_not_gone_yet(tmp_path):
    db = tmp_path / "history.sqlite3"
    _add(db, 20)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert reader.stdout.readline().strip() == "20"  # its read transaction is open
        r = run_heard("forget", "--yes", data_dir=tmp_path)
        line = assert_one_line_error(r)
        assert "another program is reading" in line and "again" in line
        assert sum(_hits(tmp_path).values()) > 0  # which is why it said so
    finally:
        reader.kill()
        reader.wait()
    r = run_heard("forget", "--yes", data_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sum(_hits(tmp_path).values()) == 0, _hits(tmp_path)


def test_forget_leaves_no_byte_of_the_words_in_any_file(tmp_path):
    db = tmp_path / "history.sqlite3"
    _add(db, 30)
    with History(db) as h:  # one more connection, idle (not in a transaction): no obstacle
        h.count()
        r = run_heard("forget", "--take", "3", data_dir=tmp_path)
        assert r.returncode == 0, r.stderr
        assert b"number 3\x00" not in b"".join(p.read_bytes() for p in tmp_path.iterdir()
                                                if p.is_file())
        r = run_heard("forget", "--yes", data_dir=tmp_path)
        assert r.returncode == 0, r.stderr
    assert sum(_hits(tmp_path).values()) == 0, _hits(tmp_path)


# ------------------------------------------------------------ folders heard creates

def test_xdg_parents_are_created_private_under_umask_000(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    good = save(tmp_path / "good.wav", tone(2.0))
    env = {k: v for k, v in os.environ.items() if k not in ("HEARD_DATA_DIR", "XDG_DATA_HOME")}
    env["HOME"] = str(home)
    r = subprocess.run([*HEARD, "calibrate", "--wav", str(good)], env=env, capture_output=True,
                       text=True, timeout=60, preexec_fn=lambda: os.umask(0))
    assert r.returncode == 0, r.stderr
    for d in (home / ".local", home / ".local" / "share", home / ".local" / "share" / "heard"):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d


# ------------------------------------------------------------ --cue-end seeks

def test_a_late_cue_end_in_a_two_hour_file_reads_only_the_take(tmp_path):
    import tracemalloc

    from heard.listen.takeio import MAX_TAKE_S, PREROLL_S, read_take

    # Two hours of 16 kHz mono: a 230 MB file, sparse on disk (silence).
    n = 2 * 3600 * 16000 * 2
    p = tmp_path / "long.wav"
    save(p, tone(0.1))
    with open(p, "r+b") as f:
        f.seek(4)
        f.write((36 + n).to_bytes(4, "little"))
        f.seek(40)
        f.write(n.to_bytes(4, "little"))
        f.truncate(44 + n)
    tracemalloc.start()
    try:
        take = read_take(p, cue_end=7000.0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 7000.0 - PREROLL_S - 0.03 <= take.offset_s <= 7000.0
    assert len(take.samples) == round((7000.0 - take.offset_s + MAX_TAKE_S) * 16000)
    assert peak < 64 * 2 ** 20  # the take, not the two hours before it (that was 1 GB)


# ------------------------------------------------------------ spoken feedback

def test_feedback_speech_is_made_in_a_private_runtime_folder_and_not_kept(tmp_path, monkeypatch):
    import tempfile

    from heard.audio.speech_out import ADULT, Synthesiser

    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(run))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    synth = Synthesiser()
    try:
        audio, rate = synth.synthesise(f"You said {SECRET}.", ADULT)
    finally:
        synth.close()
    assert len(audio) > rate * 0.3
    assert stat.S_IMODE(os.stat(run / "heard").st_mode) == 0o700
    deadline = time.monotonic() + 5
    while list((run / "heard").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((run / "heard").iterdir()) == []
    assert list(tmp.iterdir()) == []  # nothing went to the shared temp folder
