"""Feedback composer: one take's findings -> a short spoken line and written notes.

All wording lives in ``prompts/en/feedback.toml`` so a facilitator can change
what heard says without touching code. This module only decides *which*
points to make (strengths first, at most two, inside a spoken word budget),
compares with a previous take, and fills the placeholders.
"""

from __future__ import annotations

import itertools
import math
import re
import string
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heard.analysis.findings import CATALOGUE, CONCERN, STRENGTH, Finding
from heard.core import schema
from heard.core.errors import HeardError
from heard.core.paths import language_dir, read_toml
from heard.core.rules import Rules, load_rules, thaw
from heard.core.scenarios import Scenario


@dataclass
class Feedback:
    spoken: str  # said aloud: short, kind, strengths first
    details: list[str]  # the written notes, one sentence (or two) per point

    def to_json(self) -> dict[str, Any]:
        return {"spoken": self.spoken, "details": list(self.details)}


@dataclass
class TakeSummary:
    """What is kept of a previous take so "again" can say what improved."""

    wait_s: float | None
    words: int
    finding_ids: list[str]
    loudness_db: float | None = None
    pitch_st: float | None = None


# ------------------------------------------------------------------ wording

# Placeholders that always have a value, and ones that depend on the take.
ALWAYS = frozenset({"child", "child_them", "child_their", "reference"})
SOMETIMES = frozenset({"quote", "rewrite", "wait", "words", "prev_wait", "prev_words"})
_GENERAL_KEYS = (
    "no_concerns", "no_strength_opener", "unclear", "unclear_detail", "no_reply",
    "nothing_noted", "tone_typical_note", "tone_not_measured",
)
_COMPARE_KINDS = ("resolved", "wait", "words", "loudness", "pitch")
# A measured improvement already says what these findings would say.
_COVERS = {
    "wait": {"waited", "rushed_in"},
    "words": {"concise", "talks_too_much"},
    "loudness": {"calm_voice", "raised_voice"},
    "pitch": {"calm_voice", "tense_pitch"},
}


@dataclass(frozen=True)
class Phrasings:
    spoken: tuple[str, ...]
    detail: tuple[str, ...]
    resolved: str = ""
    # Said instead of ``spoken`` when a word-choice concern follows, so a
    # strength is never praised for what the concern undoes ("short, which
    # leaves room for the feeling" before "instead of 'stop crying'").
    beside_concern: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wording:
    """The parsed feedback.toml."""

    limits: dict[str, int]
    quotes: dict[str, str]
    units: dict[str, str]
    reference: dict[str, str]
    strengths: tuple[str, ...]  # priority order, most important first
    concerns: tuple[str, ...]
    general: dict[str, str]
    compare: dict[str, Any]  # sentences, thresholds and the order
    findings: dict[str, Phrasings]
    pronouns: dict[str, dict[str, str]]  # he/she/they -> {"them": ..., "their": ...}
    names: dict[str, str]  # {"their": "{name}'s"}


def wording_path() -> Path:
    return language_dir() / "feedback.toml"


def load_wording(path: Path | None = None, rules: Rules | None = None) -> Wording:
    """Checked wording: of ``path`` when given, else of the rules (default: prompts/)."""
    if path is None:
        rules = rules if rules is not None else load_rules()
        wording = _BY_RULES.get(rules)
        if wording is None:
            wording = _BY_RULES[rules] = _parse(thaw(rules.feedback))
        return wording
    data = read_toml(Path(path), "feedback wording")
    schema.check(data, schema.FEEDBACK, Path(path).name)
    return _parse(data)


_BY_RULES: weakref.WeakKeyDictionary[Rules, Wording] = weakref.WeakKeyDictionary()


def _bad(msg: str) -> HeardError:
    return HeardError(f"feedback.toml: {msg}")


def _table(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    val = data.get(key)
    if not isinstance(val, dict):
        raise _bad(f"missing [{key}] table")
    return val


def _fields(template: str, where: str) -> set[str]:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError:
        raise _bad(f"{where} has an unmatched curly bracket") from None
    unknown = names - ALWAYS - SOMETIMES
    if unknown:
        raise _bad(f"{where} uses unknown placeholder {{{sorted(unknown)[0]}}}")
    return names


def _phrases(table: Mapping[str, Any], key: str, where: str, need_fallback: bool = True) -> tuple[str, ...]:
    val = table.get(key)
    if isinstance(val, str):
        val = [val]
    if not isinstance(val, list) or not val or not all(isinstance(v, str) and v.strip() for v in val):
        raise _bad(f"{where}.{key} must be a list of one or more sentences")
    for v in val:
        _fields(v, f"{where}.{key}")
    if need_fallback and _fields(val[-1], where) - ALWAYS:
        raise _bad(f"the last phrasing in {where}.{key} may only use {{child}}, {{child_them}}, "
                   "{child_their} and {reference}")
    return tuple(v.strip() for v in val)


def _priority(table: Mapping[str, Any], key: str, kind: str) -> tuple[str, ...]:
    listed = table.get(key, [])
    if not isinstance(listed, list):
        raise _bad(f"[priority] {key} must be a list of finding ids")
    for fid in listed:
        if CATALOGUE.get(fid, (None,))[0] != kind:
            raise _bad(f"[priority] {key} lists '{fid}', which is not a {kind} id")
    # Ids left out of the list still count, after the listed ones.
    rest = [fid for fid, (k, _) in CATALOGUE.items() if k == kind and fid not in listed]
    return tuple(dict.fromkeys(listed)) + tuple(rest)


def _finding_wordings(found: Mapping[str, Any]) -> dict[str, Phrasings]:
    """The [findings.<id>] tables: every finding worded, and only word choice quotes the parent."""
    phrasings: dict[str, Phrasings] = {}
    for fid in CATALOGUE:
        table = found.get(fid)
        if not isinstance(table, dict):
            raise _bad(f"missing wording for finding '{fid}' ([findings.{fid}])")
        where = f"[findings.{fid}]"
        resolved = table.get("resolved", "")
        if resolved:
            _phrases(table, "resolved", where)
        phrasings[fid] = Phrasings(
            spoken=_phrases(table, "spoken", where),
            detail=_phrases(table, "detail", where),
            resolved=resolved.strip() if isinstance(resolved, str) else "",
            beside_concern=(_phrases(table, "beside_concern", where)
                            if "beside_concern" in table else ()),
        )
        if CATALOGUE[fid][1] != "word_choice" and any(
                "{quote}" in t for t in phrasings[fid].spoken + phrasings[fid].detail):
            # Pacing and tone evidence is a measurement ("began 0.3 s after the
            # cue"), not the parent's words, so it must never be quoted back.
            raise _bad(f"{where} uses {{quote}}, but only word-choice findings quote the "
                       "parent's words")
    return phrasings


def _parse(data: Mapping[str, Any]) -> Wording:
    general = _table(data, "general")
    for key in _GENERAL_KEYS:
        _phrases(general, key, "[general]")
    compare = _table(data, "compare")
    allowed = {"wait": {"wait", "prev_wait"}, "words": {"words", "prev_words"}, "loudness": set(), "pitch": set()}
    for key, extra in allowed.items():
        (line,) = _phrases(compare, key, "[compare]", need_fallback=False)[:1]
        if _fields(line, f"[compare] {key}") - ALWAYS - extra:
            raise _bad(f"[compare] {key} may only use {{child}}, {{child_them}}, {{child_their}}, "
                       f"{{reference}}" + "".join(f", {{{n}}}" for n in sorted(extra)))
    order = compare.get("order", list(_COMPARE_KINDS))
    if not isinstance(order, list) or set(order) - set(_COMPARE_KINDS):
        raise _bad(f"[compare] order may only name {', '.join(_COMPARE_KINDS)}")
    phrasings = _finding_wordings(_table(data, "findings"))
    limits = _table(data, "limits")
    for key in ("max_spoken_words", "max_quote_words", "max_rewrite_words", "max_detail_quote_words"):
        if not isinstance(limits.get(key), int) or limits[key] < 1:
            raise _bad(f"[limits] {key} must be a whole number above 0")
    priority = _table(data, "priority")
    return Wording(
        limits=limits,
        quotes=_table(data, "quotes"),
        units=_table(data, "units"),
        reference=_table(data, "reference"),
        strengths=_priority(priority, "strengths", STRENGTH),
        concerns=_priority(priority, "concerns", CONCERN),
        general={k: general[k].strip() for k in _GENERAL_KEYS},
        compare=dict(compare, order=order),
        findings=phrasings,
        pronouns={k: dict(v) for k, v in _table(data, "pronouns").items()},
        names=dict(_table(data, "names")),
    )


# -------------------------------------------------------------- formatting

def _child_forms(child: str, w: Wording) -> dict[str, str]:
    """{child}, {child_them}, {child_their} from the scenario's he/she/they or a name (feedback.toml)."""
    child = (child or "they").strip()
    low = child.lower()
    if low in w.pronouns:
        forms = w.pronouns[low]
        return {"child": low, "child_them": forms["them"], "child_their": forms["their"]}
    # A name ("Sam") works in every position.
    return {"child": child, "child_them": child, "child_their": w.names["their"].replace("{name}", child)}


def _tidy(words: str) -> str:
    """A transcript fragment as it should be quoted: trimmed, with "I" capitalised."""
    text = " ".join(words.split()).strip(" .,;:!?\"'“”")
    return re.sub(r"\bi\b", "I", text)


def _quote(text: str, w: Wording, max_words: int | None = None) -> str | None:
    text = _tidy(text)
    if not text:
        return None
    parts = text.split()
    if max_words is not None and len(parts) > max_words:
        return None
    return f"{w.quotes['open']}{text}{w.quotes['close']}"


def _quote_shortened(text: str, w: Wording) -> str | None:
    """For the written notes: long evidence is cut, and says so."""
    text = _tidy(text)
    if not text:
        return None
    parts = text.split()
    limit = w.limits["max_detail_quote_words"]
    if len(parts) > limit:
        text = " ".join(parts[:limit]) + w.quotes["ellipsis"]
    return f"{w.quotes['open']}{text}{w.quotes['close']}"


def _seconds(s: float, w: Wording) -> str:
    if s < 0.5:
        return w.units["under_a_second"]
    n = math.floor(s + 0.5)
    return f"{n} {w.units['second'] if n == 1 else w.units['seconds']}"


def _count(n: int, w: Wording) -> str:
    return f"{n} {w.units['word'] if n == 1 else w.units['words']}"


def _fill(template: str, values: dict[str, str]) -> str | None:
    """The template as a finished sentence, or None if a placeholder has no value."""
    needed = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    if not needed <= values.keys():
        return None
    text = template.format_map(values)
    # Capitalise each sentence start ("{child} can ..." -> "She can ...").
    text = re.sub(r"(^|[.!?]\s+)([\"“]?)([a-z])",
                  lambda m: m.group(1) + m.group(2) + m.group(3).upper(), text)
    if not text.rstrip().endswith((".", "!", "?")):
        text = text.rstrip() + "."
    return text


def _first(templates: tuple[str, ...], values: dict[str, str]) -> str:
    for t in templates:
        out = _fill(t, values)
        if out is not None:
            return out
    raise AssertionError("the last phrasing always fills")  # guaranteed by _phrases


def _all(templates: tuple[str, ...], values: dict[str, str]) -> list[str]:
    return [s for s in (_fill(t, values) for t in templates) if s is not None]


def _words(text: str) -> int:
    return len(text.split())


# --------------------------------------------------------------- composing


@dataclass(frozen=True)
class _Take:
    """Everything compose() knows about the take, in one place."""

    wording: Wording
    base: dict[str, str]
    groups: dict[str, list[Finding]]  # finding id -> findings, only the ones kept
    strengths: list[str]  # ids present, by priority
    concerns: list[str]
    wait_s: float | None
    words: int


def compose(
    findings: list[Finding],
    scenario: Scenario,
    *,
    unclear: bool = False,
    has_baseline: bool = True,
    tone_measured: bool = True,
    wait_s: float | None = None,
    words: int = 0,
    previous: TakeSummary | None = None,
    loudness_db: float | None = None,
    pitch_st: float | None = None,
    rules: Rules | None = None,
) -> Feedback:
    """Turn a take's findings into what heard says and writes.

    ``unclear``: the words were not recognised well, so word-choice findings
    are set aside and the parent is asked for another try. ``loudness_db`` /
    ``pitch_st`` (this take, same scale as ``previous``) let "again" notice a
    softer or more relaxed voice.
    """
    w = load_wording(rules=rules)
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        if (tone_measured or f.area != "tone") and not (unclear and f.area == "word_choice"):
            groups.setdefault(f.id, []).append(f)
    base = dict(_child_forms(scenario.child, w))
    base["reference"] = w.reference["baseline" if has_baseline else "typical"]
    if wait_s is not None:
        base["wait"] = _seconds(wait_s, w)
    if words > 0:
        base["words"] = _count(words, w)
    take = _Take(
        wording=w,
        base=base,
        groups=groups,
        strengths=[i for i in w.strengths if i in groups],
        concerns=[i for i in w.concerns if i in groups],
        wait_s=wait_s,
        words=words,
    )
    improvements = _improvements(take, previous, unclear, tone_measured, loudness_db, pitch_st)
    spoken = _spoken(take, improvements, unclear)
    details = [text for _, text in improvements] + _finding_details(take)
    details += _notes(take, unclear, has_baseline, tone_measured)
    if not details:
        details = [spoken]
    return Feedback(spoken=spoken, details=details)


def _values(take: _Take, fid: str, spoken: bool) -> dict[str, str]:
    """Placeholders for one finding id; the spoken line quotes only short words."""
    w, group = take.wording, take.groups[fid]
    values = dict(take.base)
    if spoken:
        quote = next((q for f in group if (q := _quote(f.evidence, w, w.limits["max_quote_words"]))), None)
    else:
        quotes = list(dict.fromkeys(q for f in group if (q := _quote_shortened(f.evidence, w))))
        quote = w.quotes["joiner"].join(quotes) if quotes else None
    if quote:
        values["quote"] = quote
    limit = w.limits["max_rewrite_words"] if spoken else None
    for f in group:
        rewrite = _quote(str(f.extra.get("rewrite", "")), w, limit)
        if rewrite:
            values["rewrite"] = rewrite
            break
    return values


def _finding_details(take: _Take) -> list[str]:
    return [
        _first(take.wording.findings[fid].detail, _values(take, fid, spoken=False))
        for fid in take.strengths + take.concerns
    ]


def _notes(take: _Take, unclear: bool, has_baseline: bool, tone_measured: bool) -> list[str]:
    g = take.wording.general
    notes = []
    if unclear:
        notes.append(_first((g["unclear_detail"],), take.base))
    if not has_baseline and any(CATALOGUE[i][1] == "tone" for i in take.groups):
        notes.append(_first((g["tone_typical_note"],), take.base))
    # Only for a recorded take that had speech; typed text never has a voice.
    if not tone_measured and take.wait_s is not None:
        notes.append(_first((g["tone_not_measured"],), take.base))
    return notes


def _improvements(
    take: _Take,
    previous: TakeSummary | None,
    unclear: bool,
    tone_measured: bool,
    loudness_db: float | None,
    pitch_st: float | None,
) -> list[tuple[str, str]]:
    """(kind, sentence) for each thing that got better, in [compare] order."""
    if previous is None:
        return []
    w, c = take.wording, take.wording.compare
    found: dict[str, list[tuple[str, str]]] = {k: [] for k in _COMPARE_KINDS}
    values = dict(take.base)

    spoke = take.words > 0 or take.wait_s is not None
    prev_wait, now_wait = previous.wait_s, take.wait_s
    if prev_wait is not None and now_wait is not None and now_wait - prev_wait >= c["min_wait_gain_s"]:
        values.update(wait=_seconds(now_wait, w), prev_wait=_seconds(prev_wait, w))
        if values["wait"] != values["prev_wait"]:
            found["wait"].append(("wait", _first((c["wait"],), values)))
    if (
        take.words > 0
        and previous.words - take.words >= c["min_words_drop"]
        and take.words <= previous.words * c["max_words_ratio"]
    ):
        values.update(words=_count(take.words, w), prev_words=_count(previous.words, w))
        found["words"].append(("words", _first((c["words"],), values)))
    if tone_measured and previous.loudness_db is not None and loudness_db is not None:
        if previous.loudness_db - loudness_db >= c["min_loudness_drop_db"]:
            found["loudness"].append(("loudness", _first((c["loudness"],), values)))
    if tone_measured and previous.pitch_st is not None and pitch_st is not None:
        if previous.pitch_st - pitch_st >= c["min_pitch_drop_st"]:
            found["pitch"].append(("pitch", _first((c["pitch"],), values)))

    covered = set().union(*(_COVERS[k] for k, items in found.items() if items))
    if spoke:
        for fid in w.concerns:
            area = CATALOGUE[fid][1]
            measured = not (area == "word_choice" and unclear) and (tone_measured or area != "tone")
            if (
                fid in previous.finding_ids and fid not in take.groups and measured
                and fid not in covered and w.findings[fid].resolved
            ):
                found["resolved"].append((fid, _first((w.findings[fid].resolved,), take.base)))
    return [item for kind in c["order"] for item in found[kind]]


def _spoken(take: _Take, improvements: list[tuple[str, str]], unclear: bool) -> str:
    """At most two points, strengths first, within the spoken word budget."""
    w, g = take.wording, take.wording.general
    covered = set().union(*(_COVERS.get(k, {k}) for k, _ in improvements[:1]))
    strengths = [i for i in take.strengths if i not in covered]
    lead = [improvements[0][1]] if improvements else None
    s1 = _spoken_options(take, strengths[0]) if strengths else None

    if unclear:
        # Word choice is set aside; keep one strength about timing or voice.
        first = lead or s1
        return _fit([(first, True), ([_first((g["unclear"],), take.base)], False)], w)
    if not take.groups:
        said = take.words > 0 or take.wait_s is not None
        line = _first((g["nothing_noted" if said else "no_reply"],), take.base)
        return _fit([(lead, True), ([line], False)], w)
    if take.concerns:
        if strengths and CATALOGUE[take.concerns[0]][1] == "word_choice":
            alt = take.wording.findings[strengths[0]].beside_concern
            s1 = _all(alt, _values(take, strengths[0], spoken=True)) if alt else s1
        first = lead or s1 or [_first((g["no_strength_opener"],), take.base)]
        return _fit([(first, True), (_spoken_options(take, take.concerns[0]), False)], w)
    s2 = _spoken_options(take, strengths[1]) if len(strengths) > 1 and not lead else None
    closer = [_first((g["no_concerns"],), take.base)]
    return _fit([(lead, True), (s1, True), (s2, True), (closer, False)], w)


def _spoken_options(take: _Take, fid: str) -> list[str]:
    return _all(take.wording.findings[fid].spoken, _values(take, fid, spoken=True))


def _repeated_quotes(text: str, w: Wording) -> int:
    o, c = re.escape(w.quotes["open"]), re.escape(w.quotes["close"])
    quotes = re.findall(f"{o}(.*?){c}", text)
    return len(quotes) - len(set(quotes))


def _fit(parts: list[tuple[list[str] | None, bool]], w: Wording) -> str:
    """The most specific wording that fits; optional parts go, last first, if needed.

    ``parts`` are (options, optional) in speaking order; options run from the
    preferred phrasing to the shortest.
    """
    limit = w.limits["max_spoken_words"]
    kept = [(opts, optional) for opts, optional in parts if opts]
    while True:
        ranges = [range(len(opts)) for opts, _ in kept]
        texts = [" ".join(opts[i] for (opts, _), i in zip(kept, pick))
                 for pick in sorted(itertools.product(*ranges), key=lambda p: (sum(p), p[::-1]))]
        fitting = [t for t in texts if _words(t) <= limit]
        if fitting:
            # Hearing the same quote twice wastes the listener's attention.
            return min(fitting, key=lambda t: _repeated_quotes(t, w))
        droppable = [n for n, (_, optional) in enumerate(kept) if optional]
        if not droppable:
            # Longer than the limit even at its shortest: a wording problem the
            # tests catch; still say the shortest version rather than nothing.
            return " ".join(min(opts, key=_words) for opts, _ in kept)
        del kept[droppable[-1]]
