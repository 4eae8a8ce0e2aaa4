#!/usr/bin/env python3
"""Echo gate: is heard's own cue, heard back late, kept out, and a parent over it let in?

    scripts/bench_echogate.py [--voices N] [--max-delay S ...] [--json FILE]

Offline, on scripted frames (this machine has no speaker and mic sharing a
room): the child's cue (espeak-ng, as the session's synthesiser speaks it)
comes back through a simulated room (delayed, at -6/-12/-20 dB, over room
tone); REAL HUMAN answers (tests/human_speech.py, fetched by
scripts/setup --test) start 1 s into the heard cue. The gate is anchored where
the player says the cue was heard (``EchoGate.started``); the room's delay is
what is left after that: a few centimetres of air (0.08 s) or output latency
no DAC time reports (0.38, 0.68 s: HDMI/TV processing, Bluetooth codecs).

Per gate setting (the delays it searches, ``--max-delay``) and room delay:

- echo_starts: cues (of 6) whose echo alone started a turn (the cue would stop itself);
- voice_started: answers over the echo that started a turn at or after their onset;
- start_after_s: answer onset -> turn start (median, max): the cue stops then;
- kept: share of the answer's speech frames the gate let through (min, median);
- headset_kept: the same with no echo at all (a headset): the gate must not be in the way;
- ms_per_frame: the gate's own cost per 30 ms frame while a sound plays.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))  # human_speech.py, audio_helpers.py

import numpy as np  # noqa: E402

import human_speech  # noqa: E402
from audio_helpers import espeak  # noqa: E402
from heard.core.settings import RATE  # noqa: E402
from heard.listen.echogate import FRAME_S, EchoGate  # noqa: E402
from heard.listen.vad import FrameVad, iter_frames  # noqa: E402
from test_echogate import first_start  # noqa: E402 - when the endpointer says a turn began

CUES = ("I want a cookie! I want it now! Give it to me!",
        "No! I want to stay up late! Like yesterday!")
GAINS_DB = (-6.0, -12.0, -20.0)
ANSWER_AT_S = 1.0  # into the heard cue


def room(played: np.ndarray, gain_db: float, delay_s: float) -> np.ndarray:
    echo = np.concatenate([np.zeros(int(delay_s * RATE)), played.astype(np.float64)])
    return echo * 10 ** (gain_db / 20) + human_speech.room_tone(len(echo) / RATE)


def through(gate: EchoGate, mic: np.ndarray) -> tuple[np.ndarray, float]:
    gate.reset()
    gate.started(0.0)
    t = time.perf_counter()
    out = np.array([gate.is_speech(f) for f in iter_frames(mic.astype(np.int16))])
    return out, (time.perf_counter() - t) / max(1, len(out))


def mix(*parts: tuple[np.ndarray, float]) -> np.ndarray:
    n = max(int(at * RATE) + len(x) for x, at in parts) + int(1.0 * RATE)
    out = human_speech.room_tone(n / RATE, seed=3).astype(np.float64)
    for x, at in parts:
        k = int(at * RATE)
        out[k:k + len(x)] += x
    return np.clip(out, -32768, 32767)


def measure(max_delay: float, delay: float, cues: list, voices: list) -> dict:
    echo_starts, after, kept, headset, cost = 0, [], [], [], []
    for cue in cues:
        for gain in GAINS_DB:
            gate = EchoGate(FrameVad(), max_delay_s=max_delay)
            gate.expect(cue, 0.0)
            alone, c = through(gate, mix((room(cue, gain, delay), 0.0)))
            cost.append(c)
            echo_starts += first_start(alone) is not None
            for v in voices:
                own = np.array([FrameVad().is_speech(f) for f in
                                iter_frames(mix((v, ANSWER_AT_S)).astype(np.int16))])
                for mic, out in ((mix((room(cue, gain, delay), 0.0), (v, ANSWER_AT_S)), kept),
                                 (mix((v, ANSWER_AT_S)), headset)):
                    got, c = through(gate, mic)
                    n = min(len(got), len(own))
                    out.append(float((got[:n] & own[:n]).sum() / max(1, own[:n].sum())))
                    if out is kept:
                        s = first_start(got)
                        after.append(np.nan if s is None or s < ANSWER_AT_S else s - ANSWER_AT_S)
    a = np.array(after)
    return {"max_delay_s": max_delay, "room_delay_s": delay,
            "echo_starts": f"{echo_starts}/{len(cues) * len(GAINS_DB)}",
            "voice_started": f"{int(np.isfinite(a).sum())}/{len(a)}",
            "start_after_s": [round(float(np.nanmedian(a)), 2), round(float(np.nanmax(a)), 2)]
            if np.isfinite(a).any() else None,
            "kept": [round(min(kept), 2), round(statistics.median(kept), 2)],
            "headset_kept": [round(min(headset), 2), round(statistics.median(headset), 2)],
            "ms_per_frame": round(1000 * statistics.median(cost), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voices", type=int, default=8, help="human answers per cue and level")
    ap.add_argument("--max-delay", type=float, nargs="+", default=[0.3, 0.6, 0.9])
    ap.add_argument("--room-delay", type=float, nargs="+", default=[0.08, 0.38, 0.68])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if not human_speech.available():
        sys.exit("bench_echogate: human speech assets missing; run scripts/setup --test")
    cases = [c for c in human_speech.complete_answers() if 1.5 <= c.speech_end - 0.6 <= 3.5]
    voices = [c.samples[int(0.6 * RATE): int(c.speech_end * RATE)] for c in cases[:args.voices]]
    cues = [espeak(CUES[0]), espeak(CUES[1], pitch=80)]
    rows = []
    for md in args.max_delay:
        for d in args.room_delay:
            rows.append(measure(md, d, cues, voices))
            print(json.dumps(rows[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"frame_s": FRAME_S, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
