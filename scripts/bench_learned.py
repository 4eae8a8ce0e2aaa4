#!/usr/bin/env python3
"""What the learned word-choice layer costs: time per response, memory, install size.

    scripts/bench_learned.py [FILE.jsonl]

Time: the learned layer's share of analysing each response (rules alone vs rules +
model), median and p95 over the file. Memory: peak RSS of a fresh process
that analyses the file with the rules alone, then the added peak when the
learned layer is on. Install size: the weights file.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
DEFAULT = REPO / "tests" / "data" / "responses-dev.jsonl"

_CHILD = """
import json, resource, sys
sys.path.insert(0, {src!r})
from heard.core.scenarios import get_scenario
from heard.core.transcript import Transcript
from heard.analysis.wordchoice import analyse_word_choice
from heard.analysis.combine import combine
items = [json.loads(l) for l in open({data!r}) if l.strip()]
for it in items:
    sc = get_scenario(it["scenario"])
    t = Transcript.from_text(it["text"])
    r = analyse_word_choice(t, sc)
    if {learned}:
        combine(r, t, sc)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_kb(data: Path, learned: bool) -> int:
    code = _CHILD.format(src=str(REPO / "src"), data=str(data), learned=learned)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def main(argv: list[str]) -> int:
    data = Path(argv[0]) if argv else DEFAULT
    from heard.analysis.combine import combine
    from heard.analysis.learned import MODEL_PATH, load_model
    from heard.analysis.wordchoice import analyse_word_choice
    from heard.core.scenarios import get_scenario
    from heard.core.transcript import Transcript

    items = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    tracemalloc.start()
    t0 = time.perf_counter()
    load_model()
    load_s = time.perf_counter() - t0
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rules_ms, model_ms = [], []
    for it in items * 3:
        sc = get_scenario(it["scenario"])
        tr = Transcript.from_text(it["text"])
        a = time.perf_counter()
        r = analyse_word_choice(tr, sc)
        b = time.perf_counter()
        combine(r, tr, sc)
        c = time.perf_counter()
        rules_ms.append((b - a) * 1000)
        model_ms.append((c - b) * 1000)

    def p95(xs):
        return sorted(xs)[int(0.95 * (len(xs) - 1))]

    base, withm = peak_kb(data, False), peak_kb(data, True)
    print(f"responses: {len(items)} ({data.name}), each timed 3 times")
    print(f"model load (once): {load_s * 1000:.0f} ms, {held / 1e6:.1f} MB held, {peak / 1e6:.1f} MB peak")
    print(f"rules per response: median {statistics.median(rules_ms):.2f} ms, p95 {p95(rules_ms):.2f} ms")
    print(f"learned layer per response: median {statistics.median(model_ms):.2f} ms, p95 {p95(model_ms):.2f} ms")
    print(f"peak RSS: rules alone {base / 1024:.1f} MB, with learned layer {withm / 1024:.1f} MB, "
          f"added {(withm - base) / 1024:.1f} MB")
    print(f"weights file: {MODEL_PATH.stat().st_size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
