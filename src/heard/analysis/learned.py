"""A small learned scorer for the word-choice labels, beside the rules.

Phrase rules quote and rewrite well but miss phrasing nobody wrote down. This
linear model (one logistic regression per label) reads hashed word and
character n-grams of what was said, the labels the rules found and a few
scenario facts, and gives each word-choice label a probability. It needs
numpy only; the weights are a small file in the package, loaded once.
``scripts/train`` writes that file; this module is the single definition of
the features, so training and run time cannot drift apart.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from heard.analysis.findings import WORD_CHOICE_IDS
from heard.analysis.lexicon import Lexicon, load_lexicon
from heard.analysis.textnorm import clauses_of, normalise_phrase
from heard.core.scenarios import Scenario
from heard.core.transcript import Transcript

MODEL_PATH = Path(__file__).resolve().parent / "data" / "wordchoice-model.npz"
_WORD = re.compile(r"[^\w' ]+")


@dataclass(frozen=True)
class FeatureConfig:
    """Which features the model reads (stored with the weights)."""

    buckets: int = 1 << 18
    word_ngrams: int = 2
    char_min: int = 3
    char_max: int = 5
    rules: bool = False
    scenario: bool = True
    # Clause-level features: the first words of each clause (canonical: "you're" -> "you are")
    # and the word that joined it ("but"), since a label lives in a clause, often at its start.
    clause_starts: int = 0
    # Word pairs with one word between them ("you ... baby"): survive an inserted or lost word.
    skip_grams: bool = False
    # Character n-grams across word boundaries ("e a b" of "like a baby").
    char_span: int = 0
    # Word 2..n-grams of the canonical words (contractions written out: "you're so" -> "you are so").
    canonical: int = 0


def tokens(text: str) -> list[str]:
    """Recogniser form: lowercase words, no punctuation, stutter repeats folded.

    Written and spoken input meet here, so the model sees one form of both.
    """
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    words = [w.strip("'") for w in _WORD.sub(" ", text).split()]
    out: list[str] = []
    for w in words:
        if w and (not out or out[-1] != w):
            out.append(w)
    return out


def _hash(s: str, buckets: int) -> int:
    return zlib.crc32(s.encode("utf-8")) % buckets


def _text_features(toks: list[str], cfg: FeatureConfig) -> list[str]:
    feats = [f"w:{t}" for t in toks]
    padded = ["<s>"] + toks + ["</s>"]
    for n in range(2, cfg.word_ngrams + 1):
        feats += [f"{n}:" + " ".join(padded[i:i + n]) for i in range(len(padded) - n + 1)]
    for t in toks:
        s = f"<{t}>"
        for n in range(cfg.char_min, cfg.char_max + 1):
            feats += [f"c:{s[i:i + n]}" for i in range(len(s) - n + 1)]
    if cfg.skip_grams:
        feats += [f"k:{padded[i]} {padded[i + 2]}" for i in range(len(padded) - 2)]
    if cfg.char_span:
        line = " ".join(toks)
        n = cfg.char_span
        feats += [f"x:{line[i:i + n]}" for i in range(len(line) - n + 1) if " " in line[i + 1:i + n - 1]]
    return feats


def _clause_features(text: str, cfg: FeatureConfig, lex: Lexicon | None) -> list[str]:
    lex = lex if lex is not None else load_lexicon()
    feats: list[str] = []
    for c in clauses_of(Transcript.from_text(text).words, lex, 0.0):
        words = c.words
        for n in range(1, min(cfg.clause_starts, len(words)) + 1):
            feats.append(f"cs{n}:" + " ".join(words[:n]))
        if c.joiner and words:
            feats.append(f"cj:{c.joiner} {words[0]}")
    return feats


def _scenario_features(toks: list[str], scenario: Scenario) -> list[str]:
    feats = [f"s:limit={scenario.limit_needed}", f"s:intensity={scenario.intensity}",
             f"s:silence={scenario.silence_ok}"]
    # The child's own words coming back is what "reflects_words" is about.
    cue = {t for t in tokens(scenario.cue_words) if len(t) > 3}
    said = set(toks)
    feats.append(f"s:cue_overlap={min(len(cue & said), 3)}")
    return feats


def featurise(text: str, scenario: Scenario | None, rule_ids: Iterable[str], cfg: FeatureConfig,
              lex: Lexicon | None = None) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
    """Hashed feature ids and values: the n-gram block has unit length, the rest is 1."""
    toks = tokens(text)
    feats = _text_features(toks, cfg)
    if cfg.clause_starts:
        feats += _clause_features(text, cfg, lex)
    if cfg.canonical:
        words = normalise_phrase(" ".join(toks), lex if lex is not None else load_lexicon())
        for n in range(2, cfg.canonical + 1):
            feats += [f"k{n}:" + " ".join(words[i:i + n]) for i in range(len(words) - n + 1)]
    text_ids = sorted({_hash(f, cfg.buckets) for f in feats})
    other: list[str] = ["bias"]
    if cfg.rules:
        other += [f"r:{r}" for r in sorted(set(rule_ids))]
    if cfg.scenario and scenario is not None:
        other += _scenario_features(toks, scenario)
    other_ids = sorted({_hash(f, cfg.buckets) for f in other} - set(text_ids))
    ids = np.array(text_ids + other_ids, dtype=np.int64)
    vals = np.ones(len(ids), dtype=np.float32)
    if text_ids:
        vals[: len(text_ids)] = 1.0 / np.sqrt(len(text_ids))
    return ids, vals


@dataclass(frozen=True)
class Model:
    """Weights for the hashed features seen in training (others weigh nothing)."""

    cfg: FeatureConfig
    labels: tuple[str, ...]
    feature_ids: NDArray[np.int64]  # sorted hashed ids
    weights: NDArray[np.float32]  # (len(feature_ids), len(labels))
    bias: NDArray[np.float32]  # (len(labels),)

    def _logits(self, ids: NDArray[np.int64], vals: NDArray[np.float32]) -> NDArray[np.float32]:
        pos = np.searchsorted(self.feature_ids, ids)
        pos = np.minimum(pos, len(self.feature_ids) - 1)
        hit = self.feature_ids[pos] == ids
        logits: NDArray[np.float32] = self.bias + vals[hit] @ self.weights[pos[hit]]
        return logits

    def scores(self, text: str, scenario: Scenario | None, rule_ids: Iterable[str] = (),
               lex: Lexicon | None = None) -> dict[str, float]:
        """Label -> probability for one whole response."""
        ids, vals = featurise(text, scenario, rule_ids, self.cfg, lex)
        p = 1.0 / (1.0 + np.exp(-self._logits(ids, vals)))
        return dict(zip(self.labels, (float(x) for x in p)))

    def text_logits(self, text: str) -> dict[str, float]:
        """Label -> logit from the words alone: which clause carries a label."""
        cfg = self.cfg
        toks = tokens(text)
        ids = np.array(sorted({_hash(f, cfg.buckets) for f in _text_features(toks, cfg)}),
                       dtype=np.int64)
        if not len(ids):
            return dict.fromkeys(self.labels, float("-inf"))
        vals = np.full(len(ids), 1.0 / np.sqrt(len(ids)), dtype=np.float32)
        return dict(zip(self.labels, (float(x) for x in self._logits(ids, vals))))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        c = self.cfg
        np.savez_compressed(
            path, labels=np.array(self.labels), feature_ids=self.feature_ids.astype(np.int64),
            weights=self.weights.astype(np.float16), bias=self.bias.astype(np.float32),
            cfg=np.array([c.buckets, c.word_ngrams, c.char_min, c.char_max, int(c.rules),
                          int(c.scenario), c.clause_starts, int(c.skip_grams), c.char_span, c.canonical],
                         dtype=np.int64))


def read_model(path: Path) -> Model:
    with np.load(path, allow_pickle=False) as z:
        # Older files stop after "scenario"; the later options default to off.
        b, wn, cmin, cmax, rules, scen, starts, skips, span, canon = (list(int(x) for x in z["cfg"]) + [0] * 4)[:10]
        labels = tuple(str(x) for x in z["labels"])
        if set(labels) - set(WORD_CHOICE_IDS):
            raise ValueError(f"{path.name}: labels the analyser does not know")
        cfg = FeatureConfig(b, wn, cmin, cmax, bool(rules), bool(scen), starts, bool(skips), span, canon)
        return Model(cfg, labels,
                     z["feature_ids"].astype(np.int64), z["weights"].astype(np.float32),
                     z["bias"].astype(np.float32))


@lru_cache(maxsize=1)
def load_model() -> Model | None:
    """The shipped model (cached); None when the package carries none."""
    if not MODEL_PATH.is_file():
        return None
    return read_model(MODEL_PATH)
