"""scripts/bench.py smoke test: a tiny real run writes every number the docs quote.

No timing thresholds here (the machine is shared); the full run and its
pass/fail against the targets are in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "scripts" / "bench.py"


def _run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True,
                          timeout=timeout)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def test_quick_run_reports_every_metric(tmp_path, ko_model_dir, espeak_available):
    out = tmp_path / "bench.json"
    proc = _run("--quick", "--model", str(ko_model_dir), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    m = data["metrics"]

    # Both synthesised takes were heard as turns and got spoken feedback.
    assert m["takes"] == 2 and m["turns_detected"] == 2
    for take in data["takes"]:
        assert take["kind"] == "turn" and take["words"] > 0, take
        stages = take["from_true_end_s"]
        assert list(stages) == ["end_of_turn", "final_transcript", "analysis_done",
                                "resume_checked", "first_feedback_sample"]
        # The turn cannot end before the parent stopped, and each stage follows the last.
        assert 0 < stages["end_of_turn"] <= stages["final_transcript"] \
            <= stages["analysis_done"] <= stages["resume_checked"] <= stages["first_feedback_sample"]

    for key in ("feedback_latency_s", "end_of_turn_after_speech_s", "processing_ms",
                "final_transcript_ms", "analysis_ms", "tts_ms"):
        assert _finite(m[key]["median"]) and _finite(m[key]["p95"]), key
        assert m[key]["median"] <= m[key]["p95"], key
    for key in ("vad_endpointer_analysis", "pipeline_with_recogniser", "vosk_loop"):
        assert m["rtf"][key]["cpu"] > 0 and m["rtf"][key]["wall"] > 0, key
    # The recogniser is most of the work: the pipeline without it is far cheaper.
    assert m["rtf"]["vad_endpointer_analysis"]["cpu"] < m["rtf"]["pipeline_with_recogniser"]["cpu"]
    assert _finite(m["rtf"]["pipeline_overhead_pct"])
    assert 0 <= m["idle_cpu_pct"] <= 200
    assert m["peak_rss_mb"] > 100  # the Korean model alone is ~260 MB on disk

    assert data["machine"]["nproc"] >= 1 and data["machine"]["vosk"]
    assert data["machine"]["model"] == str(ko_model_dir)
    assert {r["result"] for r in data["table"]} <= {"pass", "FAIL", "-"}
    # The printed table carries the same rows.
    for row in data["table"]:
        assert row["metric"] in proc.stdout and row["value"] in proc.stdout


def test_missing_model_is_a_one_line_error(tmp_path):
    proc = _run("--quick", "--model", str(tmp_path / "no-such-model"),
                "--out", str(tmp_path / "b.json"), timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "model" in proc.stderr
    assert not (tmp_path / "b.json").exists()
