"""Pilot tests of the compare screen: from a row, a tree node and marked rows."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Static

from pybs_tui.catalog.view import NodePath
from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.screens.compare import CompareScreen
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from tests.ui import factory
from tests.ui.conftest import ready

pytestmark = pytest.mark.anyio

LABELS_313 = [
    "install_only_stripped",
    "install_only",
    "pgo+lto full",
    "pgo full",
    "lto full",
    "noopt full",
    "debug full",
    "freethreaded install_only_stripped",
    "freethreaded install_only",
    "freethreaded+pgo+lto full",
    "freethreaded+debug full",
]


async def test_compare_a_row_shows_its_version_and_platform_side_by_side(make_app, tmp_path):
    app, _ = make_app()
    async with app.run_test(size=(160, 40)) as pilot:
        await ready(app, pilot)
        browse = app.screen
        rows = [b.name for b in browse.table.rows]
        browse.table.cursor = rows.index(
            "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-pgo-full.tar.zst"
        )
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        comp = screen.comparison
        assert comp.labels == LABELS_313
        assert comp.smallest.flavor == "install_only_stripped"
        assert comp.row("ratio").cells[0].text == "x1.00"
        assert not comp.row("release").cells[0].differs  # one release: uniform row
        fmt = comp.row("format").cells  # 7 of 11 are tar.zst: the tar.gz ones stand out
        assert fmt[0].differs and not fmt[2].differs
        table = screen.query_one("#compare-table", DataTable)
        assert table.row_count == 8 and len(table.columns) == 12
        totals = str(screen.query_one("#compare-totals", Static).render())
        assert "11 archives:" in totals and "free 60.0 GB" in totals and "fits" in totals
        # free disk asked of the nearest existing parent of the install dir
        assert app.settings.disk_usage.asked[-1] == str(tmp_path)
        await pilot.press("right", "i")
        assert isinstance(app.screen, ConfirmInstall)  # i asks first
        assert (
            app.screen.plan.build.name
            == "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-install_only.tar.gz"
        )
        await pilot.press("escape")
        assert isinstance(app.screen, CompareScreen) and not app.jobs
        await pilot.press("escape")
        assert isinstance(app.screen, BrowseScreen)


async def test_compare_a_variant_node_and_marked_rows(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        browse = app.screen
        browse.tree.focus()
        minor = next(n for n in browse.tree.root.children if n.data.minor == "3.13")
        minor.expand()
        minor.children[0].expand()
        await pilot.pause()
        browse.tree.move_cursor(
            next(n for n in minor.children[0].children if n.data.variant == "freethreaded")
        )
        await pilot.pause()
        assert browse.view.node == NodePath("3.13", "3.13.1", "freethreaded")
        await pilot.press("c")
        assert app.screen.comparison.labels == [
            "freethreaded install_only_stripped",
            "freethreaded install_only",
            "freethreaded+pgo+lto full",
        ]
        await pilot.press("escape")
        await pilot.press("tab")  # back to the table
        assert app.focused is browse.table
        await pilot.press("space", "space")
        marked = sorted(browse.table.marked)
        await pilot.press("c")
        screen = app.screen
        assert sorted(b.name for b in screen.comparison.builds) == marked
        title = str(screen.query_one("#compare-title", Static).render())
        assert "2 archives" in title


async def test_compare_sizes_unknown_offline(make_app):
    app, _ = make_app(catalog=factory.catalog(sizes=False))
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert screen.comparison.row("size").cells[0].text == "?"
        totals = str(screen.query_one("#compare-totals", Static).render())
        assert "of unknown size" in totals and "no sizes known" in totals
