"""Tone and speaking-rate findings from measured prosody.

Compared with the speaker's calm baseline when there is one (voices differ
more between people than within one person), else with typical adult ranges.
Thresholds live in ``prompts/tone.toml`` with the reasons for them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from heard.analysis.baseline import Baseline
from heard.analysis.findings import Finding
from heard.analysis.prosody import Prosody
from heard.core import schema
from heard.core.paths import read_toml
from heard.core.rules import ToneSettings, load_rules

REF_HZ = 100.0  # absolute pitch is reported in semitones re 100 Hz


def load_settings(path: str | Path | None = None) -> ToneSettings:
    """Thresholds from ``tone.toml``: the current prompts folder's, or the file at ``path``."""
    if path is None:
        return load_rules().tone
    path = Path(path)
    data = read_toml(path, "tone thresholds")
    schema.check(data, schema.TONE, path.name)
    return ToneSettings(**{k: float(v) for section in data.values() for k, v in section.items()})


def _default_settings() -> ToneSettings:
    return load_rules().tone

_Found = list[tuple[str, str]]  # (finding id, evidence)
_Spans = tuple[float | None, float | None] | None  # (start, end) of the speech in the take


def _st(a: float, b: float) -> float:
    return 12.0 * math.log2(a / b)


def tone_summary(p: Prosody, baseline: Baseline | None) -> dict[str, Any]:
    """The JSON ``tone`` object: relative to the baseline when there is one."""
    loud = p.loudness_db
    if loud is not None and baseline is not None:
        loud -= baseline.loudness_db
    ref = REF_HZ if baseline is None else baseline.f0_median_hz  # None: baseline was unvoiced
    pitch = _st(p.f0_median_hz, ref) if p.f0_median_hz and ref else None
    return {
        "baseline": baseline is not None,
        "loudness_db": None if loud is None else round(loud, 1),
        "pitch_st": None if pitch is None else round(pitch, 1),
        "pitch_spread_st": None if p.pitch_spread_st is None else round(p.pitch_spread_st, 1),
    }


def _voiced_s(p: Prosody) -> float:
    return p.voiced_fraction * p.speech_s


def _level_and_pitch(p: Prosody, b: Baseline | None, s: ToneSettings) -> tuple[_Found, tuple[bool, str]]:
    """[(id, evidence)] of concerns, and (voice in the calm range?, evidence for calm_voice)."""
    assert p.loudness_db is not None  # tone_findings returns early when nobody spoke
    out: _Found = []
    if b is not None:
        d_db = p.loudness_db - b.loudness_db
        d_st = _st(p.f0_median_hz, b.f0_median_hz) if p.f0_median_hz and b.f0_median_hz else None
        if d_db >= s.raised_db:
            out.append(("raised_voice", f"{d_db:+.1f} dB louder than your calm baseline"))
        if d_st is not None and d_st >= s.tense_st:
            out.append(("tense_pitch", f"pitch {d_st:+.1f} semitones above your calm baseline "
                                       f"({p.f0_median_hz:.0f} Hz vs {b.f0_median_hz:.0f} Hz)"))
        calm = abs(d_db) <= s.calm_db and (d_st is None or abs(d_st) <= s.calm_st)
        why = f"within {abs(d_db):.1f} dB" + (f" and {abs(d_st):.1f} semitones" if d_st is not None else "")
        return out, (calm, why + " of your calm baseline")
    if p.loudness_db > s.raised_dbfs:
        out.append(("raised_voice", f"very loud for speech ({p.loudness_db:.0f} dBFS); "
                                    "compared with typical levels, no baseline yet"))
    if p.f0_median_hz and p.f0_median_hz > s.f0_high_hz:
        out.append(("tense_pitch", f"median pitch {p.f0_median_hz:.0f} Hz, above the typical adult "
                                   f"range (up to {s.f0_high_hz:.0f} Hz); no baseline yet"))
    in_range = p.f0_median_hz is None or s.f0_low_hz <= p.f0_median_hz <= s.f0_high_hz
    calm = p.loudness_db <= s.calm_max_dbfs and in_range
    return out, (calm, "loudness and pitch in the typical relaxed range; no baseline yet")


def _spread(p: Prosody, s: ToneSettings) -> _Found:
    if p.pitch_spread_st is None or _voiced_s(p) < s.min_voiced_s:
        return []
    if p.pitch_spread_st < s.flat_st:
        return [("flat_voice", f"pitch moved only {p.pitch_spread_st:.1f} semitones")]
    if p.pitch_spread_st > s.sing_song_st:
        return [("sing_song", f"pitch swung over {p.pitch_spread_st:.1f} semitones")]
    return []


def tone_findings(p: Prosody, baseline: Baseline | None, spans: _Spans = None,
                  settings: ToneSettings | None = None) -> tuple[list[Finding], dict[str, Any]]:
    """Tone findings and the JSON ``tone`` object for one take.

    ``spans`` is the (start, end) of the speech in the take, given to each
    finding. calm_voice is only given when no tone concern was found.
    """
    s = settings or _default_settings()
    summary = tone_summary(p, baseline)
    if p.loudness_db is None:  # nobody spoke
        return [], summary
    start, end = spans if spans is not None else (None, None)
    found, (calm, why) = _level_and_pitch(p, baseline, s)
    found += _spread(p, s)
    if not found and calm:
        found = [("calm_voice", why)]
    return [Finding(i, evidence=e, start=start, end=end) for i, e in found], summary


def rate_findings(p: Prosody, baseline: Baseline | None, spans: _Spans = None,
                  settings: ToneSettings | None = None) -> list[Finding]:
    """fast_rate / calm_rate from the syllable rate; changes under ~10 % are not heard."""
    s = settings or _default_settings()
    found = _rate(p.syllables_per_s, baseline, s)
    start, end = spans if spans is not None else (None, None)
    return [Finding(i, evidence=e, start=start, end=end) for i, e in found]


def _rate(rate: float | None, baseline: Baseline | None, s: ToneSettings) -> _Found:
    if rate is None:
        return []
    if baseline is not None and baseline.syllables_per_s:
        ratio = rate / baseline.syllables_per_s
        pct = f"{(ratio - 1) * 100:+.0f} %"
        if ratio >= s.fast_ratio:
            return [("fast_rate", f"{rate:.1f} syllables/s, {pct} on your calm rate")]
        if ratio <= s.calm_ratio:
            return [("calm_rate", f"{rate:.1f} syllables/s, {pct} on your calm rate")]
        return []
    if rate > s.fast_syll_per_s:
        return [("fast_rate", f"{rate:.1f} syllables/s; relaxed speech is about "
                              f"{s.calm_syll_per_s:g}; no baseline yet")]
    if rate <= s.calm_syll_per_s:
        return [("calm_rate", f"{rate:.1f} syllables/s, unhurried; no baseline yet")]
    return []
