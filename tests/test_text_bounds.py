"""Bounded text analysis (issue 11): a take is capped at 2,000 words with one line and
exit 2, and the analysis does one pass where it used to rescan (no timing here: see
scripts/bench_text.py for time against length)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_helpers import assert_one_line_error, run_heard
from heard.analysis import wordchoice
from heard.analysis.findings import CATALOGUE
from heard.analysis.lexicon import load_lexicon
from heard.analysis.take import MAX_TAKE_WORDS, TakeTooLong, analyse_audio, analyse_text
from heard.analysis.textnorm import Clause, Token
from heard.analysis.wordchoice import analyse_word_choice
from heard.core.scenarios import get_scenario
from heard.core.transcript import Transcript, Word


def test_the_issue_11_text_is_refused_in_one_line():
    out = run_heard("analyse", "--scenario", "cookie", "--text", "I know but " * 11_000)
    line = assert_one_line_error(out)
    assert "33000 words" in line and str(MAX_TAKE_WORDS) in line
    assert out.stdout == ""


def test_a_take_at_the_cap_is_analysed_and_one_word_more_is_not():
    sc = get_scenario("cookie")
    at_cap = " ".join(["You want a cookie."] * (MAX_TAKE_WORDS // 4))
    assert len(at_cap.split()) == MAX_TAKE_WORDS
    assert "reflects_words" in [f.id for f in analyse_text(sc, at_cap).findings]
    with pytest.raises(TakeTooLong, match="2001 words"):
        analyse_text(sc, at_cap + " now")


def test_a_recognised_take_over_the_cap_is_refused():
    # a recogniser result of 2,001 words (built directly: no real answer is that long)
    words = [Word("no", start=i * 0.2, end=i * 0.2 + 0.1, conf=0.9) for i in range(MAX_TAKE_WORDS + 1)]
    with pytest.raises(TakeTooLong):
        analyse_audio(get_scenario("cookie"), np.zeros(16000, dtype=np.int16),
                      Transcript("no " * len(words), words))


# -- the linear "but" pass gives what the old rescanning one gave, on random clause runs

def _but_by_rescanning(clauses):
    """The pass as it was before it was made linear (quadratic), kept as the reference."""
    keep = {"offers_presence", "allows_feeling", *wordchoice.ACK}
    out = {}
    for k, c in enumerate(clauses):
        if c.joiner not in ("but", "though", "although", "however", "yet"):
            continue
        before = []
        for p in reversed(clauses[:k]):
            if any(a in p.labels for a in wordchoice.ACK):
                before.insert(0, p)
            elif before or p.sentence < c.sentence - 1:
                break
        if not before:
            continue
        after = [q for q in clauses[k:] if q.sentence == c.sentence]
        labs = set().union(*(q.labels for q in after))
        if not labs & keep or labs - keep:
            out[k] = (before, after)
    return out


LABELS = ["reflects_words", "acknowledges_feeling", "allows_feeling", "pushes_to_stop", "lectures"]
clause_runs = st.lists(st.tuples(st.booleans(), st.sampled_from([None, "but", "and", "yet"]),
                                 st.sets(st.sampled_from(LABELS), max_size=2)), max_size=30)


@settings(max_examples=300, deadline=None)
@given(run=clause_runs)
def test_the_linear_but_pass_equals_the_rescanning_one(run):
    clauses, sentence = [], 0
    for new_sentence, joiner, labels in run:
        sentence += new_sentence
        clauses.append(Clause([Token("x", 0)], sentence, joiner, labels={lab: (0, 1) for lab in labels}))
    assert wordchoice._but(clauses, load_lexicon()) == _but_by_rescanning(clauses)


# -- any text of the language's own words gives catalogue findings, never an exception

VOCAB = ("you i we he she it not no but and so because if when why what sad cross scared want "
         "cookie now stop crying calm down okay fine here have one just a the said saw "
         "hug me are is was can will don't you're it's , . ? ! um oh alright look").split()


@settings(max_examples=200, deadline=None)
@given(words=st.lists(st.sampled_from(VOCAB), max_size=120), sid=st.sampled_from(["cookie", "go-away", "tripped-rug"]))
def test_any_text_gives_catalogue_findings(words, sid):
    text = " ".join(words).replace(" ,", ",").replace(" .", ".").replace(" ?", "?")
    result = analyse_word_choice(Transcript.from_text(text), get_scenario(sid))
    assert all(f.id in CATALOGUE for f in result.findings)
