"""Entry point: no subcommand opens the TUI; subcommands run headless."""

from __future__ import annotations

import argparse
import gc
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
    """Run the command line `argv` (default: this process's own, and then the process ends
    right after: see `_before_exit`)."""
    args = build_parser().parse_args(argv)
    func = _run_app if args.command is None else args.func
    code = run_guarded(func, args)
    if argv is None:
        _before_exit()
    return code


def _before_exit() -> None:
    """The process ends next: move every object out of the collector's reach.

    Python's finalization clears each module and runs full collections over everything still
    alive (an install leaves ~30k objects: httpx, the catalog, the extractor): 30-50 ms of an
    install's wall time, for memory the system takes back at once anyway. Frozen objects are
    still freed and atexit handlers still run; only the collector's scans of them are skipped.
    Never called when `main` is given arguments (tests call it many times in one process).
    """
    gc.freeze()


def _run_app(args: argparse.Namespace) -> int:
    from .cli.common import settings_from_args
    from .ui.app import run_app  # textual is imported only for the TUI

    return run_app(settings_from_args(args), getattr(args, "catalog", None))


if __name__ == "__main__":
    sys.exit(main())
