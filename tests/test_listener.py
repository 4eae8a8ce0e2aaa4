"""The turn listener on real espeak-ng speech and the real Korean vosk model.

The audio is fed through ``listen_array`` / ``ArraySource``: the same code
path as the microphone, chunk by chunk on a capture timeline, without a clock.
"""

import numpy as np
import pytest

from audio_helpers import concat, espeak, silence
from heard.core.settings import RATE
from heard.listen.listener import ArraySource, TurnListener, listen_array
from heard.practice.controls import COMMAND_ENDPOINT, load_command_words

pytestmark = pytest.mark.slow

KO_REPLY = "넘어졌구나 괜찮아"


@pytest.fixture(scope="module")
def reply():
    return espeak(KO_REPLY, voice="ko")


@pytest.fixture(scope="module")
def listener(ko_model):
    return TurnListener(ko_model)


def test_reply_after_a_wait_is_one_turn_with_its_words_on_the_take_timeline(listener, reply):
    audio = concat(silence(1.8), reply, silence(2.0))
    turn = listen_array(listener, audio, listen_s=10)
    speech_s = len(reply) / RATE
    assert turn.kind == "turn"
    assert turn.speech_start == pytest.approx(1.8, abs=0.1)
    assert turn.speech_end == pytest.approx(1.8 + speech_s, abs=0.15)
    assert turn.transcript.words, "the recogniser heard nothing in clear speech"
    # Word times are seconds from the start of listening, not from the pre-roll.
    assert turn.transcript.words[0].start >= 1.5
    assert turn.transcript.words[-1].end <= 1.8 + speech_s + 0.3
    # The turn ended after the end-of-turn silence, not at the end of the audio.
    assert len(turn.samples) / RATE == pytest.approx(1.8 + speech_s + 1.2, abs=0.15)
    assert len(turn.mask) * 480 == len(turn.samples)
    assert turn.mask[int(2.0 / 0.03)] and not turn.mask[int(1.0 / 0.03)]


def test_the_same_words_as_decoding_the_same_audio_inline(reply, steady_model):
    """The recogniser's own thread must not change what vosk decodes (batching
    frames or asking for partials did). Compared with feeding the audio the live
    recogniser was given (from the pre-roll before the answer to the end of the
    turn) frame by frame on this thread. Not with decoding the whole recording
    from its first sample: vosk's running normalisation then starts elsewhere,
    and the words may differ for reasons that are not the listener's. The model
    is an undithered copy: with Kaldi's dither, two decodes of the same audio in
    one process differ now and then whatever the listener does."""
    from heard.listen.recogniser import StreamingRecogniser

    listener = TurnListener(steady_model)
    audio = concat(silence(1.0), reply, silence(2.0))
    turn = listen_array(listener, audio, listen_s=10)
    preroll = int(round(listener.endpoint.preroll_s / 0.03))
    first = max(0, int(round(turn.speech_start / 0.03)) - preroll)
    inline = StreamingRecogniser(steady_model, RATE)
    inline.reset(offset_s=first * 0.03)
    for i in range(first, len(turn.mask)):
        inline.accept(turn.samples[i * 480:(i + 1) * 480])
    assert turn.transcript.words
    assert turn.transcript.text == inline.final().text


def test_a_thinking_pause_inside_the_reply_does_not_end_the_turn(listener, reply):
    audio = concat(silence(0.5), reply, silence(0.8), reply, silence(2.0))
    turn = listen_array(listener, audio, listen_s=10)
    second_end = 0.5 + 2 * len(reply) / RATE + 0.8
    assert turn.kind == "turn"
    assert turn.speech_end == pytest.approx(second_end, abs=0.15)


def test_silence_through_the_window_is_an_answer(listener):
    turn = listen_array(listener, silence(6.0), listen_s=3.0)
    assert turn.kind == "silence"
    assert turn.transcript.text == ""
    assert not turn.mask.any()
    assert len(turn.samples) / RATE == pytest.approx(3.0, abs=0.05)


def test_the_listener_is_reset_between_turns(listener, reply):
    first = listen_array(listener, concat(silence(0.5), reply, silence(2.0)), listen_s=10)
    second = listen_array(listener, silence(4.0), listen_s=2.0)
    assert first.kind == "turn" and second.kind == "silence"
    assert second.transcript.text == ""


def test_audio_muted_after_time_zero_counts_as_silence_in_the_wait(listener, reply):
    # The mic was muted for 0.5 s after the cue (echo tail): the first chunk
    # arrives 0.5 s after time 0, and the wait is still measured from time 0.
    t0 = 1000.0
    src = ArraySource(concat(silence(1.0), reply, silence(2.0)), start=t0 + 0.5)
    turn = listener.listen(src, 10, start=t0)
    assert turn.speech_start == pytest.approx(1.5, abs=0.1)
    assert not turn.mask[: int(0.5 / 0.03)].any()


def test_audio_from_before_time_zero_is_not_part_of_the_take(listener, reply):
    # Speech captured before listening began (e.g. the cue's echo) is cut off.
    t0 = 1000.0
    src = ArraySource(concat(reply, silence(4.0)), start=t0 - len(reply) / RATE)
    turn = listener.listen(src, 2.0, start=t0)
    assert turn.kind == "silence"


def test_until_ends_an_open_turn_as_it_stands(listener, reply):
    src = ArraySource(concat(silence(0.5), reply, reply, reply))
    calls = {"n": 0}

    def pressed():  # a push-to-talk press after ~1.5 s of audio
        calls["n"] += 1
        return calls["n"] > 50

    turn = listener.listen(src, None, start=src.start, until=pressed)
    assert turn.kind == "turn" and turn.reason == "until"
    assert turn.transcript.words


def test_spoken_command_word_is_recognised_with_the_grammar(steady_model):
    # Undithered: with Kaldi's dither a clean command word now and then comes back with an
    # extra word or a lower confidence (about 1 in 30 here; the parent then says it again),
    # and this test is about the grammar, not that rate.
    words = load_command_words("ko")
    cmd = TurnListener(steady_model, endpoint_settings=COMMAND_ENDPOINT, grammar=words.grammar())
    for spoken, step in (("다시", "again"), ("종료", "stop")):
        turn = listen_array(cmd, concat(silence(0.5), espeak(spoken, voice="ko"), silence(1.0)),
                            listen_s=None)
        assert turn.kind == "turn"
        assert words.match(turn.transcript) == step, turn.transcript.text


def test_realtime_stamps_follow_the_end_of_speech(listener, reply):
    audio = concat(silence(0.3), reply, silence(1.5))
    turn = listen_array(listener, audio, listen_s=5, realtime=True)
    st = turn.stamps
    lat = {k: st[k] - st["speech_end"] for k in ("end_of_turn", "final_transcript")}
    # End of turn is decided after the end-of-turn silence; the transcript follows it.
    assert lat["end_of_turn"] >= 1.2 - 0.05
    assert lat["final_transcript"] >= lat["end_of_turn"]
    assert np.isfinite(list(lat.values())).all()


# ---------------------------------------------------------------- step commands

import threading  # noqa: E402

from heard.core.errors import HeardError  # noqa: E402
from heard.core.transcript import Transcript, Word  # noqa: E402
from heard.practice.controls import STEPS, KeyInput, PushToTalk, StepWaiter, key_to_step  # noqa: E402


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_language_has_words_for_every_step(lang):
    words = load_command_words(lang)
    assert set(words.phrases.values()) == set(STEPS)


def test_only_a_whole_confident_command_counts():
    words = load_command_words("en")

    def said(*ws, conf=1.0):
        return Transcript(" ".join(ws), [Word(w, 0, 0.1, conf) for w in ws])

    assert words.match(said("next")) == "next"
    assert words.match(said("one", "more", "time")) == "again"
    assert words.match(said("again", "again")) == "again"
    assert words.match(said("next", "stop")) is None  # mixed: not sure what was meant
    assert words.match(said("stop", conf=0.2)) is None
    assert words.match(said()) is None
    assert "[unk]" in words.grammar()
    assert "" not in load_command_words("ko").grammar()


def test_keys_map_to_steps():
    assert [key_to_step(k) for k in ["\n", "a\n", "N", "r", "explain", "q", "x"]] == \
        ["next", "again", "next", "repeat", "explain", "stop", None]


def press_soon(keys, *lines, after_s: float = 0.05):
    """Type ``lines`` just after the prompt appears (keys typed before it are discarded)."""
    t = threading.Timer(after_s, lambda: [keys.press(x) for x in lines])
    t.start()
    return t


def test_keyboard_steps_skip_unknown_keys_and_stop_when_input_closes():
    keys = KeyInput(read=False)
    waiter = StepWaiter(keys)
    press_soon(keys, "zzz\n", "a\n")
    assert waiter.wait() == "again"
    assert waiter.wait() == "stop"  # nothing more can come


def test_keys_typed_before_the_prompt_are_discarded():
    keys = KeyInput(read=False)
    keys.press("q\n")  # typed during the take: not an answer to the prompt that follows
    waiter = StepWaiter(keys)
    press_soon(keys, "n\n")
    assert waiter.wait() == "next"


def test_a_key_pressed_the_moment_the_prompt_shows_counts():
    keys = KeyInput(read=False)
    keys.press("n\n")  # typed during the feedback: discarded
    # The user answers the instant the prompt appears (before wait() gets further).
    assert StepWaiter(keys).wait(prompt=lambda: keys.press("q\n")) == "stop"


def test_push_to_talk_ignores_a_press_from_before_the_turn():
    keys = KeyInput(read=False)
    keys.press("\n")  # Enter during the narration
    pressed = PushToTalk(keys).until()
    assert not pressed()
    keys.press("\n")
    assert pressed()


def test_the_i_was_not_finished_key_is_a_step():
    assert key_to_step("w\n") == "continue"


def test_a_key_interrupts_listening_for_a_spoken_command(ko_model):
    words = load_command_words("ko")
    cmd = TurnListener(ko_model, endpoint_settings=COMMAND_ENDPOINT, grammar=words.grammar())
    keys = KeyInput(read=False)
    src = ArraySource(silence(30.0), realtime=True)  # the key comes while audio arrives
    press_soon(keys, "e\n", after_s=0.3)
    assert StepWaiter(keys, words, cmd, src).wait() == "explain"
    assert src.pos < 30 * RATE  # it did not sit through the audio


def test_spoken_command_is_taken_from_the_microphone_stream(steady_model):
    words = load_command_words("ko")
    cmd = TurnListener(steady_model, endpoint_settings=COMMAND_ENDPOINT, grammar=words.grammar())
    heard = []
    src = ArraySource(concat(silence(0.5), espeak("다시", voice="ko"), silence(1.0)))
    step = StepWaiter(KeyInput(read=False), words, cmd, src).wait(lambda t, s: heard.append(s))
    assert step == "again" and heard == ["again"]


def test_broken_command_file_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "commands.toml").write_text('[steps]\nagain = ["go"]\nnext = ["go"]\n')
    monkeypatch.setenv("HEARD_PROMPTS", str(tmp_path))
    with pytest.raises(HeardError, match="used for both"):
        load_command_words("xx")
    with pytest.raises(HeardError, match="no voice command words for language 'yy'"):
        load_command_words("yy")


def test_word_times_are_right_on_every_turn_not_only_the_first(listener, reply):
    audio = concat(silence(1.0), reply, silence(2.0))
    firsts = [listen_array(listener, audio, listen_s=10).transcript.words[0].start
              for _ in range(3)]
    assert firsts[2] == pytest.approx(firsts[0], abs=0.05)


def test_a_microphone_lost_mid_answer_leaves_no_recogniser_thread_behind(listener, reply):
    import threading
    import time

    class Dies:
        """The reply arrives, then the device goes away mid-word."""

        def __init__(self) -> None:
            self.src = ArraySource(concat(silence(0.5), reply))
            self.n = 0

        def read(self, timeout: float = 0.1):
            self.n += 1
            if self.n > 40:  # 1.2 s in: speech has started, the recogniser is running
                raise OSError("device unplugged")
            return self.src.read(timeout)

    def workers() -> int:
        return sum(t.name == "heard-recogniser" and t.is_alive() for t in threading.enumerate())

    before = workers()
    with pytest.raises(OSError):
        listener.listen(Dies(), 10)
    deadline = time.monotonic() + 5
    while workers() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers() == before
