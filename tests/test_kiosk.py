"""Kiosk mode: playlist, idle clock, start words, and three visitors on a private PulseAudio."""

import os
import queue
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest

from audio_helpers import concat, espeak, silence
from cli_helpers import assert_one_line_error, run_heard
from heard.core.errors import HeardError
from heard.listen.listener import TurnListener, listen_array
from heard.practice.controls import COMMAND_ENDPOINT
from heard.practice.kiosk import (
    IdleTimeout,
    Kiosk,
    KioskKeys,
    KioskSettings,
    KioskStop,
    load_playlist,
    load_wording,
    parse_playlist,
    retry_delay,
    start_words,
)
from pulse import FifoWriter, pulse_server, start_pulse  # noqa: F401 - the fixture
from scene_helpers import short_prompts

KNOWN = {"cookie", "biting", "no-hugs"}


# ------------------------------------------------------------------ playlist

def test_playlist_keeps_order_and_skips_comments_and_blank_lines():
    text = "# Tuesday group\ncookie\n\n  biting   # short one\ncookie\n"
    assert parse_playlist(text, KNOWN) == ("cookie", "biting", "cookie")


def test_unknown_ids_are_all_named_in_one_line():
    with pytest.raises(HeardError) as e:
        parse_playlist("cookie\nbiscuit\n# x\nbitting\n", KNOWN, "playlist p.txt")
    msg = str(e.value)
    assert "\n" not in msg
    assert "'biscuit' (line 2)" in msg and "'bitting' (line 4)" in msg and "heard scenarios" in msg


def test_an_empty_or_unreadable_playlist_is_an_error(tmp_path):
    with pytest.raises(HeardError, match="no scenario ids"):
        parse_playlist("# only a comment\n\n", KNOWN)
    with pytest.raises(HeardError, match="cannot be read"):
        load_playlist(tmp_path / "missing.txt")
    f = tmp_path / "ok.txt"
    f.write_text("no-hugs\n")
    assert load_playlist(f) == ("no-hugs",)


def test_cli_rejects_a_bad_playlist_at_start_up_with_exit_2(tmp_path):
    f = tmp_path / "p.txt"
    f.write_text("cookie\nnot-a-scenario\n")
    line = assert_one_line_error(run_heard("kiosk", "--playlist", f))
    assert "not-a-scenario" in line and "line 2" in line


# ------------------------------------------------------------ small parts

def test_retry_pauses_double_up_to_the_cap():
    assert [retry_delay(n, 1.0, 30.0) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_idle_clock_surfaces_where_the_session_polls_keys():
    keys = KioskKeys(read=False)
    keys.arm(0.05)
    assert keys.pending() is False
    time.sleep(0.1)
    with pytest.raises(IdleTimeout):
        keys.pending()
    assert keys.pending() is False  # once: the clock is off again
    keys.arm(0.05)
    keys.disarm()
    time.sleep(0.1)
    assert keys.get(0) is None
    keys.stopping.set()  # SIGTERM: the next poll leaves whatever the session was doing
    with pytest.raises(KioskStop):
        keys.pending()


def test_welcome_text_says_how_to_start_and_what_is_kept():
    w = load_wording()
    off = w.welcome_text("start practice", "off")
    assert "start practice" in off and "Nothing you say is kept" in off
    assert "numbers" in w.welcome_text("start practice", "anonymous")


@pytest.mark.slow
def test_spoken_start_words_in_korean_start_and_other_speech_does_not(ko_model):
    words = start_words("ko", load_wording())
    listener = TurnListener(ko_model, endpoint_settings=COMMAND_ENDPOINT, grammar=words.grammar())
    start = listen_array(listener, concat(silence(0.5), espeak("연습 시작", "ko")), None)
    assert words.match(start.transcript) == "start"
    for other in ("안녕하세요", "다시"):
        turn = listen_array(listener, concat(silence(0.5), espeak(other, "ko")), None)
        assert turn.kind == "turn" and words.match(turn.transcript) is None, turn.transcript.text


@pytest.mark.slow
def test_history_modes_decide_whether_a_database_exists(tmp_path, ko_model):
    for mode in ("off", "anonymous", "full"):
        db = tmp_path / mode / "history.sqlite3"
        kiosk = Kiosk(KioskSettings(history=mode, history_path=db, lang="ko", keep_audio=True),
                      model=ko_model, keys=KioskKeys(read=False))
        kiosk._load()
        try:
            assert kiosk.recorder.active == (mode != "off")
            assert db.exists() == (mode != "off")
            if mode != "off":
                assert kiosk.recorder.history.anonymous == (mode == "anonymous")
            # Recordings are kept only for a private (full) kiosk that asked for them.
            assert kiosk.recorder.keep_audio == (mode == "full")
        finally:
            kiosk._close()


# -------------------------------------------------- visitors on a real mic

class Lines(threading.Thread):
    """Collects a pipe's lines so the test can wait for what the kiosk prints."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream, self.q, self.all = stream, queue.Queue(), []

    def run(self) -> None:
        for line in self.stream:
            self.all.append(line.rstrip("\n"))
            self.q.put(line.rstrip("\n"))

    def wait(self, pattern: str, timeout: float = 60.0) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                line = self.q.get(timeout=0.2)
            except queue.Empty:
                continue
            if re.search(pattern, line):
                return line
        raise AssertionError(f"no line matching {pattern!r} within {timeout:g} s; "
                             f"got: {self.all[-15:]}")


@pytest.mark.slow
@pytest.mark.pulse
def test_three_visitors_idle_reset_and_a_lost_sound_server(pulse_server, steady_model_dir, tmp_path,
                                                          monkeypatch):
    # The scene with a one-line narration: four visitors would otherwise sit
    # through 40 s of it in real time, and this test is about the visits.
    short_prompts(tmp_path, "no-hugs", monkeypatch)  # HEARD_PROMPTS, inherited by the kiosk
    reply = espeak("괜찮아 많이 속상했구나", "ko")
    start_words_audio = espeak("연습 시작", "ko")
    playlist = tmp_path / "playlist.txt"
    playlist.write_text("# short scenes for the test\nno-hugs\n")
    data = tmp_path / "data"
    env = dict(os.environ, HEARD_DATA_DIR=str(data), PYTHONUNBUFFERED="1")
    writer = FifoWriter(pulse_server.fifo)
    writer.start()
    proc = subprocess.Popen(
        # The undithered model: visitor 2 starts by the spoken start words (said again if missed).
        [sys.executable, "-m", "heard", "kiosk", "--lang", "ko", "--model", str(steady_model_dir),
         "--playlist", str(playlist), "--idle-timeout", "3", "--history", "anonymous",
         "--input-device", "pulse", "--output-device", "pulse"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, bufsize=1)
    out, err = Lines(proc.stdout), Lines(proc.stderr)
    out.start()
    err.start()

    def enter(line: str = "") -> None:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()

    def one_take() -> None:
        out.wait(r"Your turn: answer out loud")
        writer.say(concat(silence(0.8), reply))
        out.wait(r"^\[Enter/n = next")  # feedback given: waiting for the next step

    try:
        # Visitor 1 presses Enter, answers, then walks away: the kiosk resets itself.
        out.wait("Welcome")
        enter()
        err.wait(r"visitor 1 started \(key\)")
        one_take()
        err.wait(r"no one there for 3 s")
        # Visitor 2 says the start words in Korean, answers, and finishes with q.
        out.wait("Welcome")
        for attempt in range(3):  # start words not caught (a clear match is needed): say them again
            writer.say(concat(silence(0.3), start_words_audio))
            try:
                err.wait(r"visitor 2 started \(voice\)", timeout=10)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        one_take()
        enter("q")
        err.wait(r"visitor 2 finished \(1 take\)")
        # Visitor 3: the sound server dies while the kiosk is listening.
        out.wait("Welcome")
        enter()
        err.wait(r"visitor 3 started")
        out.wait(r"Your turn: answer out loud")
        writer.stop()
        pulse_server.stop()
        err.wait(r"audio problem: .*retrying in 1 s \(attempt 1\)")
        time.sleep(2.0)  # at least one more failed attempt while it is down
        restarted = start_pulse(pulse_server.dir)
        pulse_server.pid = restarted.pid
        writer = FifoWriter(restarted.fifo)
        writer.start()
        err.wait(r"audio is back", timeout=90)
        assert proc.poll() is None, "the kiosk exited instead of recovering"
        # Visitor 4 (the third to finish a take) uses the recovered microphone.
        out.wait("Welcome")
        enter()
        err.wait(r"visitor 4 started")
        one_take()
        err.wait(r"no one there for 3 s")
        out.wait("Welcome")
        # systemd stop.
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        err.wait("stopped", timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        writer.stop()
        print("\n".join(err.all))  # the kiosk's log, shown if the test fails
    assert "Traceback" not in "\n".join(err.all), "\n".join(err.all)
    retries = [ln for ln in err.all if "retrying in" in ln]
    assert len(retries) >= 2 and "attempt 2" in retries[1] and "retrying in 2 s" in retries[1]
    # Anonymous history: three takes, three visitors, no words.
    with sqlite3.connect(data / "history.sqlite3") as c:
        rows = c.execute("SELECT scenario, session_id, transcript, feedback, metrics FROM takes"
                         ).fetchall()
    assert len(rows) == 3
    assert {r[0] for r in rows} == {"no-hugs"}
    assert len({r[1] for r in rows}) == 3
    assert all(r[2] is None and r[3] == "" for r in rows)
    assert all('"wait_s"' in r[4] for r in rows)


# ------------------------------------------------------------ systemd unit

INSTALL = os.path.join(os.path.dirname(__file__), "..", "scripts", "kiosk", "install")


def _unit(*args: str) -> str:
    p = subprocess.run(["bash", INSTALL, "--print-unit", *args], capture_output=True, text=True,
                       timeout=30, cwd=os.path.dirname(__file__))
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_the_user_unit_restarts_and_passes_options_through_quoted(tmp_path):
    unit = _unit("--lang", "ko", "--playlist", "playlist.txt", "--input-device", 'USB "mic" 100%')
    lines = dict(ln.split("=", 1) for ln in unit.splitlines() if "=" in ln and not ln.startswith("#"))
    assert lines["Restart"] == "always" and float(lines["RestartSec"]) > 0
    repo = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    assert lines["WorkingDirectory"] == repo
    # The playlist becomes absolute (the service does not run where you typed it);
    # quotes and % are escaped the way systemd reads ExecStart.
    here = os.path.realpath(os.path.dirname(__file__))
    assert lines["ExecStart"] == (f'{repo}/.venv/bin/heard kiosk "--lang" "ko" "--playlist" '
                                  f'"{here}/playlist.txt" "--input-device" "USB \\"mic\\" 100%%"')
    assert "@" not in unit


def test_the_system_unit_points_at_the_users_sound_server():
    unit = _unit("--system")
    uid = os.getuid()
    assert f"Environment=XDG_RUNTIME_DIR=/run/user/{uid}" in unit
    assert f"Environment=PULSE_SERVER=unix:/run/user/{uid}/pulse/native" in unit
    assert "Restart=always" in unit and "User=" in unit


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_both_units(tmp_path):
    for args, extra in ((["--lang", "ko"], ["--user"]), (["--system"], [])):
        f = tmp_path / "heard-kiosk.service"
        f.write_text(_unit(*args))
        run = tmp_path / "run"
        run.mkdir(mode=0o700, exist_ok=True)
        p = subprocess.run(["systemd-analyze", *extra, "verify", str(f)], capture_output=True,
                           text=True, timeout=60, env=dict(os.environ, XDG_RUNTIME_DIR=str(run)))
        assert p.returncode == 0 and "heard-kiosk.service" not in p.stderr, p.stderr
