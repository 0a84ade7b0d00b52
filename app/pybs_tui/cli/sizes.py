"""`pybs-tui sizes`: fetch and keep archive sizes; and the size step `list` and `compare` share.

Sizes are kept forever by release tag and asset name, so the next `list --offline` shows them.
Without a token the GitHub API allows 60 requests an hour: the release list costs one request
per 10 releases (about 10 for every release), HEAD requests to the download host cost none.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING

from ..progress import Cancelled, Progress
from ..units import format_size, printable
from .common import (
    add_catalog_options,
    add_json_option,
    catalog_from_args,
    note,
    print_json,
    settings_from_args,
    stderr_console,
)

if TYPE_CHECKING:
    from ..catalog.models import Build, Catalog
    from ..service.sizes import SizeReport
    from ..settings import Settings

OFFLINE_HINT = "run `pybs-tui sizes` online to fetch and keep them"


def register(subparsers: argparse._SubParsersAction) -> None:
    from .listing import add_filter_options

    p = subparsers.add_parser(
        "sizes",
        help="fetch and keep archive sizes (shown offline afterwards)",
        description="Fetch the sizes of the archives `list` would show (or, with --all, of "
        "every archive matching the filters) and keep them: later lists show them offline. "
        "Uses the GitHub release list where it costs fewer requests than HEAD requests to the "
        "download host, and says how much of the hourly API quota is left.",
    )
    p.add_argument("--all", action="store_true", help="every archive matching the filters")
    add_filter_options(p)
    add_catalog_options(p)
    add_json_option(p)
    p.set_defaults(func=run)


class SizeProgress:
    """A rich progress bar on a terminal; a line per source otherwise; nothing with --json."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.enabled = enabled and total > 0
        self.total = total
        self.bar = None
        self.task = None
        self.lock = threading.Lock()
        self.said = ""
        if self.enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("sizes"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}", markup=False),  # hosts, reasons: plain
                console=stderr_console(),
                transient=True,
            )
            self.task = self.bar.add_task("", total=total)
            self.bar.start()

    def __call__(self, p: Progress) -> None:
        with self.lock:
            if self.bar is not None and self.task is not None:
                self.bar.update(self.task, completed=p.done, description=printable(p.message))
            elif self.enabled and p.message != self.said:
                self.said = p.message
                note(f"sizes: asking by {p.message}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def fetch(
    settings: Settings, catalog: Catalog, builds: list[Build], *, quiet: bool, allow_api: bool
) -> tuple[list[Build], SizeReport]:
    """Fetch the unknown sizes of `builds` (see service.sizes.fetch_sizes), with progress."""
    from ..service.sizes import fetch_sizes

    unknown = [b for b in builds if b.size is None]
    progress = SizeProgress(len(unknown), enabled=not quiet)
    cancel = threading.Event()
    try:
        report = fetch_sizes(
            settings,
            unknown,
            releases_newest_first=sorted(catalog.releases, reverse=True),
            progress=progress,
            cancel=cancel,
            allow_api=allow_api,
        )
    except (KeyboardInterrupt, Cancelled):
        cancel.set()
        raise KeyboardInterrupt from None
    finally:
        progress.close()
    return report.apply(builds), report


def fill_sizes(
    settings: Settings, catalog: Catalog, builds: list[Build], *, quiet: bool
) -> list[Build]:
    """The sizes of the rows a command prints: kept ones are there already; online (a live
    catalog) the unknown ones are fetched first; offline it says once how to get them."""
    unknown = sum(1 for b in builds if b.size is None)
    if not unknown:
        return builds
    if catalog.source == "live" and not settings.offline:
        builds, _ = fetch(settings, catalog, builds, quiet=quiet, allow_api=True)
        unknown = sum(1 for b in builds if b.size is None)
        if unknown and not quiet:
            note(f"{unknown} sizes still unknown: the download hosts did not say them")
    elif not quiet:
        why = "offline" if settings.offline or catalog.source != "live" else "unknown"
        note(f"{unknown} of {len(builds)} sizes unknown ({why}): {OFFLINE_HINT}")
    return builds


def run(args: argparse.Namespace) -> int:
    from ..catalog.index import CatalogIndex
    from ..host import detect_host
    from .common import UserError
    from .listing import filters_from_args, select

    filters = filters_from_args(args)
    settings = settings_from_args(args)
    if settings.offline:
        raise UserError("sizes are fetched from the network: run without --offline")
    catalog = catalog_from_args(args, settings)
    host = detect_host()
    index = CatalogIndex(catalog, host)
    chosen = select(index, filters, host, args.all)
    known_before = sum(1 for b in chosen if b.size is not None)
    builds, report = fetch(settings, catalog, chosen, quiet=args.json, allow_api=True)
    unknown = [b for b in builds if b.size is None]
    rate = report.rate
    if args.json:
        print_json(
            {
                "archives": len(builds),
                "known_before": known_before,
                "found": len(report.found),
                "unknown": len(unknown),
                "api_requests": report.api_requests,
                "head_requests": report.heads,
                "quota": None
                if rate is None
                else {"limit": rate.limit, "remaining": rate.remaining, "reset": rate.reset},
                "notes": report.notes,
                "sizes": {b.name: b.size for b in builds},
            }
        )
        return 0 if not unknown else 1
    total = sum(b.size or 0 for b in builds)
    print(
        f"{len(builds)} archives: {known_before} sizes kept already, "
        f"{len(report.found)} fetched "
        f"({report.api_requests} API requests, {report.heads} HEAD requests), "
        f"{len(unknown)} unknown"
    )
    if not unknown:
        print(f"total {format_size(total)}")
    for text in report.notes:
        note(f"note: {text}")
    if rate is not None:
        note(rate.describe())
    if unknown:
        reasons: dict[str, int] = {}
        for b in unknown:
            why = report.unknown.get(b.name, "not asked")
            reasons[why] = reasons.get(why, 0) + 1
        for why, count in sorted(reasons.items(), key=lambda kv: -kv[1])[:5]:
            note(f"{count} unknown: {why}")
        return 1
    return 0
