"""`heard check`: real level judgements, no sound device at all, and a private PulseAudio."""

import json
import os
import time

import numpy as np
import pytest

from cli_helpers import run_heard
from heard.practice.check import (
    FAIL,
    PASS,
    WARN,
    CheckSettings,
    judge_level,
    load_settings,
    measure_level,
    run_checks,
    tone,
)
from pulse import FifoWriter, MonitorRecorder, pulse_server  # noqa: F401 - the fixture

RATE = 16000
S = CheckSettings()


def _sine(dbfs_peak: float, seconds: float = 1.0, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return np.round(np.sin(2 * np.pi * hz * t) * 32767 * 10 ** (dbfs_peak / 20)).astype(np.int16)


def test_level_of_a_sine_is_its_rms_in_dbfs():
    lv = measure_level(_sine(-20.0))
    assert lv.peak_dbfs == pytest.approx(-20.0, abs=0.1)
    assert lv.rms_dbfs == pytest.approx(-23.0, abs=0.1)  # sine rms = peak - 3 dB
    assert lv.clipped_share == 0 and lv.seconds == 1.0


def test_judging_the_microphone_level():
    assert judge_level(measure_level(_sine(-20.0)), S).status == PASS
    quiet = judge_level(measure_level(_sine(-75.0)), S)
    assert quiet.status == WARN and "silent" in quiet.detail and "speak or clap" in quiet.hint
    zeros = judge_level(measure_level(np.zeros(RATE, np.int16)), S)
    assert zeros.status == FAIL and "muted" in zeros.hint
    loud = np.clip(_sine(0.0).astype(np.int32) * 4, -32768, 32767).astype(np.int16)
    clip = judge_level(measure_level(loud), S)
    assert clip.status == WARN and "clipped" in clip.detail and "gain" in clip.hint
    none = judge_level(measure_level(np.zeros(0, np.int16)), S)
    assert none.status == FAIL


def test_thresholds_come_from_the_toml_and_bad_entries_are_one_line(tmp_path):
    assert load_settings().mic_seconds == 3.0
    f = tmp_path / "kiosk.toml"
    f.write_text("[check]\nsilent_dbfs = -40\n")
    assert load_settings(f).silent_dbfs == -40.0
    assert judge_level(measure_level(_sine(-50.0)), load_settings(f)).status == WARN
    f.write_text("[check]\nsilent_db = -40\n")
    from heard.core.errors import HeardError

    with pytest.raises(HeardError, match="unknown keys silent_db"):
        load_settings(f)


def test_the_beep_is_short_and_at_its_level():
    x = tone(S)
    assert len(x) == int(S.tone_seconds * RATE)
    assert np.max(np.abs(x)) == pytest.approx(10 ** (S.tone_dbfs / 20), rel=0.01)
    assert abs(x[0]) < 1e-3 and abs(x[-1]) < 1e-3  # soft edges: no click


def _no_sound_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("PULSE_SERVER", "PULSE_SOURCE", "PULSE_SINK")}
    env["XDG_RUNTIME_DIR"] = str(tmp_path)  # no sound server lives here
    env["HOME"] = str(tmp_path)
    return env


@pytest.mark.slow
def test_without_any_sound_device_the_check_fails_in_lines_not_tracebacks(tmp_path, ko_model_dir):
    p = run_heard("check", "--model", ko_model_dir, "--json", env=_no_sound_env(tmp_path),
                  replace_env=True)
    assert p.returncode == 1, p.stderr
    assert "Traceback" not in p.stderr
    out = json.loads(p.stdout)
    status = {c["item"]: c["status"] for c in out["checks"]}
    assert status == {"model": PASS, "microphone": FAIL, "speaker": FAIL, "speech": PASS}
    assert out["ok"] is False
    mic = next(c for c in out["checks"] if c["item"] == "microphone")
    assert "heard devices" in mic["detail"] + mic["hint"]
    # Plain text: one line per item, a hint on each failure, a summary.
    p = run_heard("check", "--only", "microphone,speaker", env=_no_sound_env(tmp_path),
                  replace_env=True)
    lines = p.stdout.splitlines()
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert [ln.split()[:2] for ln in lines[:2]] == [["FAIL", "microphone"], ["FAIL", "speaker"]]
    assert all(" -- " in ln for ln in lines[:2]) and "some checks failed" in lines[-1]


def test_a_missing_model_is_a_fail_line_with_a_hint(tmp_path):
    r, = run_checks(CheckSettings(model=str(tmp_path / "nope"), only=("model",)))
    assert r.status == FAIL and "does not exist" in r.detail and "heard models fetch" in r.hint


def _energy_at(x: np.ndarray, hz: float) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64)))
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    band = (freqs > hz - 20) & (freqs < hz + 20)
    return spec[band].sum() / spec.sum()


@pytest.mark.pulse
def test_on_a_private_pulseaudio_mic_level_is_measured_and_the_beep_is_played(pulse_server):
    writer = FifoWriter(pulse_server.fifo)
    writer.start()
    monitor = MonitorRecorder(pulse_server)
    monitor.start()
    try:
        settings = CheckSettings(input_device="pulse", output_device="pulse", mic_seconds=1.5,
                                 only=("microphone", "speaker"))
        writer.say(_sine(-20.0, seconds=2.5))  # a steady tone into the virtual microphone
        time.sleep(0.3)
        mic, spk = run_checks(settings)
        # Once the tone is over, the virtual microphone sends exact zeros.
        while writer.busy():
            time.sleep(0.1)
        time.sleep(0.3)
        silent, = run_checks(CheckSettings(input_device="pulse", mic_seconds=1.0,
                                           only=("microphone",)))
        time.sleep(0.5)
    finally:
        monitor.stop()
        writer.stop()
    assert mic.status == PASS, mic.line()
    assert mic.values["rms_dbfs"] == pytest.approx(-23.0, abs=1.5)
    assert silent.status == FAIL and "digital silence" in silent.detail
    assert spk.status == PASS, spk.line()
    played = np.concatenate([x for _, x in monitor.chunks])
    spans = monitor.loud_spans(thresh=2000)
    assert spans, "nothing was heard on the speaker"
    assert _energy_at(played, S.tone_hz) > 0.5  # and what played was the beep
