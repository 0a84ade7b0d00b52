"""Entry point: no subcommand opens the TUI; subcommands run headless."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from . import __version__
from .cli.common import add_catalog_options, run_guarded

#: Modules of cli/ with register(subparsers); each adds one subcommand. All of them are
#: imported for every command line (`--help` lists them), so a module imports at its top only
#: what registering needs; the work's imports go inside its run function (see
#: tests/unit/test_lazy_imports.py). A new subcommand: its module name here.
SUBCOMMANDS = ["listing", "compare", "sizes", "install", "installed", "mirror", "bench"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pybs-tui",
        description="Find, compare, install, verify and remove python-build-standalone builds. "
        "Without a subcommand, opens the terminal app.",
    )
    parser.add_argument("--version", action="version", version=f"pybs-tui {__version__}")
    add_catalog_options(parser, top_level=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__package__}.cli.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        return run_guarded(_run_app, args)
    return run_guarded(args.func, args)


def _run_app(args: argparse.Namespace) -> int:
    from .cli.common import settings_from_args
    from .ui.app import run_app  # textual is imported only for the TUI

    return run_app(settings_from_args(args), getattr(args, "catalog", None))


if __name__ == "__main__":
    sys.exit(main())
