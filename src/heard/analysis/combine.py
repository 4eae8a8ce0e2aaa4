"""Merge the rules' word-choice findings with the learned model's scores.

The rules give the quote and the rewrite; the model (which also reads what the
rules found) decides which labels stand. A label only the model found quotes
the clause that carries it most, so feedback still quotes only words the
parent said. Thresholds live in prompts/learned.toml: a concern needs more
confidence than a strength.
"""

from __future__ import annotations

from dataclasses import dataclass

from heard.analysis.findings import CATALOGUE, Finding
from heard.analysis.learned import Model, load_model
from heard.analysis.lexicon import load_lexicon
from heard.analysis.textnorm import clauses_of
from heard.analysis.wordchoice import WordChoiceResult, filler_only
from heard.core.rules import Rules, load_rules
from heard.core.scenarios import Scenario
from heard.core.transcript import Transcript

# Labels that only make sense when the scene needs a limit (the rules drop them too).
LIMIT_ONLY = ("holds_limit", "gives_in")


@dataclass(frozen=True)
class Thresholds:
    strength: float = 0.5
    concern: float = 0.6
    veto: float = 0.0  # a concern the rules found stands only if the model gives it this much

    def as_dict(self) -> dict[str, float]:
        return {"strength": self.strength, "concern": self.concern, "veto": self.veto}


def load_thresholds(rules: Rules | None = None) -> Thresholds:
    """The thresholds in prompts/learned.toml (checked by the prompts schema)."""
    rules = rules if rules is not None else load_rules()
    data = rules.files["learned.toml"]["thresholds"]
    return Thresholds(float(data["strength"]), float(data["concern"]), float(data.get("veto", 0.0)))


def decide(probs: dict[str, float], rules: set[str], thresholds: dict[str, float],
           limit_needed: bool, keep_rules: bool = True) -> set[str]:
    """The labels that stand: the rules' (when kept; a concern only if the model gives it at least
    "veto", so a phrase rule firing out of place can be overruled) and each one whose probability
    reaches its kind's threshold."""
    veto = thresholds.get("veto", 0.0)
    out = set(rules) if keep_rules else set()
    out -= {lab for lab in rules if CATALOGUE[lab][0] == "concern" and probs.get(lab, 1.0) < veto}
    for lab, p in probs.items():
        if lab in LIMIT_ONLY and not limit_needed:
            continue
        if p >= thresholds[CATALOGUE[lab][0]]:
            out.add(lab)
    return out


def _quote(
    transcript: Transcript, token_words: list[int], min_conf: float
) -> tuple[str, float | None, float | None]:
    words = transcript.words
    idx = sorted(i for i in set(token_words) if i >= 0)
    if not idx:
        return "", None, None
    span = words[idx[0]: idx[-1] + 1]
    text = " ".join(w.word for w in span if w.conf >= min_conf).strip(" ,;:-")
    timed = all(w.start is not None for w in words)
    return text, (span[0].start if timed else None), (span[-1].end if timed else None)


def _clause_finding(fid: str, transcript: Transcript, model: Model, min_conf: float,
                    rules: Rules) -> Finding:
    """A finding for a label only the model saw, quoting the clause that scores it highest.
    A clause of fillers alone ("Aw,", "Okay,", "buddy.") is quoted only when there is
    nothing else: the model scores such a clause by one or two strong n-grams, and
    feedback that says "you said 'Okay'" about giving in teaches nothing."""
    lex = load_lexicon(rules)
    clauses = clauses_of(transcript.words, lex, min_conf)
    best, best_score = None, (False, float("-inf"))
    for c in clauses:
        text = " ".join(t.text for t in c.tokens)
        s = (not filler_only(c.words, lex), model.text_logits(text)[fid])
        if s > best_score:
            best, best_score = c, s
    if best is None:
        return Finding(fid, evidence=transcript.text.strip())
    text, start, end = _quote(transcript, [t.word for t in best.tokens], min_conf)
    return Finding(fid, evidence=text, start=start, end=end, extra={"learned": True})


def combine(result: WordChoiceResult, transcript: Transcript, scenario: Scenario, *,
            rules: Rules | None = None, model: Model | None = None,
            thresholds: Thresholds | None = None, min_conf: float = 0.6) -> WordChoiceResult:
    """Word-choice findings after the model has had its say (rules alone without a model)."""
    model = model if model is not None else load_model()
    if model is None:
        return result
    if not transcript.words:
        transcript = Transcript.from_text(transcript.text)
    text = " ".join(w.word for w in transcript.words if w.conf >= min_conf)
    if not text.strip():
        return result
    rules = rules if rules is not None else load_rules()
    th = thresholds or load_thresholds(rules)
    by_rules = set(result.ids)
    probs = model.scores(text, scenario, by_rules, load_lexicon(rules))
    keep = decide(probs, by_rules, th.as_dict(), scenario.limit_needed)
    findings = [f for f in result.findings if f.id in keep]
    for fid in sorted(keep - by_rules, key=lambda i: -probs[i]):
        findings.append(_clause_finding(fid, transcript, model, min_conf, rules))
    return WordChoiceResult(findings, result.uncertain_fraction, result.unclear)
