"""Audio I/O: devices, capture, playback, speech synthesis, WAV files, resampling."""
