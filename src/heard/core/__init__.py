"""Shared types, settings and file lookup used by every layer."""
