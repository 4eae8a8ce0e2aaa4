"""Session set-up choices that a user would notice, without audio hardware.

The model and microphone are stand-ins here (plain objects) because set-up
never touches them; the live loop is tested on PulseAudio in test_practice_pulse.
"""

from heard.practice.controls import KeyInput
from heard.practice.session import PracticeSession, SessionSettings
from heard.store.baseline import Baseline, save_baseline


def _prepared(**settings) -> PracticeSession:
    s = PracticeSession(SessionSettings(scenarios=("cookie",), speak=False, once=True, **settings),
                        model=object(), capture=object(), keys=KeyInput(read=False))
    s._prepare()
    return s


def test_a_kiosk_visitor_is_not_compared_with_the_owners_calm_voice(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARD_DATA_DIR", str(tmp_path))
    save_baseline(Baseline(f0_median_hz=110.0, loudness_db=-25.0, syllables_per_s=4.0,
                           created="2026-11-27T00:00:00+00:00"))
    assert _prepared().baseline is not None  # the owner practising at home
    assert _prepared(use_baseline=False).baseline is None  # a visitor at the kiosk
