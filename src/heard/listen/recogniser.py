"""Streaming speech recognition with vosk: words with times and confidences.

The model is loaded once, from an explicit path (``vosk.Model(lang=...)``
would download at run time; we never call it). A recogniser is fed while the
parent speaks, so the final result is ready as soon as the turn ends.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from heard.core.errors import ModelMissing
from heard.core.settings import RATE
from heard.core.transcript import Transcript, Word
from heard.listen.models import check_model_dir

_FILLERS = {"[unk]", "<unk>"}


def _vosk():
    import vosk

    vosk.SetLogLevel(-1)
    return vosk


def load_model(path: str | os.PathLike):
    """Load a vosk model directory; one clear line if it is missing or broken."""
    path = Path(path)
    check_model_dir(path)
    vosk = _vosk()
    try:
        return vosk.Model(str(path))
    except Exception:  # vosk raises a bare Exception("Failed to create a model")
        raise ModelMissing(
            f"the vosk model at {path} could not be loaded (damaged or not a vosk model); "
            "fetch it again with `heard models fetch`"
        ) from None


class StreamingRecogniser:
    """Feed int16 16 kHz audio; ``final()`` returns the whole turn's transcript.

    Word times are shifted by ``offset_s`` so they are seconds in the take
    (e.g. from the end of the child's cue), not from the first sample fed.
    """

    def __init__(self, model, rate: int = RATE, grammar: list[str] | None = None) -> None:
        self._model = model
        self._rate = rate
        self._grammar = grammar
        self._rec: Any  # a vosk.KaldiRecognizer (vosk has no type stubs), built by reset()
        self.reset()

    def _new_recogniser(self):
        vosk = _vosk()
        if self._grammar is not None:
            # ensure_ascii=False: escaped non-ASCII words are "missing in vocabulary".
            grammar = json.dumps(self._grammar, ensure_ascii=False)
            rec = vosk.KaldiRecognizer(self._model, self._rate, grammar)
        else:
            rec = vosk.KaldiRecognizer(self._model, self._rate)
        rec.SetWords(True)
        return rec

    def reset(self, offset_s: float = 0.0) -> None:
        """Start a new turn. vosk's own Reset() keeps counting word times from
        earlier turns, so a fresh recogniser is built (about 60 ms), unless
        the one there has not heard anything yet."""
        if not getattr(self, "_unused", False):
            self._rec = self._new_recogniser()
            self._unused = True
        self._words: list[Word] = []
        self._texts: list[str] = []
        self.offset_s = offset_s

    def accept(self, samples: np.ndarray) -> None:
        self._unused = False
        data = np.ascontiguousarray(samples, dtype="<i2").tobytes()
        if self._rec.AcceptWaveform(data):
            self._take(self._rec.Result())

    def partial(self) -> str:
        """The words recognised so far in this turn, the unfinished tail included."""
        tail = json.loads(self._rec.PartialResult()).get("partial", "")
        return " ".join(t for t in (*self._texts, tail) if t).strip()

    def _take(self, raw: str) -> None:
        res = json.loads(raw)
        text = res.get("text", "").strip()
        if text:
            self._texts.append(text)
        for w in res.get("result", []):
            # With a command grammar the catch-all word is kept: "[unk] stop" is
            # not the command "stop" (it must be said alone to count).
            if w.get("word") in _FILLERS and self._grammar is None:
                continue
            self._words.append(Word(
                word=w["word"],
                start=round(float(w["start"]) + self.offset_s, 3),
                end=round(float(w["end"]) + self.offset_s, 3),
                conf=float(min(1.0, max(0.0, w.get("conf", 1.0)))),
            ))

    def final(self) -> Transcript:
        self._take(self._rec.FinalResult())
        words = list(self._words)
        text = " ".join(w.word for w in words) if words else " ".join(self._texts)
        return Transcript(text=text, words=words)


def transcribe(model, samples: np.ndarray, offset_s: float = 0.0, chunk_s: float = 0.25) -> Transcript:
    """Transcribe a whole take, fed in chunks as a stream would be."""
    rec = StreamingRecogniser(model)
    rec.reset(offset_s)
    step = int(chunk_s * RATE)
    for i in range(0, len(samples), step):
        rec.accept(samples[i: i + step])
    return rec.final()
