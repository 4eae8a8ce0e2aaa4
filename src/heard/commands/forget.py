"""``heard forget``: delete saved takes and kept recordings from this machine."""

from __future__ import annotations

import sys

from heard.core.errors import HeardError
from heard.core.safeio import whole_number
from heard.store.history import (
    AUDIO_DIR_NAME,
    MAX_ROW_ID,
    History,
    HistoryCorrupt,
    HistoryUnavailable,
    NotYetForgotten,
    default_path,
    wipe,
)


def _take_id(text: str) -> int:
    return whole_number(text, 1, MAX_ROW_ID, "a take id (as `heard history` shows)")


REPORTS_DIR_NAME = "reports"


def register(sub) -> None:
    p = sub.add_parser("forget", help="delete your saved takes and recordings")
    p.add_argument("--take", type=_take_id, metavar="ID",
                   help="delete only this take (ids are in `heard history`)")
    p.add_argument("--yes", action="store_true", help="delete everything without asking")
    p.set_defaults(func=run)


def run(args) -> int:
    path = default_path()
    if args.take is not None:
        return _forget_one(path, args.take)
    audio = path.parent / AUDIO_DIR_NAME
    reports = path.parent / REPORTS_DIR_NAME  # pages `heard practice --report` wrote
    recordings = any(d.is_dir() and any(d.iterdir()) for d in (audio, reports))
    if not path.exists() and not recordings:
        return _nothing()
    try:
        with History(path) as h:
            n = h.count()
            if n == 0 and not recordings:
                h.scrub()  # a forget that could not finish earlier finishes now
                return _nothing()
            if not _confirm(args.yes, f"Delete all {n} saved takes and any kept recordings?"):
                return _declined()
            try:
                h.forget_all()
            except NotYetForgotten as exc:
                _clear_reports(reports)
                raise NotYetForgotten(f"deleted {n} take{'s' if n != 1 else ''} from the history, "
                                      f"but {exc}") from None
        _clear_reports(reports)
    except HistoryCorrupt:
        return _forget_damaged(path, args.yes, reports)
    except HistoryUnavailable as exc:
        raise HistoryUnavailable(f"nothing was deleted: {exc}") from None
    print(f"Deleted {n} take{'s' if n != 1 else ''} and any kept recordings.")
    return 0


def _clear_reports(folder) -> None:
    """Session report pages hold the takes' words: they go with the history."""
    if folder.is_dir():
        for page in folder.glob("*.html"):
            page.unlink(missing_ok=True)


def _forget_damaged(path, yes: bool, reports) -> int:
    if not _confirm(yes, f"The history file {path} is damaged. Delete it and any kept recordings?"):
        return _declined()
    wipe(path)
    _clear_reports(reports)
    print("Deleted the damaged history; a fresh one starts with your next take.")
    return 0


def _forget_one(path, take_id: int) -> int:
    not_found = HeardError(f"no saved take with id {take_id}; `heard history` lists them")
    if not path.exists():
        raise not_found
    try:
        h = History(path)
    except HistoryUnavailable as exc:
        raise HistoryUnavailable(f"nothing was deleted: {exc}") from None
    with h:
        try:
            if not h.forget(take_id):
                raise not_found
        except NotYetForgotten as exc:
            raise NotYetForgotten(f"deleted take #{take_id} from the history, but {exc}") from None
    print(f"Deleted take #{take_id}.")
    return 0


def _confirm(yes: bool, question: str) -> bool:
    """Ask y/N on stderr; no answer (EOF, no stdin) means no."""
    if yes:
        return True
    print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
    try:
        answer = sys.stdin.readline() if sys.stdin else ""
    except (OSError, ValueError):
        answer = ""
    if not answer.endswith("\n"):
        print(file=sys.stderr)  # end the prompt line when there was no answer
    return answer.strip().lower() in ("y", "yes")


def _nothing() -> int:
    print("Nothing saved, so nothing to delete.")
    return 0


def _declined() -> int:
    print("Nothing deleted.", file=sys.stderr)
    return 1
