"""Pilot tests of the browse screen: tree, filter, facets, host fit, sort, detail pane."""

from __future__ import annotations

import json

import pytest

from pybs_tui.catalog.group import incompatibility
from pybs_tui.catalog.view import NodePath
from pybs_tui.install.receipts import RECEIPT_NAME, RECEIPT_SCHEMA, install_dir_name
from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.widgets.status_bar import StatusBar
from tests.ui import factory
from tests.ui.conftest import ready

pytestmark = pytest.mark.anyio

STRIPPED_313 = "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
INSTALL_ONLY_313 = "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-install_only.tar.gz"
MUSL_313 = "cpython-3.13.1+20241206-x86_64-unknown-linux-musl-install_only.tar.gz"
DARWIN_313 = "cpython-3.13.1+20241206-aarch64-apple-darwin-install_only.tar.gz"
V4_313 = "cpython-3.13.1+20241206-x86_64_v4-unknown-linux-gnu-install_only.tar.gz"


def names(screen: BrowseScreen) -> list[str]:
    return [b.name for b in screen.table.rows]


async def test_first_view_shows_what_this_host_can_run(make_app):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        shown = names(screen)
        assert shown and all(incompatibility(b, factory.HOST) is None for b in screen.table.rows)
        assert DARWIN_313 not in shown and V4_313 not in shown  # other OS; CPU lacks v4
        assert MUSL_313 in shown  # static musl builds run on any Linux
        status = screen.query_one(StatusBar).text
        assert "embedded snapshot of 2025-11-23" in status
        assert f"{len(shown)}/{len(factory.NAMES)} builds" in status
        assert "host linux-x86_64-v3-gnu" in status
        assert app.focused is screen.table


async def test_tree_navigation_narrows_the_table(make_app):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("shift+tab")
        assert app.focused is screen.tree
        await pilot.press("down", "down")  # all -> 3.14 -> 3.13
        assert screen.view.node == NodePath("3.13")
        assert {b.version_str for b in screen.table.rows} == {"3.13.1"}
        await pilot.press("enter", "down", "enter", "down")  # expand 3.13, 3.13.1 -> debug
        assert screen.view.node == NodePath("3.13", "3.13.1", "debug")
        assert names(screen) == [
            "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-debug-full.tar.zst"
        ]
        await pilot.press("down")
        assert screen.view.node.variant == "default"
        assert all(b.variant == "default" for b in screen.table.rows)
        await pilot.press("home")
        assert screen.view.node == NodePath()
        assert len(screen.table.rows) > 10


async def test_filter_narrows_as_you_type_and_escape_clears(make_app):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        before = len(screen.table.rows)
        await pilot.press("slash")
        assert app.focused.id == "filter"
        await pilot.press(*"3.12")
        assert screen.table.rows and {b.version.minor_str for b in screen.table.rows} == {"3.12"}
        await pilot.press(*" debug")
        assert {b.variant for b in screen.table.rows} == {"debug"}
        assert len(screen.table.rows) == 2  # 3.12.8 and 3.12.3
        await pilot.press("z")
        assert screen.table.rows == []
        assert "no builds match" in screen.table.empty_text
        assert screen.check_action("install", ()) is None  # nothing highlighted: greyed
        await pilot.press("escape")
        assert len(screen.table.rows) == before
        await pilot.press("escape")
        assert app.focused is screen.table


async def test_host_fit_toggle_shows_greyed_builds_with_the_reason(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("h")
        shown = names(screen)
        assert DARWIN_313 in shown and V4_313 in shown
        assert "note" in [c.key for c in screen.table.columns]
        screen.table.cursor = shown.index(V4_313)
        await pilot.pause()
        assert "cannot run here: needs x86-64-v4, this CPU has x86-64-v3" in screen.detail.text
        await pilot.press("h")
        assert DARWIN_313 not in names(screen)


async def test_facets_sidebar_narrows_by_os_level_flavor_and_options(make_app):
    from textual.widgets import Checkbox, Select

    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("f")
        panel = screen.facets_panel
        assert panel.display and not screen.tree.display  # narrow: facets replace the tree
        panel.query_one("#facet-flavor", Select).value = "full"
        await pilot.pause()
        assert screen.table.rows and {b.flavor for b in screen.table.rows} == {"full"}
        panel.query_one("#facet-options", Select).value = "pgo+lto"
        await pilot.pause()
        assert all({"pgo", "lto"} <= b.options for b in screen.table.rows)
        panel.query_one("#facet-prereleases", Checkbox).value = False
        await pilot.pause()
        assert [b.version_str for b in screen.table.rows] == [
            "3.13.1",
            "3.13.1",
            "3.12.8",
            "3.12.3",
        ]
        # an os this host cannot run: nothing, and the empty table says why
        panel.query_one("#facet-os", Select).value = "darwin"
        await pilot.pause()
        assert screen.table.rows == []
        assert "h shows them" in screen.table.empty_text
        panel.query_one("#facet-show_incompatible", Checkbox).value = True
        await pilot.pause()
        assert names(screen) == [
            "cpython-3.13.1+20241206-aarch64-apple-darwin-pgo+lto-full.tar.zst"
        ]
        # the tree follows the facets
        assert "3.12" not in {str(n.data.minor) for n in screen.tree.root.children}
        await pilot.press("f")
        assert not panel.display and screen.tree.display


async def test_level_facet_and_installed_only(make_app, tmp_path):
    from textual.widgets import Checkbox, Select

    settings = factory.make_settings(tmp_path / "home")
    receipt_dir = settings.install_dir / install_dir_name(MUSL_313)
    receipt_dir.mkdir(parents=True)
    (receipt_dir / RECEIPT_NAME).write_text(
        json.dumps({"schema": RECEIPT_SCHEMA, "name": MUSL_313})
    )
    app, _ = make_app(settings=settings)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        row = names(screen).index(MUSL_313)
        assert screen.table._mark_cell(screen.table.rows[row]).plain[1] == "✓"
        await pilot.press("f")
        screen.facets_panel.query_one("#facet-installed_only", Checkbox).value = True
        await pilot.pause()
        assert names(screen) == [MUSL_313]
        assert "installed" in screen.detail.text
        screen.facets_panel.query_one("#facet-installed_only", Checkbox).value = False
        screen.facets_panel.query_one("#facet-level", Select).value = "v3"
        await pilot.pause()
        assert names(screen) == [
            "cpython-3.13.1+20241206-x86_64_v3-unknown-linux-gnu-install_only.tar.gz"
        ]


async def test_sort_cycles_version_size_desc_size_asc(make_app):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        by_version = names(screen)
        await pilot.press("s")
        sizes = [b.size for b in screen.table.rows]
        assert sizes == sorted(sizes, reverse=True)
        assert "sort: size, largest first" in screen.query_one(StatusBar).text
        await pilot.press("s")
        sizes = [b.size for b in screen.table.rows]
        assert sizes == sorted(sizes)
        await pilot.press("s")
        assert names(screen) == by_version


async def test_detail_pane_explains_the_highlighted_build(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        screen.table.cursor = names(screen).index(INSTALL_ONLY_313)
        await pilot.pause()
        text = screen.detail.text
        assert f"file: {INSTALL_ONLY_313}" in text
        assert (
            "url: https://github.com/astral-sh/python-build-standalone/releases/download/"
            "20241206/cpython-3.13.1%2B20241206" in text
        )
        assert f"sha256: {factory.fake_sha(INSTALL_ONLY_313)}" in text
        assert "size: 33." in text
        assert "install_only = the pgo+lto build without build artifacts" in text
        assert f"uv picks: {STRIPPED_313}" in text
        assert "flags: not in the name" in text  # install_only names carry no options
        screen.table.cursor = names(screen).index(STRIPPED_313)
        await pilot.pause()
        text = screen.detail.text
        assert "stripped: debug symbols stripped" in text
        assert "uv picks: this archive" in text


async def test_offline_unknown_size_says_why(make_app):
    app, _ = make_app(catalog=factory.catalog(sizes=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        assert "size: ? (offline" in screen.detail.text
        line = screen.table.render_line(1).text
        assert " ? " in line


async def test_mouse_and_marks(make_app):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.click("#table", offset=(10, 4))  # header is line 0: row 3
        assert screen.table.cursor == 3
        assert screen.detail.lines[0][1] == screen.table.rows[3].name
        await pilot.press("space", "space")  # marks rows 3 and 4
        assert sorted(screen.table.marked) == sorted(b.name for b in screen.table.rows[3:5])
        assert "2 marked" in screen.query_one(StatusBar).text
        assert screen.table._mark_cell(screen.table.rows[3]).plain[0] == "●"
        assert screen.check_action("clear_marks", ()) is True
        await pilot.press("u")
        assert not screen.table.marked
        assert screen.check_action("clear_marks", ()) is False
