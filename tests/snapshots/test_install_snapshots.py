"""SVG snapshots of the Installs screen and the install confirmation (80x24 and 160x50).

The jobs are put in `app.jobs` by hand in fixed states (no worker runs), their probe checks
come from install.probe.probe_checks, and the settings clock is frozen, so rate, ETA and
elapsed times are the same on every run. Nothing exists under the snapshot root, so the done
jobs' targets are stand-ins that say they exist (one is left as it is: "removed since").
The dialogs open over the Installs screen, so the browser (drawn behind a dialog) does not
enter these pictures. Regenerate after an intended change with
`pytest tests/snapshots/test_install_snapshots.py --snapshot-update -p no:xdist -o addopts=""`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from pybs_tui.catalog.models import Catalog
from pybs_tui.install.pipeline import InstallResult, target_of
from pybs_tui.install.probe import ProbeMismatch, probe_checks
from pybs_tui.service.install import inferred_promises
from pybs_tui.service.jobs import InstallJob
from pybs_tui.ui.app import PybsApp
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from pybs_tui.ui.screens.installs import InstallsScreen
from tests.ui import factory
from tests.ui.factory import FIXED_NOW

LINUX = "x86_64-unknown-linux-gnu"
DONE = f"cpython-3.13.1+20241206-{LINUX}-pgo+lto-full.tar.zst"
INFERRED = f"cpython-3.12.8+20241206-{LINUX}-install_only.tar.gz"
REMOVED = f"cpython-3.12.3+20240415-{LINUX}-pgo+lto-full.tar.zst"
FAILED = f"cpython-3.12.8+20241206-{LINUX}-debug-full.tar.zst"
RUNNING = f"cpython-3.13.1+20241206-{LINUX}-install_only.tar.gz"
QUEUED = f"cpython-3.12.3+20240415-{LINUX}-install_only_stripped.tar.gz"
STRIPPED = f"cpython-3.13.1+20241206-{LINUX}-install_only_stripped.tar.gz"
FT_FULL = f"cpython-3.13.1+20241206-{LINUX}-freethreaded+pgo+lto-full.tar.zst"

PGO_LTO = "'--enable-optimizations' '--with-lto'"
# nothing exists under here: free disk comes from FakeDisk, so the SVGs are the same everywhere
ROOT = Path("/nonexistent-pybs-tui-snapshots/home")


async def loaded(pilot: Any) -> None:
    """The catalog is loaded and indexed (the browser stays under the screens pushed)."""
    app = pilot.app
    for _ in range(100):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if app.index is not None and not app.loading_catalog:
            return
    raise AssertionError("the catalog did not load")


class Present(type(Path())):  # type: ignore[misc]
    """A target that says it exists (nothing is installed under the snapshot root)."""

    def exists(self, *args: Any, **kwargs: Any) -> bool:
        return True


def probe(version: str, *, debug: int = 0, ft: int = 0, config: str = PGO_LTO) -> dict[str, Any]:
    """What the probe prints for an interpreter with these flags."""
    abiflags = ("t" if ft else "") + ("d" if debug else "")
    return {"version": version, "Py_DEBUG": debug, "Py_GIL_DISABLED": ft, "abiflags": abiflags,
            "CONFIG_ARGS": config}  # fmt: skip


def add_jobs(app: PybsApp) -> list[InstallJob]:
    """Six jobs: done (all promises kept), done with an inferred flag not confirmed (a
    warning), done and removed since, failed (probe mismatch), downloading, queued."""
    index = app.index
    assert index is not None

    def job(name: str, phase: str, started: float | None, ended: float | None = None) -> Any:
        build = index.by_name[name]
        made = app.jobs.add(build, target_of(app.settings, build))
        made.inferred = inferred_promises(index, build)
        made.phase, made.started, made.ended_at = phase, started, ended
        return made

    def finish(made: InstallJob, result_probe: dict[str, Any], present: bool = True) -> None:
        if present:
            made.target = Present(made.target)
        checks = probe_checks(made.build, result_probe, made.inferred)
        made.result = InstallResult(made.target, {}, result_probe, False, checks)
        made.checks = checks

    done = job(DONE, "done", FIXED_NOW - 52, FIXED_NOW - 40)
    finish(done, probe("3.13.1"))
    inferred = job(INFERRED, "done", FIXED_NOW - 50, FIXED_NOW - 44)
    finish(inferred, probe("3.12.8", config="'--with-lto'"))
    removed = job(REMOVED, "done", FIXED_NOW - 49, FIXED_NOW - 41)
    finish(removed, probe("3.12.3"), present=False)
    failed = job(FAILED, "failed", FIXED_NOW - 30, FIXED_NOW - 21)
    mismatch = ProbeMismatch(probe_checks(failed.build, probe("3.12.8", debug=0)))
    failed.error, failed.checks = str(mismatch), mismatch.checks
    running = job(RUNNING, "download", FIXED_NOW - 6)
    running.done, running.total, running.rate = 12_300_000, 31_400_000, 2_100_000.0
    running.eta = (running.total - running.done) / running.rate
    job(QUEUED, "queued", None)
    return list(app.jobs.jobs.values())


def make_app(**settings: Any) -> PybsApp:
    """The snapshot app (fixed catalog, host, clock, 60 GB free), settings changed as given."""
    base = factory.make_settings(ROOT)
    catalog = factory.catalog()
    if settings.pop("no_sha", False):  # the stripped 3.13.1 archive without a checksum
        builds = [
            dataclasses.replace(b, sha256=None) if b.name == STRIPPED else b for b in catalog.builds
        ]
        catalog = Catalog(builds, catalog.source, catalog.origin, catalog.fetched_at)
    return PybsApp(dataclasses.replace(base, **settings), catalog=catalog, host=factory.HOST)


async def open_installs(pilot: Any, jobs: bool = True) -> InstallsScreen:
    await loaded(pilot)
    if jobs:
        add_jobs(pilot.app)
    screen = InstallsScreen()
    await pilot.app.push_screen(screen)
    await pilot.pause()
    return screen


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
def test_installs_screen(snap_compare, size):
    assert snap_compare(make_app(), terminal_size=size, run_before=open_installs)


def test_installs_screen_failed_job_focused(snap_compare):
    async def run_before(pilot) -> None:
        screen = await open_installs(pilot)
        failed = next(j for j in pilot.app.jobs.jobs.values() if j.phase == "failed")
        pane = screen.pane(failed.id)
        assert pane is not None
        pane.focus()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)


def confirm(name: str):
    async def run_before(pilot) -> None:
        await open_installs(pilot, jobs=False)
        app = pilot.app
        app.request_install(app.index.by_name[name])
        for _ in range(50):
            if isinstance(app.screen, ConfirmInstall):
                break
            await pilot.pause()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize(
    ("size", "name"), [((80, 24), STRIPPED), ((160, 50), FT_FULL)], ids=["80x24", "160x50"]
)
def test_confirm_install(snap_compare, size, name):
    """install_only: flags inferred (*) and where from; full: uv picks another archive."""
    assert snap_compare(make_app(), terminal_size=size, run_before=confirm(name))


def test_confirm_install_short_of_space_without_checksum(snap_compare):
    """A small disk and no checksum: the disk problem in red, the checksum note."""
    app = make_app(disk_usage=factory.FakeDisk(free=50_000_000), no_sha=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=confirm(STRIPPED))
