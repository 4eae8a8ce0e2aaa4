"""Reading every common WAV flavour, and refusing the rest in one line."""

import struct

import numpy as np
import pytest

from audio_helpers import concat, espeak, save, silence
from heard.audio.resample import StreamResampler, resample
from heard.audio.wavio import iter_wav, probe, read_wav, write_wav
from heard.core.errors import BadAudio
from heard.listen.vad import speech_mask


def raw_wav(path, data: bytes, rate: int, channels: int, bits: int, tag: int = 1,
            extensible: bool = False, data_len: int | None = None):
    block = channels * bits // 8
    if extensible:
        fmt = struct.pack("<HHIIHH", 0xFFFE, channels, rate, rate * block, block, bits)
        fmt += struct.pack("<HHI", 22, bits, 0) + struct.pack("<H", tag) + b"\x00" * 14
    else:
        fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    n = len(data) if data_len is None else data_len
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", n) + data
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


@pytest.fixture(scope="module")
def speech():
    return concat(silence(1.0), espeak("you tripped on the rug and fell"), silence(0.5))


def _onset(x):
    m = speech_mask(x)
    return np.flatnonzero(m)[0] * 0.03


def _as_float(x16):
    return x16.astype(np.float64) / 32768.0


@pytest.mark.parametrize("rate,channels,kind", [
    (8000, 1, "pcm16"), (11025, 2, "pcm16"), (22050, 1, "pcm24"), (44100, 2, "pcm24"),
    (48000, 1, "float32"), (32000, 2, "float32-ext"), (16000, 1, "pcm24-ext"),
])
def test_common_formats_read_as_the_same_speech(tmp_path, speech, rate, channels, kind):
    x = resample(_as_float(speech), 16000, rate)
    if channels == 2:
        x = np.stack([x, x], axis=1).ravel()
    if kind.startswith("float32"):
        data, bits, tag = x.astype("<f4").tobytes(), 32, 3
    elif kind.startswith("pcm24"):
        v = np.clip(np.round(x * 8388607), -8388608, 8388607).astype(np.int32)
        b = v.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
        data, bits, tag = b.tobytes(), 24, 1
    else:
        data, bits, tag = np.round(x * 32767).astype("<i2").tobytes(), 16, 1
    p = raw_wav(tmp_path / "t.wav", data, rate, channels, bits, tag, extensible=kind.endswith("ext"))
    y = read_wav(p)
    assert abs(len(y) - len(speech)) <= 2
    assert abs(_onset(y) - _onset(speech)) <= 0.06
    # Level preserved (band-limited at 4 kHz for 8 kHz files, so allow some loss).
    ratio = np.std(y.astype(float)) / np.std(speech.astype(float))
    assert 0.8 < ratio < 1.1


def test_streamed_blocks_equal_whole_file(tmp_path, speech):
    x = resample(_as_float(speech), 16000, 44100)
    p = raw_wav(tmp_path / "t.wav", np.round(x * 32767).astype("<i2").tobytes(), 44100, 1, 16)
    small = np.concatenate(list(iter_wav(p, block_s=0.05)))
    assert np.array_equal(small, read_wav(p))


def test_stream_resampler_equals_one_shot():
    x = np.random.default_rng(1).standard_normal(10000)
    r = StreamResampler(48000, 16000)
    parts = [r.process(x[i:i + 777]) for i in range(0, len(x), 777)] + [r.flush()]
    assert np.allclose(np.concatenate(parts), resample(x, 48000, 16000), atol=1e-6)


def test_written_wav_is_private_and_reads_back(tmp_path, speech):
    p = tmp_path / "take.wav"
    write_wav(p, speech)
    assert (p.stat().st_mode & 0o777) == 0o600
    assert np.array_equal(read_wav(p), speech)


BAD = {
    "empty": lambda p: p.write_bytes(b""),
    "not a wav": lambda p: p.write_bytes(b"this is a text file, not audio\n" * 20),
    "header only": lambda p: raw_wav(p, b"", 16000, 1, 16, data_len=32000),
    "truncated header": lambda p: p.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt \x10\x00"),
    "8-bit": lambda p: raw_wav(p, bytes(8000), 8000, 1, 8),
    "96 kHz": lambda p: raw_wav(p, bytes(96000 * 2), 96000, 1, 16),
    "6 kHz": lambda p: raw_wav(p, bytes(6000 * 2), 6000, 1, 16),
    "mp3 in wav": lambda p: raw_wav(p, bytes(1000), 16000, 1, 16, tag=0x55),
    "5 channels": lambda p: raw_wav(p, bytes(16000 * 10), 16000, 5, 16),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_files_are_refused_in_one_line(tmp_path, name):
    p = tmp_path / "bad.wav"
    BAD[name](p)
    with pytest.raises(BadAudio) as e:
        probe(p)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith("bad.wav:")


def test_truncated_data_reads_what_is_there(tmp_path, speech):
    # A recorder killed mid-write: the header promises more than the file holds.
    p = raw_wav(tmp_path / "t.wav", speech.astype("<i2").tobytes(), 16000, 1, 16,
                data_len=len(speech) * 2 * 3)
    assert np.array_equal(read_wav(p), speech)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(BadAudio, match="no such file"):
        probe(tmp_path / "nope.wav")
    with pytest.raises(BadAudio, match="folder"):
        probe(tmp_path)


def test_a_long_file_is_read_in_bounded_memory_and_cut_at_the_take_limit(tmp_path, speech):
    from heard.listen.takeio import MAX_TAKE_S, read_take

    minutes = np.tile(speech, int(150 * 16000 / len(speech)) + 1)  # ~2.5 min of audio
    p = save(tmp_path / "long.wav", minutes)
    take = read_take(p, cue_end=1.0)
    assert take.truncated
    # From just before the cue's end (a whole number of frames) to the take limit after it.
    assert 0 < take.offset_s <= 1.0
    assert len(take.samples) == round((1.0 - take.offset_s + MAX_TAKE_S) * 16000)
    assert len(take.mask) == len(take.samples) // 480
