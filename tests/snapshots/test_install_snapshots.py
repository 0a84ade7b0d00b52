"""SVG snapshots of the install confirmation and the Installs screen (80x24 and 160x50).

The jobs are set up by hand in fixed states (no worker runs) and the settings clock is
frozen, so rate, ETA and elapsed times are the same on every run. Regenerate after an
intended change with `pytest tests/snapshots --snapshot-update`.
"""

from __future__ import annotations

import pytest

from pybs_tui.install.pipeline import InstallResult
from pybs_tui.install.receipts import install_dir_name
from pybs_tui.ui.app import PybsApp
from pybs_tui.ui.screens.installs import InstallsScreen
from pybs_tui.ui.widgets.install_pane import InstallJob
from tests.snapshots.test_snapshots import loaded, make_app
from tests.ui.factory import FIXED_NOW

LINUX = "x86_64-unknown-linux-gnu"
DONE = f"cpython-3.13.1+20241206-{LINUX}-pgo+lto-full.tar.zst"
FAILED = f"cpython-3.12.8+20241206-{LINUX}-debug-full.tar.zst"
RUNNING = f"cpython-3.13.1+20241206-{LINUX}-install_only.tar.gz"
QUEUED = f"cpython-3.12.3+20240415-{LINUX}-install_only_stripped.tar.gz"


def add_jobs(app: PybsApp) -> None:
    """Four jobs: done (probe flags), failed (probe mismatch), downloading, queued."""
    index = app.index
    assert index is not None

    def job(i: int, name: str, phase: str, started: float | None) -> InstallJob:
        build = index.by_name[name]
        made = InstallJob(
            i,
            build,
            app.settings.install_dir / install_dir_name(name),
            created=FIXED_NOW - 60,
            phase=phase,
            started=started,
        )
        app.jobs[i] = made
        return made

    done = job(1, DONE, "done", FIXED_NOW - 52)
    done.ended_at = FIXED_NOW - 40
    probe = {
        "version": "3.13.1",
        "Py_DEBUG": 0,
        "Py_GIL_DISABLED": 0,
        "abiflags": "",
        "CONFIG_ARGS": "'--enable-optimizations' '--with-lto'",
        "PGO": True,
        "LTO": True,
    }
    done.result = InstallResult(done.target, {"name": DONE}, probe, False)
    failed = job(2, FAILED, "failed", FIXED_NOW - 30)
    failed.ended_at = FIXED_NOW - 21
    failed.error = "probe mismatch: archive sold as debug but Py_DEBUG=0"
    running = job(3, RUNNING, "download", FIXED_NOW - 6)
    running.done, running.total, running.rate = 12_300_000, 31_400_000, 2_100_000.0
    running.eta = (running.total - running.done) / running.rate
    job(4, QUEUED, "queued", None)


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_installs_screen(snap_compare, size):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        add_jobs(pilot.app)
        pilot.app.push_screen(InstallsScreen())
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_confirm_install(snap_compare):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        table = pilot.app.screen.table
        table.cursor = [b.name for b in table.rows].index(RUNNING)
        await pilot.press("i")
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
