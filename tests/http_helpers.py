"""A real HTTP server on 127.0.0.1 serving a folder (model downloads in tests)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path


@contextlib.contextmanager
def serve_folder(folder: Path):
    """Yield the base address (http://127.0.0.1:PORT) of a server for ``folder``."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=folder))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def served_models(tmp_path: Path, monkeypatch):
    """Fixture body: a served folder that HEARD_MODEL_BASE_URL points at; yields (folder, base)."""
    served = tmp_path / "served"
    served.mkdir()
    with serve_folder(served) as base:
        monkeypatch.setenv("HEARD_MODEL_BASE_URL", base)
        monkeypatch.setenv("no_proxy", "127.0.0.1")
        yield served, base
