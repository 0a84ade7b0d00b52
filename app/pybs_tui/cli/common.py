"""What every subcommand shares: catalog options, settings, one-line errors, output helpers."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..catalog.models import Catalog
from ..service.catalog import CatalogUnavailable, describe_source, load_catalog
from ..settings import Settings, SettingsError
from ..units import printable

if TYPE_CHECKING:  # rich loads when something is printed with it
    from rich.console import Console


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
    """Settings from the environment and the options; a bad URL or a home that cannot hold
    folders is one line and exit 2."""
    try:
        settings = Settings.from_env(
            offline=True if getattr(args, "offline", False) else None,
            mirror=getattr(args, "mirror", None),
        )
        settings.check_folders()
    except SettingsError as exc:
        raise UserError(str(exc)) from None
    return settings


def catalog_from_args(args: argparse.Namespace, settings: Settings) -> Catalog:
    try:
        catalog = load_catalog(settings, getattr(args, "catalog", None))
    except CatalogUnavailable as exc:
        raise UserError(str(exc)) from None
    if not getattr(args, "json", False):
        status = describe_source(catalog, settings.clock())
        note(f"[{status}]")
        for text in catalog.notes:
            note(f"note: {text}")
    return catalog


def print_json(value: Any) -> None:
    """JSON on stdout: indented on a terminal, compact (and fast: C encoder) in a pipe."""
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(value, indent=indent, default=str) + "\n")


def stdout_console() -> Console:
    """Rich console on stdout: colours on a terminal (NO_COLOR honoured), plain in a pipe."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    right: Sequence[int] = (),
    *,
    wrap: Sequence[int] = (),
) -> None:
    """A table: rich on a terminal (columns in `wrap` may fold), plain aligned lines in a pipe.
    Every cell is text from the data, never markup; control characters are escaped."""
    cells = [[printable(c) for c in row] for row in rows]
    if not sys.stdout.isatty():
        widths = [len(h) for h in headers]
        for row in cells:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

        def line(values: Sequence[str]) -> str:
            return "  ".join(
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(values, widths, strict=True))
            ).rstrip()

        out = [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]
        sys.stdout.write("\n".join(out) + "\n")
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    for i, header in enumerate(headers):
        table.add_column(
            header,
            justify="right" if i in right else "left",
            no_wrap=i not in wrap,
            overflow="fold" if i in wrap else "ellipsis",
        )
    for row in cells:
        table.add_row(*(Text(c) for c in row))
    stdout_console().print(table)


def note(text: str) -> None:
    """One line on stderr for the human reading (never on stdout, which scripts read)."""
    print(printable(text), file=sys.stderr)


def run_guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand: user errors and Ctrl-C become one line and an exit code."""
    try:
        return func(args)
    except UserError as exc:
        print(f"pybs-tui: error: {printable(exc)}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("pybs-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
