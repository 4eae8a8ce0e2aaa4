#!/usr/bin/env python3
"""Time of the text analysis against the length of the text: it must grow linearly.

    scripts/bench_text.py [--words 250,500,1000,2000,4000,8000] [--repeat 3] [--json OUT]

Each pattern (a run of "but"s, a list of feelings, fillers, a dev-set answer
repeated, ...) is repeated up to each length and analysed by the word-choice
analyser directly (the 2,000-word cap of ``heard analyse`` is bypassed, so
lengths beyond it show the growth). Prints seconds and microseconds per word;
linear work keeps the per-word time flat as the length doubles. The slope
ratio compares the per-word time at the longest length with the shortest (1.0
is linear, about 32 would be quadratic over 250 -> 8000 words).
No thresholds are asserted here or in the tests: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from heard.analysis.wordchoice import analyse_word_choice  # noqa: E402
from heard.core.rules import load_rules  # noqa: E402
from heard.core.transcript import Transcript  # noqa: E402

PATTERNS = {
    "but-run (issue 11)": ("cookie", "I know but "),
    "ack-then-but": ("cookie", "You really want a cookie, but "),
    "feelings": ("cookie", "a sad thing and a cross thing and "),
    "fillers": ("car-keys", "oh, "),
    "questions": ("go-away", "what happened? "),
    "lecture": ("cookie", "because you should not do that and "),
    "dev answer": ("cookie", "You wanted a cookie and I said no. I'm not changing my mind, and I'm right here. "),
}


def text_of(unit: str, words: int) -> str:
    per = len(unit.split())
    return " ".join((unit * (words // per + 1)).split()[:words])


def time_one(rules, sid: str, text: str, repeat: int) -> float:
    sc = rules.scenarios[sid]
    transcript = Transcript.from_text(text)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        analyse_word_choice(transcript, sc, rules=rules)
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--words", default="250,500,1000,2000,4000,8000")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    ap.add_argument("--json", type=Path, metavar="OUT")
    args = ap.parse_args(argv)
    lengths = [int(x) for x in args.words.split(",")]
    rules = load_rules()
    analyse_word_choice(Transcript.from_text("hello"), rules.scenarios["cookie"], rules=rules)  # compile once
    out = {}
    print(f"{'pattern':<22}" + "".join(f"{n:>10}" for n in lengths) + "   us/word  slope ratio")
    for name, (sid, unit) in PATTERNS.items():
        secs = [time_one(rules, sid, text_of(unit, n), args.repeat) for n in lengths]
        per_word = [s / n * 1e6 for s, n in zip(secs, lengths)]
        ratio = per_word[-1] / per_word[0]
        out[name] = {"words": lengths, "seconds": secs, "us_per_word": per_word, "slope_ratio": ratio}
        print(f"{name:<22}" + "".join(f"{s:10.3f}" for s in secs)
              + f"   {per_word[0]:.0f}-{per_word[-1]:.0f}   {ratio:.2f}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
