"""Kiosk mode: a practice station in a parent centre that looks after itself.

It waits for a visitor (Enter, a GPIO button, or the spoken start words),
runs a practice session over the staff's playlist, and goes back to the
welcome screen when the visitor finishes or walks away. Nobody is there to
restart it, so it never exits on a recoverable error: a lost microphone or
speaker is reopened with growing pauses and one clear log line per attempt,
and any other failure ends only the current visitor. SIGTERM (systemd stop)
ends it cleanly. By default nothing a visitor says is kept.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, TextIO

from heard.audio import devices
from heard.audio.capture import MicCapture, MicrophoneLost
from heard.core.errors import DeviceError, HeardError
from heard.core.paths import language_dir, read_toml
from heard.core.safeio import read_text_file, shown
from heard.core.scenarios import all_scenarios
from heard.listen.listener import TurnListener
from heard.practice.controls import COMMAND_ENDPOINT, CommandWords, KeyInput, load_command_words
from heard.practice.session import PracticeSession, SessionSettings
from heard.store.recording import RecordingSettings, TakeRecorder


class KioskStop(BaseException):
    """Asked to stop (SIGTERM/SIGINT): leave whatever we are doing, cleanly.

    Raised only where the kiosk polls (key checks, microphone reads), never
    from inside a signal handler at an arbitrary point (that could cut a
    vosk recogniser's constructor in half). A BaseException so the kiosk's
    own "never exit on an error" handlers cannot swallow it.
    """


class IdleTimeout(Exception):
    """The visitor has been silent and idle too long: back to the welcome screen."""


class AudioLost(DeviceError):
    """The microphone went away mid-visit (kept apart from ``MicrophoneLost``,
    which a practice session turns into an exit status)."""


@dataclass(frozen=True)
class KioskSettings:
    playlist: tuple[str, ...] = ()  # scenario ids in order; empty = all, shuffled per visitor
    idle_timeout_s: float = 60.0  # no answer or command this long: back to welcome
    history: str = "off"  # off | anonymous | full (see recording.py)
    keep_audio: bool = False
    history_path: Path | None = None
    lang: str = "en"
    model: str | None = None
    input_device: str | None = None
    output_device: str | None = None
    button_pin: int | None = None  # GPIO (BCM) pin of a start/push-to-talk button
    push_to_talk: bool = False
    # Pauses between attempts to reopen lost audio: first, doubling up to max.
    retry_first_s: float = 1.0
    retry_max_s: float = 30.0


# ------------------------------------------------------------------ pure parts

def parse_playlist(text: str, known: set[str], name: str = "playlist") -> tuple[str, ...]:
    """Scenario ids, one per line; ``#`` starts a comment; blank lines are skipped.

    Every unknown id is reported in one line, so staff fix the file in one go.
    """
    ids: list[str] = []
    bad: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        sid = line.split("#", 1)[0].strip()
        if not sid:
            continue
        if sid not in known:
            bad.append(f"{sid!r} (line {number})")
        ids.append(sid)
    if bad:
        raise HeardError(f"{name}: unknown scenario id{'s' if len(bad) > 1 else ''} "
                         f"{', '.join(bad)}; `heard scenarios` lists the ids")
    if not ids:
        raise HeardError(f"{name}: no scenario ids in it; put one id per line "
                         "(`heard scenarios` lists them)")
    return tuple(ids)


def load_playlist(path: Path) -> tuple[str, ...]:
    text = read_text_file(path, "playlist")  # never blocks on a FIFO or device
    return parse_playlist(text, set(all_scenarios()), f"playlist {shown(path)}")


def retry_delay(attempt: int, first_s: float, max_s: float) -> float:
    """Pause before reopening audio after ``attempt`` failures (1-based): 1, 2, 4 ... max."""
    return min(max_s, first_s * 2 ** max(0, attempt - 1))


@dataclass(frozen=True)
class KioskWording:
    welcome: str
    welcome_history: str
    history_notes: dict[str, str]
    goodbye: str
    start: dict[str, list[str]]  # language -> start phrases

    def welcome_text(self, phrase: str, history: str) -> str:
        if history == "off":
            return self.welcome.format(phrase=phrase).strip("\n")
        return self.welcome_history.format(phrase=phrase,
                                           history_note=self.history_notes[history]).strip("\n")


def load_wording(path: Path | None = None) -> KioskWording:
    path = path or language_dir() / "kiosk.toml"
    data = read_toml(path, "kiosk wording file")
    try:
        w, start = data["welcome"], data["start"]
        wording = KioskWording(str(w["text"]), str(w["text_history"]),
                               {"anonymous": str(w["history_anonymous"]),
                                "full": str(w["history_full"])},
                               str(w["goodbye"]),
                               {k: [str(p) for p in v] for k, v in start.items()})
        wording.welcome_text("x", "off")
        wording.welcome_text("x", "full")
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise HeardError(f"kiosk wording file {path.name}: missing or bad entry ({exc}); "
                         "it needs [start] and [welcome] text, text_history, history_anonymous, "
                         "history_full, goodbye") from None
    return wording


def start_words(lang: str, wording: KioskWording) -> CommandWords:
    """The spoken start phrase(s) as a grammar, with the language's catch-all word.

    The whole phrase must be heard with confidence (``CommandWords.match``):
    a grammar without a catch-all word forces any speech onto its words.
    """
    phrases = wording.start.get(lang)
    if not phrases:
        raise HeardError(f"no spoken start words for language {lang!r}; add `{lang} = [...]` "
                         "under [start] in prompts/en/kiosk.toml")
    commands = load_command_words(lang)
    # The step commands' decoys are tuned against the step words, not these
    # (a decoy took the place of "시작"); the whole phrase is needed anyway.
    return replace(commands, phrases={" ".join(p.lower().split()): "start" for p in phrases},
                   decoys=())


# ------------------------------------------------------------ adapted parts

class KioskKeys(KeyInput):
    """Key lines (Enter, the button) plus the idle deadline and the stop request.

    The session polls ``pending`` while it waits for the visitor, so that is
    where an expired deadline surfaces (``IdleTimeout``), and a stop request
    (``KioskStop``).
    """

    def __init__(self, stream: TextIO | None = None, read: bool = True) -> None:
        super().__init__(stream, read)
        self._deadline: float | None = None
        self.stopping = threading.Event()

    def arm(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def disarm(self) -> None:
        self._deadline = None

    def _check(self) -> None:
        if self.stopping.is_set():
            raise KioskStop()
        if self._deadline is not None and time.monotonic() > self._deadline:
            self._deadline = None
            raise IdleTimeout()

    def pending(self) -> bool:
        self._check()
        return super().pending()

    def get(self, timeout: float | None = None) -> str | None:
        self._check()
        return super().get(timeout)


class KioskCapture:
    """The microphone, with a lost stream reported as ``AudioLost``; reads are
    where a stop request surfaces while someone is speaking."""

    def __init__(self, mic: MicCapture, stopping: threading.Event) -> None:
        self.mic = mic
        self.stopping = stopping

    def read(self, timeout: float = 0.1):
        if self.stopping.is_set():
            raise KioskStop()
        try:
            return self.mic.read(timeout)
        except MicrophoneLost as exc:
            raise AudioLost(str(exc)) from None

    def __getattr__(self, name):  # mute_until, flush, close, device_name ...
        return getattr(self.mic, name)


# ---------------------------------------------------------------- the kiosk

class Kiosk:
    """The welcome / visitor loop. ``run`` returns 0 after SIGTERM or Ctrl-C."""

    def __init__(self, settings: KioskSettings, *, model=None, keys: KioskKeys | None = None,
                 out: TextIO | None = None, err: TextIO | None = None, player=None,
                 synth=None, wording: KioskWording | None = None) -> None:
        self.s = settings
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.wording = wording or load_wording()
        self.words = start_words(settings.lang, self.wording)
        self.model = model
        self.keys = keys
        self.player = player
        self.synth = synth
        self.capture: KioskCapture | None = None
        self.recorder: TakeRecorder | None = None
        self.visitors = 0
        self.stopping = threading.Event()
        self._failures = 0  # consecutive audio failures, for the retry pause
        self._button: _Button | None = None

    # ------------------------------------------------------------ logging
    def log(self, text: str) -> None:
        print(f"heard kiosk: {text}", file=self.err, flush=True)

    def show(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # ------------------------------------------------------------ set-up
    def _load(self) -> None:
        if self.model is None:
            from heard.listen.models import resolve_model
            from heard.listen.recogniser import load_model

            path = resolve_model(self.s.model)
            self.log(f"loading the speech model {path.name}")
            self.model = load_model(path)
        if self.synth is None:
            from heard.audio.speech_out import Synthesiser

            self.synth = Synthesiser()
        if self.player is None:
            from heard.audio.playback import Player

            self.player = Player(self.s.output_device)
        if self.keys is None:
            self.keys = KioskKeys()
        self.keys.stopping = self.stopping
        self.recorder = TakeRecorder.open(RecordingSettings(
            self.s.history, self.s.keep_audio and self.s.history == "full", self.s.history_path),
            stream=self.err)
        self.start_listener = TurnListener(self.model, endpoint_settings=COMMAND_ENDPOINT,
                                           grammar=self.words.grammar())
        self._button = attach_button(self.s.button_pin, self.keys, self.log)

    # ------------------------------------------------------------ running
    def stop(self) -> None:
        """Ask the kiosk to stop; safe from a signal handler or another thread."""
        self.stopping.set()

    def run(self) -> int:
        try:
            self._load()
            self.log(f"ready; {self._describe()}")
            while not self.stopping.is_set():
                try:
                    self._ensure_audio()
                    how = self._welcome()
                    self._visit(how)
                    self._failures = 0
                except IdleTimeout:
                    self._failures = 0
                    self.log(f"no one there for {self.s.idle_timeout_s:g} s; back to the welcome "
                             "screen")
                except DeviceError as exc:
                    self._audio_failed(exc)
                except HeardError as exc:
                    self.log(f"{exc}; back to the welcome screen")
                    self.stopping.wait(1.0)  # a fault that repeats at once must not spin the CPU
                except Exception as exc:  # noqa: BLE001 - a kiosk outlives its bugs
                    why = str(exc).splitlines()[0] if str(exc) else ""
                    self.log(f"unexpected {type(exc).__name__}" + (f" ({why})" if why else "") +
                             "; back to the welcome screen")
                    self.stopping.wait(1.0)
                finally:
                    assert self.keys is not None  # made by _load()
                    self.keys.disarm()
        except (KioskStop, KeyboardInterrupt):
            pass
        finally:
            self._close()
        self.log("stopped")
        return 0

    def _describe(self) -> str:
        which = (f"playlist of {len(self.s.playlist)}" if self.s.playlist else
                 "all scenarios, shuffled")
        return (f"{which}; history {self.s.history}; idle reset after "
                f"{self.s.idle_timeout_s:g} s; say {self._phrase()!r} or press Enter to start")

    def _phrase(self) -> str:
        return next(iter(self.words.phrases))

    def _ensure_audio(self) -> None:
        """Open the microphone (and see a speaker), retrying with growing pauses."""
        while self.capture is None:
            if self.stopping.is_set():
                raise KioskStop()
            try:
                if self._failures:
                    devices.list_devices(refresh=True)  # PortAudio keeps a stale device list
                # The speaker goes with the microphone (same sound server): a
                # DeviceError here names what is missing.
                devices.pick_device(devices.list_devices(), self.s.output_device, "output")
                mic = MicCapture(self.s.input_device).open()
            except DeviceError as exc:
                self._audio_failed(exc)
                continue
            self.capture = KioskCapture(mic, self.stopping)
            if self._failures:
                self.log(f"audio is back (microphone {mic.device_name!r}); ready for visitors")

    def _audio_failed(self, exc: DeviceError) -> None:
        self._close_capture()
        self._failures += 1
        delay = retry_delay(self._failures, self.s.retry_first_s, self.s.retry_max_s)
        self.log(f"audio problem: {exc}; retrying in {delay:g} s (attempt {self._failures})")
        self.stopping.wait(delay)

    def _welcome(self) -> str:
        """Wait for a visitor; returns how they started ("key" or "voice")."""
        keys, capture = self.keys, self.capture
        assert keys is not None and capture is not None  # made by _load() and _ensure_audio()
        keys.disarm()
        keys.drain()  # presses left over from the last visitor don't start a new one
        self.show("\n" + self.wording.welcome_text(self._phrase(), self.s.history))
        while True:
            if keys.pending():
                keys.get(0)
                return "key"
            turn = self.start_listener.listen(capture, None, until=keys.pending)
            seconds = None
            if turn.kind == "turn":  # a whole turn has both ends
                assert turn.speech_start is not None and turn.speech_end is not None
                seconds = turn.speech_end - turn.speech_start
            if turn.kind == "turn" and self.words.match(turn.transcript, seconds):
                return "voice"

    def _visit(self, how: str) -> None:
        self.visitors += 1
        self.log(f"visitor {self.visitors} started ({how})")
        session = PracticeSession(
            SessionSettings(scenarios=self.s.playlist, lang=self.s.lang,
                            push_to_talk=self.s.push_to_talk,
                            use_baseline=self.s.history == "full"),
            model=self.model, capture=self.capture, player=self.player, synth=self.synth,
            keys=self.keys, out=self.out)
        session.on_event.append(self._on_event)
        if self.recorder is not None and self.recorder.active:
            self.recorder.session_id = uuid.uuid4().hex[:12]  # one id per visitor
            session.on_take.append(self.recorder)
        session.run()
        self.log(f"visitor {self.visitors} finished ({len(session.takes)} take"
                 f"{'s' if len(session.takes) != 1 else ''})")
        self.show(self.wording.goodbye)

    def _on_event(self, name: str, data: dict) -> None:
        """The idle clock runs only while it is the visitor's turn to act."""
        assert self.keys is not None  # made by _load()
        if name in ("awaiting_step", "heard") or (name == "listening" and self.s.push_to_talk):
            self.keys.arm(self.s.idle_timeout_s)
        elif name == "step" or name == "take" or name.endswith("_start"):
            self.keys.disarm()

    def _close_capture(self) -> None:
        cap, self.capture = self.capture, None
        if cap is not None:
            cap.close()

    def _close(self) -> None:
        self._close_capture()
        if self.recorder is not None:
            self.recorder.close()
        if self.synth is not None:
            self.synth.close(grace_s=1.0)
        if self._button is not None:
            self._button.close()


class _Button(Protocol):
    """What the kiosk needs of a gpiozero.Button."""

    def close(self) -> None: ...


def attach_button(pin: int | None, keys: KeyInput, log) -> _Button | None:
    """A GPIO push button that acts like Enter (start, next, push-to-talk).

    gpiozero is optional: without it (or off a Raspberry Pi) the button is
    simply absent, with one log line.
    """
    if pin is None:
        return None
    try:
        from gpiozero import Button  # optional, Raspberry Pi only
    except ImportError:
        log(f"gpiozero is not installed, so the button on GPIO {pin} is off "
            "(sudo apt-get install python3-gpiozero); Enter and the spoken words still work")
        return None
    try:
        button = Button(pin)
    except Exception as exc:  # noqa: BLE001 - gpiozero raises many kinds; the kiosk goes on
        log(f"the button on GPIO {pin} could not be used ({exc}); Enter and the spoken words "
            "still work")
        return None
    button.when_pressed = lambda: keys.press("")
    return button


def stop_on_signals(kiosk: Kiosk) -> None:
    """SIGTERM (systemd stop) and SIGINT ask the kiosk to stop at its next poll
    (within a fraction of a second, or once the sentence playing has ended).
    A second signal stops it at once."""
    def handler(signum, frame):
        if kiosk.stopping.is_set():
            raise KioskStop()
        kiosk.stop()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
