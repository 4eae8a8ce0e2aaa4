"""``heard calibrate``: the calm baseline is stored privately and used by later takes."""

import json
import os
import subprocess
import sys

from audio_helpers import concat, espeak, save, silence

HEARD = [sys.executable, "-m", "heard"]


def heard(*args, data_dir):
    env = {**os.environ, "HEARD_DATA_DIR": str(data_dir)}
    return subprocess.run([*HEARD, *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=env)


def test_calibrate_from_a_recording_then_tone_is_relative(tmp_path, ko_model_dir):
    data = tmp_path / "data"
    calm = concat(silence(0.5), espeak("The kettle is on the counter by the window.", pitch=40),
                  silence(0.8))
    r = heard("calibrate", "--wav", save(tmp_path / "calm.wav", calm), data_dir=data)
    assert r.returncode == 0, r.stderr
    assert "Saved your calm baseline" in r.stdout
    profile = data / "profile.json"
    assert (profile.stat().st_mode & 0o777) == 0o600
    assert (data.stat().st_mode & 0o777) == 0o700

    r = heard("calibrate", "--show", data_dir=data)
    assert "Baseline:" in r.stdout and "dBFS" in r.stdout

    # A take at a much higher pitch than the calm reading: tense_pitch, relative to baseline.
    tense = concat(silence(1.0), espeak("you really want a cookie", pitch=90), silence(1.5))
    r = heard("analyse", "--scenario", "cookie", save(tmp_path / "t.wav", tense),
              "--model", ko_model_dir, "--json", data_dir=data)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["tone"]["baseline"] is True
    assert d["tone"]["pitch_st"] > 3
    assert "tense_pitch" in {f["id"] for f in d["findings"]}

    r = heard("calibrate", "--clear", data_dir=data)
    assert r.returncode == 0 and not profile.exists()


def test_calibrate_on_silence_is_a_clear_error(tmp_path):
    r = heard("calibrate", "--wav", save(tmp_path / "quiet.wav", silence(2.0)),
              data_dir=tmp_path / "d")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
