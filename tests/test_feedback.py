"""The feedback composer speaks the way the product teaches: kind, brief, specific."""

from __future__ import annotations

import itertools
import random
import re
import shutil
import tomllib
from dataclasses import replace

import pytest

from heard.analysis.feedback import Feedback, TakeSummary, compose, load_wording, wording_path
from heard.analysis.findings import CATALOGUE, CONCERN, STRENGTH, Finding
from heard.core.errors import HeardError
from heard.core.scenarios import get_scenario

# Words that blame or lecture the parent; none may come from heard's own wording.
BANNED = [
    "wrong", "bad", "fail", "failed", "failure", "should", "shouldn't", "mistake",
    "don't", "never", "poor", "terrible", "must", "stupid", "lazy", "careless",
]
# Plain words a parent might say, containing nothing from BANNED.
EVIDENCE = {
    STRENGTH: "you really want a cookie",
    CONCERN: "okay come here right now please",  # 6 words: the longest spoken quote
}
REWRITE = "You want a cookie."


@pytest.fixture(scope="module")
def cookie():
    return get_scenario("cookie")


def finding(fid: str, **extra) -> Finding:
    kind = CATALOGUE[fid][0]
    return Finding(fid, evidence=EVIDENCE[kind], extra=extra)


def own_words(text: str) -> str:
    """The text with the parent's quoted words taken out."""
    return re.sub(r'"[^"]*"', "", text)


def assert_speakable(text: str) -> None:
    assert text.strip(), "empty line"
    assert len(text.split()) <= 32, f"{len(text.split())} words: {text}"
    assert not re.search(r"[{}\[\]<>_#*/\\|=+@]", text), f"symbol or placeholder left: {text}"
    lowered = own_words(text).lower()
    for word in BANNED:
        assert not re.search(rf"\b{re.escape(word)}\b", lowered), f"'{word}' in: {text}"


def all_strings(wording):
    for fid, p in wording.findings.items():
        for s in p.spoken + p.detail + ((p.resolved,) if p.resolved else ()):
            yield fid, s
    for key, s in wording.general.items():
        yield key, s
    for key in ("wait", "words", "loudness", "pitch"):
        yield key, wording.compare[key]


# ------------------------------------------------------------- the wording


def test_every_finding_has_spoken_and_written_wording(cookie):
    data = tomllib.loads(wording_path().read_text(encoding="utf-8"))
    for fid in CATALOGUE:
        table = data["findings"][fid]
        assert table["spoken"] and table["detail"], fid
        fb = compose([finding(fid)], cookie, wait_s=2.0, words=8)
        assert isinstance(fb, Feedback)
        assert fb.details, fid
        assert "{" not in fb.spoken + "".join(fb.details), fid


def test_wording_never_blames_and_concerns_offer_something_to_try():
    wording = load_wording()
    for where, text in all_strings(wording):
        for word in BANNED:
            assert not re.search(rf"\b{re.escape(word)}\b", text.lower()), f"{where}: '{word}'"
    for fid, (kind, _) in CATALOGUE.items():
        for line in wording.findings[fid].spoken:
            # One thing to try for every concern; strengths are pure praise.
            assert ("try" in line.lower()) == (kind == CONCERN), f"{fid}: {line}"


def test_priority_puts_connection_breakers_above_pacing_and_tone():
    order = list(load_wording().concerns)
    for heavy in ("shames_or_labels", "threatens_or_bribes", "pushes_to_stop", "dismisses_feeling"):
        for light in ("rushed_in", "talks_too_much", "fast_rate", "raised_voice", "tense_pitch"):
            assert order.index(heavy) < order.index(light)


# -------------------------------------------------- the spoken line's shape


def test_every_pair_is_short_speakable_and_strengths_first(cookie):
    previous = TakeSummary(wait_s=0.4, words=45, finding_ids=list(CATALOGUE))
    checked = 0
    for a, b in itertools.product(CATALOGUE, repeat=2):
        for child, baseline, prev in itertools.product(("he", "she", "they"), (True, False), (None, previous)):
            sc = replace(cookie, child=child)
            fs = [finding(a, rewrite=REWRITE), finding(b, rewrite=REWRITE)]
            fb = compose(fs, sc, has_baseline=baseline, wait_s=3.4, words=6, previous=prev)
            assert_speakable(fb.spoken)
            sentences = re.split(r"(?<=[.?!])\s+", own_words(fb.spoken))
            kinds = {CATALOGUE[a][0], CATALOGUE[b][0]}
            if kinds == {STRENGTH, CONCERN}:
                assert "try" not in sentences[0].lower(), fb.spoken
                assert "try" in fb.spoken.lower(), fb.spoken
            for line in fb.details:
                assert "{" not in line and "_" not in line, line
            checked += 1
    assert checked == len(CATALOGUE) ** 2 * 12


def test_many_findings_at_once_still_make_at_most_two_points(cookie):
    rng = random.Random(7)
    ids = list(CATALOGUE)
    for _ in range(400):
        chosen = rng.sample(ids, rng.randint(3, 8))
        fs = [finding(f, rewrite=REWRITE) for f in chosen]
        fb = compose(fs, cookie, has_baseline=rng.random() < 0.5, wait_s=rng.uniform(0, 5),
                     words=rng.randint(1, 60), unclear=rng.random() < 0.2)
        assert_speakable(fb.spoken)
        # A point is a finding sentence; concerns are the ones with "try".
        assert own_words(fb.spoken).lower().count("next time") <= 1, fb.spoken


def test_details_list_strengths_first_with_the_parents_words(cookie):
    fs = [
        Finding("pushes_to_stop", evidence="calm down"),
        Finding("acknowledges_view", evidence="i said no to a cookie"),
    ]
    fb = compose(fs, cookie)
    assert len(fb.details) == 2
    assert '"I said no to a cookie"' in fb.details[0]
    assert '"calm down"' in fb.details[1]
    assert '"calm down"' in fb.spoken
    assert fb.spoken.index("cookie") < fb.spoken.index("calm down")


def test_long_words_are_not_quoted_aloud_but_are_written(cookie):
    long = "you know you can't sit there because it's dangerous and the car could roll"
    fb = compose([Finding("lectures", evidence=long)], cookie)
    assert "dangerous" not in fb.spoken
    assert "explanation" in fb.spoken
    assert "dangerous" in fb.details[0]


# ------------------------------------------------------ the specific cases


def test_but_negates_offers_the_parents_own_words_as_the_rewrite(cookie):
    fs = [
        Finding("acknowledges_feeling", evidence="i know you're sad"),
        Finding("but_negates", evidence="i know you're sad but we have to go",
                extra={"rewrite": "I know you're sad."}),
    ]
    fb = compose(fs, cookie)
    assert 'Next time, try stopping after "I know you\'re sad".' in fb.spoken
    assert fb.spoken.count("I know you're sad") == 1  # said once, not twice
    assert any('stopping after "I know you\'re sad"' in d for d in fb.details)


def test_silence_where_it_fits_is_praised_with_the_reason(cookie):
    sc = replace(cookie, silence_ok=True)
    fb = compose([Finding("stayed_silent")], sc, wait_s=None, words=0)
    spoken = fb.spoken.lower()
    assert "quiet" in spoken
    assert "room" in spoken and "there for her" in spoken
    assert "try" not in spoken


def test_no_concerns_says_so_plainly(cookie):
    fb = compose([Finding("reflects_words", evidence="you really want a cookie")], cookie)
    assert fb.spoken.startswith("You gave her own words back to her")
    assert fb.spoken.endswith(load_wording().general["no_concerns"])
    assert "try" not in fb.spoken.lower()


def test_unclear_words_ask_kindly_for_another_try_and_keep_timing_notes(cookie):
    fs = [Finding("pushes_to_stop", evidence="stop crying"), Finding("waited")]
    fb = compose(fs, cookie, unclear=True, wait_s=2.8, words=3)
    assert "catch" in fb.spoken and "once more" in fb.spoken
    assert "stop crying" not in fb.spoken + " ".join(fb.details)  # words not trusted
    assert fb.spoken.startswith("You waited 3 seconds")
    assert any("3 seconds" in d for d in fb.details)


def test_nothing_said_and_nothing_found_is_a_gentle_invitation(cookie):
    fb = compose([], cookie, wait_s=None, words=0)
    assert fb.spoken == load_wording().general["no_reply"]
    assert "ready" in fb.spoken
    assert_speakable(fb.spoken)


def test_tone_without_a_baseline_says_it_compares_with_typical_voices(cookie):
    fb = compose([Finding("raised_voice")], cookie, has_baseline=False)
    assert "typical voices" in fb.spoken
    assert any("no relaxed recording" in d for d in fb.details)
    fb = compose([Finding("raised_voice")], cookie, has_baseline=True)
    assert "your own relaxed voice" in fb.spoken


def test_unmeasured_tone_is_not_talked_about(cookie):
    fb = compose([Finding("raised_voice"), Finding("concise")], cookie, tone_measured=False,
                 wait_s=1.0, words=4)
    assert "loud" not in fb.spoken + " ".join(fb.details)
    assert any("couldn't be measured" in d for d in fb.details)


# ---------------------------------------------------------- "again" mode


def test_previous_take_comparison_names_the_longer_wait(cookie):
    prev = TakeSummary(wait_s=0.9, words=5, finding_ids=["acknowledges_view"])
    fb = compose([Finding("waited"), Finding("acknowledges_view", evidence="you wanted a cookie")],
                 cookie, wait_s=3.2, words=5, previous=prev)
    assert fb.spoken.startswith("You waited 3 seconds this time instead of 1 second.")
    assert fb.spoken.count("waited") == 1  # the comparison replaces the plain praise
    assert fb.details[0] == "You waited 3 seconds this time instead of 1 second."


def test_previous_take_that_went_better_is_not_held_against_the_parent(cookie):
    prev = TakeSummary(wait_s=3.0, words=5, finding_ids=["waited"])
    fb = compose([Finding("rushed_in")], cookie, wait_s=0.3, words=5, previous=prev)
    assert "this time" not in fb.spoken.lower()
    assert "instead of 3" not in " ".join(fb.details)


def test_a_measurement_is_never_quoted_as_the_parents_words(cookie):
    # Pacing and tone evidence describes the take; it is not something the parent said.
    found = [Finding("rushed_in", evidence="began 0.3 s after the cue"),
             Finding("raised_voice", evidence="+7.0 dB louder than your calm baseline")]
    fb = compose(found, cookie, wait_s=0.3, words=5)
    for text in [fb.spoken, *fb.details]:
        assert "after the cue" not in text and "dB" not in text, text


def test_a_dropped_concern_is_noticed(cookie):
    prev = TakeSummary(wait_s=1.0, words=12, finding_ids=["pushes_to_stop", "acknowledges_view"])
    fb = compose([Finding("acknowledges_view", evidence="you wanted a cookie")], cookie,
                 wait_s=1.0, words=4, previous=prev)
    assert fb.spoken.startswith(load_wording().findings["pushes_to_stop"].resolved)
    assert "You used 4 words this time instead of 12 words." in fb.details


def test_softer_voice_is_noticed_when_both_loudness_values_are_known(cookie):
    prev = TakeSummary(wait_s=1.0, words=5, finding_ids=[], loudness_db=7.0)
    fb = compose([Finding("calm_voice")], cookie, wait_s=1.0, words=5, previous=prev,
                 loudness_db=1.0)
    assert "softer this time" in fb.spoken


# ------------------------------------------------------------ placeholders


@pytest.mark.parametrize("child,them,their", [("he", "him", "his"), ("she", "her", "her"),
                                              ("they", "them", "their"), ("Sam", "Sam", "Sam's")])
def test_child_forms_fill_every_placeholder(cookie, child, them, their):
    sc = replace(cookie, child=child)
    fb = compose([Finding("reflects_words")], sc)
    assert f"You gave {their} own words back to {them}" in fb.spoken
    fb = compose([Finding("gives_in")], sc)
    assert f"{child[0].upper()}{child[1:]} can be upset" in fb.spoken  # sentence start capitalised
    for fid in CATALOGUE:
        for unclear, baseline in itertools.product((False, True), repeat=2):
            fb = compose([finding(fid, rewrite=REWRITE)], sc, unclear=unclear,
                         has_baseline=baseline, wait_s=2.5, words=40)
            text = fb.spoken + " ".join(fb.details)
            assert "{" not in text and "}" not in text, (fid, text)


# ------------------------------------------------ a facilitator edits the file


def test_an_edited_wording_file_changes_what_is_said(cookie, tmp_path, monkeypatch):
    text = wording_path().read_text(encoding="utf-8")
    shutil.copytree(wording_path().parent.parent, tmp_path, dirs_exist_ok=True)
    (tmp_path / "en" / "feedback.toml").write_text(
        text.replace('no_concerns = "That was it."', 'no_concerns = "Just right."'), encoding="utf-8")
    monkeypatch.setenv("HEARD_PROMPTS", str(tmp_path))
    fb = compose([Finding("concise")], cookie, words=4)
    assert fb.spoken.endswith("Just right.")


def test_a_broken_wording_file_is_one_actionable_line(tmp_path):
    text = wording_path().read_text(encoding="utf-8")
    bad = tmp_path / "feedback.toml"
    bad.write_text(text.replace("[findings.gives_in]", "[findings.gives_in_typo]"), encoding="utf-8")
    with pytest.raises(HeardError, match=r"missing wording for finding 'gives_in'"):
        load_wording(bad)
    bad.write_text(text.replace("{child_them} come to you.", "{kid} come to you."), encoding="utf-8")
    with pytest.raises(HeardError, match=r"unknown placeholder \{kid\}"):
        load_wording(bad)
    bad.write_text(text.replace('"You spoke at an unhurried pace."', '"At {wait}, unhurried."'),
                   encoding="utf-8")
    with pytest.raises(HeardError, match=r"last phrasing in \[findings.calm_rate\].spoken"):
        load_wording(bad)
    bad.write_text(text.replace('loudness = "Your voice', 'loudness = "{quote} Your voice'), encoding="utf-8")
    with pytest.raises(HeardError, match=r"\[compare\] loudness may only use"):
        load_wording(bad)
    bad.write_text(text.replace('  "You began almost as soon',
                                '  "You began with {quote}.",\n  "You began almost as soon'),
                   encoding="utf-8")
    with pytest.raises(HeardError, match=r"\[findings.rushed_in\] uses \{quote\}"):
        load_wording(bad)
    bad.write_text("not = [valid", encoding="utf-8")
    with pytest.raises(HeardError) as exc:
        load_wording(bad)
    assert "\n" not in str(exc.value)


def test_brevity_is_not_praised_for_room_it_then_takes_back():
    """'Short, leaves room for the feeling' would contradict 'instead of stop crying'."""
    sc = get_scenario("cookie")
    fb = compose([Finding("concise", evidence="4 words"),
                  Finding("pushes_to_stop", evidence="stop crying")], sc, words=4)
    assert "room for the feeling" not in fb.spoken
    assert fb.spoken.startswith("You kept it brief.")
    # Without a word-choice concern the fuller praise stays.
    fb = compose([Finding("concise", evidence="4 words"),
                  Finding("acknowledges_view", evidence="you fell")], sc, words=4)
    assert "room for the feeling" in fb.spoken
