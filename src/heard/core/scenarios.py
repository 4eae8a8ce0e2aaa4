"""Scenario catalogue: one readable TOML file per scenario under prompts/<lang>/scenarios/.

The files are meant to be edited by facilitators, so the loader checks them
and reports the file and field that is wrong in one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    """One scenario file, checked against the prompts schema."""
    from heard.core import schema

    data = read_toml(path, "scenario file")
    schema.check(data, schema.SCENARIO, f"scenario file {path.name}")
    return scenario_from(data, path)


def scenario_from(data: Mapping[str, Any], path: Path) -> Scenario:
    """A scenario from its parsed file (types and ranges already checked by the schema)."""
    sid = data["id"]
    if sid != path.stem:
        raise _bad(path, f"id '{sid}' does not match the file name")
    examples = tuple(Example(text=ex["text"], labels=tuple(ex.get("labels", [])), note=ex.get("note", ""))
                     for ex in data.get("examples", []))
    return Scenario(
        id=sid,
        title=data["title"],
        age=str(data["age"]),
        intensity=data["intensity"],
        limit_needed=data["limit_needed"],
        silence_ok=data["silence_ok"],
        moment=data["moment"].strip(),
        narration=data["narration"].strip(),
        cue=data["cue"].strip(),
        cue_words=data.get("cue_words", "").strip(),
        child=data.get("child", "they"),
        facts=tuple(data.get("facts", [])),
        shown_feelings=tuple(data.get("shown_feelings", [])),
        limit=data.get("limit", "").strip(),
        listen_seconds=float(data.get("listen_seconds", 10.0)),
        examples=examples,
    )


def all_scenarios() -> dict[str, Scenario]:
    """The catalogue of the current prompts folder (via the one rules loader)."""
    from heard.core.rules import load_rules

    return dict(load_rules().scenarios)


def get_scenario(sid: str) -> Scenario:
    scs = all_scenarios()
    if sid not in scs:
        known = ", ".join(sorted(scs)) or "none"
        raise UnknownScenario(f"unknown scenario '{sid}'; known scenarios: {known}")
    return scs[sid]
