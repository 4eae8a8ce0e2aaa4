"""The recogniser on a thread of its own, so listening never waits for it.

vosk decodes at 0.3-1.0 of real time on a small machine (more on speech its
model does not know), and each turn starts by building a recogniser and
catching up on the pre-roll. Fed on the listening thread, that backlog
delayed every end-of-turn check by up to a second. Here the listening thread
only queues the audio; the worker feeds vosk, and keeps the latest partial
result for the end-of-turn words. ``final()`` waits for the worker to drain
the queue: the transcript is then as complete as if it had been fed inline.
"""

from __future__ import annotations

import queue
import threading

import numpy as np

from heard.core.transcript import Transcript

_RESET, _FINAL = "reset", "final"
BATCH = 8  # frames fed to vosk in one call when the worker is behind
PARTIAL_EVERY = 10  # at most this many frames between partial results (each is a vosk call)


class BackgroundRecogniser:
    """Wraps a recogniser (``reset``/``accept``/``partial``/``final``); the wrapped one
    is only ever touched by the worker thread."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._partial = ""
        self._done = threading.Event()
        self._result: Transcript | BaseException | None = None
        self._worker = threading.Thread(target=self._run, name="heard-recogniser", daemon=True)
        self._worker.start()

    def reset(self, offset_s: float = 0.0) -> None:
        self._partial = ""
        self._jobs.put((_RESET, offset_s))

    def accept(self, samples: np.ndarray) -> None:
        self._jobs.put(samples)

    def partial(self) -> str:
        """The words recognised so far, as far as the worker has got (it may be behind)."""
        return self._partial

    def close(self) -> None:
        """The turn ended without a transcript wanted: let the worker go."""
        self._jobs.put((_FINAL, None))

    def final(self) -> Transcript:
        self._jobs.put((_FINAL, None))
        self._done.wait()
        if isinstance(self._result, BaseException):
            raise self._result
        assert self._result is not None  # set before _done
        return self._result

    def _run(self) -> None:
        fed = last = 0
        held = None
        try:
            while True:
                job, held = (held, None) if held is not None else (self._jobs.get(), None)
                if isinstance(job, tuple) and job[0] == _RESET:
                    self._inner.reset(offset_s=job[1])
                    fed = last = 0
                elif isinstance(job, tuple) and job[0] == _FINAL:
                    self._result = self._inner.final()
                    return
                else:
                    parts = [job]
                    while len(parts) < BATCH and not self._jobs.empty():  # behind: fewer, longer vosk calls
                        nxt = self._jobs.get()
                        if not isinstance(nxt, np.ndarray):
                            held = nxt  # a reset or the end: handled next, in its place
                            break
                        parts.append(nxt)
                    self._inner.accept(parts[0] if len(parts) == 1 else np.concatenate(parts))
                    fed += len(parts)
                    if fed - last >= PARTIAL_EVERY or (fed - last >= 3 and self._jobs.empty()):
                        self._partial, last = self._inner.partial(), fed
        except BaseException as exc:  # noqa: BLE001 - handed to the listening thread by final()
            self._result = exc
        finally:
            self._done.set()
