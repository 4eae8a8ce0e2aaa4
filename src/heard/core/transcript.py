"""What the recogniser heard: words with times and confidences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Word:
    word: str
    start: float | None = None  # seconds in the take
    end: float | None = None
    conf: float = 1.0  # vosk's confidence in [0, 1]; typed text is 1.0


@dataclass
class Transcript:
    text: str
    words: list[Word] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str) -> Transcript:
        """A typed response: untimed, fully confident words."""
        return cls(text=text, words=[Word(w) for w in text.split()])

    @property
    def timed(self) -> bool:
        return bool(self.words) and all(w.start is not None for w in self.words)

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "words": [
                {"word": w.word, "start": w.start, "end": w.end, "conf": w.conf}
                for w in self.words
            ],
        }
