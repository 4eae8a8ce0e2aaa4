"""Tone and rate findings from real espeak-ng speech and synthetic voices."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from audio_helpers import espeak, silence, trim
from heard.analysis.prosody import Prosody, measure
from heard.analysis.tone import load_settings, rate_findings, tone_findings
from heard.audio.wavio import read_wav
from heard.core.errors import HeardError
from heard.core.paths import prompts_dir
from heard.store.baseline import Baseline, baseline_from_prosody

RATE = 16000
CALM_TEXT = "It's okay to be upset. I'm right here with you, and I'm not going anywhere."
TAKE_TEXT = "You really wanted that cookie, and I said no cookies before dinner."


def ids(findings):
    return sorted(f.id for f in findings)


def espeak_ssml(ssml: str) -> np.ndarray:
    """espeak-ng with SSML markup (audio_helpers.espeak has no -m option)."""
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "s.wav"
        subprocess.run(["espeak-ng", "-m", "-w", str(out), f"<speak>{ssml}</speak>"],
                       check=True, capture_output=True)
        return trim(read_wav(out))


def synthetic_voice(f0_of_t, seconds: float = 3.0) -> np.ndarray:
    """A harmonic-rich voice with a 4 Hz syllable-like loudness swell and any F0 contour."""
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(f0_of_t(t)) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 20))
    x = 0.2 * x * (0.55 + 0.45 * np.sin(2 * np.pi * 4 * t)) / np.abs(x).max()
    return (x * 32767).astype(np.int16)


@pytest.fixture(scope="module")
def baseline(espeak_available) -> Baseline:
    """The speaker's calm recording: espeak-ng's default voice, moderate level and rate."""
    return baseline_from_prosody(measure(espeak(CALM_TEXT, amplitude=60, speed=140)))


def take(**kw) -> Prosody:
    settings = dict(amplitude=60, speed=140) | kw
    return measure(espeak(TAKE_TEXT, **settings))


# --- with a baseline ----------------------------------------------------------

def test_same_voice_as_baseline_is_calm(baseline):
    found, tone = tone_findings(take(), baseline, spans=(1.5, 4.0))
    assert ids(found) == ["calm_voice"]
    assert found[0].start == 1.5 and found[0].end == 4.0
    assert "baseline" in found[0].evidence
    assert tone["baseline"] is True
    assert abs(tone["loudness_db"]) < 3 and abs(tone["pitch_st"]) < 2
    assert 2 < tone["pitch_spread_st"] < 12


def test_louder_take_is_a_raised_voice(baseline):
    found, tone = tone_findings(take(amplitude=180), baseline)
    assert "raised_voice" in ids(found) and "calm_voice" not in ids(found)
    assert tone["loudness_db"] >= 6
    assert "dB louder" in next(f.evidence for f in found if f.id == "raised_voice")


def test_higher_pitched_take_is_tense(baseline):
    found, tone = tone_findings(take(pitch=90), baseline)
    assert ids(found) == ["tense_pitch"]
    assert tone["pitch_st"] >= 3


def test_a_slightly_louder_take_is_neither_calm_nor_raised(baseline):
    # espeak -a 90 vs -a 60 is about +4 dB: between the calm band and "raised".
    found, tone = tone_findings(take(amplitude=90), baseline)
    assert 3 < tone["loudness_db"] < 6
    assert ids(found) == []


def test_monotone_espeak_is_flat(baseline):
    flat = measure(espeak_ssml(f'<prosody range="x-low">{TAKE_TEXT}</prosody>'))
    found, tone = tone_findings(flat, baseline)
    assert "flat_voice" in ids(found) and "calm_voice" not in ids(found)
    assert tone["pitch_spread_st"] < 2


def test_monotone_synthetic_voice_is_flat():
    found, _ = tone_findings(measure(synthetic_voice(lambda t: 120 + 0 * t)), None)
    assert "flat_voice" in ids(found)
    assert "semitones" in next(f.evidence for f in found if f.id == "flat_voice")


def test_wide_pitch_swings_are_sing_song():
    # Gliding between 110 Hz and 15 semitones above, as in exaggerated "baby talk".
    swing = synthetic_voice(lambda t: 110 * 2 ** (15 / 12 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.8 * t))))
    found, tone = tone_findings(measure(swing), None)
    assert "sing_song" in ids(found)
    assert tone["pitch_spread_st"] > 12
    lively = synthetic_voice(lambda t: 110 * 2 ** (6 / 12 * (0.5 + 0.5 * np.sin(2 * np.pi * 0.8 * t))))
    assert not {"sing_song", "flat_voice"} & set(ids(tone_findings(measure(lively), None)[0]))


def test_a_short_reply_is_not_called_flat(espeak_available):
    short = measure(espeak_ssml('<prosody range="x-low">Mm.</prosody>'))
    assert "flat_voice" not in ids(tone_findings(short, None)[0])


def test_baseline_without_voicing_still_compares_loudness(baseline):
    unvoiced = Baseline(f0_median_hz=None, loudness_db=baseline.loudness_db,
                        syllables_per_s=None, created=baseline.created)
    found, tone = tone_findings(take(amplitude=180), unvoiced)
    assert "raised_voice" in ids(found)
    assert tone["baseline"] is True and tone["pitch_st"] is None


# --- without a baseline: typical ranges ----------------------------------------

def test_without_baseline_values_are_absolute_and_say_so(espeak_available):
    p = take()
    found, tone = tone_findings(p, None)
    assert tone["baseline"] is False
    assert tone["loudness_db"] == pytest.approx(p.loudness_db, abs=0.05)  # dBFS
    assert tone["pitch_st"] == pytest.approx(12 * np.log2(p.f0_median_hz / 100), abs=0.05)
    assert ids(found) == ["calm_voice"]
    assert "no baseline" in found[0].evidence


def test_without_baseline_a_very_high_voice_is_tense(espeak_available):
    found, _ = tone_findings(take(voice="en-us+f5", pitch=99), None)
    assert "tense_pitch" in ids(found)
    # An ordinary female voice is not.
    assert "tense_pitch" not in ids(tone_findings(take(voice="en-us+f2", pitch=50), None)[0])


def test_without_baseline_only_a_near_clipping_level_is_raised(espeak_available):
    x = espeak(TAKE_TEXT, amplitude=200)
    assert "raised_voice" not in ids(tone_findings(measure(x), None)[0])  # about -15 dBFS
    hot = np.clip(x.astype(np.int32) * 2, -32768, 32767).astype(np.int16)
    assert "raised_voice" in ids(tone_findings(measure(hot), None)[0])


def test_nobody_spoke_gives_no_tone_findings():
    found, tone = tone_findings(measure(silence(3.0)), None)
    assert found == []
    assert tone == {"baseline": False, "loudness_db": None, "pitch_st": None, "pitch_spread_st": None}


# --- speaking rate ----------------------------------------------------------------

def test_faster_than_baseline_is_fast_rate(baseline):
    found = rate_findings(take(speed=230), baseline)
    assert ids(found) == ["fast_rate"]
    assert "calm rate" in found[0].evidence


def test_baseline_speed_or_slower_is_calm_rate(baseline):
    assert ids(rate_findings(take(), baseline)) == ["calm_rate"]
    assert ids(rate_findings(take(speed=110), baseline)) == ["calm_rate"]


def test_without_baseline_rates_compare_with_typical_speech(espeak_available):
    assert ids(rate_findings(take(speed=110), None)) == ["calm_rate"]
    assert ids(rate_findings(take(speed=260), None)) == ["fast_rate"]


def _prosody(rate):
    return Prosody(duration_s=3, speech_s=2.5, loudness_db=-20, f0_median_hz=110, f0_p10_hz=100,
                   f0_p90_hz=130, pitch_spread_st=4.5, voiced_fraction=0.6, syllables=10,
                   syllables_per_s=rate, pauses=0)


@pytest.mark.parametrize("ratio,expected", [
    (0.8, ["calm_rate"]), (1.0, ["calm_rate"]), (1.05, ["calm_rate"]),  # under 10 %: same as calm
    (1.12, []),  # audible, but not yet hurried
    (1.15, ["fast_rate"]), (1.4, ["fast_rate"]),
])
def test_rate_changes_under_ten_percent_are_not_reported_as_faster(ratio, expected):
    base = Baseline(f0_median_hz=110, loudness_db=-20, syllables_per_s=4.0, created="")
    assert ids(rate_findings(_prosody(4.0 * ratio), base)) == expected


def test_no_rate_no_rate_finding():
    assert rate_findings(_prosody(None), None) == []


# --- the thresholds file ----------------------------------------------------------

def test_thresholds_come_from_the_toml_file(tmp_path, baseline):
    loud = take(amplitude=180)
    assert "raised_voice" in ids(tone_findings(loud, baseline)[0])
    shipped = (prompts_dir() / "tone.toml").read_text()
    lenient = tmp_path / "tone.toml"
    lenient.write_text(shipped.replace("raised_db = 6.0", "raised_db = 20.0")
                       .replace("calm_db = 3.0", "calm_db = 20.0"))
    found, _ = tone_findings(loud, baseline, settings=load_settings(lenient))
    assert "raised_voice" not in ids(found)


@pytest.mark.parametrize("old,new,match", [
    ("[baseline]", "[baseline", "not valid TOML"),
    ("raised_db = 6.0", "raised_dB = 6.0", "`baseline.raised_dB` is not a known key; did you mean `raised_db`"),
    ("raised_db = 6.0", "raised_db = 'six'", "`baseline.raised_db` must be a number from -200 to 200, not 'six'"),
    ("calm_db = 3.0", "", "`baseline.calm_db` is missing"),
    ("calm_db = 3.0", "calm_db = nan", "`baseline.calm_db` must be a number"),
])
def test_bad_thresholds_file_is_a_one_line_error(tmp_path, old, new, match):
    path = tmp_path / "tone.toml"
    path.write_text((prompts_dir() / "tone.toml").read_text().replace(old, new, 1))
    with pytest.raises(HeardError, match=match) as err:
        load_settings(path)
    assert "\n" not in str(err.value)


def test_shipped_thresholds_file_loads():
    s = load_settings()
    assert s.calm_db < s.raised_db and s.flat_st < s.sing_song_st
    assert s.calm_ratio < s.fast_ratio and s.calm_syll_per_s < s.fast_syll_per_s
