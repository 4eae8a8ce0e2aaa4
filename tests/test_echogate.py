"""The echo gate: heard's own cue, heard back through the mic, is not an answer;
a parent talking over it is. Real webrtcvad on espeak-ng speech; the "room"
is simulated (the played sound, delayed and attenuated, added to the mic),
because this machine has no speaker and microphone sharing a room."""

import numpy as np

from audio_helpers import concat, espeak, silence
from heard.core.settings import RATE, EndpointSettings
from heard.listen.echogate import EchoGate
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
