"""The first rows from the host's own archives of the packed snapshot, read before the rest:
the App holds that part as a `FamilyCatalog` (never handed on as the whole catalog), the
screen shows what the whole catalog's early index shows, and the whole catalog follows."""

from __future__ import annotations

import pytest

from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.view import BrowseView
from pybs_tui.service.catalog import FamilyCatalog, describe_source, load_offline
from tests.ui import factory
from tests.ui.conftest import screen_lines, until
from tests.ui.test_startup import HeldIndex, region_text

pytestmark = pytest.mark.anyio


async def test_the_first_rows_come_from_the_family_and_the_whole_catalog_follows(
    make_app, monkeypatch, tmp_path
):
    held = HeldIndex(monkeypatch)
    settings = factory.make_settings(tmp_path / "home", offline=True)
    app, _ = make_app(settings=settings, catalog=None)
    whole = load_offline(settings)
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(pilot, app.first_rows_shown.is_set, "the first rows")
            screen = app.screen
            # only the host's own archives were read for them
            assert isinstance(app.catalog, FamilyCatalog) and app.whole_catalog is None
            assert {(b.os, b.arch) for b in app.catalog.builds} == {("linux", "x86_64")}
            assert app.index is not None and app.index.partial
            assert len(app.index) == len(whole.builds)  # "N rows of M archives": the whole M
            now = settings.clock()
            assert app.catalog_status == describe_source(whole, now)  # newest release too
            first_rows = [b.name for b in screen.table.rows]
            first_text = region_text(app, screen.table)
            status_line = screen_lines(app)[0]
            assert first_rows and f"of {len(whole.builds):,} archives" in status_line
            # the same rows the whole catalog's early index gives
            early = CatalogIndex.early(whole, app.host, dict(app.index.installed))
            assert [b.name for b in screen.view.rows()] == [
                b.name for b in BrowseView(early).rows()
            ]
            held.release.set()
            await until(pilot, lambda: not app.loading_catalog, "the whole catalog")
            assert not isinstance(app.catalog, FamilyCatalog)
            assert app.whole_catalog is app.catalog and app.catalog.builds == whole.builds
            assert not app.index.partial
            await pilot.pause()
            assert [b.name for b in screen.table.rows] == first_rows
            assert region_text(app, screen.table) == first_text
    finally:
        held.release.set()


async def test_a_family_read_that_fails_falls_back_to_the_whole_read(
    make_app, monkeypatch, tmp_path
):
    from pybs_tui.service import catalog as service

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the family read")

    monkeypatch.setattr(service, "load_family", broken)
    settings = factory.make_settings(tmp_path / "home", offline=True)
    app, recorder = make_app(settings=settings, catalog=None)
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, app.first_rows_shown.is_set, "the first rows")
        assert app.screen.table.rows
        assert app.catalog is not None and not isinstance(app.catalog, FamilyCatalog)
        await until(pilot, lambda: not app.loading_catalog, "the whole catalog")
        assert not app.index.partial and "failed" not in recorder.joined()
