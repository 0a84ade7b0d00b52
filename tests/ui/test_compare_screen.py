"""Pilot tests of the compare screen: the seed's case (one release of 3.12.3 for
linux-aarch64-gnu: install_only, lto full and debug full), installing a column, marked rows of
two releases, unknown sizes offline, and sizes and archives arriving online.

The seed's case is also an SVG snapshot (tests/snapshots/test_snapshots.py).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from urllib.parse import quote

import pytest

from pybs_tui.settings import PBS_REPO
from pybs_tui.ui.messages import InstallRequested, SizeLearnt
from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.screens.compare import CompareScreen
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from tests.support.server import Route
from tests.ui import factory
from tests.ui.conftest import ready, screen_lines, screen_text, until

pytestmark = pytest.mark.anyio

SEED_LABELS = ["install_only", "lto full", "debug full"]
OTHER_RELEASE = "cpython-3.12.3+20240507-aarch64-unknown-linux-gnu-install_only.tar.gz"


def row_line(app, attribute: str) -> str:
    """The compare table's line for one attribute, as drawn."""
    return next((line for line in screen_lines(app) if line.startswith(f" {attribute} ")), "")


def in_order(line: str, *parts: str) -> bool:
    """Every part is on the line, left to right."""
    at = [line.find(p) for p in parts]
    return -1 not in at and at == sorted(at)


def totals(app) -> str:
    return str(app.screen.query_one("#compare-totals").render())


async def open_compare(app, pilot) -> CompareScreen:
    await ready(app, pilot)
    await pilot.press("enter")
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    return screen


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_the_seeds_three_archives_side_by_side(make_app, size):
    app, _ = make_app(catalog=factory.seed_catalog(), host=factory.SEED_HOST)
    async with app.run_test(size=size) as pilot:
        screen = await open_compare(app, pilot)
        assert screen.comparison.labels == SEED_LABELS
        lines = screen_lines(app)
        assert lines[0].startswith(" compare 3.12.3 · linux-aarch64-gnu · 20240415  3 archives")
        header = next(line for line in lines if "install_only" in line and "lto full" in line)
        assert in_order(header, *SEED_LABELS)
        assert in_order(row_line(app, "size"), "24.4 MB ▼", "178.0 MB", "48.0 MB")
        assert in_order(row_line(app, "ratio"), "x1.00", "x7.30", "x1.97")
        assert in_order(row_line(app, "flags"), "LTO*", "LTO", "Py_DEBUG")
        assert in_order(row_line(app, "uv pick"), "3.12.3", "-", "3.12.3+debug")
        assert "3 archives: 250.4 MB, ~1.2 GB unpacked; free 60.0 GB" in totals(app)
        # the highlighted column's details below the table
        text = screen_text(app)
        assert f"file: {factory.SEED_INSTALL_ONLY}" in text
        assert "optimised: LTO (inferred: cut from this release's lto full build)" in text
        await pilot.press("right")
        assert f"file: {factory.SEED_LTO}" in screen_text(app)
        assert "size: 178.0 MB (catalog; 178,000,000 bytes)" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, BrowseScreen)


async def test_a_frame_drawn_right_after_a_rebuild_shows_whole_columns(make_app):
    """Sizes and a release listing rebuild the table; a frame may be drawn before the table
    measured its new cells. The next frames still show every column whole."""
    app, _ = make_app(catalog=factory.seed_catalog(), host=factory.SEED_HOST)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_compare(app, pilot)
        screen.rebuild()
        screen_lines(app)  # a frame now, before the table's next idle
        await pilot.pause()
        assert row_line(app, "size").startswith(" size      24.4 MB ▼")
        assert in_order(row_line(app, "ratio"), "x1.00", "◆ x7.30", "◆ x1.97")


async def test_i_installs_the_highlighted_column(make_app):
    app, _ = make_app(catalog=factory.seed_catalog(), host=factory.SEED_HOST)
    asked: list[str] = []

    def hook(message):
        if isinstance(message, InstallRequested):
            asked.append(message.build.name)

    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        await open_compare(app, pilot)
        await pilot.press("right", "right", "i")  # the debug full column
        await until(pilot, lambda: isinstance(app.screen, ConfirmInstall), "the dialog")
        assert set(asked) == {factory.SEED_DEBUG}  # (seen by the screen, then the App)
        assert app.screen.plan.build.name == factory.SEED_DEBUG
        assert factory.SEED_DEBUG in screen_text(app)  # the dialog names the archive
        await pilot.press("escape")
        assert isinstance(app.screen, CompareScreen) and not app.jobs.jobs  # nothing queued
        await pilot.press("left", "i")
        await until(pilot, lambda: isinstance(app.screen, ConfirmInstall), "the dialog")
        assert app.screen.plan.build.name == factory.SEED_LTO


async def test_marked_rows_of_two_releases_say_they_mix_releases(make_app):
    catalog = factory.seed_catalog([*factory.SEED_NAMES, OTHER_RELEASE])
    app, _ = make_app(catalog=catalog, host=factory.SEED_HOST)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        browse = app.screen
        await pilot.press("a")
        rows = [b.name for b in browse.table.rows]
        assert rows[:2] == [OTHER_RELEASE, factory.SEED_INSTALL_ONLY]
        await pilot.press("space", "space", "c")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        assert sorted(b.name for b in screen.comparison.builds) == sorted(rows[:2])
        assert screen_lines(app)[0].startswith(
            " compare 3.12.3 · linux-aarch64-gnu · mixed  2 archives"
        )
        assert "these columns mix versions, platforms or releases" in totals(app)
        assert in_order(row_line(app, "release"), "20240415", "◆ 20240507")
        # a marked comparison is only the marked rows: no other archive of a release joins
        assert len(screen.comparison.builds) == 2


async def test_offline_unknown_sizes_give_no_total(make_app):
    app, _ = make_app(catalog=factory.seed_catalog(sizes=False), host=factory.SEED_HOST)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_compare(app, pilot)
        line = totals(app)
        assert line.startswith("3 archives: 3 sizes unknown, no total; free 60.0 GB")
        assert " MB" not in line.split(";")[0]
        assert "no sizes known: the catalog has none and they have not been fetched" in line
        assert row_line(app, "size").split()[1:] == ["?", "?", "?"]
        assert row_line(app, "ratio").split()[1:] == ["?", "?", "?"]
        assert "size: ? (offline: `pybs-tui sizes` fetches sizes online" in screen_text(app)


async def test_one_unknown_size_is_counted_and_there_is_no_total(make_app):
    seed = factory.seed_catalog()
    builds = [replace(b, size=None) if b.name == factory.SEED_LTO else b for b in seed.builds]
    app, _ = make_app(catalog=replace(seed, builds=builds), host=factory.SEED_HOST)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_compare(app, pilot)
        assert totals(app).startswith("3 archives: 1 size unknown, no total;")
        assert in_order(row_line(app, "size"), "24.4 MB ▼", "?", "48.0 MB")


# -- online -------------------------------------------------------------------------------------


def online_app(make_app, tmp_path, server, names: list[str]):
    """An app online, on a live catalog of these seed archives (sizes unknown) served by the
    loopback server."""
    settings = factory.make_settings(
        tmp_path / "home", offline=False, api=server.base, index_url=server.url("/index.ndjson")
    )
    catalog = factory.seed_catalog(names, sizes=False, url_base=server.url("/dl"), source="live")
    return make_app(settings=settings, catalog=catalog, host=factory.SEED_HOST)


def serve_listing(server, names: list[str]) -> str:
    """The release's own API listing of these archives (with the seed's sizes)."""
    path = f"/repos/{PBS_REPO}/releases/tags/{factory.SEED_TAG}"
    body = factory.api_release_json(
        factory.SEED_TAG, names, server.url("/dl"), sizes=factory.SEED_SIZES
    )
    server.add(path, Route(body))
    return path


def head_path(name: str) -> str:
    return f"/dl/{factory.SEED_TAG}/{quote(name)}"


async def test_online_sizes_fill_in_and_the_listing_adds_a_column(make_app, tmp_path, server):
    # the catalog has two archives; the release's listing has the debug one too, and sizes
    # for install_only and debug; the lto one's size comes from a HEAD request
    listing = serve_listing(server, [factory.SEED_INSTALL_ONLY, factory.SEED_DEBUG])
    server.add(head_path(factory.SEED_LTO), Route(b"x" * 1780))
    app, _ = online_app(make_app, tmp_path, server, [factory.SEED_INSTALL_ONLY, factory.SEED_LTO])
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_compare(app, pilot)
        assert app.sizes_online

        def filled() -> bool:
            comp = screen.comparison
            return len(comp.builds) == 3 and comp.unknown == 0

        await until(pilot, filled, "three columns, every size known")
        assert screen.comparison.labels == SEED_LABELS
        drawn = ("24.4 MB", "1.8 kB ▼", "48.0 MB")
        await until(pilot, lambda: in_order(row_line(app, "size"), *drawn), "sizes drawn")
        assert totals(app).startswith("3 archives: 72.4 MB")
        assert len(server.requests_for(listing)) == 1
        heads = [r.path for r in server.log if r.method == "HEAD"]
        assert head_path(factory.SEED_LTO) in heads
        await pilot.press("right")
        assert "size: 1.8 kB (HEAD request; 1,780 bytes)" in screen_text(app)


async def test_a_size_learnt_while_the_listing_merges_is_kept(
    make_app, tmp_path, server, monkeypatch
):
    """The HEAD answer lands between the listing's merge (in a thread) and the merged index
    replacing the old one: the size must not be lost. Events order the two, no timing."""
    from pybs_tui.service import catalog as service_catalog

    serve_listing(server, [factory.SEED_INSTALL_ONLY, factory.SEED_DEBUG])
    listing_merged = threading.Event()  # the release thread read the kept sizes
    size_learnt = threading.Event()  # the app is handling the HEAD's answer

    def gated_head(request):
        listing_merged.wait(10)
        return Route(b"x" * 1780)

    server.add(head_path(factory.SEED_LTO), gated_head)
    real = service_catalog.with_kept_sizes

    def with_kept_sizes(builds, settings):
        out = real(builds, settings)
        listing_merged.set()
        size_learnt.wait(10)
        return out

    monkeypatch.setattr(service_catalog, "with_kept_sizes", with_kept_sizes)

    def hook(message):
        if isinstance(message, SizeLearnt) and message.name == factory.SEED_LTO:
            size_learnt.set()

    app, _ = online_app(make_app, tmp_path, server, [factory.SEED_INSTALL_ONLY, factory.SEED_LTO])
    try:
        async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
            screen = await open_compare(app, pilot)
            await until(pilot, lambda: len(screen.comparison.builds) == 3, "the listing")
            await until(pilot, lambda: not app.sizes.busy, "the HEAD request")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.index.by_name[factory.SEED_LTO].size == 1780
            drawn = ("24.4 MB", "1.8 kB ▼", "48.0 MB")
            await until(pilot, lambda: in_order(row_line(app, "size"), *drawn), "sizes drawn")
    finally:
        listing_merged.set()
        size_learnt.set()


async def test_offline_nothing_is_asked(make_app, tmp_path, server):
    serve_listing(server, factory.SEED_NAMES)
    settings = factory.make_settings(tmp_path / "home", offline=True, api=server.base)
    catalog = factory.seed_catalog(sizes=False, url_base=server.url("/dl"), source="live")
    app, _ = make_app(settings=settings, catalog=catalog, host=factory.SEED_HOST)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_compare(app, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.sizes_online and server.log == []
        assert totals(app).startswith("3 archives: 3 sizes unknown, no total")
