"""``heard check``: PASS/FAIL self-test of model, microphone, speaker and speech."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from heard.core.safeio import write_json
from heard.practice.check import ITEMS, load_settings, overall, run_checks


def _items(text: str) -> tuple[str, ...]:
    picked = tuple(t.strip() for t in text.split(",") if t.strip())
    bad = [t for t in picked if t not in ITEMS]
    if bad or not picked:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(ITEMS)} (comma-separated), "
                                         f"not {text!r}")
    return picked


def register(sub) -> None:
    p = sub.add_parser("check", help="self-test: model, microphone, speaker and speech, PASS/FAIL")
    p.add_argument("--model", help="vosk model folder (default: the installed one)")
    p.add_argument("--input-device", help="microphone name (substring)")
    p.add_argument("--output-device", help="speaker name (substring)")
    p.add_argument("--only", type=_items, metavar="ITEMS",
                   help=f"check just these, comma-separated ({', '.join(ITEMS)})")
    p.add_argument("--seconds", type=float, help="how long to measure the microphone (default 3)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--prompts", nargs="?", const="", metavar="DIR",
                   help="only validate a prompts folder (default: the one in use) and exit")
    p.set_defaults(func=run)


def check_prompts(folder: str) -> int:
    """Validate every file of a prompts folder; a problem is one line and exit 2 (HeardError)."""
    from heard.core.rules import validate_folder

    rules = validate_folder(Path(folder) if folder else None)
    print(f"prompts OK: {len(rules.files)} files in {rules.root} "
          f"({len(rules.scenarios)} scenarios, language {rules.lang})")
    return 0


def run(args) -> int:
    if args.prompts is not None:
        return check_prompts(args.prompts)
    settings = load_settings(model=args.model, input_device=args.input_device,
                             output_device=args.output_device, only=args.only,
                             mic_seconds=args.seconds)
    if not args.json and "microphone" in settings.only:
        print(f"(speak or clap during the {settings.mic_seconds:g} s microphone check)",
              file=sys.stderr, flush=True)
    report = None if args.json else (lambda r: print(r.line(), flush=True))
    results = run_checks(settings, report)
    ok = overall(results)
    if args.json:
        write_json({"ok": ok, "checks": [r.to_json() for r in results]}, indent=2)
    else:
        print("all checks passed" if ok else "some checks failed: fix the FAIL lines above")
    return 0 if ok else 1
