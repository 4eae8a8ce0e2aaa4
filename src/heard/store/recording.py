"""Saving takes into the private history, from the session's ``on_take`` hook.

Saving is a side line of practice, never its master: a history that is
locked, full or damaged costs one warning line and the session goes on.
Three modes, chosen by whoever runs heard: ``off`` (a kiosk's default: a
parent centre keeps nothing), ``anonymous`` (numbers and finding ids only,
for the centre's own statistics) and ``full`` (a private home practice).
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from heard.audio.wavio import write_wav
from heard.core.errors import HeardError
from heard.core.settings import RATE
from heard.store.history import History, TakeRecord, open_history_or_warn, utc_now

MODES = ("off", "anonymous", "full")


@dataclass(frozen=True)
class RecordingSettings:
    mode: str = "full"  # one of MODES
    # Keep each take's audio beside the history (full mode only): useful for
    # listening back at home, never wanted in a shared place.
    keep_audio: bool = False
    path: Path | None = None  # the history database; None = the user's default

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise HeardError(f"history mode {self.mode!r} is not one of {', '.join(MODES)}")


def take_record(analysis, latency: dict | None = None, *, session_id: str | None = None,
                audio_path: str | None = None, anonymous: bool = False,
                created: str | None = None, detail: dict | None = None) -> TakeRecord:
    """A history row from one analysed take (pure: no I/O).

    Anonymous records drop everything the parent said or heard about it
    (transcript, feedback, audio) and keep the numbers and finding ids.
    ``detail`` (the report JSON: timed words, quoted findings, timeline) is
    kept for a full history only, so ``heard report --take`` can draw it.
    """
    stamps = {k: round(float(v), 3) for k, v in (latency or analysis.latency or {}).items()
              if isinstance(v, (int, float)) and not isinstance(v, bool)}
    text = analysis.transcript.text if analysis.transcript is not None else ""
    return TakeRecord(
        scenario=analysis.scenario.id,
        created=created or utc_now(),
        transcript=None if anonymous else text,
        metrics={"pacing": analysis.pacing.to_json(), "tone": dict(analysis.tone),
                 **({"detail": _detail(detail)} if detail and not anonymous else {})},
        findings=[f.id for f in analysis.findings],
        feedback="" if anonymous else analysis.feedback.spoken,
        details=[] if anonymous else list(analysis.feedback.details),
        latency=stamps,
        audio_path=None if anonymous else audio_path,
        session_id=session_id,
    )


def _detail(report: dict) -> dict:
    """What a take page needs beyond the metrics: words, quoted findings, timeline."""
    return {"words": report.get("transcript", {}).get("words", []),
            "findings": report.get("findings", []), "unclear": report.get("unclear", False),
            **({"timeline": report["timeline"]} if "timeline" in report else {})}


def _report(analysis, samples) -> dict | None:
    """The take's report JSON for a page later; never stops the take being saved."""
    if not hasattr(analysis, "to_json"):
        return None
    from heard.analysis.take import report_json

    try:
        return report_json(analysis, None if samples is None else np.asarray(samples))
    except (ValueError, TypeError, AttributeError):
        return analysis.to_json()


class TakeRecorder:
    """Callable for ``PracticeSession.on_take``: saves each take, never raises.

    ``samples`` (16 kHz mono int16) is only needed for ``keep_audio``; the
    hook may pass them as a third argument or on ``analysis.samples``.
    """

    def __init__(self, history: History | None, *, keep_audio: bool = False,
                 session_id: str | None = None, stream=None) -> None:
        self.history = history
        self.keep_audio = keep_audio and history is not None and not history.anonymous
        self.session_id = session_id or uuid.uuid4().hex[:12]
        self.stream = stream
        self.saved: list[int] = []  # ids of the takes saved by this recorder
        self.failures = 0

    @classmethod
    def open(cls, settings: RecordingSettings, stream=None) -> TakeRecorder:
        """A recorder for ``settings``; with mode ``off`` (or an unusable history) it saves nothing."""
        history = None
        if settings.mode != "off":
            history = open_history_or_warn(settings.path, anonymous=settings.mode == "anonymous",
                                           stream=stream)
        return cls(history, keep_audio=settings.keep_audio, stream=stream)

    @property
    def active(self) -> bool:
        return self.history is not None

    def __call__(self, analysis, latency: dict | None = None, samples=None,
                 continues: bool = False) -> int | None:
        """Save a take; ``continues``: it is the last take gone on after "I wasn't
        finished", so it replaces that row (one answer, one row, one feedback)."""
        if self.history is None:
            return None
        if samples is None:
            samples = getattr(analysis, "samples", None)
        audio = self._save_audio(samples) if self.keep_audio and samples is not None else None
        rec = take_record(analysis, latency, session_id=self.session_id, audio_path=audio,
                          anonymous=self.history.anonymous,
                          detail=None if self.history.anonymous else _report(analysis, samples))
        try:
            if continues and self.saved:
                take_id = self.history.replace(self.saved[-1], rec)
                self.saved.pop()
            else:
                take_id = self.history.add(rec)
        except HeardError as exc:
            self.failures += 1
            if audio:
                Path(audio).unlink(missing_ok=True)  # no orphan recording without its row
            self._warn(f"this take was not saved ({exc}); practice goes on")
            return None
        self.saved.append(take_id)
        return take_id

    def _save_audio(self, samples: ArrayLike) -> str | None:
        assert self.history is not None  # keep_audio is only set with a history
        try:
            folder = self.history.audio_dir()
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path = folder / f"take-{stamp}-{self.session_id}-{len(self.saved) + 1}.wav"
            write_wav(path, np.asarray(samples), RATE, mode=0o600)
            os.chmod(path, 0o600)
        except OSError as exc:
            self.failures += 1
            self._warn(f"the take's audio was not kept ({exc.strerror or exc})")
            return None
        return str(path)

    def _warn(self, text: str) -> None:
        print(f"heard: {text}", file=self.stream if self.stream is not None else sys.stderr,
              flush=True)

    def close(self) -> None:
        if self.history is not None:
            self.history.close()
            self.history = None
