"""The calm baseline: made from real speech, stored privately, damage tolerated."""

from __future__ import annotations

import json
import os
import stat

import pytest

from audio_helpers import espeak, silence
from heard.analysis.prosody import measure
from heard.core.errors import BadAudio
from heard.store.baseline import Baseline, baseline_from_prosody, default_path, load_baseline, save_baseline


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "userdata" / "heard"
    monkeypatch.setenv("HEARD_DATA_DIR", str(d))
    return d


@pytest.fixture(scope="module")
def calm(espeak_available) -> Baseline:
    x = espeak("It's okay to be upset. I'm right here with you, and I'm not going anywhere.",
               speed=140)
    return baseline_from_prosody(measure(x))


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_baseline_from_calm_speech_describes_the_voice(calm):
    assert 80 < calm.f0_median_hz < 130  # espeak-ng's default male voice
    assert -30 < calm.loudness_db < -10
    assert 2.5 < calm.syllables_per_s < 6
    assert calm.created.startswith("20")


def test_saved_profile_is_private_and_reads_back(data_dir, calm):
    path = save_baseline(calm)
    assert path == data_dir / "profile.json" == default_path()
    assert mode(path) == 0o600
    assert mode(data_dir) == 0o700
    assert load_baseline() == calm


def test_overwriting_a_readable_file_makes_it_private(data_dir, calm):
    data_dir.mkdir(parents=True)
    path = data_dir / "profile.json"
    path.write_text("{}")
    os.chmod(path, 0o644)
    save_baseline(calm)
    assert mode(path) == 0o600
    assert load_baseline() == calm
    assert [p.name for p in data_dir.iterdir()] == ["profile.json"]  # no temp files left


def test_explicit_path_leaves_an_existing_folder_alone(tmp_path, calm):
    os.chmod(tmp_path, 0o755)
    path = save_baseline(calm, tmp_path / "mine.json")
    assert mode(path) == 0o600 and mode(tmp_path) == 0o755
    assert load_baseline(path) == calm


def test_no_profile_yet_is_quietly_none(data_dir, caplog):
    assert load_baseline() is None
    assert caplog.records == []


@pytest.mark.parametrize("content", [
    "{not json",
    "[1, 2]",
    '{"f0_median_hz": 110}',
    '{"f0_median_hz": -5, "loudness_db": -20, "syllables_per_s": 4, "created": "x"}',
    '{"f0_median_hz": "high", "loudness_db": -20, "syllables_per_s": 4, "created": "x"}',
    '{"f0_median_hz": 110, "loudness_db": NaN, "syllables_per_s": 4, "created": "x"}',
])
def test_damaged_profile_warns_and_is_ignored(data_dir, content, caplog):
    data_dir.mkdir(parents=True)
    (data_dir / "profile.json").write_text(content)
    assert load_baseline() is None
    [rec] = caplog.records
    assert rec.levelname == "WARNING" and "record a calm baseline again" in rec.getMessage()
    assert "\n" not in rec.getMessage()


def test_unreadable_bytes_warn_and_are_ignored(data_dir, caplog):
    data_dir.mkdir(parents=True)
    (data_dir / "profile.json").write_bytes(b"\xff\xfe\x00garbage")
    assert load_baseline() is None
    assert "voice profile" in caplog.text


def test_unvoiced_parts_of_a_baseline_survive_a_round_trip(tmp_path):
    b = Baseline(f0_median_hz=None, loudness_db=-24.5, syllables_per_s=None, created="2024-01-01T00:00:00+00:00")
    path = save_baseline(b, tmp_path / "p.json")
    assert json.loads(path.read_text())["f0_median_hz"] is None
    assert load_baseline(path) == b


def test_a_silent_recording_cannot_be_a_baseline():
    with pytest.raises(BadAudio, match="no speech"):
        baseline_from_prosody(measure(silence(3.0)))
