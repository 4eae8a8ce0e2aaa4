"""What to do after feedback: keys, spoken commands and a push-to-talk hook.

Every source produces the same five steps, so the session does not care
whether a step came from the keyboard, a voice command or (on the kiosk) a
GPIO button. The command words per language live in prompts/<lang>/commands.toml.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from heard.core.errors import HeardError
from heard.core.paths import prompts_dir, read_toml
from heard.core.settings import EndpointSettings
from heard.core.transcript import Transcript
from heard.listen.listener import Source, TurnListener

STEPS = ("again", "next", "repeat", "explain", "stop")
KEYS = {"": "next", "n": "next", "a": "again", "r": "repeat", "e": "explain", "q": "stop",
        "w": "continue"}  # "I wasn't finished": a key only, after a pause judged final
KEY_HELP = "Enter/n = next, a = again, r = hear the child again, e = explain, q = quit"
CLEAR_STEPS = ("stop", "start")  # they end something: a clear match only
# Commands are single short words: start quickly and end after a short pause.
COMMAND_ENDPOINT = EndpointSettings(start_s=0.15, preroll_s=0.3, end_silence_s=0.6,
                                    max_turn_s=4.0)


def command_hint(words: CommandWords) -> str:
    """The command words that work now, one per step: "Or say: again, next, ..."."""
    first: dict[str, str] = {}
    for phrase, step in words.phrases.items():
        first.setdefault(step, phrase)
    said = ", ".join(f'"{first[s]}" ({s})' if first[s] != s else f'"{s}"'
                     for s in STEPS if s in first)
    return f"Or say one of these on its own: {said}."


def key_to_step(line: str) -> str | None:
    """A typed line as a step (first letter counts), or None if it means nothing."""
    s = line.strip().lower()
    return KEYS.get(s[:1] if s else "")


@dataclass(frozen=True)
class CommandWords:
    lang: str
    phrases: dict[str, str]  # spoken phrase -> step
    unknown_word: str = ""  # the model's catch-all word, "" if it has none
    min_confidence: float = 0.5
    # Everyday words that soak up speech that is not a command, for models
    # without a catch-all word: without them the recogniser forces any speech
    # onto the nearest command ("잠깐만요" became "종료", stop).
    decoys: tuple[str, ...] = ()
    max_seconds: float = 2.0  # a command is short: longer speech is talk, not a command
    # Steps that end something (stop, start a visit) need this much confidence.
    clear_confidence: float = 0.8

    def grammar(self) -> list[str]:
        g = list(self.phrases) + [d for d in self.decoys if d not in self.phrases]
        return g + [self.unknown_word] if self.unknown_word else g

    def match(self, transcript: Transcript, seconds: float | None = None) -> str | None:
        """The step an utterance asks for: it must be one command phrase (said
        once or repeated), alone, short, with every word confidently heard;
        anything else is None, never the nearest command."""
        words = transcript.words
        if seconds is not None and seconds > self.max_seconds:
            return None
        if not words or any(w.conf < self.min_confidence for w in words):
            return None
        text = " ".join(w.word for w in words)
        for phrase, step in self.phrases.items():
            n = len(phrase.split())
            if n and len(words) % n == 0 and text == " ".join([phrase] * (len(words) // n)):
                if step in CLEAR_STEPS and min(w.conf for w in words) < self.clear_confidence:
                    return None
                return step
        return None


def load_command_words(lang: str) -> CommandWords:
    path = prompts_dir() / lang / "commands.toml"
    if not path.is_file():
        known = sorted(p.parent.name for p in prompts_dir().glob("*/commands.toml"))
        raise HeardError(f"no voice command words for language {lang!r} "
                         f"(have: {', '.join(known) or 'none'}); add prompts/{lang}/commands.toml")
    data = read_toml(path, "command words file")
    steps = data.get("steps")
    if not isinstance(steps, dict):
        raise HeardError(f"command words file {path.name}: missing the [steps] table")
    phrases: dict[str, str] = {}
    for step, words in steps.items():
        if step not in STEPS:
            raise HeardError(f"command words file {path.name}: unknown step {step!r} "
                             f"(steps are {', '.join(STEPS)})")
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise HeardError(f"command words file {path.name}: '{step}' must be a list of words")
        for w in words:
            key = " ".join(w.lower().split())
            if phrases.get(key, step) != step:
                raise HeardError(f"command words file {path.name}: {w!r} is used for both "
                                 f"{phrases[key]!r} and {step!r}")
            phrases[key] = step
    if not phrases:
        raise HeardError(f"command words file {path.name}: no command words")
    decoys = data.get("decoys", [])
    if not isinstance(decoys, list) or not all(isinstance(d, str) and d.strip() for d in decoys):
        raise HeardError(f"command words file {path.name}: 'decoys' must be a list of words")
    return CommandWords(lang, phrases, str(data.get("unknown_word", "")),
                        float(data.get("min_confidence", 0.5)),
                        tuple(d.strip() for d in decoys), float(data.get("max_seconds", 2.0)),
                        float(data.get("clear_confidence", 0.8)))


class KeyInput:
    """Typed lines from a stream, read by a daemon thread so the session never blocks on them.

    ``press`` is the push-to-talk hook: a GPIO button (or a test) calls it to
    act like a key line.
    """

    def __init__(self, stream: TextIO | None = None, read: bool = True) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self.eof = not read or stream is None and sys.stdin is None
        self.stream = stream if stream is not None else sys.stdin
        if read and self.stream is not None:
            threading.Thread(target=self._pump, name="heard-keys", daemon=True).start()

    def _pump(self) -> None:
        try:
            for line in self.stream:
                self._lines.put(line)
        except (OSError, ValueError):  # stdin closed
            pass
        self.eof = True

    def press(self, line: str = "") -> None:
        self._lines.put(line)

    def pending(self) -> bool:
        return not self._lines.empty()

    def drain(self) -> int:
        """Discard lines typed before now (Enter during the narration, q during
        a take): a key counts only at the prompt it answers. Returns how many."""
        n = 0
        while True:
            try:
                self._lines.get_nowait()
            except queue.Empty:
                return n
            n += 1

    def get(self, timeout: float | None = None) -> str | None:
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            return None


class PushToTalk:
    """The turn ends when the key (or button) is pressed, instead of by silence.

    ``until`` is passed to ``TurnListener.listen``; listening still begins at
    the end of the cue, so the parent's wait is measured the same way.
    """

    def __init__(self, keys: KeyInput) -> None:
        self.keys = keys

    def until(self) -> Callable[[], bool]:
        """A check for the press that ends this turn; presses from before (Enter
        during the narration) are discarded now, or they would end it at once."""
        self.keys.drain()

        def pressed() -> bool:
            if self.keys.pending():
                self.keys.get(0)
                return True
            return False
        return pressed


class StepWaiter:
    """Waits for the next step from the keyboard or, if given, a spoken command.

    The caller's thread runs the command listener (it owns the recogniser);
    a key line ends the listening at once.
    """

    def __init__(self, keys: KeyInput, words: CommandWords | None = None,
                 listener: TurnListener | None = None, source: Source | None = None) -> None:
        self.keys = keys
        self.words = words
        self.listener = listener
        self.source = source

    def wait(self, on_heard: Callable[[str, str | None], None] | None = None,
             prompt: Callable[[], None] | None = None) -> str:
        """The next step. Keys typed before the prompt are discarded, and only
        then is ``prompt`` shown: a key pressed the moment it appears counts
        (draining after showing it lost a quick q on a busy machine)."""
        self.keys.drain()
        if prompt is not None:
            prompt()
        listener, source, words = self.listener, self.source, self.words
        while True:
            if self.keys.pending():
                step = key_to_step(self.keys.get(0) or "")
                if step:
                    return step
                continue
            if listener is None or source is None or words is None:  # keys only
                line = self.keys.get(0.2)
                if line is None and self.keys.eof:
                    return "stop"  # input closed: nothing more can arrive
                step = key_to_step(line) if line is not None else None
                if step:
                    return step
                continue
            turn = listener.listen(source, None, until=self.keys.pending)
            if turn.kind != "turn":
                continue
            seconds = (turn.speech_end - turn.speech_start
                       if turn.speech_start is not None and turn.speech_end is not None else None)
            step = words.match(turn.transcript, seconds)
            if on_heard is not None:
                on_heard(turn.transcript.text, step)
            if step:
                return step
