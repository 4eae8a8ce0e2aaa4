"""Turn typed text or recogniser output into the same clauses.

Recognisers give lowercase words without punctuation, with "um"/"uh" and
repeated words, so clause boundaries come from conjunctions, new subjects and
question openers as well as from punctuation when there is any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from heard.core.transcript import Word

if TYPE_CHECKING:  # lexicon imports this module to normalise its phrases
    from heard.analysis.lexicon import Lexicon

UNSURE = "<?>"  # stands in for a word the recogniser was unsure of
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_EDGE = re.compile(r"^[^\w']+|[^\w']+$")


class Words:
    """A language's word sets (``[words]`` of grammar.toml, as frozen sets by name),
    the single words the rules look for by role (``[roles]``), word merges and endings.

    The rules name the sets they read (``g.intensifiers``), so no word of any
    language is written in the analysers.
    """

    def __init__(self, grammar: Mapping[str, Any]):
        self._sets = {k: frozenset(v) for k, v in grammar.get("words", {}).items()}
        self.role: dict[str, str] = dict(grammar.get("roles", {}))
        self.merge: dict[str, str] = dict(grammar.get("merge", {}))
        self.morph: dict[str, Any] = dict(grammar.get("morphology", {}))
        self.stem_rules = tuple((r["ending"], r["min_length"], r.get("unless", "")) for r in self.morph.get("stem", ()))

    def __getattr__(self, name: str) -> frozenset[str]:
        try:
            sets: dict[str, frozenset[str]] = self.__dict__["_sets"]
            return sets[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, role: str) -> str:
        return self.role[role]

    def phrase_in(self, tokens: list[str], name: str) -> bool:
        """``tokens`` (joined by spaces) is one of the phrases of the set ``name``."""
        return " ".join(tokens) in self._sets[name]

    def has_phrase(self, tokens: list[str], name: str) -> bool:
        """Some phrase of the set ``name`` occurs in ``tokens`` as consecutive words."""
        for phrase in self._sets[name]:
            words = phrase.split()
            n = len(words)
            if any(tokens[k : k + n] == words for k in range(len(tokens) - n + 1)):
                return True
        return False

    def merged(self, prev: str, tok: str) -> str | None:
        """The one word two spoken words are written as ("all right" -> "alright"), if any."""
        return self.merge.get(f"{prev} {tok}")

    def is_past_form(self, tok: str) -> bool:
        """A regular past tense by its ending ("tripped")."""
        return len(tok) >= self.morph["past_min_length"] and tok.endswith(self.morph["past"])

    def has_past_ending(self, tok: str) -> bool:
        return tok.endswith(self.morph["past"])

    def is_progressive(self, tok: str) -> bool:
        return tok.endswith(self.morph["progressive"])

    def stem(self, word: str) -> str:
        """Crude stem so "wanted"/"wants"/"want" compare equal (endings from grammar.toml)."""
        w, m = word, self.morph
        for ending, min_length, unless in self.stem_rules:
            if len(w) >= min_length and w.endswith(ending) and not (unless and w.endswith(unless)):
                w = w[: -len(ending)]
                break
        short = m["stem_min_length"]
        if len(w) >= short and w[-1] == w[-2] and w[-1] not in m["keep_double"]:
            w = w[:-1]
        final, keep = m["drop_final"], m["keep_final"]
        if final and len(w) >= short and w.endswith(final) and not w.endswith(keep):
            w = w[: -len(final)]  # "bite"/"biting", "drive"/"driving"
        return w


@dataclass
class Token:
    text: str
    word: int  # index into the transcript's words (-1 for none)


@dataclass
class Clause:
    tokens: list[Token]
    sentence: int
    joiner: str | None = None  # conjunction that opened it ("but", "and", ...)
    question: bool = False
    tag: bool = False  # a question tag ("didn't it") that only softens
    labels: dict[str, tuple[int, int]] = field(default_factory=dict)  # id -> token span

    @property
    def words(self) -> list[str]:
        return [t.text for t in self.tokens]


def _expand(word: str, lex: Lexicon) -> list[str]:
    """Lowercase word -> canonical tokens (contractions written out)."""
    g, gram = lex.g, lex.grammar
    table: Mapping[str, str] = gram.get("contractions", {})
    if word in table:
        return table[word].split()
    for suffix, full in gram.get("suffixes", {}).items():
        if word.endswith(suffix) and len(word) > len(suffix):
            stem = word[: -len(suffix)]
            if suffix == g.morph["possessive"] and stem not in g.is_stems:
                return [stem]  # possessive: "mummy's" -> "mummy"
            return [stem, full]
    dropped = g.morph.get("dropped_g", "")
    if dropped and word.endswith(dropped) and len(word) > len(dropped) + 1:
        word = word[: -len(dropped)] + g.morph["progressive"]  # "hollerin'" -> "hollering"
    word = word.replace("'", "")
    aux = g.auxiliaries | g.negatable
    negation = g.morph["negation"].replace("'", "")
    for suffix, full in gram.get("suffixes", {}).items():
        bare = suffix.replace("'", "")
        base = word[: -len(bare)]
        aux_ok = (base in aux) == (bare == negation)  # "didnt" but not "went" -> "we nt"
        if word.endswith(bare) and base in g.contraction_stems and aux_ok and word not in g.not_contracted:
            return [word[: -len(bare)], full]
    return [word] if word else []


def normalise_phrase(text: str, lex: Lexicon) -> list[str]:
    """Tokens of a lexicon phrase, normalised like speech (no boundaries)."""
    out: list[str] = []
    for raw in text.lower().translate(_APOS).split():
        core = _EDGE.sub("", raw)
        for t in _expand(core, lex) if core else []:
            joined = lex.g.merged(out[-1], t) if out else None
            if joined:
                out[-1] = joined
            else:
                out.append(t)
    return out


@dataclass
class _Piece:
    text: str
    word: int
    brk: str = ""  # boundary after this token: "." "?" "," or ""


def _pieces(words: list[Word], min_conf: float, lex: Lexicon) -> list[_Piece]:
    disfl = set(lex.lists.get("disfluencies", []))
    out: list[_Piece] = []
    quoting = False  # inside 'single quotes': a final apostrophe closes them, it drops no g
    contractions = lex.grammar.get("contractions", {})
    for i, w in enumerate(words):
        raw = w.word.lower().translate(_APOS)
        # "cry-baby", "grumpy-pants": hyphenated words are matched as their parts
        for chunk in re.split(r"(?<=[.!?,;:])(?=\w)|\s+|--|\u2014|\u2013|(?<=\w)-(?=\w)", raw):
            if not chunk:
                continue
            tail = re.search(r"[^\w']+$", chunk)
            brk = ""
            if tail:
                t = tail.group()
                brk = "?" if "?" in t else "." if re.search(r"[.!]", t) else "," if re.search(r"[,;:]", t) else ""
            core = _EDGE.sub("", chunk)
            # "'em" and "'cause" open no quote; "'not again'" opens and closes one
            opens = core.startswith("'") and not quoting and core not in contractions
            quoting = quoting or opens
            if quoting and core.endswith("'") and core.count("'") > (1 if opens else 0):
                core, quoting = core.rstrip("'"), False
            if core in disfl:
                if brk and out:
                    out[-1].brk = out[-1].brk or brk
                continue
            toks = _expand(core, lex) if core else []
            if w.conf < min_conf:
                toks = [UNSURE] * len(toks)
            for t in toks:
                prev = out[-1] if out and not out[-1].brk else None
                if prev and prev.text == t and t != UNSURE and t not in lex.g.keep_repeats:
                    continue  # "i i want", "shh shh"
                joined = lex.g.merged(prev.text, t) if prev else None
                if prev and joined:
                    prev.text = joined
                    continue
                out.append(_Piece(t, i))
            if brk and out:
                out[-1].brk = brk if brk != "," or not out[-1].brk else out[-1].brk
    return out


class Segmenter:
    """Splits a token stream into clauses (pure; word sets from grammar.toml)."""

    def __init__(self, lex: Lexicon):
        self.lex = lex
        g = self.g = lex.g
        self.subjects = g.clause_subjects
        self.aux = g.auxiliaries
        self.wh = g.question_words
        self.embed = g.embedding
        self.contrast = g.contrast
        self.joiners = g.joiners
        self.past = g.past_irregular
        self.modals = g.modals
        self.pronouns = g.pronouns

    def _verbish(self, tok: str) -> bool:
        return (tok in self.aux or tok in self.modals or tok in self.past
                or self.g.has_past_ending(tok) or tok in self.g.verb_like)

    def _exclaims(self, t: str, nxt: str) -> bool:
        return f"{t} {nxt}" in self.g.exclamations  # "what a mess!" asks nothing

    def _starts_clause(self, toks: list[str], i: int) -> bool:
        """Does token i begin a new clause (no punctuation needed)?"""
        g, t, prev = self.g, toks[i], toks[i - 1]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if prev in self.embed or prev in self.aux:
            return False
        if t in self.wh:
            return not self._exclaims(t, nxt)
        nxt2 = toks[i + 2] if i + 2 < len(toks) else ""
        if t in self.aux and nxt == g["not"] and nxt2 in self.pronouns:
            return True  # a tag: "... didn't it"
        if t in self.aux and nxt in self.pronouns:
            # "you are there is ..." is a statement going on, not "are there ...?"
            return prev not in self.wh and prev not in g.no_question_after and prev not in self.subjects | {g["you"]}
        if t in self.subjects and prev not in self.subjects:
            return self._verbish(nxt) or nxt in g.subject_verbs
        if t == g["you"] and g["how"] in toks[max(0, i - 3) : i - 1]:
            return False  # "see how sad you are", "how much you wanted it"
        if t == g["you"] and (nxt in self.aux or nxt in self.modals or nxt in self.past or g.has_past_ending(nxt)):
            return not (self._verbish(prev) or prev in g.takes_object)
        if t in g.dummy_subjects and nxt in g.statement_verbs:
            return prev not in g.persons
        return False

    def _opens_joined(self, toks: list[str], i: int) -> bool:
        """After a joiner ("and", "so"), does a new clause begin ("and I said no", not "tripped and fell")?"""
        g = self.g
        nxt = toks[i + 1]
        nxt2 = toks[i + 2] if i + 2 < len(toks) else ""
        return (nxt in self.subjects or nxt == g["you"] or nxt == g["let"]
                or (nxt in g.dummy_subjects and nxt2 in g.copulas))

    def split(self, pieces: list[_Piece]) -> list[Clause]:
        clauses: list[Clause] = []
        sent = 0
        cur: list[Token] = []
        joiner: str | None = None

        def close(question: bool = False) -> None:
            nonlocal cur, joiner
            if cur:
                clauses.append(Clause(cur, sent, joiner, question))
            cur, joiner = [], None

        toks = [p.text for p in pieces]
        for i, p in enumerate(pieces):
            t = p.text
            if t in self.g.contrast_after_pause and i > 0 and not pieces[i - 1].brk:
                pass  # "feel however you feel", "are you done yet": not a contrast
            elif t in self.contrast:
                close()
                joiner = t
                continue
            # ", and that's okay": a joiner after a comma opens the clause as it would mid-sentence
            after_comma = not cur and i > 0 and pieces[i - 1].brk == ","
            # "stay up then, I'm ..." ends here
            if t in self.joiners and i + 1 < len(toks) and (cur or after_comma) and not p.brk:
                if self._opens_joined(toks, i):
                    close()
                    joiner = t
                    continue
            if cur and i > 0 and not pieces[i - 1].brk and self._starts_clause(toks, i):
                close()
            cur.append(Token(t, p.word))
            if p.brk in (".", "?"):
                close(question=p.brk == "?")
                sent += 1
            elif p.brk == ",":
                close()
        close()
        self._mark_questions(clauses)
        return clauses

    def _mark_questions(self, clauses: list[Clause]) -> None:
        tags, g = self.lex.phrases["tag_questions"], self.g
        for c in clauses:
            w = c.words
            m = tags.find(w)
            short_tag = (len(w) in (2, 3) and w[0] in self.aux and w[-1] in self.pronouns
                         and (len(w) == 2 or w[1] == g["not"]))
            if short_tag or (m and m[0].start == 0 and m[0].end == len(w)):
                c.tag, c.question = True, False
                continue
            if w[0] in self.wh and not (len(w) > 1 and self._exclaims(w[0], w[1])):
                c.question = True
            elif w[0] in self.aux and len(w) > 1 and w[1] in self.pronouns:
                c.question = True


def clauses_of(words: list[Word], lex: Lexicon, min_conf: float) -> list[Clause]:
    """The clauses of what was said, with low-confidence words masked."""
    return Segmenter(lex).split(_pieces(words, min_conf, lex))


def stem(word: str, lex: Lexicon) -> str:
    """Crude stem so "wanted"/"wants"/"want" compare equal."""
    return lex.g.stem(word)
