"""Turn typed text or recogniser output into the same clauses.

Recognisers give lowercase words without punctuation, with "um"/"uh" and
repeated words, so clause boundaries come from conjunctions, new subjects and
question openers as well as from punctuation when there is any.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from heard.core.transcript import Word

if TYPE_CHECKING:  # lexicon imports this module to normalise its phrases
    from heard.analysis.lexicon import Lexicon

UNSURE = "<?>"  # stands in for a word the recogniser was unsure of
_APOS = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
# Repeats that are grammar, not stutter ("he touched you you didn't like it").
_KEEP_REPEATS = {UNSURE, "you", "that", "it", "her", "him", "them", "had", "is"}
_EDGE = re.compile(r"^[^\w']+|[^\w']+$")


# Words that look like a contraction without its apostrophe but are not one.
_NOT_CONTRACTED = {"id", "well", "were", "hell", "shell", "its", "is", "has", "was", "hes", "shes",
                   "here", "shed", "wed", "hed", "ill", "wont"}


# Verbs that often take "you" as object ("scare you", "hug you"): no restart after them.
_TAKES_YOU = {"scare", "hug", "love", "tell", "help", "make", "give", "take", "hate", "miss", "leave",
              "hold", "bother", "upset", "hurt", "surprise", "thank", "bless", "pick", "carry"}
_PRONOUNS = {"you", "it", "that", "there", "he", "she", "they", "we", "i"}


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
    g = lex.grammar
    table = g.get("contractions", {})
    if word in table:
        return table[word].split()
    for suffix, full in g.get("suffixes", {}).items():
        if word.endswith(suffix) and len(word) > len(suffix):
            stem = word[: -len(suffix)]
            if suffix == "'s" and stem not in lex.words.get("is_stems", []):
                return [stem]  # possessive: "mummy's" -> "mummy"
            return [stem, full]
    word = word.replace("'", "")
    stems = lex.words.get("contraction_stems", [])
    aux = set(lex.words.get("auxiliaries", [])) | {"need"}
    for suffix, full in g.get("suffixes", {}).items():
        bare = suffix.replace("'", "")
        base = word[: -len(bare)]
        aux_ok = (base in aux) == (bare == "nt")  # "didnt" but not "went" -> "we nt"
        if word.endswith(bare) and base in stems and aux_ok and word not in _NOT_CONTRACTED:
            return [word[: -len(bare)], full]
    if word in ("hes", "shes", "whats", "thats", "theres", "heres"):
        return [word[:-1], "is"]
    return [word] if word else []


def normalise_phrase(text: str, lex: Lexicon) -> list[str]:
    """Tokens of a lexicon phrase, normalised like speech (no boundaries)."""
    out = []
    for raw in text.lower().translate(_APOS).split():
        core = _EDGE.sub("", raw)
        for t in _expand(core, lex) if core else []:
            if t == "right" and out and out[-1] == "all":
                out[-1] = "alright"
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
            if core in disfl:
                if brk and out:
                    out[-1].brk = out[-1].brk or brk
                continue
            toks = _expand(core, lex) if core else []
            if w.conf < min_conf:
                toks = [UNSURE] * len(toks)
            for t in toks:
                prev = out[-1] if out and not out[-1].brk else None
                if prev and prev.text == t and t not in _KEEP_REPEATS:
                    continue  # "i i want", "shh shh"
                if prev and prev.text == "all" and t == "right":
                    prev.text = "alright"
                    continue
                out.append(_Piece(t, i))
            if brk and out:
                out[-1].brk = brk if brk != "," or not out[-1].brk else out[-1].brk
    return out


class Segmenter:
    """Splits a token stream into clauses (pure; rules from grammar.toml)."""

    def __init__(self, lex: Lexicon):
        w = lex.words
        self.lex = lex
        self.subjects = {"i", "we", "they", "he", "she"}
        self.aux = set(w.get("auxiliaries", []))
        self.wh = set(w.get("question_words", []))
        self.embed = set(w.get("embedding", []))
        self.contrast = set(w.get("contrast", []))
        self.joiners = set(w.get("joiners", []))
        self.past = set(w.get("past_irregular", []))
        self.modals = set(w.get("modals", []))

    def _verbish(self, tok: str) -> bool:
        return (
            tok in self.aux
            or tok in self.modals
            or tok in self.past
            or tok.endswith("ed")
            or tok in {"not", "really", "just", "want", "know", "seem", "look", "feel", "miss", "need",
                       "like", "love", "hate", "always", "never", "get", "got", "go", "went"}
        )

    def _starts_clause(self, toks: list[str], i: int) -> bool:
        """Does token i begin a new clause (no punctuation needed)?"""
        t, prev = toks[i], toks[i - 1]
        nxt = toks[i + 1] if i + 1 < len(toks) else ""
        if prev in self.embed or prev in self.aux:
            return False
        if t in self.wh:
            return not (t == "what" and nxt == "a")
        nxt2 = toks[i + 2] if i + 2 < len(toks) else ""
        if t in self.aux and nxt == "not" and nxt2 in _PRONOUNS:
            return True  # a tag: "... didn't it"
        if t in self.aux and nxt in _PRONOUNS:
            # "you are there is ..." is a statement going on, not "are there ...?"
            return prev not in self.wh and prev != "long" and prev not in self.subjects | {"you"}
        if t in self.subjects and prev not in self.subjects:
            return self._verbish(nxt) or nxt in {"am", "will", "would", "have"}
        if t == "you" and "how" in toks[max(0, i - 3) : i - 1]:
            return False  # "see how sad you are", "how much you wanted it"
        if t == "you" and (nxt in self.aux or nxt in self.modals or nxt in self.past or nxt.endswith("ed")):
            return not (self._verbish(prev) or prev in _TAKES_YOU)
        if t in {"it", "there", "that"} and nxt in {"is", "was", "will"}:
            return prev not in {"i", "you", "we", "they", "he", "she"}
        return False

    def split(self, pieces: list[_Piece]) -> list[Clause]:
        clauses: list[Clause] = []
        sent = 0
        cur: list[Token] = []
        joiner: str | None = None

        def close(question: bool = False) -> None:
            nonlocal cur, joiner
            if cur:
                clauses.append(Clause(cur, sent, joiner, question))
            elif joiner and clauses and joiner in self.contrast:
                pass
            cur, joiner = [], None

        toks = [p.text for p in pieces]
        for i, p in enumerate(pieces):
            t = p.text
            if t in {"however", "yet"} and i > 0 and not pieces[i - 1].brk:
                pass  # "feel however you feel", "are you done yet": not a contrast
            elif t in self.contrast:
                close()
                joiner = t
                continue
            # ", and that's okay": a joiner after a comma opens the clause as it would mid-sentence
            after_comma = not cur and i > 0 and pieces[i - 1].brk == ","
            if t in self.joiners and i + 1 < len(toks) and (cur or after_comma) and not p.brk:  # "stay up then, I'm ..." ends here
                nxt = toks[i + 1]
                nxt2 = toks[i + 2] if i + 2 < len(toks) else ""
                if nxt in self.subjects or nxt == "you" or nxt == "let" or (nxt in {"it", "there", "that"} and nxt2 in {"is", "was"}):
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
        tags = self.lex.phrases["tag_questions"]
        for k, c in enumerate(clauses):
            w = c.words
            m = tags.find(w)
            short_tag = len(w) in (2, 3) and w[0] in self.aux and w[-1] in _PRONOUNS and (len(w) == 2 or w[1] == "not")
            if short_tag or (m and m[0].start == 0 and m[0].end == len(w)):
                c.tag, c.question = True, False
                continue
            if w[0] in self.wh and not (w[0] == "what" and len(w) > 1 and w[1] == "a"):
                c.question = True
            elif w[0] in self.aux and len(w) > 1 and w[1] in {"you", "it", "that", "there", "he", "she", "they", "we", "i"}:
                c.question = True


def clauses_of(words: list[Word], lex: Lexicon, min_conf: float) -> list[Clause]:
    """The clauses of what was said, with low-confidence words masked."""
    return Segmenter(lex).split(_pieces(words, min_conf, lex))


def stem(word: str) -> str:
    """Crude stem so "wanted"/"wants"/"want" compare equal."""
    w = word
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        w = w[:-1]
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "ls":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e") and not w.endswith("ee"):
        w = w[:-1]  # "bite"/"biting", "drive"/"driving"
    return w
