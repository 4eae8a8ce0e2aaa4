"""Prosody of one take: loudness, pitch, speaking rate and pauses.

Pure numpy and vectorised over frames, so ten seconds of audio measure in a
small fraction of a second even on a Raspberry Pi class machine. Pitch is a
YIN-style tracker (de Cheveigné & Kawahara 2002); syllables are counted as
voiced intensity peaks with dips between them (the idea of de Jong & Wempe
2009, written afresh here).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from heard.audio.wavio import to_int16
from heard.core.settings import FRAME_SAMPLES, RATE

HOP_S = 0.010  # pitch and intensity frames every 10 ms
PAUSE_S = 0.3  # a silent gap this long is a pause, not part of articulation
MIN_RATE_SPEECH_S = 0.8  # below this a syllable rate swings by 1+ syll/s per syllable

# YIN: a period is accepted where the normalised difference first dips under
# this (0.1-0.15 in the paper). At 0.2 onsets and offsets of espeak vowels
# gave up to 3 % harmonic slips against a brute-force reference; 0.15 under 1 %.
YIN_THRESHOLD = 0.15
# Syllable peaks only need to be "somewhat periodic" (fast or creaky speech
# rarely reaches the strict threshold): 0.35 still rejects hiss and fricatives.
LOOSE_VOICING_THRESHOLD = 0.35
HARMONIC_MARGIN = 0.1  # how much deeper a multiple of the period must dip to win
YIN_WINDOW_S = 0.020  # integration window: longer windows smear fast pitch glides
YIN_LOWPASS_HZ = 1000.0  # F0 and its first harmonics lie below; formant changes above make frames look aperiodic
VOICE_FLOOR_DB = -50.0  # quieter frames are never voiced (hiss, hum)
VOICE_BELOW_PEAK_DB = 35.0  # nor frames this far below the loudest one
MIN_VOICED_RUN = 3  # 30 ms: shorter voiced blips are noise, not vowels

# Syllable nuclei
NUCLEUS_WINDOW_S = 0.040  # intensity window: one glottal cycle is smoothed out, a vowel is not
NUCLEUS_DIP_DB = 2.0  # a dip this deep between two peaks separates two syllables
NUCLEUS_SILENCE_DB = 25.0  # peaks this far below the loudest (99th pct) are not speech
NUCLEUS_MIN_GAP_S = 0.07  # no two syllable peaks closer than this (>14 syll/s is not speech)

Floats = NDArray[np.float64]
Mask = NDArray[np.bool_]


@dataclass
class Prosody:
    duration_s: float
    speech_s: float
    loudness_db: float | None  # dBFS of the speech frames only
    f0_median_hz: float | None
    f0_p10_hz: float | None
    f0_p90_hz: float | None
    pitch_spread_st: float | None  # p10..p90 in semitones
    voiced_fraction: float
    syllables: int
    syllables_per_s: float | None  # over speech time, pauses >= PAUSE_S excluded
    pauses: int  # silent gaps >= PAUSE_S inside the speech


def as_float(samples: ArrayLike) -> Floats:
    """int16 -> float in [-1, 1); float input is taken as already scaled."""
    x = np.asarray(samples)
    if x.dtype.kind in "iu":
        return x.astype(np.float64) / 32768.0
    return x.astype(np.float64)


def _frames(x: Floats, length: int, hop: int) -> Floats:
    if len(x) < length:
        x = np.concatenate([x, np.zeros(length - len(x))])
    frames: Floats = np.lib.stride_tricks.sliding_window_view(x, length)[::hop]
    return frames


@overload
def _db(power: Floats) -> Floats: ...
@overload
def _db(power: np.floating[Any]) -> np.float64: ...
def _db(power: Floats | np.floating[Any]) -> Floats | np.float64:
    """Power -> dB, per element (an array) or of one value (a numpy scalar)."""
    db: Floats | np.float64 = 10.0 * np.log10(np.maximum(power, 1e-12))
    return db


def _lowpass(x: np.ndarray, cutoff: float, rate: int, taps: int = 101) -> np.ndarray:
    """Windowed-sinc FIR low-pass, zero phase (so times do not shift)."""
    k = np.arange(taps) - taps // 2
    h = np.sinc(2 * cutoff / rate * k) * np.hamming(taps)
    if len(x) == 0:
        return x
    return np.convolve(x, h / h.sum())[taps // 2: taps // 2 + len(x)]


def pitch_track(samples: ArrayLike, rate: int = RATE, fmin: float = 60, fmax: float = 500
                ) -> tuple[Floats, Floats]:
    """F0 every 10 ms: (times, f0) with nan where unvoiced.

    YIN: difference function via FFT, cumulative-mean normalisation, the
    first dip under an absolute threshold (then its local minimum), and
    parabolic interpolation for sub-sample periods.
    """
    times, f0, _ = _yin(as_float(samples), rate, fmin, fmax)
    return times, f0


def _cmnd(frames: np.ndarray, w: int, length: int, tau_max: int) -> tuple[np.ndarray, np.ndarray]:
    """YIN's cumulative mean normalised difference per frame, and the lagged window energies."""
    n = len(frames)
    # d(tau) = e(0) + e(tau) - 2 r(tau), all over a window of w samples.
    nfft = 1 << int(np.ceil(np.log2(length + w)))
    spec = np.fft.rfft(frames, nfft) * np.conj(np.fft.rfft(frames[:, :w], nfft))
    r = np.fft.irfft(spec, nfft)[:, : tau_max + 1]
    cs = np.concatenate([np.zeros((n, 1)), np.cumsum(frames * frames, axis=1)], axis=1)
    energy = cs[:, w: w + tau_max + 1] - cs[:, : tau_max + 1]
    d = np.maximum(energy[:, :1] + energy - 2.0 * r, 0.0)
    # Cumulative mean normalised difference.
    cmnd = np.ones_like(d)
    running = np.cumsum(d[:, 1:], axis=1)
    cmnd[:, 1:] = d[:, 1:] * np.arange(1, tau_max + 1) / np.maximum(running, 1e-20)
    return cmnd, energy


def _yin(x: Floats, rate: int, fmin: float = 60, fmax: float = 500) -> tuple[Floats, Floats, Mask]:
    """(times, f0 or nan, loosely voiced) per 10 ms frame; see ``pitch_track``.

    "Loosely voiced" marks frames with some periodicity (weak vowels,
    onsets): enough to confirm a syllable peak, not enough to trust F0.
    """
    x = _lowpass(x, YIN_LOWPASS_HZ, rate)
    hop = int(round(rate * HOP_S))
    tau_min = max(2, int(rate / fmax))
    tau_max = int(np.ceil(rate / fmin))
    w = int(rate * YIN_WINDOW_S)
    length = w + tau_max + 1
    if len(x) < w:
        return np.zeros(0), np.zeros(0), np.zeros(0, dtype=bool)
    frames = _frames(x, length, hop)
    n = len(frames)
    times = (np.arange(n) * hop + w / 2 + tau_max / 2) / rate

    cmnd, energy = _cmnd(frames, w, length, tau_max)

    # First local minimum under the threshold, within [tau_min, tau_max).
    mid = cmnd[:, 1:-1]
    local_min = (mid <= cmnd[:, :-2]) & (mid <= cmnd[:, 2:])
    local_min[:, : tau_min - 1] = False
    ok = local_min & (mid < YIN_THRESHOLD)
    has = ok.any(axis=1)
    tau = np.argmax(ok, axis=1) + 1

    rows = np.arange(n)
    tau = _prefer_true_period(cmnd, tau, rows)
    a, b, c = cmnd[rows, tau - 1], cmnd[rows, tau], cmnd[rows, np.minimum(tau + 1, tau_max)]
    den = a - 2 * b + c
    shift = np.where(np.abs(den) > 1e-12, 0.5 * (a - c) / np.where(den == 0, 1, den), 0.0)
    f0 = rate / (tau + np.clip(shift, -0.5, 0.5))

    level = _db(energy[:, 0] / w)
    loud = (level > VOICE_FLOOR_DB) & (level > level.max() - VOICE_BELOW_PEAK_DB)
    voiced = _drop_short_runs(has & loud, MIN_VOICED_RUN)
    loose = np.where(local_min, mid, 1.0).min(axis=1) < LOOSE_VOICING_THRESHOLD
    loose = _drop_short_runs(loose & loud, MIN_VOICED_RUN)
    return times, np.where(voiced, f0, np.nan), loose | voiced


def _prefer_true_period(cmnd: np.ndarray, tau: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Move to k*tau when that lag is clearly more periodic than tau.

    A strong first formant near 2 or 3 times F0 can dip the normalised
    difference under the threshold at a fraction of the real period; the real
    period then shows a much deeper dip (for a true period, its multiples are
    no deeper).
    """
    tau_max = cmnd.shape[1] - 1
    best = tau.copy()
    done = np.zeros(len(tau), dtype=bool)
    here = cmnd[rows, tau]
    for k in (2, 3, 4):
        centre = tau * k
        lo = np.clip(centre - k, 1, tau_max)
        hi = np.clip(centre + k, 1, tau_max)
        span = np.arange(-4, 5)
        idx = np.clip(centre[:, None] + span, lo[:, None], hi[:, None])
        vals = cmnd[rows[:, None], idx]
        j = idx[rows, np.argmin(vals, axis=1)]
        better = ~done & (centre + 1 < tau_max) & (cmnd[rows, j] < here - HARMONIC_MARGIN)
        best[better] = j[better]
        done |= better
    return best


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) indices of the True runs in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _drop_short_runs(mask: np.ndarray, min_len: int) -> np.ndarray:
    starts, ends = _runs(mask)
    out = mask.copy()
    for s, e in zip(starts, ends):
        if e - s < min_len:
            out[s:e] = False
    return out


def _intensity(x: np.ndarray, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Hann-weighted intensity (dB) every 10 ms, and the frame centre times."""
    hop = int(round(rate * HOP_S))
    w = int(rate * NUCLEUS_WINDOW_S)
    if len(x) < w:
        return np.zeros(0), np.zeros(0)
    frames = _frames(x, w, hop)
    win = np.hanning(w)
    power = (frames * frames) @ win / win.sum()
    times = (np.arange(len(frames)) * hop + w / 2) / rate
    return times, _db(power)


def _nuclei(times: Floats, db: Floats, voiced_at: Callable[[float], bool],
            where: Mask | None = None) -> list[float]:
    """Peaks of the intensity contour that are loud, separated by dips, and voiced.

    ``where`` (bool per intensity frame) limits peaks to speech and sets the
    loudness threshold from those frames only.
    """
    where = np.ones(len(db), dtype=bool) if where is None else where
    if len(db) < 3 or not where.any():
        return []
    threshold = max(np.median(db[where]), np.percentile(db[where], 99) - NUCLEUS_SILENCE_DB)
    mid = db[1:-1]
    peaks = np.flatnonzero((mid > db[:-2]) & (mid >= db[2:]) & (mid > threshold) & where[1:-1]) + 1
    kept: list[int] = []
    for p in peaks:
        if not kept:
            kept.append(int(p))
            continue
        q = kept[-1]
        dip = db[q: p + 1].min()
        close = times[p] - times[q] < NUCLEUS_MIN_GAP_S
        if close or min(db[p], db[q]) - dip < NUCLEUS_DIP_DB:
            if db[p] > db[q]:  # same syllable: keep the louder peak
                kept[-1] = int(p)
        else:
            kept.append(int(p))
    return [float(times[k]) for k in kept if voiced_at(times[k])]


def _voicing_lookup(ptimes: Floats, voiced: Mask) -> Callable[[float], bool]:
    """A function: is there voicing within 20 ms of time t?"""

    def at(t: float) -> bool:
        if not len(ptimes):
            return False
        i = int(np.searchsorted(ptimes, t))
        return bool(voiced[max(0, i - 2): i + 2].any())

    return at


def syllable_nuclei(samples: ArrayLike, rate: int = RATE) -> list[float]:
    """Times (s) of syllable nuclei: voiced intensity peaks with dips between them."""
    x = as_float(samples)
    ptimes, _, voiced = _yin(x, rate)
    times, db = _intensity(x, rate)
    return _nuclei(times, db, _voicing_lookup(ptimes, voiced))


def _semitones(ratio: float) -> float:
    return 12.0 * float(np.log2(ratio))


def _fill_short_gaps(mask: np.ndarray, max_gap: int) -> np.ndarray:
    """Close silent gaps shorter than ``max_gap`` frames between speech frames."""
    out = mask.copy()
    starts, ends = _runs(~mask)
    for s, e in zip(starts, ends):
        if s > 0 and e < len(mask) and e - s < max_gap:
            out[s:e] = True
    return out


def _speech_time(mask: np.ndarray) -> tuple[np.ndarray, float, int]:
    """(speech region per frame, speech seconds, pauses) from VAD frames.

    The region is the speech frames plus the short gaps inside words (stop
    closures, VAD misses); gaps of PAUSE_S or more are pauses and left out.
    """
    frame_s = FRAME_SAMPLES / RATE
    region = _fill_short_gaps(mask, int(round(PAUSE_S / frame_s)))
    pauses = 0
    if mask.any():
        first, last = np.flatnonzero(mask)[[0, -1]]
        pauses = len(_runs(~region[first: last + 1])[0])
    return region, float(region.sum() * frame_s), pauses


def _pitch_stats(f0: np.ndarray) -> tuple[float | None, float | None, float | None, float | None, float]:
    """(median, p10, p90, p10-p90 spread in semitones, voiced fraction) of frames' F0."""
    voiced = f0[~np.isnan(f0)]
    fraction = float(len(voiced) / len(f0)) if len(f0) else 0.0
    if not len(voiced):
        return None, None, None, None, fraction
    med, p10, p90 = (float(v) for v in np.percentile(voiced, [50, 10, 90]))
    return med, p10, p90, _semitones(p90 / p10), fraction


def measure(samples: ArrayLike, speech_mask: ArrayLike | None = None) -> Prosody:
    """Prosody of 16 kHz mono audio (int16, or float in [-1, 1]).

    ``speech_mask`` is one bool per 30 ms frame (``heard.listen.vad.speech_mask``);
    it is computed here when not given.
    """
    x = as_float(samples)
    if speech_mask is None:
        from heard.listen.vad import speech_mask as vad_mask

        speech_mask = vad_mask(to_int16(x))
    n_frames = len(x) // FRAME_SAMPLES
    mask = np.zeros(n_frames, dtype=bool)
    given = np.asarray(speech_mask, dtype=bool)[:n_frames]
    mask[: len(given)] = given
    region, speech_s, pauses = _speech_time(mask)

    def in_speech(t: np.ndarray) -> np.ndarray:
        idx = (t * RATE / FRAME_SAMPLES).astype(int)
        out = np.zeros(len(t), dtype=bool)
        out[idx < n_frames] = region[idx[idx < n_frames]]
        return out

    loudness = None
    if mask.any():
        frames = x[: n_frames * FRAME_SAMPLES].reshape(-1, FRAME_SAMPLES)[mask]
        loudness = float(_db(np.mean(frames * frames)))

    ptimes, f0, loose = _yin(x, RATE)
    med, p10, p90, spread, voiced_fraction = _pitch_stats(f0[in_speech(ptimes)])
    itimes, db = _intensity(x, RATE)
    nuclei = _nuclei(itimes, db, _voicing_lookup(ptimes, loose), in_speech(itimes))
    rate = len(nuclei) / speech_s if speech_s >= MIN_RATE_SPEECH_S else None

    return Prosody(
        duration_s=len(x) / RATE, speech_s=speech_s, loudness_db=loudness,
        f0_median_hz=med, f0_p10_hz=p10, f0_p90_hz=p90, pitch_spread_st=spread,
        voiced_fraction=voiced_fraction, syllables=len(nuclei),
        syllables_per_s=rate, pauses=pauses,
    )
