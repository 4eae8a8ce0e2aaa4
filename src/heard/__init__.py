"""heard: offline rehearsal of acknowledging a child's big feelings."""

__version__ = "0.1.0"
