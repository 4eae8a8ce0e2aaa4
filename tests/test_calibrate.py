"""``heard calibrate``: the calm baseline is stored privately and used by later takes."""

import json

from audio_helpers import concat, espeak, save, silence
from cli_helpers import assert_one_line_error, run_heard


def test_calibrate_from_a_recording_then_tone_is_relative(tmp_path, ko_model_dir):
    data = tmp_path / "data"
    calm = concat(silence(0.5), espeak("The kettle is on the counter by the window.", pitch=40),
                  silence(0.8))
    r = run_heard("calibrate", "--wav", save(tmp_path / "calm.wav", calm), data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "Saved your calm baseline" in r.stdout
    profile = data / "profile.json"
    assert (profile.stat().st_mode & 0o777) == 0o600
    assert (data.stat().st_mode & 0o777) == 0o700

    r = run_heard("calibrate", "--show", data_dir=data)
    assert "Baseline:" in r.stdout and "dBFS" in r.stdout

    # A take at a much higher pitch than the calm reading: tense_pitch, relative to baseline.
    tense = concat(silence(1.0), espeak("you really want a cookie", pitch=90), silence(1.5))
    r = run_heard("analyse", "--scenario", "cookie", save(tmp_path / "t.wav", tense),
              "--model", ko_model_dir, "--json", data_dir=data)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["tone"]["baseline"] is True
    assert d["tone"]["pitch_st"] > 3
    assert "tense_pitch" in {f["id"] for f in d["findings"]}

    r = run_heard("calibrate", "--clear", data_dir=data)
    assert r.returncode == 0 and not profile.exists()


def test_calibrate_on_silence_is_a_clear_error(tmp_path):
    r = run_heard("calibrate", "--wav", save(tmp_path / "quiet.wav", silence(2.0)),
              data_dir=tmp_path / "d")
    assert_one_line_error(r)
