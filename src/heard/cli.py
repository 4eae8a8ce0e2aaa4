"""Command-line entry point: ``heard [command] ...``.

Bad input never produces a traceback: ``HeardError`` is printed as one line
with exit status 2. With no command, ``heard`` starts a practice session.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import pkgutil
import sys

from heard.core.errors import HeardError
from heard.core.safeio import TerminalWriter, one_line, shown

from . import __version__, commands

# Order in --help; commands not listed follow alphabetically.
_ORDER = ["practice", "analyse", "scenarios", "calibrate", "models", "devices",
          "history", "report", "forget", "kiosk", "check"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line like every other error (exit 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="heard",
        description="Rehearse acknowledging a child's big feelings, out loud, offline.",
    )
    p.add_argument("--version", action="version", version=f"heard {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    names = [m.name for m in pkgutil.iter_modules(commands.__path__)]
    names.sort(key=lambda n: (_ORDER.index(n) if n in _ORDER else len(_ORDER), n))
    for name in names:
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command behind safe terminal streams (see ``heard.core.safeio``)."""
    out, err = sys.stdout, sys.stderr
    if out is not None and not isinstance(out, TerminalWriter):
        sys.stdout = TerminalWriter(out)
    if err is not None and not isinstance(err, TerminalWriter):
        sys.stderr = TerminalWriter(err)
    try:
        status = _main(argv)
        if out is not None:
            out.flush()  # a full disk or closed pipe shows here, as one line below
        return status
    except OSError as exc:  # standard output itself could not be written
        return _output_failed(exc, out, err)
    finally:
        sys.stdout, sys.stderr = out, err


def _output_failed(exc: OSError, out, err) -> int:
    """Standard output could not be written (disk full, closed pipe): one line on stderr.

    What is still buffered is dropped (pointed at /dev/null) so Python's own
    flush at exit does not print a second, raw complaint.
    """
    try:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, out.fileno())
        os.close(fd)
    except (OSError, ValueError, AttributeError):
        pass
    if isinstance(exc, BrokenPipeError):
        return 0
    hint = "; free some space and try again" if exc.errno == errno.ENOSPC else ""
    try:
        print(f"heard: cannot write the output ({exc.strerror or exc}){hint}", file=err)
    except (OSError, ValueError):
        pass
    return 2


def _main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["practice", *argv]
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except HeardError as exc:
        print(f"heard: {one_line(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        raise  # standard output was closed: main() ends quietly
    except OSError as exc:
        # The environment refused something (disk full, no permission, ...):
        # say what and where in one line rather than a traceback.
        where = f" ({shown(exc.filename)})" if getattr(exc, "filename", None) else ""
        hint = "; free some space and try again" if exc.errno == errno.ENOSPC else ""
        print(f"heard: {one_line(str(exc.strerror or exc))}{where}{hint}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("heard: stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
