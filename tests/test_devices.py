"""Device listing and choosing by name, on whatever sound hardware this machine has."""

from __future__ import annotations

import os

import pytest

from cli_helpers import assert_one_line_error, run_heard
from heard.audio import devices
from heard.audio.devices import Device, list_devices, match_device, pick_device
from heard.core.errors import DeviceError

REAL = list_devices()
NO_DEVICES = "PortAudio lists no audio devices on this machine (no sound card)"


def test_listing_works_without_a_sound_card():
    for d in REAL:
        assert d.name and d.hostapi and (d.inputs > 0 or d.outputs > 0) and d.default_rate > 0
    assert sum(d.default_input for d in REAL) <= 1 and sum(d.default_output for d in REAL) <= 1


def test_devices_command_lists_or_says_clearly_there_are_none():
    r = run_heard("devices")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    if not REAL:
        assert r.stdout.startswith("no audio devices found")
        assert "heard analyse" in r.stdout
    else:
        for d in REAL:
            assert d.name in r.stdout


def test_find_device_by_name_piece_on_the_real_list():
    inputs = [d for d in REAL if d.inputs > 0]
    if not inputs:
        pytest.skip(f"{NO_DEVICES}; name matching is covered by the listed-set tests below")
    d = inputs[0]
    piece = d.name[: max(3, len(d.name) // 2)].swapcase()
    found = match_device(list_devices(), piece, "input")
    assert found is not None and found.has("input")
    assert piece.casefold() in found.name.casefold()
    assert match_device(REAL, "no device is called this 7f3a", "input") is None


def test_no_microphone_error_on_the_real_list():
    real = list_devices(refresh=True)  # a sound server may have come or gone since import
    if any(d.inputs > 0 for d in real):
        d = pick_device(real, None, "input")
        assert d in real and d.inputs > 0
    else:
        with pytest.raises(DeviceError) as exc:
            pick_device(real, None, "input")
        assert str(exc.value) == devices.NO_MICROPHONE
        with pytest.raises(DeviceError):
            pick_device(real, "usb", "input")


# A device table as PortAudio reports it on a Raspberry Pi with a USB
# microphone and PulseAudio. This machine has no sound card, so the matching
# rules (pure logic) are checked on these records.
PI = [
    Device(0, "bcm2835 Headphones: - (hw:0,0)", "ALSA", 0, 8, 44100.0),
    Device(1, "USB PnP Sound Device: Audio (hw:1,0)", "ALSA", 1, 0, 44100.0),
    Device(2, "sysdefault", "ALSA", 128, 128, 48000.0),
    Device(3, "pulse", "ALSA", 32, 32, 44100.0),
    Device(4, "pulse-monitor", "ALSA", 32, 0, 44100.0),
    Device(5, "default", "ALSA", 32, 32, 44100.0, default_input=True, default_output=True),
]


def test_match_is_case_insensitive_substring():
    assert match_device(PI, "usb pnp").index == 1
    assert match_device(PI, "  USB ").index == 1


def test_match_respects_direction():
    assert match_device(PI, "headphones", "output").index == 0
    assert match_device(PI, "headphones", "input") is None
    assert match_device(PI, "usb", "output") is None


def test_exact_name_beats_a_longer_one():
    assert match_device(PI, "pulse").index == 3


def test_default_device_wins_among_equal_matches():
    assert match_device(PI, "default").index == 5  # exact beats "sysdefault"
    assert match_device(PI, "ult", "output").index == 5  # both contain it; 5 is the default


def test_pick_by_name_else_default_else_first():
    assert pick_device(PI, "usb", "input").index == 1
    assert pick_device(PI, None, "input").index == 5  # the system default
    assert pick_device(PI, None, "output").index == 5
    no_defaults = [d for d in PI if d.index < 5]
    assert pick_device(no_defaults, None, "output").index == 0  # the first listed


@pytest.mark.parametrize("kind,noun,escape", [("input", "microphone", "heard devices"),
                                              ("output", "speaker", "--no-speak")])
def test_an_unknown_name_lists_what_is_there_in_one_line(kind, noun, escape):
    with pytest.raises(DeviceError) as exc:
        pick_device(PI, "bluetooth", kind)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith(f"no {noun} with 'bluetooth' in its name")
    assert "'pulse'" in msg and escape in msg
    if kind == "input":
        assert "Headphones" not in msg  # an output-only device is no answer for a microphone


def test_none_of_that_kind_is_the_plain_message():
    only_outputs = [PI[0]]
    with pytest.raises(DeviceError) as exc:
        pick_device(only_outputs, None, "input")
    assert str(exc.value) == devices.NO_MICROPHONE
    with pytest.raises(DeviceError) as exc:
        pick_device([PI[1]], None, "output")
    assert str(exc.value) == devices.NO_SPEAKER
    with pytest.raises(DeviceError) as exc:  # a name given: it is named back
        pick_device([PI[1]], "usb", "output")
    assert "'usb'" in str(exc.value) and "outputs here: none" in str(exc.value)


def test_rates_prefer_ours_then_the_devices_unless_forced():
    assert devices.rates_to_try(16000, 48000.0, None) == [16000, 48000]
    assert devices.rates_to_try(16000, 16000.0, None) == [16000]
    assert devices.rates_to_try(16000, 48000.0, 44100) == [44100]


def test_unknown_name_and_bad_kind():
    assert match_device(PI, "bluetooth") is None
    with pytest.raises(ValueError):
        match_device(PI, "usb", "mic")


def test_missing_portaudio_becomes_one_line_with_the_fix(tmp_path):
    # The real libportaudio2 is installed here and cannot be removed for a
    # test, so a stand-in sounddevice module raises what the real one raises
    # at import when the library is absent.
    (tmp_path / "sounddevice.py").write_text('raise OSError("PortAudio library not found")\n')
    r = run_heard("devices", env={"PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    line = assert_one_line_error(r)
    assert "PortAudio" in line and "apt install libportaudio2" in line
