"""The browser's pure view model: text matching, incremental narrowing, facets, grouping."""

from __future__ import annotations

from pybs_tui.catalog.group import tree
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.catalog.view import (
    SORTS,
    BrowseView,
    CatalogIndex,
    Facets,
    NodePath,
    group_sorted,
    matches,
    refines,
    text_checks,
)
from tests.ui import factory


def index_of(names: list[str]) -> CatalogIndex:
    builds = [parse_name(n) for n in names]
    return CatalogIndex(Catalog(builds, "snapshot", "t"), factory.HOST)


def test_version_words_match_the_version_not_any_substring():
    idx = index_of(
        [
            "cpython-3.13.12+20260325-x86_64-unknown-linux-gnu-install_only.tar.gz",
            "cpython-3.12.1+20240107-x86_64-unknown-linux-gnu-install_only.tar.gz",
        ]
    )
    view = BrowseView(idx)
    view.set_text("3.12")
    assert [b.version_str for b in view.rows()] == ["3.12.1"]
    view.set_text("12")  # not version-shaped: anywhere in the name
    assert len(view.rows()) == 2


def test_text_checks_and_refines():
    assert text_checks("3.12 MUSL") == [("cpython-3.12", True), ("musl", False)]
    assert matches("cpython-3.12.1+x-musl", text_checks("3.12 musl"))
    assert not matches("cpython-3.13.12+x-musl", text_checks("3.12 musl"))
    assert refines(text_checks("3.1"), text_checks("3.12"))
    assert refines(text_checks("3"), text_checks("3.12 mu"))  # substring -> prefix: narrower
    assert refines(text_checks("3.12"), text_checks("3.12.1"))
    assert not refines(text_checks("3.12 musl"), text_checks("3.12"))  # a word removed
    assert not refines(text_checks("musl"), text_checks("mus"))
    assert not refines([], text_checks("a"))


def test_incremental_narrowing_gives_the_same_rows_as_a_full_scan():
    idx = CatalogIndex(factory.catalog(), factory.HOST)
    view = BrowseView(idx, facets=Facets(show_incompatible=True))
    for text in ("3", "3.", "3.1", "3.13", "3.13 ", "3.13 f", "3.13 fu", "3.13 ful", "3", ""):
        view.set_text(text)
        fresh = BrowseView(idx, facets=view.facets, text=text)
        assert view.rows() == fresh.rows(), text


def test_host_fit_facets_and_node():
    idx = CatalogIndex(factory.catalog(), factory.HOST)
    view = BrowseView(idx)
    assert view.hidden == 0 and len(view.rows()) == 23 and view.hidden == 5
    view.set_facets(Facets(os="darwin", show_incompatible=True))
    assert {b.os for b in view.rows()} == {"darwin"}
    view.set_facets(Facets(level="v4", show_incompatible=True))
    assert [b.arch_level for b in view.rows()] == ["v4"]
    view.set_facets(Facets(options="none"))
    assert all(not (b.options - {"shared", "static"}) for b in view.rows())
    view.set_facets(Facets())
    view.set_node(NodePath("3.12", "3.12.3", "debug"))
    assert [b.name for b in view.rows()] == [
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-debug-full.tar.zst"
    ]
    assert Facets(os="linux", installed_only=True).active == 2


def test_size_sorts_put_unknown_last_and_follow_new_sizes():
    idx = CatalogIndex(factory.catalog(sizes=False), factory.HOST)
    view = BrowseView(idx)
    view.set_sort(SORTS[1])
    name = view.rows()[5].name
    assert idx.set_sizes({name: 123}) == [name]
    view.invalidate()
    assert view.rows()[0].name == name and view.rows()[0].size == 123
    assert view.next_sort() == SORTS[2] and view.next_sort() == SORTS[0]


def test_group_sorted_equals_catalog_group_tree():
    idx = CatalogIndex(factory.catalog(), factory.HOST)
    assert group_sorted(idx.builds) == tree(idx.builds)
