"""`list` without --all builds the index of this host's own archives only when its rows are of
this host's os, arch and libc (`cli.listing.index_for`): its rows, JSON included, must be those
of the whole index, for any filters."""

from __future__ import annotations

import pytest

from pybs_tui.catalog.group import Filters, Host, parse_options, parse_request
from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.rows import build_row
from pybs_tui.cli.listing import index_for, select
from pybs_tui.service.catalog import load_snapshot
from tests.unit.test_resolve_early import HOSTS  # the same five hosts

FILTERS = [
    Filters(),
    Filters(request=parse_request("3.12")),
    Filters(request=parse_request("3.13t")),
    Filters(request=parse_request("3.12.3+debug")),
    Filters(request=parse_request("cpython-3.12-macos-aarch64")),
    Filters(request=parse_request("cpython-3.11-linux-x86_64-musl")),
    Filters(os="linux"),
    Filters(arch="aarch64"),
    Filters(libc="musl"),
    Filters(level="v3"),
    Filters(flavor="full"),
    Filters(options=parse_options("debug")),
    Filters(flavor="install_only", options=parse_options("freethreaded")),
    Filters(release="20250115"),
]


@pytest.fixture(scope="module")
def snapshot() -> Catalog:
    parsed, generated, path = load_snapshot()
    return Catalog(parsed.builds, "snapshot", path, generated, others=parsed.others)


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: f"{h.os}-{h.arch}-{h.libc}")
def test_list_rows_from_the_early_index_are_the_whole_index_rows(
    snapshot: Catalog, host: Host
) -> None:
    full = CatalogIndex(snapshot, host)
    used_early = shown = 0
    for filters in FILTERS:
        index = index_for(snapshot, filters, host, False, {})
        expected = [build_row(b, full, None) for b in select(full, filters, host, False)]
        got = [build_row(b, index, None) for b in select(index, filters, host, False)]
        assert got == expected, filters
        used_early += index.partial
        shown += bool(expected) and index.partial
    assert used_early >= 3  # this host's own requests never index every archive
    assert shown >= 3  # and they were compared on real rows
    assert not index_for(snapshot, Filters(), host, True, {}).partial  # --all: everything
