"""Report pages (issue 12): real takes from real WAVs, real SQLite, a real headless Chromium.

What a user would notice: the page opens with no errors, holds the wait bar,
every finding's quote and the pitch plot, is not blank on a phone or a
desktop, never shows words the history did not keep, is private (0600), and
bad input is one line with exit 2.
"""

from __future__ import annotations

import html
import json
import os
import re
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from browser import assert_not_blank, dump_dom, pdf_pages, print_pdf, screenshot
from cli_helpers import assert_one_line_error, run_heard
from heard.analysis.take import report_json
from heard.report.page import write_page
from heard.report.takepage import take_page
from heard.store.history import History
from heard.store.recording import take_record
from report_helpers import calm_baseline, make_take, take_json

pytestmark = pytest.mark.usefixtures("espeak_available")

SCRIPT = ["You really want a cookie.", "But you need to stop crying now."]
SECRET = "zebra marmalade whispered softly"
PHONE, DESKTOP = 390, 1280


def mode(p: Path) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


def ids(dom: str) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', dom))


def text_of(dom: str) -> str:
    """The page's visible text, tags stripped, entities decoded, spaces collapsed."""
    body = re.sub(r"<style.*?</style>", " ", dom, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def assert_self_contained(page: str) -> None:
    """Nothing to fetch: no script, no external src/href/url(); the CSP forbids it anyway."""
    assert "<script" not in page
    assert not re.search(r'\b(?:src|href)="(?!#)', page), "a link to something outside the page"
    assert not re.search(r"url\((?!#)", page)
    assert "default-src 'none'" in page


@pytest.fixture(scope="module")
def calm(tmp_path_factory):
    return calm_baseline(tmp_path_factory.mktemp("calm"))


@pytest.fixture(scope="module")
def take_page_file(tmp_path_factory, calm) -> tuple[Path, dict]:
    d = tmp_path_factory.mktemp("take")
    take = take_json(d, SCRIPT, baseline=calm)
    return write_page(d / "take.html", take_page(take, when="take.wav")), take


def test_the_console_check_can_fail(tmp_path):
    """The browser helper really sees console messages (so `console == []` means something)."""
    page = tmp_path / "noisy.html"
    page.write_text('<!DOCTYPE html><p>x</p><script>console.error("boom-from-page")</script>')
    _, console = dump_dom(page)
    assert any("boom-from-page" in line for line in console), console


# -- one take --------------------------------------------------------------------

def test_take_page_opens_in_a_browser_with_its_parts(take_page_file):
    page, take = take_page_file
    dom, console = dump_dom(page)
    assert console == [], console
    assert_self_contained(page.read_text())
    found = ids(dom)
    assert any(i.endswith("wait-bar") for i in found), "no wait bar"
    assert any(i.endswith("end-of-turn") for i in found), "no end-of-turn mark"
    assert any(i.endswith("pitch-line") for i in found), "no pitch contour"
    assert any(i.endswith("calm-pitch_st") for i in found), "calibrated, but no calm band"
    text = text_of(dom)
    assert take["findings"], "the take should have findings to show"
    for f in take["findings"]:
        assert f["evidence"] and f["evidence"] in text, f
    # Words coloured by confidence: the take has sure and unsure words, both marked.
    assert 'class="w high"' in dom and 'class="w low"' in dom
    # The quoted words of the first word-choice finding are marked in the transcript.
    assert re.search(r'<mark id="take-1-q\d+"', dom)
    assert take["feedback"]["spoken"] in text
    for d in take["feedback"]["details"]:
        assert d in text
    # Every plot has a text equivalent: a caption and a table.
    assert dom.count("<figcaption") == dom.count("<figure") >= 2
    assert dom.count("<table") >= dom.count("<figure")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_take_page_is_not_blank_on_phone_and_desktop(take_page_file, width):
    pixels = screenshot(take_page_file[0], width)
    assert pixels.shape[1] == width
    assert_not_blank(pixels)


def test_take_page_fits_a_phone_without_sideways_scrolling(take_page_file, tmp_path):
    """At 390 px the layout reflows: the rightmost columns of the screenshot are plain page."""
    pixels = screenshot(take_page_file[0], PHONE)
    # Body padding keeps the last few pixels white unless something overflows to the edge.
    edge = pixels[:, -4:, :].astype(int)
    assert float((edge.min(axis=2) < 200).mean()) < 0.01


def test_take_page_prints_on_a4(take_page_file):
    """Printed, the page is A4 (595 x 842 pt) and a few pages, not one per plot."""
    pages = pdf_pages(print_pdf(take_page_file[0]))
    assert 1 <= len(pages) <= 6, len(pages)
    for w, h in pages:
        assert w == pytest.approx(595.3, abs=1.5) and h == pytest.approx(841.9, abs=1.5)


def test_the_page_and_the_json_contract_agree(take_page_file):
    """The page is built from the `--json` dict: its numbers are the same."""
    _, take = take_page_file
    dom, _ = dump_dom(take_page_file[0])
    text = text_of(dom)
    assert f"waited {take['pacing']['wait_s']:.1f} s" in text
    assert f"words {take['pacing']['words']}" in text
    contract = {k: v for k, v in take.items() if k != "timeline"}
    assert set(contract) == {"scenario", "transcript", "pacing", "tone", "findings", "feedback",
                             "unclear"}


def test_same_take_gives_the_same_bytes(tmp_path, calm):
    a, samples, mask, _ = make_take(tmp_path, SCRIPT, baseline=calm)
    one = take_page(report_json(a, samples, mask), when="x")
    two = take_page(report_json(a, samples, mask), when="x")
    assert one == two


def test_uncalibrated_take_says_so_and_draws_no_band(tmp_path):
    page = write_page(tmp_path / "t.html", take_page(take_json(tmp_path, SCRIPT[:1]), when="x"))
    dom, console = dump_dom(page)
    assert console == []
    assert not any(i.endswith("calm-pitch_st") for i in ids(dom))
    assert "heard calibrate" in text_of(dom)


def test_retry_shows_before_and_after_side_by_side(tmp_path, calm):
    from heard.report.takepage import session_page

    first, s1, m1, _ = make_take(tmp_path, SCRIPT, baseline=calm, name="a.wav")
    second, s2, m2, _ = make_take(tmp_path, ["You really want a cookie now."], baseline=calm,
                                  name="b.wav", previous=first.summary())
    page = write_page(tmp_path / "s.html", session_page(
        [(report_json(first, s1, m1), False), (report_json(second, s2, m2), True)], when="now"))
    dom, console = dump_dom(page)
    assert console == []
    assert '<div class="pair">' in dom
    text = text_of(dom)
    assert "Before" in text and "After" in text
    assert text.index(first.feedback.spoken) < text.index(second.feedback.spoken)
    assert_not_blank(screenshot(page, PHONE))


# -- the commands ----------------------------------------------------------------

def test_typed_take_gives_a_clear_page_without_a_timeline(tmp_path):
    out = tmp_path / "typed.html"
    r = run_heard("analyse", "--scenario", "cookie", "--text", "You really want a cookie.",
                  "--html", out)
    assert r.returncode == 0, r.stderr
    assert mode(out) == 0o600
    dom, console = dump_dom(out)
    assert console == []
    text = text_of(dom)
    assert "typed" in text.lower() and "You really want a cookie." in text
    assert not any(i.endswith("wait-bar") for i in ids(dom))
    assert_not_blank(screenshot(out, PHONE))


def test_html_to_a_missing_folder_is_one_line(tmp_path):
    r = run_heard("analyse", "--scenario", "cookie", "--text", "hi", "--html",
                  tmp_path / "nope" / "x.html")
    assert_one_line_error(r)
    assert "nope" in r.stderr


@pytest.mark.slow
def test_analyse_html_with_the_real_recogniser(tmp_path, ko_model_dir):
    """The whole path a user runs: a WAV, the real vosk engine, the page beside --json."""
    from audio_helpers import concat, espeak, save, silence

    wav = save(tmp_path / "take.wav", concat(silence(1.2), espeak("I see you are sad."),
                                              silence(1.5)))
    out = tmp_path / "take.html"
    r = run_heard("analyse", "--scenario", "cookie", wav, "--model", ko_model_dir, "--json",
                  "--html", out)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert mode(out) == 0o600
    dom, console = dump_dom(out)
    assert console == []
    found = ids(dom)
    assert any(i.endswith("wait-bar") for i in found)
    assert any(i.endswith("pitch-line") for i in found)
    assert f"waited {data['pacing']['wait_s']:.1f} s" in text_of(dom)
    for f in data["findings"]:
        assert f["evidence"] in text_of(dom)


def _history(db: Path, takes: list[tuple], *, anonymous: bool = False) -> list[int]:
    """Save analysed takes [(analysis, samples, created, session)] to a real SQLite history."""
    from heard.store.recording import _report

    out = []
    with History(db, anonymous=anonymous) as h:
        for a, samples, created, session in takes:
            rec = take_record(a, created=created, session_id=session, anonymous=anonymous,
                              detail=None if anonymous else _report(a, samples))
            out.append(h.add(rec))
    return out


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, calm):
    """A few real takes of two scenarios: a good one, a rushed one, a wordy one."""
    d = tmp_path_factory.mktemp("hist")
    a1 = make_take(d, SCRIPT, baseline=calm, name="1.wav")
    a2 = make_take(d, ["You really want a cookie."], wait_s=2.5, baseline=calm, name="2.wav",
                   previous=a1[0].summary())
    a3 = make_take(d, ["Stop crying, you're fine, it's only a bump, big kids don't cry."],
                   wait_s=0.2, scenario="tripped-rug", baseline=calm, name="3.wav")
    return [a1, a2, a3]


def _day(offset: int, minutes: float = 0) -> str:
    t = datetime(2026, 3, 10, 9, 30, tzinfo=UTC) + timedelta(days=offset, minutes=minutes)
    return t.isoformat()


def test_progress_page_from_a_real_history(tmp_path, analysed):
    data = tmp_path / "data"
    takes = [(a[0], a[1], _day(i), f"s{i}") for i, a in enumerate(analysed)]
    takes += [(analysed[0][0], analysed[0][1], _day(3), "s9")]
    _history(data / "history.sqlite3", takes)
    out = tmp_path / "progress.html"
    r = run_heard("report", "--last", "10", "-o", out, data_dir=data)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(out)
    assert mode(out) == 0o600
    dom, console = dump_dom(out)
    assert console == [], console
    assert_self_contained(out.read_text())
    text = text_of(dom)
    # Strengths come before concerns.
    assert 0 <= text.index("What you do well") < text.index("What to keep working on")
    assert "progress-series-fig" in ids(dom) and "progress-areas-fig" in ids(dom)
    for sid in ("cookie", "tripped-rug"):
        assert sid in text
    assert "4 takes" in text
    # The per-take table holds each take's wait.
    for a in analysed:
        assert f"{a[0].pacing.wait_s:.1f}" in text
    for width in (PHONE, DESKTOP):
        assert_not_blank(screenshot(out, width))


def test_take_from_history_with_its_retry(tmp_path, analysed):
    data = tmp_path / "data"
    ids_ = _history(data / "history.sqlite3", [(analysed[0][0], analysed[0][1], _day(0), "s1"),
                                               (analysed[1][0], analysed[1][1], _day(0, 1), "s1")])
    out = tmp_path / "t.html"
    r = run_heard("report", "--take", ids_[1], "-o", out, data_dir=data)
    assert r.returncode == 0, r.stderr
    dom, console = dump_dom(out)
    assert console == []
    assert '<div class="pair">' in dom
    assert any(i.endswith("wait-bar") for i in ids(dom))
    assert any(i.endswith("pitch-line") for i in ids(dom))
    text = text_of(dom)
    for f in analysed[1][0].findings:
        assert f.evidence in text


def test_anonymous_history_shows_no_words(tmp_path, analysed):
    from dataclasses import replace

    from heard.core.transcript import Transcript

    a = replace(analysed[0][0], transcript=Transcript(SECRET, []))
    data = tmp_path / "data"
    ids_ = _history(data / "history.sqlite3", [(a, analysed[0][1], _day(0), "k1")],
                    anonymous=True)
    out = tmp_path / "t.html"
    r = run_heard("report", "--take", ids_[0], "-o", out, data_dir=data)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert SECRET not in page and "marmalade" not in page
    assert "not kept" in text_of(dump_dom(out)[0])


def test_kiosk_day_counts_visitors_and_never_shows_words(tmp_path, analysed):
    data = tmp_path / "data"
    db = data / "history.sqlite3"
    day = datetime(2026, 3, 10, 12, 0).astimezone()  # local noon: the same local day
    at = lambda h: (day + timedelta(hours=h)).isoformat()  # noqa: E731
    # Two visitors (sessions) that day, three takes; one take the next day is left out.
    _history(db, [(analysed[0][0], analysed[0][1], at(0), "v1"),
                  (analysed[1][0], analysed[1][1], at(0.1), "v1"),
                  (analysed[2][0], analysed[2][1], at(1), "v2"),
                  (analysed[2][0], analysed[2][1], at(30), "v3")], anonymous=True)
    out = tmp_path / "kiosk.html"
    r = run_heard("report", "--kiosk", day.date().isoformat(), "-o", out, data_dir=data)
    assert r.returncode == 0, r.stderr
    assert mode(out) == 0o600
    dom, console = dump_dom(out)
    assert console == []
    assert_self_contained(out.read_text())
    text = text_of(dom)
    assert "visitors 2" in text and "takes 3" in text and "scenarios 2" in text
    # Share of each finding: a finding in all three takes is 100 %, strengths listed first.
    shared = set.intersection(*({f.id for f in a[0].findings} for a in analysed))
    if shared:
        assert "100 %" in text
    for a in analysed:  # no words at all, not even the quotes findings carry
        for f in a[0].findings:
            if f.area == "word_choice":
                assert f.evidence not in text
        assert a[0].transcript.words[0].word + " " + a[0].transcript.words[1].word not in text
    for width in (PHONE, DESKTOP):
        assert_not_blank(screenshot(out, width))


def test_kiosk_page_of_a_full_history_still_shows_no_words(tmp_path, analysed):
    data = tmp_path / "data"
    day = datetime(2026, 3, 10, 12, 0).astimezone()
    _history(data / "history.sqlite3", [(analysed[0][0], analysed[0][1], day.isoformat(), "v1")])
    out = tmp_path / "kiosk.html"
    r = run_heard("report", "--kiosk", day.date().isoformat(), "-o", out, data_dir=data)
    assert r.returncode == 0, r.stderr
    page = out.read_text()
    assert "cookie" in page
    for w in ("really want", SCRIPT[0], analysed[0][0].feedback.spoken):
        assert w not in page


# -- bad input -------------------------------------------------------------------

def test_missing_take_id_is_one_line(tmp_path, analysed):
    data = tmp_path / "data"
    _history(data / "history.sqlite3", [(analysed[0][0], analysed[0][1], _day(0), "s")])
    out = tmp_path / "x.html"
    line = assert_one_line_error(run_heard("report", "--take", "999", "-o", out, data_dir=data))
    assert "#999" in line and "heard history" in line
    assert not out.exists()


def test_empty_history_is_one_line(tmp_path):
    out = tmp_path / "x.html"
    line = assert_one_line_error(run_heard("report", "-o", out, data_dir=tmp_path / "none"))
    assert "no takes" in line
    assert not out.exists() and not (tmp_path / "none" / "history.sqlite3").exists()
    # A history file with no takes in it, too.
    History(tmp_path / "d" / "history.sqlite3").close()
    assert_one_line_error(run_heard("report", "--last", "3", "-o", out, data_dir=tmp_path / "d"))


def test_kiosk_day_without_takes_is_one_line(tmp_path):
    History(tmp_path / "d" / "history.sqlite3").close()
    line = assert_one_line_error(run_heard("report", "--kiosk", "2026-01-02", "-o",
                                           tmp_path / "k.html", data_dir=tmp_path / "d"))
    assert "2026-01-02" in line


@pytest.mark.parametrize("args", [["--take", "x"], ["--kiosk", "yesterday-ish"],
                                  ["--last", "0"], ["--take", "1", "--last", "2"]])
def test_bad_report_arguments_are_one_line(args):
    assert_one_line_error(run_heard("report", *args), prefix="heard report: ")


# -- practice pays nothing for reports --------------------------------------------

def test_practice_path_does_not_import_matplotlib(tmp_path):
    """`import heard.cli`, the practice command and saving a take never load matplotlib."""
    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent)!r})
import heard.cli
heard.cli.build_parser()
import heard.commands.practice, heard.practice.session, heard.practice.kiosk
from pathlib import Path
from report_helpers import make_take
from heard.store.recording import RecordingSettings, TakeRecorder
a, samples, mask, _ = make_take(Path({str(tmp_path)!r}), ["You really want a cookie."])
rec = TakeRecorder.open(RecordingSettings(path=Path({str(tmp_path / 'h.sqlite3')!r})))
assert rec(a, samples=samples) is not None
rec.close()
print("matplotlib" in sys.modules, [m for m in sys.modules if m.startswith("matplotlib")][:3])
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("False"), r.stdout


def test_saved_take_keeps_its_timeline_for_a_page_later(tmp_path, analysed):
    db = tmp_path / "h.sqlite3"
    _history(db, [(analysed[0][0], analysed[0][1], _day(0), "s")])
    with History(db) as h:
        rec = h.recent(1)[0]
    detail = rec.metrics["detail"]
    assert detail["timeline"]["segments"] and detail["words"]
    assert [f["id"] for f in detail["findings"]] == rec.findings


def test_session_page_goes_to_the_private_folder_and_forget_deletes_it(tmp_path, monkeypatch,
                                                                        analysed):
    """`practice --report` without a file: a private page in the data folder; forget removes it."""
    from types import SimpleNamespace

    from heard.commands.practice import session_report

    data = tmp_path / "data"
    monkeypatch.setenv("HEARD_DATA_DIR", str(data))
    _history(data / "history.sqlite3", [(analysed[0][0], analysed[0][1], _day(0), "s")])
    a, samples, mask, _ = analysed[0]
    # What the session keeps per take (practice.session.TakeResult): the analysis and the turn.
    takes = [SimpleNamespace(analysis=a, turn=SimpleNamespace(samples=samples, mask=mask),
                             compared=False)]
    page = session_report(takes, True)
    assert page.parent == data / "reports"
    assert mode(page) == 0o600 and mode(page.parent) == 0o700
    dom, console = dump_dom(page)
    assert console == [] and any(i.endswith("wait-bar") for i in ids(dom))
    r = run_heard("forget", "--yes", data_dir=data)
    assert r.returncode == 0, r.stderr
    assert not page.exists()


def test_old_and_damaged_saved_takes_still_give_a_page(tmp_path):
    """A take saved before timelines were kept, and one whose detail is damaged: a page, no traceback."""
    from heard.store.history import TakeRecord

    data = tmp_path / "data"
    with History(data / "history.sqlite3") as h:
        old = h.add(TakeRecord(scenario="cookie", created=_day(0), transcript="You really want it.",
                               metrics={"pacing": {"wait_s": 1.2, "words": 4}, "tone": {}},
                               findings=["acknowledges_view"], feedback="Kind words."))
        bad = h.add(TakeRecord(scenario="cookie", created=_day(0, 5), transcript="Hush now.",
                               metrics={"pacing": {"wait_s": "soon"}, "tone": [],
                                        "detail": {"words": [1, None], "findings": ["x"],
                                                   "timeline": {"segments": "oops"}}},
                               findings=["pushes_to_stop"], feedback="Try waiting."))
    for take_id, words, note in ((old, "You really want it.", "before heard kept timelines"),
                                 (bad, "Hush now.", None)):
        out = tmp_path / f"{take_id}.html"
        r = run_heard("report", "--take", take_id, "-o", out, data_dir=data)
        assert r.returncode == 0, r.stderr
        dom, console = dump_dom(out)
        assert console == []
        text = text_of(dom)
        assert all(w in text for w in words.split())
        if note:
            assert note in text
    r = run_heard("report", "-o", tmp_path / "p.html", data_dir=data)
    assert r.returncode == 0, r.stderr
