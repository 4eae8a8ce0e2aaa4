"""One module per sub-command; each defines ``register(subparsers)``.

Modules here are discovered automatically, so a new command is a new file.
``register`` adds its parser and sets ``func(args) -> int`` as the default.
"""
