"""End-of-turn decisions from per-frame speech/no-speech, as a pure state machine.

No audio and no clock in here: the caller feeds one bool per frame and gets
events back, so the logic is tested with scripted frame sequences (the
Home Assistant ``assist_pipeline`` approach). Times are seconds from the
first frame fed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from heard.core.settings import FRAME_MS, EndpointSettings


class State(Enum):
    WAITING = "waiting"  # listening for the turn to begin
    SPEAKING = "speaking"  # a turn is under way
    DONE = "done"  # the turn ended (or the window closed in silence)


@dataclass(frozen=True)
class Event:
    kind: str  # "start" | "end" | "silence"
    time: float  # when the decision was made
    speech_start: float | None = None  # first speech frame of the turn
    speech_end: float | None = None  # end of the last speech frame of the turn
    reason: str = ""  # for "end": "silence" | "complete" (judged finished) | "max_turn" | "eof"


@dataclass(frozen=True)
class Judged:
    """End of turn by judgement: ask ``judge(silence_s)`` at each of ``checks_s``
    seconds of silence (True = finished, end now); ``ceiling_s`` of silence ends
    the turn whatever was said. Without it, ``end_silence_s`` does."""

    judge: Callable[[float], bool]
    checks_s: tuple[float, ...]
    ceiling_s: float


class Endpointer:
    """Feed ``push(is_speech)`` once per frame; read events from its return value."""

    def __init__(self, settings: EndpointSettings = EndpointSettings(),
                 frame_s: float = FRAME_MS / 1000.0, listen_s: float | None = None,
                 judged: Judged | None = None) -> None:
        self.settings = settings
        self.frame_s = frame_s
        self.listen_s = listen_s  # window for a turn to begin; None = wait forever
        self.judged = judged
        self.reset()

    def reset(self) -> None:
        self.state = State.WAITING
        self._n = 0  # frames seen
        self._cand_start: int | None = None  # first frame of a possible start
        self._cand_speech = 0  # speech frames in the candidate
        self._cand_gap = 0  # consecutive silent frames inside the candidate
        self._start: int | None = None
        self._last_speech: int | None = None  # last speech frame index
        self._silence = 0  # consecutive silent frames while speaking

    @property
    def time(self) -> float:
        return self._n * self.frame_s

    @property
    def speech_s(self) -> float:
        """From the first to the last speech frame of the open turn (0 before it starts)."""
        if self._start is None or self._last_speech is None:
            return 0.0
        return (self._last_speech + 1 - self._start) * self.frame_s

    def _t(self, frame_index: int) -> float:
        return frame_index * self.frame_s

    def push(self, is_speech: bool) -> list[Event]:
        if self.state is State.DONE:
            return []
        i = self._n
        self._n += 1
        s = self.settings
        if self.state is State.WAITING:
            return self._waiting(i, is_speech, s)
        return self._speaking(i, is_speech, s)

    def _waiting(self, i: int, is_speech: bool, s: EndpointSettings) -> list[Event]:
        if is_speech:
            if self._cand_start is None:
                self._cand_start = i
            self._cand_speech += 1
            self._cand_gap = 0
            self._last_speech = i
            if self._cand_speech * self.frame_s >= s.start_s - 1e-9:
                self.state = State.SPEAKING
                self._start = self._cand_start
                return [Event("start", self.time, speech_start=self._t(self._start))]
        elif self._cand_start is not None:
            # Short gaps inside a starting word are fine; a longer one drops the candidate.
            self._cand_gap += 1
            if self._cand_gap * self.frame_s > s.start_s:
                self._cand_start, self._cand_speech, self._cand_gap = None, 0, 0
        if self.listen_s is not None and self._cand_start is None and self.time >= self.listen_s:
            self.state = State.DONE
            return [Event("silence", self.time)]
        return []

    def _speaking(self, i: int, is_speech: bool, s: EndpointSettings) -> list[Event]:
        if is_speech:
            self._silence = 0
            self._last_speech = i
        else:
            self._silence += 1
        assert self._start is not None and self._last_speech is not None  # set on entering SPEAKING
        start_t = self._t(self._start)
        end_t = self._t(self._last_speech + 1)
        reason = self._silence_ends(s) if self._silence else None
        if reason is not None:
            self.state = State.DONE
            return [Event("end", self.time, start_t, end_t, reason=reason)]
        if self.time - start_t >= s.max_turn_s:
            self.state = State.DONE
            return [Event("end", self.time, start_t, end_t, reason="max_turn")]
        return []

    def _silence_ends(self, s: EndpointSettings) -> str | None:
        """Does the silence so far end the turn, and why."""
        silence = self._silence * self.frame_s
        j = self.judged
        if j is None:
            return "silence" if silence >= s.end_silence_s - 1e-9 else None
        if silence >= j.ceiling_s - 1e-9:
            return "silence"
        before = silence - self.frame_s
        for c in j.checks_s:
            if before < c - 1e-9 <= silence:  # this frame reached check c
                if j.judge(silence):
                    return "complete"
        return None

    def finish(self) -> list[Event]:
        """The audio ran out (end of a file): close the turn if one is open."""
        if self.state is State.SPEAKING:
            assert self._start is not None and self._last_speech is not None  # set on entering SPEAKING
            self.state = State.DONE
            return [Event("end", self.time, self._t(self._start),
                          self._t(self._last_speech + 1), reason="eof")]
        if self.state is State.WAITING:
            self.state = State.DONE
            return [Event("silence", self.time)]
        return []
