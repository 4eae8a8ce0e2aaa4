"""Prompts files a facilitator edits: every way one can be broken is one line naming it."""

import pytest

from heard.core.errors import HeardError
from heard.core.paths import read_toml


def test_a_good_file_reads(tmp_path):
    f = tmp_path / "pacing.toml"
    f.write_text('waited_s = 2.5\nfillers = ["um"]\n', encoding="utf-8")
    assert read_toml(f, "pacing thresholds") == {"waited_s": 2.5, "fillers": ["um"]}


@pytest.mark.parametrize("make,says", [
    (lambda p: None, "is missing"),
    (lambda p: p.write_text("waited_s = [2.5", encoding="utf-8"), "is not valid TOML"),
    (lambda p: p.write_bytes(b"waited_s = '\xff'\n"), "cannot be read"),
    (lambda p: p.mkdir(), "cannot be read"),
], ids=["missing", "bad TOML", "not UTF-8", "a folder"])
def test_a_broken_file_is_one_line_that_names_it(tmp_path, make, says):
    f = tmp_path / "pacing.toml"
    make(f)
    with pytest.raises(HeardError) as e:
        read_toml(f, "pacing thresholds")
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("pacing thresholds") and "pacing.toml" in msg
    assert says in msg
