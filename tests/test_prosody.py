"""Prosody measurement on synthetic signals and real espeak-ng speech."""

from __future__ import annotations

import numpy as np
import pytest

from audio_helpers import concat, espeak, silence
from heard.analysis.prosody import measure, pitch_track, syllable_nuclei
from heard.listen.vad import speech_mask

RATE = 16000
RNG = np.random.default_rng(7)


def semitones(a, b):
    return 12 * np.log2(np.asarray(a) / np.asarray(b))


def harmonic(f0: float, seconds: float = 1.0, kind: str = "pulse", snr_db: float | None = 20):
    """A pure tone or a harmonic-rich pulse train (all harmonics to 4 kHz, 1/k), plus noise."""
    t = np.arange(int(seconds * RATE)) / RATE
    phase = 2 * np.pi * f0 * t
    if kind == "tone":
        x = np.sin(phase)
    else:
        x = sum(np.sin(k * phase) / k for k in range(1, int(4000 / f0) + 1))
    x = 0.3 * x / np.abs(x).max()
    if snr_db is not None:
        x = x + RNG.normal(0, np.sqrt(np.mean(x * x)) / 10 ** (snr_db / 20), len(x))
    return x


def reference_f0(x: np.ndarray, t: float, fmin=60, fmax=500, win=0.03) -> float:
    """Slow, careful reference: normalised autocorrelation at every integer lag, one
    dot product at a time, taking the shortest lag within 5 % of the best (so a
    multiple of the period never wins over the period itself)."""
    x = np.asarray(x, dtype=float)
    lo, hi, w = int(RATE / fmax), int(np.ceil(RATE / fmin)), int(win * RATE)
    s = int(t * RATE) - (w + hi) // 2
    if s < 0 or s + w + hi > len(x):
        return np.nan
    a = x[s: s + w]
    scores = []
    for lag in range(lo, hi + 1):
        b = x[s + lag: s + lag + w]
        scores.append(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b) + 1e-12))
    scores = np.array(scores)
    k = int(np.flatnonzero(scores >= 0.95 * scores.max())[0])
    while k + 1 < len(scores) and scores[k + 1] > scores[k]:
        k += 1
    return RATE / (lo + k)


# --- pitch ------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["tone", "pulse"])
@pytest.mark.parametrize("f0", [70, 110, 180, 260, 420])
def test_pitch_of_synthetic_voice_in_noise(kind, f0):
    times, track = pitch_track(harmonic(f0, kind=kind, snr_db=15))
    voiced = track[~np.isnan(track)]
    assert len(voiced) >= 0.9 * len(track), "a steady periodic signal is voiced throughout"
    err = np.abs(semitones(voiced, f0))
    assert np.mean(err > 1) <= 0.05
    assert np.median(err) < 0.2
    assert np.all(np.diff(times) == pytest.approx(0.01))


def test_noise_and_silence_are_unvoiced():
    _, noise = pitch_track(RNG.normal(0, 0.1, RATE))
    _, quiet = pitch_track(np.zeros(RATE))
    assert np.isnan(noise).mean() > 0.97
    assert np.isnan(quiet).all()


SENTENCE = "You tripped on the rug and fell, and I saw it happen. It's okay to be angry."


@pytest.mark.parametrize("voice,pitch,speed", [
    ("en-us", 20, 150), ("en-us", 50, 220), ("en-us", 90, 150), ("en-us+f2", 60, 180),
])
def test_pitch_of_espeak_matches_brute_force_reference(espeak_available, voice, pitch, speed):
    x = espeak(SENTENCE, voice=voice, pitch=pitch, speed=speed)
    times, track = pitch_track(x)
    idx = np.flatnonzero(~np.isnan(track))
    assert len(idx) > 80, "a spoken sentence has plenty of voiced frames"
    ref = np.array([reference_f0(x.astype(float), times[i]) for i in idx])
    ok = ~np.isnan(ref)
    err = np.abs(semitones(track[idx][ok], ref[ok]))
    assert np.mean(err > 1) <= 0.05, f"gross errors {np.mean(err > 1):.1%}"
    assert np.median(err) < 0.3


def test_pitch_and_syllables_hold_up_in_a_noisy_room(espeak_available):
    x = concat(silence(0.5), espeak(SENTENCE, pitch=70), silence(0.5))
    speech = x[np.abs(x) > 200].astype(float)
    noise = RNG.normal(0, np.sqrt(np.mean(speech ** 2)) / 10 ** (15 / 20), len(x))  # 15 dB SNR
    noisy = np.clip(x + noise, -32768, 32767).astype(np.int16)
    clean, loud = measure(x), measure(noisy)
    assert abs(semitones(loud.f0_median_hz, clean.f0_median_hz)) < 0.5
    assert loud.pitch_spread_st == pytest.approx(clean.pitch_spread_st, abs=1.0)
    assert loud.syllables == pytest.approx(clean.syllables, rel=0.15)
    times, track = pitch_track(noisy)
    idx = np.flatnonzero(~np.isnan(track))
    ref = np.array([reference_f0(x.astype(float), times[i]) for i in idx])  # on the clean signal
    ok = ~np.isnan(ref)
    assert np.mean(np.abs(semitones(track[idx][ok], ref[ok])) > 1) <= 0.05


def test_higher_espeak_pitch_setting_reads_higher(espeak_available):
    low = measure(espeak(SENTENCE, pitch=20))
    high = measure(espeak(SENTENCE, pitch=80))
    assert 60 < low.f0_median_hz < high.f0_median_hz < 250
    assert semitones(high.f0_median_hz, low.f0_median_hz) > 4
    # The spread is a range, so p10 <= median <= p90 and it is positive.
    assert low.f0_p10_hz <= low.f0_median_hz <= low.f0_p90_hz
    assert low.pitch_spread_st == pytest.approx(semitones(low.f0_p90_hz, low.f0_p10_hz))


def test_whispered_speech_has_no_pitch(espeak_available):
    p = measure(espeak(SENTENCE, voice="en-us+whisper"))
    assert p.speech_s > 1
    assert p.f0_median_hz is None and p.pitch_spread_st is None
    assert p.voiced_fraction < 0.05


# --- loudness, speech time, pauses -------------------------------------------

def test_half_amplitude_reads_six_db_lower(espeak_available):
    x = espeak(SENTENCE)
    mask = speech_mask(x)
    full = measure(x, mask)
    half = measure((x * 0.5).astype(np.int16), mask)
    assert full.loudness_db - half.loudness_db == pytest.approx(6.02, abs=0.1)
    # With the VAD run on each signal, still about 6 dB.
    assert full.loudness_db - measure((x * 0.5).astype(np.int16)).loudness_db == pytest.approx(6.0, abs=0.5)


def test_loudness_ignores_silence_and_pauses_are_counted(espeak_available):
    a, b = espeak("You really want a cookie."), espeak("I'm right here.")
    tight = measure(concat(a, b))
    spaced = measure(concat(silence(1.0), a, silence(0.8), b, silence(1.5)))
    assert spaced.loudness_db == pytest.approx(tight.loudness_db, abs=0.5)
    assert spaced.pauses == tight.pauses + 1
    assert spaced.speech_s == pytest.approx(tight.speech_s, abs=0.25)
    assert spaced.duration_s == pytest.approx(tight.duration_s + 3.3, abs=0.01)


def test_a_given_speech_mask_decides_what_counts_as_speech(espeak_available):
    a, b = espeak("You really want a cookie."), espeak("You seem upset about the broken tower.")
    x = concat(a, silence(1.0), b)
    mask = speech_mask(x)
    first_only = mask.copy()
    first_only[len(a) // 480 + 5:] = False
    both, one = measure(x, mask), measure(x, first_only[: len(a) // 480 + 5])  # a short mask is padded
    assert one.syllables == pytest.approx(7, abs=1) and both.syllables > one.syllables + 5
    assert one.speech_s < both.speech_s - 1 and one.pauses == 0 and both.pauses == 1
    assert measure(x, np.zeros_like(mask)).loudness_db is None


def test_float_and_int16_input_agree(espeak_available):
    x = espeak("It's okay to be angry.")
    a, b = measure(x), measure(x.astype(np.float64) / 32768.0)
    assert a.loudness_db == pytest.approx(b.loudness_db, abs=0.01)
    assert a.f0_median_hz == pytest.approx(b.f0_median_hz, rel=0.01)
    assert a.syllables == b.syllables


def test_silence_and_tiny_input_measure_as_no_speech():
    for x in (silence(2.0), np.zeros(100, dtype=np.int16), np.zeros(0, dtype=np.int16)):
        p = measure(x)
        assert p.speech_s == 0 and p.loudness_db is None and p.f0_median_hz is None
        assert p.syllables == 0 and p.syllables_per_s is None and p.pauses == 0


# --- syllables and rate -------------------------------------------------------

# Sentences with their syllable counts, counted by hand.
COUNTED = {
    "You really want a cookie.": 7,
    "It's okay to be angry.": 7,
    "Tell me about it.": 5,
    "You tripped on the rug and fell, and I saw it happen.": 13,
    "I won't let you bite, so I'm going to hold your hands.": 13,
    "You seem upset about the broken tower you built this morning.": 16,
}


@pytest.mark.parametrize("speed", [130, 175])
def test_syllable_count_of_espeak_sentences(espeak_available, speed):
    total_true = total_found = 0
    for text, n in COUNTED.items():
        found = measure(espeak(text, speed=speed)).syllables
        assert abs(found - n) <= max(1, round(0.2 * n)), f"{text!r}: {found} vs {n}"
        total_true, total_found = total_true + n, total_found + found
    assert abs(total_found - total_true) <= 0.1 * total_true


def test_syllable_nuclei_are_times_inside_the_speech(espeak_available):
    x = concat(silence(0.5), espeak("You really want a cookie."), silence(0.5))
    times = syllable_nuclei(x)
    assert len(times) == pytest.approx(7, abs=1)
    assert all(0.5 <= t <= len(x) / RATE - 0.5 for t in times)
    assert times == sorted(times)


def test_faster_espeak_speech_has_a_higher_syllable_rate(espeak_available):
    text = "You seem upset about the broken tower you built this morning."
    rates = [measure(espeak(text, speed=s)).syllables_per_s for s in (110, 170, 240)]
    assert rates[0] < rates[1] < rates[2]
    assert rates[2] / rates[0] > 1.5


def test_rate_leaves_out_pauses(espeak_available):
    a = espeak("You really want a cookie.")
    b = espeak("You seem upset about the broken tower.")
    joined = measure(concat(a, silence(0.15), b))
    paused = measure(concat(a, silence(1.2), b))
    assert paused.pauses == 1
    assert paused.syllables_per_s == pytest.approx(joined.syllables_per_s, rel=0.1)


def test_too_little_speech_has_no_rate(espeak_available):
    p = measure(espeak("Hi."))
    assert p.syllables >= 1 and p.syllables_per_s is None
