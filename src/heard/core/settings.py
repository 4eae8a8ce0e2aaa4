"""Tunable settings, as dataclasses with the reasons for their defaults."""

from __future__ import annotations

from dataclasses import dataclass

FRAME_MS = 30  # webrtcvad accepts 10/20/30 ms; 30 ms gives the steadiest decisions
RATE = 16000
FRAME_SAMPLES = RATE * FRAME_MS // 1000  # 480


@dataclass(frozen=True)
class VadSettings:
    # webrtcvad aggressiveness 0-3; 2 marks ~90 % of speech frames and
    # rejects most steady noise.
    mode: int = 2
    # Energy floor (dBFS): frames quieter than this are never speech, which
    # stops webrtcvad's false triggers on faint hiss and hum.
    floor_dbfs: float = -50.0
    # A frame must also be this far above the running noise estimate.
    above_noise_db: float = 9.0


@dataclass(frozen=True)
class EndpointSettings:
    # Speech needed before a turn counts as started (stops coughs and clicks).
    start_s: float = 0.3
    # Audio kept from before the start so the first syllable isn't lost.
    preroll_s: float = 0.4
    # Silence that ends a turn: parents pause to think, so longer than the
    # 0.5-0.7 s that command assistants use (see architecture.md).
    end_silence_s: float = 1.2
    # Hard cap on one turn, so a noisy room can't keep us listening forever.
    max_turn_s: float = 30.0
