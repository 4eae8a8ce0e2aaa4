"""History rows in the shape of the take JSON, so the page draws them like any take."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from heard.analysis.findings import CATALOGUE
from heard.store.history import TakeRecord


def take_from_record(rec: TakeRecord) -> dict[str, Any]:
    """The ``heard analyse --json`` dict for a saved take, as far as the history holds it.

    A full history keeps a ``detail`` object (timed words, quoted findings,
    timeline); an anonymous one keeps numbers and finding ids only, and the
    page then shows no words at all.
    """
    metrics: dict[str, Any] = rec.metrics if isinstance(rec.metrics, dict) else {}
    raw_detail = metrics.get("detail")
    detail: dict[str, Any] = raw_detail if isinstance(raw_detail, dict) else {}
    anonymous = rec.transcript is None
    findings = detail.get("findings") if not anonymous else None
    if not (isinstance(findings, list) and all(isinstance(f, dict) for f in findings)
            and [f.get("id") for f in findings] == rec.findings):
        findings = [{"id": f, "kind": CATALOGUE.get(f, ("concern", "word_choice"))[0],
                     "area": CATALOGUE.get(f, ("concern", "word_choice"))[1],
                     "evidence": "", "start": None, "end": None} for f in rec.findings]
    words = [] if anonymous else [w for w in detail.get("words") or []
                                  if isinstance(w, dict) and isinstance(w.get("word"), str)]
    if not anonymous and not words and rec.transcript:
        words = [{"word": w, "start": None, "end": None, "conf": 1.0}
                 for w in rec.transcript.split()]
    take = {
        "scenario": rec.scenario,
        "transcript": {"text": "" if anonymous else rec.transcript, "words": words},
        "pacing": _numbers(metrics.get("pacing")),
        "tone": _numbers(metrics.get("tone")),
        "findings": findings,
        "feedback": {"spoken": rec.feedback or "", "details": list(rec.details or [])},
        "unclear": bool(detail.get("unclear", False)),
        "id": rec.id,
        "created": rec.created,
        "anonymous": anonymous,
    }
    if _timeline_ok(detail.get("timeline")):
        take["timeline"] = detail["timeline"]
    elif not detail:
        take["old"] = True
    return take


def _numbers(obj) -> dict:
    """The numeric (or null, or yes/no) fields of a metrics object; anything else is dropped."""
    if not isinstance(obj, dict):
        return {}
    return {k: v for k, v in obj.items()
            if v is None or isinstance(v, (bool, int, float))}


def _timeline_ok(tl) -> bool:
    """A timeline the page can draw (a damaged row is shown without one, not as a traceback)."""
    if not isinstance(tl, dict):
        return False
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
    tracks_ok = all(isinstance(tl.get(k), list) and all(v is None or num(v) for v in tl[k])
                    for k in ("pitch_st", "loudness_db"))
    segs_ok = isinstance(tl.get("segments"), list) and all(
        isinstance(s, list) and len(s) == 2 and all(num(v) for v in s) for s in tl["segments"])
    calm = tl.get("calm")
    calm_ok = calm is None or (isinstance(calm, dict) and all(
        isinstance(calm.get(k), list) and len(calm[k]) == 2 and all(num(v) for v in calm[k])
        for k in ("pitch_st", "loudness_db")))
    return (tracks_ok and segs_ok and calm_ok and num(tl.get("step_s")) and tl["step_s"] > 0
            and num(tl.get("duration_s")) and (tl.get("end_of_turn") is None or num(tl["end_of_turn"])))


def is_retry(prev: TakeRecord | None, rec: TakeRecord) -> bool:
    """A take right after one of the same scenario in the same session: a try-again."""
    return (prev is not None and prev.session_id is not None
            and prev.session_id == rec.session_id and prev.scenario == rec.scenario)


def local_day(created: str) -> str:
    """The local calendar day of a stored UTC time, as YYYY-MM-DD."""
    return datetime.fromisoformat(created).astimezone().date().isoformat()


def day_bounds(day: date) -> tuple[str, str]:
    """The UTC start and end (ISO) of one local calendar day."""
    start = datetime.combine(day, time.min).astimezone()
    end = datetime.combine(day + timedelta(days=1), time.min).astimezone()
    return (start.astimezone(UTC).isoformat(), end.astimezone(UTC).isoformat())
