"""The browser's view model (pure): uv's picks, the toggles, the filter's requests and words,
incremental narrowing, tree counts, size sorts and what `h` would show.

The catalog is tests/ui/factory.py's: for linux-x86_64-gnu it has 3.13.1 (every flavor, the
free-threaded and debug variants), 3.12.8 and 3.12.3 (four archives each), 3.14.0rc3, and
3.13.1 for other platforms (musl, aarch64, macOS, Windows, x86-64-v3 and -v4).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.view import SORTS, BrowseView, Facets, NodePath
from tests.ui import factory

GNU = "x86_64-unknown-linux-gnu"
PICK_313 = f"cpython-3.13.1+20241206-{GNU}-install_only_stripped.tar.gz"
PICK_313T = f"cpython-3.13.1+20241206-{GNU}-freethreaded-install_only_stripped.tar.gz"
PICK_3128 = f"cpython-3.12.8+20241206-{GNU}-install_only_stripped.tar.gz"
DEBUG_313 = f"cpython-3.13.1+20241206-{GNU}-debug-full.tar.zst"
DEBUG_313T = f"cpython-3.13.1+20241206-{GNU}-freethreaded+debug-full.tar.zst"
DEBUG_3128 = f"cpython-3.12.8+20241206-{GNU}-debug-full.tar.zst"
DEBUG_3123 = f"cpython-3.12.3+20240415-{GNU}-debug-full.tar.zst"
RC_314 = f"cpython-3.14.0rc3+20250918-{GNU}-install_only.tar.gz"
RC_314T = f"cpython-3.14.0rc3+20250918-{GNU}-freethreaded+pgo+lto-full.tar.zst"
MUSL_313 = "cpython-3.13.1+20241206-x86_64-unknown-linux-musl-install_only.tar.gz"
ARM_313 = "cpython-3.13.1+20241206-aarch64-unknown-linux-gnu-install_only.tar.gz"
MAC_313 = "cpython-3.13.1+20241206-aarch64-apple-darwin-install_only.tar.gz"
MAC_FULL_313 = "cpython-3.13.1+20241206-aarch64-apple-darwin-pgo+lto-full.tar.zst"
WIN_313 = "cpython-3.13.1+20241206-x86_64-pc-windows-msvc-shared-install_only.tar.gz"
V3_313 = "cpython-3.13.1+20241206-x86_64_v3-unknown-linux-gnu-install_only.tar.gz"
V4_313 = "cpython-3.13.1+20241206-x86_64_v4-unknown-linux-gnu-install_only.tar.gz"
OTHER_HOSTS = {MAC_313, MAC_FULL_313, ARM_313, WIN_313, V4_313}


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return CatalogIndex(factory.catalog(), factory.HOST)


def names(view: BrowseView) -> list[str]:
    return [b.name for b in view.rows()]


def test_default_view_is_uvs_pick_per_minor_and_variant_for_this_host(index):
    view = BrowseView(index)
    assert view.mode == "picks"
    # newest patch (3.12.8, not 3.12.3), no 3.14 release candidate, no debug, no other host
    assert names(view) == [PICK_313, PICK_313T, PICK_3128]
    assert view.hint_keys() == [
        f"a: +{len(factory.NAMES) - 3:,} archives",
        "p: pre-releases",
        "d: debug",
        "h: other hosts",
    ]


def test_p_adds_the_pre_releases_of_minors_with_no_final(index):
    view = BrowseView(index)
    assert view.toggle("prereleases") is True
    assert names(view) == [RC_314, RC_314T, PICK_313, PICK_313T, PICK_3128]
    assert "p: hide pre-releases" in view.hint_keys()
    assert view.toggle("prereleases") is False
    assert names(view) == [PICK_313, PICK_313T, PICK_3128]


def test_d_adds_uvs_debug_picks(index):
    view = BrowseView(index)
    view.toggle("debug")
    assert names(view) == [DEBUG_313, PICK_313, PICK_313T, DEBUG_313T, DEBUG_3128, PICK_3128]
    assert DEBUG_3123 not in names(view)  # still the newest patch only


def test_h_adds_the_picks_of_other_platforms(index):
    view = BrowseView(index)
    view.toggle("show_incompatible")
    shown = set(names(view))
    assert {MAC_313, ARM_313, WIN_313, V4_313, V3_313} <= shown
    assert MAC_FULL_313 not in shown  # not a pick: uv takes the install_only one
    assert MUSL_313 not in shown  # uv offers no static musl build
    assert "h: hide other hosts" in view.hint_keys()


def test_all_mode_shows_every_archive_still_without_debug_rc_and_other_hosts(index):
    view = BrowseView(index)
    view.set_mode("all")
    rows = view.rows()
    assert len(rows) == 17
    assert {b.version_str for b in rows} == {"3.13.1", "3.12.8", "3.12.3"}
    assert not any(b.py_debug for b in rows)
    assert not {b.name for b in rows} & OTHER_HOSTS
    assert MUSL_313 in names(view)  # static musl runs on this glibc host
    assert view.hint_keys()[:2] == ["a: uv's picks only", "p: pre-releases"]
    view.toggle("debug")
    view.toggle("prereleases")
    view.toggle("show_incompatible")
    assert len(view.rows()) == len(factory.NAMES)
    view.set_mode("picks")
    assert len(view.rows()) < len(factory.NAMES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.13t", [PICK_313T]),  # the free-threaded pick
        ("3.12", [PICK_3128]),  # a minor: its newest patch
        ("3.12.3", [f"cpython-3.12.3+20240415-{GNU}-install_only_stripped.tar.gz"]),  # exact
        ("3.12.3+debug", [DEBUG_3123]),  # that debug archive, though debug builds are off
        ("3.14.0rc3", [RC_314, RC_314T]),  # the rc's picks, though pre-releases are off
        ("3.14.0rc3t", [RC_314T]),
        ("cpython-3.13-linux-aarch64", []),  # another host: hidden until h
    ],
)
def test_filter_takes_the_clis_requests(index, text, expected):
    view = BrowseView(index)
    view.set_text(text)
    assert names(view) == expected


@pytest.mark.parametrize("mode", ["picks", "all"])
def test_typing_a_debug_or_rc_request_shows_it_in_either_mode(index, mode):
    view = BrowseView(index, mode=mode)
    assert names(view)  # the pool was built without debug builds and pre-releases
    for typed in ("3", "3.1", "3.12", "3.12.3", "3.12.3+", "3.12.3+d", "3.12.3+debug"):
        view.set_text(typed)
    assert names(view) == [DEBUG_3123]
    view.set_text("3.14.0rc3")
    assert RC_314 in names(view)
    view.set_text("")
    assert not {DEBUG_3123, RC_314} & set(names(view))


def test_a_request_for_another_platform_shows_with_h(index):
    view = BrowseView(index)
    view.set_text("cpython-3.13-linux-aarch64")
    assert view.rows() == [] and view.hidden_matching() == 1
    view.toggle("show_incompatible")
    assert names(view) == [ARM_313]


def test_name_words_narrow_by_the_file_name(index):
    view = BrowseView(index, mode="all")
    view.set_text("3.13 musl")
    assert names(view) == [MUSL_313]
    view.set_text("3.12 musl")  # the words and the request both have to match
    assert names(view) == []
    view.set_text("3.12 full")
    assert {b.version_str for b in view.rows()} == {"3.12.8", "3.12.3"}
    assert {b.flavor for b in view.rows()} == {"full"}
    view.set_text("3.12 FULL")  # words ignore case
    assert len(view.rows()) == 2
    # in picks mode a word may name a platform: the picks of every host are searched
    picks = BrowseView(index)
    picks.set_text("3.13 aarch64")
    assert picks.rows() == [] and picks.hidden_matching() == 2  # macOS and linux aarch64


TYPED = [
    "3", "3.", "3.1", "3.13", "3.13 ", "3.13 f", "3.13 fu", "3.13 full", "3.13 full p",
    "3.13 full pgo", "3.13 full", "3.13", "3.1", "", "m", "mu", "mus", "musl", "musl 3.13",
    "3.12.3+debug", "3.12.3+debug full", "",
]  # fmt: skip


@pytest.mark.parametrize("mode", ["picks", "all"])
@pytest.mark.parametrize("facets", [Facets(), Facets(debug=True, show_incompatible=True)])
@pytest.mark.parametrize("node", [NodePath(), NodePath("3.13"), NodePath("3.12", "3.12.3")])
def test_incremental_narrowing_gives_the_same_rows_as_a_full_scan(index, mode, facets, node):
    view = BrowseView(index, mode=mode, facets=facets)
    for i, text in enumerate(TYPED):
        view.set_text(text)
        if i % 3 == 0:  # the tree's node changes now and then between keystrokes
            view.set_node(node if view.node != node else NodePath())
        fresh = BrowseView(index, mode=mode, facets=facets, text=text, node=view.node)
        assert names(view) == names(fresh), repr(text)
        assert view.tree_counts() == fresh.tree_counts(), repr(text)
        assert view.hidden_matching() == fresh.hidden_matching(), repr(text)


def test_tree_counts_follow_the_filter_and_facets_not_the_node(index):
    view = BrowseView(index, mode="all")
    assert view.tree_counts() == {"3.13": {"3.13.1": 11}, "3.12": {"3.12.8": 3, "3.12.3": 3}}
    view.set_text("3.12")
    assert view.tree_counts() == {"3.12": {"3.12.8": 3, "3.12.3": 3}}
    view.set_text("3.12 full")
    assert view.tree_counts() == {"3.12": {"3.12.8": 1, "3.12.3": 1}}
    view.toggle("debug")
    assert view.tree_counts() == {"3.12": {"3.12.8": 2, "3.12.3": 2}}
    view.set_node(NodePath("3.12", "3.12.3"))  # a node narrows the rows, not the counts
    assert {b.version_str for b in view.rows()} == {"3.12.3"}
    assert view.tree_counts() == {"3.12": {"3.12.8": 2, "3.12.3": 2}}
    assert sum(n for p in view.tree_counts().values() for n in p.values()) == 4
    view.set_text("")
    view.set_node(NodePath())
    counts = view.tree_counts()
    assert sum(n for p in counts.values() for n in p.values()) == len(view.rows())
    # the picks' tree counts what picks shows
    picks = BrowseView(index)
    assert picks.tree_counts() == {"3.13": {"3.13.1": 2}, "3.12": {"3.12.8": 1}}


def test_size_sorts_put_unknown_sizes_last():
    catalog = factory.catalog()
    catalog.builds = [replace(b, size=None) if b.name == PICK_313T else b for b in catalog.builds]
    view = BrowseView(CatalogIndex(catalog, factory.HOST))
    assert view.next_sort() == SORTS[1]  # size, largest first
    rows = view.rows()
    assert rows[-1].name == PICK_313T
    known = [b.size for b in rows[:-1]]
    assert known == sorted(known, reverse=True)
    assert not view.sort_is_blind
    assert view.next_sort() == SORTS[2]  # size, smallest first
    rows = view.rows()
    assert rows[-1].name == PICK_313T
    assert [b.size for b in rows[:-1]] == sorted(b.size for b in rows[:-1])
    assert view.next_sort() == SORTS[0]
    assert names(view) == [PICK_313, PICK_313T, PICK_3128]


def test_a_size_sort_over_unknown_sizes_is_blind_and_follows_new_sizes():
    index = CatalogIndex(factory.catalog(sizes=False), factory.HOST)
    view = BrowseView(index, mode="all")
    before = names(view)
    view.set_sort(SORTS[1])
    assert view.sort_is_blind
    assert names(view) == before  # nothing known: the version order stays
    view.set_sort(SORTS[0])
    assert not view.sort_is_blind  # the version sort never is
    view.set_sort(SORTS[1])
    index.set_sizes({before[5]: 123})
    view.invalidate()
    assert not view.sort_is_blind
    assert names(view)[0] == before[5] and view.rows()[0].size == 123


def test_hidden_matching_counts_what_h_would_show(index):
    for mode, text in [("all", ""), ("all", "3.13"), ("all", "aarch64"), ("picks", "3.13")]:
        view = BrowseView(index, mode=mode)
        view.set_text(text)
        before = len(view.rows())
        hidden = view.hidden_matching()
        view.toggle("show_incompatible")
        shown = view.rows()
        incompatible = [b for b in shown if index.reason[b.name] is not None]
        assert hidden == len(incompatible), (mode, text)
        assert hidden > 0, (mode, text)
        if mode == "all":  # in picks mode h also lifts "this platform only" (v3 comes in)
            assert len(shown) - before == hidden
    view = BrowseView(index, mode="all")
    view.set_text("3.12")
    assert view.hidden_matching() == 0  # every 3.12 archive is for this host
