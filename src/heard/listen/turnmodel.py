"""Smart Turn v3: does the audio so far sound like a finished answer?

One ONNX session, loaded once, one thread (the Pi has four cores and the
recogniser needs them more). Input: Whisper log-mel of the last 8 s;
output: the probability that the speaker has finished. ~25 ms a call here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from heard.core.errors import ModelMissing
from heard.listen.logmel import last_window, log_mel


class SmartTurn:
    """``probability(samples)``: int16 16 kHz audio of the turn so far -> P(complete)."""

    def __init__(self, path: str | os.PathLike) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ModelMissing("onnxruntime is not installed; reinstall heard (scripts/setup) "
                               "or set HEARD_TURN_MODEL=off") from None
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(str(path), sess_options=so,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise ModelMissing(f"the end-of-turn model {path} could not be loaded ({exc.__class__.__name__}); "
                               "fetch it again with `heard models fetch smart-turn`") from None
        self._input = self._session.get_inputs()[0].name
        self.path = Path(path)

    def probability(self, samples: np.ndarray) -> float:
        feats = log_mel(last_window(samples))[None, :, :]
        out = self._session.run(None, {self._input: feats})[0]
        return float(np.asarray(out).reshape(-1)[0])


def load_end_of_turn(lang: str = "en"):
    """The end-of-turn judge for a session: the policy, plus the model when installed.

    Without the model file the judge has no model and the listener falls
    back to the fixed silence of ``TurnPolicy.fallback_silence_s``.
    """
    from heard.listen.endofturn import EndOfTurn, load_turn_policy
    from heard.listen.models import find_turn_model

    policy = load_turn_policy(lang)
    path, _ = find_turn_model()
    return EndOfTurn(policy, SmartTurn(path) if path is not None else None)


def describe_end_of_turn() -> str:
    """One line for `heard check` / `heard models list`: which end-of-turn mode is on."""
    from heard.listen.models import find_turn_model

    try:
        path, where = find_turn_model()
    except ModelMissing as exc:
        return f"end of turn: fixed silence ({exc})"
    if path is None:
        return f"end of turn: fixed silence (Smart Turn model {where})"
    return f"end of turn: Smart Turn model ({path}, from {where})"
