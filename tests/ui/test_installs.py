"""Installs in the app through Pilot: confirm, progress panes, cancel, failures, the cap.

PBS-shaped archives (a /bin/sh stand-in python3 answers the probe) are served by the loopback
server; the App gets injected Settings, a small Catalog of those builds and this machine's
Host, so the rows are visible and the real pipeline runs.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import filelock
import humanize
import pytest
from textual import events
from textual.color import Color

from pybs_tui.catalog.models import Build, Catalog
from pybs_tui.host import detect_host
from pybs_tui.install.receipts import install_dir_name, iter_receipts, read_receipt
from pybs_tui.progress import Progress, check_cancel
from pybs_tui.service.install import install_build
from pybs_tui.settings import Settings
from pybs_tui.ui.app import ProgressPoster, PybsApp
from pybs_tui.ui.messages import InstallProgress
from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from pybs_tui.ui.screens.confirm_uninstall import ConfirmUninstall
from pybs_tui.ui.screens.help import HelpScreen
from pybs_tui.ui.screens.installed import InstalledScreen
from pybs_tui.ui.screens.installs import InstallsScreen
from pybs_tui.ui.widgets.install_pane import InstallJob, InstallPane, flag_checks
from tests.install.helpers import TAG, pbs_archive, serve, staging_left
from tests.support.archives import Archive, Member
from tests.support.server import Route
from tests.ui.conftest import Recorder
from tests.ui.factory import FakeDisk

pytestmark = pytest.mark.anyio

BIG = 1_000_000  # an incompressible member: the archive is ~1 MB
SLOW_RATE = 200_000  # bytes/s: ~5 s for the big archive, far longer than any test waits


# -- the rig ------------------------------------------------------------------------------------


def slow(
    server: Any, name: str, archive: Archive, rate: float = SLOW_RATE, delay: float = 0.0
) -> None:
    """Serve the archive at `rate` bytes/s (or after `delay` s), both spellings of its path."""
    for path in (f"/dl/{TAG}/{name}", f"/dl/{TAG}/{quote(name)}"):
        server.add(path, Route(archive.data, rate=rate, chunk=16384, delay=delay))


def fast(server: Any, name: str, archive: Archive) -> None:
    for path in (f"/dl/{TAG}/{name}", f"/dl/{TAG}/{quote(name)}"):
        server.add(path, Route(archive.data))


def big_archive(version: str = "3.12.3", **kwargs: Any) -> tuple[str, Archive]:
    blob = Member("python/lib/blob.bin", os.urandom(BIG))
    return pbs_archive(version=version, extra=[blob], **kwargs)


def make_app(
    settings: Settings, builds: list[Build], tmp_path: Path, **kwargs: Any
) -> tuple[PybsApp, Recorder]:
    from pybs_tui.install.registry import Roots

    catalog = Catalog(builds, "file", "tests", time.time())
    roots = Roots.from_env(env={}, home=tmp_path / "fakehome")  # no real home is read
    app = PybsApp(settings, catalog=catalog, host=detect_host(), roots=roots, **kwargs)
    return app, Recorder(app)


async def wait_until(
    pilot: Any, predicate: Callable[[], bool], timeout: float = 15.0, step: float = 0.02
) -> float:
    """Pause the pilot until `predicate()`; returns the seconds it took."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "timed out waiting"
        await pilot.pause(step)
    return time.monotonic() - start


async def ready(app: PybsApp, pilot: Any) -> None:
    """The catalog is shown (quicker than conftest.ready: no waits for an idle process)."""
    await wait_until(
        pilot,
        lambda: (
            app.index is not None
            and not app.loading_catalog
            and app.browse_screen is not None
            and bool(app.browse_screen.table.rows)
        ),
    )


async def tap(pilot: Any, *keys: str) -> float:
    """Press keys without Pilot's wait for an idle process (never idle while installs
    stream); returns the monotonic time of the first key."""
    start = time.monotonic()
    for key in keys:
        pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause(0.02)
    return start


async def install_via_ui(app: PybsApp, pilot: Any, name: str) -> InstallJob:
    """Highlight `name` in the browser, press i, confirm with y; the new job."""
    if not isinstance(app.screen, BrowseScreen):
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BrowseScreen))
    table = app.screen.table
    table.cursor = [b.name for b in table.rows].index(name)
    await pilot.pause()
    before = set(app.jobs)
    await tap(pilot, "i")
    await wait_until(pilot, lambda: isinstance(app.screen, ConfirmInstall))
    await tap(pilot, "y")
    await wait_until(pilot, lambda: set(app.jobs) - before != set())
    return app.jobs[max(set(app.jobs) - before)]


async def open_installs(app: PybsApp, pilot: Any) -> InstallsScreen:
    await tap(pilot, "J")
    await wait_until(pilot, lambda: isinstance(app.screen, InstallsScreen))
    return app.screen  # type: ignore[return-value]


def pane_of(app: PybsApp, job: InstallJob) -> InstallPane:
    screen = app.screen
    assert isinstance(screen, InstallsScreen)
    pane = screen.pane(job.id)
    assert pane is not None
    return pane


def leftovers(settings: Settings) -> list[str]:
    """Partial downloads and staging folders (a cancelled install must leave none)."""
    parts = (
        [p.name for p in settings.downloads_dir.glob("*.part*")]
        if settings.downloads_dir.exists()
        else []
    )
    return parts + staging_left(settings.install_dir)


def hold_in_extract(cancel_seen: list[float]) -> Callable[..., Any]:
    """install_build whose first install waits at its first extract report for the cancel
    (at most 10 s): a slow extraction without touching the extractor."""
    calls: list[str] = []

    def installer(
        settings: Settings, build: Build, *, progress: Any, cancel: Any, **kwargs: Any
    ) -> Any:
        first = not calls
        calls.append(build.name)
        held = False

        def report(p: Progress) -> None:
            nonlocal held
            progress(p)
            if first and p.phase == "extract" and not held:
                held = True
                if cancel.wait(10):
                    cancel_seen.append(time.monotonic())

        return install_build(settings, build, progress=report, cancel=cancel, **kwargs)

    return installer


# -- the tests ----------------------------------------------------------------------------------


async def test_install_flow_confirm_phases_done_flags_and_receipt(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    app, notes = make_app(settings, [build], tmp_path)
    phases: list[str] = []

    def hook(message: object) -> None:
        if isinstance(message, InstallProgress) and (
            not phases or phases[-1] != message.progress.phase
        ):
            phases.append(message.progress.phase)

    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        await ready(app, pilot)
        assert app.screen.table.rows[0].name == name
        await tap(pilot, "i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmInstall))
        text = app.screen.text
        target = settings.install_dir / install_dir_name(name)
        assert name in text and "install_only" in text and "release 20240415" in text
        assert f"{humanize.naturalsize(archive.size)} download" in text
        assert str(target) in "".join(line.strip() for line in text.splitlines())
        assert "free" in text and "Not enough" not in text
        await tap(pilot, "y")
        await open_installs(app, pilot)
        job = next(iter(app.jobs.values()))
        await wait_until(pilot, lambda: job.phase == "done")
        await pilot.pause()
        pane = pane_of(app, job)
        shown = pane.text
        assert "done" in shown and "installed at" in shown
        for chip in ("version 3.12.3 ✓", "Py_DEBUG 0 ✓", "Py_GIL_DISABLED 0 ✓", "abiflags '' ✓"):
            assert chip in shown, shown
        assert pane.has_class("-done") and not pane.error.display
        # every step was seen, in order
        assert phases[-1] == "done" and phases.index("download") < phases.index(
            "extract"
        ) < phases.index("probe")
        receipt = read_receipt(target)
        assert receipt is not None and receipt["name"] == name
        assert any("installed 3.12.3" in m for m in notes.messages)
        # the browser's ✓ mark follows
        await wait_until(pilot, lambda: name in app.index.installed)
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BrowseScreen))
        # i again: the dialog says it is there already
        await tap(pilot, "i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmInstall))
        assert "Already installed" in app.screen.text
        await tap(pilot, "J")  # not from inside the dialog
        await pilot.pause(0.05)
        assert isinstance(app.screen, ConfirmInstall)
        await tap(pilot, "n")
        await wait_until(pilot, lambda: isinstance(app.screen, BrowseScreen))
        await tap(pilot, "question_mark")  # the keys are in the help
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = app.screen.text
        for words in ("Installs", "Installed", "Cancel", "Clear ended"):
            assert words in help_text, words


async def test_confirm_warns_when_the_disk_is_too_small_and_cancel_installs_nothing(
    settings, server, tmp_path
):
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    small = dataclasses.replace(settings, disk_usage=FakeDisk(free=1000))
    app, _ = make_app(small, [build], tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await tap(pilot, "i")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmInstall))
        assert "Not enough disk space" in app.screen.text
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BrowseScreen))
        assert not app.jobs


async def test_cancel_mid_download_stops_within_a_second_and_reinstalls(settings, server, tmp_path):
    name, archive = big_archive()
    build = serve(server, name, archive)
    slow(server, name, archive)
    app, notes = make_app(settings, [build], tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.phase == "download" and job.done > 0)
        pane = pane_of(app, job)
        await pilot.pause(0.15)
        assert "download" in pane.text and "/s" in pane.text and "ETA" in pane.text
        await wait_until(pilot, lambda: app.focused is pane, timeout=2)
        pressed = await tap(pilot, "x")
        await wait_until(pilot, lambda: job.ended and job.worker.is_finished)
        took = time.monotonic() - pressed
        assert took < 1.0, took
        assert job.phase == "cancelled" and leftovers(settings) == []
        assert not list(iter_receipts(settings))
        assert any("cancelled" in m for m in notes.messages)
        # responsive, and the same build installs at once
        fast(server, name, archive)
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: isinstance(app.screen, BrowseScreen), timeout=1)
        again = await install_via_ui(app, pilot, name)
        await wait_until(pilot, lambda: again.ended)
        assert again.phase == "done", again.error
        assert [r["name"] for _, r in iter_receipts(settings)] == [name]


async def test_cancel_mid_extract_removes_the_staging(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    cancel_seen: list[float] = []
    app, _ = make_app(settings, [build], tmp_path, installer=hold_in_extract(cancel_seen))
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.phase == "extract")
        assert staging_left(settings.install_dir)  # extraction is under way
        pressed = await tap(pilot, "x")
        await wait_until(pilot, lambda: job.ended and job.worker.is_finished)
        took = time.monotonic() - pressed
        assert took < 1.0 and cancel_seen, took
        assert job.phase == "cancelled" and leftovers(settings) == []
        assert not list(iter_receipts(settings))


async def test_sha256_mismatch_is_red_in_the_pane_and_nothing_is_installed(
    settings, server, tmp_path
):
    name, archive = pbs_archive(version="3.12.3")
    build = dataclasses.replace(serve(server, name, archive), sha256="0" * 64)
    app, notes = make_app(settings, [build], tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.ended)
        await pilot.pause()
        pane = pane_of(app, job)
        assert job.phase == "failed" and "sha256 mismatch" in job.error
        assert "sha256 mismatch" in pane.text and pane.error.display
        assert pane.error.styles.color == Color.parse(app.theme_variables["error"])
        assert any("sha256 mismatch" in m for m in notes.messages)
        assert not list(iter_receipts(settings)) and leftovers(settings) == []
        await tap(pilot, "escape")  # still running, still answering
        await wait_until(pilot, lambda: isinstance(app.screen, BrowseScreen), timeout=1)


async def test_probe_mismatch_names_the_flag_in_red(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3", flavor="full", options="debug", debug=False)
    build = serve(server, name, archive)
    assert build.py_debug and build.flavor == "full"
    app, _ = make_app(settings, [build], tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.ended)
        await pilot.pause()
        pane = pane_of(app, job)
        assert job.phase == "failed"
        assert "probe mismatch" in pane.text and "Py_DEBUG=0" in pane.text
        assert "Py_DEBUG ✗" in pane.text and pane.has_class("-failed")
        assert not list(iter_receipts(settings))


async def test_lock_held_by_another_installer_waits_then_installs(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    app, _ = make_app(settings, [build], tmp_path)
    locks = settings.install_dir / ".locks"
    locks.mkdir(parents=True)
    other = filelock.FileLock(str(locks / f"{name}.lock"))
    other.acquire()
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(app, pilot)
            job = await install_via_ui(app, pilot, name)
            await open_installs(app, pilot)
            await wait_until(pilot, lambda: job.phase == "lock")
            await pilot.pause(0.3)
            assert job.phase == "lock"
            assert "waiting for another pybs-tui installing" in pane_of(app, job).text
            other.release()
            await wait_until(pilot, lambda: job.ended)
            assert job.phase == "done", job.error
    finally:
        other.release()


async def test_root_lock_busy_fails_with_a_clear_message(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    app, _ = make_app(settings, [build], tmp_path, lock_timeout=0.3)
    settings.install_dir.mkdir(parents=True)
    with filelock.FileLock(str(settings.install_dir / ".lock")):
        async with app.run_test(size=(120, 36)) as pilot:
            await ready(app, pilot)
            job = await install_via_ui(app, pilot, name)
            await open_installs(app, pilot)
            await wait_until(pilot, lambda: job.ended)
            await pilot.pause()
            assert job.phase == "failed"
            assert "another pybs-tui is installing or removing" in pane_of(app, job).text
    assert not list(iter_receipts(settings)) and leftovers(settings) == []


async def test_three_installs_with_a_cap_of_two_queue_one(settings, server, tmp_path):
    builds = []
    for version in ("3.12.3", "3.11.9", "3.10.14"):
        name, archive = pbs_archive(version=version)
        builds.append(serve(server, name, archive))
    gates = {b.name: threading.Event() for b in builds}

    def gated(settings: Settings, build: Build, **kwargs: Any) -> Any:
        """install_build once the test opens this build's gate (a cancel stops the wait)."""
        while not gates[build.name].wait(0.05):
            check_cancel(kwargs["cancel"])
        return install_build(settings, build, **kwargs)

    settings.limits.max_concurrent_installs = 2
    app, _ = make_app(settings, builds, tmp_path, installer=gated)
    most = 0

    def hook(message: object) -> None:
        nonlocal most
        most = max(most, sum(1 for j in app.jobs.values() if j.running))

    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        await ready(app, pilot)
        jobs = [await install_via_ui(app, pilot, b.name) for b in builds]
        screen = await open_installs(app, pilot)
        await pilot.pause(0.1)
        assert [j.phase for j in jobs] == ["start", "start", "queued"]
        assert "queued" in pane_of(app, jobs[2]).text
        assert "1 queued" in str(screen.query_one("#installs-summary").render())
        gates[builds[1].name].set()  # the second one finishes: the third takes its slot
        await wait_until(pilot, lambda: jobs[2].phase != "queued")
        assert jobs[1].phase == "done" and not jobs[0].ended
        for gate in gates.values():
            gate.set()
        await wait_until(pilot, lambda: all(j.ended for j in jobs))
        assert [j.phase for j in jobs] == ["done"] * 3 and most == 2
        assert len(list(iter_receipts(settings))) == 3
        # ended jobs can be cleared from the list
        await tap(pilot, "delete")
        await wait_until(pilot, lambda: not app.jobs and not screen.panes())


async def test_a_queued_job_cancels_at_once_and_a_crash_is_an_error_not_a_crash(
    settings, server, tmp_path
):
    name, archive = big_archive()
    build = serve(server, name, archive)
    slow(server, name, archive)
    other_name, other_archive = pbs_archive(version="3.11.9")
    other = serve(server, other_name, other_archive)
    settings.limits.max_concurrent_installs = 1

    def installer(settings: Settings, build: Build, **kwargs: Any) -> Any:
        if build.name == other_name:
            raise RuntimeError("boom")
        return install_build(settings, build, **kwargs)

    app, notes = make_app(settings, [build, other], tmp_path, installer=installer)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        first = await install_via_ui(app, pilot, name)
        second = await install_via_ui(app, pilot, other_name)
        assert second.phase == "queued"
        await open_installs(app, pilot)
        await tap(pilot, "down")  # focus the queued one
        await wait_until(pilot, lambda: app.focused is pane_of(app, second))
        await tap(pilot, "x")
        await wait_until(pilot, lambda: second.phase == "cancelled")
        assert second.worker is None and first.phase == "download"
        await tap(pilot, "i")  # again: it is the crashing one
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmInstall))
        await tap(pilot, "y")
        await wait_until(pilot, lambda: len(app.jobs) == 3)
        third = app.jobs[max(app.jobs)]
        assert third.build.name == other_name and third.phase == "queued"
        await tap(pilot, "up", "up", "x")  # cancel the slow one, the crashing one starts
        await wait_until(pilot, lambda: first.ended and third.ended)
        assert first.phase == "cancelled" and third.phase == "failed"
        assert "install crashed" in third.error and "boom" in third.error
        assert any("boom" in m for m in notes.messages)
        assert app.is_running


async def test_installed_screen_key_and_marks_after_uninstall(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    install_build(settings, build)
    app, _ = make_app(settings, [build], tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        assert name in app.index.installed
        await tap(pilot, "I")
        await wait_until(pilot, lambda: isinstance(app.screen, InstalledScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.table.row_count == 1)
        await tap(pilot, "u")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmUninstall))
        await tap(pilot, "y")
        await wait_until(pilot, lambda: name not in app.index.installed)
        assert not list(iter_receipts(settings))


def test_progress_poster_throttles_but_passes_every_phase():
    posted: list[InstallProgress] = []

    class FakeApp:
        def post_message(self, message: InstallProgress) -> None:
            posted.append(message)

    now = [0.0]
    poster = ProgressPoster(FakeApp(), 7, clock=lambda: now[0])  # type: ignore[arg-type]
    for i in range(100):  # 100 reports in 0.5 s
        now[0] = i * 0.005
        poster(Progress("download", i, 100))
    poster(Progress("download", 100, 100, message="retry 1/4 in 1s"))
    poster(Progress("verify", 100, 100))
    poster(Progress("extract", 1))
    poster(Progress("done", message="installed"))
    phases = [m.progress.phase for m in posted]
    assert phases.count("download") <= 8 and phases[-3:] == ["verify", "extract", "done"]
    assert any(m.progress.message.startswith("retry") for m in posted)
    older, newer = posted[0], posted[1]
    assert older.can_replace(newer) and not posted[-2].can_replace(posted[-1])


def test_flag_checks_colour_what_the_catalog_promised():
    name, archive = pbs_archive(version="3.13.1", flavor="full", options="freethreaded+pgo+lto")
    from tests.install.helpers import build_for

    build = build_for(name, archive, "http://127.0.0.1:9/x")
    probe = {
        "version": "3.13.1",
        "Py_DEBUG": 0,
        "Py_GIL_DISABLED": 1,
        "abiflags": "t",
        "CONFIG_ARGS": "'--with-lto'",
        "PGO": False,
        "LTO": True,
    }
    checks = {c.label: c.ok for c in flag_checks(build, probe)}
    assert checks == {
        "version": True,
        "Py_DEBUG": True,
        "Py_GIL_DISABLED": True,
        "abiflags": True,
        "PGO": False,
        "LTO": True,
    }
