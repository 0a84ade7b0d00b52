"""SVG snapshots of the browser, its detail pane and the compare screen at 80x24 and 160x50.

A small fixed catalog and host make them deterministic. Regenerate after an intended change
with `pytest tests/snapshots --snapshot-update` and look at the report before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pybs_tui.ui.app import PybsApp
from tests.ui import factory

# nothing exists under here: free disk is asked of "/", so paths in the SVGs are stable
ROOT = Path("/nonexistent-pybs-tui-snapshots/home")
FT_FULL = "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst"


def make_app() -> PybsApp:
    return PybsApp(factory.make_settings(ROOT), catalog=factory.catalog(), host=factory.HOST)


async def loaded(pilot) -> None:
    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.index is not None and not app.loading_catalog:
            break


def highlight(name: str):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        table = pilot.app.screen.table
        table.cursor = [b.name for b in table.rows].index(name)
        await pilot.pause()

    return run_before


def test_browse(snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=loaded)


def test_browse_wide_with_facets_and_other_hosts(snap_compare):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("f")
        checkbox = pilot.app.screen.query_one("#facet-show_incompatible")
        checkbox.value = True  # like `h`, without the toast
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(160, 50), run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_detail_of_a_free_threaded_full_build(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=highlight(FT_FULL))


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_compare(snap_compare, size):
    async def run_before(pilot) -> None:
        await highlight(FT_FULL)(pilot)
        await pilot.press("c")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_help_light_theme(snap_compare):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("ctrl+t", "question_mark")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
