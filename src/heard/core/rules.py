"""All of prompts/ loaded once, checked against one schema, as frozen data.

The analysers receive a ``Rules`` object as an argument instead of reading
files themselves, so every file is read by one strict loader (``schema``)
and nothing is cached past an edit: ``load_rules`` keys its cache on the
folder, the language and the size and time of every file in it.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from heard.core import schema
from heard.core.errors import HeardError
from heard.core.paths import DEFAULT_LANG, prompts_dir, read_toml
from heard.core.scenarios import Scenario, scenario_from

MAX_FILES = 2000  # a prompts folder is a few dozen files; this bounds a runaway copy


@dataclass(frozen=True)
class PacingThresholds:
    waited_s: float = 2.0
    rushed_s: float = 0.7
    concise_words: int = 15
    concise_speech_s: float = 6.0
    too_many_words: int = 30
    too_long_speech_s: float = 12.0
    min_burst_s: float = 0.12
    merge_gap_s: float = 0.3
    fillers: tuple[str, ...] = ()  # the language's disfluencies ("um"): said, not counted


@dataclass(frozen=True)
class ToneSettings:
    """Thresholds; the values and the reasons for them are in prompts/tone.toml."""

    calm_db: float
    calm_st: float
    raised_db: float
    tense_st: float
    f0_low_hz: float
    f0_high_hz: float
    raised_dbfs: float
    calm_max_dbfs: float
    flat_st: float
    sing_song_st: float
    min_voiced_s: float
    fast_ratio: float
    calm_ratio: float
    fast_syll_per_s: float
    calm_syll_per_s: float


@dataclass(frozen=True)
class WordChoiceSettings:
    unclear_fraction: float
    long_explanation_words: int
    explain_markers: tuple[str, ...]


@dataclass(frozen=True)
class Language:
    """One language's word lists (``prompts/<lang>/lexicon/``), as read."""

    code: str
    grammar: Mapping[str, Any]
    emotions: Mapping[str, Any]
    concerns: Mapping[str, tuple[str, ...]]
    strengths: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, eq=False)  # identity hash: compiled lexicons are cached per object
class Rules:
    root: Path
    lang: str
    pacing: PacingThresholds
    tone: ToneSettings
    wordchoice: WordChoiceSettings
    language: Language
    scenarios: Mapping[str, Scenario]
    feedback: Mapping[str, Any]  # checked by heard.analysis.feedback, which shapes it
    files: Mapping[str, Mapping[str, Any]]  # every file, by its path inside prompts/


def freeze(value: Any) -> Any:
    """Read-only copy of parsed TOML: tables become mappings, arrays tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again (for code that checks ``isinstance(x, list)``)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


# ------------------------------------------------------------------ the folder

def _schema_for(rel: str) -> schema.Key | None:
    for pattern, key in schema.FILES.items():
        if fnmatch.fnmatchcase(rel, pattern.replace("<lang>", "[!/]*")) and rel.count("/") == pattern.count("/"):
            return key
    return None


def _scan(root: Path) -> dict[str, os.stat_result]:
    """Every .toml file under ``root`` by relative path, stat'ed without opening it.

    Runs on every ``load_rules`` call (that is how an edit is noticed), so it walks with
    ``os.scandir`` and plain strings: the same files in the same order as ``os.walk``
    top-down with sorted names (symlinked folders not entered, unreadable ones skipped),
    several times faster than building a ``Path`` per file."""
    if not root.is_dir():
        raise HeardError(f"no prompts folder at {root}; reinstall heard or set HEARD_PROMPTS")
    found: dict[str, os.stat_result] = {}

    def walk(folder: str, rel: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return
        subdirs = []
        for e in entries:
            try:
                is_dir = e.is_dir()
            except OSError:
                is_dir = False
            if is_dir:
                subdirs.append(e)
            elif e.name.endswith(".toml"):
                found[rel + e.name] = os.stat(e.path)
                if len(found) > MAX_FILES:
                    raise HeardError(f"prompts folder {root} holds more than {MAX_FILES} files; "
                                     "is it the right folder?")
        for e in subdirs:
            if not e.is_symlink():
                walk(e.path, f"{rel}{e.name}/")

    walk(str(root), "")
    return found


def _known_files(rel: str) -> list[str]:
    lang = rel.split("/", 1)[0]
    return [p.replace("<lang>", lang) for p in schema.FILES if "*" not in p]


def _check_names(found: dict[str, os.stat_result]) -> None:
    for rel, st in found.items():
        if not stat.S_ISREG(st.st_mode):
            raise HeardError(f"prompts file {rel} is not a regular file (a pipe or a device?); "
                             "replace it with a text file")
        if _schema_for(rel) is None:
            near = difflib.get_close_matches(rel, _known_files(rel), n=1)
            hint = f"; did you mean `{near[0]}`?" if near else ""
            if _schema_for(f"{DEFAULT_LANG}/{rel}") is not None:  # the layout before prompts/<lang>/
                hint = f"; a language's files live in prompts/<lang>/ now: move it to `{DEFAULT_LANG}/{rel}`"
            raise HeardError(f"prompts file {rel} is not one heard reads{hint}")


def _require(found: dict[str, os.stat_result], lang: str) -> None:
    need = ["pacing.toml", "tone.toml", "wordchoice.toml", f"{lang}/feedback.toml"]
    need += [f"{lang}/lexicon/{n}.toml" for n in ("grammar", "emotions", "concerns", "strengths")]
    for rel in need:
        if rel not in found:
            raise HeardError(f"prompts file {rel} is missing; restore it (reinstall heard) or "
                             "set HEARD_PROMPTS to a folder that has it")


def read_checked(root: Path, rel: str) -> Any:
    """One prompts file, parsed and checked against its schema; frozen."""
    key = _schema_for(rel)
    if key is None:  # callers pass names _check_names accepted; this keeps the message if not
        raise HeardError(f"prompts file {rel} is not one heard reads")
    data = read_toml(root / rel, "prompts file")
    schema.check(data, key, rel)
    return freeze(data)


def validate_folder(root: Path | None = None, lang: str = DEFAULT_LANG) -> Rules:
    """Check every file of a prompts folder (``heard check --prompts``); the loaded rules."""
    return _build(Path(root) if root is not None else prompts_dir(), lang)


_Stamp = tuple[str, str, tuple[tuple[str, int, int, int], ...]]
_CACHE: dict[_Stamp, Rules] = {}


def load_rules(root: Path | None = None, lang: str = DEFAULT_LANG) -> Rules:
    """The rules under the prompts folder; read again whenever a file in it changes."""
    root = Path(root) if root is not None else prompts_dir()
    found = _scan(root)
    stamp = (str(root), lang, tuple((rel, st.st_mtime_ns, st.st_size, st.st_ino) for rel, st in found.items()))
    rules = _CACHE.get(stamp)
    if rules is None:
        rules = _build(root, lang, found)
        _CACHE.clear()  # one folder at a time; an edit replaces the old entry
        _CACHE[stamp] = rules
    return rules


def _build(root: Path, lang: str, found: dict[str, os.stat_result] | None = None) -> Rules:
    found = _scan(root) if found is None else found
    _check_names(found)
    _require(found, lang)
    files = {rel: read_checked(root, rel) for rel in found}
    return Rules(
        root=root, lang=lang,
        pacing=_pacing(files, lang),
        tone=_tone(files["tone.toml"]),
        wordchoice=_wordchoice(files["wordchoice.toml"], files[f"{lang}/lexicon/grammar.toml"]),
        language=_language(files, lang),
        scenarios=MappingProxyType(_scenarios(root, files, lang)),
        feedback=files[f"{lang}/feedback.toml"],
        files=MappingProxyType(files),
    )


def _pacing(files: Mapping[str, Any], lang: str) -> PacingThresholds:
    data = dict(files["pacing.toml"])
    data["fillers"] = tuple(files[f"{lang}/lexicon/grammar.toml"]["disfluencies"])
    return PacingThresholds(**data)


def _tone(data: Mapping[str, Any]) -> ToneSettings:
    flat = {k: float(v) for section in data.values() for k, v in section.items()}
    return ToneSettings(**flat)


def _wordchoice(data: Mapping[str, Any], grammar: Mapping[str, Any]) -> WordChoiceSettings:
    return WordChoiceSettings(
        unclear_fraction=float(data["confidence"]["unclear_fraction"]),
        long_explanation_words=int(data["lecture"]["long_explanation_words"]),
        explain_markers=tuple(grammar["words"]["explain_markers"]),  # the language's words
    )


def _language(files: Mapping[str, Any], lang: str) -> Language:
    lex = f"{lang}/lexicon/"
    return Language(lang, files[lex + "grammar.toml"], files[lex + "emotions.toml"],
                    files[lex + "concerns.toml"], files[lex + "strengths.toml"])


def _scenarios(root: Path, files: Mapping[str, Any], lang: str) -> dict[str, Scenario]:
    prefix = f"{lang}/scenarios/"
    out = {}
    for rel in sorted(r for r in files if r.startswith(prefix)):
        sc = scenario_from(thaw(files[rel]), root / rel)
        out[sc.id] = sc
    if not out:
        raise HeardError(f"no scenarios in {root / prefix}; reinstall heard or set HEARD_PROMPTS")
    return out
