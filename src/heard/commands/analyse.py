"""``heard analyse``: feedback on a recording or a typed response.

The flags and the JSON shape are a contract (shared/spec/analyse-json.md).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

from heard.core.errors import HeardError
from heard.core.safeio import check_output_path, from_argv, write_json


def _seconds(text: str) -> float:
    """A time in the file: a finite number, zero or more (nan/inf would crash later)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected seconds, zero or more, not {text!r}")
    return value


def register(sub) -> None:
    p = sub.add_parser("analyse", aliases=["analyze"],
                       help="analyse a recorded or typed response to a scenario")
    p.add_argument("take", nargs="?", type=Path, help="WAV recording of the response")
    p.add_argument("--scenario", "-s", required=True, help="scenario id (see `heard scenarios`)")
    p.add_argument("--text", "-t", help="analyse this typed response instead of a recording")
    p.add_argument("--baseline", type=Path, help="a relaxed recording of the same speaker")
    p.add_argument("--cue-end", type=_seconds, default=0.0, metavar="SECONDS",
                   help="where the child's cue ends in the file (default 0)")
    p.add_argument("--model", help="vosk model folder (default: see `heard models path`)")
    p.add_argument("--json", action="store_true", help="print the machine-readable result")
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="also write a report page for this take (one self-contained file)")
    p.add_argument("--speak", action="store_true", help="say the feedback aloud")
    p.add_argument("--output-device", help="speaker name (substring) for --speak")
    p.add_argument("--save-speech", type=Path, metavar="WAV",
                   help="write the spoken feedback to this WAV file instead of playing it")
    p.set_defaults(func=run)


def run(args) -> int:
    from heard.analysis.take import analyse_audio, analyse_text
    from heard.core.scenarios import get_scenario

    scenario = get_scenario(from_argv(args.scenario))
    if args.save_speech is not None:
        check_output_path(args.save_speech, "--save-speech file")
    if args.text is not None and args.take is not None:
        raise HeardError("give either a WAV file or --text, not both")
    if args.text is None and args.take is None:
        raise HeardError("give a WAV file of the response, or --text \"what you would say\"")
    if args.html is not None:
        from heard.report.page import check_writable

        check_writable(args.html)  # before the slow model load
    take = None
    if args.text is not None:
        result = analyse_text(scenario, from_argv(args.text))
    else:
        result, take = _analyse_file(args, scenario, analyse_audio)
    if args.html is not None:  # the page draws the audio read, so its times are the take's own
        _write_html(args.html, result, take, args.take)
    if take is not None:
        result = _shift_times(result, take.offset_s)
    if args.json:
        write_json(result.to_json(), indent=2)
    else:
        print(render(result))
    if args.speak or args.save_speech:
        _speak(result.feedback.spoken, args)
    return 0


def _write_html(path: Path, result, take, source: Path | None) -> None:
    """The take page, from the same dict ``--json`` prints (plus its timeline)."""
    from heard.analysis.take import report_json
    from heard.report.page import write_page
    from heard.report.takepage import take_page

    data = report_json(result, take.samples if take else None, take.mask if take else None)
    data["typed"] = take is None
    write_page(path, take_page(data, when=source.name if source else ""))
    print(f"heard: report page written to {path}", file=sys.stderr)


def _analyse_file(args, scenario, analyse_audio):
    from heard.analysis.prosody import measure as measure_prosody
    from heard.audio.wavio import probe
    from heard.listen.models import resolve_model
    from heard.listen.recogniser import load_model
    from heard.listen.takeio import read_take
    from heard.store.baseline import baseline_from_prosody, load_baseline

    # Every check that can fail fast comes before the slow model load.
    if args.cue_end > probe(args.take).duration:
        raise HeardError(f"--cue-end {args.cue_end:g} s is past the end of {args.take.name}")
    if args.baseline is not None:
        probe(args.baseline)
    model = load_model(resolve_model(args.model))
    take = read_take(args.take, model, args.cue_end)
    if take.truncated:
        from heard.listen.takeio import MAX_TAKE_S

        print(f"heard: note: only the first {MAX_TAKE_S:.0f} s after the cue were analysed",
              file=sys.stderr)
    if args.baseline is not None:
        base = read_take(args.baseline)
        baseline = baseline_from_prosody(measure_prosody(base.samples, base.mask))
    else:
        baseline = load_baseline()
    result = analyse_audio(scenario, take.samples, take.transcript,
                           cue_end=args.cue_end - take.offset_s, baseline=baseline, mask=take.mask)
    return result, take


def _shift_times(result, offset_s: float):
    """Times in the result as seconds in the file (the take was read from ``offset_s``)."""
    if not offset_s:
        return result

    def shift(t):
        return None if t is None else round(t + offset_s, 3)

    if result.transcript is not None:
        result.transcript.words = [replace(w, start=shift(w.start), end=shift(w.end))
                                   for w in result.transcript.words]
    for f in result.findings:
        f.start, f.end = shift(f.start), shift(f.end)
    p = result.pacing
    p.speech_start, p.speech_end = shift(p.speech_start), shift(p.speech_end)
    return result


def _speak(text: str, args) -> None:
    from heard.audio.speech_out import ADULT, Synthesiser
    from heard.audio.wavio import to_int16, write_wav

    synth = Synthesiser()
    try:
        audio, rate = synth.synthesise(text, ADULT)
    finally:
        synth.close()
    if args.save_speech:
        write_wav(args.save_speech, to_int16(audio), rate)
        return
    from heard.audio.playback import Player

    Player(args.output_device).play(audio, rate)


def render(r) -> str:
    """The result for a person to read."""
    lines = [f"Scenario: {r.scenario.title} ({r.scenario.id})"]
    said = r.transcript.text if r.transcript else ""
    lines.append(f'You said: "{said}"' if said else "You said nothing.")
    p = r.pacing
    bits = []
    if p.wait_s is not None:
        bits.append("began over the cue" if round(p.wait_s, 1) < 0 else f"waited {p.wait_s:.1f} s")
    if p.speech_s is not None:
        bits.append(f"spoke for {p.speech_s:.1f} s")
    bits.append(f"{p.words} word{'s' if p.words != 1 else ''}")
    if p.syllables_per_s:
        bits.append(f"{p.syllables_per_s:.1f} syllables/s")
    lines.append("Pacing: " + ", ".join(bits))
    lines.append("")
    lines.append(r.feedback.spoken)
    if r.feedback.details:
        lines.append("")
        lines += [f"  - {d}" for d in r.feedback.details]
    return "\n".join(lines)


