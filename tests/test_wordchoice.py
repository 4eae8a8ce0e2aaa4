"""Word-choice analyser: one family of findings per test, with negatives."""

from __future__ import annotations

import re

import pytest

from heard.scenarios import get_scenario
from heard.transcript import Transcript, Word
from heard.wordchoice import analyse_word_choice


def run(text: str, sid: str):
    return analyse_word_choice(Transcript.from_text(text), get_scenario(sid))


def ids(text: str, sid: str) -> set[str]:
    return {f.id for f in run(text, sid).findings}


def spoken(text: str) -> str:
    """What a recogniser emits: lowercase, no punctuation."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def test_but_keeps_the_acknowledgement_and_adds_but_negates_with_rewrite():
    res = run("I know you're sad, but we have to go.", "cookie")
    got = {f.id: f for f in res.findings}
    assert {"acknowledges_feeling", "but_negates"} <= set(got)
    assert got["but_negates"].extra["rewrite"] == "I know you're sad."


def test_and_is_not_but():
    got = ids("You're sad, and I'm right here.", "cookie")
    assert "but_negates" not in got
    assert {"acknowledges_feeling", "offers_presence"} <= got


def test_reflection_is_not_also_view_but_an_echoed_feeling_is_acknowledged():
    assert ids("You really want a cookie.", "cookie") == {"reflects_words"}
    assert ids("You don't like the baby.", "new-baby") == {"reflects_words", "acknowledges_feeling"}
    # the parent's own description with new facts is a view, not a reflection
    assert ids("Joey touched your shoulder.", "shoulder-touch") == {"acknowledges_view"}


def test_a_gentle_check_in_is_not_interrogating_but_pressing_questions_are():
    assert "interrogates" not in ids("Do you want a hug?", "no-hugs")
    assert "interrogates" in ids("Why are you crying?", "floodgates")
    assert "interrogates" in ids("what's wrong what happened did you have a bad dream", "night-waking")


def test_questions_are_found_without_a_question_mark():
    assert "interrogates" in ids("why did you do that", "biting")
    # a tag question only softens a statement
    assert ids("that surprised you didn't it", "barking-dog") == {"acknowledges_feeling"}


def test_scared_fits_strong_night_waking_but_projects_in_mild_barking_dog():
    assert ids("You're scared.", "night-waking") == {"acknowledges_feeling"}
    assert ids("You're scared.", "barking-dog") == {"projects_feeling"}
    assert ids("That surprised you.", "barking-dog") == {"acknowledges_feeling"}


def test_any_feeling_before_the_child_reacts_is_projecting():
    assert ids("Ouch, that really hurt!", "tripped-rug") == {"projects_feeling"}
    assert ids("You fell down.", "tripped-rug") == {"acknowledges_view"}


def test_the_adults_own_feeling_is_not_the_childs():
    got = ids("I won't let you bite. That hurt me.", "biting")
    assert got == {"holds_limit"}


def test_dismissing_and_pushing_to_stop():
    assert ids("You're fine, it's no big deal.", "tripped-rug") == {"dismisses_feeling"}
    assert ids("Calm down.", "floodgates") == {"pushes_to_stop"}
    assert ids("Don't be scared.", "barking-dog") == {"dismisses_feeling"}
    # the adult stopping their own talk is not pressure on the child
    assert "pushes_to_stop" not in ids("I'll stop talking. I'm right here.", "go-away")


def test_pushes_to_stop_after_an_acknowledgement_suggests_the_acknowledgement_alone():
    res = run("You're really angry. Stop crying now.", "car-keys")
    push = next(f for f in res.findings if f.id == "pushes_to_stop")
    assert push.extra["rewrite"] == "You're really angry."


def test_threat_conditioned_on_stopping_is_also_pushing():
    assert ids("If you don't stop crying, no park today.", "missing-mum") == {"threatens_or_bribes", "pushes_to_stop"}
    assert ids("I'm close by if you want me.", "no-hugs") == {"offers_presence"}


def test_limits_moral_rules_and_giving_in():
    assert ids("We don't bite.", "biting") == {"lectures"}
    assert ids("I'm not going to let you bite.", "biting") == {"holds_limit"}
    assert ids("No cookies before dinner. Oh alright, just one.", "cookie") == {"holds_limit", "gives_in"}
    # no limit in play: nothing to hold or give in on
    assert "gives_in" not in ids("You can have one more minute.", "missing-mum")
    assert ids("You can cry as long as you need.", "cookie") == {"allows_feeling"}


def test_fixing_shaming_and_contact():
    assert ids("Look at the bird!", "barking-dog") == {"fixes_or_distracts"}
    assert ids("Stop it, you're acting like a baby.", "car-keys") == {"pushes_to_stop", "shames_or_labels"}
    assert ids("Come here and give me a hug.", "no-hugs") == {"insists_on_contact"}
    assert ids("You want a cookie. I bet you'd eat ten.", "cookie") == {"reflects_words", "adds_commentary"}


def test_fillers_alone_get_nothing():
    assert ids("Mm.", "car-keys") == set()
    assert ids("Okay. I hear you, sweetie.", "floodgates") == set()


@pytest.mark.parametrize(
    "sid,text",
    [
        ("cookie", "I know you want a cookie, but you're being ridiculous, it's just a cookie."),
        ("shoulder-touch", "He touched you. You didn't like that."),
        ("car-keys", "You're really angry that I took you out of the car. That's okay."),
        ("night-waking", "I'm here. You woke up crying."),
        ("no-hugs", "Come here, let me hug you, you'll feel better."),
        ("floodgates", "Shh, shh, shh, it's alright, it's alright."),
        ("bedtime-limit", "You want to stay up late. It's bedtime, and I'm turning off the light."),
        ("cookie", "Um, you really, you really want a cookie."),
    ],
)
def test_recogniser_style_text_gives_the_same_labels_as_typed(sid, text):
    assert ids(spoken(text), sid) == ids(text.replace("Um, ", "").replace("you really, you", "you"), sid)


def _timed(spec: list[tuple[str, float]]) -> Transcript:
    words = [Word(w, start=0.5 * i, end=0.5 * i + 0.4, conf=c) for i, (w, c) in enumerate(spec)]
    return Transcript(" ".join(w for w, _ in spec), words)


def test_evidence_is_timed_and_leaves_out_uncertain_words():
    tr = _timed([("you", 1.0), ("seem", 1.0), ("really", 0.3), ("upset", 1.0),
                 ("i'm", 1.0), ("right", 1.0), ("here", 1.0)])
    res = analyse_word_choice(tr, get_scenario("elevator-baby"))
    got = {f.id: f for f in res.findings}
    assert got["acknowledges_feeling"].evidence == "you seem upset"
    assert (got["acknowledges_feeling"].start, got["acknowledges_feeling"].end) == (0.0, 1.9)
    assert got["offers_presence"].evidence == "i'm right here"
    assert all(f.area == "word_choice" for f in res.findings)
    assert len(res.ids) == len(set(res.ids))
    assert not res.unclear


def test_no_finding_rests_on_uncertain_words_alone():
    tr = _timed([("stop", 0.2), ("crying", 0.3), ("i'm", 1.0), ("here", 1.0)])
    res = analyse_word_choice(tr, get_scenario("floodgates"))
    assert res.ids == ["offers_presence"]
    assert res.uncertain_fraction == 0.5


def test_mostly_uncertain_take_is_unclear():
    tr = _timed([("calm", 0.2), ("down", 0.3), ("now", 0.1), ("okay", 0.9)])
    res = analyse_word_choice(tr, get_scenario("floodgates"))
    assert res.unclear
    assert res.findings == []
    # a stricter caller threshold makes more of the take uncertain
    tr2 = _timed([("calm", 0.7), ("down", 0.7)])
    assert analyse_word_choice(tr2, get_scenario("floodgates")).ids == ["pushes_to_stop"]
    assert analyse_word_choice(tr2, get_scenario("floodgates"), min_conf=0.8).unclear
