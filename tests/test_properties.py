"""Property-based tests (Hypothesis): the WAV reader and the CLI's text and arguments.

The WAV reader gets random RIFF files (random fmt fields, chunk lengths,
extra chunks, truncations): it must return 16 kHz mono int16 audio or raise
``BadAudio``, nothing else. The CLI's text handling gets random text with
control characters, escape sequences and undecodable bytes: what reaches the
terminal carries no control sequence, messages stay one line, and JSON is
valid UTF-8.
"""

from __future__ import annotations

import io
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from heard.audio.wavio import read_wav
from heard.core.errors import BadAudio
from heard.core.safeio import TerminalWriter, from_argv, one_line, shown, terminal_text, write_json

PROPS = settings(max_examples=150, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# ------------------------------------------------------------------ WAV files

# Mostly plausible values, so many files get past the header and into the
# decoder; the odd ones still come up often.
TAGS = st.sampled_from([1, 1, 3, 3, 0xFFFE, 0, 2, 85, 0xFFFF])
BITS = st.sampled_from([16, 16, 24, 32, 64, 0, 1, 8, 12, 65535])
CHANNELS = st.sampled_from([1, 1, 2, 2, 0, 3, 6, 9])
RATES = st.one_of(st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 0, 1, 7999, 48001]),
                  st.integers(0, 2 ** 32 - 1))
LENGTHS = st.one_of(st.sampled_from([0, 1, 2, 15, 16, 17, 0xFFFFFFFF, 0x7FFFFFFF]),
                    st.integers(0, 2 ** 32 - 1), st.integers(0, 4096))


@st.composite
def fmt_chunk(draw) -> bytes:
    tag, channels, rate, bits = draw(TAGS), draw(CHANNELS), draw(RATES), draw(BITS)
    block = (channels * bits // 8) & 0xFFFF
    body = struct.pack("<HHIIHH", tag, channels, rate, (rate * block) & 0xFFFFFFFF, block, bits)
    if tag == 0xFFFE or draw(st.booleans()):
        sub = draw(st.sampled_from([1, 3, 2, 0]))
        body += struct.pack("<HHIH", 22, bits, 0, sub) + bytes(14)
    body = body[:draw(st.integers(0, len(body)))] if draw(st.integers(0, 4)) == 0 else body
    declared = len(body) if draw(st.integers(0, 3)) else draw(LENGTHS)
    return b"fmt " + struct.pack("<I", declared) + body


@st.composite
def data_chunk(draw) -> bytes:
    payload = draw(st.binary(max_size=3000))
    declared = len(payload) if draw(st.integers(0, 3)) else draw(LENGTHS)
    return b"data" + struct.pack("<I", declared) + payload


@st.composite
def other_chunk(draw) -> bytes:
    cid = draw(st.sampled_from([b"LIST", b"junk", b"fact", b"\0\0\0\0", b"RIFF", b"WAVE"]))
    payload = draw(st.binary(max_size=64))
    declared = len(payload) if draw(st.booleans()) else draw(LENGTHS)
    return cid + struct.pack("<I", declared) + payload


@st.composite
def wav_bytes(draw) -> bytes:
    extra = st.lists(other_chunk(), max_size=2)
    if draw(st.integers(0, 2)):  # the usual layout, fields fuzzed
        chunks = draw(extra) + [draw(fmt_chunk())] + draw(extra) + [draw(data_chunk())]
    else:  # any order, anything missing or repeated
        chunks = draw(st.lists(st.one_of(fmt_chunk(), data_chunk(), other_chunk()), max_size=5))
    body = b"WAVE" + b"".join(chunks)
    head = draw(st.sampled_from([b"RIFF", b"RIFF", b"RIFF", b"RIFX", b"\0\0\0\0"]))
    size = len(body) if draw(st.booleans()) else draw(LENGTHS)
    raw = head + struct.pack("<I", size) + body
    if draw(st.integers(0, 3)) == 0:  # a recorder killed mid-write, a download cut short
        raw = raw[:draw(st.integers(0, len(raw)))]
    return raw


def _read(raw: bytes, folder: Path) -> None:
    p = folder / "x.wav"
    p.write_bytes(raw)
    try:
        x = read_wav(p)
    except BadAudio as exc:
        assert "\n" not in str(exc) and str(exc)
        return
    assert x.dtype == np.int16 and x.ndim == 1


@PROPS
@given(raw=wav_bytes())
def test_any_riff_file_reads_correctly_or_is_bad_audio(raw):
    with tempfile.TemporaryDirectory() as d:
        _read(raw, Path(d))


@PROPS
@given(raw=st.binary(max_size=200))
def test_any_bytes_read_correctly_or_are_bad_audio(raw):
    with tempfile.TemporaryDirectory() as d:
        _read(raw, Path(d))


@settings(max_examples=60, deadline=None)
@given(samples=st.lists(st.integers(-32768, 32767), min_size=1, max_size=2000),
       rate=st.sampled_from([8000, 16000, 22050, 44100, 48000]), channels=st.sampled_from([1, 2]),
       cut=st.integers(0, 3))
def test_a_valid_16_bit_file_is_read_whatever_is_cut_from_its_end(samples, rate, channels, cut):
    data = np.array(samples, dtype="<i2")
    data = data[: len(data) - len(data) % channels]
    if len(data) == 0:
        return
    raw = data.tobytes()
    header = (b"RIFF" + struct.pack("<I", 36 + len(raw)) + b"WAVE" + b"fmt " +
              struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * 2 * channels, 2 * channels, 16)
              + b"data" + struct.pack("<I", len(raw)))
    full = header + raw
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "x.wav"
        p.write_bytes(full[: len(full) - cut])
        frames_left = (len(raw) - cut) // (2 * channels)
        if frames_left <= 0:
            with pytest.raises(BadAudio):
                read_wav(p)
            return
        x = read_wav(p)
        expected = round(frames_left * 16000 / rate)
        assert abs(len(x) - expected) <= 2
        if rate == 16000 and channels == 1:
            assert np.array_equal(x, data[:frames_left])


# ------------------------------------------------------------------ text

ANY_TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF,
                                          blacklist_categories=()), max_size=80)
ESCAPEY = st.lists(st.one_of(
    st.sampled_from(["\x1b[31m", "\x1b[2J", "\x1b]0;title\x07", "\x1b]8;;http://x\x1b\\", "\x1b",
                     "\x9b1m", "\r", "\n", "\x08", "\x00", "\x7f", "\u202e", "\udcff", "\t"]),
    st.text(max_size=5)), max_size=12).map("".join)
TEXTS = st.one_of(ANY_TEXT, ESCAPEY)


def _safe_for_a_terminal(s: str) -> None:
    assert "\x1b" not in s and "\x9b" not in s and "\x07" not in s and "\x08" not in s
    assert "\u202e" not in s and "\x00" not in s
    s.encode("utf-8")  # no lone surrogates


def test_whole_escape_sequences_are_removed_not_just_their_escape_byte():
    assert terminal_text("a\x1b[1;31mb\x1b]0;title\x07c\x9b2Jd") == "abcd"


@PROPS
@given(text=TEXTS)
def test_terminal_text_has_no_control_sequences(text):
    out = terminal_text(text)
    _safe_for_a_terminal(out)
    assert terminal_text(out) == out  # cleaning twice changes nothing more
    flat = terminal_text(text, keep_newlines=False)
    assert "\n" not in flat and "\r" not in flat


@PROPS
@given(text=TEXTS)
def test_messages_and_names_are_one_safe_line(text):
    for line in (one_line(text), shown(text)):
        _safe_for_a_terminal(line)
        assert "\n" not in line and "\r" not in line
    if text and text.isprintable():
        assert shown(text) == text


@PROPS
@given(raw=st.binary(max_size=60))
def test_argv_bytes_become_text_that_encodes(raw):
    as_argv = os.fsdecode(raw)  # what Python puts in sys.argv for these bytes
    text = from_argv(as_argv)
    text.encode("utf-8")
    if b"\0" not in raw:
        try:
            assert text == raw.decode("utf-8")
        except UnicodeDecodeError:
            assert "\ufffd" in text


@PROPS
@given(text=TEXTS)
def test_json_output_is_valid_utf8_whatever_the_text(text):
    buf = io.BytesIO()
    stream = io.TextIOWrapper(buf, encoding="ascii", errors="strict")  # a hostile locale
    write_json({"text": text, "list": [text]}, stream)
    raw = buf.getvalue()
    doc = json.loads(raw.decode("utf-8"))
    assert doc["text"] == doc["list"][0]
    _safe_for_a_terminal(raw.decode("utf-8"))


@PROPS
@given(text=TEXTS)
def test_the_terminal_writer_never_raises_and_passes_only_safe_text(text):
    buf = io.BytesIO()
    w = TerminalWriter(io.TextIOWrapper(buf, encoding="ascii", errors="strict"))
    print(text, file=w)
    w.flush()
    _safe_for_a_terminal(buf.getvalue().decode("ascii"))


# ------------------------------------------------------------------ the CLI, in process

@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=TEXTS.filter(lambda t: t.strip() and not t.startswith("-")))
def test_analyse_text_json_is_valid_for_any_typed_text(capfdbinary, text):
    from heard.cli import main

    code = main(["analyse", "--scenario", "cookie", "--json", "--text", text])
    out, err = capfdbinary.readouterr()
    assert code == 0, err
    doc = json.loads(out.decode("utf-8"))
    assert doc["scenario"] == "cookie"
    assert b"Traceback" not in err


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(value=st.one_of(st.integers(-2 ** 70, 2 ** 70).map(str), st.text(max_size=12),
                       st.sampled_from(["1e3", "0x10", " 5", "5 ", "٣", "+7", "-0"])),
       which=st.sampled_from([("history", "--limit"), ("forget", "--take")]))
def test_numeric_arguments_are_in_range_or_one_line(tmp_path, capsys, monkeypatch, value, which):
    from heard.cli import main

    monkeypatch.setenv("HEARD_DATA_DIR", str(tmp_path))
    try:
        code = main([which[0], f"{which[1]}={value}"])  # "=": a leading "-" stays the value
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if code == 2:
        assert len([ln for ln in err.splitlines() if ln.strip()]) == 1, err
        _safe_for_a_terminal(err)
    else:
        assert code == 0, err
