"""`pybs-tui compare VERSION`: the archives of one version and platform side by side."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..units import printable
from .common import (
    UserError,
    add_catalog_options,
    add_json_option,
    catalog_from_args,
    note,
    print_json,
    print_table,
    settings_from_args,
)

if TYPE_CHECKING:  # the catalog code loads when the command runs, not for --help
    from ..catalog.group import Host
    from ..catalog.models import Build
    from ..settings import Settings


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="compare the archives of one version and platform side by side",
        description="Show install_only_stripped, install_only, pgo+lto / pgo / lto / noopt / "
        "debug full and free-threaded archives of one version and platform: size, "
        "ratio to the smallest, flags, flavor, format, release, sha256.",
    )
    p.add_argument(
        "version",
        metavar="VERSION",
        help="a version request: 3.12 (newest 3.12.x), 3.12.3, 3.13t, 3.12.3+debug",
    )
    p.add_argument("--os", help="linux, macos (darwin) or windows (default: this machine)")
    p.add_argument("--arch", help="x86_64, aarch64, i686, ... (default: this machine)")
    p.add_argument("--libc", help="gnu, musl, msvc, none, ... (default: this machine)")
    p.add_argument("--level", help="x86-64 level v1..v4 (default: baseline)")
    p.add_argument("--release", metavar="TAG", help="this release tag (default: the newest)")
    add_catalog_options(p)
    add_json_option(p)
    p.set_defaults(func=run)


def choose(
    builds: list[Build], args: argparse.Namespace, host: Host, *, release: str | None = None
) -> list[Build]:
    """The builds to compare for the command line's request (UserError when none)."""
    from ..catalog.compare import pick_builds  # not imported at start-up (see run)
    from ..catalog.group import (
        FilterError,
        normalise_arch,
        normalise_libc,
        normalise_os,
        parse_request,
    )

    try:
        request = parse_request(args.version)
        os_name = normalise_os(args.os) if args.os else host.os
        arch = normalise_arch(args.arch) if args.arch else host.arch
        libc = (
            normalise_libc(args.libc) if args.libc else (host.libc if os_name == host.os else None)
        )
    except FilterError as exc:
        raise UserError(str(exc)) from None
    level = args.level or ("v1" if arch == "x86_64" else "")
    pool = [
        b
        for b in builds
        if request.matches(b.version)
        and b.os == os_name
        and b.arch == arch
        and (libc is None or b.libc == libc)
        and b.arch_level == level
    ]
    if not pool:
        raise UserError(
            f"no archives of {args.version} for {os_name}-{arch}"
            f"{'-' + libc if libc else ''}{' ' + level if level else ''}; "
            "try `pybs-tui list --all --version ...`"
        )
    chosen = pick_builds(pool, variant=request.variant, release=release or args.release)
    if not chosen:
        raise UserError(f"release {args.release} has no archives of {args.version} there")
    return chosen


def _speeds(settings: Settings) -> Callable[[Build], tuple[str, Any] | None]:
    """The measured speed (`pybs-tui bench`) of the columns that are installed."""
    from ..install.receipts import installed_names
    from ..service.speed import build_speeds

    return build_speeds(settings, installed_names(settings))


def run(args: argparse.Namespace) -> int:
    # imported here: every subcommand module is imported at start-up (`install` too)
    from ..catalog.compare import comparison, describe_selection, totals_line
    from ..catalog.index import CatalogIndex
    from ..host import detect_host
    from ..service.catalog import with_release
    from ..service.install import free_space
    from .sizes import fill_sizes

    settings = settings_from_args(args)
    catalog = catalog_from_args(args, settings)
    host = detect_host()
    chosen = choose(catalog.builds, args, host)
    if catalog.source == "live" and not settings.offline:
        # the release's own listing names every archive, with sizes and digests (one API
        # request, free when unchanged: ETag)
        catalog = with_release(settings, catalog, chosen[0].release)
        for text in catalog.notes[-1:]:
            if not args.json and text.startswith("release"):
                note(f"note: {text}")
        chosen = choose(catalog.builds, args, host, release=chosen[0].release)
    chosen = fill_sizes(settings, catalog, chosen, quiet=args.json)
    index = CatalogIndex(catalog, host)
    comp = comparison(
        chosen,
        facts=index.flag_facts,
        uv_request=index.uv_request,
        speed=_speeds(settings),
    )
    free, where = free_space(settings)
    if args.json:
        print_json({"selection": describe_selection(chosen), **comp.to_json(free)})
        return 0
    print(printable(describe_selection(chosen)))
    rows = [
        [row.attribute, *(c.text + ("◆" if c.differs else "") for c in row.cells)]
        for row in comp.rows
    ]
    print_table(["", *comp.labels], rows)
    for text in comp.notes:
        note(f"note: {text}")
    print(printable(totals_line(comp, free, str(where))))  # the home's path: outside text
    note("◆ = differs from the most common value of its row")
    return 0
