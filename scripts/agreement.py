#!/usr/bin/env python3
"""How well labellers agree with each other, and the analyser with each of them.

    scripts/agreement.py A.jsonl B.jsonl [C.jsonl ...] [--json OUT]

Each file labels the same responses (same ids; order does not matter). For
every pair it prints macro-F1 and exact match with the row's file as the
reference, the way scripts/evaluate.py scores the analyser, then the analyser
(rules + learned layer, as written) against each file. Two people's labels
agreeing at 0.85 means no analyser can be shown to score 0.95 against either:
this is the ceiling the word-choice targets are read against.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import load_items, predict, score  # noqa: E402
from heard.core.errors import HeardError  # noqa: E402


def aligned(files: list[Path]) -> tuple[list[dict], list[list[set[str]]]]:
    """The first file's items, and every file's labels in that order."""
    sets = [load_items(f) for f in files]
    ref = sets[0]
    ids = [it["id"] for it in ref]
    labels = []
    for f, items in zip(files, sets):
        by_id = {it["id"]: set(it["labels"]) for it in items}
        missing, extra = set(ids) - set(by_id), len(items) - len(ids) + len(set(ids) - set(by_id))
        if missing or extra:
            raise HeardError(f"{f.name} does not label the same responses as {files[0].name} "
                             f"({len(missing)} missing, {extra} more or repeated)")
        labels.append([by_id[i] for i in ids])
    return ref, labels


def matrix(ref: list[dict], labels: list[list[set[str]]], names: list[str]) -> dict:
    out: dict = {}
    for i, row in enumerate(names):
        gold = [dict(it, labels=sorted(lab)) for it, lab in zip(ref, labels[i])]
        out[row] = {}
        for j, col in enumerate(names):
            if i != j:
                s = score(gold, labels[j])
                out[row][col] = {"macro_f1": s["macro_f1"], "exact_match": s["exact_match"],
                                 "labels": {k: v["f1"] for k, v in s["labels"].items() if v["support"]}}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("files", nargs="+", type=Path, help="label files over the same responses")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write the numbers to this file")
    args = ap.parse_args(argv)
    try:
        if len(args.files) < 2:
            raise HeardError("give two or more label files over the same responses")
        ref, labels = aligned(args.files)
        names = [f.stem for f in args.files]
        labels.append(predict(ref, lambda it: it["text"], learned=True))
        names.append("analyser")
        m = matrix(ref, labels, names)
    except HeardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    width = max(len(n) for n in names) + 2
    print(f"macro-F1 (row = reference), {len(ref)} responses")
    print(" " * width + "".join(f"{n:>{width}}" for n in names))
    for row in names:
        cells = "".join(f"{m[row][col]['macro_f1']:>{width}.3f}" if col in m[row] else f"{'-':>{width}}"
                        for col in names)
        print(f"{row:<{width}}{cells}")
    if args.json:
        args.json.write_text(json.dumps(m, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
