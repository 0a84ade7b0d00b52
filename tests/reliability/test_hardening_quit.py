"""Issue 13, hole 3 in the TUI: x on an install whose probe hangs (and leaves a background
child holding its pipes) ends it; q q ends it too. The real App and pipeline through Pilot;
the probe's processes are checked by pid, the app keeps running (x) or exits cleanly (q q).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from pybs_tui.install.receipts import iter_receipts
from pybs_tui.service.install import install_build
from pybs_tui.settings import Settings
from pybs_tui.ui.screens.installs import InstallsScreen
from tests.install.helpers import serve, staging_left, tree_state
from tests.reliability.test_hardening_probe import (
    HUNG,
    archive_with,
    forks_allowed_fixture,  # noqa: F401
    hanging_python,
    posix_only,
    read_pids,
    reaper_fixture,  # noqa: F401
    record_fixture,  # noqa: F401  (fixtures used by name)
    survivors,
    with_pid,
)
from tests.ui.test_installs import (
    install_via_ui,
    leftovers,
    make_app,
    open_installs,
    ready,
    tap,
    wait_until,
)

pytestmark = [pytest.mark.anyio, posix_only]


def outside_of(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "f").write_bytes(b"sentinel\n")
    return outside


def probing_installer(ended: threading.Event) -> Any:
    """install_build with a deadline far away (the test's key must end the probe, not the
    deadline); `ended` is set when it returns, however it returns."""

    def installer(*args: Any, **kwargs: Any) -> Any:
        try:
            return install_build(*args, probe_timeout=300, **kwargs)
        finally:
            ended.set()

    return installer


def kill_all(pids_file: Path) -> None:
    """A failing run must not leave its sleepers (nor a worker thread stuck on them)."""
    if pids_file.exists():
        for pid in read_pids(pids_file):
            with_pid(pid, 9)


@pytest.mark.usefixtures("forks_allowed")
async def test_tui_x_ends_a_hanging_probe(
    settings: Settings, server: Any, tmp_path: Path, record: Path, reaper: list[int]
) -> None:
    outside = outside_of(tmp_path)
    before = tree_state(outside)
    pids = record / "pids"
    name, archive = archive_with(hanging_python(pids))
    build = serve(server, name, archive)
    ended = threading.Event()
    app, _ = make_app(settings, [build], tmp_path, installer=probing_installer(ended))
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await ready(app, pilot)
            job = await install_via_ui(app, pilot, name)
            await open_installs(app, pilot)
            await wait_until(pilot, pids.exists, timeout=HUNG)
            reaper.extend(read_pids(pids))
            assert len(read_pids(pids)) == 2  # the probe and the child it left
            await wait_until(pilot, lambda: job.phase == "probe", timeout=5)
            await wait_until(pilot, lambda: getattr(app.focused, "job", None) is job, timeout=5)
            await tap(pilot, "x")
            await wait_until(pilot, lambda: job.ended, timeout=HUNG)
            assert job.phase == "cancelled"
            assert app.is_running
            await tap(pilot, "escape")  # the app still answers keys
            await wait_until(pilot, lambda: not isinstance(app.screen, InstallsScreen), 5)
        finally:
            kill_all(pids)
    assert ended.is_set()
    assert survivors(read_pids(pids)) == []
    assert leftovers(settings) == [] and staging_left(settings.install_dir) == []
    assert not list(iter_receipts(settings))
    assert tree_state(outside) == before


@pytest.mark.usefixtures("forks_allowed")
async def test_tui_q_q_ends_a_hanging_probe(
    settings: Settings, server: Any, tmp_path: Path, record: Path, reaper: list[int]
) -> None:
    outside = outside_of(tmp_path)
    before = tree_state(outside)
    pids = record / "pids"
    name, archive = archive_with(hanging_python(pids))
    build = serve(server, name, archive)
    ended = threading.Event()
    app, recorder = make_app(settings, [build], tmp_path, installer=probing_installer(ended))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await ready(app, pilot)
            await install_via_ui(app, pilot, name)
            await wait_until(pilot, pids.exists, timeout=HUNG)
            reaper.extend(read_pids(pids))
            await tap(pilot, "q")
            await wait_until(pilot, lambda: "press q again" in recorder.joined(), timeout=5)
            assert app.is_running
            await tap(pilot, "q")
            await wait_until(pilot, lambda: not app.is_running, timeout=5)
        # the install's thread ends (so the process can exit) and takes the probe with it
        finished = await asyncio.to_thread(ended.wait, HUNG)
        assert finished, f"the install thread still runs {HUNG:g} s after q q"
    finally:
        kill_all(pids)
    assert app.return_code == 0
    assert survivors(read_pids(pids)) == []
    assert leftovers(settings) == [] and staging_left(settings.install_dir) == []
    assert not list(iter_receipts(settings))
    assert tree_state(outside) == before
