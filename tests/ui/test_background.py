"""Background work against a loopback server: sizes by HEAD for the rows on screen (kept for
the next run), a failing HEAD, typing while a HEAD is pending, refreshing the catalog, a
catalog that cannot be read.

Nothing here waits for time: slow answers are held by a threading.Event the test sets, and the
test waits for what the app shows or for its state (bounded loops of pilot.pause()).
"""

from __future__ import annotations

import dataclasses
import threading
from urllib.parse import quote

import pytest

from pybs_tui.settings import PBS_REPO
from pybs_tui.ui.widgets.status_bar import StatusBar
from tests.support.server import Route
from tests.ui import factory
from tests.ui.conftest import ready, screen_lines, screen_text, until

pytestmark = pytest.mark.anyio

GNU = "x86_64-unknown-linux-gnu"
PICK_313 = f"cpython-3.13.1+20241206-{GNU}-install_only_stripped.tar.gz"
PICK_313T = f"cpython-3.13.1+20241206-{GNU}-freethreaded-install_only_stripped.tar.gz"
PICK_3128 = f"cpython-3.12.8+20241206-{GNU}-install_only_stripped.tar.gz"
HEAD_SIZES = {PICK_313: 4321, PICK_313T: 5432, PICK_3128: 6543}


def dl_path(name: str) -> str:
    return f"/dl/{name.split('+', 1)[1][:8]}/{quote(name)}"


def online(tmp_path, server):
    """Online settings pointed at the loopback server (downloads too: a mirror on it)."""
    settings = factory.make_settings(
        tmp_path / "home", offline=False, api=server.base, index_url=server.url("/index.ndjson")
    )
    return dataclasses.replace(settings, mirror=server.url("/mirror"))


def live_catalog(server):
    """The factory's catalog as a live one would be: download URLs on the server, no sizes."""
    return factory.catalog(sizes=False, url_base=server.url("/dl"), source="live")


def table_text(app) -> str:
    region = app.screen.table.region
    return "\n".join(line[region.x : region.right] for line in screen_lines(app)[region.y :])


async def catalog_shown(app, pilot) -> None:
    """The catalog is in the table (without waiting for every worker, as `ready` does)."""
    await until(
        pilot,
        lambda: getattr(app.screen, "view", None) is not None and not app.loading_catalog,
        "the catalog",
    )


async def test_sizes_of_the_rows_on_screen_come_by_head_and_are_kept(make_app, tmp_path, server):
    for name, size in HEAD_SIZES.items():
        server.add(dl_path(name), Route(b"x" * size))
    app, _ = make_app(settings=online(tmp_path, server), catalog=live_catalog(server))
    async with app.run_test(size=(120, 36)) as pilot:
        await catalog_shown(app, pilot)
        assert app.sizes_online

        def sizes_shown() -> bool:
            text = table_text(app)
            return all(s in text for s in ("4.3 kB", "5.4 kB", "6.5 kB"))

        await until(pilot, sizes_shown, "the sizes in the table")
        assert "size      4.3 kB (HEAD request; 4,321 bytes)" in screen_text(app)
        heads = sorted(r.path for r in server.log if r.method == "HEAD")
        assert heads == sorted(dl_path(n) for n in HEAD_SIZES)  # only the rows on screen
    # a new app, offline, on a catalog file without sizes: the sizes learnt are shown
    index = tmp_path / "index.ndjson"
    index.write_bytes(factory.ndjson_index(factory.NAMES, server.url("/dl")))
    server.log.clear()
    offline = factory.make_settings(tmp_path / "home", offline=True)
    app, _ = make_app(settings=offline, catalog=None, catalog_arg=str(index))
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        assert app.catalog.source == "file"
        text = table_text(app)
        assert all(s in text for s in ("4.3 kB", "5.4 kB", "6.5 kB"))
        assert "size      4.3 kB (HEAD request; 4,321 bytes)" in screen_text(app)
        assert server.log == []


@pytest.mark.parametrize(("source", "asks"), [("file", True), ("cache", False)])
async def test_sizes_are_asked_online_for_a_live_or_file_catalog_only(
    make_app, tmp_path, server, source, asks
):
    """Online, sizes are asked for a live catalog or a catalog file (--catalog), not for the
    cached or the embedded one."""
    for name, size in HEAD_SIZES.items():
        server.add(dl_path(name), Route(b"x" * size))
    catalog = factory.catalog(sizes=False, url_base=server.url("/dl"), source=source)
    app, _ = make_app(settings=online(tmp_path, server), catalog=catalog)
    async with app.run_test(size=(120, 36)) as pilot:
        await catalog_shown(app, pilot)
        assert app.sizes_online is asks
        if asks:
            await until(pilot, lambda: "4.3 kB" in table_text(app), "the size by HEAD")
        else:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert server.log == [] and "4.3 kB" not in table_text(app)


async def test_a_failing_head_says_why_in_the_detail_pane(make_app, tmp_path, server):
    app, _ = make_app(settings=online(tmp_path, server), catalog=live_catalog(server))
    async with app.run_test(size=(120, 36)) as pilot:
        await catalog_shown(app, pilot)
        why = "size      ? (127.0.0.1 has no such file (HTTP 404))"
        await until(pilot, lambda: why in screen_text(app), "the reason in the detail pane")
        assert " ? " in table_text(app).splitlines()[1]


async def test_typing_in_the_filter_answers_while_a_head_is_pending(make_app, tmp_path, server):
    answer = threading.Event()

    def slow(request):
        answer.wait(10)
        return Route(b"x" * 4321)

    for name in HEAD_SIZES:
        server.add(dl_path(name), slow)
    app, _ = make_app(settings=online(tmp_path, server), catalog=live_catalog(server))
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await catalog_shown(app, pilot)
            screen = app.screen
            await until(pilot, lambda: app.sizes.in_flight, "a HEAD request under way")
            await pilot.press("slash", *"3.12")
            assert [b.name for b in screen.table.rows] == [PICK_3128]
            assert "3.12.8" in table_text(app) and "3.13.1" not in table_text(app)
            assert app.sizes.in_flight and not answer.is_set()  # the HEAD is still pending
            assert "? (asking the download host…)" in screen_text(app)
            answer.set()
            await until(pilot, lambda: "4.3 kB" in table_text(app), "the size after the answer")
    finally:
        answer.set()


async def test_refresh_loads_the_live_catalog(make_app, tmp_path, server):
    new = "cpython-3.13.99+20250101-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    index_asked = threading.Event()
    index_answer = threading.Event()

    def index(request):
        index_asked.set()
        index_answer.wait(10)
        return Route(factory.ndjson_index([*factory.NAMES, new], server.url("/dl")))

    server.add("/index.ndjson", index)
    server.add(f"/repos/{PBS_REPO}/releases", Route(b"[]"))
    app, notes = make_app(settings=online(tmp_path, server))
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(app, pilot)
            screen = app.screen
            bar = screen.query_one(StatusBar)
            assert screen_lines(app)[0].startswith(" embedded snapshot of")
            await pilot.press("r")
            assert "refreshing the catalog…" in notes.joined()
            await until(pilot, index_asked.is_set, "the index request")
            assert app.loading_catalog and bar.has_class("-loading")  # the spinner
            assert app.check_action("refresh", ()) is None  # r is greyed while it runs
            await pilot.press("a")  # the screen still answers
            assert "every archive" in screen_text(app)
            index_answer.set()
            await until(
                pilot,
                lambda: not app.loading_catalog and app.catalog.source == "live",
                "the live catalog",
            )
            assert new in app.index.by_name
            await pilot.press("a")  # back to uv's picks: the new patch is 3.13's pick
            await until(pilot, lambda: "u 3.13.99 " in table_text(app), "the new archive shown")
            assert not bar.has_class("-loading")
            assert screen_lines(app)[0].startswith(" live catalog")
    finally:
        index_answer.set()


async def test_a_catalog_that_cannot_be_read_is_said_and_r_retries(make_app, tmp_path):
    app, notes = make_app(catalog=None, catalog_arg=str(tmp_path / "missing.json"))
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        assert app.is_running
        assert any("cannot read catalog" in m and "failed" in m for m in notes.messages)
        assert "no catalog: cannot read catalog" in table_text(app)
        assert "The catalog could not be loaded" in screen_text(app)
        assert app.check_action("refresh", ()) is True
