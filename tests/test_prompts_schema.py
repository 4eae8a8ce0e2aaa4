"""The prompts/ schema and its one strict loader: a facilitator's broken edit is one
line naming the file, the key and what was expected (exit 2), never a traceback,
a hang or silence; an edit is picked up without restarting."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli_helpers import assert_one_line_error, run_heard
from heard.analysis.feedback import compose
from heard.analysis.findings import Finding
from heard.analysis.wordchoice import analyse_word_choice
from heard.core import schema
from heard.core.errors import HeardError
from heard.core.rules import load_rules, validate_folder
from heard.core.transcript import Transcript

REPO = Path(__file__).resolve().parent.parent
PROMPTS = REPO / "prompts"


@pytest.fixture
def folder(tmp_path):
    dest = tmp_path / "prompts"
    shutil.copytree(PROMPTS, dest)
    return dest


def edit(folder: Path, rel: str, old: str, new: str) -> None:
    path = folder / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, (rel, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_folder_is_valid_and_check_says_so():
    rules = validate_folder(PROMPTS)
    assert "cookie" in rules.scenarios and rules.lang == "en"
    out = run_heard("check", "--prompts", str(PROMPTS))
    assert out.returncode == 0 and "prompts OK" in out.stdout, out.stderr


# (file, old text, new text, what the one line must say) -- the broken edits found in issue 11
COOKIE = "en/scenarios/cookie.toml"
BROKEN = [
    (COOKIE, 'cue_words = "I want', 'cue_words = 5\nx = "', "`cue_words` must be a text, not 5"),
    (COOKIE, "listen_seconds = 10", 'listen_seconds = "ten"', "`listen_seconds` must be a number"),
    (COOKIE, "listen_seconds = 10", "listen_seconds = -5", "`listen_seconds` must be a number from 1 to 600, not -5"),
    (COOKIE, "listen_seconds = 10", "listen_seconds = 0", "`listen_seconds` must be a number from 1"),
    (COOKIE, "listen_seconds = 10", "listen_seconds = nan", "`listen_seconds` must be a number"),
    (COOKIE, "listen_seconds = 10", "listen_seconds = inf", "`listen_seconds` must be a number"),
    (COOKIE, "listen_seconds = 10", "listen_second = 10", "`listen_second` is not a known key; did you mean `listen_seconds`?"),
    (COOKIE, "facts = [", "facs = [", "`facs` is not a known key; did you mean `facts`?"),
    (COOKIE, 'facts = ["cookie", "now", "dinner", "said no", "want"]', 'facts = "cookie"',
     "`facts` must be a list of phrases"),
    (COOKIE, 'intensity = "strong"', 'intensity = "huge"', "`intensity` must be one of 'mild', 'strong'"),
    ("en/feedback.toml", "open = '\"'\n", "", "`quotes.open` is missing"),
    ("en/lexicon/grammar.toml", "disfluencies = [", "disfluencies = 5\nxx = [", "`disfluencies` must be a list of texts"),
    ("en/lexicon/concerns.toml", "pity = [", 'pity = ["", ', "`pity` item 1 is empty"),
    ("en/lexicon/concerns.toml", "pity = [", "pity = [[[[[[[[[[1]]]]]]]]]]\nxpity = [", "`pity` item 1 must be a text"),
    ("pacing.toml", "waited_s = 2.0", "waited_s = -1", "`waited_s` must be a number from 0 to 600"),
    ("en/commands.toml", "again = [", "agian = [", "`steps.agian` is not a known key; did you mean `again`?"),
    ("en/kiosk.toml", "mic_seconds = 3.0", "mic_seconds = true", "`check.mic_seconds` must be a number"),
    ("en/history.toml", "\n[phrases]", "\n[phrase]", "`phrase` is not a known key; did you mean `phrases`?"),
    ("wordchoice.toml", "unclear_fraction = 0.4", "unclear_fraction = 4", "`confidence.unclear_fraction` must be a number from 0 to 1"),
]


@pytest.mark.parametrize("rel,old,new,says", BROKEN, ids=[f"{b[0]}:{b[3][:30]}" for b in BROKEN])
def test_a_broken_edit_is_one_line_naming_file_key_and_expectation(folder, rel, old, new, says):
    edit(folder, rel, old, new)
    with pytest.raises(HeardError) as err:
        load_rules(folder)
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(rel), msg
    assert says in msg, msg


def test_check_prompts_exits_2_with_one_line(folder):
    edit(folder, COOKIE, "listen_seconds = 10", "listen_second = 10")
    out = run_heard("check", "--prompts", str(folder))
    assert out.returncode == 2
    assert "did you mean `listen_seconds`?" in assert_one_line_error(out)


def test_an_empty_concerns_file_names_the_first_missing_list(folder):
    (folder / "en/lexicon/concerns.toml").write_text("", encoding="utf-8")
    with pytest.raises(HeardError, match=r"^en/lexicon/concerns\.toml: `pushes_to_stop` is missing"):
        load_rules(folder)


def test_an_unknown_file_is_named_with_a_suggestion(folder):
    shutil.copy(folder / "tone.toml", folder / "tones.toml")
    with pytest.raises(HeardError, match=r"tones\.toml is not one heard reads; did you mean `tone\.toml`\?"):
        load_rules(folder)


def test_a_fifo_in_prompts_is_refused_without_blocking(folder):
    os.mkfifo(folder / "en" / "scenarios" / "zzz.toml")
    # a subprocess with a timeout: a blocking open() would hang the test run, not fail it
    out = subprocess.run([sys.executable, "-m", "heard", "check", "--prompts", str(folder)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "zzz.toml is not a regular file" in assert_one_line_error(out)


def test_a_fifo_as_any_prompts_file_is_refused(folder):
    (folder / "tone.toml").unlink()
    os.mkfifo(folder / "tone.toml")
    with pytest.raises(HeardError, match="tone.toml is not a regular file"):
        load_rules(folder)


def test_an_edit_is_picked_up_without_restarting(folder):
    assert load_rules(folder).scenarios["cookie"].listen_seconds == 10
    edit(folder, COOKIE, "listen_seconds = 10", "listen_seconds = 12.5     ")
    assert load_rules(folder).scenarios["cookie"].listen_seconds == 12.5


def test_the_rules_are_frozen(folder):
    rules = load_rules(folder)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.pacing = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        rules.language.grammar["fillers"] = ()  # type: ignore[index]


def test_every_shipped_file_has_a_schema_and_every_schema_a_file():
    shipped = {p.relative_to(PROMPTS).as_posix() for p in PROMPTS.rglob("*.toml")}
    patterns = {re.sub(r"^(en|ko)/", "<lang>/", re.sub(r"scenarios/[^/]+$", "scenarios/*.toml", s))
                for s in shipped}
    assert patterns == set(schema.FILES)


# ------------------------------------------------- random broken edits (Hypothesis)

FILES = sorted(p.relative_to(PROMPTS).as_posix() for p in PROMPTS.rglob("*.toml")
               if "scenarios" not in p.parts or p.name in ("cookie.toml", "go-away.toml"))
VALUES = ['5', '-5', '0', 'nan', 'inf', '-inf', '""', '" "', '"ten"', 'true', '[]', '[""]', '[5]',
          '[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]' * 3, '{}', '{a = 1}', '1979-05-27', '"\\u0000"',
          '[' * 2000 + ']' * 2000, '"{kid}"', '"{"', '["{child"]']


@st.composite
def broken_edit(draw):
    rel = draw(st.sampled_from(FILES))
    lines = (PROMPTS / rel).read_text(encoding="utf-8").splitlines()
    n = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["value", "delete", "typo", "garbage", "duplicate"]))
    line = lines[n]
    if how == "value" and "=" in line:
        lines[n] = line.split("=", 1)[0] + "= " + draw(st.sampled_from(VALUES))
    elif how == "delete":
        del lines[n]
    elif how == "typo" and line.strip():
        k = draw(st.integers(0, len(line) - 1))
        lines[n] = line[:k] + draw(st.sampled_from(["x", "", "_", "[", "]", '"', "=", "\\"])) + line[k + 1:]
    elif how == "duplicate":
        lines.insert(n, line)
    else:
        lines.insert(n, draw(st.text(max_size=30)))
    return rel, "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(change=broken_edit())
def test_random_broken_edits_never_give_a_traceback(tmp_path_factory, change):
    rel, text = change
    folder = tmp_path_factory.mktemp("p") / "prompts"
    shutil.copytree(PROMPTS, folder)
    (folder / rel).write_text(text, encoding="utf-8")
    try:
        rules = load_rules(folder)
        # what loaded must also run: word choice and feedback on one take
        sc = next(iter(rules.scenarios.values()))
        analyse_word_choice(Transcript.from_text("I know you want it but stop crying"), sc, rules=rules)
        compose([Finding("concise"), Finding("pushes_to_stop", evidence="stop crying")], sc, words=7,
                rules=rules)
    except HeardError as exc:
        assert "\n" not in str(exc) and str(exc).strip()
    finally:
        shutil.rmtree(folder.parent)


def test_a_folder_in_the_old_layout_says_where_files_go_now(folder):
    (folder / "scenarios").mkdir()
    shutil.copy(folder / COOKIE, folder / "scenarios" / "cookie.toml")
    with pytest.raises(HeardError, match=r"scenarios/cookie\.toml is not one heard reads; .* move it to `en/scenarios/cookie\.toml`"):
        load_rules(folder)
