"""One turn of listening: from the end of the cue to the end of the parent's reply.

The worker thread that calls ``listen`` owns the VAD, the endpointer and the
recogniser. Audio is laid on a timeline whose zero is the moment listening
began (the end of the child's cue), using the capture times of the chunks,
so the measured wait is the real wait even if the mic was muted for a while.
The recogniser is fed only while speech is going on (with pre-roll), so its
final result is ready as soon as the endpointer closes the turn.

The VAD, the recogniser and the end-of-turn judge are parts handed in, so
the timing and pre-roll logic is tested with scripted frames and scripted
parts (tests/turn_harness.py), without a model or a microphone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from heard.audio.capture import Chunk
from heard.core.settings import FRAME_SAMPLES, RATE, EndpointSettings, VadSettings
from heard.core.transcript import Transcript
from heard.listen.background import BackgroundRecogniser
from heard.listen.endofturn import EndOfTurn, Verdict
from heard.listen.endpointer import Endpointer, Event, Judged
from heard.listen.recogniser import StreamingRecogniser
from heard.listen.vad import FRAME_S, FrameVad

_JUDGE_WINDOW = int(8.0 / FRAME_S)  # frames the end-of-turn model reads (its 8 s)


class Source(Protocol):
    def read(self, timeout: float = 0.1) -> Chunk | None: ...


class Vad(Protocol):
    def reset(self) -> None: ...
    def is_speech(self, frame: np.ndarray) -> bool: ...


class Recogniser(Protocol):
    def reset(self, offset_s: float = 0.0) -> None: ...
    def accept(self, samples: np.ndarray) -> None: ...
    def partial(self) -> str: ...
    def final(self) -> Transcript: ...


@dataclass
class Turn:
    kind: str  # "turn" | "silence" | "stopped" (ended by ``until`` before anyone spoke)
    samples: np.ndarray  # int16 16 kHz; time 0 = when listening began (cue end)
    mask: np.ndarray  # one VAD decision per 30 ms frame of ``samples``
    transcript: Transcript
    speech_start: float | None = None  # seconds from time 0
    speech_end: float | None = None
    reason: str = ""  # how the turn ended: silence | max_turn | eof | until
    # time.monotonic() stamps: start (time 0), speech_end, end_of_turn, final_transcript
    stamps: dict[str, float] = field(default_factory=dict)
    # Every end-of-turn judgement made in this turn (pauses judged unfinished, then the last).
    verdicts: list[Verdict] = field(default_factory=list)
    # Audio the recogniser still had to decode when the turn was decided (seconds):
    # the wait for the transcript, on a thread of its own.
    recogniser_behind_s: float | None = None


class _TurnState:
    """The per-turn pipeline, fed with chunks on the turn's own timeline."""

    def __init__(self, listener: TurnListener, listen_s: float | None, t0: float,
                 on_event: Callable[[Event], None] | None) -> None:
        self.t0 = t0
        self.vad = listener.vad
        self.vad.reset()
        self.eot = listener.end_of_turn
        judged = None
        if self.eot is not None and self.eot.model is not None:
            self.eot.reset()
            p = self.eot.policy
            judged = Judged(self._judge, p.checks_s, p.ceiling_s)
        self.ep = Endpointer(listener.endpoint, FRAME_S, listen_s, judged)
        self.rec = listener.recogniser
        self.first = 0  # first frame the recogniser heard (start of speech less pre-roll)
        self.preroll = int(round(listener.endpoint.preroll_s / FRAME_S))
        self.on_event = on_event
        self.buf: list[np.ndarray] = []
        self.n = 0  # samples on the timeline so far
        self.pending = np.zeros(0, np.int16)
        self.frames: list[np.ndarray] = []
        self.mask: list[bool] = []
        self.speaking = False
        self.done: Event | None = None
        self.stamps = {"start": t0}

    def feed(self, chunk: Chunk) -> None:
        x = chunk.samples
        pos = int(round((chunk.start - self.t0) * RATE))
        if pos + len(x) <= 0:
            return  # before time 0
        # A running stream's blocks follow one another sample for sample; only
        # their capture stamps jitter (+-20 ms). Trimming the audio of each block
        # stamped early (and ignoring the lateness of the others) slid the whole
        # timeline up to a frame early: waits were measured 0.025 s short. So the
        # stamp places the first block, and after that only a real gap (a muted
        # or dropped stretch) or a real overlap moves the audio: more than two
        # blocks' worth of jitter (two frames).
        if self.n == 0 or abs(pos - self.n) > 2 * FRAME_SAMPLES:
            if pos + len(x) <= self.n:
                return  # already covered
            if pos < self.n:
                x = x[self.n - pos:]
            elif pos > self.n:  # silence on the timeline where no audio came
                self._append(np.zeros(pos - self.n, np.int16))
        self._append(x)

    def _append(self, x: np.ndarray) -> None:
        self.buf.append(x)
        self.n += len(x)
        self.pending = np.concatenate([self.pending, x])
        whole = len(self.pending) // FRAME_SAMPLES * FRAME_SAMPLES
        for i in range(0, whole, FRAME_SAMPLES):
            if self.done is None:
                self._frame(self.pending[i: i + FRAME_SAMPLES])
        self.pending = self.pending[whole:]

    def _frame(self, frame: np.ndarray) -> None:
        self.frames.append(frame)
        speech = self.vad.is_speech(frame)
        self.mask.append(speech)
        if self.speaking and self.rec is not None:  # speaking is only set with a recogniser
            self.rec.accept(frame)
        for ev in self.ep.push(speech):
            self._event(ev)

    def _judge(self, silence_s: float) -> bool:
        """Asked by the endpointer during a pause: has the parent finished?"""
        frames = self.frames[max(self.first, len(self.frames) - _JUDGE_WINDOW):]
        assert self.eot is not None  # the endpointer judges only when there is an EndOfTurn
        words: Callable[[], str] = lambda: ""  # noqa: E731 - no recogniser, no words
        if isinstance(self.rec, BackgroundRecogniser):
            words = self.rec.request_partial()  # made while the model runs
        elif self.rec is not None:
            words = self.rec.partial
        return self.eot.judge(np.concatenate(frames), words, silence_s, self.ep.speech_s).complete

    def _event(self, ev: Event) -> None:
        # The caller first: a start may have to cut the cue short (barge-in), and
        # must not wait for the recogniser to catch up on the pre-roll below
        # (a new recogniser and ~0.7 s of audio: over a second on a busy machine).
        if self.on_event is not None:
            self.on_event(ev)
        if ev.kind == "start":
            assert ev.speech_start is not None  # a start event carries it
            self.first = max(0, int(round(ev.speech_start / FRAME_S)) - self.preroll)
        if ev.kind == "start" and self.rec is not None:
            self.rec.reset(offset_s=self.first * FRAME_S)
            for f in self.frames[self.first:]:
                self.rec.accept(f)
            self.speaking = True
        elif ev.kind in ("end", "silence"):
            self.done = ev
            self.speaking = False

    def finish(self, reason: str) -> None:
        """Close the turn: audio ran out, or the caller's ``until`` said stop."""
        if self.done is None:
            for ev in self.ep.finish():
                self._event(ev)
            if self.done is not None and self.done.kind == "end":
                self.done = Event("end", self.done.time, self.done.speech_start,
                                  self.done.speech_end, reason)

    def result(self) -> Turn:
        ev = self.done
        self.stamps["end_of_turn"] = time.monotonic()
        self.stamps["audio_end"] = self.t0 + len(self.mask) * FRAME_S  # the take's audio ends here
        n = len(self.mask) * FRAME_SAMPLES
        samples = np.concatenate(self.buf)[:n] if self.buf else np.zeros(0, np.int16)
        mask = np.array(self.mask, dtype=bool)
        if ev is None or ev.kind != "end":
            if isinstance(self.rec, BackgroundRecogniser):
                self.rec.close()
            kind = "stopped" if ev is None else "silence"
            return Turn(kind, samples, mask, Transcript(""), stamps=self.stamps,
                        reason="until" if ev is None else "silence")
        assert ev.speech_end is not None  # an end event carries it
        self.stamps["speech_end"] = self.t0 + ev.speech_end
        behind = self.rec.behind_s() if isinstance(self.rec, BackgroundRecogniser) else None
        transcript = self.rec.final() if self.rec is not None else Transcript("")
        self.stamps["final_transcript"] = time.monotonic()
        verdicts = list(self.eot.verdicts) if self.eot is not None and self.ep.judged is not None else []
        return Turn("turn", samples, mask, transcript, ev.speech_start, ev.speech_end,
                    ev.reason, self.stamps, verdicts, behind)


class TurnListener:
    """VAD + endpointer + streaming recogniser (+ end-of-turn judge), reset for every ``listen``.

    ``grammar`` restricts the recogniser to those words (voice commands).
    ``model`` None listens without recognition (transcripts stay empty).
    The parts default to the real ones; ``vad``, ``recogniser`` (a factory
    called once per turn) and ``end_of_turn`` replace them. ``end_of_turn``
    None, or one without a model, ends turns after a fixed silence.
    """

    def __init__(self, model, vad_settings: VadSettings = VadSettings(),
                 endpoint_settings: EndpointSettings = EndpointSettings(),
                 grammar: list[str] | None = None, *, vad: Vad | None = None,
                 recogniser: Callable[[], Recogniser | None] | None = None,
                 end_of_turn: EndOfTurn | None = None) -> None:
        self.vad = vad if vad is not None else FrameVad(vad_settings)
        self.endpoint = endpoint_settings
        self.model = model
        self.grammar = grammar
        self.end_of_turn = end_of_turn
        self._make_recogniser = recogniser or self._vosk_recogniser
        self.recogniser: Recogniser | None = None

    @property
    def end_of_turn_mode(self) -> str:
        eot = self.end_of_turn
        return eot.mode if eot is not None else "fixed silence"

    def _vosk_recogniser(self) -> BackgroundRecogniser | None:
        # A new recogniser per turn: after KaldiRecognizer.Reset() vosk keeps
        # counting word times from the audio of earlier turns (and carries its
        # adaptation over), so reset() alone gives later turns shifted times.
        if self.model is None:
            return None
        return BackgroundRecogniser(StreamingRecogniser(self.model, RATE, grammar=self.grammar))

    def _fresh_recogniser(self) -> Recogniser | None:
        return self._make_recogniser()

    def listen(self, source: Source, listen_s: float | None, start: float | None = None,
               on_event: Callable[[Event], None] | None = None,
               until: Callable[[], bool] | None = None) -> Turn:
        """Listen from ``start`` (monotonic; default now) until the turn ends.

        ``listen_s``: the window for a turn to begin (None = no limit);
        silence through it is an answer. ``until``: checked between chunks;
        when it returns True the turn is closed as it stands (push-to-talk,
        a key pressed while waiting for a voice command).
        """
        self.recogniser = rec = self._fresh_recogniser()
        try:
            st = _TurnState(self, listen_s, time.monotonic() if start is None else start, on_event)
            while st.done is None:
                if until is not None and until():
                    st.finish("until")
                    break
                try:
                    chunk = source.read(timeout=0.1)
                except EOFError:  # a recording ran out (ArraySource)
                    st.finish("eof")
                    break
                if chunk is not None:
                    st.feed(chunk)
            return st.result()
        except BaseException:
            # The microphone was lost (or Ctrl-C) mid-turn: let the recogniser's thread go.
            if isinstance(rec, BackgroundRecogniser):
                rec.close()
            raise


class Replay:
    """A source that hands back chunks already read, then reads on from ``source``."""

    def __init__(self, chunks: list[Chunk], source: Source) -> None:
        self.chunks = list(chunks)
        self.source = source

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self.chunks:
            return self.chunks.pop(0)
        return self.source.read(timeout)


def went_on(listener: TurnListener, source: Source, after: float,
            speech_s: float) -> tuple[bool, Replay]:
    """Has the parent spoken again since ``after`` (the end of a turn's audio)?

    Looks only at audio the source has already captured (never waits), with
    the listener's own VAD: ``speech_s`` of speech frames is enough, since the
    session asks this just before it speaks the feedback, and a restart is
    then only a moment old. A parent who says "You fell." and, half a second
    later, "I'm here." is still answering. Returns whether they have, and a
    source that replays what was read, then reads on: listening goes on from
    ``after`` without a gap either way.
    """
    chunks: list[Chunk] = []
    vad = listener.vad
    vad.reset()
    need = max(1, int(round(speech_s / FRAME_S)))
    pending = np.zeros(0, np.int16)
    heard = 0
    while heard < need:
        try:
            chunk = source.read(timeout=0.0)
        except EOFError:  # a recording ran out
            break
        if chunk is None:
            break
        if chunk.end <= after:
            continue
        chunks.append(chunk)
        pending = np.concatenate([pending, chunk.samples[max(0, int(round((after - chunk.start) * RATE))):]])
        whole = len(pending) // FRAME_SAMPLES * FRAME_SAMPLES
        heard += sum(vad.is_speech(pending[i: i + FRAME_SAMPLES]) for i in range(0, whole, FRAME_SAMPLES))
        pending = pending[whole:]
    return heard >= need, Replay(chunks, source)


class ArraySource:
    """Audio from an array, chunked as a microphone would deliver it.

    With ``realtime`` each chunk is handed over only when it would have been
    captured, so latency stamps mean what they mean live (benchmarks); without
    it the chunks come at once on the same timeline (unit tests).
    """

    def __init__(self, samples: np.ndarray, chunk_s: float = 0.03, realtime: bool = False,
                 start: float | None = None, pad_s: float = 5.0) -> None:
        pad = np.zeros(int(pad_s * RATE), np.int16)  # trailing silence so turns can end
        self.samples = np.concatenate([np.asarray(samples, np.int16), pad])
        self.step = max(1, int(chunk_s * RATE))
        self.realtime = realtime
        self.start = time.monotonic() if start is None else start
        self.pos = 0

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self.pos >= len(self.samples):
            raise EOFError("the audio ran out before the turn ended")
        x = self.samples[self.pos: self.pos + self.step]
        t = self.start + self.pos / RATE
        if self.realtime:
            wait = t + len(x) / RATE - time.monotonic()
            if wait > timeout:  # not captured yet: a microphone would time out too
                time.sleep(max(0.0, timeout))
                return None
            time.sleep(max(0.0, wait))
        self.pos += len(x)
        return Chunk(x, t)


def listen_array(listener: TurnListener, samples: np.ndarray, listen_s: float | None,
                 realtime: bool = False, chunk_s: float = 0.03) -> Turn:
    """Run the live listener over a recording, as if it were arriving from the mic."""
    src = ArraySource(samples, chunk_s, realtime)
    return listener.listen(src, listen_s, start=src.start)
