"""Scenes cut short for tests that judge what happens around them, not the scene."""

from __future__ import annotations

from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def short_prompts(root: Path, scenario: str, monkeypatch,
                  listen_seconds: float | None = None) -> Path:
    """A copy of prompts/ under ``root`` where ``scenario`` has a one-line narration
    (a full one is about ten seconds of real-time playback) and, given
    ``listen_seconds``, a shorter window for an answer; ``HEARD_PROMPTS`` points
    at it for the test (and for any heard it starts). The copy is made by the soak
    script's own helper, so the two never drift apart."""
    monkeypatch.syspath_prepend(str(SCRIPTS))
    from soak import _short_scene

    prompts = _short_scene(root, scenario, listen_seconds)
    monkeypatch.setenv("HEARD_PROMPTS", str(prompts))
    return prompts
