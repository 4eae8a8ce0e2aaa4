"""The real vosk engine with the real Korean model from PyPI.

The Korean model can't read English, so these tests check what the engine
does for every language: loading, streaming, word times and confidences.
Tests that need English recognition use ``en_model_dir`` and skip without one.
"""

import pytest

from audio_helpers import concat, espeak, silence
from heard.core.errors import ModelMissing
from heard.listen.recogniser import StreamingRecogniser, load_model, transcribe
from model_helpers import linked_copy

pytestmark = pytest.mark.slow

KO_TEXT = "안녕하세요 오늘은 날씨가 좋네요"


@pytest.fixture(scope="module")
def ko_take():
    return concat(silence(1.0), espeak(KO_TEXT, voice="ko"), silence(1.0))


def test_streaming_gives_timed_confident_words_inside_the_audio(ko_model, ko_take):
    tr = transcribe(ko_model, ko_take, chunk_s=0.1)
    assert tr.words, "the model heard nothing in clear speech"
    dur = len(ko_take) / 16000
    starts = [w.start for w in tr.words]
    assert starts == sorted(starts)
    for w in tr.words:
        assert 0.0 <= w.start <= w.end <= dur
        assert 0.0 <= w.conf <= 1.0
    # Speech starts after the 1 s of leading silence.
    assert tr.words[0].start >= 0.8
    assert tr.words[-1].end <= dur - 0.8
    assert tr.text == " ".join(w.word for w in tr.words)


def test_offset_shifts_word_times(ko_model, ko_take):
    a = transcribe(ko_model, ko_take)
    b = transcribe(ko_model, ko_take, offset_s=2.5)
    # (vosk's words can differ slightly between runs on speech it can't read; times can't)
    assert b.words[0].start == pytest.approx(a.words[0].start + 2.5, abs=0.05)
    assert b.words[-1].end == pytest.approx(a.words[-1].end + 2.5, abs=0.05)


def test_silence_gives_an_empty_transcript(ko_model):
    tr = transcribe(ko_model, silence(2.0))
    assert tr.words == [] and tr.text == ""


def test_recogniser_reset_starts_a_fresh_turn(ko_model, ko_take):
    rec = StreamingRecogniser(ko_model)
    rec.accept(ko_take)
    first = rec.final()
    rec.reset()
    rec.accept(silence(1.0))
    assert first.words and rec.final().words == []


def test_grammar_restricted_recognition_picks_the_command(steady_model):
    # Korean command words spoken by espeak-ng: the same code path English uses
    # (undithered: the exact words are asserted).
    rec = StreamingRecogniser(steady_model, grammar=["다시", "다음", "그만"])
    rec.accept(concat(silence(0.3), espeak("다음", voice="ko"), silence(0.5)))
    assert rec.final().text == "다음"


def test_model_with_a_file_missing_is_refused_in_one_line(ko_model_dir, tmp_path):
    broken = linked_copy(ko_model_dir, tmp_path / "model")
    (broken / "am" / "final.mdl").unlink()
    with pytest.raises(ModelMissing) as e:
        load_model(broken)
    assert "\n" not in str(e.value)


def test_corrupt_model_file_is_refused_in_one_line(ko_model_dir, tmp_path):
    broken = linked_copy(ko_model_dir, tmp_path / "model")
    (broken / "am" / "final.mdl").unlink()  # the link, not the real model
    (broken / "am" / "final.mdl").write_bytes(b"not a model" * 10)
    with pytest.raises(ModelMissing) as e:
        load_model(broken)
    assert "\n" not in str(e.value)


def test_missing_model_dir(tmp_path):
    with pytest.raises(ModelMissing):
        load_model(tmp_path / "nope")


def test_word_times_restart_at_each_reset(ko_model, ko_take):
    rec = StreamingRecogniser(ko_model)
    rec.accept(ko_take)
    first = rec.final()
    rec.reset()
    rec.accept(ko_take)
    second = rec.final()
    assert second.words[0].start == pytest.approx(first.words[0].start, abs=0.05)
