"""Safe edges: files the user names, text we echo, JSON we print.

Why: a path on the command line may be a FIFO or a device (opening it would
block forever or read without end), a file name may hold a newline or an
escape sequence, typed text may hold invalid UTF-8 (argv bytes arrive as
lone surrogates) and terminal control codes. Everything the commands open
or print about such input goes through here, so no input can hang heard,
break its one-line errors, repaint the user's terminal, or make its JSON
invalid UTF-8.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import re
import stat
import sys
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from heard.core.errors import HeardError

# ----------------------------------------------------------------- text

# Escape sequences a terminal acts on: CSI (colours, cursor moves), OSC
# (window titles, hyperlinks, clipboard), DCS/PM/APC strings, and the short
# two-character ones.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b[\]PX^_][^\x07\x1b\n]*(?:\x07|\x1b\\)?"  # OSC/DCS/SOS/PM/APC ... ST or BEL
    r"|\x1b[ -/]*[0-~]?"  # other ESC sequences (and a lone ESC)
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
# Controls that are never text: C0 but tab/newline/CR, DEL, C1, and the
# bidirectional overrides that make text display in another order than stored.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")


def from_argv(text: str) -> str:
    """A command-line string as real text: undecodable bytes become U+FFFD.

    Python hands invalid UTF-8 in argv over as lone surrogates
    (surrogateescape); they cannot be encoded, so they never go further.
    """
    if not _SURROGATES.search(text):
        return text
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        return _SURROGATES.sub("\ufffd", text)
    return raw.decode("utf-8", "replace").replace("\x00", "")


def terminal_text(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with escape sequences and control characters removed.

    Tabs stay; newlines (and carriage returns, for progress lines) stay
    unless ``keep_newlines`` is false, when they become spaces.
    """
    text = _ESCAPES.sub("", text)
    text = _CONTROLS.sub("", text)
    text = _SURROGATES.sub("\ufffd", text)
    if not keep_newlines:
        text = text.replace("\r", " ").replace("\n", " ")
    return text


def one_line(text: str) -> str:
    """A message as exactly one safe terminal line (newlines shown as ``\\n``)."""
    text = text.replace("\r\n", "\n").strip("\n")
    return terminal_text(text.replace("\r", "\\r").replace("\n", "\\n"))


def shown(name: str | os.PathLike[str] | bytes) -> str:
    """A file name for a message: as typed when plain, else escaped like ``repr``.

    A newline, an escape code or an undecodable byte in a name is shown as
    ``\\n``, ``\\x1b``, ``\\xff``, so the message stays one honest line.
    """
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    name = os.fspath(name)
    if name.isprintable() and not _SURROGATES.search(name) and not _CONTROLS.search(name):
        return name
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable() and not _CONTROLS.match(ch) and not 0xD800 <= code <= 0xDFFF:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    return "".join(out)


class TerminalWriter(io.TextIOBase):
    """A text stream that passes on only safe terminal text.

    The CLI puts its standard output and error behind one of these, so
    whatever a command prints (a transcript, a scenario id, a file name)
    cannot carry an escape sequence or an unencodable character to the
    terminal. Text the stream's encoding cannot hold is backslash-escaped
    rather than raising.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, s: str) -> int:
        clean = terminal_text(s)
        try:
            self.stream.write(clean)
        except UnicodeEncodeError:
            enc = getattr(self.stream, "encoding", None) or "ascii"
            self.stream.write(clean.encode(enc, "backslashreplace").decode(enc, "replace"))
        return len(s)

    def flush(self) -> None:
        self.stream.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # noqa: D401 - mirrors the wrapped stream
        enc: str = getattr(self.stream, "encoding", "utf-8")
        return enc

    @encoding.setter
    def encoding(self, value: str) -> None:
        # io.TextIOBase declares a writable attribute; ours mirrors the stream and stays read-only.
        raise AttributeError("TerminalWriter.encoding is the wrapped stream's; it cannot be set")

    @property
    def buffer(self) -> BinaryIO:
        return self.stream.buffer

    def __getattr__(self, name: str) -> Any:  # line_buffering, reconfigure, ...: the wrapped stream's
        return getattr(self.stream, name)


def write_json(obj: object, stream: TextIO | None = None, **dumps_kw: Any) -> None:
    """Print ``obj`` as JSON that is valid UTF-8 whatever the locale.

    Non-ASCII text stays readable (``ensure_ascii=False``); a lone surrogate
    (an undecodable byte that got this far) becomes U+FFFD; controls a
    terminal would act on are \\u-escaped; the bytes go to
    the stream's binary buffer when it has one, so the locale's encoding
    never matters.
    """
    stream = stream if stream is not None else sys.stdout
    dumps_kw.setdefault("ensure_ascii", False)
    text = _SURROGATES.sub("\ufffd", json.dumps(obj, **dumps_kw)) + "\n"
    # json leaves DEL, C1 (8-bit CSI) and bidi controls raw with ensure_ascii=False;
    # they can only sit inside strings, where \uXXXX means the same.
    text = _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    raw_stream = stream.stream if isinstance(stream, TerminalWriter) else stream
    buffer = getattr(raw_stream, "buffer", None)
    if buffer is None:
        raw_stream.write(text)
        raw_stream.flush()
        return
    raw_stream.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


# ----------------------------------------------------------------- arguments

def whole_number(text: str, low: int, high: int, what: str) -> int:
    """An argparse value in [low, high]; anything else is argparse's one-line error.

    The upper bound matters: Python's ints are unbounded, SQLite's are not
    (a 20-digit --limit was an OverflowError deep inside).
    """
    import argparse

    try:
        n = int(text)
    except ValueError:
        n = low - 1
    if not low <= n <= high:
        raise argparse.ArgumentTypeError(f"expected {what} from {low} to {high}, not {text[:40]!r}")
    return n


# ----------------------------------------------------------------- files

def _require_regular(mode: int, what: str, name: str) -> None:
    if stat.S_ISDIR(mode):
        raise HeardError(f"{what} {name}: is a folder, not a file")
    if not stat.S_ISREG(mode):
        kind = ("a pipe (FIFO)" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
        raise HeardError(f"{what} {name}: is {kind}, not a regular file; give a saved file")


def open_regular(path: str | os.PathLike[str], what: str = "file") -> BinaryIO:
    """Open a regular file for binary reading without ever blocking.

    Opened with O_NONBLOCK (a FIFO's open returns at once instead of waiting
    for a writer), then checked with fstat on the very file opened, so a
    swap between a check and the open cannot slip a FIFO in.
    """
    path = Path(path)
    name = shown(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise HeardError(f"{what} {name}: cannot be read (no such file)") from None
    except IsADirectoryError:
        raise HeardError(f"{what} {name}: is a folder, not a file") from None
    except OSError as exc:
        raise HeardError(f"{what} {name}: cannot be opened ({exc.strerror or exc})") from None
    try:
        _require_regular(os.fstat(fd).st_mode, what, name)
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text_file(path: str | os.PathLike[str], what: str = "file", limit: int = 16 << 20) -> str:
    """A small UTF-8 text file the user named (a playlist...), read safely and bounded."""
    with open_regular(path, what) as f:
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise HeardError(f"{what} {shown(path)}: cannot be read ({exc.strerror or exc})"
                             ) from None
    if len(data) > limit:
        raise HeardError(f"{what} {shown(path)}: is larger than {limit >> 20} MB; "
                         "is it the right file?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HeardError(f"{what} {shown(path)}: is not UTF-8 text; save it as UTF-8") from None


def check_output_path(path: str | os.PathLike[str], what: str = "output file") -> Path:
    """``path`` if heard may create or overwrite it: a regular file, nothing yet,
    or a character device such as /dev/null.

    Writing into a FIFO blocks until a reader comes; a disk (block device)
    or a folder is never what the user meant.
    """
    path = Path(path)
    name = shown(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise HeardError(f"{what} {name}: the folder {shown(parent)} does not exist") from None
        return path
    except OSError as exc:
        raise HeardError(f"{what} {name}: cannot be used ({exc.strerror or exc})") from None
    if not stat.S_ISCHR(st.st_mode):
        _require_regular(st.st_mode, what, name)
    return path
