"""The echo gate: heard's own cue, heard back through the mic, is not an answer;
a parent talking over it is. Real webrtcvad on espeak-ng speech (the cue) and a human
voice (the parent, where the gate must tell them apart late); the "room"
is simulated (the played sound, delayed and attenuated, added to the mic),
because this machine has no speaker and microphone sharing a room."""

import numpy as np
import pytest

import human_speech
from audio_helpers import concat, espeak, silence
from heard.core.settings import RATE, EndpointSettings
from heard.listen.echogate import FRAME_S, EchoGate
from heard.listen.endpointer import Endpointer
from heard.listen.vad import FrameVad, iter_frames


def room(played: np.ndarray, gain_db: float, delay_s: float = 0.08) -> np.ndarray:
    """The played sound as a mic in the room hears it: later, quieter, over room noise."""
    d = np.zeros(int(delay_s * RATE), np.int16)
    echo = np.concatenate([d, played]).astype(np.float64) * 10 ** (gain_db / 20)
    noise = np.random.default_rng(1).normal(0, 32768 * 10 ** (-62 / 20), len(echo))
    return np.clip(echo + noise, -32768, 32767).astype(np.int16)


def starts_a_turn(mask) -> bool:
    ep = Endpointer(EndpointSettings())
    return any(e.kind == "start" for b in mask for e in ep.push(bool(b)))


def speech_frames(gate: EchoGate, mic: np.ndarray) -> np.ndarray:
    gate.reset()
    return np.array([gate.is_speech(f) for f in iter_frames(mic)])


def test_the_echo_of_the_cue_is_not_speech_but_a_voice_over_it_is():
    cue = espeak("I want a cookie! I want it now! Give it to me!")
    parent = espeak("you really want that cookie", voice="en+m3")
    echo = room(cue, -12.0)
    gate = EchoGate(FrameVad())
    gate.expect(cue, 0.0)
    alone = speech_frames(gate, concat(echo, silence(0.5)))
    plain = np.array([FrameVad().is_speech(f) for f in iter_frames(echo)])
    # The echo alone never starts a turn; through the plain VAD it would.
    assert not starts_a_turn(alone) and starts_a_turn(plain)
    assert alone.mean() < 0.25 * plain.mean()
    start = int(1.0 * RATE)
    mic = np.concatenate([echo, silence(0.5)]).astype(np.int32)
    mic[start:start + len(parent)] += parent[: len(mic) - start]
    over = speech_frames(gate, np.clip(mic, -32768, 32767).astype(np.int16))
    k = int(1.0 / 0.03)
    assert over[k: k + int(1.0 / 0.03)].mean() > 0.5


def test_without_an_echo_path_speech_during_the_cue_passes():
    cue = espeak("I want a cookie! I want it now!")
    parent = espeak("you really want that cookie", voice="en+m3")
    gate = EchoGate(FrameVad())
    gate.expect(cue, 0.0)
    mic = concat(silence(0.6), parent)  # a headset: the mic hears only the parent
    got = speech_frames(gate, mic)
    plain = np.array([FrameVad().is_speech(f) for f in iter_frames(mic)])
    assert got[int(0.9 / 0.03):].sum() >= 0.9 * plain[int(0.9 / 0.03):].sum()


def test_after_the_sound_and_its_tail_the_gate_is_out_of_the_way():
    cue = espeak("Oof!")
    gate = EchoGate(FrameVad(), tail_s=0.3, max_delay_s=0.3)
    gate.expect(cue, 0.0)
    gate.reset()
    n = int((len(cue) / RATE + 0.7) / 0.03)
    assert gate._active(0) and not gate._active(n)


def test_a_sound_cut_short_is_not_expected_any_more():
    cue = espeak("I want a cookie! I want it now! Give it to me!")
    gate = EchoGate(FrameVad(), tail_s=0.3, max_delay_s=0.3)
    gate.expect(cue, 0.0)
    gate.ended(1.0)  # the parent answered: the cue stopped after 1 s
    assert gate._active(int(1.0 / 0.03)) and not gate._active(int(1.7 / 0.03))


def human_answer() -> np.ndarray:
    """A real parent-like voice (a human sentence), speech from its first sample."""
    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    case = next(c for c in human_speech.complete_answers() if 2.0 <= c.speech_end - 0.6 <= 3.5)
    return case.samples[int(0.6 * RATE): int(case.speech_end * RATE)]


def frames_told(gate: EchoGate, mic: np.ndarray, told: list[tuple[float, float]]) -> np.ndarray:
    """Feed ``mic`` frame by frame; at turn time ``at`` the player tells the gate
    the sound was heard from ``start`` on (``(at, start)`` pairs, in order)."""
    gate.reset()
    out = []
    for i, f in enumerate(iter_frames(mic)):
        while told and told[0][0] <= i * FRAME_S:
            gate.started(told.pop(0)[1])
        out.append(gate.is_speech(f))
    return np.array(out)


def first_start(mask) -> float | None:
    """When (seconds) the endpointer would say a turn began: the cue stops then."""
    ep = Endpointer(EndpointSettings())
    for b in mask:
        for e in ep.push(bool(b)):
            if e.kind == "start":
                return e.time
    return None


@pytest.mark.parametrize("told", [[(0.0, 0.6)], [(0.0, 0.1), (0.5, 0.6)]],
                         ids=["buffering sink", "waking sink"])
def test_a_cue_heard_late_is_still_its_own_echo_and_a_voice_over_it_is_not(told):
    # The device plays the cue 0.6 s after it was handed over (as the player's
    # DAC times tell the gate, at once or, for a waking sink, only once it wakes):
    # its echo comes 0.68 s after time 0, past the 0.3 s of delay searched from 0.
    cue = espeak("I want a cookie! I want it now! Give it to me!")
    hush = human_speech.room_tone  # a room is never digitally silent (that reads as no echo path)
    late = concat(hush(0.6), room(cue, -12.0))
    gate = EchoGate(FrameVad(), max_delay_s=0.3)
    gate.expect(cue, 0.0)
    alone = frames_told(gate, concat(late, hush(0.5)), list(told))
    plain = np.array([FrameVad().is_speech(f) for f in iter_frames(late)])
    # The late echo does not start a turn (the cue would have stopped itself).
    assert first_start(alone) is None and first_start(plain) is not None
    assert alone.mean() < 0.25 * plain.mean()
    # A parent answering 1 s into the heard cue still starts one, on their own voice.
    voice = human_answer()
    at = 0.6 + 1.0
    mic = np.concatenate([late, hush(3.0)]).astype(np.int32)
    k = int(at * RATE)
    mic[k:k + len(voice)] += voice[: len(mic) - k]
    over = frames_told(gate, np.clip(mic, -32768, 32767).astype(np.int16), list(told))
    began = first_start(over)
    assert began is not None and at <= began <= at + 1.0
    own = np.array([FrameVad().is_speech(f) for f in iter_frames(concat(silence(at), voice))])
    n = min(len(own), len(over))
    assert (over[:n] & own[:n]).sum() > 0.5 * own[:n].sum()  # most of the voice is kept
