"""The word-choice lexicon: phrase lists from prompts/en/lexicon/*.toml, compiled.

Facilitators extend the phrase lists without touching code, so phrases are
written as plain words with a tiny notation (see prompts/en/lexicon/README.md)
and normalised with the same rules as the parent's words before matching.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from heard.analysis.textnorm import Words, normalise_phrase
from heard.core.errors import HeardError
from heard.core.rules import Rules, WordChoiceSettings, load_rules, thaw


@dataclass(frozen=True)
class Match:
    """Where a phrase matched, in token positions [start, end) of a clause."""

    start: int
    end: int


class Phrases:
    """A list of phrases compiled to one regex over space-joined tokens."""

    def __init__(self, patterns: list[str]):
        self.patterns = patterns
        self._rx = re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def find(self, tokens: list[str]) -> list[Match]:
        """All non-overlapping matches, as token spans."""
        if self._rx is None or not tokens:
            return []
        text = " " + " ".join(tokens) + " "
        # character offset of each token start -> token index
        starts, pos = {}, 1
        for i, t in enumerate(tokens):
            starts[pos] = i
            pos += len(t) + 1
        out = []
        for m in self._rx.finditer(text):
            a, b = m.start(), m.end() - 1
            if a not in starts:
                continue
            i = starts[a]
            n = len(text[a:b].split())
            out.append(Match(i, i + max(n, 1)))
        return out

    def __bool__(self) -> bool:
        return self._rx is not None


@dataclass
class Lexicon:
    grammar: dict[str, Any]  # grammar.toml, thawed
    words: dict[str, list[str]]
    feelings: dict[str, tuple[str, int]]  # phrase -> (family, level)
    family_of_shown: dict[str, str]
    levels: dict[str, int]
    phrases: dict[str, Phrases] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)  # normalised plain lists
    settings: WordChoiceSettings | None = None
    g: Words = field(default_factory=lambda: Words({}))  # the word sets the rules read, by name

    def has(self, name: str, tokens: list[str]) -> bool:
        return bool(self.phrases[name].find(tokens))

    def find(self, name: str, tokens: list[str]) -> list[Match]:
        return self.phrases[name].find(tokens)


def _compile(phrase: str, norm: Callable[[str], list[str]], sets: dict[str, list[str]]) -> str:
    """Turn one readable phrase into a regex over normalised tokens."""
    parts = []
    toks = phrase.split()
    start = bool(toks) and toks[0] == "^"  # at the start of the clause (after fillers)
    end = bool(toks) and toks[-1] == "$"  # at the end of the clause
    toks = toks[int(start) : len(toks) - int(end)]
    for pos in toks:
        if pos.count("[") != pos.count("]"):
            raise HeardError(f"lexicon phrase '{phrase}': [...] marks one optional word; write [a] [b] for two")
        optional = pos.startswith("[") and pos.endswith("]")
        if optional:
            pos = pos[1:-1]
        if pos == "*":
            rx = r"\S+ "
        elif pos == "**":
            rx = r"(?:\S+ ){0,3}"
        elif pos.startswith("{") and pos.endswith("}"):
            alts = sets.get(pos[1:-1], [])
            rx = "(?:" + "|".join(re.escape(a) + " " for a in sorted(alts, key=len, reverse=True)) + ")"
        else:
            alts = [" ".join(norm(a)) for a in pos.split("|")]
            rx = "(?:" + "|".join(re.escape(a) + " " for a in alts if a) + ")"
        parts.append(f"(?:{rx})?" if optional else rx)
    return ("(?<=^ )" if start else "(?<= )") + "".join(parts) + ("$" if end else "")


_COMPILED: weakref.WeakKeyDictionary[Rules, Lexicon] = weakref.WeakKeyDictionary()


def compile_lexicon(rules: Rules) -> Lexicon:
    """The phrase lists of the rules' language, compiled once per rules object."""
    lex = _COMPILED.get(rules)
    if lex is None:
        lex = _COMPILED[rules] = _compile_all(rules)
    return lex


def _compile_all(rules: Rules) -> Lexicon:
    language = rules.language
    g = thaw(language.grammar)
    words = {k: list(v) for k, v in g.get("words", {}).items()}
    emo = thaw(language.emotions)
    feelings = {k: (v[0], int(v[1])) for k, v in emo.get("feelings", {}).items()}
    lex = Lexicon(
        grammar=g,
        words=words,
        feelings=feelings,
        family_of_shown=dict(emo.get("family_of_shown", {})),
        levels=dict(emo.get("levels", {"mild": 1, "strong": 3})),
        settings=rules.wordchoice,
        g=Words(g),
    )

    def norm(text: str) -> list[str]:
        return normalise_phrase(text, lex)

    sets = {k: [" ".join(norm(x)) for x in v] for k, v in words.items()}
    sets["feeling"] = [" ".join(norm(f)) for f in feelings]
    for table in (language.concerns, language.strengths):
        for key, val in table.items():
            lex.lists[key] = [" ".join(norm(v)) for v in val]
            lex.phrases[key] = Phrases([_compile(v, norm, sets) for v in val])
    for key in ("fillers", "disfluencies"):
        lex.lists[key] = [" ".join(norm(v)) if key == "fillers" else v for v in g.get(key, [])]
    lex.phrases["tag_questions"] = Phrases(
        [_compile(v, norm, sets) for v in words.get("tag_questions", [])]
    )
    return lex


def load_lexicon(rules: Rules | None = None) -> Lexicon:
    """The compiled lexicon of ``rules`` (default: the current prompts folder)."""
    return compile_lexicon(rules if rules is not None else load_rules())
