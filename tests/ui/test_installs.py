"""Installs in the app through Pilot: confirm, progress panes, cancel, failures, the cap.

PBS-shaped archives (a /bin/sh stand-in python3 answers the probe) are served by the loopback
server; the App gets injected Settings, a small Catalog of those builds and this machine's
Host, and the real pipeline runs in the App's workers. An install is asked for the way the
browser's i and the palette ask (an InstallRequested message to the App), so these tests do
not depend on the browser's layout. The last tests use the fixed catalog of tests/ui/factory
and jobs put in `app.jobs` by hand (no worker runs).
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
import pytest
from rich.color import Color as RichColor
from rich.style import Style
from textual import events
from textual.color import Color
from textual.widget import Widget

from pybs_tui.catalog.models import Build, Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.host import detect_host
from pybs_tui.install.probe import ProbeCheck, ProbeMismatch, probe_checks
from pybs_tui.install.receipts import install_dir_name, iter_receipts, read_receipt
from pybs_tui.progress import Progress, Throttle, check_cancel
from pybs_tui.service.install import install_build
from pybs_tui.service.jobs import InstallJob
from pybs_tui.settings import Settings
from pybs_tui.ui.app import PybsApp
from pybs_tui.ui.messages import InstallRequested, JobProgress, JobsChanged
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from pybs_tui.ui.screens.help import HelpScreen
from pybs_tui.ui.screens.installs import InstallsScreen
from pybs_tui.ui.widgets.install_pane import InstallPane, check_kind, chip_text
from pybs_tui.units import format_size
from tests.install.helpers import TAG, host_triple, pbs_archive, serve, staging_left
from tests.support.archives import Archive, Member, asset_name
from tests.support.server import Route
from tests.ui.conftest import Recorder
from tests.ui.factory import FakeDisk

pytestmark = pytest.mark.anyio

BIG = 1_000_000  # an incompressible member: the archive is ~1 MB
SLOW_RATE = 200_000  # bytes/s: ~5 s for the big archive, far longer than any test waits
POLL = 0.01  # seconds between looks at the app while waiting for a state


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


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 15.0) -> float:
    """Let the app run until `predicate()` holds (at most `timeout` s); the seconds it took."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "timed out waiting"
        await pilot.pause(POLL)
    return time.monotonic() - start


async def ready(app: PybsApp, pilot: Any) -> None:
    """The catalog is loaded and indexed."""
    await wait_until(pilot, lambda: app.index is not None and not app.loading_catalog)


async def tap(pilot: Any, *keys: str) -> float:
    """Press keys without Pilot's wait for an idle process (never idle while installs
    stream); returns the monotonic time of the first key."""
    start = time.monotonic()
    for key in keys:
        pilot.app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause(POLL)
    return start


def jobs_of(app: PybsApp) -> dict[int, InstallJob]:
    return app.jobs.jobs


def dialog_shown(app: PybsApp) -> bool:
    """The confirm dialog is up, buttons and all."""
    return isinstance(app.screen, ConfirmInstall) and bool(app.screen.query("#install-yes"))


async def ask_install(app: PybsApp, pilot: Any, name: str) -> ConfirmInstall:
    """Ask for an install as the browser's i does; the confirm dialog that opens."""
    app.post_message(InstallRequested(app.index.by_name[name]))
    await wait_until(pilot, lambda: dialog_shown(app))
    return app.screen  # type: ignore[return-value]


async def install_via_ui(app: PybsApp, pilot: Any, name: str) -> InstallJob:
    """Ask for `name`, confirm with y; the new job."""
    before = set(jobs_of(app))
    await ask_install(app, pilot, name)
    await tap(pilot, "y")
    await wait_until(pilot, lambda: set(jobs_of(app)) - before != set())
    return jobs_of(app)[max(set(jobs_of(app)) - before)]


async def open_installs(app: PybsApp, pilot: Any) -> InstallsScreen:
    await tap(pilot, "J")
    await wait_until(pilot, lambda: isinstance(app.screen, InstallsScreen))
    return app.screen  # type: ignore[return-value]


async def drawn(pilot: Any, pane: InstallPane) -> InstallPane:
    """Wait until the pane has drawn its job's current phase (the App tells the screen with
    a JobsChanged message, a moment after the job's state changed)."""
    await wait_until(pilot, lambda: pane.is_mounted and pane.shown_phase == pane.job.phase)
    return pane


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


def theme_color(app: PybsApp, variable: str) -> RichColor:
    return Color.parse(app.theme_variables[variable]).rich_color


def _drawn_style(widget: Widget, text: str) -> Style | None:
    """The style of the drawn segment that holds `text` (None: not drawn yet)."""
    for y in range(widget.size.height):
        for segment in widget.render_line(y):
            if text in segment.text and segment.style is not None:
                return segment.style
    return None


async def colour_of(pilot: Any, widget: Widget, text: str) -> RichColor | None:
    """The foreground colour `text` is drawn with in the widget, once it is drawn."""
    await wait_until(pilot, lambda: _drawn_style(widget, text) is not None)
    style = _drawn_style(widget, text)
    return style.color if style is not None else None


# -- installs through the App's workers ---------------------------------------------------------


async def test_install_flow_confirm_phases_done_flags_and_receipt(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3", flavor="full", options="pgo+lto")
    build = serve(server, name, archive)
    app, notes = make_app(settings, [build], tmp_path)
    phases: list[str] = []

    def hook(message: object) -> None:
        if isinstance(message, JobProgress) and (
            not phases or phases[-1] != message.progress.phase
        ):
            phases.append(message.progress.phase)

    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        await ready(app, pilot)
        dialog = await ask_install(app, pilot, name)
        text = dialog.text
        target = settings.install_dir / install_dir_name(name)
        assert name in text and "full · options pgo+lto" in text and "release 20240415" in text
        assert f"{format_size(archive.size)} (" in text and "unpacked about" in text
        assert str(target) in "".join(line.strip() for line in text.splitlines())
        assert "free" in text and "known (" in text and "not enough" not in text.lower()
        await tap(pilot, "y")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmInstall))
        await open_installs(app, pilot)
        job = next(iter(jobs_of(app).values()))
        await wait_until(pilot, lambda: job.phase == "done")
        pane = await drawn(pilot, pane_of(app, job))
        shown = pane.text
        assert "done" in shown and f"installed at {target}" in shown
        for chip in (
            "version 3.12.3 ✓",
            "Py_DEBUG 0 ✓",
            "Py_GIL_DISABLED 0 ✓",
            "abiflags '' ✓",
            "PGO yes ✓",
            "LTO yes ✓",
        ):
            assert chip in shown, shown
        assert set(pane.chips().values()) == {"ok"}
        assert await colour_of(pilot, pane.flags, "PGO yes ✓") == theme_color(app, "success")
        assert pane.has_class("-done") and not pane.error.display and not pane.warning.display
        # the title and the notification name the build by its options, not "default full"
        assert pane.border_title == job.label == "3.12.3 default pgo+lto full"
        assert any("3.12.3 default pgo+lto full installed" in m for m in notes.messages)
        assert not any("default full" in m for m in notes.messages)
        # every step was seen, in order
        assert phases[-1] == "done" and phases.index("download") < phases.index(
            "extract"
        ) < phases.index("probe")
        receipt = read_receipt(target)
        assert receipt is not None and receipt["name"] == name
        # the browser's ✓ mark follows
        await wait_until(pilot, lambda: name in app.index.installed)
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstallsScreen))
        # asked again: the dialog says it is there already
        dialog = await ask_install(app, pilot, name)
        assert "Already installed" in dialog.text
        await tap(pilot, "J")  # not from inside the dialog
        await pilot.pause()
        assert isinstance(app.screen, ConfirmInstall)
        await tap(pilot, "n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmInstall))
        assert len(jobs_of(app)) == 1
        await tap(pilot, "question_mark")  # the keys of the Installs screen are in the help
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = app.screen.text
        for words in ("Installs", "Installed", "Cancel", "Again", "Clear ended"):
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
        dialog = await ask_install(app, pilot, name)
        assert "Not enough disk space" in dialog.text
        warning = dialog.query_one(".install-warning")
        assert "Not enough disk space" in str(warning.render())
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmInstall))
        assert not jobs_of(app)


async def test_cancel_mid_download_stops_within_a_second_and_reinstalls(settings, server, tmp_path):
    name, archive = big_archive()
    build = serve(server, name, archive)
    slow(server, name, archive)
    app, notes = make_app(settings, [build], tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        pane = pane_of(app, job)
        await wait_until(pilot, lambda: job.phase == "download" and job.rate and "ETA" in pane.text)
        assert "download" in pane.text and "/s" in pane.text
        await wait_until(pilot, lambda: app.focused is pane, timeout=2)
        await tap(pilot, "x")
        await wait_until(pilot, lambda: job.ended and job.handle.is_finished)
        assert job.done < archive.size  # stopped mid-download (the whole takes ~5 s)
        assert job.phase == "cancelled" and leftovers(settings) == []
        await drawn(pilot, pane)
        assert "nothing was left behind" in pane.text
        assert not list(iter_receipts(settings))
        assert any("cancelled" in m for m in notes.messages)
        # responsive, and the same build installs at once
        fast(server, name, archive)
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstallsScreen), timeout=1)
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
        await wait_until(pilot, lambda: app.focused is pane_of(app, job), timeout=2)
        await tap(pilot, "x")
        await wait_until(pilot, lambda: job.ended and job.handle.is_finished)
        assert cancel_seen  # the extraction saw the cancel (it holds up to 10 s otherwise)
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
        pane = await drawn(pilot, pane_of(app, job))
        assert job.phase == "failed" and "sha256 mismatch" in job.error
        assert "sha256 mismatch" in pane.text and pane.error.display
        assert not pane.flags.display  # no probe ran: no flags to show
        assert pane.error.styles.color == Color.parse(app.theme_variables["error"])
        assert await colour_of(pilot, pane.error, "sha256 mismatch") == theme_color(app, "error")
        assert pane.has_class("-failed")
        assert any("sha256 mismatch" in m for m in notes.messages)
        assert not list(iter_receipts(settings)) and leftovers(settings) == []
        await tap(pilot, "escape")  # still running, still answering
        await wait_until(pilot, lambda: not isinstance(app.screen, InstallsScreen), timeout=1)


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
        pane = await drawn(pilot, pane_of(app, job))
        assert job.phase == "failed"
        assert "probe mismatch" in pane.text and "Py_DEBUG=0" in pane.text
        assert "Py_DEBUG 0 ✗" in pane.text and pane.has_class("-failed")
        assert pane.chips()["Py_DEBUG"] == "failed" and pane.chips()["version"] == "ok"
        assert pane.chips()["abiflags"] == "warning"  # it only restates Py_DEBUG
        assert await colour_of(pilot, pane.flags, "Py_DEBUG 0 ✗") == theme_color(app, "error")
        assert await colour_of(pilot, pane.flags, "version 3.12.3 ✓") == theme_color(app, "success")
        assert not list(iter_receipts(settings))


async def test_probe_mismatch_flags_come_from_the_jobs_checks_not_the_error_text(
    settings, server, tmp_path
):
    """The pane reads the structured checks the installer raised: the error line here names
    no flag, yet the broken ones are red and the kept ones green."""
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    checks = [
        ProbeCheck("version", "3.12.3", "3.12.3", True),
        ProbeCheck("Py_GIL_DISABLED", "0", "1", False, problem="it is not what it was sold as"),
        ProbeCheck("abiflags", "''", "'t'", False, problem="and neither are its suffixes"),
        ProbeCheck("LTO", "yes", "no", False, "name", "nor how it was built"),
        ProbeCheck("PGO", None, "no", None),
    ]

    def installer(settings: Settings, build: Build, **kwargs: Any) -> Any:
        raise ProbeMismatch(checks)

    app, _ = make_app(settings, [build], tmp_path, installer=installer)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.ended)
        pane = await drawn(pilot, pane_of(app, job))
        assert job.phase == "failed" and job.checks == checks
        for flag in ("Py_GIL_DISABLED", "LTO", "abiflags", "PGO"):
            assert flag not in job.error and flag not in str(pane.error.render())
        assert "it is not what it was sold as; nor how it was built" in pane.text
        assert pane.chips() == {
            "version": "ok",
            "Py_GIL_DISABLED": "failed",
            "abiflags": "warning",
            "LTO": "failed",
            "PGO": "none",
        }
        error, success = theme_color(app, "error"), theme_color(app, "success")
        assert await colour_of(pilot, pane.flags, "Py_GIL_DISABLED 1 ✗") == error
        assert await colour_of(pilot, pane.flags, "LTO no ✗") == error
        assert await colour_of(pilot, pane.flags, "version 3.12.3 ✓") == success
        assert await colour_of(pilot, pane.flags, "abiflags 't' ✗") == theme_color(app, "warning")
        assert await colour_of(pilot, pane.flags, "PGO no") not in (error, success)
        assert "nor how it was built" in str(pane.flags.tooltip)


async def test_an_inferred_mismatch_is_a_warning_not_a_failure(settings, server, tmp_path):
    """install_only archives promise no optimisation in their name: the catalog infers PGO and
    LTO from the release's best full build. An interpreter without PGO still installs; its
    pane shows PGO in yellow, marked inferred, and says why."""
    name, archive = pbs_archive(version="3.12.3", config_args="'--with-lto'")
    build = serve(server, name, archive)
    full = parse_name(asset_name("3.12.3", TAG, host_triple(), "pgo+lto", "full"))
    assert full is not None and full.flavor == "full"  # listed only: infers the flags
    app, notes = make_app(settings, [build, full], tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        assert job.inferred["PGO"][0] is True and job.inferred["LTO"][0] is True
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.ended)
        pane = await drawn(pilot, pane_of(app, job))
        assert job.phase == "done", job.error
        assert [r["name"] for _, r in iter_receipts(settings)] == [name]
        assert pane.chips()["PGO"] == "warning" and pane.chips()["LTO"] == "ok"
        assert "PGO no ✗ (inferred)" in pane.text and "LTO yes ✓ (inferred)" in pane.text
        assert await colour_of(pilot, pane.flags, "PGO no ✗ (inferred)") == theme_color(
            app, "warning"
        )
        assert await colour_of(pilot, pane.flags, "LTO yes ✓ (inferred)") == theme_color(
            app, "success"
        )
        assert pane.warning.display and "lacks --enable-optimizations" in pane.text
        assert pane.has_class("-done") and not pane.error.display
        assert "inferred: cut from this release's pgo+lto full build" in str(pane.flags.tooltip)
        assert any("lacks --enable-optimizations" in m for m in notes.messages)


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
            pane = pane_of(app, job)
            await wait_until(pilot, lambda: "waiting for another pybs-tui installing" in pane.text)
            assert job.phase == "lock" and not job.ended  # it waits, it does not fail
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
            pane = await drawn(pilot, pane_of(app, job))
            assert job.phase == "failed"
            assert "another pybs-tui is installing or removing" in pane.text
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
        most = max(most, app.jobs.running)

    async with app.run_test(size=(120, 36), message_hook=hook) as pilot:
        await ready(app, pilot)
        jobs = [await install_via_ui(app, pilot, b.name) for b in builds]
        screen = await open_installs(app, pilot)
        await wait_until(pilot, lambda: len(screen.panes()) == 3)
        assert [j.phase for j in jobs] == ["start", "start", "queued"]
        await wait_until(pilot, lambda: "waits for a free slot" in pane_of(app, jobs[2]).text)
        assert "1 queued" in str(screen.query_one("#installs-summary").render())
        assert "2 running" in str(screen.query_one("#installs-summary").render())
        gates[builds[1].name].set()  # the second one finishes: the third takes its slot
        await wait_until(pilot, lambda: jobs[2].phase != "queued")
        assert jobs[1].phase == "done" and not jobs[0].ended
        for gate in gates.values():
            gate.set()
        await wait_until(pilot, lambda: all(j.ended for j in jobs))
        assert [j.phase for j in jobs] == ["done"] * 3 and most == 2
        assert len(list(iter_receipts(settings))) == 3
        await wait_until(
            pilot, lambda: "3 done" in str(screen.query_one("#installs-summary").render())
        )
        # ended jobs can be cleared from the list
        await tap(pilot, "delete")
        await wait_until(pilot, lambda: not jobs_of(app) and not screen.panes())
        assert screen.query_one("#installs-empty").display


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
        assert second.handle is None and first.phase == "download"
        await tap(pilot, "i")  # again: it is the crashing one
        await wait_until(pilot, lambda: dialog_shown(app))
        await tap(pilot, "y")
        await wait_until(pilot, lambda: len(jobs_of(app)) == 3)
        third = jobs_of(app)[max(jobs_of(app))]
        assert third.build.name == other_name and third.phase == "queued"
        await wait_until(pilot, lambda: isinstance(app.screen, InstallsScreen))
        await wait_until(pilot, lambda: app.screen.pane(third.id) is not None)
        await tap(pilot, "up", "up", "x")  # cancel the slow one, the crashing one starts
        await wait_until(pilot, lambda: first.ended and third.ended)
        assert first.phase == "cancelled" and third.phase == "failed"
        assert "install crashed" in third.error and "boom" in third.error
        pane = await drawn(pilot, pane_of(app, third))
        assert "boom" in pane.text and pane.has_class("-failed")
        assert any("boom" in m for m in notes.messages)
        assert app.is_running


async def test_a_done_pane_says_removed_since_after_an_uninstall(settings, server, tmp_path):
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    app, _ = make_app(settings, [build], tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        screen = await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.ended and name in app.index.installed)
        pane = pane_of(app, job)
        await wait_until(pilot, lambda: "installed at" in pane.text)
        assert "removed since" not in pane.text and pane.has_class("-done")
        app.remove_installs([job.target.name])  # as the Installed screen's u does
        await wait_until(pilot, lambda: name not in app.index.installed)
        await wait_until(pilot, lambda: "removed since" in pane.text)
        assert not job.target.exists()
        assert f"was installed at {job.target}, removed since" in pane.text
        assert pane.border_subtitle == "removed since" and pane.has_class("-removed")
        assert not pane.has_class("-done")
        assert "1 removed since" in str(screen.query_one("#installs-summary").render())
        # it can be installed again from here
        await wait_until(pilot, lambda: app.focused is pane, timeout=2)
        await tap(pilot, "i")
        await wait_until(pilot, lambda: dialog_shown(app))
        assert "Already installed" not in app.screen.text


# -- the screen and the dialog on the fixed catalog (no worker runs) ----------------------------

PGO_LTO_FULL = "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-pgo+lto-full.tar.zst"
STRIPPED = "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz"


async def loaded(app: PybsApp, pilot: Any) -> InstallsScreen:
    await ready(app, pilot)
    screen = InstallsScreen()
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def test_panes_follow_jobs_changed_and_show_outside_text_as_it_is(make_app):
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await loaded(app, pilot)
        assert screen.query_one("#installs-empty").display and not screen.panes()
        build = app.index.by_name[PGO_LTO_FULL]
        job = app.jobs.add(build, app.settings.install_dir / "x")
        app.broadcast(lambda: JobsChanged([job.id], added=True))
        await wait_until(pilot, lambda: screen.pane(job.id) is not None)
        pane = screen.pane(job.id)
        await wait_until(pilot, lambda: pane.is_mounted and app.focused is pane)
        assert pane.border_title == "3.13.1 default pgo+lto full"
        assert not screen.query_one("#installs-empty").display
        # a second JobsChanged for the same job adds nothing
        app.broadcast(lambda: JobsChanged([job.id], added=True))
        await pilot.pause()
        assert len(screen.panes()) == 1
        # markup and control characters from outside are shown, not obeyed
        app.jobs.failed(job.id, "[b red]boom[/] \x1b[31m in [link=x]here[/link]")
        app.broadcast(lambda: JobsChanged([job.id]))
        await wait_until(pilot, lambda: pane.error.display)
        assert "[b red]boom[/] \\x1b[31m in [link=x]here[/link]" in str(pane.error.render())
        assert "failed" in str(screen.query_one("#installs-summary").render())
        app.clear_ended_jobs()
        await wait_until(pilot, lambda: not screen.panes())
        assert screen.query_one("#installs-empty").display


def test_chips_colour_what_the_catalog_promised():
    build = parse_name(
        "cpython-3.13.1+20241206-x86_64-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst"
    )
    assert build is not None
    probe = {
        "version": "3.13.1",
        "Py_DEBUG": 0,
        "Py_GIL_DISABLED": 1,
        "abiflags": "t",
        "CONFIG_ARGS": "'--with-lto'",
    }
    checks = probe_checks(build, probe)
    assert {c.flag: check_kind(c) for c in checks} == {
        "version": "ok",
        "Py_DEBUG": "ok",
        "Py_GIL_DISABLED": "ok",
        "abiflags": "ok",
        "PGO": "failed",
        "LTO": "ok",
    }
    assert [chip_text(c) for c in checks][-2:] == ["PGO no ✗", "LTO yes ✓"]
    stripped = parse_name(STRIPPED)
    assert stripped is not None
    inferred = {"PGO": (True, "inferred: cut from a pgo+lto build"), "LTO": (True, "inferred")}
    checks = probe_checks(stripped, probe | {"Py_GIL_DISABLED": 0, "abiflags": ""}, inferred)
    assert [chip_text(c) for c in checks][-2:] == ["PGO no ✗ (inferred)", "LTO yes ✓ (inferred)"]
    assert [check_kind(c) for c in checks][-2:] == ["warning", "ok"]


def test_throttle_passes_every_phase_and_progress_messages_replace_their_own_phase():
    """What the App's install thread sends: at most ~10 reports a second, but every new
    phase and message; a queued report is replaced only by one of the same job and phase."""
    now = [0.0]
    throttle = Throttle(clock=lambda: now[0])
    sent: list[Progress] = []

    def report(p: Progress) -> None:
        if throttle.ready(p.phase, p.message):
            sent.append(p)

    for i in range(100):  # 100 reports in 0.5 s
        now[0] = i * 0.005
        report(Progress("download", i, 100))
    report(Progress("download", 100, 100, message="retry 1/4 in 1s"))
    for phase in ("verify", "extract", "done"):
        report(Progress(phase))
    phases = [p.phase for p in sent]
    assert phases.count("download") <= 8 and phases[-3:] == ["verify", "extract", "done"]
    assert any(p.message.startswith("retry") for p in sent)
    older, newer = JobProgress(7, sent[0]), JobProgress(7, sent[1])
    assert newer.can_replace(older)
    assert not JobProgress(7, sent[-1]).can_replace(JobProgress(7, sent[-2]))
    assert not JobProgress(8, sent[1]).can_replace(older)


async def test_confirm_shows_the_service_plan(make_app, tmp_path):
    app, _ = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(app, pilot)
        build = app.index.by_name[STRIPPED]
        dialog = await ask_install(app, pilot, STRIPPED)
        text = dialog.text
        plan = dialog.plan
        assert plan.build.name == STRIPPED and plan.target == app.settings.install_dir / (
            install_dir_name(STRIPPED)
        )
        assert "3.13.1 · default · release 20241206" in text and "linux-x86_64-gnu" in text
        assert "flags PGO* LTO* stripped" in text  # inferred ones marked *
        assert "* inferred: cut from this release's pgo+lto full build" in text
        assert f"{format_size(build.size)} (" in text and "unpacked about" in text
        assert "60.0 GB on" in text and f"known ({build.sha256[:12]}" in text
        assert "uv picks" not in text  # uv downloads this very archive
        await tap(pilot, "n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmInstall))
        # a full build: uv would download another archive for the same request
        dialog = await ask_install(app, pilot, PGO_LTO_FULL)
        assert f"uv picks  {STRIPPED} for cpython-3.13.1-linux-x86_64-gnu" in dialog.text
        assert "flags PGO LTO" in dialog.text and "inferred:" not in dialog.text
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmInstall))
        # something else at the target: the dialog says the install will stop
        blocked = app.settings.install_dir / install_dir_name(STRIPPED)
        blocked.mkdir(parents=True)
        dialog = await ask_install(app, pilot, STRIPPED)
        assert "The install will stop:" in dialog.text and "not a pybs-tui install" in dialog.text
        assert dialog.query(".install-warning")
        dialog.action_confirm()  # y twice before the dialog is gone: asked once, queued once
        dialog.action_confirm()
        await wait_until(pilot, lambda: len(jobs_of(app)) == 1)
        await pilot.pause()
        assert len(jobs_of(app)) == 1
        assert not isinstance(app.screen, ConfirmInstall)
        assert next(iter(jobs_of(app).values())).build.name == STRIPPED


async def test_confirm_without_a_checksum_says_where_it_comes_from(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        build = dataclasses.replace(app.index.by_name[STRIPPED], sha256=None, size=None)
        app.request_install(build)
        await wait_until(pilot, lambda: dialog_shown(app))
        text = app.screen.text
        assert "sha256    not in the catalog" in text
        assert "no checksum in the catalog, and offline none can be fetched" in text
        assert "download  ? (unknown: not in the catalog" in text and "unpacked" not in text
        # the buttons stay in view on a short terminal
        yes = app.screen.query_one("#install-yes")
        assert yes.region.bottom <= 24 and app.focused is yes
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmInstall))
        assert len(jobs_of(app)) == 1
