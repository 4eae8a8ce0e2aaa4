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
    ("floodgates", "You are sad. Honestly, you are three, not a baby.", "shames_or_labels"),
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


def test_training_is_deterministic():
    train = load_train()
    table = train.augment_table()
    sets = train.load_sets(["dev"])
    a = train.fit(train.Rows(sets["dev"], table, noisy=1), load_model().cfg, epochs=20)
    b = train.fit(train.Rows(sets["dev"], table, noisy=1), load_model().cfg, epochs=20)
    assert np.array_equal(a.feature_ids, b.feature_ids)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.bias, b.bias)


@pytest.mark.slow
def test_retraining_reproduces_the_shipped_models_decisions(tmp_path):
    out = tmp_path / "model.npz"
    train = load_train()
    assert train.main(["--out", str(out)]) == 0
    shipped, fresh = load_model(), read_model(out)
    for it in items("dev") + items("probe"):
        sc = get_scenario(it["scenario"])
        a = shipped.scores(it["text"], sc, [])
        b = fresh.scores(it["text"], sc, [])
        assert max(abs(a[k] - b[k]) for k in a) < 2e-3, it["id"]


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
