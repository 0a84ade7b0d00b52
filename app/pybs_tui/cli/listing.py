"""`pybs-tui list`: the catalog as a table or JSON, filtered like uv's list and beyond."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from ..catalog.group import (
    FilterError,
    Filters,
    Host,
    incompatibility,
    newest_per_minor,
    normalise_arch,
    normalise_flavor,
    normalise_libc,
    normalise_os,
    parse_options,
    parse_request,
    sort_key,
    uv_pick,
)
from ..catalog.models import Build
from ..host import detect_host
from .common import (
    UserError,
    add_catalog_options,
    add_json_option,
    catalog_from_args,
    print_json,
    print_table,
    settings_from_args,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "list",
        help="list PBS builds (default: this platform, newest patch per minor)",
        description="List python-build-standalone archives. By default: this host's platform, "
        "the newest patch of each minor version, the archive uv would pick.",
    )
    p.add_argument("--all", action="store_true", help="every archive of every version and platform")
    p.add_argument(
        "--version",
        dest="request",
        metavar="REQUEST",
        help="a version request: 3.12, 3.12.3, 3.14.0rc3, 3.13t, 3.12.3+debug",
    )
    p.add_argument("--os", help="linux, macos (darwin) or windows")
    p.add_argument("--arch", help="x86_64, aarch64, i686, armv7, ppc64le, s390x, riscv64")
    p.add_argument("--libc", help="gnu, musl, gnueabi, gnueabihf, msvc, none")
    p.add_argument("--flavor", help="full, install_only or install_only_stripped")
    p.add_argument(
        "--options",
        help="build options the archive must have, e.g. debug, pgo+lto, "
        "freethreaded; 'none' for plain builds",
    )
    p.add_argument("--release", metavar="TAG", help="only this release tag, e.g. 20240415")
    p.add_argument(
        "--other", action="store_true", help="also list names that could only be partly parsed"
    )
    add_catalog_options(p)
    add_json_option(p)
    p.set_defaults(func=run)


def filters_from_args(args: argparse.Namespace) -> Filters:
    """Validated Filters from list-style options; FilterError -> one line, exit 2."""
    try:
        return Filters(
            request=parse_request(args.request) if args.request else None,
            os=normalise_os(args.os) if args.os else None,
            arch=normalise_arch(args.arch) if args.arch else None,
            libc=normalise_libc(args.libc) if args.libc else None,
            flavor=normalise_flavor(args.flavor) if args.flavor else None,
            options=parse_options(args.options) if args.options is not None else None,
            release=args.release or None,
        )
    except FilterError as exc:
        raise UserError(str(exc)) from None


def uv_picks(builds: Iterable[Build]) -> set[str]:
    """Names of the archives uv would pick, per version, release, platform and variant."""
    groups: dict[tuple, list[Build]] = {}
    for b in builds:
        groups.setdefault((b.version, b.release, b.os, b.arch, b.libc), []).append(b)
    picks = set()
    for group in groups.values():
        for variant in {b.variant for b in group}:
            pick = uv_pick(group, variant)
            if pick is not None:
                picks.add(pick.name)
    return picks


def select(builds: list[Build], filters: Filters, host: Host, show_all: bool) -> list[Build]:
    """The rows `list` shows, newest first."""
    rows = [b for b in builds if filters.match(b)]
    if not show_all:
        if not (filters.os or filters.arch or filters.libc):
            rows = [
                b
                for b in rows
                if b.os == host.os
                and b.arch == host.arch
                and b.libc == host.libc
                and incompatibility(b, host) is None
            ]
        if not (filters.request and filters.request.exact) and not filters.release:
            newest = newest_per_minor(rows)
            rows = [
                b
                for b in rows
                if b.version
                and newest.get((b.version.major, b.version.minor)) == (b.version, b.release)
            ]
        if filters.options is None and not (filters.request and filters.request.variant):
            rows = [b for b in rows if not b.py_debug]  # uv hides debug builds by default
        if filters.flavor is None and filters.options is None:
            picks = uv_picks(rows)
            rows = [b for b in rows if b.name in picks]
    return sorted(rows, key=sort_key)


def run(args: argparse.Namespace) -> int:
    # imported here: every subcommand module is imported at start-up (`install` too)
    import humanize

    from ..catalog.rows import build_row
    from ..install.receipts import installed_names

    filters = filters_from_args(args)
    settings = settings_from_args(args)
    catalog = catalog_from_args(args, settings)
    host = detect_host()
    rows = select(catalog.builds, filters, host, args.all)
    if args.other:
        rows += [b for b in catalog.others if filters.match(b)]
    picks = uv_picks(catalog.builds)
    installed = installed_names(settings)
    if args.json:
        print_json(
            [build_row(b, uv_pick=b.name in picks, installed=installed.get(b.name)) for b in rows]
        )
        return 0
    if not rows:
        print("no builds match; try --all, or fewer filters")
        return 0
    print_table(
        ["version", "release", "platform", "options", "flavor", "size", "flags", "uv", "inst"],
        [
            [
                b.version_str,
                b.release,
                b.platform_key,
                b.options_label,
                b.flavor,
                humanize.naturalsize(b.size) if b.size is not None else "?",
                " ".join(b.flags) or "-",
                "*" if b.name in picks else "",
                "yes" if b.name in installed else "",
            ]
            for b in rows
        ],
        right=[5],
    )
    print(f"{len(rows)} archives; * = the archive uv would pick", flush=True)
    return 0
