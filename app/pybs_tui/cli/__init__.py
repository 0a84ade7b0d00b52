"""Headless subcommands. Each module exposes ``register(subparsers)``; __main__ wires them."""
