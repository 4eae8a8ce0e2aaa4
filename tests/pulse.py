"""A private PulseAudio daemon with a virtual microphone and speaker, for tests.

``module-pipe-source`` is a microphone fed from a FIFO we write PCM into;
``module-null-sink`` is a speaker whose ``.monitor`` we record to hear what
was played. Each daemon gets its own ``XDG_RUNTIME_DIR`` so runs never share
a socket, and is stopped by its pid. Applications reach it through ALSA's
``pulse`` device once ``PULSE_SERVER`` points at the socket.

Use the ``pulse_server`` fixture (``pytest_plugins = ["pulse"]`` or import it).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

RATE = 16000
_CHUNK_S = 0.02  # FIFO write granularity


@dataclass
class PulseServer:
    dir: Path
    fifo: Path
    env: dict[str, str]
    pid: int

    def pactl(self, *args: str) -> str:
        return subprocess.run(["pactl", *args], env=self.env, check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def activate(self) -> dict[str, str | None]:
        """Point this process's sound clients at the daemon; returns the old values."""
        old = {k: os.environ.get(k) for k in ("PULSE_SERVER", "XDG_RUNTIME_DIR",
                                               "PULSE_SOURCE", "PULSE_SINK")}
        os.environ["PULSE_SERVER"] = self.env["PULSE_SERVER"]
        os.environ["XDG_RUNTIME_DIR"] = self.env["XDG_RUNTIME_DIR"]
        os.environ["PULSE_SOURCE"] = "mic"
        os.environ["PULSE_SINK"] = "spk"
        return old

    def stop(self, wait: bool = True) -> None:
        """SIGTERM, then SIGKILL if still running after 5 s. The daemon takes 1-2 s to exit:
        ``wait=False`` leaves that to a background thread (a test's teardown needs the
        daemon gone, not to watch it go; a restart on the same folder must wait)."""
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        if not wait:
            threading.Thread(target=self._reap, args=(self.pid,), daemon=True).start()
            return
        self._reap(self.pid)

    @staticmethod
    def _reap(pid: int) -> None:
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def start_pulse(root: Path) -> PulseServer:
    """Start a daemon under ``root``; raises RuntimeError if it does not come up."""
    root.mkdir(parents=True, exist_ok=True)
    run = root / "run"
    run.mkdir(mode=0o700, exist_ok=True)
    fifo = root / "mic.fifo"
    env = dict(os.environ, XDG_RUNTIME_DIR=str(run), HOME=str(root),
               PULSE_SERVER=f"unix:{run}/pulse/native")
    env.pop("PULSE_SOURCE", None)
    env.pop("PULSE_SINK", None)
    cmd = ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
           "--log-target=file:" + str(root / "pulse.log"),
           "--load=module-native-protocol-unix",
           "--load=module-null-sink sink_name=spk",
           f"--load=module-pipe-source source_name=mic file={fifo} format=s16le "
           f"rate={RATE} channels=1",
           "--load=module-always-sink"]
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=20)
    pid_file = run / "pulse" / "pid"
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.05)
    else:
        raise RuntimeError(f"pulseaudio wrote no pid file; see {root / 'pulse.log'}")
    server = PulseServer(root, fifo, env, int(pid_file.read_text().split()[0]))
    server.pactl("set-default-source", "mic")
    server.pactl("set-default-sink", "spk")
    return server


@pytest.fixture
def pulse_server(tmp_path_factory):
    if shutil.which("pulseaudio") is None:
        pytest.skip("the pulseaudio program is not installed (apt-get install pulseaudio)")
    server = start_pulse(tmp_path_factory.mktemp("pulse"))
    old = server.activate()
    try:
        yield server
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.stop(wait=False)


class FifoWriter(threading.Thread):
    """Feeds the virtual microphone at real-time pace: queued clips, else silence.

    The pipe source stalls when its FIFO runs dry, so zeros keep flowing
    whenever no clip is due. ``say(samples, at)`` schedules a clip to begin at
    a ``time.monotonic()`` moment; ``started`` records when each clip began.
    """

    def __init__(self, fifo: Path) -> None:
        super().__init__(name="fifo-writer", daemon=True)
        self.fifo = fifo
        self._lock = threading.Lock()
        self._pending: list[tuple[float, np.ndarray, str]] = []
        self._current: np.ndarray | None = None
        self.started: dict[str, float] = {}
        self._halt = threading.Event()
        # dBFS of noise under every block (None: digital silence, a mic with no room).
        self.room_tone: float | None = None
        self._rng = np.random.default_rng(0)

    def say(self, samples: np.ndarray, at: float | None = None, label: str = "clip") -> None:
        with self._lock:
            self._pending.append((time.monotonic() if at is None else at,
                                  np.asarray(samples, dtype=np.int16), label))
            self._pending.sort(key=lambda p: p[0])

    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or self._current is not None

    def run(self) -> None:
        n = int(_CHUNK_S * RATE)
        # O_RDWR: opening never blocks, whether or not pulse has the read end yet.
        # O_NONBLOCK: if the daemon dies, a full pipe must not hang this thread.
        fd = os.open(self.fifo, os.O_RDWR | os.O_NONBLOCK)
        try:
            t = time.monotonic()
            while not self._halt.is_set():
                now = time.monotonic()
                with self._lock:
                    if self._current is None and self._pending and self._pending[0][0] <= now:
                        _, clip, label = self._pending.pop(0)
                        self._current = clip
                        self.started[label] = now
                    if self._current is not None:
                        block, self._current = self._current[:n], self._current[n:]
                        if len(self._current) == 0:
                            self._current = None
                        if len(block) < n:
                            block = np.concatenate([block, np.zeros(n - len(block), np.int16)])
                    else:
                        block = np.zeros(n, np.int16)
                if self.room_tone is not None:
                    noise = self._rng.normal(0.0, 32768 * 10 ** (self.room_tone / 20), n)
                    block = np.clip(block + noise, -32768, 32767).astype(np.int16)
                try:
                    os.write(fd, block.astype("<i2").tobytes())
                except BlockingIOError:
                    pass  # nobody is reading (daemon gone): drop the block
                t += _CHUNK_S
                time.sleep(max(0.0, t - time.monotonic()))
        finally:
            os.close(fd)

    def stop(self) -> None:
        self._halt.set()
        self.join(2)


class MonitorRecorder(threading.Thread):
    """Records what was played (``spk.monitor``) with ``parec``, stamping arrival times."""

    def __init__(self, server: PulseServer) -> None:
        super().__init__(name="monitor-recorder", daemon=True)
        self._proc = subprocess.Popen(
            ["parec", "--device=spk.monitor", "--format=s16le", f"--rate={RATE}",
             "--channels=1", "--latency-msec=20", "--raw"],
            env=server.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.chunks: list[tuple[float, np.ndarray]] = []  # (monotonic at arrival, samples)

    def run(self) -> None:
        out = self._proc.stdout
        while True:
            data = out.read1(3200) if hasattr(out, "read1") else out.read(3200)
            if not data:
                return
            if len(data) % 2:
                data += out.read(1)
            self.chunks.append((time.monotonic(), np.frombuffer(data, "<i2").copy()))

    def stop(self) -> None:
        self._proc.terminate()
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self.join(2)

    def loud_spans(self, thresh: int = 500, gap_s: float = 0.6) -> list[tuple[float, float]]:
        """(start, end) monotonic times of played sound, gaps shorter than ``gap_s`` merged."""
        spans: list[list[float]] = []
        for t_arrive, x in self.chunks:
            t0 = t_arrive - len(x) / RATE
            for i in range(0, len(x), 160):  # 10 ms cells
                if np.abs(x[i: i + 160].astype(np.int32)).max(initial=0) > thresh:
                    t = t0 + i / RATE
                    if spans and t - spans[-1][1] <= gap_s:
                        spans[-1][1] = t + 0.01
                    else:
                        spans.append([t, t + 0.01])
        return [(a, b) for a, b in spans]


def add_room(server: PulseServer, echo_ms: int = 50, echo_volume: str = "56%") -> str:
    """Give the rig a room: a sink ``room`` that hears the virtual mic (the
    parent) and, ``echo_ms`` later and quieter (56 %: -5 dB), the speaker.
    Pulse's own loopbacks carry both in real time, a sink that sleeps and
    wakes included. Returns the source to listen on (set PULSE_SOURCE to it)."""
    server.pactl("load-module", "module-null-sink", "sink_name=room")
    server.pactl("load-module", "module-loopback", "source=mic", "sink=room", "latency_msec=20")
    echo = server.pactl("load-module", "module-loopback", "source=spk.monitor", "sink=room",
                        f"latency_msec={echo_ms}").strip()
    for block in server.pactl("list", "sink-inputs").split("Sink Input #")[1:]:
        if f"Owner Module: {echo}\n" in block:  # the echo's way into the room, not the monitor
            server.pactl("set-sink-input-volume", block.split()[0], echo_volume)
            break
    else:
        raise RuntimeError("the echo loopback has no sink input")
    return "room.monitor"


@pytest.fixture
def rig(pulse_server):
    """A running session's devices: the virtual mic's writer and the speaker's recorder."""
    from heard.audio import devices

    devices.list_devices(refresh=True)  # PortAudio must see the new daemon's devices
    writer = FifoWriter(pulse_server.fifo)
    writer.start()
    monitor = MonitorRecorder(pulse_server)
    monitor.start()
    yield writer, monitor
    monitor.stop()
    writer.stop()
