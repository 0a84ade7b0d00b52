"""Background work against a loopback server: sizes, refresh, responsiveness, failures."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest

from pybs_tui.settings import PBS_REPO
from pybs_tui.ui.widgets.build_table import size_text
from pybs_tui.ui.widgets.status_bar import StatusBar
from tests.support.server import Route
from tests.ui import factory
from tests.ui.conftest import ready

pytestmark = pytest.mark.anyio

TAG_313 = "20241206"
TAG_314 = "20250918"
STRIPPED_313 = "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"


def release_path(tag: str) -> str:
    return f"/repos/{PBS_REPO}/releases/tags/{tag}"


def serve_release(server, tag: str, *, without: tuple[str, ...] = (), delay: float = 0.0) -> None:
    names = [n for n in factory.NAMES if f"+{tag}-" in n and n not in without]
    server.add(
        release_path(tag),
        Route(factory.api_release_json(tag, names, server.url("/dl")), delay=delay),
    )


def online(tmp_path, server):
    return factory.make_settings(
        tmp_path / "home", offline=False, api=server.base, index_url=server.url("/index.ndjson")
    )


async def wait_for(pilot, condition, timeout: float = 8.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        await pilot.pause(0.05)


async def test_sizes_arrive_from_the_api_then_head(make_app, tmp_path, server):
    serve_release(server, TAG_314)
    serve_release(server, TAG_313, without=(STRIPPED_313,))
    head_path = f"/dl/{TAG_313}/{quote(STRIPPED_313)}"
    server.add(head_path, Route(b"x" * 4321))
    app, _ = make_app(
        settings=online(tmp_path, server),
        catalog=factory.catalog(sizes=False, url_base=server.url("/dl")),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        # the first row (3.14) is highlighted: its release is asked for once
        await wait_for(pilot, lambda: TAG_314 in app._tags_done)
        first = screen.table.rows[0]
        await wait_for(pilot, lambda: app.index.by_name[first.name].size is not None)
        assert app.index.by_name[first.name].size == factory.fake_size(first.name)
        await pilot.pause()
        assert size_text(factory.fake_size(first.name)) in screen.table.render_line(1).text
        # move to a 3.13 row: its release is fetched; the one it lacks comes from HEAD
        screen.table.cursor = [b.name for b in screen.table.rows].index(STRIPPED_313)
        await wait_for(pilot, lambda: app.index.by_name[STRIPPED_313].size == 4321)
        await wait_for(pilot, lambda: "size: 4.3 kB" in screen.detail.text)
        assert len(server.requests_for(release_path(TAG_313))) == 1
        assert len(server.requests_for(release_path(TAG_314))) == 1
        heads = [r for r in server.log if r.method == "HEAD"]
        assert [r.path for r in heads] == [head_path]  # only what the API did not list
        # sizes are remembered by sha256 for the next run
        sizes = json.loads((app.settings.catalog_cache_dir / "sizes.json").read_text())
        assert sizes[factory.fake_sha(STRIPPED_313)] == 4321
        assert sizes[factory.fake_sha(first.name)] == factory.fake_size(first.name)


async def test_typing_stays_responsive_while_a_slow_size_fetch_is_pending(
    make_app, tmp_path, server
):
    serve_release(server, TAG_314, delay=2.0)
    serve_release(server, TAG_313)
    app, _ = make_app(
        settings=online(tmp_path, server),
        catalog=factory.catalog(sizes=False, url_base=server.url("/dl")),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await wait_for(pilot, lambda: server.requests_for(release_path(TAG_314)))
        started = time.monotonic()
        await pilot.press("slash", *"musl")
        assert [b.name for b in screen.table.rows] == [
            "cpython-3.13.1+20241206-x86_64-unknown-linux-musl-install_only.tar.gz"
        ]
        # the table filtered while the 2 s answer was still on its way
        assert TAG_314 in app._tags_pending
        assert time.monotonic() - started < 2.0
        await wait_for(pilot, lambda: TAG_314 in app._tags_done)
        assert all(app.index.by_name[n].size is not None for n in factory.NAMES if TAG_314 in n)


async def test_refresh_loads_the_live_catalog_with_a_spinner(make_app, tmp_path, server):
    new = "cpython-3.14.0+20251007-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"
    base = server.url("/dl")
    server.add("/index.ndjson", Route(factory.ndjson_index([*factory.NAMES, new], base), delay=0.6))
    server.add(f"/repos/{PBS_REPO}/releases?per_page=3", Route(b"[]"))
    app, notes = make_app(settings=online(tmp_path, server))
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        bar = screen.query_one(StatusBar)
        assert "embedded snapshot" in bar.text
        await pilot.press("r")
        assert app.loading_catalog and bar.has_class("-loading")
        assert app.check_action("refresh", ()) is None  # greyed while it runs
        await pilot.press("down", "down")  # the UI still answers
        assert screen.table.cursor == 2
        await ready(app, pilot)
        assert not bar.has_class("-loading")
        assert bar.text.startswith("live catalog")
        assert new in app.index.by_name
        assert new in [b.name for b in screen.table.rows]
        assert any("refreshing" in m for m in notes.messages)


async def test_a_failing_catalog_worker_becomes_a_notification(make_app, tmp_path):
    app, notes = make_app(catalog=None, catalog_arg=str(tmp_path / "missing.json"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.pause()
        assert app.is_running
        assert any("cannot read catalog" in m and "failed" in m for m in notes.messages)
        assert "no catalog" in app.screen.table.empty_text
        assert app.check_action("refresh", ()) is True  # r retries


async def test_failed_size_lookups_say_why(make_app, tmp_path, server):
    app, _ = make_app(
        settings=online(tmp_path, server),
        catalog=factory.catalog(sizes=False, url_base=server.url("/dl")),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        name = screen.table.rows[0].name
        await wait_for(pilot, lambda: name in app._size_failures)
        await wait_for(pilot, lambda: "HEAD request" in screen.detail.text)
        assert "HTTP 404" in screen.detail.text
