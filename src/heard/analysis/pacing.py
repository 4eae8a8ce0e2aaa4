"""Pacing: the wait before speaking, how long and how much was said.

Pure logic over the VAD's frame decisions and the transcript; the
thresholds live in ``prompts/pacing.toml`` so they can be tuned without code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from heard.analysis.findings import Finding
from heard.core.rules import PacingThresholds, load_rules
from heard.core.scenarios import Scenario
from heard.core.transcript import Transcript
from heard.listen.vad import FRAME_S


def load_thresholds() -> PacingThresholds:
    """The thresholds of the current prompts folder (see ``heard.core.rules``)."""
    return load_rules().pacing


@dataclass
class Pacing:
    # From the cue's end to the first speech; None = nobody spoke; below 0 = the
    # parent began over the cue (a barge-in: the cue stopped for them).
    wait_s: float | None
    speech_s: float | None  # first speech to last speech, over the cue or not
    words: int
    words_per_min: float | None
    syllables_per_s: float | None = None
    pauses: int = 0
    speech_start: float | None = None  # seconds in the take
    speech_end: float | None = None
    fillers: int = 0  # "um", "mm": said, but not counted as words

    @property
    def spoke(self) -> bool:
        return self.speech_start is not None or self.words > 0 or self.fillers > 0

    def to_json(self) -> dict[str, Any]:
        def r(v: float | None, n: int = 2) -> float | None:
            return None if v is None else round(float(v), n)

        return {"wait_s": r(self.wait_s), "speech_s": r(self.speech_s), "words": self.words,
                "words_per_min": r(self.words_per_min, 1),
                "syllables_per_s": r(self.syllables_per_s), "pauses": self.pauses}


def speech_segments(mask: np.ndarray, th: PacingThresholds, frame_s: float = FRAME_S
                    ) -> list[tuple[float, float]]:
    """Runs of speech frames, with short gaps merged and clicks dropped."""
    segs: list[list[float]] = []
    idx = np.flatnonzero(np.asarray(mask, dtype=bool))
    if len(idx) == 0:
        return []
    start = prev = idx[0]
    for i in idx[1:]:
        if (i - prev - 1) * frame_s > th.merge_gap_s:
            segs.append([start * frame_s, (prev + 1) * frame_s])
            start = i
        prev = i
    segs.append([start * frame_s, (prev + 1) * frame_s])
    return [(a, b) for a, b in segs if b - a >= th.min_burst_s]


def count_words(transcript: Transcript | None, th: PacingThresholds) -> tuple[int, int]:
    """(content words, fillers) in the transcript."""
    if transcript is None:
        return 0, 0
    toks = [w.word.strip(".,!?;:\"'").lower() for w in transcript.words]
    toks = [t for t in toks if t]
    fillers = sum(1 for t in toks if t in th.fillers)
    return len(toks) - fillers, fillers


def measure(transcript: Transcript | None, segments: list[tuple[float, float]] | None,
            cue_end: float = 0.0, th: PacingThresholds | None = None) -> Pacing:
    """Pacing of one take; ``segments`` None means typed text (no timing).

    The answer is the speech still going on at the cue's end, or after it,
    from where it really began: a parent who starts over the cue (the session
    then stops the cue and starts the take just before them) spoke for all of
    it, and their wait is below zero. Speech that was over before the cue
    ended is not the answer (in a recording that holds the cue, it is the cue).
    """
    th = th or load_thresholds()
    words, fillers = count_words(transcript, th)
    if segments is None:
        return Pacing(wait_s=None, speech_s=None, words=words, words_per_min=None,
                      fillers=fillers)
    segs = [(a, b) for a, b in segments if b > cue_end]
    if not segs:
        return Pacing(wait_s=None, speech_s=None, words=0, words_per_min=None)
    start, end = segs[0][0], segs[-1][1]
    speech_s = end - start
    timed = transcript is not None and transcript.timed and words > 0
    wpm = words / speech_s * 60.0 if timed and speech_s > 0 else None
    return Pacing(wait_s=start - cue_end, speech_s=speech_s, words=words, words_per_min=wpm,
                  pauses=max(0, len(segs) - 1), speech_start=start, speech_end=end,
                  fillers=fillers)


def wait_evidence(wait_s: float) -> str:
    """The wait in words: a wait below zero is an answer begun over the cue."""
    if round(wait_s, 1) < 0:
        return f"began over the cue, {-wait_s:.1f} s before it ended"
    return f"began {wait_s:.1f} s after the cue"


def findings(p: Pacing, scenario: Scenario, cue_end: float = 0.0,
             th: PacingThresholds | None = None) -> list[Finding]:
    th = th or load_thresholds()
    out: list[Finding] = []
    if not p.spoke:
        if scenario.silence_ok and p.wait_s is None:
            out.append(Finding("stayed_silent", evidence="no words through the listening window"))
        return out
    if p.wait_s is not None:
        assert p.speech_start is not None  # measure() sets wait_s and speech_start together
        cue, first = round(cue_end, 2), round(p.speech_start, 2)
        if p.wait_s >= th.waited_s:
            out.append(Finding("waited", evidence=f"waited {p.wait_s:.1f} s", start=cue, end=first))
        elif p.wait_s < th.rushed_s:
            out.append(Finding("rushed_in", evidence=wait_evidence(p.wait_s),
                               start=min(cue, first), end=max(cue, first)))
    long_time = p.speech_s is not None and p.speech_s > th.too_long_speech_s
    short_time = p.speech_s is None or p.speech_s <= th.concise_speech_s
    start = end = None  # the speech, when there was any
    if p.speech_start is not None:
        assert p.speech_end is not None  # set together with speech_start
        start, end = round(p.speech_start, 2), round(p.speech_end, 2)
    if p.words > th.too_many_words or long_time:
        what = f"{p.words} words" + (f" over {p.speech_s:.0f} s" if p.speech_s else "")
        out.append(Finding("talks_too_much", evidence=what, start=start, end=end))
    elif 0 < p.words <= th.concise_words and short_time:
        out.append(Finding("concise", evidence=f"{p.words} words", start=start, end=end))
    return out
