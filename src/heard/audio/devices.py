"""Audio devices as PortAudio (sounddevice) sees them, chosen by name.

Device indices change when hardware is plugged in or PulseAudio restarts, so
users pick a device by a piece of its name (``--device usb``); the index is
only looked up at the moment a stream is opened.
"""

from __future__ import annotations

from dataclasses import dataclass

from heard.core.errors import DeviceError

NO_MICROPHONE = ("no microphone found; plug one in, check `heard devices`, or analyse "
                 "a recording with `heard analyse --scenario ID take.wav`")
NO_SPEAKER = ("no speaker found; plug one in, check `heard devices`, or use --no-speak to "
              "print feedback instead")
# kind -> (what a user calls it, the error when there is none, what else they can do)
_KINDS = {
    "input": ("microphone", NO_MICROPHONE, "; or analyse a recording with `heard analyse`"),
    "output": ("speaker", NO_SPEAKER, "; or use --no-speak to print feedback instead"),
}


@dataclass(frozen=True)
class Device:
    index: int
    name: str
    hostapi: str
    inputs: int
    outputs: int
    default_rate: float
    default_input: bool = False
    default_output: bool = False

    def has(self, kind: str) -> bool:
        return (self.inputs if kind == "input" else self.outputs) > 0


def sounddevice(refresh: bool = False):
    """Import sounddevice, turning a missing PortAudio into a ``DeviceError``.

    ``refresh`` re-initialises PortAudio, which otherwise keeps the device list
    it saw at import (so a microphone plugged in later would stay invisible).
    """
    try:
        import sounddevice as sd
    except OSError as exc:  # raised at import when libportaudio is absent
        raise DeviceError(
            f"the PortAudio sound library is missing ({exc}); install it with "
            "`sudo apt install libportaudio2` (Debian, Raspberry Pi OS) and try again") from None
    if refresh:
        try:
            sd._terminate()
            sd._initialize()
        except sd.PortAudioError as exc:
            raise DeviceError(f"the sound system could not start ({exc}); check `heard devices`") from None
    return sd


def list_devices(refresh: bool = False) -> list[Device]:
    """Every input and output device, with which ones are the system defaults."""
    sd = sounddevice(refresh)
    try:
        raw = sd.query_devices()
        apis = sd.query_hostapis()
    except sd.PortAudioError as exc:
        raise DeviceError(f"could not list audio devices ({exc}); is the sound system running?") from None
    defaults = {}
    for kind in ("input", "output"):
        try:
            defaults[kind] = sd.query_devices(kind=kind)["index"]
        except (sd.PortAudioError, ValueError, KeyError, TypeError):
            defaults[kind] = None
    return [
        Device(index=d["index"], name=d["name"], hostapi=apis[d["hostapi"]]["name"],
               inputs=d["max_input_channels"], outputs=d["max_output_channels"],
               default_rate=float(d["default_samplerate"]),
               default_input=d["index"] == defaults["input"],
               default_output=d["index"] == defaults["output"])
        for d in raw
    ]


def match_device(devices: list[Device], substring: str, kind: str = "input") -> Device | None:
    """The device of ``kind`` whose name contains ``substring`` (any case).

    Among several matches an exact name wins, then the system default, then
    the first listed, so ``pulse`` picks ``pulse`` rather than ``pulse-monitor``.
    """
    if kind not in ("input", "output"):
        raise ValueError(f"kind must be 'input' or 'output', not {kind!r}")
    want = substring.strip().casefold()
    hits = [d for d in devices if d.has(kind) and want in d.name.casefold()]
    if not hits:
        return None
    is_default = (lambda d: d.default_input) if kind == "input" else (lambda d: d.default_output)
    hits.sort(key=lambda d: (d.name.casefold() != want, not is_default(d)))
    return hits[0]


def pick_device(devices: list[Device], substring: str | None, kind: str) -> Device:
    """The microphone (``input``) or speaker (``output``) to use: by name substring,
    else the system default, else the first; or a ``DeviceError`` saying what to do."""
    noun, none_found, otherwise = _KINDS[kind]
    usable = [d for d in devices if d.has(kind)]
    if not substring:
        if not usable:
            raise DeviceError(none_found)
        is_default = (lambda d: d.default_input) if kind == "input" else (lambda d: d.default_output)
        return next((d for d in usable if is_default(d)), usable[0])
    d = match_device(devices, substring, kind)
    if d is None:
        names = ", ".join(repr(x.name) for x in usable) or "none"
        raise DeviceError(f"no {noun} with {substring!r} in its name; {kind}s here: {names} "
                          f"(see `heard devices`){otherwise}")
    return d


def rates_to_try(rate: int, device_rate: float, forced: int | None) -> list[int]:
    """Sample rates to open a device at: ``forced`` alone (a device that misreports),
    else our own rate (no resampling), then the device's own."""
    rates = [forced] if forced else [rate, int(device_rate)]
    return list(dict.fromkeys(r for r in rates if r and r > 0))
