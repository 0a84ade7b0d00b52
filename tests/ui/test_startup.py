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
from tests.ui.conftest import screen_lines, until
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
