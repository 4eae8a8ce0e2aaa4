"""Scripted frames through the real listener, in the manner of pipecat's ``run_test``.

The listener's timing, pre-roll and end-of-turn logic run for real; the
parts that would need a model or a microphone are scripted, and say so:

- ``ScriptedVad``: a frame is speech when it is not silent (scripted audio is
  exact: zeros are silence, a constant level is speech);
- ``ScriptedRecogniser``: records what it was fed, and "recognises" one word
  per speech run, taken from the script;
- ``ScriptedTurnModel``: P(finished) from the level of the last speech run
  (``FINISHED`` or ``UNFINISHED``), as a real model hears a falling or a
  level voice at the end of a phrase.

``run_turn(listener, spec)`` feeds the frames of ``spec`` as a microphone would
(chunks with capture times) and returns the turn and the events in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from heard.core.settings import FRAME_SAMPLES, RATE
from heard.core.transcript import Transcript, Word
from heard.listen.endofturn import EndOfTurn, TurnPolicy
from heard.listen.listener import ArraySource, Turn, TurnListener

FINISHED = 1000  # sample level of speech that sounds finished
UNFINISHED = 2000  # ... that sounds like more is coming
F = FRAME_SAMPLES / RATE


def script(*spec) -> np.ndarray:
    """``(seconds, level)`` or ``(seconds, level, word)`` pairs -> int16 audio.

    Level 0 is silence. The word (if any) is what the scripted recogniser
    "hears" for that run of speech.
    """
    parts = [np.full(int(round(sec * RATE)), level, np.int16) for sec, level, *_ in spec]
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def words_of(*spec) -> list[tuple[float, float, str]]:
    out, t = [], 0.0
    for sec, _level, *word in spec:
        if word:
            out.append((t, t + sec, word[0]))
        t += sec
    return out


class ScriptedVad:
    """Speech = a frame with any non-zero sample. No webrtcvad (its decisions on
    constant levels are not what a test of timing should depend on)."""

    def __init__(self) -> None:
        self.frames = 0

    def reset(self) -> None:
        self.frames = 0

    def is_speech(self, frame: np.ndarray) -> bool:
        self.frames += 1
        return bool(np.any(frame))


@dataclass
class ScriptedRecogniser:
    """Stands in for vosk: knows the words of the script by time."""

    words: list[tuple[float, float, str]]
    fed: list[np.ndarray] = field(default_factory=list)
    offset_s: float = 0.0
    resets: int = 0

    def reset(self, offset_s: float = 0.0) -> None:
        self.offset_s = offset_s
        self.fed = []
        self.resets += 1

    def accept(self, samples: np.ndarray) -> None:
        self.fed.append(np.asarray(samples))

    @property
    def heard_until(self) -> float:
        return self.offset_s + sum(len(x) for x in self.fed) / RATE

    def _heard(self) -> list[tuple[float, float, str]]:
        return [w for w in self.words if w[1] <= self.heard_until + 1e-6 and w[0] >= self.offset_s - 1e-6]

    def partial(self) -> str:
        return " ".join(w for _, _, w in self._heard())

    def final(self) -> Transcript:
        ws = [Word(w, s, e, 1.0) for s, e, w in self._heard()]
        return Transcript(" ".join(w.word for w in ws), ws)


class ScriptedTurnModel:
    """P(finished) from the level of the last speech heard; counts its calls."""

    def __init__(self) -> None:
        self.calls: list[int] = []  # samples handed over per call

    def probability(self, samples: np.ndarray) -> float:
        self.calls.append(len(samples))
        voiced = samples[samples != 0]
        if not len(voiced):
            return 0.5
        return 0.9 if voiced[-1] == FINISHED else 0.1


@dataclass
class Run:
    turn: Turn
    events: list
    recogniser: ScriptedRecogniser
    model: ScriptedTurnModel | None


def listener_for(spec, policy: TurnPolicy | None = None, model: bool = True,
                 **settings) -> tuple[TurnListener, ScriptedRecogniser, ScriptedTurnModel | None]:
    from heard.core.settings import EndpointSettings

    rec = ScriptedRecogniser(words_of(*spec))
    tm = ScriptedTurnModel() if model else None
    eot = EndOfTurn(policy or TurnPolicy(not_done_words=frozenset({"and", "um"})), tm)
    listener = TurnListener(None, endpoint_settings=EndpointSettings(**settings),
                            vad=ScriptedVad(), recogniser=lambda: rec, end_of_turn=eot)
    return listener, rec, tm


def run_turn(*spec, policy: TurnPolicy | None = None, model: bool = True,
             listen_s: float | None = 10.0, start_offset_s: float = 0.0, chunk_s: float = 0.03,
             **settings) -> Run:
    """Feed the scripted audio through a real ``TurnListener`` with scripted parts.

    ``start_offset_s``: the first chunk's capture time relative to time 0
    (negative: audio from before listening began; positive: a muted stretch).
    """
    listener, rec, tm = listener_for(spec, policy, model, **settings)
    t0 = 1000.0
    src = ArraySource(script(*spec), chunk_s=chunk_s, start=t0 + start_offset_s)
    events: list = []
    turn = listener.listen(src, listen_s, start=t0, on_event=events.append)
    return Run(turn, events, rec, tm)
