"""The evaluation script on the labelled dev set must meet the targets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEV = REPO / "tests" / "data" / "responses-dev.jsonl"


def test_dev_set_meets_targets_as_written_and_with_asr_noise(tmp_path):
    out = tmp_path / "scores.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "evaluate.py"), str(DEV), "--asr-noise", "--json", str(out)],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "macro-F1" in proc.stdout and "exact match" in proc.stdout
    scores = json.loads(out.read_text())
    written = scores["as written"]
    noisy = next(v for k, v in scores.items() if k.startswith("asr noise"))
    assert written["macro_f1"] >= 0.90, proc.stdout
    assert noisy["macro_f1"] >= 0.80, proc.stdout
    assert written["labels"]["but_negates"]["support"] > 0


def test_bad_data_file_is_a_one_line_error(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "evaluate.py"), str(bad)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


# (file, --ids, responses, floor): each floor is the macro-F1 measured on that set, less a margin.
# E is the report set: its texts and per-item errors were never looked at while tuning; it was scored
# once before (0.850) and once after (0.857) the fifth round, and predicts the score on unseen dev-like
# data. D, C, B, A and the holdout have been tuned on, so their floors are modest guards against
# regressions (measured after the fifth round: D 0.964, C 0.948, B 0.979, A even 0.942, holdout even 0.934).
# Since issue 10 the scores include the learned layer (docs/evaluation.md). F (first contact 0.814) and
# G (first contact 0.803) have both had their first-contact score and are now tuned on and trained on;
# their floors guard the tuned level (measured 0.893 / 0.894 as written), not a first-contact score.
# The next report set (H) is scored once by the lead. Measured after the issue-10 tuning round:
# E 0.933, D 0.966, C 0.946, B 0.981, A even 0.958, holdout even 0.939.
REPORT_SETS = [
    # H and I are the report sets: each scored on first contact (H 0.857 written, I 0.747, then 0.751 after
    # word-choice round 3; H 0.847 after it) and never tuned or trained on.
    ("responses-blind-i.jsonl", None, 160, 0.77),  # 0.802 after round 9 (P-Y trained in)
    ("responses-blind-h.jsonl", None, 160, 0.85),  # 0.886 after round 9
    ("responses-blind-j.jsonl", None, 160, 0.84),  # first contact 0.792; trained and tuned on since (0.863)
    ("responses-blind-k.jsonl", None, 160, 0.87),  # first contact 0.804; trained on since (0.899)
    ("responses-blind-l.jsonl", None, 160, 0.89),  # first contact 0.838; trained on since (0.925)
    ("responses-blind-m.jsonl", None, 160, 0.90),  # first contact 0.868; trained on since (0.928)
    ("responses-blind-n.jsonl", None, 160, 0.89),  # first contact 0.842; trained on since (0.927)
    ("responses-blind-o.jsonl", None, 160, 0.87),  # first contact 0.820; trained on since (0.903)
    ("responses-blind-p.jsonl", None, 160, 0.88),  # first contact 0.861; trained on since (0.912)
    ("responses-blind-q.jsonl", None, 160, 0.88),  # first contact 0.832; trained on since (0.908)
    ("responses-blind-r.jsonl", None, 160, 0.87),  # first contact 0.840; trained on since (0.901)
    ("responses-blind-s.jsonl", None, 160, 0.86),  # first contact 0.831; trained on since (0.889)
    ("responses-blind-t.jsonl", None, 160, 0.88),  # first contact 0.866; trained on since (0.912)
    ("responses-blind-u.jsonl", None, 160, 0.88),  # first contact 0.870; trained on since (0.913)
    ("responses-blind-v.jsonl", None, 160, 0.90),  # first contact 0.882; trained on since (0.935)
    ("responses-blind-w.jsonl", None, 160, 0.87),  # first contact 0.825; trained on since (0.909)
    ("responses-blind-x.jsonl", None, 160, 0.87),  # first contact 0.855; trained on since (0.903)
    ("responses-blind-y.jsonl", None, 160, 0.85),  # first contact 0.820; trained on since (0.884)
    ("responses-blind-g.jsonl", None, 176, 0.87),  # tuned and trained on since its first contact
    ("responses-blind-f.jsonl", None, 176, 0.87),  # tuned and trained on since its first contact
    ("responses-blind-e.jsonl", None, 192, 0.91),  # dev-like, written blind; a training set since issue 10
    ("responses-blind-d.jsonl", None, 192, 0.94),  # tuning: dev-like
    ("responses-blind-c.jsonl", None, 192, 0.92),  # tuning: dev-like
    ("responses-blind-b.jsonl", None, 160, 0.95),  # tuning: dev-like
    ("responses-blind-a.jsonl", "even", 104, 0.93),  # tuning: concern-heavy
    ("responses-holdout.jsonl", "even", 80, 0.91),  # tuning
]


@pytest.mark.parametrize("name,half,n,floor", REPORT_SETS)
def test_report_sets_stay_at_the_level_measured(tmp_path, name, half, n, floor):
    out = tmp_path / "scores.json"
    cmd = [sys.executable, str(REPO / "scripts" / "evaluate.py"), str(REPO / "tests" / "data" / name), "--json", str(out)]
    proc = subprocess.run(cmd + (["--ids", half] if half else []), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    scores = json.loads(out.read_text())
    assert scores["as written"]["n"] == n
    assert scores["as written"]["macro_f1"] >= floor, proc.stdout


AGREEMENT = REPO / "tests" / "data" / "agreement"


# report set -> its relabellings, and the floor for the analyser against each of the three people
# (measured at f20e3c4: H 0.886 / 0.874 / 0.879, I 0.802 / 0.799 / 0.802; the people: 0.950-0.977)
RELABELLED = {"h": (("b1", "b2"), 0.84), "i": (("c1", "c2"), 0.76)}


@pytest.mark.parametrize("name", sorted(RELABELLED))
def test_the_analyser_agrees_with_independent_relabellers_of_the_report_set(tmp_path, name):
    # Two more annotators labelled the report set's texts blind (docs/annotation/relabel.md). Agreement
    # among the three people is the ceiling any analyser score on these labels can be read against; the
    # analyser must hold its level against each of them, not only against the writer (it never trained
    # on H or I).
    others, floor = RELABELLED[name]
    out = tmp_path / "agreement.json"
    files = [REPO / "tests" / "data" / f"responses-blind-{name}.jsonl",
             *(AGREEMENT / f"responses-blind-{name}-{o}.jsonl" for o in others)]
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "agreement.py"), *map(str, files),
                           "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    m = json.loads(out.read_text())
    for ref in (f.stem for f in files):
        assert m[ref]["analyser"]["macro_f1"] >= floor, proc.stdout


def test_label_files_over_other_responses_are_a_one_line_error(tmp_path):
    short = tmp_path / "short.jsonl"
    lines = (REPO / "tests" / "data" / "responses-blind-h.jsonl").read_text().splitlines()
    short.write_text("\n".join(lines[:-1]) + "\n")
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "agreement.py"),
                           str(REPO / "tests" / "data" / "responses-blind-h.jsonl"), str(short)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "does not label the same responses" in proc.stderr
