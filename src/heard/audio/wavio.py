"""Reading and writing WAV files.

Our own small RIFF reader, because the standard ``wave`` module of Python
3.11 cannot read float or WAVE_FORMAT_EXTENSIBLE files, which many recorders
write. Everything is converted to the pipeline's format: 16 kHz mono int16.
Reading is streamed block by block, so a long file needs bounded memory.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heard.audio.resample import StreamResampler
from heard.core.errors import BadAudio, HeardError
from heard.core.safeio import open_regular, shown
from heard.core.settings import RATE  # the pipeline's sample rate

MIN_RATE, MAX_RATE = 8000, 48000

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


@dataclass(frozen=True)
class WavInfo:
    rate: int
    channels: int
    bits: int
    is_float: bool
    data_offset: int
    data_bytes: int

    @property
    def frames(self) -> int:
        return self.data_bytes // (self.channels * self.bits // 8)

    @property
    def duration(self) -> float:
        return self.frames / self.rate


def _fail(path: Path, why: str) -> BadAudio:
    return BadAudio(f"{shown(path.name)}: {why}")


def _open(path: Path):
    """The file for reading; never blocks (a FIFO or device is refused, not opened)."""
    try:
        return open_regular(path, "WAV file")
    except HeardError as exc:
        raise BadAudio(str(exc)) from None


def probe(path: str | os.PathLike) -> WavInfo:
    """Check the header and say in one line what is wrong, if anything."""
    path = Path(path)
    f = _open(path)
    size = os.fstat(f.fileno()).st_size
    with f:
        if size == 0:
            raise _fail(path, "the file is empty; record the take again")
        head = f.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise _fail(path, "not a WAV file; save the recording as WAV (PCM or float)")
        fmt = None
        while True:
            ch = f.read(8)
            if len(ch) < 8:
                break
            cid, clen = ch[:4], struct.unpack("<I", ch[4:])[0]
            if cid == b"fmt ":
                body = f.read(clen)
                if len(body) < 16:
                    raise _fail(path, "the WAV header is damaged (short fmt chunk)")
                tag, channels, rate, _, _, bits = struct.unpack("<HHIIHH", body[:16])
                if tag == _EXTENSIBLE and len(body) >= 26:
                    tag = struct.unpack("<H", body[24:26])[0]
                fmt = (tag, channels, rate, bits)
                if clen % 2:
                    f.seek(1, 1)
            elif cid == b"data":
                if fmt is None:
                    raise _fail(path, "the WAV header is damaged (data before fmt)")
                start = f.tell()
                available = size - start
                if available <= 0:
                    raise _fail(path, "the WAV file has no audio data (truncated?)")
                # Recorders killed mid-write leave clen too large or 0/0xFFFFFFFF.
                data_bytes = min(clen, available) if clen not in (0, 0xFFFFFFFF) else available
                return _check(path, fmt, start, data_bytes)
            else:
                f.seek(clen + (clen % 2), 1)
        if fmt is None:
            raise _fail(path, "the WAV header is damaged or truncated (no fmt chunk)")
        raise _fail(path, "the WAV file has no audio data (truncated?)")


def _check(path: Path, fmt: tuple[int, int, int, int], start: int, data_bytes: int) -> WavInfo:
    tag, channels, rate, bits = fmt
    if tag not in (_PCM, _FLOAT):
        raise _fail(path, f"compressed WAV (format {tag}) is not supported; export as PCM WAV")
    if tag == _PCM and bits not in (16, 24, 32):
        raise _fail(path, f"{bits}-bit audio is not supported; use 16-bit, 24-bit or float WAV")
    if tag == _FLOAT and bits not in (32, 64):
        raise _fail(path, f"{bits}-bit float audio is not supported; use 32-bit float")
    if channels not in (1, 2):
        raise _fail(path, f"{channels} channels is not supported; use mono or stereo")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise _fail(path, f"sample rate {rate} Hz is outside 8000-48000 Hz; resample the file")
    frame = channels * bits // 8
    data_bytes -= data_bytes % frame
    if data_bytes == 0:
        raise _fail(path, "the WAV file has no audio data (truncated?)")
    return WavInfo(rate, channels, bits, tag == _FLOAT, start, data_bytes)


def _decode(raw: bytes, info: WavInfo) -> np.ndarray:
    """Bytes -> float64 mono in [-1, 1]."""
    if info.is_float:
        x = np.frombuffer(raw, dtype="<f4" if info.bits == 32 else "<f8").astype(np.float64)
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    elif info.bits == 16:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif info.bits == 24:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v & 0x800000, v - 0x1000000, v)
        x = v.astype(np.float64) / 8388608.0
    else:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0
    if info.channels == 2:
        x = x.reshape(-1, 2).mean(axis=1)
    return x


def to_int16(x: np.ndarray) -> np.ndarray:
    """Float audio in [-1, 1] as int16, clipped (the one conversion the package uses)."""
    return (np.clip(x, -1.0, 1.0 - 1 / 32768) * 32768.0).round().astype(np.int16)


def iter_wav(path: str | os.PathLike, block_s: float = 1.0, start_s: float = 0.0
             ) -> Iterator[np.ndarray]:
    """Yield the file as 16 kHz mono int16 blocks (bounded memory).

    ``start_s`` seeks: what comes before it is never read, so the time and
    memory do not depend on where in a long file the take starts.
    """
    info = probe(path)
    frame = info.channels * info.bits // 8
    block = max(1, int(block_s * info.rate)) * frame
    skip = min(info.data_bytes, max(0, int(start_s * info.rate)) * frame)
    rs = StreamResampler(info.rate, RATE)
    with _open(Path(path)) as f:
        f.seek(info.data_offset + skip)
        left = info.data_bytes - skip
        while left > 0:
            raw = f.read(min(block, left))
            if not raw:
                break
            left -= len(raw)
            raw = raw[: len(raw) - len(raw) % frame]
            out = rs.process(_decode(raw, info))
            if len(out):
                yield to_int16(out)
        tail = rs.flush()
        if len(tail):
            yield to_int16(tail)


def read_wav(path: str | os.PathLike) -> np.ndarray:
    """The whole file as 16 kHz mono int16."""
    blocks = list(iter_wav(path))
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=np.int16)


def write_wav(path: str | os.PathLike, samples: np.ndarray, rate: int = RATE, mode: int = 0o600) -> None:
    """Write mono int16 PCM; private (0600) by default because takes are personal."""
    samples = np.asarray(samples)
    if samples.dtype != np.int16:
        samples = to_int16(samples.astype(np.float64))
    data = samples.astype("<i2").tobytes()
    header = b"RIFF" + struct.pack("<I", 36 + len(data)) + b"WAVE"
    header += b"fmt " + struct.pack("<IHHIIHH", 16, _PCM, 1, rate, rate * 2, 2, 16)
    header += b"data" + struct.pack("<I", len(data))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(header)
        f.write(data)


def read_wav_native(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Whole file as float mono at its own rate (for playback of synthesised speech)."""
    info = probe(path)
    with _open(Path(path)) as f:
        f.seek(info.data_offset)
        raw = f.read(info.data_bytes)
    return _decode(raw, info).astype(np.float32), info.rate


