#!/usr/bin/env python3
"""Score the word-choice analyser against labelled responses.

    scripts/evaluate.py [FILE.jsonl ...] [--asr-noise] [--scenario-examples] [--ids odd|even] [--rules-only]
                        [--json OUT]
    scripts/evaluate.py --loso [...]    leave-one-set-out, see scripts/loso.py

Prints per-label precision, recall, F1 and support, then macro-F1 (over labels
with support) and the exact-match rate. --asr-noise also scores the texts as a
recogniser would emit them (lowercase, no punctuation, 15 % of words
substituted or dropped, fixed seed); --scenario-examples also scores the
[[examples]] in the scenario files, which the lexicon was not tuned on.
--ids odd|even keeps only responses whose id ends in an odd/even number, so a
held-out file can be split into a tuning half and a report half.
By default it scores what users get: the rules merged with the learned layer
(heard.analysis.combine); --rules-only scores the rules alone.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from heard.analysis.combine import combine  # noqa: E402
from heard.analysis.findings import WORD_CHOICE_IDS  # noqa: E402
from heard.analysis.wordchoice import analyse_word_choice  # noqa: E402
from heard.core.errors import HeardError  # noqa: E402
from heard.core.scenarios import all_scenarios, get_scenario  # noqa: E402
from heard.core.transcript import Transcript  # noqa: E402

DEFAULT_DATA = REPO / "tests" / "data" / "responses-dev.jsonl"
NOISE_RATE = 0.15
SEED = 20240501
# Words a small recogniser tends to put in place of one it missed.
CONFUSIONS = ["the", "a", "and", "in", "it", "to", "of", "on", "is", "uh", "that", "an", "you", "i"]


def load_items(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        raise HeardError(f"cannot read {path}; pass a labelled .jsonl file") from None
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            items.append({"id": item.get("id", f"{path.name}:{n}"), "scenario": item["scenario"],
                          "text": item["text"], "labels": list(item["labels"])})
        except (json.JSONDecodeError, KeyError, TypeError):
            raise HeardError(f"{path.name} line {n}: expected {{id, scenario, text, labels}}") from None
    return items


def id_parity(item_id: str) -> str | None:
    """ "odd" or "even" from the last number in an id ("h007" -> "odd"), None without one."""
    m = re.search(r"(\d+)\D*$", item_id)
    return None if m is None else ("odd" if int(m.group(1)) % 2 else "even")


def scenario_items() -> list[dict]:
    return [
        {"id": f"{sid}#{k}", "scenario": sid, "text": ex.text, "labels": list(ex.labels)}
        for sid, sc in sorted(all_scenarios().items())
        for k, ex in enumerate(sc.examples, 1)
    ]


def recogniser_form(text: str) -> str:
    """Lowercase with punctuation stripped, keeping in-word apostrophes (as vosk does)."""
    text = text.lower().replace("\u2019", "'")
    text = re.sub(r"[^\w' ]+", " ", text)
    return " ".join(w.strip("'") for w in text.split() if w.strip("'"))


def asr_noise(text: str, key: str, rate: float = NOISE_RATE) -> str:
    """Recogniser form with a fixed-seed share of words substituted or dropped."""
    rng = random.Random(SEED + zlib.crc32(key.encode()))
    out = []
    for w in recogniser_form(text).split():
        r = rng.random()
        if r < rate / 2:
            out.append(rng.choice(CONFUSIONS))
        elif r < rate:
            continue
        else:
            out.append(w)
    return " ".join(out)


def predict(items: list[dict], form, learned: bool = False) -> list[set[str]]:
    preds = []
    for it in items:
        sc = get_scenario(it["scenario"])
        transcript = Transcript.from_text(form(it))
        res = analyse_word_choice(transcript, sc)
        if learned:
            res = combine(res, transcript, sc)
        preds.append({f.id for f in res.findings})
    return preds


def score(items: list[dict], preds: list[set[str]]) -> dict:
    per = {}
    for lab in WORD_CHOICE_IDS:
        tp = sum(lab in p and lab in it["labels"] for it, p in zip(items, preds))
        fp = sum(lab in p and lab not in it["labels"] for it, p in zip(items, preds))
        fn = sum(lab not in p and lab in it["labels"] for it, p in zip(items, preds))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn, "predicted": tp + fp}
    supported = [v["f1"] for v in per.values() if v["support"]]
    exact = sum(set(it["labels"]) == p for it, p in zip(items, preds))
    return {
        "labels": per,
        "macro_f1": sum(supported) / len(supported) if supported else 0.0,
        "exact_match": exact / len(items) if items else 0.0,
        "n": len(items),
    }


def report(title: str, s: dict, items: list[dict], preds: list[set[str]], show_errors: bool) -> None:
    print(f"\n== {title} ({s['n']} responses)")
    print(f"{'label':<22}{'prec':>6}{'rec':>6}{'F1':>6}{'supp':>6}")
    for lab, v in s["labels"].items():
        if v["support"] or v["predicted"]:
            print(f"{lab:<22}{v['precision']:6.2f}{v['recall']:6.2f}{v['f1']:6.2f}{v['support']:6d}")
    print(f"macro-F1 {s['macro_f1']:.3f}   exact match {s['exact_match']:.3f}")
    if show_errors:
        for it, p in zip(items, preds):
            gold = set(it["labels"])
            if gold != p:
                print(f"  {it['id']} [{it['scenario']}] {it['text']!r}\n"
                      f"      missing {sorted(gold - p)} extra {sorted(p - gold)}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--loso" in argv:
        import loso  # scripts/loso.py: leave-one-set-out, trains the learned layer per fold

        return int(loso.main([a for a in argv if a != "--loso"]))
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("files", nargs="*", type=Path, help=f"labelled .jsonl (default {DEFAULT_DATA})")
    ap.add_argument("--asr-noise", action="store_true", help="also score recogniser-style noisy text")
    ap.add_argument("--scenario-examples", action="store_true", help="also score the scenario [[examples]]")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write the numbers to this file")
    ap.add_argument("--ids", choices=("odd", "even"), help="keep only responses with odd/even id numbers")
    ap.add_argument("--rules-only", action="store_true", help="score the rules without the learned layer")
    ap.add_argument("--errors", action="store_true", help="list each response whose labels differ")
    args = ap.parse_args(argv)
    try:
        items = [it for f in (args.files or [DEFAULT_DATA]) for it in load_items(f)]
        if args.ids:
            items = [it for it in items if id_parity(it["id"]) == args.ids]
        runs = [("as written", items, lambda it: it["text"])]
        if args.asr_noise:
            runs.append(("recogniser form (lowercase, no punctuation)", items, lambda it: recogniser_form(it["text"])))
            runs.append((f"asr noise ({int(NOISE_RATE * 100)} % words substituted/dropped)", items,
                         lambda it: asr_noise(it["text"], it["id"])))
        if args.scenario_examples:
            runs.append(("scenario examples", scenario_items(), lambda it: it["text"]))
        out = {}
        for title, its, form in runs:
            preds = predict(its, form, learned=not args.rules_only)
            s = score(its, preds)
            report(title, s, its, preds, args.errors)
            out[title] = s
        if args.json:
            args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    except HeardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
