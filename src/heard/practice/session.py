"""The live practice loop: scene, child's cue, listen, feedback, next step.

Half-duplex: the microphone is muted while heard speaks and for a short
tail after, so heard never analyses its own voice. The model is loaded once,
before the microphone opens. Takes are kept in memory; anything that wants
them (the history) subscribes to ``on_take``.
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Callable, TextIO

import numpy as np

from heard.audio.capture import MicCapture, MicrophoneLost
from heard.practice.controls import (COMMAND_ENDPOINT, KEY_HELP, KeyInput, PushToTalk, StepWaiter,
                       load_command_words)
from heard.listen.listener import Turn, TurnListener
from heard.core.scenarios import Scenario, all_scenarios, get_scenario
from heard.core.settings import RATE, EndpointSettings, VadSettings
from heard.audio.speech_out import ADULT, CHILD, Voice


@dataclass
class SessionSettings:
    scenarios: tuple[str, ...] = ()  # ids in this order; empty = every scenario, shuffled
    input_device: str | None = None  # name substrings (see `heard devices`)
    output_device: str | None = None
    speak: bool = True  # False: print what heard would say (no speaker needed)
    verbose: bool = False  # print latency stamps per take
    model: str | None = None  # vosk model folder; None = the installed default
    lang: str = "en"  # the model's language: picks prompts/commands/<lang>.toml
    once: bool = False  # one take, then stop
    voice_commands: bool = True
    push_to_talk: bool = False  # a key/button press ends the turn instead of silence
    # Microphone stays muted this long after our sound ends (room echo, output latency).
    echo_tail_s: float = 0.5
    vad: VadSettings = field(default_factory=VadSettings)
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    seed: int | None = None  # for the shuffled order
    # Compare tone with the calibrated baseline. A kiosk turns this off: a
    # stranger's voice must not be judged against the calibrating person's.
    use_baseline: bool = True


@dataclass
class TakeResult:
    scenario: str
    analysis: object  # analysis.TakeAnalysis
    turn: Turn
    latency: dict[str, float]
    compared: bool  # the feedback compared this take with the previous one


class PracticeSession:
    """Runs practice until the user stops; every part can be handed in (tests, kiosk).

    ``on_event(name, data)`` callbacks see each stage as it happens:
    narration / cue / feedback (start, end), listening, take, step, heard.
    ``on_take(analysis, latency, samples=...)`` callbacks get each finished take.
    """

    def __init__(self, settings: SessionSettings, *, model=None, capture=None, player=None,
                 synth=None, keys: KeyInput | None = None, out: TextIO | None = None,
                 analyse: Callable | None = None, baseline=None, end_of_turn=None) -> None:
        self.settings = settings
        self.model = model
        self.capture = capture
        self.player = player
        self.synth = synth
        self.keys = keys
        self.out = out if out is not None else sys.stdout
        self._analyse = analyse
        self.baseline = baseline
        self.end_of_turn = end_of_turn  # heard.listen.endofturn.EndOfTurn; None = load it
        self.on_event: list[Callable[[str, dict], None]] = []
        self.on_take: list[Callable] = []
        self.takes: list[TakeResult] = []
        self._owned: list = []

    # ------------------------------------------------------------ set-up
    def _prepare(self) -> None:
        s = self.settings
        scenarios = self.scenario_list()  # bad ids fail before anything slow
        if s.speak and self.player is None:
            from heard.audio.playback import Player

            self.player = Player(s.output_device)
            self.player.speaker()  # no speaker: one line now, before the slow model load
        if self.model is None:
            from heard.listen.models import resolve_model
            from heard.listen.recogniser import load_model

            self.model = load_model(resolve_model(s.model))
        words = load_command_words(s.lang) if s.voice_commands and not s.once else None
        if self._analyse is None:
            from heard.analysis.take import analyse_audio
            from heard.analysis.lexicon import load_lexicon

            self._analyse = analyse_audio
            load_lexicon()  # parse the phrase lists now, not during the first take
        if self.baseline is None and s.use_baseline:
            from heard.store.baseline import load_baseline

            self.baseline = load_baseline()
        if s.speak:
            from heard.audio.speech_out import Synthesiser

            if self.synth is None:
                self.synth = Synthesiser()
                self._owned.append(self.synth)
            # Wake a sleeping sink now (it can start ~1 s late the first time),
            # so the first narration isn't delayed or clipped.
            self.player.play(np.zeros(int(0.1 * RATE), np.float32), RATE)
        if self.capture is None:
            self.capture = MicCapture(s.input_device).open()
            self._owned.append(self.capture)
        if self.end_of_turn is None:
            from heard.listen.turnmodel import load_end_of_turn

            self.end_of_turn = load_end_of_turn(s.lang)
        endpoint = s.endpoint
        if self.end_of_turn.model is None:  # fixed-silence fallback: its length is in the policy
            endpoint = replace(endpoint, end_silence_s=self.end_of_turn.policy.fallback_silence_s)
        self.listener = TurnListener(self.model, s.vad, endpoint, end_of_turn=self.end_of_turn)
        if self.keys is None:
            self.keys = KeyInput()
        cmd_listener = (TurnListener(self.model, s.vad, COMMAND_ENDPOINT, grammar=words.grammar())
                        if words is not None else None)
        self.steps = StepWaiter(self.keys, words, cmd_listener, self.capture)
        self._scenarios = scenarios

    def scenario_list(self) -> list[Scenario]:
        if self.settings.scenarios:
            return [get_scenario(i) for i in self.settings.scenarios]
        found = list(all_scenarios().values())
        random.Random(self.settings.seed).shuffle(found)
        return found

    # ------------------------------------------------------------ running
    def run(self) -> int:
        """0 when the user finished; 2 when the microphone was lost (takes are kept)."""
        try:
            self._prepare()
            self._print(f"Steps after feedback: {KEY_HELP}" +
                        (", or say a command." if self.steps.words else "."))
            for scenario in self._scenarios:
                if self._practise(scenario) == "stop" or self.settings.once:
                    break
            self._print(f"Done: {len(self.takes)} take{'s' if len(self.takes) != 1 else ''}.")
            return 0
        except MicrophoneLost as exc:
            self._print(f"heard: {exc}. Stopped; the {len(self.takes)} take(s) so far are kept.",
                        err=True)
            return exc.exit_code
        finally:
            self._report_dropped_audio()
            for part in reversed(self._owned):
                part.close()

    def _report_dropped_audio(self) -> None:
        """Dropped microphone audio is never fatal, but the user should know timings may be off."""
        dropped = getattr(self.capture, "overflows", 0) + getattr(self.capture, "status_flags", 0)
        if dropped:
            self._print(f"heard: note: {dropped} block{'s' if dropped != 1 else ''} of microphone "
                        "audio went missing because the computer fell behind; if wait times look "
                        "wrong, close other programs and try again", err=True)

    def _practise(self, scenario: Scenario) -> str:
        previous = None
        narrate = True
        while True:
            result = self._take(scenario, narrate, previous)
            if self.settings.once:
                return "stop"
            step = self._wait_step()
            while step == "explain":
                details = result.analysis.feedback.details
                self._say(" ".join(details) or "There is nothing more to add.", ADULT, "explain")
                step = self._wait_step()
            if step not in ("again", "repeat"):
                return step
            previous = result.analysis.summary()
            narrate = step == "again"  # repeat: hear the child's cue again only

    def _take(self, scenario: Scenario, narrate: bool, previous) -> TakeResult:
        self._print(f"\n== {scenario.title} ==")
        if narrate:
            self._say(scenario.narration, ADULT, "narration")
        cue_end = self._say(scenario.cue, CHILD, "cue")
        self._emit("listening", cue_end=cue_end, listen_s=scenario.listen_seconds)
        self._print("(listening...)" + (" press Enter when you have finished."
                                        if self.settings.push_to_talk else ""))
        until = PushToTalk(self.keys).until() if self.settings.push_to_talk else None
        turn = self.listener.listen(self.capture, None if until else scenario.listen_seconds,
                                    start=cue_end, until=until)
        self._emit("take", turn=turn)
        analysis = self._analyse(scenario, turn.samples, turn.transcript, cue_end=0.0,
                                 baseline=self.baseline, mask=turn.mask, previous=previous)
        t_analysis = time.monotonic()
        self._show(analysis)
        stamps = {"feedback_start": math.nan}
        self._say(analysis.feedback.spoken, ADULT, "feedback", stamps)
        latency = self._latency(turn, cue_end, t_analysis, stamps["feedback_start"])
        analysis.latency = latency
        if self.settings.verbose:
            self._print("latency: " + ", ".join(f"{k} {v:+.3f} s" for k, v in latency.items()))
        result = TakeResult(scenario.id, analysis, turn, latency, previous is not None)
        self.takes.append(result)
        for cb in self.on_take:
            cb(analysis, latency, samples=turn.samples)
        return result

    @staticmethod
    def _latency(turn: Turn, cue_end: float, t_analysis: float, t_feedback: float) -> dict:
        """Seconds after the parent stopped speaking (or the window closed in silence)."""
        st = turn.stamps
        ref = st.get("speech_end", st.get("end_of_turn", t_analysis))
        out = {"parent_speech_end_after_cue": round(ref - cue_end, 3)}
        for name, t in (("end_of_turn", st.get("end_of_turn")),
                        ("final_transcript", st.get("final_transcript")),
                        ("analysis_done", t_analysis), ("first_feedback_sample", t_feedback)):
            if t is not None and not math.isnan(t):
                out[name] = round(t - ref, 3)
        return out

    def _wait_step(self) -> str:
        self._emit("awaiting_step")
        self._print(f"[{KEY_HELP}]")

        def heard(text: str, step: str | None) -> None:
            self._emit("heard", text=text, step=step)
            if self.settings.verbose:
                self._print(f"(heard {text!r}: {step or 'not a command'})")

        step = self.steps.wait(heard)
        self._emit("step", step=step)
        return step

    # ------------------------------------------------------------ output
    def _say(self, text: str, voice: Voice, what: str, stamps: dict | None = None) -> float:
        """Speak (or print) ``text``; return when it ended; mute the mic meanwhile."""
        self._emit(f"{what}_start", text=text)
        self._print(f'Child: "{text}"' if voice is CHILD else text)
        if not self.settings.speak or not text.strip():
            end = time.monotonic()
            if stamps is not None:
                stamps["feedback_start"] = end
        else:
            self.capture.mute_until(math.inf)
            samples, rate = self.synth.synthesise(text, voice)
            self._emit(f"{what}_playing", seconds=len(samples) / rate)
            # Feedback follows the parent's answer: its lead silence is dead air.
            end = self.player.play(samples, rate, trim_lead=what == "feedback")
            if stamps is not None:  # when the first audible sample left the speaker
                stamps["feedback_start"] = getattr(self.player, "last_start", end)
            self.capture.mute_until(end + self.settings.echo_tail_s)
        self._emit(f"{what}_end", end=end)
        return end

    def _show(self, analysis) -> None:
        said = analysis.transcript.text if analysis.transcript else ""
        p = analysis.pacing
        bits = [f"waited {p.wait_s:.1f} s" if p.wait_s is not None else "no answer"]
        if p.speech_s is not None:
            bits.append(f"spoke {p.speech_s:.1f} s")
        self._print(f'You said: "{said}" ({", ".join(bits)})' if said else
                    f"You said nothing I could make out ({', '.join(bits)}).")

    def _print(self, text: str, err: bool = False) -> None:
        print(text, file=sys.stderr if err else self.out, flush=True)

    def _emit(self, name: str, **data) -> None:
        for cb in self.on_event:
            cb(name, data)

