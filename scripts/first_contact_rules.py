#!/usr/bin/env python3
"""Store what the rules said about a labelled set at its first contact.

    scripts/first_contact_rules.py NAME COMMIT      e.g. blind-f f90f1bd

Rules tuned on a set after its first contact flatter that set in
leave-one-set-out; the rules as they were at the set's first-contact commit
had never seen it. This extracts that commit's code and prompts (git archive,
into a temporary folder), runs its rules alone on the set as written, in
recogniser form and with ASR noise (the forms of scripts/evaluate.py today),
and writes tests/data/first-contact-rules/NAME.jsonl: the commit, then each
response's labels per form. scripts/loso.py reads it. Never for blind-h or a
set not yet scored on first contact.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "scripts"))

import evaluate as ev  # noqa: E402

OUT = REPO / "tests" / "data" / "first-contact-rules"
FORMS = ("written", "recogniser", "asr")
# Runs inside the old tree: its own evaluate.predict, rules only.
RUNNER = """
import importlib.util, inspect, json, os, sys
root, data = sys.argv[1], sys.argv[2]
os.environ["HEARD_PROMPTS"] = root + "/prompts"
sys.path[:0] = [root + "/src", root + "/scripts"]
spec = importlib.util.spec_from_file_location("old_evaluate", root + "/scripts/evaluate.py")
ev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ev)
items = json.load(open(data))
kw = {"learned": False} if "learned" in inspect.signature(ev.predict).parameters else {}
out = {f: [sorted(p) for p in ev.predict(items, lambda it: it[f], **kw)] for f in ("written", "recogniser", "asr")}
print(json.dumps(out))
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] in ("blind-h", "blind-i"):
        print("usage: scripts/first_contact_rules.py NAME COMMIT (never a report set: blind-h, blind-i)",
              file=sys.stderr)
        return 2
    name, commit = args
    items = sorted(ev.load_items(REPO / "tests" / "data" / f"responses-{name}.jsonl"), key=lambda it: it["id"])
    rows = [{"id": it["id"], "scenario": it["scenario"], "labels": it["labels"], "written": it["text"],
             "recogniser": ev.recogniser_form(it["text"]), "asr": ev.asr_noise(it["text"], it["id"])}
            for it in items]
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src", "prompts", "scripts"],
                                 check=True, capture_output=True).stdout
        tar_path = Path(tmp) / "tree.tar"
        tar_path.write_bytes(archive)
        with tarfile.open(tar_path) as tar:
            tar.extractall(Path(tmp) / "tree", filter="data")
        data = Path(tmp) / "items.json"
        data.write_text(json.dumps(rows))
        res = subprocess.run([sys.executable, "-c", RUNNER, str(Path(tmp) / "tree"), str(data)],
                             check=True, capture_output=True, text=True)
    preds = json.loads(res.stdout.strip().splitlines()[-1])
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"commit": commit}) + "\n")
        for k, it in enumerate(rows):
            fh.write(json.dumps({"id": it["id"], **{f: preds[f][k] for f in FORMS}}) + "\n")
    for f in FORMS:
        s = ev.score(items, [set(p) for p in preds[f]])
        print(f"{name} at {commit}, rules alone, {f}: macro-F1 {s['macro_f1']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
