"""Playing synthesised speech on a chosen speaker, knowing when it really ended.

We play the audio ourselves (not through pyttsx3, which shells out to
``aplay`` on ALSA's default device) so the speaker can be chosen by name and
``play`` can return when the sound has truly left the speaker: the listener
keeps the microphone muted until then plus 0.5 s, so it never hears us.
"""

from __future__ import annotations

import time

import numpy as np

from . import devices
from .errors import DeviceError
from .resample import resample
from .speech_out import ADULT, Synthesiser, Voice

NO_SPEAKER = "no speaker found{detail}; use --no-speak to print feedback instead"


def pick_output(found: list[devices.Device], name: str | None) -> devices.Device:
    """The speaker to use: by name substring, else the system default, else the first."""
    outputs = [d for d in found if d.has("output")]
    if name:
        d = devices.match_device(found, name, "output")
        if d is None:
            names = ", ".join(repr(o.name) for o in outputs) or "none"
            raise DeviceError(NO_SPEAKER.format(detail=f" with {name!r} in its name "
                                                f"(outputs here: {names}; see `heard devices`)"))
        return d
    if not outputs:
        raise DeviceError(NO_SPEAKER.format(detail=" (no audio output device is visible)"))
    return next((d for d in outputs if d.default_output), outputs[0])


def formats_to_try(rate: int, device_rate: float, forced: int | None) -> list[tuple[int, int]]:
    """(sample rate, channels) in order of preference.

    Our own rate first (no resampling), then the device's own rate; mono,
    then stereo for hardware devices that only open in pairs.
    """
    rates = [forced] if forced else [rate, int(device_rate)]
    rates = list(dict.fromkeys(r for r in rates if r and r > 0))
    return [(r, ch) for ch in (1, 2) for r in rates]


class Player:
    """Blocking playback of float32 mono audio on one output device."""

    def __init__(self, device: str | None = None, rate: int | None = None) -> None:
        self.device = device
        self.rate = rate  # force this output rate (e.g. a device that misreports)

    def _resolve(self) -> devices.Device:
        # Looked up per call: indices change when devices come and go.
        return pick_output(devices.list_devices(), self.device)

    def available(self) -> bool:
        """Whether there is a speaker to play on (so callers can choose --no-speak output)."""
        try:
            self._resolve()
        except DeviceError:
            return False
        return True

    def play(self, samples: np.ndarray, rate: int) -> float:
        """Play and block; return the ``time.monotonic()`` at which the sound ended."""
        sd = devices.sounddevice()
        dev = self._resolve()
        out_rate, channels = self._choose_format(sd, dev, int(rate))
        x = np.asarray(samples, dtype=np.float32).ravel()
        if out_rate != rate:
            x = resample(x, rate, out_rate)
        x = np.clip(x, -1.0, 1.0).astype(np.float32)
        block = np.repeat(x[:, None], channels, axis=1) if channels > 1 else x[:, None]
        try:
            with sd.OutputStream(device=dev.index, samplerate=out_rate, channels=channels,
                                 dtype="float32") as stream:
                stream.write(np.ascontiguousarray(block))
                written = time.monotonic()
                latency = float(stream.latency)
                # Closing waits for the buffered audio to drain; the device's
                # reported latency is the part still in flight after our writes.
        except sd.PortAudioError as exc:
            raise DeviceError(f"could not play on {dev.name!r} ({exc}); check `heard devices` "
                              "or use --no-speak to print feedback instead") from None
        return max(time.monotonic(), written + latency)

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
