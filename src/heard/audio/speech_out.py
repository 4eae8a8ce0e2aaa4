"""Text to speech: pyttsx3 in one owned thread, with a watchdog and a fallback.

pyttsx3 is not safe to drive from several threads and its ``runAndWait`` can
hang on repeated use, so one worker thread owns the engine and every request
waits on it with a timeout. That thread is shared by the whole process:
espeak keeps global state, and a second engine would steal the first one's
audio. A request that times out abandons that worker and
is spoken by ``espeak-ng -w`` in a subprocess instead. A fresh worker is made
on a later call, but only once the abandoned thread has really ended: the
espeak library is not re-entrant, and two threads inside it at once can crash
the process.

Audio is synthesised to a private temporary folder and deleted straight after
reading (nothing personal or partial is left on disk); we play it ourselves so
we know exactly when playback ends and can mute the microphone until then.
"""

from __future__ import annotations

import os
import queue
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heard.audio.wavio import read_wav_native
from heard.core.errors import BadAudio, HeardError

LEAD_SILENCE_S = 0.2  # sleeping sinks (Bluetooth, HDMI, USB) clip the first syllable
EMPTY_RATE = 22050  # espeak-ng's native rate; used for the silence of empty text
# A worker stuck this long stops waiting for its file (the caller fell back long ago)
# and ends, so a fresh engine can be made.
_ENGINE_GIVE_UP_S = 60.0


@dataclass(frozen=True)
class Voice:
    """How to speak: an espeak-ng language plus an optional variant.

    ``pitch`` is espeak's 0-100 scale (50 = the voice's normal pitch). If the
    variant is missing from an installation, espeak falls back to the base
    voice and the pitch hint alone still keeps the voice distinct.
    """

    name: str
    language: str = "en-us"
    variant: str | None = None
    rate: int = 160  # words per minute; a calm, unhurried coaching pace
    pitch: int = 50

    @property
    def espeak_id(self) -> str:
        return f"{self.language}+{self.variant}" if self.variant else self.language


ADULT = Voice("adult", rate=160, pitch=50)
# f5 roughly doubles espeak's pitch (about 100 -> 200 Hz); pitch 70 lifts it
# to about 250 Hz, near a young child's speaking pitch. Slower, like a child.
CHILD = Voice("child", variant="f5", rate=145, pitch=70)


class _Job:
    def __init__(self, text: str, voice: Voice) -> None:
        self.text = text
        self.voice = voice
        self.future: Future = Future()


def _private_dir() -> Path:
    """A fresh 0700 folder for one synthesis, deleted as soon as its audio is read.

    The speech quotes the parent's words, so it goes to the user's runtime
    folder ($XDG_RUNTIME_DIR/heard: memory-backed, 0700, emptied at logout)
    when there is one we own, else to a private folder under the temp dir.
    """
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        base = Path(runtime) / "heard"
        usable = True
        try:
            os.mkdir(base, 0o700)
        except FileExistsError:
            pass
        except OSError:
            usable = False
        if usable:
            try:
                st = os.lstat(base)
                if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():
                    if stat.S_IMODE(st.st_mode) != 0o700:
                        os.chmod(base, 0o700)
                    return Path(tempfile.mkdtemp(prefix="tts-", dir=base))
            except OSError:
                pass
    return Path(tempfile.mkdtemp(prefix="heard-tts-"))


def _mute_driver_prints() -> None:
    # pyttsx3's espeak driver print()s "Audio saved to <path>" on every
    # save_to_file; shadow print in that one module so our CLI output stays clean.
    mod = sys.modules.get("pyttsx3.drivers.espeak")
    if mod is not None:
        vars(mod)["print"] = lambda *args, **kwargs: None


class _EngineWorker(threading.Thread):
    """The only thread that ever touches its pyttsx3 engine."""

    def __init__(self) -> None:
        super().__init__(name="heard-tts", daemon=True)
        self.jobs: queue.Queue[_Job | None] = queue.Queue()
        self._engine = None
        self._ids: dict[str, str] = {}
        # Not ``_started``: that name is Thread's own flag, and clearing it
        # made a busy worker look dead (is_alive() False, join() raising).
        self._utterance_started = threading.Event()
        self._utterance_finished = threading.Event()

    def run(self) -> None:
        while True:
            job = self.jobs.get()
            if job is None:
                return
            try:
                job.future.set_result(self._synthesise(job.text, job.voice))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                job.future.set_exception(exc)

    def _engine_for(self):
        if self._engine is None:
            import pyttsx3.engine

            # A new Engine, not pyttsx3.init(): init() hands back a cached engine
            # that an abandoned thread may still be running.
            self._engine = pyttsx3.engine.Engine()
            _mute_driver_prints()
            self._engine.connect("started-utterance", lambda **_: self._utterance_started.set())
            self._engine.connect("finished-utterance", lambda **_: self._utterance_finished.set())
            for v in self._engine.getProperty("voices"):
                for lang in v.languages or []:
                    self._ids.setdefault(str(lang).lower(), v.id)
        return self._engine

    def _synthesise(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        engine = self._engine_for()
        base = self._ids.get(voice.language.lower(), voice.language)
        # Order matters with espeak: voice (base, then variant, so a missing
        # variant leaves the base voice), then rate, then pitch; other orders
        # let the previous request's pitch leak into this one. Rate and pitch
        # also go first: espeak applies them on its own thread but a voice
        # change at once, and with them set only after the voice, 10 of 40
        # alternating adult/child requests kept the previous speaking rate
        # (0 of 40 like this).
        engine.setProperty("rate", voice.rate)
        engine.setProperty("pitch", voice.pitch)
        engine.setProperty("voice", base)
        if voice.variant:
            engine.setProperty("voice", f"{base}+{voice.variant}")
        engine.setProperty("rate", voice.rate)
        engine.setProperty("pitch", voice.pitch)
        folder = _private_dir()
        try:
            out = folder / "speech.wav"
            # pyttsx3 now and then writes an empty WAV (about 1 in 12 here);
            # one retry on the same engine is ~20 ms, the espeak-ng fallback ~180 ms.
            for _attempt in (1, 2):
                self._run(engine, text, out)
                try:
                    return read_wav_native(out)
                except BadAudio:
                    pass
            raise RuntimeError("pyttsx3 wrote no audio")
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, engine, text: str, out: Path) -> None:
        """Synthesise into ``out`` and return only once the file is complete.

        espeak synthesises on its own thread and writes the WAV from there;
        ``runAndWait`` can return before that (always possible on a fresh
        engine or a busy CPU). Deleting the folder then made the late write
        fail with "Error saving WAV file", so we wait for the engine's
        finished-utterance notice, which comes after the file is closed.
        The previous request's thread may still end its loop just after that
        notice and cut the next loop short before it starts: hence one retry
        when no utterance was started.
        """
        for _ in range(2):
            self._utterance_started.clear()
            self._utterance_finished.clear()
            engine.save_to_file(text, str(out))
            engine.runAndWait()
            if self._utterance_started.is_set():
                break
        if not self._utterance_finished.wait(_ENGINE_GIVE_UP_S):
            raise RuntimeError("pyttsx3 never finished writing its audio")


def _espeak_cli(text: str, voice: Voice, timeout_s: float) -> tuple[np.ndarray, int]:
    """Synthesise with the espeak-ng program; text goes through stdin so a
    leading '-' can never be read as an option."""
    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed")
    folder = _private_dir()
    try:
        out = folder / "speech.wav"
        cmd = [exe, "-v", voice.espeak_id, "-s", str(voice.rate), "-p", str(voice.pitch),
               "-w", str(out), "--stdin"]
        try:
            proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"espeak-ng took longer than {timeout_s:g} s") from None
        if proc.returncode != 0 or not out.exists():
            why = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(f"espeak-ng failed ({why[-1] if why else proc.returncode})")
        return read_wav_native(out)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def with_lead_silence(samples: np.ndarray, rate: int, seconds: float = LEAD_SILENCE_S) -> np.ndarray:
    lead = np.zeros(int(round(seconds * rate)), dtype=np.float32)
    return np.concatenate([lead, np.asarray(samples, dtype=np.float32).ravel()])


class _EngineHost:
    """The process's one engine thread, shared by every Synthesiser.

    espeak keeps global state: each new pyttsx3 engine takes over the audio
    callback, so an older engine would wait forever for audio that now goes
    elsewhere. Hence one engine per process, one request at a time.
    """

    def __init__(self) -> None:
        self._worker: _EngineWorker | None = None
        self._abandoned: list[_EngineWorker] = []
        self.lock = threading.Lock()

    def run(self, text: str, voice: Voice, timeout_s: float) -> tuple[tuple[np.ndarray, int] | None, str]:
        """One request (caller holds ``lock``): (audio, "") or (None, why it failed)."""
        self._abandoned = [w for w in self._abandoned if w.is_alive()]
        if self._abandoned:
            return None, "the speech engine is still stuck on an earlier request"
        if self._worker is None or not self._worker.is_alive():
            self._worker = _EngineWorker()
            self._worker.start()
        job = _Job(text, voice)
        self._worker.jobs.put(job)
        try:
            return job.future.result(timeout=timeout_s), ""
        except FutureTimeout:
            why = f"the speech engine did not finish within {timeout_s:g} s"
        except Exception as exc:  # noqa: BLE001 - any engine failure means: fall back
            why = f"the speech engine failed ({type(exc).__name__}: {exc})"
        self._abandon()
        return None, why

    def _abandon(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.jobs.put(None)  # exit once the stuck request ends
            self._abandoned.append(worker)

    def stop(self, grace_s: float) -> None:
        with self.lock:
            self._abandon()
            for w in self._abandoned:
                w.join(grace_s)
            self._abandoned = [w for w in self._abandoned if w.is_alive()]


_HOST = _EngineHost()


class Synthesiser:
    """Turns text into float32 mono audio, never hanging longer than the timeout.

    ``last_backend`` says which path produced the last audio ("pyttsx3",
    "espeak-ng" or "none" for empty text), for diagnostics.
    """

    def __init__(self, timeout_s: float = 15.0, fallback_timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s
        # Separate, so a tiny engine timeout still lets the fallback finish.
        self.fallback_timeout_s = fallback_timeout_s
        self.last_backend = ""

    def synthesise(self, text: str, voice: Voice = ADULT) -> tuple[np.ndarray, int]:
        """Speech for ``text`` with ~200 ms of silence in front, as (float32 mono, rate)."""
        if not text.strip():
            self.last_backend = "none"
            return with_lead_silence(np.zeros(0, np.float32), EMPTY_RATE), EMPTY_RATE
        with _HOST.lock:
            result, engine_error = _HOST.run(text, voice, self.timeout_s)
        if result is not None:
            samples, rate = result
            self.last_backend = "pyttsx3"
        else:
            try:
                samples, rate = _espeak_cli(text, voice, self.fallback_timeout_s)
            except (OSError, RuntimeError, HeardError) as exc:
                raise HeardError(
                    f"speech synthesis failed: {engine_error}; {exc}; install espeak-ng "
                    "(sudo apt-get install espeak-ng) or use --no-speak") from None
            self.last_backend = "espeak-ng"
        return with_lead_silence(samples, rate), rate

    def close(self, grace_s: float = 5.0) -> None:
        """Stop the engine thread; give stray threads a moment to delete their files."""
        _HOST.stop(grace_s)

    def __enter__(self) -> Synthesiser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
