"""``heard calibrate``: record the user's calm voice as the tone baseline.

Tone findings compare each take with this baseline, because voices differ
between people far more than one person's calm and tense voices do.
"""

from __future__ import annotations

from pathlib import Path

from heard.core.errors import HeardError
from heard.core.paths import language_dir, read_toml


def register(sub) -> None:
    p = sub.add_parser("calibrate", help="record your calm voice as the baseline for tone")
    p.add_argument("--wav", type=Path, help="use this relaxed recording instead of the microphone")
    p.add_argument("--input-device", help="microphone name (substring)")
    p.add_argument("--show", action="store_true", help="print the stored baseline")
    p.add_argument("--clear", action="store_true", help="delete the stored baseline")
    p.set_defaults(func=run)


def passage() -> str:
    path = language_dir() / "calibration.toml"
    text = read_toml(path, "calibration text").get("passage")
    if not isinstance(text, str) or not text.strip():
        raise HeardError(f"calibration text {path.name}: needs a `passage` to read aloud")
    return " ".join(text.split())


def run(args) -> int:
    from heard.analysis.prosody import measure
    from heard.store.baseline import baseline_from_prosody, default_path, load_baseline, save_baseline

    if args.show:
        b = load_baseline()
        if b is None:
            print("No baseline yet: run `heard calibrate` and read a sentence or two calmly.")
        else:
            print(_describe(b))
        return 0
    if args.clear:
        path = default_path()
        if path.exists():
            path.unlink()
        print("Baseline deleted; tone is compared with typical voices until you calibrate again.")
        return 0
    if args.wav is not None:
        from heard.listen.takeio import read_take

        take = read_take(args.wav)
        samples, mask = take.samples, take.mask
    else:
        samples, mask = _record(args)
    b = baseline_from_prosody(measure(samples, mask))
    save_baseline(b)
    print("Saved your calm baseline. " + _describe(b))
    return 0


def _describe(b) -> str:
    bits = [f"loudness {b.loudness_db:.1f} dBFS"]
    if b.f0_median_hz:
        bits.append(f"pitch {b.f0_median_hz:.0f} Hz")
    if b.syllables_per_s:
        bits.append(f"rate {b.syllables_per_s:.1f} syllables/s")
    return "Baseline: " + ", ".join(bits) + f" (recorded {b.created})."


def _record(args):
    """Record one turn from the microphone, ended by a pause."""
    from heard.audio.capture import MicCapture
    from heard.listen.listener import TurnListener

    print("Read this aloud in your ordinary, relaxed voice, then pause:\n")
    print("  " + passage() + "\n")
    with MicCapture(args.input_device) as mic:
        turn = TurnListener(None).listen(mic, listen_s=20.0)
    if turn.kind != "turn":
        raise HeardError("heard no speech; check the microphone with `heard devices` and try again")
    return turn.samples, turn.mask
