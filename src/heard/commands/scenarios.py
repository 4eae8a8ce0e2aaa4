"""``heard scenarios``: list the practice moments."""

from __future__ import annotations

import json

from heard.core.scenarios import all_scenarios


def register(sub) -> None:
    p = sub.add_parser("scenarios", help="list the practice scenarios")
    p.add_argument("--json", action="store_true", help="machine-readable list")
    p.set_defaults(func=run)


def run(args) -> int:
    scs = all_scenarios()
    if args.json:
        print(json.dumps([
            {"id": s.id, "title": s.title, "age": s.age, "intensity": s.intensity,
             "limit_needed": s.limit_needed, "silence_ok": s.silence_ok, "moment": s.moment}
            for s in scs.values()], indent=2))
        return 0
    width = max((len(i) for i in scs), default=10)
    for s in scs.values():
        print(f"{s.id:<{width}}  age {s.age:<5} {s.moment}")
    return 0
