"""The recogniser on a thread of its own, so listening never waits for it.

vosk decodes at 0.3-1.0 of real time on a small machine (more on speech its
model does not know), and each turn starts by building a recogniser and
catching up on the pre-roll. Fed on the listening thread, that backlog
delayed every end-of-turn check by up to a second. Here the listening thread
only queues the audio; the worker feeds vosk. A partial result is made only
when the end-of-turn check asks for one (asking vosk for it changes what it
decodes next, so never more often than inline), and the check waits for it
only briefly. ``final()`` waits for the worker to drain the queue: the
transcript is then what feeding it inline gave.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

from heard.core.settings import RATE
from heard.core.transcript import Transcript

_RESET, _FINAL, _PARTIAL = "reset", "final", "partial"
PARTIAL_WAIT_S = 0.1  # how long a check waits for a fresh partial before using the last one


class BackgroundRecogniser:
    """Wraps a recogniser (``reset``/``accept``/``partial``/``final``); the wrapped one
    is only ever touched by the worker thread."""

    def __init__(self, inner) -> None:
        self._inner = inner
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._partial = ""
        self._done = threading.Event()
        self._result: Transcript | BaseException | None = None
        self._queued = 0  # samples handed over (listening thread) ...
        self._decoded = 0  # ... and samples vosk has taken (worker thread)
        self._worker = threading.Thread(target=self._run, name="heard-recogniser", daemon=True)
        self._worker.start()

    def reset(self, offset_s: float = 0.0) -> None:
        self._partial = ""
        self._jobs.put((_RESET, offset_s))

    def accept(self, samples: np.ndarray) -> None:
        self._queued += len(samples)
        self._jobs.put(samples)

    def behind_s(self) -> float:
        """Seconds of audio queued that vosk has not decoded yet."""
        return max(0, self._queued - self._decoded) / RATE

    def partial(self) -> str:
        """The words recognised so far: fresh if the worker gets to it within
        ``PARTIAL_WAIT_S``, else the last partial it made (it is behind)."""
        return self.request_partial()()

    def request_partial(self) -> Callable[[], str]:
        """Ask the worker for the words so far, without waiting: the call returned
        gives them, waiting only what is left of ``PARTIAL_WAIT_S`` since the
        request. The end-of-turn check runs its model in between, so the wait
        for the words and the model's time overlap instead of adding up."""
        ready = threading.Event()
        self._jobs.put((_PARTIAL, ready))
        deadline = time.monotonic() + PARTIAL_WAIT_S

        def words() -> str:
            ready.wait(max(0.0, deadline - time.monotonic()))
            return self._partial
        return words

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
        try:
            while True:
                job = self._jobs.get()
                if isinstance(job, tuple) and job[0] == _RESET:
                    self._inner.reset(offset_s=job[1])
                elif isinstance(job, tuple) and job[0] == _PARTIAL:
                    self._partial = self._inner.partial()
                    job[1].set()
                elif isinstance(job, tuple) and job[0] == _FINAL:
                    self._result = self._inner.final()
                    return
                else:
                    # Frame by frame, as inline: vosk checks for the end of an utterance
                    # at each call, so longer calls would change how it splits the words.
                    self._inner.accept(job)
                    self._decoded += len(job)
        except BaseException as exc:  # noqa: BLE001 - handed to the listening thread by final()
            self._result = exc
        finally:
            self._done.set()
