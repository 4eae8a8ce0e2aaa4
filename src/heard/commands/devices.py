"""``heard devices``: the microphones and speakers heard can use, by name."""

from __future__ import annotations

from heard.audio.devices import list_devices


def register(sub) -> None:
    p = sub.add_parser("devices", help="list microphones and speakers")
    p.set_defaults(func=run)


def run(args) -> int:
    devices = list_devices()
    if not devices:
        print("no audio devices found: this machine has no microphone or speaker that "
              "PortAudio can see; plug one in (or start PulseAudio) and run `heard devices` "
              "again, or analyse a recording with `heard analyse --scenario ID take.wav`")
        return 0
    width = max(len(d.name) for d in devices)
    print(f"  {'name':<{width}}  {'host API':<10} {'in':>3} {'out':>3}  {'rate':>6}  default")
    for d in devices:
        marks = ", ".join(k for k, on in (("input", d.default_input), ("output", d.default_output)) if on)
        print(f"{'*' if marks else ' '} {d.name:<{width}}  {d.hostapi:<10} {d.inputs:>3} "
              f"{d.outputs:>3}  {d.default_rate:>6.0f}  {marks}")
    print("select a device by a piece of its name, not its number "
          "(numbers change when hardware is plugged in)")
    return 0
