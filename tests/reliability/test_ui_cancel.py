"""Reliability case 35: cancel in the UI mid-download and mid-extract -> the worker stops
within 1 s, staging gone, the app responsive, the same build installs at once afterwards.

The real App and pipeline through Pilot, against the loopback server; an outside/ sentinel
next to the app's home must come through untouched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pybs_tui.install.receipts import iter_receipts
from pybs_tui.service.jobs import InstallJob
from pybs_tui.settings import Settings
from pybs_tui.ui.app import PybsApp
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from pybs_tui.ui.screens.installs import InstallsScreen
from tests.install.helpers import pbs_archive, serve, staging_left, tree_state
from tests.ui.test_installs import (
    big_archive,
    dialog_shown,
    drawn,
    fast,
    hold_in_extract,
    install_via_ui,
    leftovers,
    make_app,
    open_installs,
    pane_of,
    ready,
    slow,
    tap,
    wait_until,
)

pytestmark = pytest.mark.anyio


def sentinel(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "f").write_bytes(b"sentinel\n")
    (outside / "sub" / "g").write_bytes(b"sentinel too\n")
    return outside


async def cancel_and_check(app: PybsApp, pilot: Any, job: InstallJob, settings: Settings) -> None:
    """x on the focused job: stopped within 1 s, nothing partial, the app still answers."""
    await wait_until(pilot, lambda: getattr(app.focused, "job", None) is job, timeout=2)
    await tap(pilot, "x")
    await wait_until(pilot, lambda: job.ended and job.handle is not None and job.handle.is_finished)
    assert job.phase == "cancelled"
    assert leftovers(settings) == [] and staging_left(settings.install_dir) == []
    assert not list(iter_receipts(settings))
    pane = await drawn(pilot, pane_of(app, job))
    assert "nothing was left behind" in pane.text
    # responsive: keys still change screens at once
    await tap(pilot, "escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, InstallsScreen), timeout=1)
    await tap(pilot, "J")
    await wait_until(pilot, lambda: isinstance(app.screen, InstallsScreen), timeout=1)
    await tap(pilot, "i")  # the focused (cancelled) job: install it again? asks first
    await wait_until(pilot, lambda: dialog_shown(app), timeout=1)
    await tap(pilot, "escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmInstall), timeout=1)
    await tap(pilot, "escape")
    await wait_until(pilot, lambda: not isinstance(app.screen, InstallsScreen), timeout=1)


async def test_case35_cancel_mid_download(settings, server, tmp_path):
    outside = sentinel(tmp_path)
    before = tree_state(outside)
    name, archive = big_archive()
    build = serve(server, name, archive)
    slow(server, name, archive)
    app, _ = make_app(settings, [build], tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.phase == "download" and job.done > 0)
        assert job.total == archive.size
        await cancel_and_check(app, pilot, job, settings)
        assert job.done < archive.size  # stopped mid-download (the whole takes ~5 s)
        fast(server, name, archive)
        again = await install_via_ui(app, pilot, name)
        await wait_until(pilot, lambda: again.ended)
        assert again.phase == "done", again.error
    assert [r["name"] for _, r in iter_receipts(settings)] == [name]
    assert staging_left(settings.install_dir) == []
    assert tree_state(outside) == before


async def test_case35_cancel_mid_extract(settings, server, tmp_path):
    outside = sentinel(tmp_path)
    before = tree_state(outside)
    name, archive = pbs_archive(version="3.12.3")
    build = serve(server, name, archive)
    cancel_seen: list[float] = []
    app, _ = make_app(settings, [build], tmp_path, installer=hold_in_extract(cancel_seen))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        job = await install_via_ui(app, pilot, name)
        await open_installs(app, pilot)
        await wait_until(pilot, lambda: job.phase == "extract")
        assert staging_left(settings.install_dir), "extraction should be under way"
        await cancel_and_check(app, pilot, job, settings)
        assert cancel_seen
        again = await install_via_ui(app, pilot, name)  # holds in extract only once
        await wait_until(pilot, lambda: again.ended)
        assert again.phase == "done", again.error
    assert [r["name"] for _, r in iter_receipts(settings)] == [name]
    assert staging_left(settings.install_dir) == []
    assert tree_state(outside) == before
