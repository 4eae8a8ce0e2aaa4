"""``heard history``: your recent takes and which habits are growing."""

from __future__ import annotations

import sys
from datetime import datetime

from heard.core.safeio import terminal_text, whole_number, write_json
from heard.store.history import History, TakeRecord, Wording, default_path, load_wording

TREND_WINDOW = 10  # takes per comparison window: enough to smooth one odd take
FIRST_WORDS = 8
MAX_LIMIT = 100_000  # more takes than anyone lists; keeps the number in SQLite's range


def _positive(text: str) -> int:
    return whole_number(text, 1, MAX_LIMIT, "a whole number of takes")


def register(sub) -> None:
    p = sub.add_parser("history", help="list your recent takes and how they are changing")
    p.add_argument("--limit", type=_positive, default=20, metavar="N",
                   help="how many recent takes to list (default 20)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args) -> int:
    wording = load_wording()
    path = default_path()
    takes, trends = [], []
    if path.exists():  # don't create an empty database just to look at it
        with History(path) as h:
            takes, trends = h.recent(args.limit), h.trends(TREND_WINDOW)
            skipped = h.skipped
        if skipped:
            ids = ", ".join(f"#{i}" for i in skipped[:5]) + (" ..." if len(skipped) > 5 else "")
            print(f"heard: warning: skipped {len(skipped)} damaged history "
                  f"row{'s' if len(skipped) != 1 else ''} ({ids}); `heard forget --take ID` "
                  "removes one", file=sys.stderr)
    if args.json:
        write_json({
            "takes": [t.to_json() for t in takes],
            "trends": [{**t.to_json(), "sentence": wording.trend_sentence(t)} for t in trends],
        }, indent=2)
        return 0
    if not takes:
        print(wording.sentences["empty"])
        return 0
    print(wording.sentences["takes_heading"])
    for take in takes:
        print("  " + _take_line(take, wording))
    print("\n" + wording.sentences["trends_heading"])
    for t in trends:
        print("  " + wording.trend_sentence(t))
    return 0


def _take_line(take: TakeRecord, wording: Wording) -> str:
    try:
        when = datetime.fromisoformat(take.created).astimezone().strftime("%Y-%m-%d %H:%M")
    except (ValueError, OverflowError, OSError):
        when = take.created[:16]
    said = _first_words(take.transcript, wording)
    found = "; ".join(wording.phrase(f) for f in take.findings) or "-"
    line = f"#{take.id:<4} {when}  {take.scenario:<12} {said}  {found}"
    return terminal_text(line, keep_newlines=False)  # one line per take, whatever was stored


def _first_words(transcript: str | None, wording: Wording) -> str:
    if transcript is None:
        return wording.sentences["transcript_not_kept"]
    words = transcript.split()
    if not words:
        return wording.sentences["silence"]
    more = "..." if len(words) > FIRST_WORDS else ""
    return '"' + " ".join(words[:FIRST_WORDS]) + more + '"'
