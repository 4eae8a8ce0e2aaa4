"""``heard practice``: the live session on the microphone (the default command)."""

from __future__ import annotations


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
    p.set_defaults(func=run)


def run(args) -> int:
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
        return session.run()
    finally:
        recorder.close()
