"""The speaker's calm baseline as a value: how their relaxed voice sounds.

Tone and rate findings compare a take with this, because voices differ far
more between people than one person's calm and tense voice do. This module is
pure; keeping it on disk is ``heard.store.baseline``'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from heard.analysis.prosody import Prosody
from heard.core.errors import BadAudio


@dataclass
class Baseline:
    f0_median_hz: float | None
    loudness_db: float
    syllables_per_s: float | None
    created: str  # ISO 8601, UTC


def baseline_from_prosody(p: Prosody) -> Baseline:
    """A baseline from a calm recording; it must contain speech."""
    if p.loudness_db is None or p.speech_s <= 0:
        raise BadAudio("the calm recording has no speech in it; record a few relaxed sentences")
    return Baseline(
        f0_median_hz=p.f0_median_hz,
        loudness_db=p.loudness_db,
        syllables_per_s=p.syllables_per_s,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
    )
