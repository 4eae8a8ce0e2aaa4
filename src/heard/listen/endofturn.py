"""The end-of-turn decision: is this pause the end of the answer?

Pure logic plus an injected model: the endpointer asks ``judge`` at the
silence lengths the policy names (``checks_s``); a finished-sounding answer
ends the turn at once, anything else keeps listening up to ``ceiling_s``.
The model first, then the words: a partial result ending on "and", "because",
"um" keeps a finished-sounding answer open (the recogniser makes it while the
model runs). The policy is data (prompts/turn.toml, the words in prompts/<lang>/turn.toml), so a facilitator can
trade speed for patience without touching code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from heard.core.errors import HeardError
from heard.core.paths import prompts_dir
from heard.core.rules import read_checked


@dataclass(frozen=True)
class TurnPolicy:
    checks_s: tuple[float, ...] = (0.25, 0.5)  # silence at which the model is asked
    complete_at: tuple[float, ...] = (0.8, 0.99)  # P(finished) that ends the turn, per check
    ceiling_s: float = 3.0  # silence that ends the turn whatever was judged
    fallback_silence_s: float = 1.2  # no model: a fixed silence ends the turn
    min_speech_s: float = 0.7  # less speech than this: not judged before the last check
    resume_s: float = 0.5  # feedback waits this long after the last word: speech by then goes on
    resume_speech_s: float = 0.1  # that much speech since the turn ended carries the take on
    interrupt_s: float = 1.5  # speaking during this much of the feedback stops it and goes on
    not_done_words: frozenset[str] = frozenset()
    not_done_endings: tuple[str, ...] = ()


def load_turn_policy(lang: str = "en") -> TurnPolicy:
    """Read prompts/turn.toml and prompts/<lang>/turn.toml (the language's words).

    Types and ranges are the prompts schema's (one line naming the file and
    the key); only what relates two keys is checked here.
    """
    root = prompts_dir()
    data = read_checked(root, "turn.toml")
    checks, at, ceiling = data["checks_s"], data["complete_at"], float(data["ceiling_s"])
    if max(checks) >= ceiling:
        raise HeardError(f"end-of-turn settings file turn.toml: every check in 'checks_s' "
                         f"must come before 'ceiling_s' ({ceiling:g})")
    if len(at) == 1:
        at = at * len(checks)
    if len(at) != len(checks):
        raise HeardError("end-of-turn settings file turn.toml: 'complete_at' needs one probability, "
                         "or one per entry of 'checks_s'")
    words = read_checked(root, f"{lang}/turn.toml") if (root / lang / "turn.toml").is_file() else {}
    order = sorted(range(len(checks)), key=lambda i: checks[i])
    return TurnPolicy(
        checks_s=tuple(float(checks[i]) for i in order),
        complete_at=tuple(float(at[i]) for i in order),
        ceiling_s=ceiling,
        fallback_silence_s=float(data["fallback_silence_s"]),
        min_speech_s=float(data.get("min_speech_s", 0.7)),
        resume_s=float(data.get("resume_s", 0.5)),
        resume_speech_s=float(data.get("resume_speech_s", 0.1)),
        interrupt_s=float(data.get("interrupt_s", 1.5)),
        not_done_words=frozenset(w.lower() for w in words.get("not_done_words", ())),
        not_done_endings=tuple(words.get("not_done_endings", ())),
    )


class TurnModel(Protocol):
    def probability(self, samples: np.ndarray) -> float: ...


@dataclass(frozen=True)
class Verdict:
    complete: bool
    why: str  # "model" | "words" (a not-done word) | "too short" | "no model"
    probability: float | None = None
    cost_ms: float = 0.0  # the model's own time for this decision


@dataclass
class EndOfTurn:
    """The model, then the words. Keeps every verdict of the current turn."""

    policy: TurnPolicy
    model: TurnModel | None
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return "model" if self.model is not None else "fixed silence"

    def reset(self) -> None:
        self.verdicts = []

    def not_done(self, text: str) -> bool:
        words = text.lower().split()
        if not words:
            return False
        last = words[-1].strip(".,!?;:")
        return last in self.policy.not_done_words or (
            bool(self.policy.not_done_endings) and last.endswith(self.policy.not_done_endings))

    def threshold(self, silence_s: float) -> float:
        """The probability needed at this much silence (the last check passed)."""
        p = self.policy
        passed = [a for c, a in zip(p.checks_s, p.complete_at) if c <= silence_s + 1e-6]
        return passed[-1] if passed else p.complete_at[0]

    def judge(self, samples: np.ndarray, text: str | Callable[[], str], silence_s: float = 0.0,
              speech_s: float | None = None) -> Verdict:
        """``samples``: the turn's audio up to now; ``text``: the words recognised so far,
        or a call that gives them (asked only after the model, which can then run
        while the recogniser makes them); ``speech_s``: how long the parent has
        spoken (None: not known, not checked).

        The words can only keep a turn open: a last word such as "and" overrules a
        voice that sounds finished, and a voice that sounds unfinished needs no words."""
        p = self.policy
        early = silence_s < p.checks_s[-1] - 1e-6
        if speech_s is not None and speech_s < p.min_speech_s and early:
            v = Verdict(False, "too short")  # "uh so" is not an answer yet
        elif self.model is None:
            v = Verdict(False, "no model")
        else:
            t = time.perf_counter()
            prob = self.model.probability(samples)
            cost = (time.perf_counter() - t) * 1000.0
            complete = prob >= self.threshold(silence_s)
            if complete and self.not_done(text() if callable(text) else text):
                v = Verdict(False, "words", prob, cost)
            else:
                v = Verdict(complete, "model", prob, cost)
        self.verdicts.append(v)
        return v
