"""The labelled answers in tests/data, for tests that read them all."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def labelled_answers(most: int = 2400) -> list[dict]:
    """Every labelled set's answers, evenly spread down to ``most``: each blind set grows the
    data, and a test that reads it all should not grow with it (every set and scenario stays in)."""
    items = [json.loads(line) for path in sorted(DATA.glob("responses-*.jsonl"))
             for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    step = max(1, -(-len(items) // most))
    return items[::step]
