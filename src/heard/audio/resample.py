"""Streaming band-limited resampler (windowed sinc), pure numpy.

Used for WAV files at other rates and for capture devices that refuse
16 kHz. It keeps a short history between chunks, so a long file can be
converted block by block with the same result as converting it whole.
"""

from __future__ import annotations

import numpy as np

_HALF_TAPS = 16  # taps on each side of the interpolation point
_PHASES = 256  # kernel table resolution (interpolated between rows: error below -90 dB)
_BLOCK = 256  # output samples computed together


class StreamResampler:
    """Convert float32 mono audio from ``in_rate`` to ``out_rate`` in chunks."""

    def __init__(self, in_rate: int, out_rate: int) -> None:
        self.in_rate = int(in_rate)
        self.out_rate = int(out_rate)
        self.step = self.in_rate / self.out_rate  # input samples per output sample
        # Cut-off relative to the input Nyquist: low-pass below the lower rate.
        self.cutoff = min(1.0, self.out_rate / self.in_rate) * 0.95
        self._buf = np.zeros(_HALF_TAPS, dtype=np.float64)  # left padding = silence
        self._offset = float(_HALF_TAPS)  # position of the next output in _buf
        self._offsets = np.arange(-_HALF_TAPS + 1, _HALF_TAPS + 1)
        # The windowed-sinc taps for _PHASES + 1 fractional positions, computed once:
        # evaluating sinc and the window per output sample made 8 s of speech take 2-3 s
        # to convert (feedback waited that long on a speaker that wants 48 kHz).
        self._table = self._kernel(np.linspace(0.0, 1.0, _PHASES + 1))
        self._n_in = 0
        self._n_out = 0

    @property
    def passthrough(self) -> bool:
        return self.in_rate == self.out_rate

    def process(self, chunk: np.ndarray) -> np.ndarray:
        chunk = np.asarray(chunk, dtype=np.float64).ravel()
        if self.passthrough:
            return chunk.astype(np.float32)
        self._n_in += len(chunk)
        self._buf = np.concatenate([self._buf, chunk])
        last = len(self._buf) - _HALF_TAPS  # need HALF_TAPS of look-ahead
        if last <= self._offset:
            return np.zeros(0, dtype=np.float32)
        n_out = int(np.floor((last - 1 - self._offset) / self.step)) + 1
        pos = self._offset + np.arange(n_out) * self.step
        base = np.floor(pos).astype(np.int64)
        frac = (pos - base) * _PHASES
        row = np.minimum(frac.astype(np.int64), _PHASES - 1)
        a = frac - row
        out = np.empty(n_out)
        # In blocks: small temporaries are reused by the allocator, where one
        # (outputs x taps) array per call cost more in fresh pages than in sums.
        for i in range(0, n_out, _BLOCK):
            j = slice(i, i + _BLOCK)
            w = a[j, None]
            kernel = self._table[row[j]] * (1.0 - w) + self._table[row[j] + 1] * w
            out[j] = np.einsum("ij,ij->i", self._buf[base[j, None] + self._offsets], kernel)
        # Drop consumed input, keep the history the next chunk needs.
        next_pos = self._offset + n_out * self.step
        drop = max(0, int(np.floor(next_pos)) - _HALF_TAPS)
        self._buf = self._buf[drop:]
        self._offset = next_pos - drop
        self._n_out += n_out
        return out.astype(np.float32)

    def _kernel(self, frac: np.ndarray) -> np.ndarray:
        """Taps (one row per fractional position) of the Hann-windowed sinc."""
        dist = frac[:, None] - self._offsets[None, :]
        kernel = self.cutoff * np.sinc(self.cutoff * dist)
        kernel *= 0.5 * (1 + np.cos(np.pi * np.clip(dist / (_HALF_TAPS + 1), -1, 1)))
        return kernel

    def flush(self) -> np.ndarray:
        """Emit what is left by padding with silence."""
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        n_in = self._n_in
        n_keep = int(np.ceil(n_in * self.out_rate / self.in_rate)) - self._n_out
        if n_keep <= 0:
            return np.zeros(0, dtype=np.float32)
        pad = int(np.ceil(n_keep * self.step)) + 2 * _HALF_TAPS + 1
        out = self.process(np.zeros(pad))
        self._n_in = n_in
        return out[:n_keep]


def resample(samples: np.ndarray, in_rate: int, out_rate: int) -> np.ndarray:
    """Resample a whole float signal at once."""
    r = StreamResampler(in_rate, out_rate)
    return np.concatenate([r.process(samples), r.flush()])
