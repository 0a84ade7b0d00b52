"""SVG snapshots: the browser's first view (80x24, 160x50), the seed's comparison (80x24,
160x50) and the help (80x24).

The catalogs are tests/ui/factory.py's (no embedded snapshot), the host and the clock are fixed
and the settings live under a root where nothing exists (free disk is asked of "/", a FakeDisk
answers), so the pictures are the same on every machine. Regenerate after an intended change
with `python -m pytest tests/snapshots/test_snapshots.py --snapshot-update -p no:xdist -o
addopts=""` and look at the SVGs before keeping them.

The seed's case: release 20240415 of 3.12.3 for linux-aarch64-gnu, on an aarch64 Linux host,
with its debug full (48.0 MB), lto full (178.0 MB) and install_only (24.4 MB) archives: three
columns, ratios x1.00 (install_only), x7.30 (lto full), x1.97 (debug full).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pybs_tui.catalog.group import Host
from pybs_tui.catalog.models import Catalog
from pybs_tui.ui.app import PybsApp
from pybs_tui.ui.screens.compare import CompareScreen
from pybs_tui.ui.screens.help import HelpScreen
from tests.ui import factory

# nothing exists under here: free disk is asked of "/", so paths in the SVGs are stable
ROOT = Path("/nonexistent-pybs-tui-snapshots/home")
SIZES = [(80, 24), (160, 50)]


def make_app(catalog: Catalog | None = None, host: Host = factory.HOST) -> PybsApp:
    return PybsApp(factory.make_settings(ROOT), catalog=catalog or factory.catalog(), host=host)


async def loaded(pilot) -> None:
    """The catalog is shown (bounded: it is given, so this takes a few frames)."""
    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.index is not None and not app.loading_catalog:
            break
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_browse(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES)
def test_compare_the_seeds_case(snap_compare, size):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("enter")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, CompareScreen)
        assert [c.text for c in screen.comparison.row("size").cells] == [
            "24.4 MB",
            "178.0 MB",
            "48.0 MB",
        ]
        assert [c.text for c in screen.comparison.row("ratio").cells] == [
            "x1.00",
            "x7.30",
            "x1.97",
        ]

    app = make_app(factory.seed_catalog(), factory.SEED_HOST)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_help(snap_compare):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
