"""Scenario catalogue: one readable TOML file per scenario under prompts/<lang>/scenarios/.

The files are meant to be edited by facilitators, so the loader checks them
and reports the file and field that is wrong in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from heard.core.errors import HeardError, UnknownScenario
from heard.core.paths import language_dir, read_toml

INTENSITIES = ("mild", "strong")


@dataclass(frozen=True)
class Example:
    text: str
    labels: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    age: str
    intensity: str  # "mild" | "strong"
    limit_needed: bool
    silence_ok: bool
    moment: str  # one line for listings
    narration: str  # read aloud to set the scene
    cue: str  # what the child says or sounds like, spoken in the child voice
    cue_words: str  # the child's quoted words ("" when the cue is only crying)
    child: str  # "he" | "she" | "they": used in feedback wording
    facts: tuple[str, ...]  # words a good acknowledgement of the child's view names
    shown_feelings: tuple[str, ...]  # feelings the child visibly shows; empty = not yet reacted
    limit: str = ""  # the limit in play, when limit_needed
    listen_seconds: float = 10.0  # listening window; silence through it is an answer
    examples: tuple[Example, ...] = field(default_factory=tuple)


def scenarios_dir() -> Path:
    return language_dir() / "scenarios"


def _bad(path: Path, msg: str) -> HeardError:
    return HeardError(f"scenario file {path.name}: {msg}")


def load_scenario_file(path: Path) -> Scenario:
    data = read_toml(path, "scenario file")

    def need(key: str, typ: type | tuple[type, ...]):
        if key not in data:
            raise _bad(path, f"missing '{key}'")
        val = data[key]
        if not isinstance(val, typ):
            raise _bad(path, f"'{key}' has the wrong type")
        return val

    sid = need("id", str)
    if sid != path.stem:
        raise _bad(path, f"id '{sid}' does not match the file name")
    intensity = need("intensity", str)
    if intensity not in INTENSITIES:
        raise _bad(path, "intensity must be 'mild' or 'strong'")
    examples = []
    for ex in data.get("examples", []):
        if not isinstance(ex, dict) or "text" not in ex:
            raise _bad(path, "each [[examples]] needs a text")
        examples.append(
            Example(text=ex["text"], labels=tuple(ex.get("labels", [])), note=ex.get("note", ""))
        )
    return Scenario(
        id=sid,
        title=need("title", str),
        age=str(need("age", (str, int, float))),
        intensity=intensity,
        limit_needed=need("limit_needed", bool),
        silence_ok=need("silence_ok", bool),
        moment=need("moment", str).strip(),
        narration=need("narration", str).strip(),
        cue=need("cue", str).strip(),
        cue_words=data.get("cue_words", "").strip(),
        child=data.get("child", "they"),
        facts=tuple(data.get("facts", [])),
        shown_feelings=tuple(data.get("shown_feelings", [])),
        limit=data.get("limit", "").strip(),
        listen_seconds=float(data.get("listen_seconds", 10.0)),
        examples=tuple(examples),
    )


@lru_cache(maxsize=4)
def _load_all(directory: str) -> dict[str, Scenario]:
    d = Path(directory)
    if not d.is_dir():
        raise HeardError(f"no scenarios folder at {d}; reinstall heard or set HEARD_PROMPTS")
    out = {}
    for path in sorted(d.glob("*.toml")):
        sc = load_scenario_file(path)
        out[sc.id] = sc
    return out


def all_scenarios() -> dict[str, Scenario]:
    return _load_all(str(scenarios_dir()))


def get_scenario(sid: str) -> Scenario:
    scs = all_scenarios()
    if sid not in scs:
        known = ", ".join(sorted(scs)) or "none"
        raise UnknownScenario(f"unknown scenario '{sid}'; known scenarios: {known}")
    return scs[sid]
