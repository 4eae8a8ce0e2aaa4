"""``heard analyse`` as a user runs it: a subprocess, real WAVs, the real vosk engine."""

import json
import os

import pytest

from audio_helpers import concat, espeak, save, silence
from cli_helpers import assert_one_line_error, run_heard
from model_helpers import linked_copy
from test_wavio import BAD

# --- typed text -------------------------------------------------------------

def test_text_json_follows_the_contract():
    r = run_heard("analyse", "--scenario", "cookie", "--text", "You really want a cookie.", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["scenario"] == "cookie"
    assert d["transcript"]["text"] == "You really want a cookie."
    assert set(d["pacing"]) >= {"wait_s", "speech_s", "words", "words_per_min",
                                "syllables_per_s", "pauses"}
    assert d["pacing"]["wait_s"] is None and d["pacing"]["words_per_min"] is None
    assert d["pacing"]["words"] == 5
    assert d["tone"]["loudness_db"] is None and d["tone"]["pitch_st"] is None
    ids = {f["id"] for f in d["findings"]}
    assert "reflects_words" in ids
    for f in d["findings"]:
        assert set(f) >= {"id", "kind", "area", "evidence", "start", "end"}
        assert f["start"] is None and f["end"] is None
    assert 0 < len(d["feedback"]["spoken"].split()) <= 32
    assert isinstance(d["feedback"]["details"], list)


def test_text_for_a_person_is_readable():
    r = run_heard("analyse", "--scenario", "cookie", "--text", "Stop crying, you're fine.")
    assert r.returncode == 0, r.stderr
    assert "Stop crying" in r.stdout
    assert "{" not in r.stdout  # not JSON, no unfilled templates


# --- bad input: one line, exit 2 --------------------------------------------

def test_unknown_scenario():
    r = run_heard("analyse", "--scenario", "dragons", "--text", "hello")
    assert_one_line_error(r)
    assert "dragons" in r.stderr and "cookie" in r.stderr


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "soon"])
def test_bad_cue_end_is_one_line(tmp_path, value):
    p = save(tmp_path / "take.wav", concat(silence(0.5), espeak("hello"), silence(0.5)))
    r = run_heard("analyse", "--scenario", "cookie", "--cue-end", value, p)
    assert_one_line_error(r, prefix="heard analyse: ")
    assert "--cue-end" in r.stderr and value in r.stderr


def test_cue_end_past_the_end_is_caught_before_the_model_loads(tmp_path):
    p = save(tmp_path / "take.wav", concat(silence(0.5), espeak("hello"), silence(0.5)))
    # No model anywhere: the cue-end mistake is what the user hears about.
    r = run_heard("analyse", "--scenario", "cookie", "--cue-end", "30", p,
              "--model", tmp_path / "no-model")
    assert_one_line_error(r)
    assert "past the end of take.wav" in r.stderr


def test_usage_mistakes_are_one_line():
    r = run_heard("analyse", "--text", "hello")  # --scenario missing
    assert_one_line_error(r, prefix="heard analyse: ")
    assert "--scenario" in r.stderr and "--help" in r.stderr


@pytest.mark.parametrize("name", ["empty", "not a wav", "header only", "8-bit", "96 kHz"])
def test_bad_wavs(tmp_path, name):
    p = tmp_path / "take.wav"
    BAD[name](p)
    r = run_heard("analyse", "--scenario", "cookie", p)
    assert_one_line_error(r)
    assert "take.wav" in r.stderr


def test_missing_model(tmp_path):
    p = save(tmp_path / "take.wav", concat(silence(0.5), espeak("hello"), silence(0.5)))
    r = run_heard("analyse", "--scenario", "cookie", p, "--model", tmp_path / "no-model")
    assert_one_line_error(r)
    assert "model" in r.stderr


def test_model_with_a_file_missing(tmp_path, ko_model_dir):
    # A copy made of links, except the one file we remove: cheap and real.
    broken = linked_copy(ko_model_dir, tmp_path / "model")
    (broken / "conf" / "model.conf").unlink()
    p = save(tmp_path / "take.wav", concat(silence(0.5), espeak("hello"), silence(0.5)))
    r = run_heard("analyse", "--scenario", "cookie", p, "--model", broken)
    assert_one_line_error(r)
    assert "model.conf" in r.stderr


# --- real audio through the real engine ---------------------------------------

@pytest.mark.slow
def test_known_wait_and_speech_time(tmp_path, ko_model_dir):
    reply = espeak("you tripped on the rug and fell. I saw.")
    take = concat(silence(2.4), reply, silence(1.5))
    p = save(tmp_path / "take.wav", take)
    r = run_heard("analyse", "--scenario", "tripped-rug", p, "--model", ko_model_dir, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["pacing"]["wait_s"] == pytest.approx(2.4, abs=0.1)
    assert d["pacing"]["speech_s"] == pytest.approx(len(reply) / 16000, abs=0.1)
    ids = {f["id"] for f in d["findings"]}
    assert "waited" in ids and "rushed_in" not in ids
    assert d["tone"]["loudness_db"] is not None
    assert d["pacing"]["syllables_per_s"] is not None
    # Korean model on English speech: words are timed inside the take.
    for w in d["transcript"]["words"]:
        assert 0 <= w["start"] <= w["end"] <= len(take) / 16000 + 0.01
        assert 0 <= w["conf"] <= 1


@pytest.mark.slow
def test_cue_end_moves_time_zero(tmp_path, ko_model_dir):
    cue = espeak("I want a cookie!", voice="en-us+f5", pitch=80)
    reply = espeak("you want a cookie")
    lead = 3.0  # the reading starts just before the cue's end (a seek): times stay file times
    cue_end = lead + len(cue) / 16000
    take = concat(silence(lead), cue, silence(0.4), reply, silence(1.2))
    p = save(tmp_path / "take.wav", take)
    r = run_heard("analyse", "--scenario", "cookie", p, "--cue-end", f"{cue_end:.3f}",
              "--model", ko_model_dir, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["pacing"]["wait_s"] == pytest.approx(0.4, abs=0.1)
    rushed = [f for f in d["findings"] if f["id"] == "rushed_in"]
    assert rushed and rushed[0]["start"] == pytest.approx(cue_end, abs=0.02)
    assert rushed[0]["end"] == pytest.approx(cue_end + 0.4, abs=0.1)
    for w in d["transcript"]["words"]:
        assert cue_end - 0.6 <= w["start"] <= len(take) / 16000


@pytest.mark.slow
def test_silence_only_take(tmp_path, ko_model_dir):
    p = save(tmp_path / "take.wav", silence(4.0))
    r = run_heard("analyse", "--scenario", "tripped-rug", p, "--model", ko_model_dir, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["pacing"]["wait_s"] is None
    assert d["pacing"]["words_per_min"] is None
    assert [f["id"] for f in d["findings"]] == ["stayed_silent"]


def test_spoken_feedback_is_real_speech(tmp_path):
    """What --speak would play: synthesised by the real TTS engine, judged by our VAD."""
    from heard.audio.wavio import probe, read_wav
    from heard.listen.vad import speech_fraction

    out = tmp_path / "feedback.wav"
    r = run_heard("analyse", "--scenario", "cookie", "--text", "I know you're sad, but stop crying.",
              "--json", "--save-speech", out)
    assert r.returncode == 0, r.stderr
    spoken = json.loads(r.stdout)["feedback"]["spoken"]
    dur = probe(out).duration
    words = len(spoken.split())
    # Speech runs at roughly 1.5-4 words a second, plus the lead-in silence.
    assert words / 4 < dur < words / 1.5 + 1.0
    assert speech_fraction(read_wav(out)) > 0.5
    assert (out.stat().st_mode & 0o777) == 0o600


@pytest.mark.slow
def test_english_take_end_to_end(tmp_path, en_model_dir):
    """With an English model (skipped without one): words recognised and judged."""
    reply = espeak("you really want a cookie", speed=130)
    p = save(tmp_path / "take.wav", concat(silence(1.0), reply, silence(1.5)))
    r = run_heard("analyse", "--scenario", "cookie", p, "--model", en_model_dir, "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert "cookie" in d["transcript"]["text"]
    assert "reflects_words" in {f["id"] for f in d["findings"]}


def test_full_disk_is_one_line(tmp_path):
    """/dev/full is a real device that answers every write with ENOSPC."""
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    r = run_heard("analyse", "--scenario", "cookie", "--text", "You fell.", "--save-speech", "/dev/full")
    assert_one_line_error(r)
    assert "space" in r.stderr
