"""User-facing errors.

Anything the user can fix (bad file, unknown scenario, missing model, no
microphone) is raised as a ``HeardError`` with one actionable sentence. The CLI
prints it on one line and exits with status 2; nothing else should turn bad
input into a traceback.
"""


class HeardError(Exception):
    """A problem the user can act on; ``str()`` is the one-line message."""

    exit_code = 2


class BadAudio(HeardError):
    """The audio file cannot be read as speech audio."""


class UnknownScenario(HeardError):
    """No scenario with that id."""


class ModelMissing(HeardError):
    """No usable vosk model was found or it is incomplete."""


class DeviceError(HeardError):
    """No usable microphone or speaker."""
