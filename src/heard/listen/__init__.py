"""Listening: voice activity, end of turn, streaming recognition, model lookup."""
