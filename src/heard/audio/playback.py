"""Playing synthesised speech on a chosen speaker, knowing when it really ended.

We play the audio ourselves (not through pyttsx3, which shells out to
``aplay`` on ALSA's default device) so the speaker can be chosen by name and
``play`` can return when the sound has truly left the speaker: the listener
keeps the microphone muted until then plus 0.5 s, so it never hears us.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

import numpy as np

from heard.audio import devices
from heard.audio.resample import resample
from heard.audio.speech_out import ADULT, Synthesiser, Voice
from heard.core.errors import DeviceError

AUDIBLE_DBFS = -40.0  # quieter than this is room noise on a speaker at speaking volume
# Device buffer: enough that a busy Python thread never starves the device (at
# PortAudio's "high" 35 ms, the pulse plugin underran and printed ALSA noise).
_BUFFER_S = 0.1
_SETTLE_S = 0.1  # the stream runs on this long past the end so the last samples leave it
_START_GRACE_S = 3.0  # a sink waking up may start this late; past it the speaker is stuck
_MAX_DAC_AHEAD_S = 5.0  # a DAC time further ahead than this is a broken clock

def formats_to_try(rate: int, device_rate: float, forced: int | None) -> list[tuple[int, int]]:
    """(sample rate, channels) in order of preference: the rates of
    ``devices.rates_to_try`` in mono, then in stereo for hardware devices that
    only open in pairs."""
    rates = devices.rates_to_try(rate, device_rate, forced)
    return [(r, ch) for ch in (1, 2) for r in rates]


def audible_start(samples: np.ndarray, dbfs: float = AUDIBLE_DBFS) -> int:
    """Index of the first sample at least ``dbfs`` loud (len(samples) if none)."""
    loud = np.flatnonzero(np.abs(np.asarray(samples)) >= 10.0 ** (dbfs / 20.0))
    return int(loud[0]) if len(loud) else len(samples)


def audible_length(samples: np.ndarray, dbfs: float = AUDIBLE_DBFS) -> int:
    """Samples up to and including the last one at least ``dbfs`` loud (0 if none).

    Synthesised speech ends in up to half a second of near-silence; that is
    not sound anyone (or our microphone) can hear, so the end of the sound is
    the end of the last audible sample, not of the buffer.
    """
    loud = np.flatnonzero(np.abs(np.asarray(samples)) >= 10.0 ** (dbfs / 20.0))
    return int(loud[-1]) + 1 if len(loud) else 0


class _Feed:
    """Hands the audio to the device callback and notes when its last sample plays.

    Runs on PortAudio's real-time thread, so it only copies and records
    times. After the audio it feeds silence until the caller stops the stream
    (draining instead truncates the last buffer on ALSA's pulse plugin and
    can block for long). ``outputBufferDacTime`` is on the stream's clock; the
    offset to ``time.monotonic()`` is taken in every callback and the smallest
    kept, the one least delayed between PortAudio's reading and ours.
    """

    def __init__(self, block: np.ndarray, rate: int) -> None:
        self.block = block
        self.rate = rate
        self.latency = 0.0  # the stream's, once open: stands in for missing DAC times
        self.pos = 0
        self.offset = math.inf  # monotonic minus stream clock
        self.end_stream = math.nan  # stream-clock time the last sample leaves the speaker
        # Stream-clock time the first sample leaves the speaker, by the latest
        # buffer's schedule (a sink waking up moves it later; the last is right).
        self.start_stream = math.nan
        self.ended = threading.Event()  # end_stream is known
        self.stop = threading.Event()  # barge-in: cut the sound at the next buffer

    def callback(self, outdata, frames, time_info, status) -> None:
        self.offset = min(self.offset, time.monotonic() - time_info.currentTime)
        dac = time_info.outputBufferDacTime
        if not 0.0 <= dac - time_info.currentTime < _MAX_DAC_AHEAD_S:
            dac = time_info.currentTime + self.latency  # host API without DAC times
        self.start_stream = dac - self.pos / self.rate
        if self.stop.is_set() and not self.ended.is_set():
            self.block = self.block[: self.pos]  # nothing more of it is played
        n = max(0, min(frames, len(self.block) - self.pos))
        outdata[:n] = self.block[self.pos: self.pos + n]
        outdata[n:] = 0.0
        if not self.ended.is_set() and self.pos + frames >= len(self.block):
            self.end_stream = dac + (len(self.block) - self.pos) / self.rate
            self.ended.set()
        self.pos += frames

    def end_time(self) -> float:
        return self.end_stream + self.offset

    def start_time(self) -> float:
        return self.start_stream + self.offset


class _StartReport:
    """Hands ``on_start`` the sound's start each time the device's schedule moves it
    (by a millisecond or more), on the playing thread: the callback thread only
    stamps ``start_stream``."""

    def __init__(self, on_start: Callable[[float], None], skipped_s: float) -> None:
        self.on_start = on_start
        self.skipped_s = skipped_s  # trimmed lead: samples[0] would have come this much sooner
        self.told = math.nan

    def update(self, feed: _Feed) -> None:
        t = feed.start_time() - self.skipped_s
        if not math.isnan(t) and not abs(t - self.told) < 0.001:
            self.told = t
            self.on_start(t)


class Player:
    """Blocking playback of float32 mono audio on one output device."""

    def __init__(self, device: str | None = None, rate: int | None = None,
                 audible_dbfs: float = AUDIBLE_DBFS) -> None:
        self.device = device
        self.rate = rate  # force this output rate (e.g. a device that misreports)
        self.audible_dbfs = audible_dbfs
        # time.monotonic() at which the first audible sample of the last play left
        # the speaker (the device's schedule): what a listener hears as "it started".
        self.last_start = math.nan
        self._feed: _Feed | None = None

    def stop(self) -> None:
        """Cut the sound now playing (barge-in: the parent started to answer).

        Safe from any thread; ``play`` then aborts its stream (dropping what the
        sound server still holds) and returns.
        """
        feed = self._feed
        if feed is not None:
            feed.stop.set()

    def speaker(self) -> devices.Device:
        """The speaker ``play`` would use, or a one-line ``DeviceError`` naming what is there.

        Looked up per call: indices change when devices come and go.
        """
        return devices.pick_device(devices.list_devices(), self.device, "output")

    def play(self, samples: np.ndarray, rate: int, trim_lead: bool = False,
             on_start: Callable[[float], None] | None = None) -> float:
        """Play and block; return the ``time.monotonic()`` at which the sound ended.

        ``trim_lead`` drops the inaudible start (the synthesiser's lead
        silence): dead air when the answer is waiting for feedback.
        ``last_start`` is then when the first audible sample was played.

        ``on_start(t)`` is called on this thread, as soon as the device gives
        its schedule and again whenever the schedule moves, with the
        ``time.monotonic()`` at which ``samples[0]`` is (or, trimmed, would be)
        heard: for an echo gate, which must know when the sound was really in
        the room, not when it was handed over (a buffering or waking sink plays
        it up to a second later).

        The end is when the last audible sample leaves the speaker, from the
        device's own schedule (the DAC time of the buffer holding it), not from
        when the stream lets go of us: the first play of a session starts late
        while the sink wakes up, and closing a stream can block past the sound.
        """
        sd = devices.sounddevice()
        dev = self.speaker()
        out_rate, channels = self._choose_format(sd, dev, int(rate))
        x = np.asarray(samples, dtype=np.float32).ravel()
        if out_rate != rate:
            x = resample(x, rate, out_rate)
        x = np.clip(x, -1.0, 1.0).astype(np.float32)
        x = x[:audible_length(x, self.audible_dbfs)]
        lead = audible_start(x, self.audible_dbfs)
        skipped = 0
        if trim_lead:
            x, lead, skipped = x[lead:], 0, lead
        feed = _Feed(np.repeat(x[:, None], channels, axis=1) if channels > 1 else x[:, None],
                     out_rate)
        self._feed = feed
        try:
            stream = sd.OutputStream(device=dev.index, samplerate=out_rate, channels=channels,
                                     dtype="float32", callback=feed.callback,
                                     latency=_BUFFER_S)
            feed.latency = float(stream.latency)
            try:
                if feed.stop.is_set():  # stopped while the stream was opening (a waking sink)
                    self.last_start = math.nan  # nothing was heard
                    return time.monotonic()
                stream.start()
                heard = None if on_start is None else _StartReport(on_start, skipped / out_rate)
                self._wait(feed, len(x) / out_rate + feed.latency + _START_GRACE_S, dev, heard)
            finally:
                stream.abort()  # only silence is left in it
                stream.close()
                self._feed = None
        except sd.PortAudioError as exc:
            raise DeviceError(f"could not play on {dev.name!r} ({exc}); check `heard devices` "
                              "or use --no-speak to print feedback instead") from None
        # From the end back: the first buffers' DAC times are not to be trusted
        # while a sleeping sink wakes, the last one's is (see _Feed).
        end = feed.end_time()
        if feed.stop.is_set():  # cut short: the sound ended when the stream was aborted
            end = time.monotonic() if math.isnan(end) else min(end, time.monotonic())
        self.last_start = feed.end_time() - (len(feed.block) - lead) / out_rate
        return end

    @staticmethod
    def _wait(feed: _Feed, timeout_s: float, dev: devices.Device,
              heard: _StartReport | None = None) -> None:
        """Until the last sample is scheduled, or stop() cuts it; a speaker that
        stops taking audio for ``_START_GRACE_S`` is stuck. A slow one is not: on
        a busy machine an underrun can hold the stream up for seconds and it then
        goes on, so the deadline moves with every callback that takes more audio.
        ``heard`` is told the sound's start as the device's schedule gives it."""
        deadline = time.monotonic() + timeout_s
        seen = feed.pos
        while not feed.ended.wait(0.02):  # the device may ask for audio only every second or so
            if heard is not None:
                heard.update(feed)
            if feed.stop.is_set():
                return  # cut now: abort without waiting for the next callback
            now = time.monotonic()
            if feed.pos != seen:
                seen = feed.pos
                deadline = max(deadline, now + _START_GRACE_S)
            if now > deadline:
                break
        if not feed.ended.is_set():
            raise DeviceError(f"the speaker {dev.name!r} stopped taking audio; check it "
                              "(`heard devices`) or use --no-speak to print feedback instead")
        if heard is not None:
            heard.update(feed)  # the last buffer's schedule is the one to trust
        # Sleep until the sound has left the speaker, unless stop() asks to cut
        # it: then the stream is aborted at once, dropping what the sound
        # server still holds (over a second on PulseAudio).
        feed.stop.wait(max(0.0, feed.end_time() + _SETTLE_S - time.monotonic()))

    def _choose_format(self, sd, dev: devices.Device, rate: int) -> tuple[int, int]:
        for r, ch in formats_to_try(rate, dev.default_rate, self.rate):
            try:
                sd.check_output_settings(device=dev.index, samplerate=r, channels=ch,
                                         dtype="float32")
                return r, ch
            except (sd.PortAudioError, ValueError):
                continue
        raise DeviceError(f"the speaker {dev.name!r} accepts none of the rates "
                          f"{rate}/{int(dev.default_rate)} Hz; pick another (see `heard devices`) "
                          "or use --no-speak to print feedback instead")


def speak(text: str, synth: Synthesiser, player: Player, voice: Voice = ADULT) -> float:
    """Say ``text`` aloud; return when playback ended (for muting the microphone)."""
    samples, rate = synth.synthesise(text, voice)
    return player.play(samples, rate)
