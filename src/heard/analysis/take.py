"""One take in, findings and feedback out.

This module only wires the pure analysers together (word choice, pacing,
prosody/tone) and the feedback composer; it does no I/O, so the same code
serves ``heard analyse`` on a file, typed text and the live session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from heard.analysis import pacing as pacing_mod
from heard.analysis.baseline import Baseline
from heard.analysis.combine import combine
from heard.analysis.feedback import Feedback, TakeSummary, compose
from heard.analysis.findings import Finding
from heard.analysis.onset import refine_segments
from heard.analysis.prosody import Prosody
from heard.analysis.prosody import measure as measure_prosody
from heard.analysis.tone import rate_findings, tone_findings
from heard.analysis.wordchoice import WordChoiceResult, analyse_word_choice
from heard.core.errors import HeardError
from heard.core.rules import Rules, load_rules
from heard.core.scenarios import Scenario
from heard.core.settings import FRAME_SAMPLES, RATE, EndpointSettings
from heard.core.transcript import Transcript
from heard.listen.vad import FRAME_S, speech_mask

_AREA_ORDER = {"word_choice": 0, "pacing": 1, "tone": 2}
# No spoken answer comes near this (a 30 s turn is under 150 words); beyond it the
# input is a pasted file or a stuck recogniser, and refusing it keeps work bounded.
MAX_TAKE_WORDS = 2000


class TakeTooLong(HeardError):
    """More words than any answer to a child has."""


def check_length(n_words: int) -> None:
    """One line and exit 2 (``HeardError``) for a take longer than ``MAX_TAKE_WORDS``."""
    if n_words > MAX_TAKE_WORDS:
        raise TakeTooLong(f"the response has {n_words} words; heard analyses at most {MAX_TAKE_WORDS} "
                          "(a spoken answer is far shorter); give a shorter response")


@dataclass
class TakeAnalysis:
    scenario: Scenario
    transcript: Transcript | None
    pacing: pacing_mod.Pacing
    tone: dict[str, Any]
    findings: list[Finding]
    feedback: Feedback
    unclear: bool = False
    prosody: Prosody | None = None
    latency: dict[str, float] = field(default_factory=dict)
    # Where speech was (seconds in the take) and the calm voice compared with:
    # kept for report pages, which draw them; not part of the JSON contract.
    segments: list[tuple[float, float]] = field(default_factory=list)
    baseline: Baseline | None = None

    def summary(self) -> TakeSummary:
        return TakeSummary(wait_s=self.pacing.wait_s, words=self.pacing.words,
                           finding_ids=[f.id for f in self.findings],
                           loudness_db=self.tone.get("loudness_db"),
                           pitch_st=self.tone.get("pitch_st"))

    def to_json(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.id,
            "transcript": self.transcript.to_json() if self.transcript else
            {"text": "", "words": []},
            "pacing": self.pacing.to_json(),
            "tone": self.tone,
            "findings": [f.to_json() for f in self.findings],
            "feedback": {"spoken": self.feedback.spoken, "details": self.feedback.details},
            "unclear": self.unclear,
        }


_NO_TONE = {"baseline": False, "loudness_db": None, "pitch_st": None, "pitch_spread_st": None}


def _sorted(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.kind != "strength", _AREA_ORDER[f.area]))


def _word_choice(transcript: Transcript, scenario: Scenario, rules: Rules) -> WordChoiceResult:
    """The rules' findings, merged with the learned layer's scores."""
    return combine(analyse_word_choice(transcript, scenario, rules=rules), transcript, scenario,
                   rules=rules)


def analyse_text(scenario: Scenario, text: str, *, previous: TakeSummary | None = None,
                 rules: Rules | None = None) -> TakeAnalysis:
    """A typed response: word choice, and pacing from the word count only.

    ``rules``: the loaded prompts (``heard.core.rules``); default the current folder's.
    """
    check_length(len(text.split()))
    rules = rules if rules is not None else load_rules()
    transcript = Transcript.from_text(text)
    wc = _word_choice(transcript, scenario, rules)
    pace = pacing_mod.measure(transcript, None, th=rules.pacing)
    found = _sorted(wc.findings + pacing_mod.findings(pace, scenario, th=rules.pacing))
    fb = compose(found, scenario, unclear=wc.unclear, has_baseline=False, tone_measured=False,
                 wait_s=None, words=pace.words + pace.fillers, previous=previous, rules=rules)
    tone = dict(_NO_TONE)
    return TakeAnalysis(scenario, transcript, pace, tone, found, fb, wc.unclear)


def analyse_audio(scenario: Scenario, samples: np.ndarray, transcript: Transcript, *,
                  cue_end: float = 0.0, baseline: Baseline | None = None,
                  mask: np.ndarray | None = None, previous: TakeSummary | None = None,
                  rules: Rules | None = None) -> TakeAnalysis:
    """A recorded take (16 kHz mono int16); time 0 of ``samples`` is time 0 of the take."""
    check_length(len(transcript.words))
    rules = rules if rules is not None else load_rules()
    if mask is None:
        mask = speech_mask(samples)
    th = rules.pacing
    # The answer's onset on the audio, not on the VAD's 30 ms frame edge: the wait is judged to 0.1 s.
    segments = refine_segments(samples, pacing_mod.speech_segments(mask, th), cue_end)
    pace = pacing_mod.measure(transcript, segments, cue_end, th)
    found: list[Finding] = []
    wc_unclear = False
    prosody = None
    tone = dict(_NO_TONE)
    if pace.spoke:
        wc = _word_choice(transcript, scenario, rules)
        wc_unclear = wc.unclear or (pace.speech_s is not None and pace.words == 0)
        found += wc.findings
        # with segments, measure() sets speech_start/end whenever anything was said
        assert pace.speech_start is not None and pace.speech_end is not None
        a = int(pace.speech_start / FRAME_S)
        b = int(np.ceil(pace.speech_end / FRAME_S))
        seg = samples[a * FRAME_SAMPLES: b * FRAME_SAMPLES]
        prosody = measure_prosody(seg, mask[a:b])
        pace.syllables_per_s = prosody.syllables_per_s
        tf, tone = tone_findings(prosody, baseline, (pace.speech_start, pace.speech_end), settings=rules.tone)
        found += tf + rate_findings(prosody, baseline, spans=(pace.speech_start, pace.speech_end),
                                    settings=rules.tone)
    found += pacing_mod.findings(pace, scenario, cue_end, th)
    found = _sorted(found)
    fb = compose(found, scenario, unclear=wc_unclear, has_baseline=baseline is not None,
                 tone_measured=prosody is not None, wait_s=pace.wait_s,
                 words=pace.words + pace.fillers,
                 previous=previous, loudness_db=tone.get("loudness_db"),
                 pitch_st=tone.get("pitch_st"), rules=rules)
    return TakeAnalysis(scenario, transcript, pace, tone, found, fb, wc_unclear, prosody,
                        segments=[(round(float(a), 3), round(float(b), 3)) for a, b in segments],
                        baseline=baseline)


TRACK_STEP_S = 0.05  # contour points for a page: 20 a second is finer than the eye needs


def report_json(analysis: TakeAnalysis, samples: np.ndarray | None = None,
                mask: np.ndarray | None = None) -> dict[str, Any]:
    """The ``heard analyse --json`` dict plus a ``timeline`` key for report pages.

    Built from ``to_json`` so a page never disagrees with the contract; the
    extra key (allowed by the contract) holds the speech segments, the
    end-of-turn point and, given the audio, pitch and loudness contours.
    """
    out = analysis.to_json()
    if samples is None:  # typed text: nothing to draw on a time axis
        return out
    duration = len(samples) / RATE
    p = analysis.pacing
    timeline: dict[str, Any] = {"duration_s": round(duration, 2),
                      "segments": [list(s) for s in analysis.segments],
                      "end_of_turn": None}
    if p.speech_end is not None:
        after = analysis.latency.get("end_of_turn", EndpointSettings().end_silence_s)
        timeline["end_of_turn"] = round(min(duration, p.speech_end + float(after)), 2)
    timeline.update(contours(samples, speech_mask(samples) if mask is None else mask,
                             analysis.baseline))
    out["timeline"] = timeline
    return out


def contours(samples: np.ndarray, mask: np.ndarray, baseline: Baseline | None,
             step_s: float = TRACK_STEP_S) -> dict[str, Any]:
    """Pitch (semitones) and loudness (dB) every ``step_s`` inside speech, and the calm band.

    Relative to the baseline when there is one (0 = the calm voice), else
    absolute (semitones re 100 Hz, dBFS), as in the JSON ``tone`` object.
    """
    from heard.analysis.prosody import as_float, pitch_track
    from heard.analysis.tone import REF_HZ, load_settings

    x = as_float(samples)
    n = int(len(x) / RATE / step_s)
    hop = int(round(step_s * RATE))
    pitch: list[float | None] = [None] * n
    loud: list[float | None] = [None] * n
    # Bins whose middle falls in a speech frame; nothing is measured outside them.
    mask = np.asarray(mask, dtype=bool)
    mid = ((np.arange(n) + 0.5) * step_s / FRAME_S).astype(int)
    speech = np.zeros(n, dtype=bool)
    ok = mid < len(mask)
    speech[ok] = mask[mid[ok]]
    if not speech.any():
        return {"step_s": step_s, "pitch_st": pitch, "loudness_db": loud, "calm": None,
                "relative": baseline is not None}
    ref_hz = baseline.f0_median_hz if baseline is not None and baseline.f0_median_hz else REF_HZ
    ref_db = baseline.loudness_db if baseline is not None else 0.0
    power = (x[: n * hop].reshape(n, hop) ** 2).mean(axis=1)
    db = 10 * np.log10(np.maximum(power, 1e-12)) - ref_db
    # Pitch only over the span with speech (one pass of the tracker, linear in its length).
    first, last = np.flatnonzero(speech)[[0, -1]]
    a, b = first * hop, (last + 1) * hop
    times, f0 = pitch_track(x[a:b])
    bins = first + (times / step_s).astype(int)
    voiced = ~np.isnan(f0) & (bins <= last)
    order = np.argsort(bins[voiced], kind="stable")
    vb, vf = bins[voiced][order], f0[voiced][order]
    cuts = np.flatnonzero(np.diff(vb)) + 1
    for group_bins, group_f0 in zip(np.split(vb, cuts), np.split(vf, cuts)):
        if len(group_bins) and speech[group_bins[0]]:
            pitch[group_bins[0]] = round(float(12 * np.log2(np.median(group_f0) / ref_hz)), 2)
    for i in np.flatnonzero(speech):
        loud[i] = round(float(db[i]), 1)
    calm = None
    if baseline is not None:
        s = load_settings()
        calm = {"pitch_st": [-s.calm_st, s.calm_st], "loudness_db": [-s.calm_db, s.calm_db]}
    return {"step_s": step_s, "pitch_st": pitch, "loudness_db": loud, "calm": calm,
            "relative": baseline is not None}
