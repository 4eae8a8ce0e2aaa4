"""Turn a WAV file into what the analysers need, in bounded memory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heard.audio.wavio import iter_wav, probe
from heard.core.settings import FRAME_MS, FRAME_SAMPLES, RATE
from heard.core.transcript import Transcript
from heard.listen.recogniser import StreamingRecogniser
from heard.listen.vad import FrameVad

MAX_TAKE_S = 120.0  # a take is one reply; longer files are cut here, with a note
# Read from this long before the cue's end, so a word begun over the end of
# the cue is heard whole; everything earlier is skipped (seeked over).
PREROLL_S = 0.5
FRAME_S = FRAME_MS / 1000.0


@dataclass
class FileTake:
    samples: np.ndarray  # 16 kHz int16 from ``offset_s`` in the file, up to cue_end + MAX_TAKE_S
    mask: np.ndarray  # one VAD decision per 30 ms frame of ``samples``
    transcript: Transcript | None  # word times relative to ``offset_s``
    truncated: bool
    offset_s: float = 0.0  # where in the file ``samples`` begins (a whole number of frames)


def read_take(path: Path, model=None, cue_end: float = 0.0) -> FileTake:
    """Stream the file through the VAD (and the recogniser, if a model is given).

    Reading starts just before ``cue_end`` (a seek, not a skip through the
    audio), so a late cue in a long file costs no time and no memory.
    """
    info = probe(path)  # one-line error for a bad file before any work
    start_frames = int(max(0.0, min(cue_end, info.duration) - PREROLL_S) / FRAME_S)
    offset_s = start_frames * FRAME_S
    limit = int(round((cue_end - offset_s + MAX_TAKE_S) * RATE))
    vad = FrameVad()
    rec = StreamingRecogniser(model) if model is not None else None
    if rec is not None:
        rec.reset()
    kept: list[np.ndarray] = []
    decisions: list[bool] = []
    pending = np.zeros(0, dtype=np.int16)
    n = 0
    truncated = False
    for block in iter_wav(path, start_s=offset_s):
        if n + len(block) > limit:
            block = block[: limit - n]
            truncated = True
        n += len(block)
        kept.append(block)
        if rec is not None:
            rec.accept(block)
        pending = np.concatenate([pending, block])
        whole = len(pending) // FRAME_SAMPLES * FRAME_SAMPLES
        for i in range(0, whole, FRAME_SAMPLES):
            decisions.append(vad.is_speech(pending[i: i + FRAME_SAMPLES]))
        pending = pending[whole:]
        if truncated:
            break
    samples = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int16)
    transcript = rec.final() if rec is not None else None
    return FileTake(samples, np.array(decisions, dtype=bool), transcript, truncated, offset_s)
