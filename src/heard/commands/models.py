"""``heard models``: which speech models are known, installed and in use; fetch one."""

from __future__ import annotations

from heard.core.errors import ModelMissing
from heard.listen import models


def register(sub) -> None:
    p = sub.add_parser("models", help="list, locate or download speech models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    lp = msub.add_parser("list", help="known models, where they are installed, which is used")
    lp.set_defaults(func=run_list)
    fp = msub.add_parser("fetch", help="download a model (default: the small English one; "
                         f"`{models.SMART_TURN.name}` for the end-of-turn model)")
    fp.add_argument("name", nargs="?", default=models.DEFAULT_MODEL, metavar="NAME")
    fp.add_argument("--dest", metavar="DIR", help="folder to install into "
                    f"(default: {models.models_dir_for_install()})")
    fp.add_argument("--quiet", action="store_true", help="no progress bar")
    fp.set_defaults(func=run_fetch)
    pp = msub.add_parser("path", help="print the folder of the model heard would use")
    pp.add_argument("--model", metavar="PATH", help="check this model folder instead")
    pp.set_defaults(func=run_path)
    p.set_defaults(func=run_list)


def run_list(args) -> int:
    installed = models.installed_models()
    try:
        in_use, why = models.resolve_model(), None
    except ModelMissing as exc:
        in_use, why = None, str(exc)
    width = max(len(n) for n in [*models.KNOWN_MODELS, *(m.name for m in installed)])
    print("known models:")
    for name, k in models.KNOWN_MODELS.items():
        size = f"{k.size / 1e6:.0f} MB" if k.size else "?"
        print(f"  {name:<{width}}  {size:>6}  {k.note}")
    print("installed:")
    if not installed:
        print("  none")
    for m in installed:
        state = "ok" if m.problem is None else f"INCOMPLETE: {m.problem}"
        mark = "*" if in_use is not None and m.path == in_use else " "
        print(f" {mark}{m.name:<{width}}  {m.where:<12}  {state}  {m.path}")
    if in_use is not None:
        print(f"in use: {in_use}")
    else:
        print(f"in use: none ({why})")
    from heard.listen.turnmodel import describe_end_of_turn

    t = models.SMART_TURN
    print(f"end-of-turn model: {t.name} ({t.size / 1e6:.0f} MB, {t.note})")
    print(describe_end_of_turn())
    return 0


def run_fetch(args) -> int:
    if args.name == models.SMART_TURN.name:
        path = models.fetch_turn_model(args.dest, progress=not args.quiet)
        print(f"{args.name} ready at {path}")
        return 0
    path = models.fetch_model(args.name, args.dest, progress=not args.quiet)
    print(f"{args.name} ready at {path}")
    return 0


def run_path(args) -> int:
    print(models.resolve_model(args.model))
    return 0
