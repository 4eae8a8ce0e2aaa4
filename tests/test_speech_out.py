"""Speech output: real pyttsx3 + espeak-ng synthesis; playback errors without a sound card.

Playback itself is exercised on a PulseAudio virtual sink elsewhere; this
machine has no sound card, which is exactly the case the DeviceError tests need.
"""

from __future__ import annotations

import sys
import tempfile
import threading

import numpy as np
import pytest

from heard.analysis.prosody import pitch_track
from heard.audio import devices
from heard.audio.playback import Player, formats_to_try
from heard.audio.resample import resample
from heard.audio.speech_out import ADULT, CHILD, LEAD_SILENCE_S, Synthesiser
from heard.audio.wavio import RATE, to_int16
from heard.core.errors import DeviceError, HeardError
from heard.listen.vad import speech_fraction

SENTENCE = "I can see you are really upset about the tower."  # ten words


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    """Point tempfile at tmp_path and record every folder synthesis makes there."""
    made: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def spy(*args, **kwargs):
        d = real_mkdtemp(*args, **kwargs)
        made.append(d)
        return d

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(tempfile, "mkdtemp", spy)
    return tmp_path, made


@pytest.fixture
def synth():
    s = Synthesiser()
    yield s
    s.close()


def to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    return to_int16(resample(samples, rate, RATE))


def median_f0(samples: np.ndarray, rate: int) -> float:
    _, f0 = pitch_track(to_16k(samples, rate), RATE)
    return float(np.nanmedian(f0))


def test_sentence_is_speech_of_plausible_length_after_lead_silence(synth, espeak_available):
    x, rate = synth.synthesise(SENTENCE)
    assert synth.last_backend == "pyttsx3"
    assert x.dtype == np.float32 and x.ndim == 1
    assert 1.5 < len(x) / rate < 8.0
    lead = int(LEAD_SILENCE_S * rate)
    assert np.max(np.abs(x[:lead])) == 0.0  # sleeping sinks may clip this part, not the words
    first_sound = np.flatnonzero(np.abs(x) > 0.01)[0] / rate
    assert LEAD_SILENCE_S <= first_sound < LEAD_SILENCE_S + 0.5
    assert speech_fraction(to_16k(x, rate)) > 0.5


def test_child_voice_is_clearly_higher_than_adult(synth, espeak_available):
    # Alternate so a setting leaking from one request to the next would show.
    adult1 = median_f0(*synth.synthesise(SENTENCE, ADULT))
    child = median_f0(*synth.synthesise(SENTENCE, CHILD))
    adult2 = median_f0(*synth.synthesise(SENTENCE, ADULT))
    assert child > 1.5 * max(adult1, adult2)
    assert abs(adult1 - adult2) < 0.1 * adult1


def test_repeated_calls_keep_using_the_engine(synth, espeak_available):
    texts = ["Wait.", SENTENCE, "You wanted the tower to stay up and it fell down again."]
    lengths = []
    for text in texts:
        x, rate = synth.synthesise(text)
        # The engine itself must answer each time: the fallback would hide a hang.
        assert synth.last_backend == "pyttsx3"
        assert speech_fraction(to_16k(x, rate)) > 0.3
        lengths.append(len(x) / rate)
    assert lengths[0] < lengths[1] < lengths[2]


def test_no_audio_is_left_on_disk(private_tmp, espeak_available):
    tmp, made = private_tmp
    s = Synthesiser()
    s.synthesise(SENTENCE, ADULT)
    s.synthesise(SENTENCE, CHILD)
    s.close()
    assert len(made) == 2 and all(d.startswith(str(tmp)) for d in made)
    assert list(tmp.iterdir()) == []


def test_ten_requests_in_a_row_warn_nothing_and_leave_no_files(private_tmp, capfd, monkeypatch,
                                                                espeak_available):
    tmp, made = private_tmp
    # The driver's failed save is raised in espeak's thread: Python reports it
    # through sys.unraisablehook (on stderr outside pytest, which takes it over).
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(str(u.exc_value)))
    s = Synthesiser()
    s.close()  # a fresh engine: its first request raced the folder's deletion
    # A long text takes espeak longer than runAndWait's 10 ms loop: the file is
    # written after runAndWait has returned.
    long = " ".join(["You wanted the tower to stay up and it fell down again."] * 8)
    backends = []
    for i in range(10):
        s.synthesise(long if i % 3 == 0 else SENTENCE, CHILD if i % 2 else ADULT)
        backends.append(s.last_backend)
    s.close()
    err = capfd.readouterr().err
    assert "Error saving WAV file" not in err and "Exception ignored" not in err, err
    assert unraisable == []
    assert backends == ["pyttsx3"] * 10  # the engine's audio, not the fallback's
    assert len(made) == 10 and list(tmp.iterdir()) == []


def test_each_voice_keeps_its_own_speaking_rate(synth, espeak_available):
    # Alternate voices so a rate left over from the previous request would show
    # as the same words taking a different time.
    lengths: dict[str, list[float]] = {ADULT.name: [], CHILD.name: []}
    for i in range(16):
        voice = CHILD if i % 2 else ADULT
        x, rate = synth.synthesise(SENTENCE, voice)
        lengths[voice.name].append(len(x) / rate)
    adult, child = lengths[ADULT.name], lengths[CHILD.name]
    # A leaked rate changes this sentence's length by about 0.3 s.
    assert max(adult) - min(adult) < 0.1 and max(child) - min(child) < 0.1, lengths
    assert min(child) > max(adult)  # the child speaks more slowly (145 vs 160 wpm)


def test_watchdog_falls_back_to_espeak_cli_then_engine_recovers(private_tmp, espeak_available):
    tmp, made = private_tmp
    slow = Synthesiser(timeout_s=0.001)  # the engine cannot finish in 1 ms: a real timeout
    # Leading dashes would be read as options if the text went on the command line.
    x, rate = slow.synthesise("--help me understand why the tower makes you so cross.", CHILD)
    assert slow.last_backend == "espeak-ng"
    assert 1.5 < len(x) / rate < 8.0
    assert np.max(np.abs(x[: int(LEAD_SILENCE_S * rate)])) == 0.0
    assert speech_fraction(to_16k(x, rate)) > 0.5
    slow.close()
    assert list(tmp.iterdir()) == []  # the abandoned request cleaned up after itself too

    fresh = Synthesiser()
    fresh.synthesise(SENTENCE)
    assert fresh.last_backend == "pyttsx3"
    fresh.close()


def test_the_engine_thread_looks_alive_for_as_long_as_it_works(synth, espeak_available):
    # The host decides from is_alive() whether a request is still stuck and
    # whether a new engine may start; a busy worker that looked dead (its
    # Thread flag cleared by our own code) let two espeak engines run at once,
    # and close() raised "cannot join thread before it is started".
    done = threading.Event()
    dead_while_working: list[str] = []

    def speak() -> None:
        try:
            for _ in range(6):
                synth.synthesise(SENTENCE)
        finally:
            done.set()

    talker = threading.Thread(target=speak)
    talker.start()
    seen_alive: set[int] = set()  # a thread still starting is listed but not yet alive
    while not done.is_set():
        for t in threading.enumerate():
            if t.name != "heard-tts":
                continue
            if t.is_alive():
                seen_alive.add(id(t))
            elif id(t) in seen_alive:
                dead_while_working.append(t.name)
    talker.join()
    assert synth.last_backend == "pyttsx3"
    assert dead_while_working == []


def test_no_engine_and_no_espeak_is_one_actionable_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng program to fall back on
    s = Synthesiser(timeout_s=0.001)
    with pytest.raises(HeardError) as err:
        s.synthesise(SENTENCE)
    s.close()
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("speech synthesis failed")
    assert "sudo apt-get install espeak-ng" in msg and "--no-speak" in msg


def test_empty_text_is_silence_not_a_hang(synth):
    x, rate = synth.synthesise("   ")
    assert len(x) > 0 and np.max(np.abs(x)) == 0.0


def test_no_sound_card_gives_one_line_device_error():
    if any(d.has("output") for d in devices.list_devices()):
        pytest.skip("this machine has a speaker; the no-speaker path cannot be shown here")
    p = Player()
    with pytest.raises(DeviceError):
        p.speaker()
    with pytest.raises(DeviceError) as err:
        p.play(np.zeros(2205, dtype=np.float32), 22050)
    assert "\n" not in str(err.value) and "--no-speak" in str(err.value)


def test_unknown_speaker_name_says_so():
    p = Player("no-such-speaker-xyz")
    with pytest.raises(DeviceError) as err:
        p.play(np.zeros(2205, dtype=np.float32), 22050)
    msg = str(err.value)
    assert "no-such-speaker-xyz" in msg and "\n" not in msg


def _dev(index, name, outputs, default=False, inputs=0):
    return devices.Device(index, name, "ALSA", inputs, outputs, 48000.0, default_output=default)


def test_speaker_choice_by_name_then_default():
    found = [_dev(0, "USB Mic", 0, inputs=1), _dev(1, "HDMI 0", 2),
             _dev(2, "USB Audio Speaker", 2), _dev(3, "pulse", 32, default=True)]
    assert devices.pick_device(found, "usb", "output").name == "USB Audio Speaker"  # the mic has no output
    assert devices.pick_device(found, None, "output").name == "pulse"
    assert devices.pick_device(found[:3], None, "output").name == "HDMI 0"
    with pytest.raises(DeviceError):
        devices.pick_device(found[:1], None, "output")


def test_formats_prefer_no_resampling_then_device_rate():
    assert formats_to_try(22050, 48000.0, None)[:2] == [(22050, 1), (48000, 1)]
    assert (48000, 2) in formats_to_try(22050, 48000.0, None)
    assert formats_to_try(22050, 48000.0, 16000) == [(16000, 1), (16000, 2)]
