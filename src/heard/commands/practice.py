"""``heard practice``: the live session on the microphone (the default command)."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("practice", help="practise out loud: hear a moment, answer, get feedback")
    p.add_argument("--scenario", "-s", action="append", metavar="ID",
                   help="practise this scenario (repeat for several; default: all, shuffled)")
    p.add_argument("--model", help="vosk model folder (default: see `heard models path`)")
    p.add_argument("--input-device", metavar="NAME", help="microphone name (substring)")
    p.add_argument("--output-device", metavar="NAME", help="speaker name (substring)")
    p.add_argument("--no-speak", action="store_true",
                   help="print the scene and feedback instead of speaking (no speaker needed)")
    p.add_argument("--verbose", "-v", action="store_true", help="print latency per take")
    p.add_argument("--once", action="store_true", help="one take, then stop")
    p.add_argument("--lang", default="en",
                   help="language of the model, for spoken commands (default: en)")
    p.add_argument("--no-voice-commands", action="store_true",
                   help="take steps from the keyboard only")
    p.add_argument("--push-to-talk", action="store_true",
                   help="press Enter to end your answer instead of pausing")
    p.add_argument("--no-history", action="store_true",
                   help="don't save this session's takes in your private history")
    p.add_argument("--keep-audio", action="store_true",
                   help="also keep each take's recording beside the history (private, 0600)")
    p.add_argument("--report", nargs="?", const=True, type=Path, metavar="FILE",
                   help="when the session ends, write a page of its takes (default: in your "
                   "private data folder) and print where")
    p.set_defaults(func=run)


def run(args) -> int:
    if isinstance(args.report, Path):  # a page that cannot be written: say so before practice
        from heard.report.page import check_writable

        check_writable(args.report)
    from heard.practice.session import PracticeSession, SessionSettings

    settings = SessionSettings(
        scenarios=tuple(args.scenario or ()), input_device=args.input_device,
        output_device=args.output_device, speak=not args.no_speak, verbose=args.verbose,
        model=args.model, lang=args.lang, once=args.once,
        voice_commands=not args.no_voice_commands, push_to_talk=args.push_to_talk)
    # Fail in one line (pointing to `heard analyse`) before the slow model load.
    from heard.audio.devices import list_devices, pick_device

    pick_device(list_devices(), args.input_device, "input")
    from heard.core.errors import HeardError
    from heard.store.recording import RecordingSettings, TakeRecorder

    if args.keep_audio and args.no_history:
        raise HeardError("--keep-audio needs the history; leave out --no-history")

    recorder = TakeRecorder.open(RecordingSettings(
        mode="off" if args.no_history else "full", keep_audio=args.keep_audio))
    session = PracticeSession(settings)
    session.on_take.append(recorder)
    try:
        status = session.run()
    finally:
        recorder.close()
    if args.report:
        session_report(session.takes, args.report)
    return status


def session_report(takes, where) -> Path | None:
    """Write the page for a session's takes and print its path (nothing with no takes).

    Heavy imports (matplotlib) happen here, after practice is over.
    """
    from datetime import datetime

    from heard.analysis.take import report_json
    from heard.core.paths import ensure_private_dir, user_data_dir
    from heard.report.page import write_page
    from heard.report.takepage import session_page

    if not takes:
        print("heard: no takes in this session, so no report page.")
        return None
    now = datetime.now()
    if not isinstance(where, Path):
        from heard.commands.forget import REPORTS_DIR_NAME

        folder = ensure_private_dir(user_data_dir() / REPORTS_DIR_NAME)
        where = folder / f"session-{now:%Y%m%d-%H%M%S}.html"
    pages = [(report_json(t.analysis, t.turn.samples, t.turn.mask), t.compared) for t in takes]
    write_page(where, session_page(pages, when=f"{now:%Y-%m-%d %H:%M}"))
    print(f"Your report page: {where}")
    return where
