"""``heard kiosk``: an unattended practice station for a parent centre (see docs/kiosk.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from heard.core.errors import HeardError


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds above 0, not {text!r}")
    return value


def register(sub) -> None:
    p = sub.add_parser("kiosk", help="unattended practice station: waits for visitors, "
                       "resets itself, keeps nothing by default")
    p.add_argument("--playlist", type=Path, metavar="FILE",
                   help="scenario ids to use, one per line (# comments); default: all, shuffled")
    p.add_argument("--idle-timeout", type=_seconds, default=60.0, metavar="S",
                   help="back to the welcome screen after S seconds without an answer (default 60)")
    p.add_argument("--history", choices=("off", "anonymous", "full"), default="off",
                   help="off: keep nothing (default); anonymous: numbers and finding ids only, "
                   "for the centre's statistics; full: everything, for a private home kiosk")
    p.add_argument("--keep-audio", action="store_true",
                   help="with --history full: also keep each take's recording")
    p.add_argument("--lang", default="en",
                   help="the speech model's language, for the spoken words (default en)")
    p.add_argument("--model", help="vosk model folder (default: the installed one)")
    p.add_argument("--input-device", help="microphone name (substring)")
    p.add_argument("--output-device", help="speaker name (substring)")
    p.add_argument("--button", type=int, metavar="PIN",
                   help="GPIO (BCM) pin of a push button that acts like Enter (needs gpiozero)")
    p.add_argument("--push-to-talk", action="store_true",
                   help="the visitor presses Enter/the button when they finish speaking")
    p.set_defaults(func=run)


def run(args) -> int:
    from heard.core.rules import validate_folder
    from heard.practice.kiosk import Kiosk, KioskSettings, load_playlist, stop_on_signals

    validate_folder()  # staff-edited prompts/: one clear line now, not mid-visit

    if args.keep_audio and args.history != "full":
        raise HeardError("--keep-audio needs --history full (visitors' voices are never kept "
                         "otherwise)")
    playlist = load_playlist(args.playlist) if args.playlist else ()
    settings = KioskSettings(playlist=playlist, idle_timeout_s=args.idle_timeout,
                             history=args.history, keep_audio=args.keep_audio, lang=args.lang,
                             model=args.model, input_device=args.input_device,
                             output_device=args.output_device, button_pin=args.button,
                             push_to_talk=args.push_to_talk)
    kiosk = Kiosk(settings)  # checks the start words before anything slow
    stop_on_signals(kiosk)
    return kiosk.run()
