"""Private local history of takes, in one SQLite file only the user can read.

Why SQLite: one file, atomic commits (a take is saved whole or not at all,
even if the process is killed), and WAL mode lets ``heard history`` read while
a practice session writes. Everything stays on this machine: the directory is
0700 and the database with its ``-wal``/``-shm`` companions 0600. Anonymous
mode keeps the numbers (metrics, finding ids, latency) but never the parent's
words, the feedback text or audio.

A history that cannot be opened must never stop practice:
``open_history_or_warn`` prints one line and returns None so the session runs
without saving.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from heard.analysis.findings import CATALOGUE
from heard.core.errors import HeardError
from heard.core.paths import ensure_private_dir, language_dir, read_toml, user_data_dir
from heard.core.safeio import shown

DB_NAME = "history.sqlite3"
AUDIO_DIR_NAME = "audio"
# Long enough to ride out another heard process saving a take (milliseconds
# of work); short enough that a stuck lock turns into a warning, not a hang.
DEFAULT_TIMEOUT_S = 3.0
_COMPANIONS = ("-wal", "-shm", "-journal")
REPORT_LIMIT = 5000  # takes on one report page: months of daily practice, still a small page

# Schema migrations: entry N (0-based) takes the database from version N to
# N+1. Append new entries; never edit a released one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE takes (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids never reused after forget
            session_id TEXT,
            scenario TEXT NOT NULL,
            created TEXT NOT NULL,                 -- ISO-8601 UTC, ...Z
            transcript TEXT,                       -- NULL: not kept (anonymous)
            feedback TEXT NOT NULL DEFAULT '',
            details TEXT NOT NULL DEFAULT '[]',    -- JSON list of strings
            metrics TEXT NOT NULL DEFAULT '{}',    -- JSON: pacing + tone objects
            latency TEXT NOT NULL DEFAULT '{}',    -- JSON: stamps in seconds
            audio_path TEXT
        )""",
        "CREATE INDEX takes_created ON takes (created, id)",
        """CREATE TABLE take_findings (
            take_id INTEGER NOT NULL REFERENCES takes (id) ON DELETE CASCADE,
            pos INTEGER NOT NULL,
            finding TEXT NOT NULL,
            PRIMARY KEY (take_id, pos)
        )""",
    ),
)


class HistoryUnavailable(HeardError):
    """The history database cannot be used right now (locked, unwritable)."""


class HistoryCorrupt(HistoryUnavailable):
    """The history file is not a readable SQLite database."""


class NotYetForgotten(HeardError):
    """The takes are deleted, but their words are still somewhere on disk.

    ``forget`` raises this rather than claim success: the user asked for the
    words to be gone, and they are not yet (another program is reading the
    history, or the disk is full). ``str()`` says why and what to do.
    """


# Row ids SQLite can hold; a take id outside this is no take at all.
MAX_ROW_ID = 2 ** 63 - 1


def _row_record(r, findings: list[str]) -> TakeRecord:
    """A stored row as a record; ValueError/TypeError if the row was damaged or tampered."""
    take_id, session_id, scenario, created, transcript, feedback, details, metrics, latency, audio = r
    if not isinstance(scenario, str) or not scenario:
        raise ValueError("scenario is not text")
    if not isinstance(created, str):
        raise ValueError("created is not text")
    created = _normalise_created(created)  # ValueError for 'yesterday'
    if transcript is not None and not isinstance(transcript, str):
        raise ValueError("transcript is not text")
    if not isinstance(feedback, str):
        raise ValueError("feedback is not text")
    if session_id is not None and not isinstance(session_id, str):
        raise ValueError("session id is not text")
    if audio is not None and not isinstance(audio, str):
        raise ValueError("audio path is not text")
    details, metrics, latency = (_json_field(details, list), _json_field(metrics, dict),
                                 _json_field(latency, dict))
    if not all(isinstance(d, str) for d in details):
        raise ValueError("details are not text")
    return TakeRecord(id=take_id, session_id=session_id, scenario=scenario, created=created,
                      transcript=transcript, feedback=feedback, details=details, metrics=metrics,
                      latency=latency, audio_path=audio, findings=findings)


def _json_field(text, kind: type):
    if not isinstance(text, str):
        raise ValueError("a JSON field is not text")
    value = json.loads(text)  # json.JSONDecodeError is a ValueError
    if not isinstance(value, kind):
        raise ValueError(f"a JSON field is not a {kind.__name__}")
    return value


@dataclass
class TakeRecord:
    """One saved take: what was said, what was found, how fast we answered."""

    scenario: str
    created: str  # ISO-8601 UTC
    transcript: str | None
    metrics: dict  # {"pacing": {...}, "tone": {...}}
    findings: list[str]  # finding ids
    feedback: str
    details: list[str] = field(default_factory=list)
    latency: dict = field(default_factory=dict)  # stamps in seconds
    audio_path: str | None = None
    session_id: str | None = None
    id: int | None = None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Trend:
    """How often one finding came up lately, against the takes before."""

    finding: str
    count: int  # takes with this finding among the latest ones
    takes: int  # how many latest takes were looked at (<= window)
    before: int  # takes with this finding in the window before
    before_takes: int  # how many takes that earlier window holds (0: none yet)

    @property
    def kind(self) -> str | None:
        entry = CATALOGUE.get(self.finding)
        return entry[0] if entry else None

    @property
    def direction(self) -> str | None:
        """"up", "down" or "same" by rate; None with nothing to compare."""
        if not self.before_takes or not self.takes:
            return None
        now, then = self.count * self.before_takes, self.before * self.takes
        return "up" if now > then else "down" if now < then else "same"

    def to_json(self) -> dict:
        return {**asdict(self), "kind": self.kind, "direction": self.direction}


def compute_trends(take_findings: list[list[str]], window: int = 10) -> list[Trend]:
    """Trends from finding ids per take, newest take first.

    Each finding counts once per take. Sorted by how often it came up lately,
    then by how often before, then in catalogue order.
    """
    if window < 1:
        raise ValueError("window must be at least 1")
    latest, earlier = take_findings[:window], take_findings[window:2 * window]
    now = Counter(f for fs in latest for f in set(fs))
    then = Counter(f for fs in earlier for f in set(fs))
    order = {fid: i for i, fid in enumerate(CATALOGUE)}
    trends = [Trend(f, now[f], len(latest), then[f], len(earlier)) for f in now | then]
    trends.sort(key=lambda t: (-t.count, -t.before, order.get(t.finding, len(order)), t.finding))
    return trends


def utc_now() -> str:
    """The current time in the form ``created`` is stored in."""
    return _iso(datetime.now(UTC))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _normalise_created(created: str) -> str:
    """One UTC spelling, so text order is time order in the database."""
    moment = datetime.fromisoformat(created)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return _iso(moment)


def default_path() -> Path:
    return user_data_dir() / DB_NAME


def _unavailable(path: Path, exc: Exception) -> HistoryUnavailable:
    """Turn a low-level failure into one line the user can act on."""
    msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    if isinstance(exc, OSError):
        return HistoryUnavailable(f"cannot open the history at {shown(path)}: {exc.strerror or msg}")
    low = msg.lower()
    if _is_full(exc) or ("i/o" in low and _disk_full(path)):
        return HistoryUnavailable(f"the disk is full, so the history at {path} cannot be changed "
                                  f"({msg}); free some space and try again")
    if "locked" in low or "busy" in low:
        return HistoryUnavailable(f"the history at {path} is in use by another heard ({msg})")
    damaged = "malformed" in low or "not a database" in low
    if damaged or type(exc) is sqlite3.DatabaseError:
        return HistoryCorrupt(
            f"the history file {path} is damaged ({msg}); `heard forget` replaces it with a fresh one")
    return HistoryUnavailable(f"the history at {path} cannot be used ({msg})")


class History:
    """The take history. Methods raise ``HistoryUnavailable`` on failure."""

    def __init__(self, path: Path | None = None, *, anonymous: bool = False,
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.anonymous = anonymous
        self.skipped: list[int] = []  # ids of damaged rows that reads left out
        self._lock = threading.RLock()
        try:
            self._conn = self._connect(timeout)
        except (sqlite3.Error, OSError) as exc:
            raise _unavailable(self.path, exc) from None
        try:
            self._migrate()
        except sqlite3.Error as exc:
            self._conn.close()
            raise _unavailable(self.path, exc) from None
        except HistoryUnavailable:
            self._conn.close()
            raise

    def _connect(self, timeout: float) -> sqlite3.Connection:
        ensure_private_dir(self.path.parent)
        old = os.umask(0o077)
        try:
            # Create the file 0600 ourselves: sqlite would honour the umask,
            # and gives -wal/-shm the database file's mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
            conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
                conn.execute("PRAGMA journal_mode = WAL").fetchone()
                conn.execute("PRAGMA synchronous = FULL")
                conn.execute("PRAGMA foreign_keys = ON")
                # Deleted rows are overwritten with zeros, not left in free pages.
                conn.execute("PRAGMA secure_delete = ON")
            except sqlite3.Error:
                conn.close()
                raise
        finally:
            os.umask(old)
        self._tighten_companions()
        return conn

    def _tighten_companions(self) -> None:
        for suffix in _COMPANIONS:
            try:
                os.chmod(f"{self.path}{suffix}", 0o600)
            except OSError:
                pass

    def _migrate(self) -> None:
        """Bring the schema up to date; also proves we can write (a lock shows here)."""
        with self._tx() as c:
            c.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = c.execute("SELECT version FROM schema_version").fetchone()
            version = row[0] if row else 0
            if row is None:
                c.execute("INSERT INTO schema_version (version) VALUES (0)")
            if version > len(MIGRATIONS):
                raise HistoryUnavailable(
                    f"the history at {self.path} is from a newer heard (schema {version}); "
                    "update heard to use it")
            for step in MIGRATIONS[version:]:
                for statement in step:
                    c.execute(statement)
            if version != len(MIGRATIONS):  # nothing written when up to date (a full disk opens)
                c.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is saved, or none of it."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            with self._lock:
                yield
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from None

    # -- public interface -------------------------------------------------

    def add(self, rec: TakeRecord) -> int:
        """Save one take in a single transaction; returns its id."""
        created = _normalise_created(rec.created)
        transcript, feedback, details, audio = self._kept(rec)
        with self._guard(), self._tx() as c:
            cur = c.execute(
                "INSERT INTO takes (session_id, scenario, created, transcript, feedback,"
                " details, metrics, latency, audio_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.session_id, rec.scenario, created, transcript, feedback,
                 json.dumps(list(details)), json.dumps(rec.metrics), json.dumps(rec.latency),
                 audio))
            take_id = cur.lastrowid
            assert take_id is not None  # set by a successful INSERT
            c.executemany("INSERT INTO take_findings (take_id, pos, finding) VALUES (?, ?, ?)",
                          [(take_id, i, f) for i, f in enumerate(rec.findings)])
        return take_id

    def replace(self, take_id: int, rec: TakeRecord) -> int:
        """Overwrite a saved take with ``rec`` in one transaction, keeping its id
        and creation time ("I wasn't finished": the take went on and was judged
        again as one). A take that is gone (forgotten meanwhile) is added anew;
        returns the id that holds it. A kept recording it replaces is deleted."""
        transcript, feedback, details, audio = self._kept(rec)
        with self._guard(), self._tx() as c:
            row = c.execute("SELECT audio_path FROM takes WHERE id = ?", (take_id,)).fetchone()
            if row is not None:
                c.execute(
                    "UPDATE takes SET scenario = ?, transcript = ?, feedback = ?, details = ?,"
                    " metrics = ?, latency = ?, audio_path = ? WHERE id = ?",
                    (rec.scenario, transcript, feedback, json.dumps(list(details)),
                     json.dumps(rec.metrics), json.dumps(rec.latency), audio, take_id))
                c.execute("DELETE FROM take_findings WHERE take_id = ?", (take_id,))
                c.executemany("INSERT INTO take_findings (take_id, pos, finding) VALUES (?, ?, ?)",
                              [(take_id, i, f) for i, f in enumerate(rec.findings)])
        if row is None:
            return self.add(rec)
        if isinstance(row[0], str) and row[0] != audio:
            self._remove_audio(row[0])
        return take_id

    def recent(self, limit: int = 20, scenario: str | None = None) -> list[TakeRecord]:
        """The latest takes, newest first; damaged rows are left out (ids in ``skipped``)."""
        limit = max(0, min(int(limit), MAX_ROW_ID))
        where, params = ("WHERE scenario = ?", [scenario]) if scenario else ("", [])
        with self._guard():
            rows = self._conn.execute(
                "SELECT id, session_id, scenario, created, transcript, feedback, details,"
                f" metrics, latency, audio_path FROM takes {where}"
                " ORDER BY created DESC, id DESC LIMIT ?", (*params, limit)).fetchall()
            found = self._findings_for([r[0] for r in rows])
        out = []
        for r in rows:
            try:
                out.append(_row_record(r, found.get(r[0], [])))
            except (ValueError, TypeError, RecursionError):
                self.skipped.append(r[0])
        # A hand-edited 'created' sorts as text; order by the parsed time instead.
        out.sort(key=lambda t: (t.created, t.id or 0), reverse=True)
        return out

    def trends(self, window: int = 10) -> list[Trend]:
        """Per finding: how many of the last ``window`` takes had it, vs the ``window`` before."""
        window = max(1, min(int(window), 10_000))
        with self._guard():
            ids = [r[0] for r in self._conn.execute(
                "SELECT id FROM takes ORDER BY created DESC, id DESC LIMIT ?", (2 * window,))]
            found = self._findings_for(ids)
        return compute_trends([found.get(i, []) for i in ids], window)

    # -- read-only queries for report pages -----------------------------------

    def get(self, take_id: int) -> TakeRecord | None:
        """One take by id, or None when there is no such take."""
        found = self._select("WHERE id = ?", [take_id], "id", 1)
        return found[0] if found else None

    def between(self, start: str | None = None, end: str | None = None,
                limit: int = REPORT_LIMIT) -> list[TakeRecord]:
        """Takes created in [start, end) (ISO times, either may be None), oldest first.

        At most ``limit`` takes (the newest of them), so a page stays bounded.
        """
        clauses, params = [], []
        if start is not None:
            clauses.append("created >= ?")
            params.append(_normalise_created(start))
        if end is not None:
            clauses.append("created < ?")
            params.append(_normalise_created(end))
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        return list(reversed(self._select(where, params, "created DESC, id DESC", limit)))

    def _select(self, where: str, params: list, order: str, limit: int) -> list[TakeRecord]:
        with self._guard():
            rows = self._conn.execute(
                "SELECT id, session_id, scenario, created, transcript, feedback, details,"
                f" metrics, latency, audio_path FROM takes {where} ORDER BY {order} LIMIT ?",
                (*params, limit)).fetchall()
            found = self._findings_for([r[0] for r in rows])
        return [TakeRecord(id=r[0], session_id=r[1], scenario=r[2], created=r[3], transcript=r[4],
                           feedback=r[5] or "", details=_json_or(r[6], []),
                           metrics=_json_or(r[7], {}), latency=_json_or(r[8], {}),
                           audio_path=r[9], findings=found.get(r[0], []))
                for r in rows]

    def count(self) -> int:
        with self._guard():
            return self._conn.execute("SELECT count(*) FROM takes").fetchone()[0]

    def forget(self, take_id: int) -> bool:
        """Delete one take and its kept audio; False if there is no such take.

        Raises ``NotYetForgotten`` when the row is gone but its words may
        still be on disk (see ``scrub``).
        """
        if not 0 < take_id <= MAX_ROW_ID:
            return False
        with self._guard():
            self._free_wal()
            with self._tx() as c:
                row = c.execute("SELECT audio_path FROM takes WHERE id = ?", (take_id,)).fetchone()
                if row is None:
                    return False
                c.execute("DELETE FROM takes WHERE id = ?", (take_id,))
            self._remove_audio(row[0] if isinstance(row[0], str) else None)
        self.scrub(vacuum=False)
        return True

    def forget_all(self) -> int:
        """Delete every take and every kept recording; returns how many takes went.

        Raises ``NotYetForgotten`` when the rows are gone but words may still
        be on disk; calling it again later finishes the job.
        """
        with self._guard():
            self._free_wal()
            with self._tx() as c:
                n = c.execute("SELECT count(*) FROM takes").fetchone()[0]
                paths = [r[0] for r in c.execute("SELECT audio_path FROM takes")]
                c.execute("DELETE FROM takes")
                c.execute("DELETE FROM take_findings")
            for p in paths:
                self._remove_audio(p if isinstance(p, str) else None)
            _clear_dir(self.path.parent / AUDIO_DIR_NAME)
        self.scrub(vacuum=True)
        return n

    def scrub(self, vacuum: bool = True) -> None:
        """Make sure deleted words are nowhere on disk, or say why they still are.

        ``secure_delete`` zeroes deleted content in the pages it rewrites; the
        old page images live on in the WAL, and in the main file too while
        another connection's read transaction still needs them, until a
        TRUNCATE checkpoint completes. A checkpoint that reports "busy" means
        exactly that, and is raised as ``NotYetForgotten``.
        """
        with self._lock:
            if vacuum:
                try:
                    self._conn.execute("VACUUM")  # also drops free pages; needs free space
                except sqlite3.Error as exc:
                    if not _is_full(exc) and not _is_busy(exc):
                        raise _unavailable(self.path, exc) from None
            try:
                busy, _, _ = self._checkpoint()
            except sqlite3.Error as exc:
                if _is_full(exc):
                    raise NotYetForgotten(_FULL) from None
                if _is_busy(exc):
                    busy = 1
                else:
                    raise _unavailable(self.path, exc) from None
            if busy:
                raise NotYetForgotten(_BUSY)

    def _free_wal(self) -> None:
        """Empty the WAL first where possible: on a full disk this is what makes
        room for the delete itself."""
        try:
            self._checkpoint()
        except sqlite3.Error:
            pass

    def audio_dir(self) -> Path:
        """Where ``--keep-audio`` recordings go: beside the database, 0700."""
        return ensure_private_dir(self.path.parent / AUDIO_DIR_NAME)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- helpers ------------------------------------------------------------

    def _kept(self, rec: TakeRecord) -> tuple[str | None, str, list[str], str | None]:
        """(transcript, feedback, details, audio path) as this history keeps them:
        an anonymous one keeps none of them (and deletes the recording)."""
        if self.anonymous:
            self._remove_audio(rec.audio_path)
            return None, "", [], None
        return rec.transcript, rec.feedback, list(rec.details), rec.audio_path

    def _findings_for(self, ids: list[int]) -> dict[int, list[str]]:
        found: dict[int, list[str]] = {}
        for i in range(0, len(ids), 500):  # SQLite caps the number of ? in one query
            part = ids[i: i + 500]
            marks = ",".join("?" * len(part))
            for take_id, finding in self._conn.execute(
                    f"SELECT take_id, finding FROM take_findings WHERE take_id IN ({marks})"
                    " ORDER BY take_id, pos", part):
                if isinstance(finding, str):  # a tampered blob or number is no finding
                    found.setdefault(take_id, []).append(finding)
        return found

    def _checkpoint(self) -> tuple[int, int, int]:
        """Copy the WAL into the database and empty it, so old pages don't linger.

        Returns SQLite's (busy, wal frames, checkpointed frames); busy 1 means
        a reader kept it from finishing.
        """
        return tuple(self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone())

    def _remove_audio(self, audio_path: str | None) -> None:
        """Delete a kept recording, but only one inside our audio folder."""
        if not audio_path:
            return
        audio = Path(audio_path).resolve()
        if audio.is_relative_to((self.path.parent / AUDIO_DIR_NAME).resolve()):
            audio.unlink(missing_ok=True)


def _json_or(text, default):
    """A JSON column, or ``default`` when the row holds something else (a damaged row)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return default
    return value if isinstance(value, type(default)) else default


_BUSY = ("another program is reading the history right now (another heard, or a database "
         "viewer), so the deleted words are still in its files on disk; close it and run "
         "`heard forget --yes` again to finish")
_FULL = ("the disk is full, so the deleted words could not be wiped from the history's files "
         "yet; free some space and run `heard forget --yes` again to finish")


def _is_full(exc: Exception) -> bool:
    return getattr(exc, "sqlite_errorcode", None) == 13 or "full" in str(exc).lower()


def _disk_full(path: Path) -> bool:
    """SQLite reports some full-disk failures (the -shm file) as plain I/O errors."""
    try:
        return shutil.disk_usage(path.parent).free < 256 * 1024
    except OSError:
        return False


def _is_busy(exc: Exception) -> bool:
    low = str(exc).lower()
    return getattr(exc, "sqlite_errorcode", None) in (5, 6) or "locked" in low or "busy" in low


def _clear_dir(folder: Path) -> None:
    if folder.is_dir():
        for p in folder.iterdir():
            if p.is_file() or p.is_symlink():
                p.unlink(missing_ok=True)


def wipe(path: Path | None = None) -> None:
    """Remove a history that cannot be opened (damaged file) and its recordings."""
    path = Path(path) if path is not None else default_path()
    for suffix in ("", *_COMPANIONS):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    _clear_dir(path.parent / AUDIO_DIR_NAME)


def open_history_or_warn(path: Path | None = None, *, anonymous: bool = False,
                         timeout: float = DEFAULT_TIMEOUT_S, stream=None) -> History | None:
    """The history, or None after a one-line warning: practice goes on unsaved."""
    try:
        return History(path, anonymous=anonymous, timeout=timeout)
    except HistoryUnavailable as exc:
        print(f"heard: {exc}; takes in this session won't be saved.",
              file=stream if stream is not None else sys.stderr)
        return None


# -- wording -------------------------------------------------------------------

_SENTENCE_KEYS = ("trend", "trend_one", "up", "down", "same", "empty",
                  "transcript_not_kept", "silence", "takes_heading", "trends_heading")
_SAMPLE = {"phrase": "x", "count": 1, "takes": 2, "before": "1"}


@dataclass(frozen=True)
class Wording:
    """Editable wording from prompts/en/history.toml."""

    sentences: dict[str, str]
    phrases: dict[str, str]

    def phrase(self, finding: str) -> str:
        return self.phrases.get(finding) or finding.replace("_", " ")

    def trend_sentence(self, t: Trend) -> str:
        key = "trend" if t.takes != 1 else "trend_one"
        text = self.sentences[key].format(phrase=self.phrase(t.finding), count=t.count,
                                          takes=t.takes)
        if t.direction is None:
            return text
        before = str(t.before) if t.before_takes == t.takes else f"{t.before} of {t.before_takes}"
        return f"{text}, {self.sentences[t.direction].format(before=before)}"


def load_wording(path: Path | None = None) -> Wording:
    """Read and check the wording file; a mistake in it is one clear line."""
    path = path or language_dir() / "history.toml"
    data = read_toml(path, "wording file")
    sentences, phrases = data.get("sentences", {}), data.get("phrases", {})
    for key in _SENTENCE_KEYS:
        if not isinstance(sentences.get(key), str):
            raise HeardError(f"wording file {path.name}: [sentences] needs a text `{key}`")
        try:
            sentences[key].format(**_SAMPLE)
        except (KeyError, IndexError, ValueError) as exc:
            raise HeardError(f"wording file {path.name}: [sentences] {key} has a bad "
                             f"placeholder ({exc}); use {{phrase}}, {{count}}, {{takes}}, {{before}}") from None
    return Wording(dict(sentences), {k: str(v) for k, v in phrases.items()})
