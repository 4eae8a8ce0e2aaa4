"""The recogniser's own thread: listening queues audio and never waits for vosk.

A scripted recogniser stands in for vosk here (what is checked is order and
hand-over between threads); tests/test_recogniser.py runs the real one.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from heard.core.transcript import Transcript
from heard.listen.background import BackgroundRecogniser


class Slow:
    """Records every call; each accept takes ``delay`` seconds, like vosk behind."""

    def __init__(self, delay: float = 0.0, fail_on: int | None = None) -> None:
        self.calls: list[tuple] = []
        self.delay = delay
        self.fail_on = fail_on
        self.thread: set[str] = set()

    def reset(self, offset_s: float = 0.0) -> None:
        self.thread.add(threading.current_thread().name)
        self.calls.append(("reset", offset_s))

    def accept(self, samples: np.ndarray) -> None:
        self.thread.add(threading.current_thread().name)
        time.sleep(self.delay)
        self.calls.append(("accept", samples.tolist()))
        if self.fail_on is not None and self.fail_on in samples:
            raise RuntimeError("decoder failed")

    def partial(self) -> str:
        return f"{sum(len(c[1]) for c in self.calls if c[0] == 'accept')} samples"

    def final(self) -> Transcript:
        return Transcript(" ".join(str(v) for c in self.calls if c[0] == "accept" for v in c[1]))


def test_audio_reaches_the_recogniser_in_order_across_resets():
    inner = Slow(delay=0.002)
    rec = BackgroundRecogniser(inner)
    rec.accept(np.array([1, 2], np.int16))
    rec.reset(offset_s=0.5)
    for i in range(30):  # queued far faster than it is decoded
        rec.accept(np.array([i], np.int16))
    assert rec.final().text == "1 2 " + " ".join(str(i) for i in range(30))
    kinds = [c[0] for c in inner.calls]
    assert kinds[:2] == ["accept", "reset"] and inner.calls[1] == ("reset", 0.5)
    assert kinds.count("accept") == 31  # frame by frame, as vosk would be fed inline
    assert inner.thread == {"heard-recogniser"}  # vosk is only touched by the worker


def test_listening_does_not_wait_for_a_slow_recogniser():
    rec = BackgroundRecogniser(Slow(delay=0.05))
    t = time.perf_counter()
    for i in range(20):
        rec.accept(np.array([i], np.int16))
    queued = time.perf_counter() - t
    assert queued < 0.05  # twenty frames queued in less time than one takes to decode
    assert rec.final().text.split() == [str(i) for i in range(20)]


def test_a_partial_is_made_only_when_asked_and_covers_the_audio_so_far():
    inner = Slow()
    rec = BackgroundRecogniser(inner)
    for i in range(12):
        rec.accept(np.array([i], np.int16))
    assert rec.partial() == "12 samples"  # the worker caught up within the wait
    rec.final()
    assert inner.thread == {"heard-recogniser"}


def test_a_check_does_not_wait_long_for_a_recogniser_far_behind():
    rec = BackgroundRecogniser(Slow(delay=0.5))
    rec.accept(np.array([1], np.int16))
    t = time.perf_counter()
    assert rec.partial() == ""  # nothing decoded yet: the last partial, which is none
    assert time.perf_counter() - t < 0.4


def test_a_partial_asked_for_early_is_made_while_the_caller_works_and_then_costs_no_wait():
    # The end-of-turn check asks for the words, runs its model (here: sleeps),
    # then reads them: the recogniser made them meanwhile, and a recogniser far
    # behind costs no wait beyond the one the request started.
    rec = BackgroundRecogniser(Slow(delay=0.02))
    for i in range(3):
        rec.accept(np.array([i], np.int16))
    words = rec.request_partial()
    time.sleep(0.15)  # the model's time
    assert words() == "3 samples"
    behind = BackgroundRecogniser(Slow(delay=0.5))
    behind.accept(np.array([1], np.int16))
    words = behind.request_partial()
    time.sleep(0.15)
    t = time.perf_counter()
    assert words() == ""
    assert time.perf_counter() - t < 0.02
    rec.final()


def test_a_decoder_error_surfaces_at_final_not_silently():
    rec = BackgroundRecogniser(Slow(fail_on=3))
    for i in range(5):
        rec.accept(np.array([i], np.int16))
    with pytest.raises(RuntimeError, match="decoder failed"):
        rec.final()


def test_close_lets_the_worker_go():
    rec = BackgroundRecogniser(Slow())
    rec.accept(np.array([1], np.int16))
    rec.close()
    rec._worker.join(timeout=5)
    assert not rec._worker.is_alive()
