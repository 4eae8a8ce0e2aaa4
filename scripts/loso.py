#!/usr/bin/env python3
"""Leave-one-set-out scores of rules + learned layer: our stand-in for first contact.

    scripts/evaluate.py --loso [--config JSON] [--l2 X] [--epochs N] [--noisy N] [--sets ...]
                               [--folds ...] [--per-label] [--thresholds S C] [--veto X]
                               [--save OOF.npz | --load OOF.npz]

For each labelled set except the report set (blind-h), the learned layer is
trained on all the other sets and the left-out set is scored with rules +
model, as written and in recogniser form (lowercase, no punctuation), and with
15 % ASR noise. Reports per-set and mean macro-F1, per-label F1 (pooled over
the left-out sets) and criticism precision, beside each set's recorded
first-contact score (docs/evaluation.md). The rules were tuned on these sets
after their first contact, so LOSO flatters the rules; the model part is honest.

The thresholds and the veto are prompts/learned.toml's. --per-label instead
chooses a threshold per label for each left-out set on the out-of-fold scores
of the OTHER sets only (an inner choice: the left-out set's labels never pick
its thresholds). Sets with a file in tests/data/first-contact-rules/ are also
scored with the rules as they were at that set's first contact (its commit):
rules that had never seen the set, beside a model that has not either. That
is the closest stand-in for a new blind set.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

import evaluate as ev  # noqa: E402
from heard.analysis import learned  # noqa: E402
from heard.analysis.combine import LIMIT_ONLY, load_thresholds  # noqa: E402
from heard.analysis.findings import CATALOGUE, WORD_CHOICE_IDS  # noqa: E402
from heard.analysis.lexicon import load_lexicon  # noqa: E402


def _load_train():
    loader = importlib.machinery.SourceFileLoader("heard_train", str(REPO / "scripts" / "train"))
    spec = importlib.util.spec_from_loader("heard_train", loader)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


tr = _load_train()

# First-contact macro-F1 as written, from docs/evaluation.md ("-": not recorded).
FIRST_CONTACT = {"holdout": 0.74, "blind-b": 0.81, "blind-c": 0.856, "blind-d": 0.877, "blind-e": 0.857,
                 "blind-f": 0.814, "blind-g": 0.803, "blind-j": 0.792, "blind-k": 0.804,
                 "blind-l": 0.838, "blind-m": 0.868, "blind-n": 0.842, "blind-o": 0.820,
                 "blind-p": 0.861, "blind-q": 0.832, "blind-r": 0.840, "blind-s": 0.831,
                 "blind-t": 0.866, "blind-u": 0.870, "blind-v": 0.882, "blind-w": 0.825,
                 "blind-x": 0.855, "blind-y": 0.820}
FORMS = {
    "written": lambda it: it["text"],
    "recogniser": lambda it: ev.recogniser_form(it["text"]),
    "asr": lambda it: ev.asr_noise(it["text"], it["id"]),
}
CONCERN = np.array([CATALOGUE[lab][0] == "concern" for lab in WORD_CHOICE_IDS])
LIMIT = np.array([lab in LIMIT_ONLY for lab in WORD_CHOICE_IDS])


def label_matrix(items: list[dict]) -> np.ndarray:
    return np.array([[lab in it["labels"] for lab in WORD_CHOICE_IDS] for it in items], dtype=bool)


def rules_matrix(items: list[dict], texts: list[str], cache: dict) -> np.ndarray:
    out = []
    for it, t in zip(items, texts):
        key = f"{it['scenario']}\t{t}"
        if key not in cache:
            cache[key] = tr.rule_ids(t, it["scenario"])
        out.append([lab in cache[key] for lab in WORD_CHOICE_IDS])
    return np.array(out, dtype=bool).reshape(-1, len(WORD_CHOICE_IDS))


def out_of_fold(sets: dict[str, list[dict]], cfg, l2: float, epochs: int, noisy: int,
                folds: list[str] | None = None) -> dict:
    """Per left-out set and form: model probabilities, rules' labels, gold labels, limit flags."""
    path, cache = tr.rules_cache()
    table = tr.augment_table()
    lex = load_lexicon()
    memo: dict = {}
    oof: dict = {}
    for held in folds or list(sets):
        t0 = time.time()
        train = [it for name, its in sets.items() if name != held for it in its]
        model = tr.fit(tr.Rows(train, table, noisy, cache), cfg, l2, epochs, memo=memo)
        test = sets[held]
        limit = np.array([tr.scenario_of(it["scenario"]).limit_needed for it in test])
        for form, fn in FORMS.items():
            texts = [fn(it) for it in test]
            rules = rules_matrix(test, texts, cache)
            probs = np.array([list(model.scores(t, tr.scenario_of(it["scenario"]), (), lex).values())
                              for it, t in zip(test, texts)]).reshape(-1, len(WORD_CHOICE_IDS))
            oof[(held, form)] = {"p": probs, "r": rules, "y": label_matrix(test), "limit": limit}
        print(f"  {held}: trained and scored in {time.time() - t0:.0f} s", file=sys.stderr)
    path.write_text(json.dumps(cache))
    return oof


VETO = [load_thresholds().veto]


def decide(d: dict, thr: np.ndarray) -> np.ndarray:
    """Rules' labels (a concern only if the model gives it at least the veto) plus each label whose
    probability reaches its threshold (limit labels need a limit); mirrors heard.analysis.combine.decide."""
    pred = (d["r"] & ~((d["p"] < VETO[0]) & CONCERN)) | (d["p"] >= thr)
    pred[~d["limit"]] &= ~LIMIT
    return pred


def scores(y: np.ndarray, pred: np.ndarray) -> dict:
    tp = (y & pred).sum(0)
    fp = (~y & pred).sum(0)
    fn = (y & ~pred).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    support = y.sum(0) > 0
    crit_pred = (fp + tp)[CONCERN].sum()
    return {"macro": float(f1[support].mean()) if support.any() else 0.0, "f1": f1, "support": y.sum(0),
            "crit_prec": float(tp[CONCERN].sum() / crit_pred) if crit_pred else 1.0,
            "crit": (int(tp[CONCERN].sum()), int(crit_pred))}


KINDS = [load_thresholds().as_dict()]


def global_thresholds() -> np.ndarray:
    th = KINDS[0]
    return np.array([th[CATALOGUE[lab][0]] for lab in WORD_CHOICE_IDS])


STRENGTH_GRID = (0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7)
CONCERN_GRID = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8, 0.9)


def choose_thresholds(oof: dict, names: list[str], forms=("written", "recogniser")) -> np.ndarray:
    """Per label, the threshold with the best F1 pooled over ``names`` and both forms; a concern
    never below its kind's shipped threshold (a wrong criticism costs more than a missed one)."""
    base = global_thresholds()
    out = base.copy()
    y = np.concatenate([oof[(n, f)]["y"] for n in names for f in forms])
    r = np.concatenate([oof[(n, f)]["r"] for n in names for f in forms])
    p = np.concatenate([oof[(n, f)]["p"] for n in names for f in forms])
    limit = np.concatenate([oof[(n, f)]["limit"] for n in names for f in forms])
    for j in range(len(WORD_CHOICE_IDS)):
        grid = CONCERN_GRID if CONCERN[j] else STRENGTH_GRID
        grid = tuple(g for g in grid if g >= base[j]) if CONCERN[j] else grid
        best, best_f = base[j], -1.0
        rule = r[:, j] & ~(p[:, j] < VETO[0]) if CONCERN[j] else r[:, j]
        for g in grid:
            pred = rule | (p[:, j] >= g)
            if LIMIT[j]:
                pred &= limit
            tp = (pred & y[:, j]).sum()
            f = 2 * tp / (pred.sum() + y[:, j].sum()) if pred.sum() + y[:, j].sum() else 0.0
            if f > best_f + 1e-9:
                best, best_f = g, f
        out[j] = best
    return out


def report(oof: dict, names: list[str], per_label_thr: bool) -> dict:
    rows = {}
    pooled: dict = {f: ([], []) for f in FORMS}
    for n in names:
        thr = choose_thresholds(oof, [m for m in names if m != n]) if per_label_thr else global_thresholds()
        rows[n] = {}
        for f in FORMS:
            d = oof[(n, f)]
            pred = decide(d, thr)
            rows[n][f] = scores(d["y"], pred)
            rows[n][f + "_rules"] = scores(d["y"], d["r"])
            pooled[f][0].append(d["y"])
            pooled[f][1].append(pred)
    print(f"\n{'left-out set':<14}{'first contact':>14}{'rules':>8}{'written':>9}{'recog.':>8}{'asr':>7}"
          f"{'crit-prec w/r':>15}")
    for n in names:
        r = rows[n]
        fc = FIRST_CONTACT.get(n)
        print(f"{n:<14}{(f'{fc:.3f}' if fc else '-'):>14}{r['written_rules']['macro']:8.3f}"
              f"{r['written']['macro']:9.3f}{r['recogniser']['macro']:8.3f}{r['asr']['macro']:7.3f}"
              f"{r['written']['crit_prec']:8.3f}/{r['recogniser']['crit_prec']:.3f}")
    mean = {f: float(np.mean([rows[n][f]["macro"] for n in names])) for f in [*FORMS, "written_rules"]}
    crit = {f: float(np.mean([rows[n][f]["crit_prec"] for n in names])) for f in FORMS}
    fcs = [FIRST_CONTACT[n] for n in names if n in FIRST_CONTACT]
    print(f"{'mean':<14}{(f'{np.mean(fcs):.3f}' if fcs else '-'):>14}{mean['written_rules']:8.3f}"
          f"{mean['written']:9.3f}{mean['recogniser']:8.3f}{mean['asr']:7.3f}"
          f"{crit['written']:8.3f}/{crit['recogniser']:.3f}")
    sub = [n for n in names if n in FIRST_CONTACT]
    if sub:
        print(f"{'mean (sets with a first contact)':<36}"
              f" LOSO written {np.mean([rows[n]['written']['macro'] for n in sub]):.3f}"
              f" vs first contact {np.mean(fcs):.3f}")
    per_label = {}
    print(f"\n{'label (pooled over left-out sets)':<34}{'written':>8}{'recog.':>8}{'asr':>7}{'support':>8}")
    for f in FORMS:
        per_label[f] = scores(np.concatenate(pooled[f][0]), np.concatenate(pooled[f][1]))
    for j, lab in enumerate(WORD_CHOICE_IDS):
        print(f"{lab:<34}{per_label['written']['f1'][j]:8.3f}{per_label['recogniser']['f1'][j]:8.3f}"
              f"{per_label['asr']['f1'][j]:7.3f}{int(per_label['written']['support'][j]):8d}")
    pw, pr = per_label["written"], per_label["recogniser"]
    print(f"criticism precision pooled: written {pw['crit_prec']:.3f} ({pw['crit'][0]}/{pw['crit'][1]}),"
          f" recogniser form {pr['crit_prec']:.3f} ({pr['crit'][0]}/{pr['crit'][1]})")
    print(f"labels below 0.85 (pooled): written {int((pw['f1'] < 0.85).sum())}, "
          f"recogniser form {int((pr['f1'] < 0.85).sum())} of {len(WORD_CHOICE_IDS)}")
    return {"mean": mean, "crit": crit, "rows": rows, "per_label": per_label}


FIRST_CONTACT_RULES = REPO / "tests" / "data" / "first-contact-rules"


def first_contact_rules(name: str, oof: dict) -> dict | None:
    """The set's out-of-fold scores with the rules as they were at its first contact
    (tests/data/first-contact-rules/NAME.jsonl, from the commit named on its first line)."""
    path = FIRST_CONTACT_RULES / f"{name}.jsonl"
    if not path.is_file():
        return None
    lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    by_id = {row["id"]: row for row in lines[1:]}
    ids = [it["id"] for it in tr.load_sets([name])[name]]
    out = {"commit": lines[0]["commit"]}
    for f in FORMS:
        d = dict(oof[(name, f)])
        d["r"] = np.array([[lab in by_id[i][f] for lab in WORD_CHOICE_IDS] for i in ids], dtype=bool)
        out[f] = d
    return out


def report_first_contact(oof: dict, names: list[str], per_label_thr: bool) -> dict:
    """LOSO with each set's first-contact rules: the closest stand-in for a new blind set."""
    rows = {}
    for n in names:
        fc = first_contact_rules(n, oof)
        if fc is None:
            continue
        thr = choose_thresholds(oof, [m for m in names if m != n]) if per_label_thr else global_thresholds()
        rows[n] = {"commit": fc["commit"]}
        for f in FORMS:
            rows[n][f] = scores(fc[f]["y"], decide(fc[f], thr))
            rows[n][f + "_rules"] = scores(fc[f]["y"], fc[f]["r"])
    if not rows:
        return rows
    print("\nWith each set's FIRST-CONTACT rules (the rules before the set was opened; model left out as above)")
    print(f"{'left-out set':<14}{'rules at':>9}{'rules w/r':>12}{'+model written':>15}{'recog.':>8}{'asr':>7}"
          f"{'crit-prec w/r':>15}")
    for n, r in rows.items():
        print(f"{n:<14}{r['commit']:>9}{r['written_rules']['macro']:6.3f}/{r['recogniser_rules']['macro']:.3f}"
              f"{r['written']['macro']:15.3f}{r['recogniser']['macro']:8.3f}{r['asr']['macro']:7.3f}"
              f"{r['written']['crit_prec']:8.3f}/{r['recogniser']['crit_prec']:.3f}")
    m = {f: float(np.mean([r[f]["macro"] for r in rows.values()])) for f in [*FORMS, "written_rules"]}
    c = {f: float(np.mean([r[f]["crit_prec"] for r in rows.values()])) for f in FORMS}
    print(f"{'mean':<14}{'':>9}{m['written_rules']:6.3f}{'':>6}{m['written']:15.3f}{m['recogniser']:8.3f}"
          f"{m['asr']:7.3f}{c['written']:8.3f}/{c['recogniser']:.3f}")
    pooled = {}
    for f in FORMS:
        fcs = [first_contact_rules(n, oof) for n in rows]
        thr = global_thresholds()
        pooled[f] = scores(np.concatenate([fc[f]["y"] for fc in fcs if fc]),
                           np.concatenate([decide(fc[f], thr) for fc in fcs if fc]))
    print(f"{'label (pooled, first-contact rules)':<36}{'written':>8}{'recog.':>8}{'asr':>7}")
    for j, lab in enumerate(WORD_CHOICE_IDS):
        print(f"{lab:<36}{pooled['written']['f1'][j]:8.3f}{pooled['recogniser']['f1'][j]:8.3f}"
              f"{pooled['asr']['f1'][j]:7.3f}")
    pw, pr = pooled["written"], pooled["recogniser"]
    print(f"criticism precision pooled: written {pw['crit_prec']:.3f} ({pw['crit'][0]}/{pw['crit'][1]}),"
          f" recogniser form {pr['crit_prec']:.3f} ({pr['crit'][0]}/{pr['crit'][1]}); labels below 0.85:"
          f" written {int((pw['f1'] < 0.85).sum())}, recogniser form {int((pr['f1'] < 0.85).sum())}")
    rows["pooled"] = pooled
    return rows


def save(oof: dict, path: Path) -> None:
    arrays = {f"{n}|{f}|{k}": v for (n, f), d in oof.items() for k, v in d.items()}
    np.savez_compressed(path, **arrays)


def load(path: Path) -> dict:
    oof: dict = {}
    with np.load(path) as z:
        for key in z.files:
            n, f, k = key.split("|")
            oof.setdefault((n, f), {})[k] = z[key]
    return oof


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--sets", nargs="+", default=tr.SETS,
                    help="sets to leave out in turn (never a report set: blind-h, blind-i)")
    ap.add_argument("--config", default="{}", help="JSON overrides of FeatureConfig")
    ap.add_argument("--l2", type=float, default=tr.L2)
    ap.add_argument("--epochs", type=int, default=tr.EPOCHS)
    ap.add_argument("--noisy", type=int, default=tr.NOISY_COPIES)
    ap.add_argument("--per-label", action="store_true",
                    help="per-label thresholds, each set's chosen on the other sets' out-of-fold scores")
    ap.add_argument("--save", type=Path, help="keep the out-of-fold scores in this .npz")
    ap.add_argument("--load", type=Path, help="report from saved out-of-fold scores (no training)")
    ap.add_argument("--folds", nargs="+", help="leave out only these sets (quicker comparisons)")
    ap.add_argument("--thresholds", nargs=2, type=float, metavar=("STRENGTH", "CONCERN"),
                    help="override learned.toml's thresholds (comparisons)")
    ap.add_argument("--veto", type=float, help="override learned.toml's veto on the rules' concerns")
    args = ap.parse_args(argv)
    if args.veto is not None:
        VETO[0] = args.veto
    if args.thresholds:
        KINDS[0] = {"strength": args.thresholds[0], "concern": args.thresholds[1]}
    print(f"thresholds: strength {KINDS[0]['strength']}, concern {KINDS[0]['concern']}; "
          f"veto on the rules' concerns: {VETO[0]}")
    untouched = sorted(set(tr.REPORT_SETS) & {*args.sets, *(args.folds or [])})
    if untouched:
        print(f"error: {', '.join(untouched)} is an untouched report set; leave it out of --sets", file=sys.stderr)
        return 2
    if args.load:
        oof = load(args.load)
    else:
        cfg = replace(learned.FeatureConfig(), **json.loads(args.config))
        print(f"config {cfg} l2 {args.l2} epochs {args.epochs} noisy {args.noisy}", file=sys.stderr)
        oof = out_of_fold(tr.load_sets(args.sets), cfg, args.l2, args.epochs, args.noisy, args.folds)
        if args.save:
            save(oof, args.save)
    folds = sorted({n for n, _ in oof}, key=args.sets.index)
    report(oof, folds, args.per_label)
    report_first_contact(oof, folds, args.per_label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
