"""The practice loop: session, voice/key controls, kiosk, self-check."""
