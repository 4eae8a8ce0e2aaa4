"""Playback on a real (virtual) speaker: does ``play`` know when the sound ended?

A private PulseAudio daemon gives a null-sink speaker ``spk``; we record its
monitor (what was played) and compare the end of the sound there with what
``Player.play`` returned. The session mutes the microphone until that moment
plus 0.5 s and measures the parent's wait from it, so an error here is an
error in a number parents see.

The recording is laid on a sample clock: sample n was played at t0 + n/rate,
with t0 the earliest any block's arrival allows. Arrival times alone jump
when a block is delivered late, and the monitor's ADC times were measured
inconsistent while a new stream starts (a 1.0 s tone spanned 1.5 s).
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from heard.audio import devices
from heard.audio.playback import Player
from heard.core.errors import DeviceError
from pulse import pulse_server  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.pulse]

REC_RATE = 48000
SYNTH_RATE = 22050  # espeak-ng's rate; the sink runs at 44.1 kHz, so pulse or we resample
LEAD_S, TONE_S, TRAIL_S = 0.2, 0.8, 0.4  # like synthesised speech: quiet in front and behind
TOLERANCE_S = 0.1


def burst(freq: float = 440.0, rate: int = SYNTH_RATE) -> np.ndarray:
    t = np.arange(int(TONE_S * rate)) / rate
    return np.concatenate([np.zeros(int(LEAD_S * rate)), 0.5 * np.sin(2 * np.pi * freq * t),
                           np.zeros(int(TRAIL_S * rate))]).astype(np.float32)


class MonitorInput:
    """Records ``spk.monitor`` through sounddevice on the sample clock (see module doc)."""

    def __init__(self) -> None:
        sd = devices.sounddevice()
        self.blocks: list[tuple[float, np.ndarray]] = []  # (monotonic at callback, samples)
        old = os.environ.get("PULSE_SOURCE")
        os.environ["PULSE_SOURCE"] = "spk.monitor"  # read when the stream connects
        try:
            self.stream = sd.InputStream(device="pulse", samplerate=REC_RATE, channels=1,
                                         dtype="float32", blocksize=REC_RATE // 100,
                                         callback=self._callback)
        finally:
            os.environ["PULSE_SOURCE"] = old or "mic"
        self.stream.start()

    def _callback(self, indata, frames, time_info, status) -> None:
        self.blocks.append((time.monotonic(), indata[:, 0].copy()))

    def close(self) -> None:
        self.stream.abort()
        self.stream.close()

    def sound_after(self, t: float, thresh: float = 0.05) -> tuple[float, float, np.ndarray]:
        """(start, end, samples) of the sound played after monotonic ``t``."""
        blocks = list(self.blocks)
        ends = np.cumsum([len(x) for _, x in blocks])
        t0 = min(arrival - n / REC_RATE for (arrival, _), n in zip(blocks, ends))
        audio = np.concatenate([x for _, x in blocks])
        times = t0 + np.arange(len(audio)) / REC_RATE
        loud = np.flatnonzero((np.abs(audio) > thresh) & (times > t))
        assert len(loud), "nothing was heard on the speaker"
        a, b = loud[0], loud[-1] + 1
        return times[a], t0 + b / REC_RATE, audio[a:b]


@pytest.fixture
def monitor(pulse_server):  # noqa: F811 - the fixture above
    devices.list_devices(refresh=True)  # PortAudio must see the new daemon's devices
    mon = MonitorInput()
    time.sleep(0.5)  # a stretch of silence to anchor the sample clock
    yield mon
    mon.close()


def play_and_hear(player: Player, monitor: MonitorInput, x: np.ndarray, rate: int):
    called = time.monotonic()
    returned = player.play(x, rate)
    time.sleep(0.5)  # let the monitor deliver the last blocks
    start, end, heard = monitor.sound_after(called)
    return returned, start, end, heard


def test_play_returns_when_the_sound_ended_including_the_first_play(monitor):
    player = Player("pulse")
    errors = []
    for _ in range(3):  # the first play of a session starts late while the sink wakes
        returned, start, end, _ = play_and_hear(player, monitor, burst(), SYNTH_RATE)
        errors.append(returned - end)
        # The whole tone was played: no tail lost when the stream stopped.
        assert end - start == pytest.approx(TONE_S, abs=0.03)
    print(f"\nplay() returned minus measured end of sound: {[f'{e:+.3f}' for e in errors]} s")
    # The trailing silence is not sound: counting it was a 0.4 s error.
    assert all(abs(e) < TOLERANCE_S for e in errors), errors


def test_22050_hz_audio_plays_on_a_device_that_needs_resampling(pulse_server, monitor):  # noqa: F811
    player = Player("pulse", rate=48000)  # as for a device that only takes 48 kHz
    seen: list[str] = []

    def sink_inputs() -> None:
        # Look while the sound plays (its stream exists only then); a busy machine
        # may open it late, so keep looking for a few seconds.
        deadline = time.monotonic() + 4.0
        while time.monotonic() < deadline:
            found = pulse_server.pactl("list", "sink-inputs")
            if "Sample Specification" in found:
                seen.append(found)
                return
            time.sleep(0.05)
        seen.append("")

    peek = threading.Thread(target=sink_inputs)
    peek.start()
    returned, start, end, heard = play_and_hear(player, monitor, burst(1000.0), SYNTH_RATE)
    peek.join()
    assert "48000Hz" in seen[0]  # the stream really ran at the device's rate
    # Same pitch and length as written: resampled, not sped up or slowed down.
    spectrum = np.abs(np.fft.rfft(heard * np.hanning(len(heard))))
    peak_hz = np.argmax(spectrum) * REC_RATE / len(heard)
    assert peak_hz == pytest.approx(1000.0, rel=0.02)
    assert end - start == pytest.approx(TONE_S, abs=0.03)
    assert abs(returned - end) < TOLERANCE_S


def test_speaker_gone_since_it_was_listed_is_one_line_device_error(pulse_server):  # noqa: F811
    devices.list_devices(refresh=True)
    player = Player("pulse")
    assert player.speaker().name == "pulse"
    pulse_server.stop()  # the sound server goes away (PortAudio still lists its device)
    with pytest.raises(DeviceError) as err:
        player.play(burst(), SYNTH_RATE)
    msg = str(err.value)
    assert "\n" not in msg and "--no-speak" in msg


def test_no_sound_server_means_no_speaker_one_line(monkeypatch, tmp_path):
    # No daemon and no sound card here: PortAudio then lists no output at all.
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path}/nothing-here")
    if any(d.has("output") for d in devices.list_devices(refresh=True)):
        pytest.skip("this machine has a sound card; the no-speaker path cannot be shown here")
    player = Player()
    with pytest.raises(DeviceError) as err:
        player.play(burst(), SYNTH_RATE)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("no speaker found") and "--no-speak" in msg


# --------------------------------------------- a slow speaker is not a stuck one

def _drive(feed, pauses: list[float], stop_after: int | None = None) -> threading.Thread:
    """Plays the part of PortAudio's callback thread at real-time pace, with
    hold-ups (an underrun on a busy machine) after some blocks. A stand-in:
    no real device can be made to stall on cue and then recover."""
    from types import SimpleNamespace

    def run():
        out = np.zeros((1600, 1), np.float32)
        for i in range(10 ** 6):
            if feed.ended.is_set() or (stop_after is not None and i >= stop_after):
                return
            now = time.monotonic()
            feed.callback(out, 1600, SimpleNamespace(currentTime=now, outputBufferDacTime=now),
                          None)
            time.sleep(0.1 + (pauses[i] if i < len(pauses) else 0.0))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.slow
def test_a_speaker_held_up_by_underruns_still_plays_to_the_end():
    from heard.audio.playback import _START_GRACE_S, _Feed

    dev = devices.Device(0, "busy", "ALSA", 0, 1, 16000.0)
    feed = _Feed(np.zeros((32000, 1), np.float32), 16000)  # 2 s of audio
    # Three hold-ups of 2 s each: 6 s late in all, more than the 3 s grace, but
    # the speaker never stops taking audio for that long.
    _drive(feed, [0, 0, 2.0, 0, 0, 2.0, 0, 0, 2.0])
    Player._wait(feed, 2.0 + _START_GRACE_S, dev)
    assert feed.ended.is_set()


@pytest.mark.slow
def test_a_speaker_that_stops_taking_audio_is_reported():
    from heard.audio.playback import _START_GRACE_S, _Feed

    dev = devices.Device(0, "stuck", "ALSA", 0, 1, 16000.0)
    feed = _Feed(np.zeros((32000, 1), np.float32), 16000)
    _drive(feed, [], stop_after=3)  # takes 0.3 s of audio, then nothing
    with pytest.raises(DeviceError, match="stopped taking audio"):
        Player._wait(feed, 2.0 + _START_GRACE_S, dev)


def test_the_first_audible_sample_is_stamped_when_it_is_heard_and_lead_silence_can_go(monitor):
    player = Player("pulse")
    called = time.monotonic()
    player.play(burst(), SYNTH_RATE)
    time.sleep(0.5)
    start, _, _ = monitor.sound_after(called)
    # The stamp is the sound's start on the speaker, after the 0.2 s lead silence.
    assert player.last_start == pytest.approx(start, abs=TOLERANCE_S)
    assert player.last_start - called >= LEAD_S - 0.02
    called = time.monotonic()
    player.play(burst(), SYNTH_RATE, trim_lead=True)
    time.sleep(0.5)
    start, end, _ = monitor.sound_after(called)
    assert player.last_start == pytest.approx(start, abs=TOLERANCE_S)
    assert end - start == pytest.approx(TONE_S, abs=0.03)  # only the dead air went
    print(f"\nfirst sample after play(): {start - called:.3f} s with the lead trimmed")


def test_stop_cuts_the_sound_short_and_play_returns_at_the_cut(monitor):
    player = Player("pulse")
    player.play(burst(), SYNTH_RATE)  # the sink is awake: the cut is not lost in its start-up
    long = np.concatenate([burst()] * 4)  # ~5.6 s of sound
    threading.Timer(1.0, player.stop).start()
    called = time.monotonic()
    returned = player.play(long, SYNTH_RATE)
    time.sleep(0.5)
    start, end, _ = monitor.sound_after(called)
    assert returned - called < 2.0
    assert end - called < 1.0 + 0.4  # the speaker fell silent soon after stop()
    assert returned == pytest.approx(end, abs=TOLERANCE_S + 0.1)
