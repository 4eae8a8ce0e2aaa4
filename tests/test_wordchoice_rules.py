"""The word-choice rules table: one ordered list of declared rules. Each rule
changes only the labels it declares (checked on every labelled answer), and each
has its own example: an answer whose findings change, as declared, when the rule
is left out of the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from data_helpers import labelled_answers
from heard.analysis import wordchoice as wc
from heard.analysis.findings import WORD_CHOICE_IDS
from heard.analysis.lexicon import load_lexicon
from heard.analysis.textnorm import Clause, Token
from heard.core.rules import load_rules
from heard.core.transcript import Transcript

REPO = Path(__file__).resolve().parent.parent
BY_NAME = {r.name: r for r in wc.RULES}


def ids(text: str, sid: str, table=wc.RULES) -> set[str]:
    rules = load_rules()
    return set(wc.analyse_word_choice(Transcript.from_text(text), rules.scenarios[sid], rules=rules,
                                      table=table).ids)


def without(name: str):
    return tuple(r for r in wc.RULES if r.name != name)


def test_the_table_is_ordered_named_and_declares_real_labels():
    scopes = [r.scope for r in wc.RULES]
    assert scopes == sorted(scopes), "clause rules come before take rules"
    assert len(BY_NAME) == len(wc.RULES)
    for r in wc.RULES:
        assert r.scope in ("clause-level", "take-level") and r.when in ("", "limit", "no_limit") and r.reads
        assert set(r.adds) | set(r.removes) <= set(WORD_CHOICE_IDS), r.name


def _labelled():
    yield from labelled_answers()
    for sc in load_rules().scenarios.values():
        yield from ({"scenario": sc.id, "text": ex.text} for ex in sc.examples)


def test_every_rule_changes_only_the_labels_it_declares():
    rules = load_rules()
    lex = load_lexicon(rules)
    used = set()
    for item in _labelled():
        sc = rules.scenarios[item["scenario"]]
        for text in (item["text"], item["text"].lower().replace(",", "").replace(".", "")):
            clauses = wc.clauses_of(Transcript.from_text(text).words, lex, 0.6)
            audit: list = []
            wc.apply_rules(clauses, wc._Context(sc, lex), audit=audit)
            for rule, before, after in audit:
                assert after - before <= set(rule.adds), (rule.name, text, after - before)
                assert before - after <= set(rule.removes), (rule.name, text, before - after)
                if after != before:
                    used.add(rule.name)
    # every rule that declares a change makes one somewhere in the data, but for the limit clean-up,
    # which guards against labels only limit rules add (kept so the guarantee does not rest on them)
    declared = {r.name for r in wc.RULES if r.adds or r.removes}
    assert declared - used <= {"no limit in dispute"}, declared - used


# rule -> (scenario, answer, labels only with the rule, labels only without it): real labelled answers
EXAMPLES = {
    "concern phrases": ("biting", "Ouch! Bad boy!", {"shames_or_labels"}, set()),
    "nested concerns": ("tripped-rug", "Silly rug! Naughty rug!", set(), {"shames_or_labels"}),
    "questions ask": ("tripped-rug", "Are you hurt?", set(), {"projects_feeling"}),
    "presence and room": ("floodgates", "I'm here.", {"offers_presence"}, set()),
    "limit held or given": ("biting", "No biting. Down you go.", {"holds_limit"}, set()),
    "own line given back": ("brothers", "They always ruin everything.", {"reflects_words"}, {"adds_commentary"}),
    "pity after a small startle": ("barking-dog", "You poor little thing, your heart must be pounding.",
                                   {"projects_feeling"}, set()),
    "concerns block acknowledging": ("brothers", "Hate is a strong word.", set(), {"acknowledges_feeling"}),
    "feeling, view, words": ("tripped-rug", "I saw that.", {"acknowledges_view"}, set()),
    "okay after a feeling": ("floodgates", "So many tears. That's alright.", {"allows_feeling"}, set()),
    "quoted words": ("go-away", "Go away, you said. Alright, I'm moving back.", set(), {"acknowledges_view"}),
    "reflection extended with and": ("cookie", "You wanted a cookie and I said no.", set(), {"reflects_words"}),
    "resigned grants": ("biting", "No biting me. Oh, go on, gentle nibbles are okay.", {"gives_in"}, set()),
    "look pointing away": ("barking-dog", "Look, a birdie up in the tree!", {"fixes_or_distracts"}, set()),
    "substitutes": ("biting", "Look, here's your chewy giraffe, bite this instead!", set(), {"gives_in"}),
    "many questions": ("biting", "What on earth did you bite me for?", {"interrogates"}, set()),
    "threats and bribes": ("bedtime-limit", "You can stay up if you're quiet.", {"threatens_or_bribes"}, set()),
    "long explanations": ("missing-mum", "I know you want your mummy, but you have to go and join in with "
                          "the other kids now.", {"lectures"}, set()),
    "presence on terms": ("go-away", "I'm not going anywhere, you need a hug.", set(), {"offers_presence"}),
    "overstated wishes": ("new-baby", "You hate your sister and you wish she'd never been born!",
                          {"projects_feeling"}, {"acknowledges_feeling", "acknowledges_view"}),
    "guesses that dismiss": ("new-baby", "You do like her, you're just tired.", set(), {"adds_commentary"}),
    "mocking tags": ("brothers", "Oh, they ruin everything, do they? Everything. Right.", {"adds_commentary"}, set()),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_rule_has_the_effect_it_declares(name):
    sid, text, only_with, only_without = EXAMPLES[name]
    rule = BY_NAME[name]
    with_rule, without_rule = ids(text, sid), ids(text, sid, without(name))
    assert with_rule - without_rule == only_with and without_rule - with_rule == only_without
    # the difference is the rule's own doing: labels it adds appear, labels it removes disappear
    # (or, for a rule that stops a clause early, labels later rules would have added)
    assert only_with <= set(rule.adds) or not rule.adds, name


# rules whose effect is on a clause's course rather than a finding: tested directly

def _said(text: str) -> wc._Said:
    lex = load_lexicon()
    c = wc.clauses_of(Transcript.from_text(text).words, lex, 0.6)[0]
    return wc._Said(c, c.words, wc._strip_fillers(c.words, lex))


def _ctx(sid: str) -> wc._Context:
    rules = load_rules()
    return wc._Context(rules.scenarios[sid], load_lexicon(rules))


def test_fillers_only_ends_a_clause_of_fillers_but_hears_come_on_now():
    said = _said("oh okay")
    assert wc._fillers_only(said, _ctx("cookie")) and not said.labels
    said = _said("come on now!")
    assert wc._fillers_only(said, _ctx("cookie")) and "pushes_to_stop" in said.labels
    assert not wc._fillers_only(_said("you want a cookie"), _ctx("cookie"))


def test_acknowledge_frame_is_set_aside_and_an_empty_rest_ends_the_clause():
    said = _said("i can see you are upset")
    assert not wc._frame(said, _ctx("cookie")) and said.core == ["you", "are", "upset"]
    assert wc._frame(_said("i can see"), _ctx("cookie"))


def test_no_limit_in_dispute_clears_limit_labels():
    c = Clause([Token("x", 0)], 0, labels={"holds_limit": (0, 1), "gives_in": (0, 1), "reflects_words": (0, 1)})
    wc._no_limit_in_dispute([c], _ctx("tripped-rug"))
    assert set(c.labels) == {"reflects_words"}
    assert not BY_NAME["no limit in dispute"].applies(load_rules().scenarios["cookie"])
    assert BY_NAME["limit held or given"].applies(load_rules().scenarios["cookie"])


def test_no_function_in_the_analysis_package_is_over_50_lines():
    import ast

    long = []
    for path in sorted((REPO / "src" / "heard" / "analysis").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 50:
                long.append(f"{path.name}:{node.name} ({node.end_lineno - node.lineno + 1} lines)")
    assert not long, long


# what a rule may read besides lexicon lists, word sets and labels: facts of the clause or scenario
CLAUSE_FACTS = {"question", "tag", "joiner", "labels", "next clause", "words before the phrase",
                "sentence length", "cue words", "facts", "limit", "shown feelings", "feelings",
                "intensity", "limit_needed"}


def test_every_rule_reads_things_that_exist():
    lex = load_lexicon()
    known = set(lex.phrases) | set(lex.lists) | set(lex.g._sets) | set(lex.g.role) | set(WORD_CHOICE_IDS) | CLAUSE_FACTS
    for r in wc.RULES:
        assert set(r.reads) <= known, (r.name, set(r.reads) - known)

