"""Takes for report-page tests: real espeak-ng speech in real WAV files, analysed for real.

No English vosk model can be installed here (the only model on a package
registry is Korean), so the words of these takes are the known script,
timed across the speech the real VAD found in the real audio: a stand-in
for the recogniser's output only. The audio, VAD, pacing, prosody, tone,
word-choice analysis and feedback are all the real code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audio_helpers import concat, espeak, save, silence
from heard.analysis.prosody import measure
from heard.analysis.take import TakeAnalysis, analyse_audio, report_json
from heard.core.scenarios import get_scenario
from heard.core.transcript import Transcript, Word
from heard.listen.takeio import read_take
from heard.store.baseline import Baseline, baseline_from_prosody

# Recogniser confidences for the script's words, in turn: sure, fairly sure, unsure.
CONFS = (0.98, 0.95, 0.72, 0.99, 0.41, 0.93, 0.97, 0.66, 0.99, 0.55)


def script_transcript(script: list[str], segments: list[tuple[float, float]]) -> Transcript:
    """The script's sentences laid over the speech segments, words in proportion to length."""
    words: list[Word] = []
    k = 0
    for sentence, (a, b) in zip(script, segments):
        toks = sentence.split()
        total = sum(len(t) + 1 for t in toks)
        t = a
        for tok in toks:
            d = (b - a) * (len(tok) + 1) / total
            words.append(Word(tok, round(t, 2), round(t + d * 0.9, 2), CONFS[k % len(CONFS)]))
            t += d
            k += 1
    return Transcript(" ".join(script), words)


def calm_baseline(tmp: Path) -> Baseline:
    """A calibration from a calm espeak recording, as `heard calibrate` would make."""
    wav = save(tmp / "calm.wav", concat(silence(0.3), espeak(
        "The boat sailed slowly across the quiet lake. We had tea in the garden."), silence(0.3)))
    t = read_take(wav)
    return baseline_from_prosody(measure(t.samples, t.mask))


def make_take(tmp: Path, script: list[str], *, wait_s: float = 1.5, gap_s: float = 0.7,
              scenario: str = "cookie", baseline: Baseline | None = None, pitch: int = 50,
              name: str = "take.wav", previous=None) -> tuple[TakeAnalysis, np.ndarray, np.ndarray, Path]:
    """A real take: WAV on disk, read back, analysed; returns (analysis, samples, mask, wav)."""
    parts = [silence(wait_s)]
    for i, sentence in enumerate(script):
        if i:
            parts.append(silence(gap_s))
        parts.append(espeak(sentence, pitch=pitch))
    parts.append(silence(1.5))
    wav = save(tmp / name, concat(*parts))
    t = read_take(wav)
    from heard.analysis import pacing

    segs = pacing.speech_segments(t.mask, pacing.load_thresholds())
    transcript = script_transcript(script, segs)
    a = analyse_audio(get_scenario(scenario), t.samples, transcript, baseline=baseline,
                      mask=t.mask, previous=previous)
    return a, t.samples, t.mask, wav


def take_json(tmp: Path, script: list[str], **kw) -> dict:
    a, samples, mask, _ = make_take(tmp, script, **kw)
    return report_json(a, samples, mask)
