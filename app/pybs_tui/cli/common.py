"""What every subcommand shares: catalog options, settings, one-line errors, output helpers."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..progress import Terminated
from ..units import printable

if TYPE_CHECKING:  # rich and the catalog code load when used, not for --help
    from rich.console import Console

    from ..catalog.models import Catalog
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


def add_archive_options(parser: argparse.ArgumentParser, *, unverified_help: str) -> None:
    """--flavor, --options, --mirror and --allow-unverified, as install and mirror take them."""
    parser.add_argument("--flavor", help="full, install_only or install_only_stripped")
    parser.add_argument(
        "--options",
        help="build options the archive must have, e.g. debug, "
        "pgo+lto, freethreaded; 'none' for plain builds",
    )
    parser.add_argument(
        "--mirror",
        metavar="URL",
        help="download from this mirror of the PBS releases instead of GitHub",
    )
    parser.add_argument("--allow-unverified", action="store_true", help=unverified_help)


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment and the options; a bad URL or a home that cannot hold
    folders is one line and exit 2."""
    from ..settings import Settings, SettingsError

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
    from ..service.catalog import CatalogUnavailable, describe_source, load_catalog

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


def print_json_list(items: Iterable[Any], batch: int = 1000) -> None:
    """A JSON list on stdout, written `batch` items at a time: the same text as print_json
    in a pipe (compact), without holding every item and the whole text at once (`list --all`
    writes 23k rows, 31 MB). On a terminal: indented, in one piece."""
    if sys.stdout.isatty():
        print_json(list(items))
        return
    write = sys.stdout.write
    write("[")
    first = True
    for chunk in _batches(items, batch):
        text = json.dumps(chunk, default=str)[1:-1]
        write(text if first else ", " + text)
        first = False
    write("]\n")


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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


def _terminate(_signum: int, _frame: object) -> None:
    raise Terminated


def _hold(_signum: int, _frame: object) -> None:
    """A second Ctrl-C or SIGTERM while cleaning up: the cleanup goes on."""


def _install(handlers: dict[int, Any]) -> dict[int, Any]:
    """Set signal handlers (main thread only); the previous ones."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signum, handler in handlers.items():
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, handler)
    return previous


#: Longest wait for the work's cleanup after Ctrl-C or SIGTERM (every step of an install
#: checks its cancel event within a fraction of a second; a stray thread must not hang us).
CLEANUP_WAIT = 30.0


def _wait_for_workers(timeout: float = CLEANUP_WAIT) -> None:
    """Wait for every non-daemon thread to end for real (their cleanup: cancel was set).

    A join interrupted by KeyboardInterrupt marks a live thread stopped on Python 3.11 and
    3.12 (join then returns at once and the interpreter would exit under it); such a thread
    still runs until it leaves threading.enumerate(), which is what is waited for here.
    """
    me = threading.current_thread()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = [t for t in threading.enumerate() if t is not me and not t.daemon]
        if not workers:
            return
        for thread in workers:
            if thread.is_alive():
                thread.join(0.2)
            else:
                time.sleep(0.02)  # stopped by an interrupted join, yet still running


def run_guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a subcommand (or the TUI): user errors become one line and an exit code; Ctrl-C
    and SIGTERM stop the work, wait for its cleanup (no staging left), then one line and 130
    or 143 (128 + the signal, the shell's convention). In the TUI, SIGTERM ends textual's
    loop like Ctrl-C would, so the terminal is restored."""
    previous = _install({signal.SIGTERM: _terminate})
    if previous:
        previous[signal.SIGINT] = signal.getsignal(signal.SIGINT)
    try:
        return func(args)
    except UserError as exc:
        print(f"pybs-tui: error: {printable(exc)}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        held = _install({signal.SIGINT: _hold, signal.SIGTERM: _hold})
        previous = previous or held
        print(f"pybs-tui: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        _wait_for_workers()
        return 128 + (signal.SIGTERM if terminated else signal.SIGINT)
    except BrokenPipeError:
        return 0
    finally:
        _install({k: v for k, v in previous.items() if v is not None})
