"""Microphone capture through a real (virtual) PulseAudio microphone."""

import time

import numpy as np
import pytest

from audio_helpers import espeak
from heard.audio.capture import MicCapture, MicrophoneLost
from heard.core.errors import DeviceError
from heard.core.settings import RATE
from pulse import FifoWriter, pulse_server  # noqa: F401 - the fixture


def test_unknown_microphone_name_is_one_actionable_line():
    with pytest.raises(DeviceError) as e:
        MicCapture("no-such-microphone-xyz").open()
    msg = str(e.value)
    assert "\n" not in msg and "heard devices" in msg


def _collect(cap: MicCapture, seconds: float) -> list:
    chunks, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        c = cap.read(0.1)
        if c is not None:
            chunks.append(c)
    return chunks


def _first_loud(chunks, thresh=1000) -> float | None:
    for c in chunks:
        idx = np.flatnonzero(np.abs(c.samples.astype(np.int32)) > thresh)
        if len(idx):
            return c.start + idx[0] / RATE
    return None


@pytest.fixture
def mic_writer(pulse_server):
    w = FifoWriter(pulse_server.fifo)
    w.start()
    yield w
    w.stop()


@pytest.fixture(scope="module")
def speech():
    return espeak("testing the microphone", "en-us")


pulse_tests = pytest.mark.pulse


@pulse_tests
@pytest.mark.parametrize("device_rate", [None, 48000], ids=["16k", "48k-resampled"])
def test_speech_written_to_the_mic_arrives_at_16k_stamped_when_it_was_said(
        mic_writer, speech, device_rate):
    with MicCapture("pulse", device_rate=device_rate) as cap:
        assert cap.device_rate == (device_rate or RATE)
        t_say = time.monotonic() + 0.5
        mic_writer.say(speech, at=t_say, label="speech")
        chunks = _collect(cap, 0.5 + len(speech) / RATE + 0.5)
    audio = np.concatenate([c.samples for c in chunks])
    assert audio.dtype == np.int16
    t_first = _first_loud(chunks)
    assert t_first is not None, "the speech written into the microphone never arrived"
    assert t_first == pytest.approx(mic_writer.started["speech"], abs=0.1)
    # 16 kHz whatever the device rate: the chunks span about the time collected.
    span = chunks[-1].end - chunks[0].start
    assert len(audio) / RATE == pytest.approx(span, abs=0.1)
    assert np.abs(audio.astype(np.int32)).max() > 5000


@pulse_tests
def test_audio_captured_while_muted_is_dropped(mic_writer, speech):
    with MicCapture("pulse") as cap:
        now = time.monotonic()
        cap.mute_until(now + 2.0)  # as if heard were speaking until then
        mic_writer.say(speech, at=now + 0.2, label="during")
        mic_writer.say(speech, at=now + 2.8, label="after")
        chunks = _collect(cap, 2.8 + len(speech) / RATE + 0.3)
    assert chunks and chunks[0].start >= now + 2.0 - 1e-3
    assert _first_loud(chunks) == pytest.approx(mic_writer.started["after"], abs=0.1)


@pulse_tests
def test_a_lost_microphone_raises_a_clear_error(pulse_server, mic_writer):
    cap = MicCapture("pulse", stall_s=1.0).open()
    try:
        assert _collect(cap, 0.3)
        pulse_server.stop()  # the sound server goes away mid-session
        with pytest.raises(MicrophoneLost) as e:
            _collect(cap, 5.0)
        assert "\n" not in str(e.value) and "microphone" in str(e.value)
    finally:
        cap.close()


@pulse_tests
def test_a_reader_that_falls_behind_loses_the_oldest_audio_and_it_is_counted(mic_writer):
    with MicCapture("pulse", max_queue_s=0.3) as cap:
        opened = time.monotonic()
        time.sleep(1.5)  # nobody reads: the queue holds only the last 0.3 s
        assert cap.overflows > 0
        first = cap.read(0.5)
    assert first is not None and first.start > opened + 0.9  # the newest audio was kept
