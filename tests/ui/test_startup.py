"""Start-up order: the embedded snapshot's rows are on screen before anything goes to the
network, and stay usable while the network takes its time.

Nothing here waits for time: the slow answer is held by a threading.Event the test sets.
"""

from __future__ import annotations

import threading

import pytest

from pybs_tui.settings import PBS_REPO
from tests.support.server import Route
from tests.ui import factory
from tests.ui.conftest import ready, screen_lines, until
from tests.ui.test_background import online, table_text

pytestmark = pytest.mark.anyio


async def test_snapshot_rows_are_painted_before_the_live_catalog_is_asked(
    make_app, tmp_path, server
):
    seen_at_request: list[tuple[bool, int]] = []
    asked, answer = threading.Event(), threading.Event()
    app, _ = make_app(settings=online(tmp_path, server), catalog=None)

    def index(request):
        # what the screen held when the first request reached the network
        seen_at_request.append((app.first_rows_shown.is_set(), len(app.screen.table.rows)))
        asked.set()
        answer.wait(10)
        return Route(factory.ndjson_index(factory.NAMES, server.url("/dl")))

    server.add("/index.ndjson", index)
    server.add(f"/repos/{PBS_REPO}/releases", Route(b"[]"))
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, asked.is_set, "the index request")
            shown, rows = seen_at_request[0]
            assert shown and rows > 0  # painted before the request was sent
            # while the server holds its answer: the snapshot's rows, and the app answers keys
            assert app.catalog is not None and app.catalog.source == "snapshot"
            assert app.loading_catalog
            assert "embedded snapshot of" in screen_lines(app)[0]
            before = table_text(app)
            await pilot.press("a")  # every archive instead of uv's picks
            await until(pilot, lambda: table_text(app) != before, "the key answered")
            answer.set()
            await until(
                pilot,
                lambda: not app.loading_catalog and app.catalog.source == "live",
                "the live catalog",
            )
            assert len(server.requests_for("/index.ndjson")) == 1
    finally:
        answer.set()


async def test_an_offline_start_shows_the_snapshot_without_a_request(make_app, tmp_path, server):
    settings = factory.make_settings(tmp_path / "home", offline=True)
    app, _ = make_app(settings=settings, catalog=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, app.first_rows_shown.is_set, "the first rows")
        assert app.catalog is not None and app.catalog.source == "snapshot"
        assert len(app.index) > 20_000  # the whole embedded snapshot
        assert app.timings["load_started"] <= app.timings["catalog_shown"]
        assert server.log == []


def region_text(app, widget) -> str:
    """What the terminal shows inside one widget's region."""
    region = widget.region
    lines = screen_lines(app)[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


class HeldIndex:
    """Stands in for CatalogIndex in the App: the early index at once, the full one only when
    the test lets it (`release`)."""

    def __init__(self, monkeypatch) -> None:
        from pybs_tui.catalog.index import CatalogIndex
        from pybs_tui.ui import app as app_module

        self.release, self.asked = threading.Event(), threading.Event()
        held = self

        class Held(CatalogIndex):
            def __init__(self, *args, **kwargs) -> None:
                if not kwargs.get("host_family_only"):
                    held.asked.set()
                    held.release.wait(10)
                super().__init__(*args, **kwargs)

        monkeypatch.setattr(app_module, "CatalogIndex", Held)


async def test_the_early_rows_are_the_full_indexs_and_keys_wait_for_it(make_app, monkeypatch):
    from pybs_tui.ui.screens.compare import CompareScreen
    from pybs_tui.ui.screens.confirm_install import ConfirmInstall

    held = HeldIndex(monkeypatch)
    app, recorder = make_app()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, held.asked.is_set, "the full index asked for")
            await until(pilot, app.first_rows_shown.is_set, "the early rows")
            screen = app.screen
            assert app.index is not None and app.index.partial and app.loading_catalog
            early_rows = [b.name for b in screen.table.rows]
            early_text, early_tree = (
                region_text(app, screen.table),
                region_text(app, screen.version_tree),
            )
            assert early_rows and "3.13.1" in early_text
            # a key that needs every archive waits, says so, and is not lost
            await pilot.press("a")
            assert "every archive: as soon as every archive is indexed" in recorder.joined()
            assert screen.view.mode == "picks" and [b.name for b in screen.table.rows] == early_rows
            held.release.set()
            await until(pilot, lambda: not app.loading_catalog, "the full index")
            assert not app.index.partial
            await until(pilot, lambda: screen.view.mode == "all", "the waiting key run")
            await pilot.press("a")  # back to uv's picks: the very rows painted first
            app.clear_notifications()
            await pilot.pause()
            assert [b.name for b in screen.table.rows] == early_rows
            assert region_text(app, screen.table) == early_text
            assert region_text(app, screen.version_tree) == early_tree
            # the screen works on the full index: filter, compare, install dialog
            await pilot.press("slash", *"freethreaded", "enter")
            await until(pilot, lambda: len(screen.table.rows) < len(early_rows), "the filter")
            assert screen.table.rows and all("freethreaded" in b.name for b in screen.table.rows)
            await pilot.press("c")
            await until(pilot, lambda: isinstance(app.screen, CompareScreen), "compare")
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is screen, "back")
            await pilot.press("i")
            await until(pilot, lambda: isinstance(app.screen, ConfirmInstall), "install dialog")
            await pilot.press("escape")
    finally:
        held.release.set()


async def test_a_filter_typed_before_the_full_index_shows_indexing_not_wrong_rows(
    make_app, monkeypatch
):
    from pybs_tui.ui.screens.browse import INDEXING

    held = HeldIndex(monkeypatch)
    app, _ = make_app()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, app.first_rows_shown.is_set, "the early rows")
            screen = app.screen
            await pilot.press("slash", *"3.12")  # this platform's picks: answered now
            await until(pilot, lambda: screen.filter_input.value == "3.12", "typed")
            assert screen.table.rows and all(
                b.version_str.startswith("3.12") for b in screen.table.rows
            )
            await pilot.press(*" gnu")  # a word of any platform's names: the early index cannot
            await until(pilot, lambda: INDEXING in table_text(app), "indexing said")
            assert screen.table.rows == []
            held.release.set()
            await until(pilot, lambda: not app.index.partial and screen.table.rows != [], "rows")
            assert all("3.12" in b.name and "gnu" in b.name for b in screen.table.rows)
            assert INDEXING not in table_text(app)
    finally:
        held.release.set()


async def test_the_facets_panel_is_filled_when_first_shown_with_the_choices_made(make_app):
    from textual.widgets import Checkbox, Select

    app, _ = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        panel = screen.facets_panel
        assert not panel.filled and not panel.query(Select)  # nothing mounted for the first paint
        await pilot.press("p")  # pre-releases on, before the panel exists
        await until(pilot, lambda: screen.view.facets.prereleases, "p")
        await pilot.press("f")
        await until(pilot, lambda: panel.filled and panel.has_class("-shown"), "the panel")
        assert panel.query_one("#facet-prereleases", Checkbox).value
        os_select = panel.query_one("#facet-os", Select)
        assert "linux" in [value for _, value in os_select._options]  # the catalog's values
        await pilot.press("escape")  # back to the table, the panel closes on a second escape
        await pilot.press("escape")
        await until(pilot, lambda: not panel.has_class("-shown"), "closed")
        assert screen.view.facets.prereleases  # the choice kept
