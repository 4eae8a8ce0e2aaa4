"""The scenario catalogue: the shipped files match the spec table, load cleanly,
carry consistent labelled examples, and broken files fail with one clear line."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from audio_helpers import espeak
from cli_helpers import assert_one_line_error, run_heard
from heard.analysis.findings import CATALOGUE, WORD_CHOICE_IDS
from heard.audio.wavio import RATE
from heard.core.errors import HeardError, UnknownScenario
from heard.core.scenarios import all_scenarios, get_scenario

REPO = Path(__file__).resolve().parent.parent
DEV_DATA = REPO / "tests" / "data" / "responses-dev.jsonl"

# The contract from shared/spec/scenarios.md:
# id -> (age, intensity, limit_needed, silence_ok, child, quoted cue words).
TABLE = {
    "car-keys": ("2½", "strong", True, True, "he", "No! I want to drive! Get away from me!"),
    "cookie": ("3", "strong", True, False, "she", "I want a cookie! I want it now!"),
    "tripped-rug": ("2", "mild", False, True, "he", ""),
    "barking-dog": ("1½", "mild", False, True, "she", ""),
    "shoulder-touch": ("3", "strong", False, False, "she", "He touched me!"),
    "floodgates": ("3", "strong", False, True, "she", ""),
    "go-away": ("3", "strong", False, True, "he", "Don't talk to me! Go away!"),
    "missing-mum": ("3½", "strong", False, False, "she", "I want my mummy!"),
    "new-baby": ("4", "strong", False, False, "he", "I don't like the baby! Send her back!"),
    "brothers": ("9", "strong", False, False, "he", "They always ruin everything! I hate them!"),
    "bedtime-limit": ("5", "strong", True, False, "she", ""),
    "biting": ("2½", "strong", True, False, "he", ""),
    "twins-dinner": ("2½", "strong", False, False, "they", ""),
    "elevator-baby": ("baby", "strong", False, True, "she", ""),
    "night-waking": ("3", "strong", False, True, "she", ""),
    "no-hugs": ("3½", "strong", False, True, "he", ""),
}
IDS = sorted(TABLE)


def _norm(text: str) -> str:
    return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())


@pytest.mark.parametrize("sid", IDS)
def test_scenario_matches_the_spec_table(sid):
    age, intensity, limit_needed, silence_ok, child, quoted = TABLE[sid]
    sc = get_scenario(sid)
    assert (sc.age, sc.intensity, sc.limit_needed, sc.silence_ok, sc.child) == (
        age, intensity, limit_needed, silence_ok, child)
    # reflects_words in the evaluation data refers to exactly these words.
    assert sc.cue_words == quoted


def test_catalogue_holds_exactly_the_spec_ids():
    assert sorted(all_scenarios()) == IDS


@pytest.mark.parametrize("sid", IDS)
def test_required_text_is_filled_in(sid):
    sc = get_scenario(sid)
    for name in ("title", "moment", "narration", "cue"):
        assert getattr(sc, name).strip(), f"{sid}: empty {name}"
    assert "\n" not in sc.moment, "moment is one line for listings"
    assert 2 <= sc.narration.count(".") <= 4, "narration is 2-3 short sentences"
    assert " you" in f" {sc.narration.lower()}", "narration speaks to the parent"
    assert 3 <= len(sc.facts) <= 8
    assert all(f == f.lower() and f.strip() for f in sc.facts)
    assert all(f == f.lower() for f in sc.shown_feelings)
    assert bool(sc.limit) == sc.limit_needed, "a limit exactly where one is needed"
    assert sc.listen_seconds >= 8
    if sc.silence_ok:
        assert sc.listen_seconds > 10, "room to stay silent where silence is good"


def test_feelings_shown_follow_the_moment():
    # projects_feeling depends on these: a mild startle is not fear, and a
    # child who has not reacted yet shows nothing to name.
    assert get_scenario("tripped-rug").shown_feelings == ()
    dog = get_scenario("barking-dog").shown_feelings
    assert "surprised" in dog and "scared" not in dog
    for sid in IDS:
        sc = get_scenario(sid)
        if sc.intensity == "strong":
            assert sc.shown_feelings, f"{sid}: a strong cue shows some feeling"


@pytest.mark.parametrize("sid", IDS)
def test_examples_are_labelled_with_word_choice_ids(sid):
    sc = get_scenario(sid)
    assert 5 <= len(sc.examples) <= 8
    kinds = set()
    for ex in sc.examples:
        assert ex.text.strip()
        assert len(set(ex.labels)) == len(ex.labels), f"{sid}: repeated label in {ex.text!r}"
        for label in ex.labels:
            assert label in CATALOGUE, f"{sid}: unknown label {label!r}"
            assert label in WORD_CHOICE_IDS, f"{sid}: {label!r} is not a word-choice id"
            kinds.add(CATALOGUE[label][0])
        # Labels that only make sense in some scenarios (findings.md).
        if "reflects_words" in ex.labels:
            assert sc.cue_words, f"{sid}: nothing quoted to reflect in {ex.text!r}"
        if {"holds_limit", "gives_in"} & set(ex.labels):
            assert sc.limit_needed, f"{sid}: no limit in play for {ex.text!r}"
        if "but_negates" in ex.labels:
            assert " but " in f" {ex.text.lower()} "
    assert kinds == {"strength", "concern"}, f"{sid}: examples cover both kinds"


def test_examples_are_fresh_sentences():
    # They double as held-out evaluation data: no repeats, none from the dev set.
    texts = [_norm(ex.text) for sc in all_scenarios().values() for ex in sc.examples]
    assert len(texts) == len(set(texts))
    dev = {_norm(json.loads(line)["text"]) for line in DEV_DATA.read_text().splitlines() if line.strip()}
    assert not dev & set(texts)


def test_narrations_are_short_enough_to_speak(espeak_available):
    for sid in IDS:
        sc = get_scenario(sid)
        seconds = len(espeak(sc.narration, speed=160)) / RATE
        assert seconds < 12, f"{sid}: narration takes {seconds:.1f} s to say"


def test_cues_are_speakable(espeak_available):
    # Wordless cues (crying, a bite) must still make sound in a TTS engine.
    for sid in IDS:
        sc = get_scenario(sid)
        assert len(espeak(sc.cue, pitch=80)) / RATE > 0.3, f"{sid}: cue makes no sound"


def test_heard_scenarios_lists_every_id():
    out = run_heard("scenarios")
    assert out.returncode == 0, out.stderr
    listed = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
    assert listed == set(IDS)
    js = run_heard("scenarios", "--json")
    assert js.returncode == 0
    assert {row["id"] for row in json.loads(js.stdout)} == set(IDS)


def test_unknown_id_names_the_known_ones():
    with pytest.raises(UnknownScenario) as info:
        get_scenario("spilt-milk")
    msg = str(info.value)
    assert "spilt-milk" in msg and "cookie" in msg and "\n" not in msg


def _copy_catalogue(dest: Path) -> Path:
    """A copy of the whole prompts folder (the loader checks all of it); its scenarios folder."""
    shutil.copytree(REPO / "prompts", dest, dirs_exist_ok=True)
    return dest / "en" / "scenarios"


def test_broken_toml_gives_one_line_naming_the_file(tmp_path, monkeypatch):
    folder = _copy_catalogue(tmp_path)
    (folder / "cookie.toml").write_text('id = "cookie"\ntitle = "unclosed\n', encoding="utf-8")
    monkeypatch.setenv("HEARD_PROMPTS", str(tmp_path))
    with pytest.raises(HeardError) as info:
        get_scenario("cookie")
    msg = str(info.value)
    assert "cookie.toml" in msg and "\n" not in msg


def test_missing_field_is_named(tmp_path, monkeypatch):
    folder = _copy_catalogue(tmp_path)
    text = (folder / "biting.toml").read_text(encoding="utf-8")
    (folder / "biting.toml").write_text(text.replace('cue = "', 'kew = "', 1), encoding="utf-8")
    monkeypatch.setenv("HEARD_PROMPTS", str(tmp_path))
    with pytest.raises(HeardError, match=r"biting\.toml: `kew` is not a known key; did you mean `cue`\?"):
        all_scenarios()


def test_cli_reports_a_broken_file_without_a_traceback(tmp_path):
    folder = _copy_catalogue(tmp_path)
    (folder / "go-away.toml").write_text("intensity = [\n", encoding="utf-8")
    env = {"HEARD_PROMPTS": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = run_heard("scenarios", env=env, replace_env=True)
    assert "go-away.toml" in assert_one_line_error(out)
    assert out.stdout == ""


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))
