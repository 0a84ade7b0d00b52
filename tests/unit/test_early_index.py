"""The early index (this host's own archives only) answers the browser's default view exactly
as the full index does: same rows, same numbers and marks on them. Checked over the whole
embedded snapshot for hosts of every kind, and over the test catalog."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pybs_tui.catalog.group import Host
from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.view import BrowseView, Facets
from pybs_tui.service.catalog import load_snapshot
from pybs_tui.ui.widgets.build_table import _pick_mark, cell_texts
from tests.ui import factory

HOSTS = [
    Host("linux", "x86_64", "gnu", 1),
    Host("linux", "x86_64", "gnu", 3),
    Host("linux", "x86_64", "gnu", 4, musl_loader=True),
    Host("linux", "x86_64", "musl", 2, musl_loader=True),
    Host("linux", "aarch64", "gnu"),
    Host("linux", "armv7", "gnueabihf"),
    Host("darwin", "aarch64", "none"),
    Host("darwin", "x86_64", "none", 3),
    Host("windows", "x86_64", "msvc", 3),
    Host("windows", "aarch64", "msvc"),
]

#: the choices an early index answers itself (uv's picks of this platform, narrowed)
CHOICES = [
    (Facets(), ""),
    (Facets(prereleases=True), ""),
    (Facets(debug=True, prereleases=True), ""),
    (Facets(installed_only=True), ""),
    (Facets(flavor="full"), ""),
    (Facets(), "3.12"),
    (Facets(), "3.13t"),
    (Facets(), "3.11.4"),
]


@pytest.fixture(scope="module")
def snapshot() -> Catalog:
    parsed, generated, path = load_snapshot()
    return Catalog(parsed.builds, "snapshot", path, generated, others=parsed.others)


def installed_of(catalog: Catalog, host: Host) -> dict[str, str]:
    """A few names of this host's platform as installed (so ✓ marks are compared too)."""
    own = [b for b in catalog.builds if (b.os, b.arch, b.libc) == (host.os, host.arch, host.libc)]
    return {b.name: f"/fake/{b.name}" for b in own[::97]}


def shown(view: BrowseView) -> list[tuple[object, ...]]:
    """Every number and mark of the rows as the table shows them, and the tree's counts."""
    index = view.index
    rows = [
        (
            b,
            tuple(sorted(cell_texts(b, index).items())),
            _pick_mark(index, b),
            b.name in index.installed,
            index.uv_request(b),
            index.uv_choice(b),
            index.reason.get(b.name),
            tuple(index.flag_facts(b)),
            index.badges(b),
            tuple(x.name for x in index.group_of(b)),
        )
        for b in view.rows()
    ]
    return [*rows, ("tree", view.tree_counts()), ("hint", view.hint_keys()), len(index)]


def compare(catalog: Catalog, host: Host) -> int:
    installed = installed_of(catalog, host)
    early = CatalogIndex.early(catalog, host, installed)
    full = CatalogIndex(catalog, host, installed)
    assert early.partial and not full.partial
    assert len(early) == len(full) and len(early.builds) < len(full.builds)
    compared = 0
    for facets, text in CHOICES:
        views = []
        for index in (early, full):
            view = BrowseView(index)
            view.set_facets(facets)
            view.set_text(text)
            views.append(view)
        early_view, full_view = views
        assert shown(early_view) == shown(full_view), (host, facets, text)
        assert early_view.complete == bool(full_view.rows())
        compared += len(full_view.rows())
    return compared


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: h.triple_words)
def test_the_early_rows_equal_the_full_indexs_over_the_whole_snapshot(snapshot, host):
    compared = compare(snapshot, host)
    if (host.os, host.arch) in (("linux", "x86_64"), ("darwin", "aarch64")):
        assert compared > 20  # real rows were compared, not two empty lists


def test_the_early_rows_equal_the_full_indexs_over_the_test_catalog():
    assert compare(factory.catalog(), factory.HOST) > 0


def test_an_early_view_says_when_it_cannot_answer(snapshot):
    host = HOSTS[1]
    early = BrowseView(CatalogIndex.early(snapshot, host))
    assert early.complete and early.rows()
    for change in (
        lambda v: v.set_mode("all"),
        lambda v: v.set_text("musl"),  # a word: every platform's file names
        lambda v: v.set_text("3.12-linux-aarch64"),
        lambda v: v.set_facets(Facets(show_incompatible=True)),
        lambda v: v.set_facets(Facets(os="darwin")),
        lambda v: v.set_text("3.99"),  # no rows: "N hidden" would count every platform
    ):
        view = BrowseView(early.index)
        change(view)
        assert not view.complete
        full = BrowseView(CatalogIndex(snapshot, host))
        change(full)
        assert full.complete


def test_the_early_index_holds_only_the_hosts_family(snapshot):
    host = HOSTS[1]
    early = CatalogIndex.early(snapshot, host)
    assert {(b.os, b.arch, b.libc) for b in early.builds} == {("linux", "x86_64", "gnu")}
    full = CatalogIndex(snapshot, host)
    # the same archives in the same order as the full index holds them
    assert early.builds == [b for b in full.builds if b.name in early.by_name]
    # a catalog without any archive of this host: an early index with no rows, still honest
    none = replace(snapshot, builds=[b for b in snapshot.builds if b.os != "linux"])
    empty = BrowseView(CatalogIndex.early(none, host))
    assert empty.rows() == [] and not empty.complete
