"""The feedback vocabulary (``shared/spec/findings.md``): stable ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STRENGTH = "strength"
CONCERN = "concern"

# id -> (kind, area). These ids are a contract: never rename one.
CATALOGUE: dict[str, tuple[str, str]] = {
    # word choice
    "acknowledges_view": (STRENGTH, "word_choice"),
    "acknowledges_feeling": (STRENGTH, "word_choice"),
    "reflects_words": (STRENGTH, "word_choice"),
    "allows_feeling": (STRENGTH, "word_choice"),
    "offers_presence": (STRENGTH, "word_choice"),
    "holds_limit": (STRENGTH, "word_choice"),
    "pushes_to_stop": (CONCERN, "word_choice"),
    "dismisses_feeling": (CONCERN, "word_choice"),
    "projects_feeling": (CONCERN, "word_choice"),
    "fixes_or_distracts": (CONCERN, "word_choice"),
    "lectures": (CONCERN, "word_choice"),
    "interrogates": (CONCERN, "word_choice"),
    "but_negates": (CONCERN, "word_choice"),
    "adds_commentary": (CONCERN, "word_choice"),
    "threatens_or_bribes": (CONCERN, "word_choice"),
    "shames_or_labels": (CONCERN, "word_choice"),
    "gives_in": (CONCERN, "word_choice"),
    "insists_on_contact": (CONCERN, "word_choice"),
    # pacing
    "waited": (STRENGTH, "pacing"),
    "rushed_in": (CONCERN, "pacing"),
    "concise": (STRENGTH, "pacing"),
    "talks_too_much": (CONCERN, "pacing"),
    "stayed_silent": (STRENGTH, "pacing"),
    "fast_rate": (CONCERN, "pacing"),
    "calm_rate": (STRENGTH, "pacing"),
    # tone
    "calm_voice": (STRENGTH, "tone"),
    "raised_voice": (CONCERN, "tone"),
    "tense_pitch": (CONCERN, "tone"),
    "flat_voice": (CONCERN, "tone"),
    "sing_song": (CONCERN, "tone"),
}

WORD_CHOICE_IDS = [k for k, (_, area) in CATALOGUE.items() if area == "word_choice"]


@dataclass
class Finding:
    """One observation about a take."""

    id: str
    evidence: str = ""
    start: float | None = None
    end: float | None = None
    # Extra facts for the feedback composer (e.g. {"rewrite": "You're sad."}).
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.id not in CATALOGUE:
            raise ValueError(f"unknown finding id {self.id!r}")

    @property
    def kind(self) -> str:
        return CATALOGUE[self.id][0]

    @property
    def area(self) -> str:
        return CATALOGUE[self.id][1]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "area": self.area,
            "evidence": self.evidence,
            "start": self.start,
            "end": self.end,
        }
