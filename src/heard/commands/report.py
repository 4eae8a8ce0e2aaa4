"""``heard report``: a page to look at, from the private history.

One take (``--take ID``), progress over takes (default; ``--last N``,
``--since DATE``) or a kiosk day for staff (``--kiosk DATE``). One
self-contained HTML file, written 0600; the path is printed.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from heard.commands.history import _positive  # the same check: a whole number, 1 or more
from heard.core.errors import HeardError

DEFAULT_OUT = Path("heard-report.html")


def _day(text: str) -> date:
    if text == "today":
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-05-01 (or today), not {text!r}"
                                         ) from None


def register(sub) -> None:
    p = sub.add_parser("report", help="a page to look at: one take, your progress, or a kiosk day")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--take", type=_positive, metavar="ID",
                       help="one take (ids as in `heard history`)")
    which.add_argument("--last", type=_positive, metavar="N", help="progress over the last N takes")
    which.add_argument("--since", type=_day, metavar="DATE",
                       help="progress over the takes since DATE (YYYY-MM-DD)")
    which.add_argument("--kiosk", type=_day, metavar="DATE",
                       help="a kiosk day for staff: numbers only, never words")
    p.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT, metavar="FILE",
                   help=f"where to write the page (default {DEFAULT_OUT})")
    p.add_argument("--db", type=Path, metavar="FILE",
                   help="the history file to read (default: your own)")
    p.set_defaults(func=run)


def run(args) -> int:
    from heard.report.page import check_writable, write_page
    from heard.store.history import History, default_path

    check_writable(args.output)
    path = args.db or default_path()
    if not path.is_file():  # don't create an empty database just to look at it
        raise HeardError(_empty(args) if args.db is None else f"no history file at {path}")
    with History(path) as h:
        page = _page(args, h)
    write_page(args.output, page)
    print(args.output)
    return 0


def _empty(args) -> str:
    from heard.report.page import load_wording

    w = load_wording()
    if args.kiosk is not None:
        return w.get("kiosk", "empty", date=args.kiosk.isoformat())
    return w.get("progress", "empty")


def _page(args, h) -> str:
    from heard.report.records import day_bounds, is_retry, local_day, take_from_record

    if args.take is not None:
        from heard.report.takepage import session_page, take_page

        rec = h.get(args.take)
        if rec is None:
            raise HeardError(f"there is no take #{args.take}; `heard history` lists the ids")
        earlier = h.between(end=rec.created, limit=1)
        prev = earlier[-1] if earlier else None
        when = f"#{rec.id} · {local_day(rec.created)}"
        if prev is not None and is_retry(prev, rec):
            return session_page([(take_from_record(prev), False), (take_from_record(rec), True)],
                                when=when)
        return take_page(take_from_record(rec), when=when)
    if args.kiosk is not None:
        from heard.report.kioskday import kiosk_page

        takes = h.between(*day_bounds(args.kiosk))
        if not takes:
            raise HeardError(_empty(args))
        return kiosk_page(args.kiosk.isoformat(), takes)
    from heard.report.progress import progress_page

    if args.last is not None:
        takes = list(reversed(h.recent(args.last)))
    elif args.since is not None:
        takes = h.between(start=day_bounds(args.since)[0])
    else:
        takes = h.between()
    if not takes:
        raise HeardError(_empty(args))
    return progress_page(takes)
