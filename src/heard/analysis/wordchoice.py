"""Word-choice findings: what the parent's words do, clause by clause.

Every clause gets its own labels from phrase knowledge in prompts/en/lexicon/
and a few general rules (who a feeling is attributed to, whether it fits what
the child showed, whether the child's own words come back, "but" versus
"and", questions with or without a question mark). Then take-level rules
combine them as shared/spec/findings.md describes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from heard.analysis.findings import Finding
from heard.analysis.lexicon import Lexicon, Match, load_lexicon
from heard.analysis.textnorm import UNSURE, Clause, clauses_of, normalise_phrase
from heard.core.rules import Rules
from heard.core.scenarios import Scenario
from heard.core.transcript import Transcript, Word

ACK = ("reflects_words", "acknowledges_view", "acknowledges_feeling")
# Concerns that make a clause's own acknowledgement not count ("he barely touched you").
BLOCKING = ("pushes_to_stop", "dismisses_feeling", "lectures", "shames_or_labels", "adds_commentary",
            "insists_on_contact")
PHRASE_CONCERNS = (
    "pushes_to_stop", "dismisses_feeling", "fixes_or_distracts", "lectures",
    "shames_or_labels", "insists_on_contact", "adds_commentary",
)
# A condition that names the child's feeling or offers the adult ("if you're scared, | you won't be alone")
# sets no price on anything.
KIND = (*ACK, "offers_presence", "allows_feeling")
MAX_RESIGNED_WORDS = 12  # a resigned opener ("oh, | alright, | fine") is a few words
# The words every rule reads are the language's (prompts/<lang>/lexicon/grammar.toml,
# [words], [roles], [swap], [morphology]), reached as ``lex.g.<set>``; none are written here.


@dataclass
class WordChoiceResult:
    findings: list[Finding] = field(default_factory=list)
    uncertain_fraction: float = 0.0
    unclear: bool = False

    @property
    def ids(self) -> list[str]:
        return [f.id for f in self.findings]


@dataclass
class _Cue:
    content: set[str]
    verb: str
    has_you: bool


class _Context:
    """What the scenario says, prepared once for matching."""

    def __init__(self, sc: Scenario, lex: Lexicon):
        self.sc, self.lex = sc, lex
        g = self.g = lex.g
        self.function = g.function
        self.light = g.light
        self.past = g.past_irregular
        self.modals = g.modals
        self.child, self.adult = g.child_pronouns, g.adult_pronouns
        self.people = self.child | self.adult
        self.cues = self._cues(sc.cue_words)
        self.quoted_cues = self._cues(sc.cue_words, swap=False)  # "'Get away from me', you're saying"
        self.cue_stems = set().union(*(c.content for c in self.cues)) if self.cues else set()
        self.facts = {g.stem(t) for f in sc.facts for t in normalise_phrase(f, lex)} - self.function
        self.limit = {g.stem(t) for t in normalise_phrase(sc.limit, lex)} - self.function - g.limit_ignore
        self.max_level = lex.levels.get(sc.intensity, 3)
        # family -> strongest level the child showed in it ("worried" does not license "terrified")
        self.families: dict[str, int] = {}
        for f in sc.shown_feelings:
            key = " ".join(normalise_phrase(f, lex))
            fam, lvl = lex.feelings.get(key, (key, self.max_level))
            fam = lex.family_of_shown.get(key) or fam
            self.families[fam] = max(self.families.get(fam, 0), lvl)
        self.feelings = sorted(
            ((normalise_phrase(k, lex), v) for k, v in lex.feelings.items()), key=lambda kv: -len(kv[0])
        )

    def _cues(self, text: str, swap: bool = True) -> list[_Cue]:
        out = []
        for part in text.replace("!", ".").replace("?", ".").split("."):
            swaps = self.lex.grammar.get("swap", {})
            toks = [swaps.get(t, t) if swap else t for t in normalise_phrase(part, self.lex)]
            content = [self.g.stem(t) for t in toks if t not in self.function]
            verbs = [self.g.stem(t) for t in toks if t not in self.function | self.g.adverbs]
            if content and verbs:
                out.append(_Cue(set(content), verbs[0], bool(self.child & set(toks))))
        return out

    # --- single-clause judgements -------------------------------------------------

    def is_past(self, tok: str) -> bool:
        return tok in self.past or (self.g.is_past_form(tok) and not self.feeling_at([tok], 0))

    def feeling_at(self, toks: list[str], i: int) -> tuple[list[str], tuple[str, int]] | None:
        for words, val in self.feelings:
            if toks[i : i + len(words)] == words:
                return words, val
        return None

    def fits(self, family: str, level: int) -> bool:
        if not self.sc.shown_feelings or level > self.max_level:
            return False
        return family == "general" or level <= self.families.get(family, 0)


def _strip_fillers(words: list[str], lex: Lexicon) -> list[str]:
    fillers = set(lex.lists.get("fillers", []))
    i = 0
    while i < len(words):
        two = " ".join(words[i : i + 2])
        if two in fillers and i + 2 <= len(words):
            i += 2
        elif words[i] in fillers:
            i += 1
        else:
            break
    rest = words[i:]
    return [] if " ".join(rest) in fillers else rest


def filler_only(words: list[str], lex: Lexicon) -> bool:
    """A clause of fillers alone ("aw", "oh sweetheart", "mate"): nothing to quote."""
    return not _strip_fillers(words, lex)


class _Before:
    """What precedes each position of a clause, computed in one pass (no rescans per position)."""

    def __init__(self, core: list[str], ctx: _Context):
        g, people = ctx.g, ctx.people
        n = len(core)
        self.pron: list[str | None] = [None] * (n + 1)  # last pronoun before i
        self.lead: list[str | None] = [None] * (n + 1)  # last word before i that is not an intensifier
        self.back: list[tuple[str, ...]] = [()] * (n + 1)  # last two words before i, fillers of degree left out
        self.cond = [False] * (n + 1)  # a condition on the child before i ("when you're ...")
        self.after: list[str | None] = [None] * (n + 1)  # first pronoun at or after i
        for k, t in enumerate(core):
            self.pron[k + 1] = t if t in people else self.pron[k]
            self.lead[k + 1] = t if t not in g.intensifiers else self.lead[k]
            self.back[k + 1] = (self.back[k] + (t,))[-2:] if t not in g.degree_words else self.back[k]
            flag = t in g.conditions and k + 1 < n and core[k + 1] in ctx.child
            self.cond[k + 1] = self.cond[k] or flag
        for k in range(n - 1, -1, -1):
            self.after[k] = core[k] if core[k] in people else self.after[k + 1]


def _skip_feeling(core: list[str], i: int, words: list[str], ctx: _Context, pre: _Before) -> bool:
    """A feeling word that is not attributed here: denied, imagined, adverbial, conditional or descriptive."""
    g = ctx.g
    if i > 0 and core[i - 1] == g["not"] and words[0] != g["not"]:
        return True  # "you're not scared" is a denial (dismisses_feeling)
    nxt = core[i + len(words) : i + len(words) + 1]
    back = pre.back[i]
    hypothetical = len(back) >= 2 and back[-1] in g.become_verbs and back[-2] in g.modal_or_to
    lead = pre.lead[i]
    verb_before = lead is not None and (g.is_progressive(lead) or g.has_past_ending(lead) or ctx.is_past(lead))
    adverb = verb_before and words[0] in g.adverbial_feelings  # "crying so hard", "worked so hard"
    conditional = pre.cond[i]  # "look at me when you're upset"
    # "a scary dream" describes the dream ("a bit of a surprise" still names one)
    describes = lead in g.articles and bool(nxt) and nxt[0] not in ctx.function | g.subordinators
    return hypothetical or adverb or conditional or describes  # "it's okay to be cross" allows


def _owner(core: list[str], i: int, end: int, pre: _Before, ctx: _Context) -> str:
    """Whose feeling it is: the pronoun right after it, else the nearest before, else after."""
    nxt = core[end : end + 1]
    if nxt and nxt[0] in ctx.people:
        return "child" if nxt[0] in ctx.child else "adult"  # "that hurt me", "it upset you"
    if pre.pron[i] is not None:
        return "child" if pre.pron[i] in ctx.child else "adult"
    if pre.after[end] is not None:
        return "child" if pre.after[end] in ctx.child else "adult"
    return "child"  # "that really hurt", "it's hard": said about the child's moment


def _feeling(core: list[str], ctx: _Context) -> tuple[str, int, int, int] | None:
    """The feeling this clause attributes to the child: (family, level, start, end)."""
    pre = _Before(core, ctx)
    i = 0
    while i < len(core):
        hit = ctx.feeling_at(core, i)
        if not hit:
            i += 1
            continue
        words, (family, level) = hit
        end = i + len(words)
        if not _skip_feeling(core, i, words, ctx, pre) and _owner(core, i, end, pre, ctx) == "child":
            return family, level, i, end
        i = end
    return None


def _reflects(core: list[str], ctx: _Context, quoted: bool = False, flipped: bool = False) -> bool:
    """The child's words given back; `flipped`: given back with the polarity turned (a denial)."""
    if not ctx.cues:
        return False
    g, no = ctx.g, ctx.g["not"]
    stems = {g.stem(t) for t in core if t not in ctx.function}
    if flipped and not (ctx.child & set(core) or ctx.modals & set(core)) and no in stems:
        stems = stems - {no}
        return any(cue.verb in stems and no not in cue.content and len(cue.content & stems) / len(cue.content) >= 0.66
                   and len(stems - ctx.cue_stems - {g.stem(t) for t in ctx.light}) < 2 for cue in ctx.cues)
    if flipped:
        return False
    for cue in ctx.quoted_cues if quoted else ctx.cues:
        if cue.verb not in stems or (no in stems) != (no in cue.content):
            continue
        if cue.has_you and not ctx.child & set(core):
            continue
        cover = len(cue.content & stems) / len(cue.content)
        if cover >= 0.66 or (cover >= 0.5 and g.pro_forms & set(core)):
            extra = {g.stem(t) for t in core if t not in ctx.light and t not in ctx.function} - ctx.cue_stems
            if len(extra) < 2:
                return True
    return False


def _view(core: list[str], ctx: _Context, lex: Lexicon) -> bool:
    """Says plainly what happened or what the child wants, from the child's side."""
    if not core:
        return False
    g = ctx.g
    wit = lex.find("witness", core)
    if wit and wit[0].start == 0 and wit[0].end == len(core):
        return True
    if g.phrase_in(core, "refusals"):
        return True
    if lex.find("noticing", core):
        return True  # "so many tears", "you're awake": what the child is doing, noticed plainly
    wanting = lex.find("wanting", core)
    lead = core[max(0, wanting[0].start - 3) : wanting[0].start] if wanting else []
    if g["you"] in lead and not g.offer_ifs & set(lead):
        return True  # "you want a cookie" ("come if you want to" offers, it doesn't describe)
    cannot = g.has_phrase(core, "child_cannot")
    if (any(t in ctx.modals for t in core) and not cannot) or g["to"] in core[:1]:
        return False
    if cannot:
        return True  # "you can't have a cookie": the child's side of the limit
    for j in range(len(core) - 2):
        if not g.phrase_in(core[j : j + 2], "you_are"):
            continue
        k = j + 2
        while k < len(core) - 1 and core[k] in g.adverbs | g.still:
            k += 1
        doing = g.is_progressive(core[k]) and core[k] not in g.not_doing
        if doing and core[k + 1 : k + 2] != [g["me"]]:
            return True  # "you're (still) crying": what the child is doing ("you're giving me ..." is a complaint)
    has_child = bool(ctx.child & set(core))
    has_fact = any(g.stem(x) in ctx.facts for x in core)
    for j, t in enumerate(core):
        if j == 0 or core[0] in g.why_words:
            continue
        if ctx.is_past(t) and (has_child or has_fact):
            return True
        if t in g.past_copulas and has_fact:
            return True  # "that was a loud bark", "last night was the party"
        if j == 1 and core[0] in g.third_persons and g.has_past_ending(t) and ctx.is_past(t):
            return True  # "she waved goodbye": what happened, told plainly
    return False


def _view_around_feeling(core: list[str], start: int, pos: int, ctx: _Context, lex: Lexicon) -> bool:
    """The account that comes with a named feeling: "upset *that I took you out*", "you *woke up* scared"."""
    g = ctx.g
    sub = [k for k in range(pos, len(core)) if core[k] in g.reasons]
    if sub:
        rest = core[sub[0] + 1 :]
        if core[sub[0]] in g.reasons_with_ing:
            return bool(rest) and g.is_progressive(rest[0]) and rest[0] not in g.not_doing and len(rest) > 1
        return bool(rest) and _view(rest, ctx, lex)
    before, after = core[:start], core[pos:]
    if len(after) >= 2 and _view(after, ctx, lex):
        return True  # "you're sad Mummy left"
    return any(ctx.is_past(t) and t not in g.linking for t in before[1:]) and _view(before, ctx, lex)


def _hands_over(core: list[str], ctx: _Context, lex: Lexicon) -> bool:
    """ "Here, have the cookie", "fine, stay up then": an imperative that hands over what is in dispute."""
    g, then = ctx.g, ctx.g["then"]
    m = lex.find("resignation", core)
    rest = core[m[-1].end :] if m else list(core)
    if then in rest[1:]:
        rest = rest[: rest.index(then, 1) + 1]  # recognised speech runs on: "hold the keys then just don't ..."
    if g.negatives & set(rest):
        return False
    while rest and rest[0] in g.hand_over_openers:
        rest = rest[1:]
    about = any(g.stem(t) in ctx.facts | ctx.limit for t in rest)
    if rest and rest[0] in lex.lists.get("grant_imperatives", []) and (about or rest[1:2] == [g["one"]]):
        return True
    return len(rest) >= 2 and rest[-1] == then and about


def _limit_overlap(words: list[str], ctx: _Context) -> bool:
    if not ctx.limit:
        return False
    stems = {ctx.g.stem(t) for t in words}
    neg = bool(ctx.g.negatives & set(words))
    return neg and len(ctx.limit & stems) / len(ctx.limit) >= 0.6


def _inside(inner: list[Match], outer: list[Match]) -> bool:
    """Every match in `inner` lies within some match in `outer`."""
    return bool(outer) and all(any(o.start <= m.start and m.end <= o.end for o in outer) for m in inner)


# ------------------------------------------------------------ clause rules
# Each labels one clause from its own words (and the scenario); it returns True
# when nothing more is to be said about the clause, so later clause rules skip it.


@dataclass
class _Said:
    """One clause while the clause rules label it."""

    clause: Clause
    words: list[str]
    core: list[str]  # without opening fillers (and, once framed, without "I can see ...")

    @property
    def labels(self) -> dict[str, tuple[int, int]]:
        return self.clause.labels

    @property
    def span(self) -> tuple[int, int]:
        return (0, len(self.words))


def _fillers_only(s: _Said, ctx: _Context) -> bool:
    """A clause of fillers says nothing, except that "come on now!" presses all the same."""
    if not s.core and ctx.lex.find("pushes_to_stop", s.words):
        s.labels["pushes_to_stop"] = s.span
    return not s.core or all(t == UNSURE for t in s.core)


def _concern_exception(name: str, m: Match, words: list[str], ctx: _Context) -> bool:
    """A concern phrase that, in its context, is not that concern."""
    g, i_, you = ctx.g, ctx.g["i"], ctx.g["you"]
    before = words[max(0, m.start - 4) : m.start]
    last = before[-1] if before else None
    counting = words[m.start] in g.counting  # "I'm counting to three" presses the child ...
    if name == "pushes_to_stop":
        if counting and ctx.sc.limit_needed:
            return True  # ... to stop crying; where a limit is in dispute it counts down to compliance (a threat only)
        if i_ in before and not counting and you not in words[m.start - len(before) + before.index(i_) : m.end]:
            return True  # "I'll stop talking", "I'll be quiet" are about the adult ("I need you to stop" is not)
        if words[m.start] == g["enough"] and last in g.have_forms and i_ not in before:
            return True  # "you've had enough of them" is the child's view
        return words[m.start] in g.go_on_verbs and last in ctx.modals  # "you can keep crying" permits
    if name == "insists_on_contact":
        if last == g["to"] and any(ctx.is_past(t) for t in before[-3:-1]):
            return True  # "you wanted to give me a kiss" tells what happened
        return last in g.not_summons  # "that's why you come here" says where the child goes, it doesn't summon
    if name == "fixes_or_distracts":
        return words[m.end - 1] == g["instead"] and any(ctx.is_past(t) for t in words)  # "you bit instead"
    return False


def _phrase_concerns(s: _Said, ctx: _Context) -> bool:
    """Concern phrases, on the clause as said and without its opening fillers ("^ look $" matches "oh look")."""
    lex, off = ctx.lex, len(s.words) - len(s.core)
    for name in PHRASE_CONCERNS:
        for m in {*lex.find(name, s.words), *(Match(x.start + off, x.end + off) for x in lex.find(name, s.core))}:
            if not _concern_exception(name, m, s.words, ctx):
                s.labels[name] = s.span
    return False


def _nested_concerns(s: _Said, ctx: _Context) -> bool:
    """A concern phrase inside a longer one of another kind is part of that one."""
    lex, words, labels = ctx.lex, s.words, s.labels
    if "dismisses_feeling" in labels and _inside(lex.find("dismisses_feeling", words),
                                                 lex.find("insists_on_contact", words)):
        labels.pop("dismisses_feeling")  # "just one little cuddle": the size of the hug, not of the feeling
    if "shames_or_labels" in labels and _inside(lex.find("shames_or_labels", words),
                                                lex.find("adds_commentary", words)):
        labels.pop("shames_or_labels")  # "that naughty rug" blames the object, not the child
    if "adds_commentary" in labels and _inside(lex.find("adds_commentary", words),
                                               lex.find("fixes_or_distracts", words)):
        labels.pop("adds_commentary")  # "it always helps" promises a fix; it is not a dig at anyone
    return False


def _question(s: _Said, ctx: _Context) -> bool:
    """A question presses, asks gently, or invites; it is not an account or a dig."""
    if not s.clause.question:
        return False
    lex, g, words, core, labels, span = ctx.lex, ctx.g, s.words, s.core, s.labels, s.span
    if lex.find("interrogates", words) and not lex.find("fixes_or_distracts", words):
        labels["interrogates"] = span
    request = core[1:2] == [g["you"]] and core[0] in g.request_modals
    if not request or lex.find("gentle_offers", words):
        labels.pop("insists_on_contact", None)  # "can I give you a hug?" asks; "can you just face me?" demands
    labels.pop("adds_commentary", None)
    if core[0] in g.auxiliaries:
        feel = None if labels else _feeling(core, ctx)  # "was that a bit of a surprise?" asks gently
        if feel and ctx.fits(feel[0], feel[1]):
            labels["acknowledges_feeling"] = span  # asking "are you hurt?" does not tell the child how it feels
        if lex.find("gentle_offers", words) and lex.find("allows_feeling", words):
            labels["allows_feeling"] = span  # "do you want to tell me what happened?"
    if not labels and lex.find("open_invitations", core):
        labels["allows_feeling"] = span  # one open "what happened?" invites more (several press: _questions)
    return True


def _presence_and_room(s: _Said, ctx: _Context) -> bool:
    lex = ctx.lex
    if lex.find("offers_presence", s.words):
        s.labels["offers_presence"] = s.span
    if lex.find("allows_feeling", s.words) and not {"lectures", "shames_or_labels"} & set(s.labels):
        s.labels["allows_feeling"] = s.span  # "don't you dare tell me to go away" invites nothing
    return False


def _grants(s: _Said, ctx: _Context) -> bool:
    """Hands over, permits or gives up what is in dispute (and is not a delay or a substitute)."""
    lex, g, core, words = ctx.lex, ctx.g, s.core, s.words
    grant = False
    for m in lex.find("permission_openers", core):
        about_feeling = lex.find("grant_feeling_verbs", core[m.end :])
        grant = grant or not (about_feeling and about_feeling[0].start == 0)
    # a permission counts only when it is about the thing in dispute
    about = any(g.stem(t) in ctx.facts | ctx.limit for t in core) or bool(lex.find("grant_durations", core))
    grant = grant and not g.denials & set(core) and about
    delayed = bool(lex.find("delay_markers", core)) and not lex.find("grudging", core)
    handed = _hands_over(core, ctx, lex) and "fixes_or_distracts" not in s.labels  # "have my phone instead" substitutes
    fixes = lex.find("fixes_or_distracts", words)
    # "here's your giraffe, bite this instead"
    substitute = bool(fixes) and not _inside(fixes, lex.find("gives_in", words))
    gives = lex.find("gives_in", words) or lex.find("grudging", core) or grant or handed
    return bool(gives) and not delayed and not substitute


def _limit(s: _Said, ctx: _Context) -> bool:
    """Where a limit is in dispute: the clause gives in, or holds the limit."""
    lex, words, labels = ctx.lex, s.words, s.labels
    if _grants(s, ctx):
        labels["gives_in"] = s.span
        if _inside(lex.find("fixes_or_distracts", words), lex.find("gives_in", words)):
            labels.pop("fixes_or_distracts", None)  # "here's your cookie" hands over the disputed thing
        labels.pop("dismisses_feeling", None)  # "just a little one" is about the amount given
    if (lex.find("holds_limit", words) or _limit_overlap(words, ctx)) and "gives_in" not in labels:
        if not lex.find("lectures", words) and not lex.find("shames_or_labels", words):
            labels["holds_limit"] = s.span
    return False


def _frame(s: _Said, ctx: _Context) -> bool:
    """ "I can see (that) ...": the frame is set aside; what follows is judged."""
    frame = ctx.lex.find("acknowledge_frames", s.core)
    if frame and frame[0].start == 0:
        s.core = s.core[frame[0].end :]
        return not s.core
    return False


def _own_line(s: _Said, ctx: _Context) -> bool:
    if "adds_commentary" in s.labels and _reflects(s.core, ctx):
        s.labels.pop("adds_commentary")  # "they always ruin everything" is the child's own line, given back
    return False


def _pity(s: _Said, ctx: _Context) -> bool:
    if ctx.sc.intensity == "mild" and ctx.lex.find("pity", s.core):
        s.labels["projects_feeling"] = s.span  # "poor little thing" after a small startle tells the child it was big
    return False


def _blocked(s: _Said, ctx: _Context) -> bool:
    """A clause that presses, dismisses, lectures, shames or digs acknowledges nothing of its own."""
    return any(n in s.labels for n in BLOCKING)


def _feeling_view_words(s: _Said, ctx: _Context) -> bool:
    """The feeling named (fitting or projected), the child's words given back, or their view told."""
    core, labels, span = s.core, s.labels, s.span
    feel = _feeling(core, ctx)
    if feel:
        family, level, start, pos = feel
        labels["acknowledges_feeling" if ctx.fits(family, level) else "projects_feeling"] = span
        view = _view_around_feeling(core, start, pos, ctx, ctx.lex)
    else:
        view = _view(core, ctx, ctx.lex)
    if _reflects(core, ctx):
        labels["reflects_words"] = span
    elif _reflects(core, ctx, flipped=True):
        labels["dismisses_feeling"] = span  # "they don't ruin everything": the child's own claim, denied
        return True
    elif view and not {"holds_limit", "offers_presence", "allows_feeling"} & set(labels):
        labels["acknowledges_view"] = span
    return True


# ------------------------------------------------------------ take rules
# Each reads the labelled clauses around one another and adds or removes labels.


def _okay_after_ack(clauses: list[Clause], ctx: _Context) -> None:
    """ "That's okay" after naming a feeling allows it; "it's okay" alone soothes it away."""
    lex = ctx.lex
    seen_ack = False
    for c in clauses:
        core = _strip_fillers(c.words, lex)
        m = lex.find("okay_after_feeling", core)
        if core and m and m[0].start == 0 and m[0].end == len(core) and not c.labels:
            if seen_ack:
                c.labels["allows_feeling"] = (0, len(c.tokens))
            elif core[0] == lex.g["it"]:
                c.labels["dismisses_feeling"] = (0, len(c.tokens))
        if any(a in c.labels for a in (*ACK, "projects_feeling")):
            seen_ack = True  # even an overstated feeling, once named, is what "that's alright" makes room for


def _quoted(clauses: list[Clause], ctx: _Context) -> None:
    """The child's words quoted as they were, next to "you're saying" / "you said", are a reflection."""
    lex = ctx.lex
    for k, c in enumerate(clauses):
        if not lex.find("quote_frames", _strip_fillers(c.words, lex)):
            continue
        for q in clauses[max(0, k - 1) : k + 2]:
            if q is c:
                continue
            if not q.labels and _reflects(_strip_fillers(q.words, lex), ctx, quoted=True):
                q.labels["reflects_words"] = (0, len(q.tokens))
            if "reflects_words" in q.labels:
                c.labels.pop("acknowledges_view", None)  # "go away, you said": the frame is not an account


def _and_view(clauses: list[Clause], ctx: _Context) -> None:
    """A reflection the parent extends with "and <what happened>" is their own account."""
    lex = ctx.lex
    and_ = lex.g["and"]
    for a, b in zip(clauses, clauses[1:]):
        if b.joiner == and_ and a.sentence == b.sentence and "reflects_words" in a.labels:
            if "acknowledges_view" in b.labels:
                a.labels["acknowledges_view"] = a.labels.pop("reflects_words")


def _ack_runs(clauses: list[Clause]) -> tuple[list[int], list[int]]:
    """For each clause: the nearest acknowledging clause at or before it (-1 for none),
    and where the unbroken run of acknowledging clauses ending there starts."""
    nearest: list[int] = []
    run_start: list[int] = []
    for i, c in enumerate(clauses):
        ack = any(a in c.labels for a in ACK)
        nearest.append(i if ack else (nearest[-1] if i else -1))
        run_start.append((run_start[-1] if i and nearest[i - 1] == i - 1 else i) if ack else -1)
    return nearest, run_start


def _sentence_tails(clauses: list[Clause]) -> tuple[list[int], list[set[str]]]:
    """For each clause: the end of its sentence, and the labels from it to that end."""
    ends = [0] * len(clauses)
    tails: list[set[str]] = [set() for _ in clauses]
    for i in range(len(clauses) - 1, -1, -1):
        same = i + 1 < len(clauses) and clauses[i + 1].sentence == clauses[i].sentence
        ends[i] = ends[i + 1] if same else i + 1
        tails[i] = set(clauses[i].labels) | (tails[i + 1] if same else set())
    return ends, tails


def _but(clauses: list[Clause], lex: Lexicon) -> dict[int, tuple[list[Clause], list[Clause]]]:
    """Acknowledgements cancelled by "but", by the index of the clause that opens the
    cancelling part: (ack clauses, cancelling clauses). One pass (sentences only grow)."""
    keep = {"offers_presence", "allows_feeling", *ACK}
    contrast = lex.g.contrast
    nearest, run_start = _ack_runs(clauses)
    ends, tails = _sentence_tails(clauses)
    out = {}
    for k, c in enumerate(clauses):
        if c.joiner not in contrast or k == 0:
            continue
        j = nearest[k - 1]
        # looking back, clauses that acknowledge nothing are passed over only within the sentence before
        if j < 0 or (j + 1 < k and clauses[j + 1].sentence < c.sentence - 1):
            continue
        labs = tails[k]
        if not labs & keep or labs - keep:
            out[k] = (clauses[run_start[j] : j + 1], clauses[k : ends[k]])
    return out


def _questions(clauses: list[Clause], ctx: _Context) -> None:
    lex = ctx.lex
    asks = [
        c for c in clauses
        if c.question and not c.tag and _strip_fillers(c.words, lex)  # "what happened, mate?" asks once
        and not lex.find("gentle_offers", c.words)
        and "fixes_or_distracts" not in c.labels  # "who's that in the mirror?" redirects, it doesn't press
    ]
    if len(asks) >= 2:
        for c in asks:
            c.labels["interrogates"] = (0, len(c.tokens))
            c.labels.pop("acknowledges_feeling", None)  # one guess among many questions is not a gentle ask
            c.labels.pop("allows_feeling", None)


def _next_content(clauses: list[Clause], k: int, lex: Lexicon) -> Clause | None:
    """The clause after clause k, past any address between them ("keep that up, | son, | boy, | and ...")."""
    for q in clauses[k + 1 :]:
        if q.sentence != clauses[k].sentence or not filler_only(q.words, lex):
            return q
    return None


def _joining_word(c: Clause, nxt: Clause | None, lex: Lexicon) -> str | None:
    """The word that joins clause c to the next one in its sentence ("keep crying | and ..."): the
    next clause's joiner, or after an address its first word ("keep on, | boy, | and there's ...")."""
    if nxt is None or nxt.sentence != c.sentence:
        return None
    if nxt.joiner:
        return nxt.joiner
    return nxt.words[0] if nxt.words and nxt.words[0] in lex.g.joiners else None


def _threats(clauses: list[Clause], ctx: _Context) -> None:
    lex = ctx.lex
    for k, c in enumerate(clauses):
        if lex.find("threat_phrases", c.words):
            c.labels["threatens_or_bribes"] = (0, len(c.tokens))
            continue
        nxt = _next_content(clauses, k, lex)
        # "keep crying | and you won't get pudding": the joining word completes the condition
        join = _joining_word(c, nxt, lex)
        joined = c.words + [join] if join else c.words
        if lex.find("grudging", joined):
            continue  # "have one if you must" hands it over; nothing is held over the child
        # "knock it off | or there's no park"
        either = c.joiner == lex.g["or"] and k > 0 and not clauses[k - 1].question
        if lex.find("offer_conditions", joined) and not either:
            continue  # "if you want, you can sit with me" offers; nothing is demanded
        if not (lex.find("threat_conditions", joined) or either):
            continue
        window = [q for q in [*clauses[max(0, k - 1) : k + 1], *([nxt] if nxt else [])]
                  if q.sentence == c.sentence or q is c]
        hits = [q for q in window if lex.find("consequences", q.words)]
        if (nxt is not None and nxt.sentence == c.sentence and not set(c.labels).intersection(KIND)
                and not any(ctx.feeling_at(c.words, i) for i in range(len(c.words)))
                and lex.find("future_consequences", nxt.words)):
            hits.append(nxt)  # "keep crying and | you'll be sleeping with the light off": what comes next is the cost
        if either and lex.find("or_consequences", c.words):
            hits.append(c)  # "stop it | or you'll go to bed early": whatever follows "or" is the consequence
        if hits:
            for q in {id(x): x for x in [c, *hits]}.values():
                q.labels["threatens_or_bribes"] = (0, len(q.tokens))
                q.labels.pop("holds_limit", None)  # a reward that is the disputed thing still gives in
                q.labels.pop("lectures", None)  # "no party next time" names the consequence; it does not moralise


def _resigned_grants(clauses: list[Clause], ctx: _Context) -> None:
    """ "Ugh, fine. | Fifteen minutes." A resigned opener turns the plain grant after it into giving in."""
    lex = ctx.lex
    resigned = False
    said: list[str] = []
    for c in clauses:
        core = _strip_fillers(c.words, lex)
        if not core and not resigned:
            if len(said) > MAX_RESIGNED_WORDS:
                continue  # a run of fillers this long is no resigned opener (and rescanning it grows with its square)
            said += c.words  # "oh, | alright," said as separate fillers still resign
            m = lex.find("resignation", said)
            resigned = bool(m) and m[0].start == 0 and m[-1].end == len(said)
            continue
        said = []
        m = lex.find("resignation", core)
        if m and m[0].start == 0 and m[-1].end == len(core):
            resigned = True
            continue
        if m and m[0].start == 0:
            resigned, core = True, core[m[-1].end :]  # run together when spoken: "ugh fine twenty minutes"
        if not core:
            continue
        imperative = core[0] not in lex.g.subject_pronouns
        plain = not c.labels or (imperative and set(c.labels) == {"acknowledges_view"})  # "sit in the seat for a bit"
        if resigned and not c.question and plain and not lex.g.negatives & set(core):
            c.labels.pop("acknowledges_view", None)
            c.labels["gives_in"] = (0, len(c.tokens))
        resigned = False


def _pointing(clauses: list[Clause], ctx: _Context) -> None:
    """ "Look, | there's a birdie!" A bare "look" that points at something new redirects the child."""
    lex = ctx.lex
    g = lex.g
    for a, b in zip(clauses, clauses[1:]):
        if _strip_fillers(a.words, lex) == [g["look"]] and b.sentence - a.sentence in (0, 1):
            core = _strip_fillers(b.words, lex)
            if g.phrase_in(b.words[:2], "pointing_openers") or (core[:1] and core[0] in g.pointing_determiners):
                b.labels["fixes_or_distracts"] = (0, len(b.tokens))


def _substitutes(clauses: list[Clause], ctx: _Context) -> None:
    """ "Here's your giraffe, | bite this instead": what is handed over is a substitute, not the thing in dispute."""
    lex = ctx.lex
    for a, b in zip(clauses, clauses[1:]):
        if "gives_in" in a.labels and a.sentence == b.sentence and "fixes_or_distracts" in b.labels:
            if any(b.words[m.end - 1] == lex.g["instead"] for m in lex.find("fixes_or_distracts", b.words)):
                a.labels.pop("gives_in")


def _overstated(clauses: list[Clause], ctx: _Context) -> None:
    """ "You hate her and wish she'd never been born": an overstated wish takes the feeling past what the child said."""
    lex = ctx.lex
    over = {c.sentence for c in clauses if lex.find("overstated_wishes", c.words)}
    for c in clauses:
        if c.sentence in over:
            for a in ACK:
                c.labels.pop(a, None)
            if lex.find("overstated_wishes", c.words):
                c.labels["projects_feeling"] = (0, len(c.tokens))


def _dismissing_guesses(clauses: list[Clause], ctx: _Context) -> None:
    """ "You don't really hate them, you're just tired": a guess that explains the
    feeling away is part of the dismissal."""
    lex = ctx.lex
    dismissing = {c.sentence for c in clauses if "dismisses_feeling" in c.labels}
    others = lex.g.others
    for c in clauses:
        if c.sentence in dismissing and not (c.words[:1] and c.words[0] in others):
            c.labels.pop("adds_commentary", None)  # "he's just saying hello" still guesses at someone else


def _presence_on_terms(clauses: list[Clause], ctx: _Context) -> None:
    """ "I'm not going anywhere, you need a cuddle": availability tied to contact the child refused is not an offer."""
    pushing = {c.sentence for c in clauses if "insists_on_contact" in c.labels}
    for c in clauses:
        if c.sentence in pushing:
            c.labels.pop("offers_presence", None)


def _mocking_tags(clauses: list[Clause], ctx: _Context) -> None:
    """ "They ruin everything, do they?": a same-polarity tag on a plain statement teases the child's claim."""
    lex = ctx.lex
    g = lex.g
    for a, b in zip(clauses, clauses[1:]):
        if b.tag and a.sentence == b.sentence and not a.question and not a.tag:
            echo = len(b.words) == 2 and b.words[0] in g.echo_tags
            if echo and not g.negatives & set(a.words):  # "huh", "shall we", "didn't it" only soften
                a.labels["adds_commentary"] = (0, len(a.tokens))


def _long_lectures(clauses: list[Clause], ctx: _Context) -> None:
    lex = ctx.lex
    assert lex.settings is not None  # load_lexicon always sets it
    limit = lex.settings.long_explanation_words
    markers = set(lex.settings.explain_markers)
    by_sentence: dict[int, list[Clause]] = {}
    for c in clauses:
        by_sentence.setdefault(c.sentence, []).append(c)
    for group in by_sentence.values():
        # the joiners too: "because" often opens its own clause
        words = [w for c in group for w in ([c.joiner] if c.joiner else []) + c.words]
        guessing = any("adds_commentary" in c.labels for c in group)  # "I bet it's because you're tired, ..."
        if len(words) >= limit and _explains(words, markers) and not guessing:
            at = _explaining(group, markers, lex)
            at.labels["lectures"] = (0, len(at.tokens))
            for c in group:
                c.labels.pop("acknowledges_view", None)  # the account is part of the explanation


def _explains(words: list[str], markers: set[str]) -> bool:
    """Do these words hold an explanation marker ("because", "the rule", ...)?"""
    text = " " + " ".join(words) + " "
    return any(f" {m} " in text for m in markers)


def _explaining(group: list[Clause], markers: set[str], lex: Lexicon) -> Clause:
    """The clause of a long sentence that the feedback quotes for its lecture: the
    one the explanation hangs on ("we have to go now" before "because the shop
    shuts"), not an opening "Oh sweetheart". A marker that opens its own clause
    points at the clause before it; of the clauses with a marker, the first with a
    few words ("'cause the car could roll", not a stammered "'cause,"); with none
    (the marker spans two clauses), the longest clause that says something."""
    with_marker = []
    for i, c in enumerate(group):
        if c.joiner in markers and i > 0:
            return group[i - 1]
        if _explains(c.words, markers):
            with_marker.append(c)
    if with_marker:
        return next((c for c in with_marker if len(c.words) >= 3), with_marker[0])
    said = [c for c in group if not filler_only(c.words, lex)] or group
    return max(said, key=lambda c: len(c.words))


def _text(words: list[Word], clauses: list[Clause], min_conf: float) -> tuple[str, float | None, float | None]:
    idx = sorted({t.word for c in clauses for t in c.tokens if t.word >= 0})
    if not idx:
        return "", None, None
    span = words[idx[0] : idx[-1] + 1]
    quoted = [w for w in span if w.conf >= min_conf]
    text = " ".join(w.word for w in quoted).strip(" ,;:-")
    timed = all(w.start is not None for w in words)
    return text, (span[0].start if timed else None), (span[-1].end if timed else None)


def _sentence(text: str) -> str:
    text = text.strip().rstrip(",;:-").rstrip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _no_limit_in_dispute(clauses: list[Clause], ctx: _Context) -> None:
    """Without a limit in dispute there is nothing to hold or give in on."""
    for c in clauses:
        c.labels.pop("holds_limit", None)
        c.labels.pop("gives_in", None)


# ------------------------------------------------------------ the rules, in order

@dataclass(frozen=True)
class Rule:
    """One step of the word-choice analysis, with what it reads and what it may change.

    ``scope`` "clause-level" rules run first, on each clause alone, in table order (one
    returning True ends that clause's labelling); then "take-level" rules run once each,
    in table order, over all clauses. ``when``: "" always, "limit" only where the
    scenario has a limit in dispute, "no_limit" only where it has none. ``reads``
    names lexicon lists (as in prompts/<lang>/lexicon/), labels and clause facts.
    """

    name: str
    scope: str
    run: Callable[..., bool | None]  # clause-level (_Said, _Context) -> stop?; take-level (clauses, _Context)
    reads: tuple[str, ...]
    adds: tuple[str, ...] = ()
    removes: tuple[str, ...] = ()
    when: str = ""

    def applies(self, sc: Scenario) -> bool:
        return not self.when or (self.when == "limit") == sc.limit_needed


RULES: tuple[Rule, ...] = (
    Rule("fillers only", "clause-level", _fillers_only, ("fillers", "pushes_to_stop"), adds=("pushes_to_stop",)),
    Rule("concern phrases", "clause-level", _phrase_concerns, (*PHRASE_CONCERNS, "words before the phrase"),
         adds=PHRASE_CONCERNS),
    Rule("nested concerns", "clause-level", _nested_concerns,
         ("dismisses_feeling", "shames_or_labels", "adds_commentary", "insists_on_contact", "fixes_or_distracts"),
         removes=("dismisses_feeling", "shames_or_labels", "adds_commentary")),
    Rule("questions ask", "clause-level", _question,
         ("question", "interrogates", "fixes_or_distracts", "gentle_offers", "allows_feeling", "open_invitations",
          "feelings"),
         adds=("interrogates", "acknowledges_feeling", "allows_feeling"),
         removes=("insists_on_contact", "adds_commentary")),
    Rule("presence and room", "clause-level", _presence_and_room, ("offers_presence", "allows_feeling", "labels"),
         adds=("offers_presence", "allows_feeling")),
    Rule("limit held or given", "clause-level", _limit,
         ("permission_openers", "grant_feeling_verbs", "grant_durations", "delay_markers", "grudging",
          "resignation", "grant_imperatives", "gives_in", "holds_limit", "fixes_or_distracts", "lectures",
          "shames_or_labels", "facts", "limit"),
         adds=("gives_in", "holds_limit"), removes=("fixes_or_distracts", "dismisses_feeling"), when="limit"),
    Rule("acknowledge frame", "clause-level", _frame, ("acknowledge_frames",)),
    Rule("own line given back", "clause-level", _own_line, ("adds_commentary", "cue words"),
         removes=("adds_commentary",)),
    Rule("pity after a small startle", "clause-level", _pity, ("pity", "intensity"), adds=("projects_feeling",)),
    Rule("concerns block acknowledging", "clause-level", _blocked, BLOCKING),
    Rule("feeling, view, words", "clause-level", _feeling_view_words,
         ("feelings", "shown feelings", "cue words", "facts", "witness", "noticing", "wanting", "labels"),
         adds=("acknowledges_feeling", "projects_feeling", "reflects_words", "dismisses_feeling", "acknowledges_view")),
    Rule("okay after a feeling", "take-level", _okay_after_ack, ("okay_after_feeling", *ACK, "projects_feeling"),
         adds=("allows_feeling", "dismisses_feeling")),
    Rule("quoted words", "take-level", _quoted, ("quote_frames", "cue words", "labels"),
         adds=("reflects_words",), removes=("acknowledges_view",)),
    Rule("reflection extended with and", "take-level", _and_view, ("joiner", "reflects_words", "acknowledges_view"),
         adds=("acknowledges_view",), removes=("reflects_words",)),
    Rule("resigned grants", "take-level", _resigned_grants, ("resignation", "labels", "question"),
         adds=("gives_in",), removes=("acknowledges_view",), when="limit"),
    Rule("look pointing away", "take-level", _pointing, ("look", "next clause"), adds=("fixes_or_distracts",)),
    Rule("substitutes", "take-level", _substitutes, ("gives_in", "fixes_or_distracts"), removes=("gives_in",)),
    Rule("many questions", "take-level", _questions, ("question", "tag", "gentle_offers", "fixes_or_distracts"),
         adds=("interrogates",), removes=("acknowledges_feeling", "allows_feeling")),
    Rule("threats and bribes", "take-level", _threats,
         ("threat_phrases", "grudging", "offer_conditions", "threat_conditions", "consequences", "or_consequences",
          "future_consequences"),
         adds=("threatens_or_bribes",), removes=("holds_limit", "lectures")),
    Rule("long explanations", "take-level", _long_lectures, ("explain_markers", "adds_commentary", "sentence length"),
         adds=("lectures",), removes=("acknowledges_view",)),
    Rule("presence on terms", "take-level", _presence_on_terms, ("insists_on_contact",), removes=("offers_presence",)),
    Rule("overstated wishes", "take-level", _overstated, ("overstated_wishes",),
         adds=("projects_feeling",), removes=ACK),
    Rule("guesses that dismiss", "take-level", _dismissing_guesses, ("dismisses_feeling", "others"),
         removes=("adds_commentary",)),
    Rule("mocking tags", "take-level", _mocking_tags, ("tag", "echo_tags", "negatives"), adds=("adds_commentary",)),
    Rule("no limit in dispute", "take-level", _no_limit_in_dispute, ("limit_needed",),
         removes=("holds_limit", "gives_in"), when="no_limit"),
)


def apply_rules(clauses: list[Clause], ctx: _Context, table: tuple[Rule, ...] = RULES,
                audit: list[tuple[Rule, set[str], set[str]]] | None = None) -> None:
    """Label the clauses by the table; ``audit`` collects (rule, labels before, labels after)."""
    for c in clauses:
        said = _Said(c, c.words, _strip_fillers(c.words, ctx.lex))
        for rule in (r for r in table if r.scope == "clause-level" and r.applies(ctx.sc)):
            before = set(c.labels)
            stop = rule.run(said, ctx)
            if audit is not None:
                audit.append((rule, before, set(c.labels)))
            if stop:
                break
    for rule in (r for r in table if r.scope == "take-level" and r.applies(ctx.sc)):
        befores = [set(c.labels) for c in clauses] if audit is not None else []
        rule.run(clauses, ctx)
        if audit is not None:
            for b, c in zip(befores, clauses):
                audit.append((rule, b, set(c.labels)))


def _findings(words: list[Word], clauses: list[Clause], lex: Lexicon, min_conf: float) -> list[Finding]:
    """One finding per label, in the order said, with its evidence (and a rewrite where one helps)."""
    found: dict[str, Finding] = {}

    def add(fid: str, cl: list[Clause], extra: dict[str, str] | None = None) -> None:
        text, start, end = _text(words, cl, min_conf)
        found[fid] = Finding(fid, evidence=text, start=start, end=end, extra=extra or {})

    ack_so_far: list[Clause] = []
    buts = _but(clauses, lex)
    for k, c in enumerate(clauses):
        if k in buts and "but_negates" not in found:
            b_ack, b_after = buts[k]
            rewrite = _sentence(_text(words, b_ack, min_conf)[0])
            add("but_negates", b_ack + b_after, {"rewrite": rewrite} if rewrite else None)
        for fid in c.labels:
            if fid in found:
                continue
            extra = None
            if fid == "pushes_to_stop" and ack_so_far:
                extra = {"rewrite": _sentence(_text(words, ack_so_far, min_conf)[0])}
            add(fid, [c], extra)
        if any(a in c.labels for a in ACK):
            ack_so_far.append(c)
    return list(found.values())


def analyse_word_choice(transcript: Transcript, scenario: Scenario, *, min_conf: float = 0.6,
                        rules: Rules | None = None, table: tuple[Rule, ...] = RULES) -> WordChoiceResult:
    """Word-choice findings for one take (see findings.md); ``rules`` default to prompts/."""
    lex = load_lexicon(rules)
    words = transcript.words or Transcript.from_text(transcript.text).words
    if not words:
        return WordChoiceResult()
    unsure = sum(w.conf < min_conf for w in words) / len(words)
    assert lex.settings is not None  # load_lexicon always sets it
    unclear = unsure > lex.settings.unclear_fraction
    clauses = clauses_of(words, lex, min_conf)
    apply_rules(clauses, _Context(scenario, lex), table)
    return WordChoiceResult(_findings(words, clauses, lex, min_conf), round(unsure, 3), unclear)
