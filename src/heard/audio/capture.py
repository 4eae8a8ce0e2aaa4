"""Microphone capture: the audio callback only copies; all work happens in the reader.

The PortAudio callback runs on a real-time thread: anything slow there
(resampling, VAD, vosk) makes the device drop audio. So the callback copies
the block and its capture time onto a bounded deque (oldest dropped when
full, overflows counted), and ``read`` in the worker thread does the rest:
resampling (if the device refused 16 kHz), half-duplex muting, conversion.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from heard.audio import devices
from heard.audio.resample import StreamResampler
from heard.audio.wavio import to_int16
from heard.core.errors import DeviceError
from heard.core.settings import RATE


class MicrophoneLost(DeviceError):
    """The microphone stopped mid-session (unplugged, server gone, stream error)."""


@dataclass
class Chunk:
    samples: np.ndarray  # int16, 16 kHz mono
    start: float  # time.monotonic() at which the first sample was captured

    @property
    def end(self) -> float:
        return self.start + len(self.samples) / RATE


class MicCapture:
    """One microphone stream, read from a single worker thread."""

    def __init__(self, device: str | None = None, rate: int = RATE, block_ms: int = 30,
                 max_queue_s: float = 5.0, stall_s: float = 3.0,
                 device_rate: int | None = None) -> None:
        self.device = device
        self.rate = rate  # what read() returns
        self.block_ms = block_ms
        self.max_queue_s = max_queue_s
        self.stall_s = stall_s  # no audio for this long while open = microphone lost
        self.overflows = 0  # blocks dropped because the reader fell behind
        self.status_flags = 0  # callbacks that reported a PortAudio status problem
        self.force_rate = device_rate  # open the device at this rate (misreporting devices)
        self.device_rate = rate
        self.device_name = ""
        self._q: collections.deque = collections.deque()
        self._ready = threading.Event()
        self._mute_until = 0.0
        self._stream: Any = None  # a sounddevice.InputStream (sounddevice ships no type hints)
        self._resampler: StreamResampler | None = None
        self._error: str | None = None
        self._last_cb = 0.0  # when the audio callback last ran

    # ------------------------------------------------------------ opening
    def open(self) -> MicCapture:
        # Refresh: PortAudio lists devices once, so a mic plugged in (or a sound
        # server started) after start-up would otherwise stay invisible.
        sd = devices.sounddevice(refresh=True)
        dev = devices.pick_device(devices.list_devices(), self.device, "input")
        index, self.device_name = dev.index, dev.name
        self.device_rate = self._pick_rate(sd, index, dev.default_rate)
        if self.device_rate != self.rate:
            self._resampler = StreamResampler(self.device_rate, self.rate)
        block = max(1, int(self.device_rate * self.block_ms / 1000))
        self._q = collections.deque(maxlen=max(2, int(self.max_queue_s * 1000 / self.block_ms)))
        try:
            self._stream = sd.InputStream(device=index, samplerate=self.device_rate, channels=1,
                                          dtype="int16", blocksize=block, callback=self._callback,
                                          finished_callback=self._finished)
            self._stream.start()
        except (sd.PortAudioError, ValueError) as exc:
            raise DeviceError(f"could not open the microphone {self.device_name!r} ({exc}); "
                              "check `heard devices`") from None
        self._last_cb = time.monotonic()
        return self

    def _pick_rate(self, sd, index: int, default_rate: float) -> int:
        for r in devices.rates_to_try(self.rate, default_rate, self.force_rate):
            try:
                sd.check_input_settings(device=index, samplerate=r, channels=1, dtype="int16")
                return r
            except (sd.PortAudioError, ValueError):
                continue
        raise DeviceError(f"the microphone {self.device_name!r} accepts neither {self.rate} nor "
                          f"{self.force_rate or int(default_rate)} Hz mono; pick another with "
                          "--input-device")

    # ----------------------------------------------------- real-time thread
    def _callback(self, indata, frames, time_info, status) -> None:
        now = time.monotonic()
        self._last_cb = now
        try:  # how long ago the first sample of this block was captured
            age = float(time_info.currentTime - time_info.inputBufferAdcTime)
        except Exception:  # noqa: BLE001 - some host APIs report no times
            age = -1.0
        if not 0.0 <= age < 1.0:
            age = frames / self.device_rate
        if status:
            self.status_flags += 1
        if now - age + frames / self.device_rate <= self._mute_until:
            return  # captured while muted: not worth queueing (a float compare, no work)
        if len(self._q) == self._q.maxlen:
            self.overflows += 1  # the deque drops the oldest block itself
        self._q.append((bytes(indata), now - age))
        self._ready.set()

    def _finished(self) -> None:
        if self._stream is not None and self._error is None and not self._closing:
            self._error = "the microphone stream stopped"

    _closing = False

    # --------------------------------------------------------- worker side
    def mute_until(self, t: float) -> None:
        """Drop audio captured before ``t`` (half-duplex: while we speak, plus a tail).

        Set to ``math.inf`` before playing, then to the end of playback plus
        the tail once it is known.
        """
        self._mute_until = t

    def flush(self) -> None:
        self._q.clear()

    def read(self, timeout: float = 0.1) -> Chunk | None:
        """The next chunk (int16 at ``rate``) or None if none came within ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            if self._error:
                raise MicrophoneLost(f"{self._error} ({self.device_name}); check the microphone "
                                     "and `heard devices`")
            try:
                data, start = self._q.popleft()
            except IndexError:
                now = time.monotonic()
                if self._stream is not None and now - self._last_cb > self.stall_s:
                    raise MicrophoneLost(f"the microphone {self.device_name!r} sent no audio for "
                                         f"{self.stall_s:g} s; check it is connected and not "
                                         "muted (`heard devices`)") from None
                if now >= deadline:
                    return None
                self._ready.clear()
                self._ready.wait(min(0.05, max(0.0, deadline - now)))
                continue
            chunk = self._convert(data, start)
            if chunk is not None:
                return chunk

    def _convert(self, data: bytes, start: float) -> Chunk | None:
        x = np.frombuffer(data, dtype="<i2")
        if self._resampler is not None:
            x = to_int16(self._resampler.process(x.astype(np.float32) / 32768.0))
        else:
            x = x.astype(np.int16)
        end = start + len(x) / self.rate
        if end <= self._mute_until or len(x) == 0:
            return None
        if start < self._mute_until:
            cut = int(round((self._mute_until - start) * self.rate))
            x, start = x[cut:], start + cut / self.rate
        return Chunk(x, start)

    def close(self) -> None:
        self._closing = True
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # noqa: BLE001 - closing a lost device may fail; nothing to do
                pass

    def __enter__(self) -> MicCapture:
        return self.open()

    def __exit__(self, *exc) -> None:
        self.close()
