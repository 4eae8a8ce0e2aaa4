"""One take in, findings and feedback out.

This module only wires the pure analysers together (word choice, pacing,
prosody/tone) and the feedback composer; it does no I/O, so the same code
serves ``heard analyse`` on a file, typed text and the live session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from heard.analysis import pacing as pacing_mod
from heard.analysis.feedback import Feedback, TakeSummary, compose
from heard.analysis.findings import Finding
from heard.analysis.baseline import Baseline
from heard.analysis.prosody import Prosody, measure as measure_prosody
from heard.core.scenarios import Scenario
from heard.analysis.tone import rate_findings, tone_findings
from heard.core.transcript import Transcript
from heard.core.settings import FRAME_SAMPLES
from heard.listen.vad import FRAME_S, speech_mask
from heard.analysis.wordchoice import analyse_word_choice

_AREA_ORDER = {"word_choice": 0, "pacing": 1, "tone": 2}


@dataclass
class TakeAnalysis:
    scenario: Scenario
    transcript: Transcript | None
    pacing: pacing_mod.Pacing
    tone: dict
    findings: list[Finding]
    feedback: Feedback
    unclear: bool = False
    prosody: Prosody | None = None
    latency: dict = field(default_factory=dict)

    def summary(self) -> TakeSummary:
        return TakeSummary(wait_s=self.pacing.wait_s, words=self.pacing.words,
                           finding_ids=[f.id for f in self.findings],
                           loudness_db=self.tone.get("loudness_db"),
                           pitch_st=self.tone.get("pitch_st"))

    def to_json(self) -> dict:
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


def analyse_text(scenario: Scenario, text: str, *, previous: TakeSummary | None = None
                 ) -> TakeAnalysis:
    """A typed response: word choice, and pacing from the word count only."""
    transcript = Transcript.from_text(text)
    wc = analyse_word_choice(transcript, scenario)
    pace = pacing_mod.measure(transcript, None)
    found = _sorted(wc.findings + pacing_mod.findings(pace, scenario))
    fb = compose(found, scenario, unclear=wc.unclear, has_baseline=False, tone_measured=False,
                 wait_s=None, words=pace.words + pace.fillers, previous=previous)
    tone = dict(_NO_TONE)
    return TakeAnalysis(scenario, transcript, pace, tone, found, fb, wc.unclear)


def analyse_audio(scenario: Scenario, samples: np.ndarray, transcript: Transcript, *,
                  cue_end: float = 0.0, baseline: Baseline | None = None,
                  mask: np.ndarray | None = None, previous: TakeSummary | None = None
                  ) -> TakeAnalysis:
    """A recorded take (16 kHz mono int16); time 0 of ``samples`` is time 0 of the take."""
    if mask is None:
        mask = speech_mask(samples)
    th = pacing_mod.load_thresholds()
    segments = pacing_mod.speech_segments(mask, th)
    pace = pacing_mod.measure(transcript, segments, cue_end, th)
    found: list[Finding] = []
    wc_unclear = False
    prosody = None
    tone = dict(_NO_TONE)
    if pace.spoke:
        wc = analyse_word_choice(transcript, scenario)
        wc_unclear = wc.unclear or (pace.speech_s is not None and pace.words == 0)
        found += wc.findings
        a = int(pace.speech_start / FRAME_S)
        b = int(np.ceil(pace.speech_end / FRAME_S))
        seg = samples[a * FRAME_SAMPLES: b * FRAME_SAMPLES]
        prosody = measure_prosody(seg, mask[a:b])
        pace.syllables_per_s = prosody.syllables_per_s
        tf, tone = tone_findings(prosody, baseline, (pace.speech_start, pace.speech_end))
        found += tf + rate_findings(prosody, baseline, spans=(pace.speech_start, pace.speech_end))
    found += pacing_mod.findings(pace, scenario, cue_end, th)
    found = _sorted(found)
    fb = compose(found, scenario, unclear=wc_unclear, has_baseline=baseline is not None,
                 tone_measured=prosody is not None, wait_s=pace.wait_s,
                 words=pace.words + pace.fillers,
                 previous=previous, loudness_db=tone.get("loudness_db"),
                 pitch_st=tone.get("pitch_st"))
    return TakeAnalysis(scenario, transcript, pace, tone, found, fb, wc_unclear, prosody)
