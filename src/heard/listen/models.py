"""Finding, checking and downloading vosk models.

heard never lets vosk download on its own (``Model(lang=...)`` fetches at run
time): a model is either found on disk by ``resolve_model`` or installed on
purpose by ``fetch_model`` (``heard models fetch``). Every problem becomes one
actionable line (``ModelMissing`` / ``HeardError``).
"""

from __future__ import annotations

import errno
import hashlib
import http.client
import os
import re
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from heard.core import paths
from heard.core.errors import HeardError, ModelMissing
from heard.core.safeio import shown

DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
DEFAULT_BASE_URL = "https://alphacephei.com/vosk/models"


class KnownModel(NamedTuple):
    """A model heard can fetch. ``checksum`` is ``"md5:<hex>"``, ``"sha256:<hex>"`` or None."""

    url: str
    size: int | None
    checksum: str | None
    note: str


# Sizes and sha256 digests of the published zips, as recorded independently
# by several projects that pin them; a mismatch means a damaged download.
KNOWN_MODELS: dict[str, KnownModel] = {
    DEFAULT_MODEL: KnownModel(
        f"{DEFAULT_BASE_URL}/{DEFAULT_MODEL}.zip", 41205931,
        "sha256:30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        "default; ~300 MB RAM, 9.85 % WER (LibriSpeech test-clean)"),
    "vosk-model-en-us-0.22-lgraph": KnownModel(
        f"{DEFAULT_BASE_URL}/vosk-model-en-us-0.22-lgraph.zip", 130557655,
        "sha256:d9838b4aaa82a75c4a17f5aca300eaca129aaab2a7cbf951bafbb500eb9c4334",
        "more accurate, for bigger machines; 7.82 % WER"),
}

_FETCH_HINT = "fetch it again with `heard models fetch`"
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_CHUNK = 1 << 16


# ---------------------------------------------------------------- checking

def model_problem(path: Path) -> str | None:
    """What keeps vosk from loading the model at ``path`` (None: complete).

    Mirrors what vosk's ``Model::ReadDataFiles`` opens for the current
    (``am/``, ``conf/``, ``graph/``) layout, so a half-unpacked or pruned
    model is caught here with a file name instead of a Kaldi crash later.
    """
    path = Path(path)
    if not path.exists():
        return "that folder does not exist"
    if not path.is_dir():
        return "it is a file, not a folder (unzip it and use the unpacked folder)"
    required = ["am/final.mdl", "conf/model.conf", "conf/mfcc.conf"]
    graph = path / "graph"
    if not (graph / "HCLG.fst").exists():
        if (graph / "HCLr.fst").exists() or (graph / "Gr.fst").exists():
            required += ["graph/HCLr.fst", "graph/Gr.fst", "graph/disambig_tid.int"]
        else:
            required.append("graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst)")
    else:
        required.append("graph/HCLG.fst")
    if (path / "ivector").is_dir():  # trained with i-vectors: all of them are read
        required += [f"ivector/{f}" for f in ("final.ie", "final.dubm", "final.mat",
                                              "global_cmvn.stats", "splice.conf",
                                              "online_cmvn.conf")]
    if (path / "rescore" / "G.carpa").exists():
        required.append("rescore/G.fst")
    for rel in required:
        f = path / rel.split(" ")[0]
        if not f.is_file():
            if rel == required[0] and _nested_model(path):
                return f"it holds the model one level down, in {_nested_model(path)}"
            return f"{rel} missing"
        if f.stat().st_size == 0:
            return f"{rel} is empty"
    return None


def _nested_model(path: Path) -> Path | None:
    """A complete model folder directly inside ``path`` (a common unzip slip)."""
    try:
        kids = [k for k in path.iterdir() if k.is_dir() and (k / "am").is_dir()]
    except OSError:
        return None
    return kids[0] if len(kids) == 1 else None


def check_model_dir(path) -> None:
    """Raise ``ModelMissing`` naming what is missing if vosk could not load ``path``."""
    problem = model_problem(Path(path))
    path = shown(path)
    if problem is None:
        return
    if problem.startswith("that folder does not exist"):
        raise ModelMissing(
            f"no model at {path}: that folder does not exist; fetch one with "
            "`heard models fetch` or point --model/HEARD_MODEL at an unpacked vosk model folder")
    if problem.startswith("it "):
        raise ModelMissing(f"{path} is not a vosk model folder: {problem}")
    raise ModelMissing(f"model at {path} is incomplete: {problem}; {_FETCH_HINT}")


# ---------------------------------------------------------------- finding

@dataclass(frozen=True)
class Installed:
    """A ``vosk-model*`` folder found in one of the search places."""

    path: Path
    where: str
    problem: str | None  # None when complete

    @property
    def name(self) -> str:
        return self.path.name


def search_dirs() -> list[tuple[str, Path]]:
    """Where installed models are looked for, in priority order."""
    dirs = []
    root = paths.source_root()
    if root is not None:
        dirs.append(("repo models/", root / "models"))
    dirs.append(("user data", paths.user_data_dir() / "models"))
    dirs.append(("vosk cache", Path.home() / ".cache" / "vosk"))
    return dirs


def installed_models() -> list[Installed]:
    """Every ``vosk-model*`` folder in the search places, complete or not."""
    found = []
    for where, d in search_dirs():
        try:
            kids = sorted(k for k in d.iterdir() if k.name.startswith("vosk-model") and k.is_dir())
        except OSError:
            continue
        found += [Installed(k, where, model_problem(k)) for k in kids]
    return found


def _pick(found: list[Installed]) -> Installed | None:
    """The default model if installed anywhere, else an English one, else any."""
    complete = [m for m in found if m.problem is None]
    for m in complete:
        if m.name == DEFAULT_MODEL:
            return m
    english = [m for m in complete if "-en-" in m.name or m.name.endswith("-en")]
    pool = english or complete
    return pool[0] if pool else None


def resolve_model(explicit: str | os.PathLike | None = None) -> Path:
    """The model folder to load: ``--model``, then ``HEARD_MODEL``, then installed ones.

    Never downloads. An explicit path or ``HEARD_MODEL`` that is unusable is an
    error rather than silently falling back, so the user learns their setting
    is wrong.
    """
    for given, origin in ((explicit, "--model"), (os.environ.get("HEARD_MODEL"), "HEARD_MODEL")):
        if given:
            p = Path(given).expanduser()
            try:
                check_model_dir(p)
            except ModelMissing as exc:
                raise ModelMissing(f"{origin}: {exc}") from None
            return p
    found = installed_models()
    best = _pick(found)
    if best is not None:
        return best.path
    broken = next((m for m in found if m.name == DEFAULT_MODEL), None) or (found[0] if found else None)
    if broken is not None:
        raise ModelMissing(f"model at {broken.path} is incomplete: {broken.problem}; {_FETCH_HINT}")
    raise ModelMissing(
        f"no speech model installed; run `heard models fetch` (about 40 MB, once) "
        f"or unzip a vosk model into {models_dir_for_install()}")


def models_dir_for_install() -> Path:
    """``<repo>/models`` in a source checkout, else the user data folder."""
    root = paths.source_root()
    return root / "models" if root is not None else paths.user_data_dir() / "models"


# ---------------------------------------------------------------- fetching

def model_url(name: str) -> str:
    """Download address; ``HEARD_MODEL_BASE_URL`` replaces the vosk site (mirrors, tests)."""
    known = KNOWN_MODELS.get(name)
    filename = known.url.rsplit("/", 1)[-1] if known else f"{name}.zip"
    base = os.environ.get("HEARD_MODEL_BASE_URL")
    if base:
        return f"{base.rstrip('/')}/{filename}"
    return known.url if known else f"{DEFAULT_BASE_URL}/{filename}"


def fetch_model(name: str = DEFAULT_MODEL, dest=None, progress: bool = True) -> Path:
    """Download, verify and unpack model ``name`` into ``dest``; return its folder.

    Everything is written beside the final place (same file system) and only
    renamed into place once complete, so an interrupted or failed fetch leaves
    no half model for ``resolve_model`` to trip over.
    """
    if not _NAME_RE.match(name or ""):
        raise HeardError(f"{name!r} is not a model name; `heard models list` shows the known ones")
    dest = Path(dest).expanduser() if dest else models_dir_for_install()
    target = dest / name
    if model_problem(target) is None:
        if progress:
            print(f"{name} is already installed", file=sys.stderr)
        return target
    url = model_url(name)
    known = KNOWN_MODELS.get(name)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest, prefix=f".{name}.partial-") as work_dir:
            work = Path(work_dir)
            archive = work / "download.zip"
            _download(url, archive, name, dest, known, progress)
            _verify(archive, name, known)
            root = _unpack(archive, work / "unpacked", name)
            archive.unlink()
            problem = model_problem(root)
            if problem is not None:
                raise HeardError(f"the download of {name} is not a complete vosk model "
                                 f"({problem}); check {url}")
            _swap_into_place(root, target, work)
    except OSError as exc:
        raise _disk_error(exc, name, dest) from None
    return target


def _download(url, archive: Path, name, dest, known, progress) -> None:
    def failed(reason) -> HeardError:
        return HeardError(
            f"could not download {name}: {reason}; check the internet connection, "
            f"or download {url} by hand and unzip it into {dest}")

    try:
        resp = urllib.request.urlopen(url, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code == 404 and known is None:
            raise HeardError(f"no model called {name} at {url}; "
                             "`heard models list` shows the known ones") from None
        raise failed(f"HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        raise failed(getattr(exc, "reason", None) or exc) from None
    except ValueError as exc:  # e.g. HEARD_MODEL_BASE_URL without http://
        raise failed(f"bad address ({exc})") from None
    with resp:
        total = (known.size if known and known.size else None) or int(resp.headers.get("Content-Length") or 0)
        bar = _Progress(name, total, sys.stderr) if progress else None
        done = 0
        with open(archive, "wb") as out:
            while True:
                try:
                    chunk = resp.read(_CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
                        raise
                    raise failed(f"connection lost after {done} bytes ({exc})") from None
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if bar:
                    bar.update(done)
        if bar:
            bar.finish(done)


def _verify(archive: Path, name: str, known: KnownModel | None) -> None:
    """Size and checksum when known, then that it really is a readable zip."""
    damaged = f"the download of {name} is damaged"
    again = "run `heard models fetch` again"
    size = archive.stat().st_size
    if known and known.size and size != known.size:
        raise HeardError(f"{damaged} ({size} bytes, expected {known.size}); {again}")
    if known and known.checksum:
        algo, _, want = known.checksum.partition(":")
        if not want:  # a bare hex digest is an md5, as the vosk model list gives
            algo, want = "md5", algo
        h = hashlib.new(algo)
        with open(archive, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest().lower() != want.lower():
            raise HeardError(f"{damaged} ({algo} checksum mismatch); {again}")
    if not zipfile.is_zipfile(archive):
        raise HeardError(f"{damaged}: it is not a zip file; {again}")


def _unpack(archive: Path, into: Path, name: str) -> Path:
    """Extract refusing absolute paths, ``..`` and links; return the model root.

    vosk zips hold one top folder (``vosk-model-.../am/...``); a zip with the
    model files at its top level is accepted too.
    """
    damaged = f"the download of {name} is damaged"
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            for m in members:
                parts = PurePosixPath(m.filename.replace("\\", "/")).parts
                mode = m.external_attr >> 16
                if (not parts or m.filename.startswith(("/", "\\")) or ".." in parts
                        or ":" in parts[0] or (mode & 0o170000) == 0o120000):
                    raise HeardError(f"the download of {name} contains an unsafe path "
                                     f"({m.filename!r}); not unpacking it")
            need = sum(m.file_size for m in members)
            if need > shutil.disk_usage(archive.parent).free:
                raise OSError(errno.ENOSPC, "not enough space to unpack", str(into))
            into.mkdir()
            zf.extractall(into)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
        raise HeardError(f"{damaged} ({exc}); run `heard models fetch` again") from None
    tops = [p for p in into.iterdir()]
    if len(tops) == 1 and tops[0].is_dir() and not (into / "am").exists():
        return tops[0]
    return into


def _swap_into_place(root: Path, target: Path, work: Path) -> None:
    """Rename the finished folder into place; an old incomplete copy is moved aside first."""
    if target.exists() or target.is_symlink():
        old = work / "old"
        os.rename(target, old)
    os.rename(root, target)


def _disk_error(exc: OSError, name: str, dest: Path) -> HeardError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        known = KNOWN_MODELS.get(name)
        need = known.size * 3 // 1_000_000 if known is not None and known.size else None
        about = f" (needs about {need} MB)" if need else ""
        return HeardError(f"not enough disk space in {dest} for {name}{about}; "
                          "free some space or choose another folder with --dest")
    return HeardError(f"cannot write the model into {dest}: {exc.strerror or exc}; "
                      "choose another folder with --dest")


class _Progress:
    """A plain-text progress bar on stderr: redrawn in place on a terminal, a few lines otherwise."""

    WIDTH = 30

    def __init__(self, name: str, total: int | None, stream) -> None:
        self.name, self.total, self.stream = name, total or None, stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.last = -1
        print(f"downloading {name}" + (f" ({total / 1e6:.1f} MB)" if total else ""),
              file=stream, flush=True)

    def update(self, done: int) -> None:
        if not self.total:
            return
        pct = min(100, done * 100 // self.total)
        step = pct if self.tty else pct // 25 * 25
        if step == self.last:
            return
        self.last = step
        fill = self.WIDTH * pct // 100
        line = f"[{'#' * fill}{'-' * (self.WIDTH - fill)}] {pct:3d}%  {done / 1e6:.1f}/{self.total / 1e6:.1f} MB"
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def finish(self, done: int) -> None:
        if self.tty and self.total:
            self.stream.write("\n")
        self.stream.write(f"downloaded {done / 1e6:.1f} MB\n")
        self.stream.flush()


# ---------------------------------------------------------------- end-of-turn model

@dataclass(frozen=True)
class TurnModelFile:
    """The Smart Turn model heard can fetch: one ONNX file, pinned by size and sha256."""

    name: str
    filename: str
    url: str
    size: int
    sha256: str
    note: str


SMART_TURN = TurnModelFile(
    "smart-turn", "smart-turn-v3.2-cpu.onnx",
    "https://huggingface.co/pipecat-ai/smart-turn-v3/resolve/main/smart-turn-v3.2-cpu.onnx",
    8679182, "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
    "end of turn: Smart Turn v3.2 (BSD-2), hears whether a pause is the end of an answer")

TURN_MODEL_ENV = "HEARD_TURN_MODEL"


def turn_model_url() -> str:
    base = os.environ.get("HEARD_MODEL_BASE_URL")
    if base:
        return f"{base.rstrip('/')}/{SMART_TURN.filename}"
    return SMART_TURN.url


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def find_turn_model() -> tuple[Path | None, str]:
    """The Smart Turn file to use and how it was found, or (None, why not).

    ``HEARD_TURN_MODEL`` first (a file, or ``off`` to use the fixed-silence
    endpointer), then the same places as vosk models. A file of the wrong
    size is skipped (a half copy), never loaded.
    """
    env = os.environ.get(TURN_MODEL_ENV)
    if env:
        if env.strip().lower() in ("off", "none", "0"):
            return None, f"{TURN_MODEL_ENV}={env}"
        p = Path(env).expanduser()
        if not p.is_file():
            raise ModelMissing(f"{TURN_MODEL_ENV}: no end-of-turn model at {p}; "
                               "run `heard models fetch smart-turn` or unset it")
        return p, TURN_MODEL_ENV
    for where, d in search_dirs():
        p = d / SMART_TURN.filename
        try:
            if p.is_file() and p.stat().st_size == SMART_TURN.size:
                return p, where
        except OSError:
            continue
    return None, "not installed (`heard models fetch smart-turn` adds it, 9 MB)"


def fetch_turn_model(dest=None, progress: bool = True) -> Path:
    """Download the Smart Turn file, check its size and sha256, rename it into place."""
    dest = Path(dest).expanduser() if dest else models_dir_for_install()
    target = dest / SMART_TURN.filename
    if target.is_file() and target.stat().st_size == SMART_TURN.size \
            and file_sha256(target) == SMART_TURN.sha256:
        if progress:
            print(f"{SMART_TURN.name} is already installed", file=sys.stderr)
        return target
    url = turn_model_url()
    known = KnownModel(url, SMART_TURN.size, f"sha256:{SMART_TURN.sha256}", SMART_TURN.note)
    try:
        dest.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=dest, prefix=".smart-turn.partial-") as work:
            part = Path(work) / SMART_TURN.filename
            _download(url, part, SMART_TURN.name, dest, known, progress)
            size = part.stat().st_size
            damaged = f"the download of {SMART_TURN.name} is damaged"
            if size != SMART_TURN.size:
                raise HeardError(f"{damaged} ({size} bytes, expected {SMART_TURN.size}); "
                                 "run `heard models fetch smart-turn` again")
            if file_sha256(part) != SMART_TURN.sha256:
                raise HeardError(f"{damaged} (sha256 checksum mismatch); "
                                 "run `heard models fetch smart-turn` again")
            os.replace(part, target)
    except OSError as exc:
        raise _disk_error(exc, SMART_TURN.name, dest) from None
    return target
