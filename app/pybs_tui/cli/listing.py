"""`pybs-tui list`: the catalog as a table or JSON, filtered like uv's list and beyond."""

from __future__ import annotations

import argparse
import itertools
import sys
from typing import TYPE_CHECKING

from .common import (
    UserError,
    add_catalog_options,
    add_json_option,
    catalog_from_args,
    note,
    print_json_list,
    print_table,
    settings_from_args,
)

if TYPE_CHECKING:  # the catalog code loads when the command runs, not for --help
    from ..catalog.group import Filters, Host
    from ..catalog.index import CatalogIndex
    from ..catalog.models import Build, Catalog
    from ..catalog.select import Platform


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "list",
        help="list PBS builds (default: this platform, newest patch per minor)",
        description="List python-build-standalone archives. By default: this host's platform, "
        "the newest patch of each minor version, the archive uv would pick.",
    )
    p.add_argument("--all", action="store_true", help="every archive of every version and platform")
    add_filter_options(p)
    p.add_argument(
        "--other", action="store_true", help="also list names that could only be partly parsed"
    )
    add_catalog_options(p)
    add_json_option(p)
    p.set_defaults(func=run)


def add_filter_options(p: argparse.ArgumentParser) -> None:
    """--version, --os, --arch, --libc, --level, --flavor, --options, --release."""
    p.add_argument(
        "--version",
        dest="request",
        metavar="REQUEST",
        help="a version request: 3.12, 3.12.3, 3.14.0rc3, 3.13t, 3.12.3+debug, "
        "cpython-3.12-linux-aarch64-gnu",
    )
    p.add_argument("--os", help="linux, macos (darwin) or windows")
    p.add_argument("--arch", help="x86_64, aarch64, i686, armv7, ppc64le, s390x, riscv64")
    p.add_argument("--libc", help="gnu, musl, gnueabi, gnueabihf, msvc, none")
    p.add_argument("--level", help="x86-64 level: v1 (baseline), v2, v3 or v4")
    p.add_argument("--flavor", help="full, install_only or install_only_stripped")
    p.add_argument(
        "--options",
        help="build options the archive must have, e.g. debug, pgo+lto, "
        "freethreaded; 'none' for plain builds",
    )
    p.add_argument("--release", metavar="TAG", help="only this release tag, e.g. 20240415")


def filters_from_args(args: argparse.Namespace) -> Filters:
    """Validated Filters from list-style options; FilterError -> one line, exit 2."""
    from ..catalog.group import (
        FilterError,
        Filters,
        normalise_arch,
        normalise_flavor,
        normalise_libc,
        normalise_os,
        parse_options,
        parse_request,
    )

    try:
        return Filters(
            request=parse_request(args.request) if args.request else None,
            os=normalise_os(args.os) if args.os else None,
            arch=normalise_arch(args.arch) if args.arch else None,
            libc=normalise_libc(args.libc) if args.libc else None,
            level=_level(args.level) if getattr(args, "level", None) else None,
            flavor=normalise_flavor(args.flavor) if args.flavor else None,
            options=parse_options(args.options) if args.options is not None else None,
            release=args.release or None,
        )
    except FilterError as exc:
        raise UserError(str(exc)) from None


def _level(value: str) -> str:
    from ..catalog.group import FilterError

    level = value.lower().removeprefix("x86_64_").removeprefix("x86-64-")
    if level not in ("v1", "v2", "v3", "v4"):
        raise FilterError(f"unknown x86-64 level {value!r}: use v1, v2, v3 or v4")
    return level


def list_platform(filters: Filters, host: Host) -> Platform:
    """The one platform `list` without --all shows: the filters' and the request's words,
    else this host's."""
    from ..catalog.select import Platform

    request = filters.request
    return Platform(
        filters.os or (request.os if request else "") or host.os,
        filters.arch or (request.arch if request else "") or host.arch,
        filters.libc
        or (request.libc if request else "")
        or (host.libc if (filters.os or host.os) == host.os else ""),
        filters.level or (request.level if request else ""),
    )


def index_for(
    catalog: Catalog, filters: Filters, host: Host, show_all: bool, installed: dict[str, str]
) -> CatalogIndex:
    """The index `select` needs: of this host's own archives only (a fifth of the catalog,
    the same facts for them) when the rows are of this host's os, arch and libc; else all."""
    from ..catalog.group import Host as PlatformHost
    from ..catalog.index import CatalogIndex, host_family

    if not show_all:
        platform = list_platform(filters, host)
        wanted = PlatformHost(platform.os, platform.arch, platform.libc)
        if platform.libc and host_family(wanted) == host_family(host):
            return CatalogIndex.early(catalog, host, installed)
    return CatalogIndex(catalog, host, installed)


class EveryArchive:
    """What `list --all` asks of the catalog: every archive with a version in the index's
    order, uv's picks and the flags. The index's other facts (host fit, groups, names in
    lower case, facet values) are for the browser and for `list` of one platform: `--all`
    skips them. Rows and JSON equal the index's (tests/unit/test_row_text.py)."""

    def __init__(self, catalog: Catalog) -> None:
        from ..catalog.flags import FlagFacts
        from ..catalog.group import sort_key
        from ..catalog.select import uv_picks

        self.builds = sorted((b for b in catalog.builds if b.version is not None), key=sort_key)
        self.picks = uv_picks(self.builds)
        self.flags = FlagFacts(self.builds)

    def uv_request(self, b: Build) -> str | None:
        return self.picks.request_of(b)

    def badges(self, b: Build) -> tuple[str, ...]:
        return self.flags.badges(b)


def select(index: CatalogIndex, filters: Filters, host: Host, show_all: bool) -> list[Build]:
    """The rows `list` shows, newest first. Without --all, like `uv python list`: this
    platform (baseline x86-64), uv's pick of the newest patch of each minor per variant
    (default and free-threaded; debug when asked for), unless --flavor/--options ask for
    other archives."""
    from ..catalog.group import newest_per_minor
    from ..catalog.select import newest_picks

    if show_all:
        return [b for b in index.builds if filters.match(b)]
    request = filters.request
    platform = list_platform(filters, host)
    if filters.flavor is None and filters.options is None:
        variants = {request.variant} if request and request.variant else {"default", "freethreaded"}
        if (request and request.exact) or filters.release:
            rows = [b for b in index.picks.by_key.values() if platform.holds(b)]
        else:
            rows = newest_picks(index.picks, platform, variants=variants, request=request)
        return [b for b in rows if b.variant in variants and filters.match(b)]
    rows = [b for b in index.builds if filters.match(b) and platform.holds(b)]
    if platform.os == host.os and platform.arch == host.arch:
        rows = [b for b in rows if index.reason.get(b.name) is None]
    if not (request and request.exact) and not filters.release:
        newest = newest_per_minor(rows)
        rows = [
            b
            for b in rows
            if b.version
            and newest.get((b.version.major, b.version.minor)) == (b.version, b.release)
        ]
    return rows


def run(args: argparse.Namespace) -> int:
    # imported here: every subcommand module is imported at start-up (`--help` too)
    from ..catalog.group import Filters, sort_key
    from ..catalog.rows import build_row, row_texts, write_json_rows
    from ..host import detect_host
    from ..install.receipts import installed_names
    from ..units import format_size
    from .sizes import fill_sizes

    filters = filters_from_args(args)
    settings = settings_from_args(args)
    catalog = catalog_from_args(args, settings)
    host = detect_host()
    installed = installed_names(settings)
    index: CatalogIndex | EveryArchive
    if args.all:  # in the index's order
        index = EveryArchive(catalog)
        rows = index.builds if filters == Filters() else list(filter(filters.match, index.builds))
    else:
        index = index_for(catalog, filters, host, args.all, installed)
        rows = select(index, filters, host, args.all)
        rows.sort(key=sort_key)
    rows = fill_sizes(settings, catalog, rows, quiet=args.json)
    others = [b for b in catalog.others if filters.match(b)] if args.other else []
    if args.json:
        if sys.stdout.isatty():  # indented, for a person
            print_json_list(
                itertools.chain(
                    (build_row(b, index, installed.get(b.name)) for b in rows),
                    (build_row(b, index, None) for b in others),
                )
            )
            return 0
        # the same rows, compact: each row's text made per shape (catalog.rows.row_texts)
        key_of, flags = index.picks.key_of, index.flags
        write_json_rows(
            sys.stdout.write,
            itertools.chain(
                row_texts(rows, key_of, flags, installed), row_texts(others, key_of, flags, {})
            ),
        )
        return 0
    if not rows and not others:
        print("no builds match; try --all, or fewer filters")
        return 0
    print_table(
        ["version", "variant", "platform", "flavor", "options", "size", "flags", "uv pick", "inst"],
        [
            [
                b.version_str,
                b.variant,
                b.platform_key,
                b.flavor,
                b.options_label,
                format_size(b.size),
                " ".join(index.badges(b)) or "-",
                _short_request(index.uv_request(b)),
                "yes" if b.name in installed else "",
            ]
            for b in rows + others
        ],
        right=[5],
        wrap=[6],
    )
    note(
        f"{len(rows) + len(others)} archives; 'uv pick': the `uv python install` request that "
        "downloads the archive"
    )
    return 0


def _short_request(key: str | None) -> str:
    """'cpython-3.12.3+debug-linux-x86_64-gnu' -> '3.12.3+debug' (the platform is its row's)."""
    if not key:
        return ""
    body = key.removeprefix("cpython-")
    version = body.split("-", 1)[0]
    return version
