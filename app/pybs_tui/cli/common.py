"""What every subcommand shares: catalog options, settings, one-line errors, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..catalog.models import Catalog
from ..catalog_loader import CatalogUnavailable, describe_source, load_catalog
from ..settings import Settings


class UserError(Exception):
    """A problem the user can fix; printed as one line with this exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def add_catalog_options(parser: argparse.ArgumentParser, *, top_level: bool = False) -> None:
    """--catalog and --offline; valid both before and after the subcommand."""
    # Subcommands must not reset what was given before them: SUPPRESS their defaults.
    default: dict[str, Any] = {} if top_level else {"default": argparse.SUPPRESS}
    group = parser.add_argument_group("catalog")
    group.add_argument(
        "--catalog",
        metavar="PATH_OR_URL",
        **default,
        help="read the catalog from this file or URL (NDJSON index or API JSON)",
    )
    group.add_argument(
        "--offline",
        action="store_true",
        **default,
        help="no network: use the cached catalog, else the embedded snapshot",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        offline=True if getattr(args, "offline", False) else None,
        mirror=getattr(args, "mirror", None),
    )


def catalog_from_args(args: argparse.Namespace, settings: Settings) -> Catalog:
    try:
        catalog = load_catalog(settings, getattr(args, "catalog", None))
    except CatalogUnavailable as exc:
        raise UserError(str(exc)) from None
    if not getattr(args, "json", False):
        status = describe_source(catalog, settings.clock())
        print(f"[{status}]", file=sys.stderr)
        for note in catalog.notes:
            print(f"note: {note}", file=sys.stderr)
    return catalog


def print_json(value: Any) -> None:
    """JSON on stdout: indented on a terminal, compact (and fast: C encoder) in a pipe."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(value, indent=indent, default=str) + "\n")


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()
) -> None:
    """A plain aligned text table (readable in any terminal and in a pipe)."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    sys.stdout.write("\n".join(out) + "\n")


def run_guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand: user errors and Ctrl-C become one line and an exit code."""
    try:
        return func(args)
    except UserError as exc:
        print(f"pybs-tui: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("pybs-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
