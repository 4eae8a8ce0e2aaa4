"""The schema of prompts/: every key's type, range and whether it is required.

Facilitators who are not programmers edit these files, so a mistake must be
one line that names the file, the key and what was expected (with a
spelling suggestion for an unknown key), never a traceback and never
silence. The schema is data (``Key`` trees, see ``FILES``); ``check``
walks a parsed TOML document against it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from heard.core.errors import HeardError


class PromptsError(HeardError):
    """A prompts file does not match its schema."""


@dataclass(frozen=True)
class Key:
    """What one key holds.

    kind: str | text (non-empty str) | int | number | bool | strs (list of str)
    | phrases (list of non-empty str) | table (fixed keys in ``keys``)
    | map (any keys, each value like ``value``) | tables (array of ``keys`` tables)
    | pair (a [text, int] feeling entry) | age (text or number).
    """

    kind: str
    required: bool = True
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    keys: dict[str, Key] = field(default_factory=dict)
    value: Key | None = None
    need: tuple[str, ...] = ()  # map keys that must be present

    def expected(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        what = _NAMES[self.kind]
        if self.lo is not None and self.hi is not None:
            what += f" from {self.lo:g} to {self.hi:g}"
        elif self.lo is not None:
            what += f" of at least {self.lo:g}"
        return what


_NAMES = {
    "str": "a text", "text": "a text that is not empty", "int": "a whole number",
    "number": "a number", "bool": "true or false", "strs": "a list of texts",
    "phrases": "a list of phrases (no empty ones)", "table": "a [table]",
    "map": "a [table]", "tables": "a list of [[tables]]", "pair": "[family, level]",
    "age": "a text or a number", "lines": "a sentence or a list of sentences",
    "numbers": "a list of numbers",
}


def opt(key: Key) -> Key:
    """The same key, but it may be left out."""
    return replace(key, required=False)


def table(required: bool = True, /, **keys: Key) -> Key:
    # `required` is positional-only so a schema key may itself be called "required"
    return Key("table", required, keys=keys)


def number(lo: float | None = None, hi: float | None = None) -> Key:
    return Key("number", lo=lo, hi=hi)


def integer(lo: float | None = None, hi: float | None = None) -> Key:
    return Key("int", lo=lo, hi=hi)


TEXT = Key("text")
STR = Key("str")
BOOL = Key("bool")
PHRASES = Key("phrases")
STRS = Key("strs")


def check(data: Any, schema: Key, where: str) -> None:
    """Raise ``PromptsError`` naming ``where`` and the key when ``data`` does not fit."""
    _check(data, schema, where, "")


def _fail(where: str, path: str, msg: str) -> PromptsError:
    return PromptsError(f"{where}: `{path or '(top)'}` {msg}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _check(value: Any, key: Key, where: str, path: str) -> None:
    if key.kind in ("table", "map"):
        _check_table(value, key, where, path)
    elif key.kind == "tables":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise _fail(where, path, f"must be {key.expected()}")
        for n, item in enumerate(value, 1):
            _check_table(item, table(**key.keys), where, f"{path}[{n}]")
    elif key.kind in ("strs", "phrases"):
        _check_list(value, key, where, path)
    elif key.kind == "numbers":
        if not isinstance(value, list) or not value:
            raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
        for item in value:
            _check_number(item, replace(key, kind="number"), where, path)
    else:
        _check_scalar(value, key, where, path)


def _check_table(value: Any, key: Key, where: str, path: str) -> None:
    if not isinstance(value, dict):
        raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
    if key.kind == "map":
        for name in key.need:
            if name not in value:
                raise _missing(where, _join(path, name), key.value, value, key.need)
        for name, item in value.items():
            if not str(name).strip():
                raise _fail(where, path, "has an empty key")
            assert key.value is not None, "a map key needs a value schema"
            _check(item, key.value, where, _join(path, name))
        return
    for name, item in value.items():
        if name not in key.keys:
            missing = [k for k, sub in key.keys.items() if sub.required and k not in value]
            raise _unknown(where, _join(path, name), name, key.keys, missing)
        _check(item, key.keys[name], where, _join(path, name))
    for name, sub in key.keys.items():
        if sub.required and name not in value:
            raise _missing(where, _join(path, name), sub, value, key.keys)


def _unknown(
    where: str, path: str, name: str, known: Iterable[str], missing: Iterable[str] = ()
) -> PromptsError:
    # a required key that is absent is the likeliest meaning, even when spelt far off ("kew")
    near = (difflib.get_close_matches(str(name), list(known), n=1)
            or difflib.get_close_matches(str(name), list(missing), n=1, cutoff=0.3))
    hint = f"did you mean `{near[0]}`?" if near else "known keys: " + ", ".join(sorted(known))
    return _fail(where, path, f"is not a known key; {hint}")


def _missing(
    where: str, path: str, key: Key | None, present: Mapping[str, Any], known: Container[str]
) -> PromptsError:
    strays = [k for k in present if k not in known]
    near = difflib.get_close_matches(path.rsplit(".", 1)[-1], strays, n=1)
    hint = f" (is `{near[0]}` a misspelling of it?)" if near else ""
    what = key.expected() if key else "a value"
    return _fail(where, path, f"is missing; expected {what}{hint}")


def _check_list(value: Any, key: Key, where: str, path: str) -> None:
    if not isinstance(value, list):
        raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
    for n, item in enumerate(value, 1):
        if not isinstance(item, str):
            raise _fail(where, path, f"item {n} must be a text, not {_show(item)}")
        if key.kind == "phrases" and not item.strip():
            raise _fail(where, path, f"item {n} is empty; an empty phrase would match every answer")


def _check_scalar(value: Any, key: Key, where: str, path: str) -> None:
    kind = key.kind
    if kind == "lines":
        lines = [value] if isinstance(value, str) else value
        if not isinstance(lines, list) or not lines or not all(isinstance(v, str) and v.strip() for v in lines):
            raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
        return
    if kind == "pair":
        ok = (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
              and value[0].strip() and isinstance(value[1], int) and not isinstance(value[1], bool))
        if not ok:
            raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
        return
    if kind == "age":
        kind = "number" if isinstance(value, (int, float)) and not isinstance(value, bool) else "text"
    if kind in ("str", "text"):
        if not isinstance(value, str) or (kind == "text" and not value.strip()):
            raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
        if key.choices and value not in key.choices:
            raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
        return
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
        return
    _check_number(value, key, where, path)


def _check_number(value: Any, key: Key, where: str, path: str) -> None:
    whole = key.kind == "int"
    okay_type = isinstance(value, int) if whole else isinstance(value, (int, float))
    if isinstance(value, bool) or not okay_type or not math.isfinite(value):
        raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")
    if (key.lo is not None and value < key.lo) or (key.hi is not None and value > key.hi):
        raise _fail(where, path, f"must be {key.expected()}, not {_show(value)}")


# ------------------------------------------------------------------ the files

SECONDS = number(0.0, 600.0)
PACING = table(
    waited_s=SECONDS, rushed_s=SECONDS, concise_words=integer(0, 10_000),
    concise_speech_s=SECONDS, too_many_words=integer(0, 10_000), too_long_speech_s=SECONDS,
    min_burst_s=number(0.0, 10.0), merge_gap_s=number(0.0, 10.0),
)
_DB, _ST = number(-200.0, 200.0), number(0.0, 48.0)
TONE = table(
    baseline=table(calm_db=_DB, calm_st=_ST, raised_db=_DB, tense_st=_ST),
    population=table(f0_low_hz=number(20.0, 2000.0), f0_high_hz=number(20.0, 2000.0),
                     raised_dbfs=number(-200.0, 0.0), calm_max_dbfs=number(-200.0, 0.0)),
    spread=table(flat_st=_ST, sing_song_st=_ST, min_voiced_s=SECONDS),
    rate=table(fast_ratio=number(0.0, 10.0), calm_ratio=number(0.0, 10.0),
               fast_syll_per_s=number(0.0, 50.0), calm_syll_per_s=number(0.0, 50.0)),
)
WORDCHOICE = table(
    confidence=table(unclear_fraction=number(0.0, 1.0)),
    lecture=table(long_explanation_words=integer(1, 10_000)),
)
_FRACTION = number(0.0, 1.0)
CHECK = table(
    False, silent_dbfs=opt(number(-200.0, 0.0)), clipping_share=opt(_FRACTION),
    mic_seconds=opt(number(0.1, 600.0)), tone_hz=opt(number(20.0, 20_000.0)),
    tone_seconds=opt(number(0.05, 60.0)), tone_dbfs=opt(number(-200.0, 0.0)), speech_text=opt(TEXT),
)

# Word sets the code reads from grammar.toml [words]; facilitators may add more
# and use them in phrases as {name}.
GRAMMAR_WORDS = (
    "expressing", "contraction_stems", "is_stems", "subject_pronouns", "child_pronouns", "auxiliaries",
    "question_words", "embedding", "contrast", "joiners", "tag_questions", "modals",
    "past_irregular", "function", "light",
    # the general rules' word sets (textnorm, wordchoice)
    "not_contracted", "negatable", "keep_repeats", "takes_object", "pronouns", "clause_subjects",
    "persons", "verb_like", "subject_verbs", "exclamations", "no_question_after", "dummy_subjects",
    "statement_verbs", "copulas", "contrast_after_pause", "adult_pronouns", "pro_forms",
    "modal_or_to", "become_verbs", "adverbial_feelings", "intensifiers", "degree_words",
    "conditions", "offer_ifs", "subordinators", "reasons", "reasons_with_ing", "not_doing",
    "linking", "adverbs", "still", "articles", "negatives", "denials", "limit_ignore", "refusals",
    "child_cannot", "you_are", "why_words", "past_copulas", "third_persons", "hand_over_openers",
    "counting", "have_forms", "go_on_verbs", "not_summons", "request_modals", "pointing_openers",
    "pointing_determiners", "others", "echo_tags", "explain_markers",
)
ROLES = ("not", "you", "i", "me", "it", "and", "or", "then", "to", "one", "how", "let", "look",
         "enough", "instead")
_ENDING = Key("str")
GRAMMAR = table(
    disfluencies=STRS, fillers=PHRASES,
    contractions=Key("map", value=TEXT), suffixes=Key("map", value=TEXT),
    words=Key("map", value=PHRASES, need=GRAMMAR_WORDS),
    roles=table(**{r: TEXT for r in ROLES}),
    swap=Key("map", value=TEXT),
    merge=Key("map", value=TEXT),
    morphology=table(
        past=TEXT, past_min_length=integer(1, 50), progressive=TEXT, possessive=TEXT, negation=TEXT,
        keep_double=STRS, drop_final=_ENDING, keep_final=_ENDING, stem_min_length=integer(2, 50),
        dropped_g=opt(TEXT),
        stem=Key("tables", keys={"ending": TEXT, "min_length": integer(1, 50), "unless": opt(STR)}),
    ),
)
EMOTIONS = table(
    levels=Key("map", value=integer(0, 10), need=("mild", "strong")),
    feelings=Key("map", value=Key("pair")),
    family_of_shown=opt(Key("map", value=TEXT)),
    negated_feelings=opt(Key("map", value=TEXT)),
)
CONCERN_LISTS = (
    "pushes_to_stop", "dismisses_feeling", "fixes_or_distracts", "lectures", "shames_or_labels",
    "insists_on_contact", "adds_commentary", "interrogates", "gives_in", "threat_phrases",
    "threat_conditions", "offer_conditions", "or_consequences", "future_consequences", "consequences", "grudging",
    "resignation", "delay_markers", "permission_openers", "grant_feeling_verbs",
    "grant_durations", "grant_imperatives", "pity", "overstated_wishes",
)
STRENGTH_LISTS = (
    "offers_presence", "allows_feeling", "holds_limit", "witness", "noticing", "wanting",
    "acknowledge_frames", "okay_after_feeling", "quote_frames", "gentle_offers", "open_invitations",
)
CONCERNS = table(**{k: PHRASES for k in CONCERN_LISTS})
STRENGTHS = table(**{k: PHRASES for k in STRENGTH_LISTS})

# Sentences: one text or a list; placeholders and fallbacks are checked by feedback.py.
_LINES = Key("lines")
_WORDS = integer(1, 1000)
FEEDBACK = table(
    limits=table(max_spoken_words=_WORDS, max_quote_words=_WORDS, max_rewrite_words=_WORDS,
                 max_detail_quote_words=_WORDS),
    quotes=table(open=STR, close=STR, joiner=STR, ellipsis=STR),
    units=table(second=TEXT, seconds=TEXT, under_a_second=TEXT, word=TEXT, words=TEXT),
    reference=table(baseline=TEXT, typical=TEXT),
    pronouns=Key("map", value=table(them=TEXT, their=TEXT), need=("he", "she", "they")),
    names=table(their=TEXT),
    priority=table(strengths=opt(PHRASES), concerns=opt(PHRASES)),
    general=table(**{k: _LINES for k in (
        "no_concerns", "no_strength_opener", "unclear", "unclear_detail", "no_reply",
        "nothing_noted", "tone_typical_note", "tone_not_measured")}),
    compare=table(order=opt(PHRASES), min_wait_gain_s=SECONDS, min_words_drop=integer(0, 10_000),
                  max_words_ratio=number(0.0, 1.0), min_loudness_drop_db=number(0.0, 200.0),
                  min_pitch_drop_st=number(0.0, 48.0), wait=_LINES, words=_LINES,
                  loudness=_LINES, pitch=_LINES),
    findings=Key("map", value=table(spoken=_LINES, detail=_LINES, resolved=opt(STR),
                                    beside_concern=opt(_LINES))),
)
HISTORY = table(sentences=Key("map", value=TEXT), phrases=Key("map", value=TEXT))
KIOSK = table(
    start=Key("map", value=PHRASES),
    welcome=table(text=TEXT, text_history=TEXT, history_anonymous=TEXT, history_full=TEXT,
                  goodbye=TEXT),
    check=CHECK,
)
CALIBRATION = table(passage=TEXT)
COMMANDS = table(
    unknown_word=opt(STR), min_confidence=opt(_FRACTION),
    max_seconds=opt(number(0.2, 10.0)), clear_confidence=opt(_FRACTION), decoys=opt(PHRASES),
    steps=table(again=opt(PHRASES), next=opt(PHRASES), repeat=opt(PHRASES),
                explain=opt(PHRASES), stop=opt(PHRASES)),
)
SCENARIO = table(
    id=TEXT, title=TEXT, age=Key("age"), child=opt(TEXT),  # he / she / they, or a name
    intensity=Key("text", choices=("mild", "strong")), limit_needed=BOOL, silence_ok=BOOL,
    listen_seconds=opt(number(1.0, 600.0)), moment=TEXT, narration=TEXT, cue=TEXT,
    cue_words=opt(STR), facts=opt(PHRASES), shown_feelings=opt(PHRASES), limit=opt(STR),
    examples=opt(Key("tables", keys={"text": TEXT, "labels": opt(STRS), "note": opt(STR)})),
)

# Report pages (heard.report): texts per section, each checked where it is used.
_TEXTS = Key("map", value=STR)
REPORT = table(page=_TEXTS, take=_TEXTS, progress=_TEXTS, kiosk=_TEXTS)

# The learned word-choice layer: a concern needs more confidence than a strength.
# veto: a concern the rules found stands only if the model gives it at least this probability.
LEARNED = table(thresholds=table(strength=_FRACTION, concern=_FRACTION, veto=opt(_FRACTION)))
# Training only (scripts/train): the language's fillers and the words a small
# recogniser hears instead of others (spoken form -> what is heard).
AUGMENT = table(fillers=PHRASES, substitutions=Key("map", value=TEXT))

# When the parent has finished (heard.listen.endofturn): silences in seconds.
TURN = table(
    checks_s=Key("numbers", lo=0.03, hi=10.0), complete_at=Key("numbers", lo=0.0, hi=1.0),
    min_speech_s=opt(number(0.0, 10.0)), ceiling_s=number(0.3, 30.0),
    fallback_silence_s=number(0.3, 10.0),
    resume_s=opt(number(0.0, 3.0)), resume_speech_s=opt(number(0.03, 1.0)),
    interrupt_s=opt(number(0.0, 30.0)),
)
# A language's words that mean an answer goes on (a last word, or a word ending).
TURN_WORDS = table(not_done_words=PHRASES, not_done_endings=opt(PHRASES))
# What the screen says around a take.
SESSION = table(your_turn=TEXT, ended_early=TEXT, listening_on=opt(TEXT))

# path inside prompts/ (``<lang>`` for any language folder) -> schema
FILES: dict[str, Key] = {
    "pacing.toml": PACING,
    "tone.toml": TONE,
    "wordchoice.toml": WORDCHOICE,
    "<lang>/lexicon/grammar.toml": GRAMMAR,
    "<lang>/lexicon/emotions.toml": EMOTIONS,
    "<lang>/lexicon/concerns.toml": CONCERNS,
    "<lang>/lexicon/strengths.toml": STRENGTHS,
    "<lang>/feedback.toml": FEEDBACK,
    "<lang>/history.toml": HISTORY,
    "<lang>/kiosk.toml": KIOSK,
    "<lang>/calibration.toml": CALIBRATION,
    "<lang>/commands.toml": COMMANDS,
    "<lang>/scenarios/*.toml": SCENARIO,
    "<lang>/report.toml": REPORT,
    "learned.toml": LEARNED,
    "turn.toml": TURN,
    "<lang>/turn.toml": TURN_WORDS,
    "<lang>/session.toml": SESSION,
    "<lang>/augment.toml": AUGMENT,
}
