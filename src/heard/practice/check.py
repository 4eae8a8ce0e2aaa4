"""``heard check``: a facilitator's self-test before visitors arrive.

Each item (model, microphone, speaker, speech) is tried for real and ends as
PASS, WARN (works, but something looks off) or FAIL, with a hint saying what
to do. One failing item never stops the others: the point is to see at a
glance everything that needs fixing, so no error escapes as a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from heard.audio.wavio import to_int16
from heard.core.errors import HeardError
from heard.core.paths import language_dir, read_toml
from heard.core.settings import RATE

ITEMS = ("model", "microphone", "speaker", "speech")
PASS, WARN, FAIL = "PASS", "WARN", "FAIL"


@dataclass(frozen=True)
class CheckSettings:
    """What to check, on which devices, against which thresholds (prompts/en/kiosk.toml)."""

    model: str | None = None
    input_device: str | None = None
    output_device: str | None = None
    only: tuple[str, ...] = ITEMS
    mic_seconds: float = 3.0
    silent_dbfs: float = -60.0
    clipping_share: float = 0.001
    tone_hz: float = 660.0
    tone_seconds: float = 0.6
    tone_dbfs: float = -12.0
    speech_text: str = "Hello. This is heard, checking that speech works."


def load_settings(path: Path | None = None, **overrides) -> CheckSettings:
    """Thresholds from the ``[check]`` table of prompts/en/kiosk.toml, then ``overrides``."""
    path = path or language_dir() / "kiosk.toml"
    table = read_toml(path, "settings file").get("check", {})
    known = {f for f in CheckSettings.__dataclass_fields__ if f not in ("model", "input_device",
                                                                      "output_device", "only")}
    unknown = sorted(set(table) - known)
    if unknown:
        raise HeardError(f"settings file {path.name}: [check] has unknown keys {', '.join(unknown)}; "
                         f"known: {', '.join(sorted(known))}")
    values = {}
    for key, value in table.items():
        want = type(getattr(CheckSettings, key))
        if want is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, want):
            raise HeardError(f"settings file {path.name}: [check] {key} should be a "
                             f"{want.__name__}, not {value!r}")
        values[key] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    return CheckSettings(**values)


@dataclass
class CheckResult:
    item: str
    status: str  # PASS | WARN | FAIL
    detail: str
    hint: str = ""
    values: dict = field(default_factory=dict)

    def line(self) -> str:
        text = f"{self.status}  {self.item:<10}  {self.detail}"
        return f"{text} -- {self.hint}" if self.hint and self.status != PASS else text

    def to_json(self) -> dict:
        return {"item": self.item, "status": self.status, "detail": self.detail,
                "hint": self.hint, **({"values": self.values} if self.values else {})}


# ------------------------------------------------------------ pure judgements

@dataclass(frozen=True)
class Level:
    rms_dbfs: float
    peak_dbfs: float
    clipped_share: float  # share of samples at (or within 1 LSB of) full scale
    seconds: float


def measure_level(samples: np.ndarray, rate: int = RATE) -> Level:
    x = np.asarray(samples, dtype=np.int16).astype(np.float64)
    if len(x) == 0:
        return Level(-200.0, -200.0, 0.0, 0.0)
    rms = np.sqrt(np.mean((x / 32768.0) ** 2))
    peak = np.max(np.abs(x)) / 32768.0
    clipped = float(np.mean(np.abs(x) >= 32766))
    db = lambda v: round(20 * np.log10(v), 1) if v > 0 else -200.0  # noqa: E731
    return Level(db(rms), db(peak), round(clipped, 5), round(len(x) / rate, 2))


def judge_level(level: Level, s: CheckSettings) -> CheckResult:
    """Is this a microphone someone can be heard through?"""
    values = {"rms_dbfs": level.rms_dbfs, "peak_dbfs": level.peak_dbfs,
              "clipped_share": level.clipped_share, "seconds": level.seconds}
    said = f"level {level.rms_dbfs:.1f} dBFS (peak {level.peak_dbfs:.1f}) over {level.seconds:g} s"
    if level.seconds == 0:
        return CheckResult("microphone", FAIL, "the microphone sent no audio",
                           "check it is plugged in and chosen (`heard devices`, --input-device)", values)
    if level.peak_dbfs <= -200.0:
        return CheckResult("microphone", FAIL, f"{said}: nothing but digital silence",
                           "the input is muted or switched off; unmute it in the sound settings "
                           "(alsamixer / pavucontrol)", values)
    if level.clipped_share > s.clipping_share:
        return CheckResult("microphone", WARN, f"{said}, {level.clipped_share:.1%} clipped",
                           "the input is too loud: lower the microphone gain or move it further away",
                           values)
    if level.rms_dbfs < s.silent_dbfs:
        return CheckResult("microphone", WARN, f"{said}: almost silent",
                           "speak or clap during the check; if it stays silent, raise the input "
                           "gain or pick another microphone (`heard devices`)", values)
    return CheckResult("microphone", PASS, said, values=values)


def tone(s: CheckSettings, rate: int = RATE) -> np.ndarray:
    """A short beep with soft edges (no clicks), float32 in [-1, 1]."""
    t = np.arange(int(s.tone_seconds * rate)) / rate
    x = np.sin(2 * np.pi * s.tone_hz * t) * 10 ** (s.tone_dbfs / 20)
    ramp = min(len(x) // 2, int(0.02 * rate))
    if ramp:
        edge = np.linspace(0.0, 1.0, ramp)
        x[:ramp] *= edge
        x[-ramp:] *= edge[::-1]
    return x.astype(np.float32)


def overall(results: list[CheckResult]) -> bool:
    """All good enough to open the kiosk: nothing failed (warnings are allowed)."""
    return all(r.status != FAIL for r in results)


# ------------------------------------------------------------------- the items

def _guard(item: str, hint: str, fn: Callable[[], CheckResult]) -> CheckResult:
    """Run one item; any failure becomes a FAIL line, never a traceback."""
    try:
        return fn()
    except HeardError as exc:
        return CheckResult(item, FAIL, str(exc), hint)
    except Exception as exc:  # noqa: BLE001 - a self-test reports every failure
        why = str(exc).splitlines()[0] if str(exc) else ""
        return CheckResult(item, FAIL, f"unexpected {type(exc).__name__}" + (f": {why}" if why else ""),
                           hint)


def check_model(s: CheckSettings) -> CheckResult:
    from heard.listen.models import resolve_model
    from heard.listen.recogniser import load_model

    def run() -> CheckResult:
        path = resolve_model(s.model)
        t0 = time.monotonic()
        load_model(path)
        took = time.monotonic() - t0
        from heard.listen.turnmodel import describe_end_of_turn

        eot = describe_end_of_turn()
        return CheckResult("model", PASS, f"{path.name} loads ({took:.1f} s) from {path}; {eot}",
                           values={"path": str(path), "load_s": round(took, 2),
                                   "end_of_turn": eot.split(": ", 1)[1]})

    return _guard("model", "run `heard models fetch`, or point --model at an unpacked vosk model", run)


def record_level(s: CheckSettings) -> Level:
    """Record ``mic_seconds`` from the microphone and measure it."""
    from heard.audio.capture import MicCapture

    got: list[np.ndarray] = []
    n_want = int(s.mic_seconds * RATE)
    with MicCapture(s.input_device) as mic:
        deadline = time.monotonic() + s.mic_seconds + 5.0
        while sum(len(x) for x in got) < n_want and time.monotonic() < deadline:
            chunk = mic.read(timeout=0.2)
            if chunk is not None:
                got.append(chunk.samples)
    x = np.concatenate(got)[:n_want] if got else np.zeros(0, np.int16)
    return measure_level(x)


def check_microphone(s: CheckSettings) -> CheckResult:
    return _guard("microphone", "plug in a microphone or pick one with --input-device "
                  "(see `heard devices`)", lambda: judge_level(record_level(s), s))


def check_speaker(s: CheckSettings) -> CheckResult:
    from heard.audio.playback import Player

    def run() -> CheckResult:
        player = Player(s.output_device)
        name = player.speaker().name
        player.play(tone(s), RATE)
        return CheckResult("speaker", PASS, f"played a {s.tone_seconds:g} s beep on {name!r} "
                           "(you should have heard it)", values={"device": name})

    return _guard("speaker", "plug in a speaker or pick one with --output-device "
                  "(see `heard devices`)", run)


def check_speech(s: CheckSettings, play: bool) -> CheckResult:
    from heard.audio.playback import Player
    from heard.audio.speech_out import Synthesiser

    def run() -> CheckResult:
        synth = Synthesiser()
        samples, rate = synth.synthesise(s.speech_text)
        level = measure_level(to_int16(samples), rate)
        values = {"backend": synth.last_backend, "seconds": level.seconds,
                  "rms_dbfs": level.rms_dbfs}
        if level.seconds < 0.5 or level.rms_dbfs < -50:
            return CheckResult("speech", FAIL, f"the synthesiser ({synth.last_backend}) made "
                               f"{level.seconds:g} s of near-silence", _SPEECH_HINT, values)
        where = ""
        if play:
            Player(s.output_device).play(samples, rate)
            where = ", spoken on the speaker"
        return CheckResult("speech", PASS, f"{synth.last_backend} made {level.seconds:.1f} s of "
                           f"speech{where}", values=values)

    return _guard("speech", _SPEECH_HINT, run)


_SPEECH_HINT = "install espeak-ng (sudo apt-get install espeak-ng) or use --no-speak when practising"


def run_checks(s: CheckSettings, report: Callable[[CheckResult], None] | None = None
               ) -> list[CheckResult]:
    """Every selected item in order; ``report`` sees each result as soon as it is known."""
    results: list[CheckResult] = []

    def done(r: CheckResult) -> None:
        results.append(r)
        if report is not None:
            report(r)

    if "model" in s.only:
        done(check_model(s))
    if "microphone" in s.only:
        done(check_microphone(s))
    speaker_ok = False
    if "speaker" in s.only:
        r = check_speaker(s)
        speaker_ok = r.status == PASS
        done(r)
    if "speech" in s.only:
        done(check_speech(s, play=speaker_ok))
    return results
