"""Commands must be meant: a short utterance that is only a command word,
heard with confidence. Everyday speech is never forced onto a command.
Real vosk with the Korean model on espeak-ng speech, plus the pure matching."""

import pytest

from audio_helpers import concat, espeak, silence
from heard.core.transcript import Transcript, Word
from heard.listen.listener import TurnListener, listen_array
from heard.practice.controls import COMMAND_ENDPOINT, command_hint, load_command_words


def said(*ws, conf=1.0):
    return Transcript(" ".join(ws), [Word(w, 0, 0.1, conf) for w in ws])


def test_a_command_word_with_other_words_around_it_is_not_a_command():
    words = load_command_words("en")
    assert words.match(said("[unk]", "stop")) is None  # "let me think ... stop"
    assert words.match(said("stop", "[unk]", "[unk]")) is None
    assert words.match(said("stop")) == "stop"


def test_stop_needs_a_clear_match_other_steps_a_confident_one():
    words = load_command_words("en")
    assert words.match(said("stop", conf=0.7)) is None
    assert words.match(said("next", conf=0.7)) == "next"
    assert words.match(said("next", conf=0.3)) is None


def test_a_long_utterance_is_talk_not_a_command():
    words = load_command_words("en")
    assert words.match(said("next"), seconds=0.5) == "next"
    assert words.match(said("next"), seconds=3.0) is None


def test_the_screen_hint_names_the_words_of_the_language():
    assert '"again"' in command_hint(load_command_words("en"))
    hint = command_hint(load_command_words("ko"))
    assert '"종료" (stop)' in hint and '"다시" (again)' in hint


@pytest.fixture(scope="module")
def ko_commands(ko_model):
    words = load_command_words("ko")
    return words, TurnListener(ko_model, endpoint_settings=COMMAND_ENDPOINT, grammar=words.grammar())


def _step(ko_commands, text):
    words, listener = ko_commands
    turn = listen_array(listener, concat(silence(0.5), espeak(text, voice="ko"), silence(1.0)),
                        listen_s=None)
    assert turn.kind == "turn"
    return words.match(turn.transcript, turn.speech_end - turn.speech_start), turn.transcript.text


@pytest.mark.slow
@pytest.mark.parametrize("text", ["잠깐만요", "넘어졌구나 괜찮아", "좋아요", "알겠어요", "종료합니다"])
def test_everyday_korean_speech_after_feedback_is_no_command(ko_commands, text):
    # Before decoys, "잠깐만요" (just a moment) was heard as 종료 and ended the session.
    step, heard = _step(ko_commands, text)
    assert step is None, heard


@pytest.mark.slow
@pytest.mark.parametrize("text, want", [("다시", "again"), ("계속", "next"), ("이유", "explain"),
                                        ("종료", "stop")])
def test_korean_command_words_said_alone_still_work(ko_commands, text, want):
    step, heard = _step(ko_commands, text)
    assert step == want, heard
