"""The learned word-choice layer: what a parent notices when it is on."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from heard.analysis import combine as combine_mod
from heard.analysis.combine import combine, load_thresholds
from heard.analysis.findings import CATALOGUE, WORD_CHOICE_IDS
from heard.analysis.learned import MODEL_PATH, load_model, read_model
from heard.analysis.take import analyse_text
from heard.analysis.wordchoice import analyse_word_choice
from heard.core.errors import HeardError
from heard.core.scenarios import get_scenario
from heard.core.transcript import Transcript

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"


def load_train():
    loader = importlib.machinery.SourceFileLoader("heard_train", str(REPO / "scripts" / "train"))
    spec = importlib.util.spec_from_loader("heard_train", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def items(name: str) -> list[dict]:
    path = DATA / f"responses-{name}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_the_package_ships_a_small_model_for_every_word_choice_label():
    model = load_model()
    assert model is not None
    assert set(model.labels) == set(WORD_CHOICE_IDS)
    assert MODEL_PATH.stat().st_size < 5 * 1024 * 1024
    assert load_model() is model  # loaded once


def test_a_criticism_needs_more_confidence_than_a_strength():
    th = load_thresholds()
    assert 0 < th.strength < th.concern < 1


# A concern the rules miss in a plain phrasing; the model finds it and quotes the clause.
MODEL_ONLY = [
    ("floodgates", "You are sad. Honestly, even your baby brother cries less than you.", "shames_or_labels"),
]


@pytest.mark.parametrize("scenario,text,fid", MODEL_ONLY)
def test_a_concern_only_the_model_found_quotes_the_parents_clause(scenario, text, fid):
    sc = get_scenario(scenario)
    tr = Transcript.from_text(text)
    rules = analyse_word_choice(tr, sc)
    assert fid not in rules.ids
    merged = combine(rules, tr, sc)
    found = {f.id: f for f in merged.findings}
    assert fid in found
    quote = found[fid].evidence
    assert quote and quote in text and len(quote.split()) < len(text.split())
    fb = analyse_text(sc, text).feedback
    assert quote.lower().rstrip(".") in " ".join(fb.details).lower()


def test_a_label_only_the_model_found_never_quotes_a_filler_when_the_answer_says_more():
    """ "You said 'Okay'" about giving in, or "'buddy.'" about a "but", teaches nothing: over
    the newest labelled sets (800 answers, the real model), a model-only finding quotes a
    clause of fillers alone ("okay", "aw", "buddy") only when the answer has nothing else."""
    from heard.analysis.lexicon import load_lexicon
    from heard.analysis.textnorm import clauses_of
    from heard.analysis.wordchoice import filler_only
    from heard.core.rules import load_rules

    lex = load_lexicon(load_rules())
    quoted = 0
    for name in ("k", "l", "m", "n", "o"):
        for line in (DATA / f"responses-blind-{name}.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            sc, tr = get_scenario(item["scenario"]), Transcript.from_text(item["text"])
            clauses = clauses_of(tr.words, lex, 0.6)
            if all(filler_only(c.words, lex) for c in clauses):
                continue
            for f in combine(analyse_word_choice(tr, sc), tr, sc).findings:
                if f.extra.get("learned"):
                    quoted += 1
                    words = re.findall(r"[a-z']+", f.evidence.lower())
                    assert words and not filler_only(words, lex), (f.id, f.evidence, item["text"])
    assert quoted > 50  # the model does find labels of its own here


def test_without_a_model_the_rules_stand_alone(monkeypatch):
    sc = get_scenario("cookie")
    tr = Transcript.from_text("You're upset. Stop crying now.")
    rules = analyse_word_choice(tr, sc)
    monkeypatch.setattr(combine_mod, "load_model", lambda: None)
    assert combine(rules, tr, sc).ids == rules.ids


def own_words(text: str) -> str:
    return re.sub(r'"[^"]*"', "", text)


def test_feedback_stays_brief_with_strengths_first_on_every_labelled_response():
    checked = 0
    for it in items("dev") + items("probe"):
        sc = get_scenario(it["scenario"])
        for text in (it["text"], it["text"].lower().replace(",", "").replace(".", "")):
            res = analyse_text(sc, text)
            spoken = res.feedback.spoken
            assert len(spoken.split()) <= 30, spoken
            assert own_words(spoken).lower().count("next time") <= 1, spoken
            kinds = [f.kind for f in res.findings]
            assert kinds == sorted(kinds, key=lambda k: k != "strength")
            for f in res.findings:
                if f.area == "word_choice" and f.evidence:
                    said = " ".join(text.lower().split())
                    assert f.evidence.lower() in said, (f.id, f.evidence, text)
            checked += 1
    assert checked > 300


def test_broken_thresholds_are_one_actionable_line(tmp_path, monkeypatch):
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    (prompts / "learned.toml").write_text("[thresholds]\nstrength = 0.4\n")
    monkeypatch.setenv("HEARD_PROMPTS", str(prompts))
    with pytest.raises(HeardError) as err:
        load_thresholds()
    assert "learned.toml" in str(err.value) and "\n" not in str(err.value)


def test_training_is_deterministic_and_stamps_its_inputs(tmp_path, monkeypatch):
    """scripts/train on a small set, twice: the same weights, and beside them the stamp of
    exactly what it read (the stamp the test below checks for the shipped model)."""
    train = load_train()
    runs = []
    for k in range(2):
        out = tmp_path / f"{k}" / "model.npz"
        out.parent.mkdir()
        assert train.main(["--sets", "dev", "--epochs", "20", "--noisy", "1", "--out", str(out)]) == 0
        runs.append((read_model(out), train.stamp_path(out).read_text().strip()))
    (a, stamp_a), (b, stamp_b) = runs
    assert np.array_equal(a.feature_ids, b.feature_ids)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)
    dev = train.load_sets(["dev"])["dev"]
    table = train.augment_table()
    assert stamp_a == stamp_b == train.training_stamp(dev, table, a.cfg, noisy=1, epochs=20)
    # Any change to what the fit reads changes the stamp: a label, a setting, a scenario fact.
    relabelled = [dict(dev[0], labels=[*dev[0]["labels"], "lectures"]), *dev[1:]]
    assert train.training_stamp(relabelled, table, a.cfg, noisy=1, epochs=20) != stamp_a
    assert train.training_stamp(dev, table, a.cfg, noisy=1, epochs=21) != stamp_a
    prompts = tmp_path / "prompts"
    shutil.copytree(REPO / "prompts", prompts)
    cookie = prompts / "en" / "scenarios" / "cookie.toml"
    text = cookie.read_text()
    cookie.write_text(text.replace('cue_words = "I want a cookie! I want it now!"',
                                   'cue_words = "I want a biscuit! I want it now!"'))
    monkeypatch.setenv("HEARD_PROMPTS", str(prompts))
    assert train.training_stamp(dev, table, a.cfg, noisy=1, epochs=20) != stamp_a
    # A reworded narration is not something the model reads: no retraining asked for.
    cookie.write_text(text.replace("It's twenty minutes to dinner.", "Dinner is nearly ready."))
    assert train.training_stamp(dev, table, a.cfg, noisy=1, epochs=20) == stamp_a


def test_the_shipped_model_was_trained_on_the_data_in_the_repo():
    """The weights' stamp (written by scripts/train) matches the labelled sets, augment words,
    scenario facts and settings as they are now: change any of them without retraining and
    this fails (run scripts/train). Retraining reproduces the weights exactly (the test above
    shows training is deterministic), so the stamp stands in for a two-minute retrain."""
    train = load_train()
    sets = train.load_sets(train.SETS)
    items = [it for name in train.SETS for it in sets[name]]
    stored = train.stamp_path(MODEL_PATH)
    assert stored.is_file(), "the shipped model has no inputs stamp; run scripts/train"
    now = train.training_stamp(items, train.augment_table(), load_model().cfg)
    assert stored.read_text().strip() == now, (
        "tests/data, prompts/en/augment.toml, a scenario or the training settings changed "
        "since the shipped model was trained: run scripts/train and commit the new weights")


def test_every_label_is_a_known_word_choice_finding():
    assert all(CATALOGUE[lab][1] == "word_choice" for lab in load_model().labels)


@pytest.mark.parametrize("fid", WORD_CHOICE_IDS)
def test_every_label_the_model_can_add_has_wording_without_a_rewrite(fid):
    from heard.analysis.feedback import compose
    from heard.analysis.findings import Finding

    sc = get_scenario("cookie")
    f = Finding(fid, evidence="no more of that now", extra={"learned": True})
    fb = compose([f], sc, has_baseline=False, tone_measured=False, words=5)
    assert 0 < len(fb.spoken.split()) <= 30, fb.spoken
    assert "{" not in fb.spoken and all("{" not in d for d in fb.details)
    assert any("no more of that now" in d.lower() for d in fb.details), fb.details


def test_a_criticism_the_model_all_but_rules_out_is_not_given():
    """The rules' concern stands only when the model gives it at least the veto; strengths always stand."""
    th = load_thresholds()
    assert 0 < th.veto < th.concern
    probs = dict.fromkeys(WORD_CHOICE_IDS, 0.0)
    probs["lectures"] = th.veto / 2
    probs["acknowledges_feeling"] = th.veto / 2
    kept = combine_mod.decide(probs, {"lectures", "acknowledges_feeling"}, th.as_dict(), limit_needed=True)
    assert kept == {"acknowledges_feeling"}
    probs["lectures"] = th.veto
    assert "lectures" in combine_mod.decide(probs, {"lectures"}, th.as_dict(), limit_needed=True)


def test_leave_one_set_out_never_touches_the_report_set():
    loader = importlib.machinery.SourceFileLoader("heard_loso", str(REPO / "scripts" / "loso.py"))
    spec = importlib.util.spec_from_loader("heard_loso", loader)
    loso = importlib.util.module_from_spec(spec)
    loader.exec_module(loso)
    assert not set(loso.tr.REPORT_SETS) & set(loso.tr.SETS)
    assert loso.main(["--sets", "dev", "blind-h"]) == 2
    assert loso.main(["--sets", "dev", "blind-i"]) == 2


def test_first_contact_rules_cover_their_sets():
    """Each stored first-contact rules file names its commit and has every response of its set."""
    folder = DATA / "first-contact-rules"
    files = sorted(folder.glob("*.jsonl"))
    assert files
    for path in files:
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        assert re.fullmatch(r"[0-9a-f]{7,40}", lines[0]["commit"])
        ids = {row["id"] for row in lines[1:]}
        assert ids == {it["id"] for it in items(path.stem)}
        assert all(set(row[f]) <= set(WORD_CHOICE_IDS) for row in lines[1:] for f in ("written", "recogniser", "asr"))
