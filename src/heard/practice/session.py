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
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, TextIO, TypedDict

import numpy as np

from heard.audio.capture import MicCapture, MicrophoneLost
from heard.audio.resample import resample
from heard.audio.speech_out import ADULT, CHILD, Voice
from heard.core.paths import DEFAULT_LANG, prompts_dir
from heard.core.rules import read_checked
from heard.core.scenarios import Scenario, all_scenarios, get_scenario
from heard.core.settings import FRAME_SAMPLES, RATE, EndpointSettings, VadSettings
from heard.core.transcript import Transcript, Word
from heard.listen.echogate import EchoGate
from heard.listen.endpointer import Event
from heard.listen.listener import Replay, Turn, TurnListener, went_on
from heard.listen.vad import FRAME_S, FrameVad
from heard.practice.controls import (
    COMMAND_ENDPOINT,
    KEY_HELP,
    KeyInput,
    PushToTalk,
    StepWaiter,
    command_hint,
    load_command_words,
)

if TYPE_CHECKING:  # imported lazily at run time (the analysis loads word lists)
    from heard.analysis.take import TakeAnalysis


def load_session_wording() -> dict[str, str]:
    """What the screen says around a take (prompts/<lang>/session.toml, schema-checked)."""
    data = read_checked(prompts_dir(), f"{DEFAULT_LANG}/session.toml")
    return {k: str(v).strip() for k, v in data.items()}


@dataclass
class SessionSettings:
    scenarios: tuple[str, ...] = ()  # ids in this order; empty = every scenario, shuffled
    input_device: str | None = None  # name substrings (see `heard devices`)
    output_device: str | None = None
    speak: bool = True  # False: print what heard would say (no speaker needed)
    verbose: bool = False  # print latency stamps per take
    model: str | None = None  # vosk model folder; None = the installed default
    lang: str = "en"  # the model's language: picks prompts/<lang>/commands.toml
    once: bool = False  # one take, then stop
    voice_commands: bool = True
    push_to_talk: bool = False  # a key/button press ends the turn instead of silence
    # Microphone stays muted this long after narration and feedback end (room echo,
    # output latency). Not after the cue: the answer may begin at once (see EchoGate).
    echo_tail_s: float = 0.5
    vad: VadSettings = field(default_factory=VadSettings)
    endpoint: EndpointSettings = field(default_factory=EndpointSettings)
    seed: int | None = None  # for the shuffled order
    # Compare tone with the calibrated baseline. A kiosk turns this off: a
    # stranger's voice must not be judged against the calibrating person's.
    use_baseline: bool = True


class _CueBox(TypedDict, total=False):
    """What a player thread (cue or feedback) hands back to the session's thread."""

    end: float  # time.monotonic() when the sound ended (or failed)
    error: Exception  # the speaker failed mid-sound
    barged: bool  # the parent spoke over it: it was stopped


@dataclass
class TakeResult:
    scenario: str
    analysis: TakeAnalysis
    turn: Turn
    latency: dict[str, float]
    compared: bool  # the feedback compared this take with the previous one
    cue_offset: float = 0.0  # where the cue ended in the take's audio (> 0 after a barge-in)
    cue_end: float = math.nan  # time.monotonic() when the cue ended


class PracticeSession:
    """Runs practice until the user stops; every part can be handed in (tests, kiosk).

    ``on_event(name, data)`` callbacks see each stage as it happens:
    narration / cue / feedback (start, end), listening, take, step, heard.
    ``on_take(analysis, latency, samples=...)`` callbacks get each finished take;
    a take gone on after "I wasn't finished" comes again, whole, with
    ``continues=True``: it replaces the one before (one answer, one take).
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
            from heard.analysis.lexicon import load_lexicon
            from heard.analysis.take import analyse_audio

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
        self.gate = EchoGate(FrameVad(s.vad))
        self.listener = TurnListener(self.model, s.vad, endpoint, vad=self.gate,
                                     end_of_turn=self.end_of_turn)
        self.wording = load_session_wording()
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
            while step in ("explain", "continue"):
                if step == "continue":  # "I wasn't finished": the same take goes on
                    result = self._continue(scenario, result, previous)
                else:
                    details = result.analysis.feedback.details
                    self._say(" ".join(details) or "There is nothing more to add.", ADULT,
                              "explain")
                step = self._wait_step()
            if step not in ("again", "repeat"):
                return step
            previous = result.analysis.summary()
            narrate = step == "again"  # repeat: hear the child's cue again only

    def _take(self, scenario: Scenario, narrate: bool, previous) -> TakeResult:
        self._print(f"\n== {scenario.title} ==")
        if narrate:
            self._say(scenario.narration, ADULT, "narration")
        turn, cue_end, offset = self._cue_and_listen(scenario)
        self._emit("take", turn=turn)
        return self._judge(scenario, turn, offset, previous, cue_end)

    def _judge(self, scenario: Scenario, turn: Turn, offset: float, previous,
               cue_end: float, continues: bool = False, interruptible: bool = True) -> TakeResult:
        """Analyse the take, show and speak the feedback, hand the take on
        (``continues``: in place of the last take, which it carries on).
        ``interruptible``: the parent may still stop the feedback by going on
        (once per answer, so an echo the gate missed can never loop)."""
        assert self._analyse is not None  # set by _prepare()
        analysis = self._analyse(scenario, turn.samples, turn.transcript, cue_end=offset,
                                 baseline=self.baseline, mask=turn.mask, previous=previous)
        t_analysis = time.monotonic()
        more, source = self._went_on(scenario, turn)
        t_checked = time.monotonic()
        if more is not None:  # the pause was not the end after all: one answer, judged whole
            turn = self._joined(turn, more)
            self._emit("take", turn=turn)
            return self._judge(scenario, turn, offset, previous, cue_end, continues, interruptible)
        if turn.reason == "complete":
            self._print(self.wording["ended_early"])
        self._show(analysis)
        stamps = {"feedback_start": math.nan}
        if interruptible and source is not None:
            more = self._feedback_or_more(scenario, analysis.feedback.spoken, stamps, turn, source)
            if more is not None:  # they went on over the feedback: the rest of the same answer
                self._print(self.wording.get("listening_on", ""))
                turn = self._joined(turn, more)
                self._emit("take", turn=turn)
                return self._judge(scenario, turn, offset, previous, cue_end, continues, False)
        else:
            self._say(analysis.feedback.spoken, ADULT, "feedback", stamps)
        latency = self._latency(turn, cue_end, t_analysis, stamps["feedback_start"], t_checked)
        analysis.latency = latency
        if self.settings.verbose:
            self._print("latency: " + ", ".join(f"{k} {v:+.3f} s" for k, v in latency.items()))
        result = TakeResult(scenario.id, analysis, turn, latency, previous is not None,
                            offset, cue_end)
        if continues and self.takes:
            self.takes[-1] = result
        else:
            self.takes.append(result)
        for cb in self.on_take:
            if continues:
                cb(analysis, latency, samples=turn.samples, continues=True)
            else:
                cb(analysis, latency, samples=turn.samples)
        return result

    def _continue(self, scenario: Scenario, result: TakeResult, previous) -> TakeResult:
        """Listen again and judge the answer as one take: the first part, then the rest."""
        self._print(self.wording["your_turn"])
        start = time.monotonic()
        self._emit("listening", cue_end=start, listen_s=scenario.listen_seconds)
        more = self.listener.listen(self.capture, scenario.listen_seconds, start=start)
        turn = self._joined(result.turn, more)
        self._emit("take", turn=turn)
        return self._judge(scenario, turn, result.cue_offset, previous, result.cue_end,
                           continues=True)

    def _went_on(self, scenario: Scenario, turn: Turn) -> tuple[Turn | None, Replay | None]:
        """If the parent spoke again while the take was being judged (a pause
        between two sentences, taken for the end), listen on from where the
        take's audio stopped and return the rest. Else (None, the microphone
        from where the take stopped), or (None, None) when nothing may go on."""
        end = turn.stamps.get("audio_end")
        if (turn.kind != "turn" or turn.reason not in ("complete", "silence") or end is None
                or self.settings.push_to_talk):
            return None, None
        policy = self.end_of_turn.policy
        # Feedback never starts sooner than resume_s after the last word: time
        # for a second sentence to begin (the wait is usually spent judging anyway).
        spoke = turn.stamps.get("speech_end", end)
        time.sleep(max(0.0, spoke + policy.resume_s - time.monotonic()))
        found, source = went_on(self.listener, self.capture, end, policy.resume_speech_s)
        if not found:
            return None, source
        more = self.listener.listen(source, 1.0, start=end)
        if more.kind != "turn":  # a cough or a click, not more of the answer
            return None, None
        self._emit("went_on", after=end)
        return more, None

    def _feedback_or_more(self, scenario: Scenario, text: str, stamps: dict, turn: Turn,
                          source: Replay) -> Turn | None:
        """Speak the feedback with the microphone open for its first
        ``interrupt_s``: a parent who goes on talking stops it, like a person
        who hears they have interrupted. Returns the rest of the answer, or
        None when the feedback was heard (the microphone is muted after that
        first stretch, so talk about the feedback is not taken for the answer).
        """
        s, policy = self.settings, self.end_of_turn.policy
        if not s.speak or not text.strip() or policy.interrupt_s <= 0:
            self._say(text, ADULT, "feedback", stamps)
            return None
        t0 = turn.stamps["audio_end"]  # the listening timeline carries on the take's
        self._emit("feedback_start", text=text)
        self._print(text)
        samples, rate = self.synth.synthesise(text, ADULT)
        self._emit("feedback_playing", seconds=len(samples) / rate)
        box: _CueBox = {}
        lead = time.monotonic() - t0
        self.gate.expect(resample(np.asarray(samples, np.float32), rate, RATE) * 32767, lead)

        player = threading.Thread(target=self._play_heard, args=(samples, rate, box, t0, True),
                                  name="heard-feedback", daemon=True)
        player.start()
        more = self.listener.listen(source, lead + policy.interrupt_s, start=t0,
                                    on_event=self._stop_on_answer(box))
        self.capture.mute_until(math.inf)  # the rest of the feedback: heard alone
        player.join()
        self.gate.clear()
        if "error" in box:
            raise box["error"]
        end = box["end"]
        stamps["feedback_start"] = getattr(self.player, "last_start", end)
        self.capture.mute_until(end + s.echo_tail_s)
        self._emit("feedback_end", end=end)
        return more if more.kind == "turn" else None  # else no one spoke over it

    @staticmethod
    def _joined(first: Turn, more: Turn) -> Turn:
        """One turn: ``first``, then ``more`` laid after it (word times shifted)."""
        shift = len(first.samples) / RATE
        words = first.transcript.words + [
            Word(w.word, None if w.start is None else round(w.start + shift, 3),
                 None if w.end is None else round(w.end + shift, 3), w.conf)
            for w in more.transcript.words]
        text = " ".join(t for t in (first.transcript.text, more.transcript.text) if t)
        return replace(first, samples=np.concatenate([first.samples, more.samples]),
                       mask=np.concatenate([first.mask, more.mask]),
                       transcript=Transcript(text, words), stamps=more.stamps,
                       speech_end=(more.speech_end + shift if more.speech_end is not None
                                   else first.speech_end), reason=more.reason,
                       verdicts=first.verdicts + more.verdicts)

    def _cue_and_listen(self, scenario: Scenario) -> tuple[Turn, float, float]:
        """Play the child's cue and listen from its start, so an answer that
        begins during the cue is taken (the cue stops) instead of lost.

        Returns the turn cut to start at the cue's end (or at the answer, if
        it came first), the cue's end (monotonic), and where the cue ended in
        the take (0, or more for a barge-in: the wait is then zero).
        """
        s = self.settings
        assert self.keys is not None  # set by _prepare()
        until = PushToTalk(self.keys).until() if s.push_to_talk else None
        self._listen_s = scenario.listen_seconds
        cue_s = 0.0
        box: _CueBox = {}
        self._emit("cue_start", text=scenario.cue)
        self._print(f'Child: "{scenario.cue}"')
        if s.speak and scenario.cue.strip():
            samples, rate = self.synth.synthesise(scenario.cue, CHILD)
            cue_s = len(samples) / rate
            t0 = time.monotonic()
            self.gate.expect(resample(np.asarray(samples, np.float32), rate, RATE) * 32767, 0.0)
            self.capture.mute_until(t0)  # open: the answer may begin over the cue
            player = threading.Thread(target=self._play_cue, args=(samples, rate, box, t0),
                                      name="heard-cue", daemon=True)
            self._emit("cue_playing", seconds=cue_s)
            player.start()
        else:
            t0 = box["end"] = time.monotonic()
            self._cue_done(box["end"])
        self._print(self.wording["your_turn"] + (" Press Enter when you have finished."
                                                 if s.push_to_talk else ""))

        # The window for an answer to begin runs from the cue's end; the cue's
        # own start-up (a waking sink) may add up to a second to its length.
        window = None if until else (cue_s + 1.0 if cue_s else 0.0) + scenario.listen_seconds
        turn = self.listener.listen(self.capture, window, start=t0, on_event=self._stop_on_answer(box),
                                    until=until)
        while "end" not in box:
            time.sleep(0.01)
        self.gate.clear()
        if "error" in box:  # the speaker failed mid-cue: the same error as any playback
            raise box["error"]
        cue_end = box["end"]
        shifted, offset = self._from_cue_end(turn, cue_end - t0)
        return shifted, cue_end, offset

    def _play_cue(self, samples, rate, box: _CueBox, t0: float) -> None:
        self._play_heard(samples, rate, box, t0)
        if "error" not in box:
            self._cue_done(box["end"])

    def _play_heard(self, samples, rate, box: _CueBox, t0: float, trim_lead: bool = False) -> None:
        """Play on this (its own) thread while the session listens (the cue, the
        start of the feedback). The echo gate learns from the player when the sound
        was really heard (a late sink's echo comes late) and when it stopped. A
        parent who spoke before it even began (``barged``) hears nothing of it."""
        try:
            end = time.monotonic() if "barged" in box else self.player.play(
                samples, rate, trim_lead=trim_lead, on_start=lambda t: self.gate.started(t - t0))
        except Exception as exc:  # noqa: BLE001 - handed to the session's thread
            box["error"], box["end"] = exc, time.monotonic()
            return
        self.gate.ended(end - t0)  # cut short by a barge-in: expect no more of it
        box["end"] = end

    def _stop_on_answer(self, box: _CueBox) -> Callable[[Event], None]:
        """The listener's event hook: the parent started speaking, so heard falls silent."""
        def barge_in(ev: Event) -> None:
            if ev.kind == "start" and "end" not in box:
                box["barged"] = True
                self.player.stop()
        return barge_in

    def _cue_done(self, end: float) -> None:
        self._emit("cue_end", end=end)
        self._emit("listening", cue_end=end, listen_s=self._listen_s)

    @staticmethod
    def _from_cue_end(turn: Turn, offset: float) -> tuple[Turn, float]:
        """The take from the cue's end, or from just before an answer that came sooner."""
        cut = offset
        if turn.speech_start is not None and turn.speech_start < offset:
            cut = max(0.0, turn.speech_start - 0.06)
        k = int(cut / FRAME_S)
        cut = k * FRAME_S
        words = [Word(w.word, None if w.start is None else round(w.start - cut, 3),
                      None if w.end is None else round(w.end - cut, 3), w.conf)
                 for w in turn.transcript.words]
        shifted = replace(
            turn, samples=turn.samples[k * FRAME_SAMPLES:], mask=turn.mask[k:],
            transcript=Transcript(turn.transcript.text, words),
            speech_start=None if turn.speech_start is None else turn.speech_start - cut,
            speech_end=None if turn.speech_end is None else turn.speech_end - cut)
        return shifted, round(offset - cut, 3)

    @staticmethod
    def _latency(turn: Turn, cue_end: float, t_analysis: float, t_feedback: float,
                 t_checked: float | None = None) -> dict:
        """Seconds after the parent stopped speaking (or the window closed in silence).
        ``resume_checked``: when the session had waited out ``resume_s`` (if it had
        to) and found the parent had not gone on."""
        st = turn.stamps
        ref = st.get("speech_end", st.get("end_of_turn", t_analysis))
        out = {"parent_speech_end_after_cue": round(ref - cue_end, 3)}
        for name, t in (("end_of_turn", st.get("end_of_turn")),
                        ("final_transcript", st.get("final_transcript")),
                        ("analysis_done", t_analysis), ("resume_checked", t_checked),
                        ("first_feedback_sample", t_feedback)):
            if t is not None and not math.isnan(t):
                out[name] = round(t - ref, 3)
        return out

    def _wait_step(self) -> str:
        def prompt() -> None:
            self._emit("awaiting_step")
            self._print(f"[{KEY_HELP}]")
            if self.steps.words is not None and self.steps.listener is not None:
                self._print(command_hint(self.steps.words))

        def heard(text: str, step: str | None) -> None:
            self._emit("heard", text=text, step=step)
            if self.settings.verbose:
                self._print(f"(heard {text!r}: {step or 'not a command'})")

        step = self.steps.wait(heard, prompt)
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
        bits = ["no answer" if p.wait_s is None else "began while the child spoke" if round(p.wait_s, 1) < 0
                else f"waited {p.wait_s:.1f} s"]
        if p.speech_s is not None:
            bits.append(f"spoke {p.speech_s:.1f} s")
        self._print(f'You said: "{said}" ({", ".join(bits)})' if said else
                    f"You said nothing I could make out ({', '.join(bits)}).")

    def _print(self, text: str, err: bool = False) -> None:
        print(text, file=sys.stderr if err else self.out, flush=True)

    def _emit(self, name: str, **data) -> None:
        for cb in self.on_event:
            cb(name, data)

