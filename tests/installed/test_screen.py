"""InstalledScreen and ConfirmUninstall through Pilot, in a small test app."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import humanize
import pytest
from textual.app import App
from textual.widgets import DataTable, Static

from pybs_tui.catalog.group import Host
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.install.registry import Roots
from pybs_tui.ui.screens.confirm_uninstall import ConfirmUninstall
from pybs_tui.ui.screens.installed import InstalledScreen
from tests.installed.fakes import asset, make_own_install, make_python_tree, make_settings, write

LINUX = Host("linux", "x86_64", "gnu", 3)


class ScreenApp(App):
    """Pushes one InstalledScreen on mount, like ui/app.py would."""

    def __init__(self, screen: InstalledScreen) -> None:
        super().__init__()
        self.installed = screen

    def on_mount(self) -> None:
        self.push_screen(self.installed)


def sync(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async Pilot test with asyncio.run (no async pytest plugin needed)."""

    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


def text_of(widget: Static) -> str:
    return str(widget.render())


async def settle(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def world(tmp_path):
    settings = make_settings(tmp_path)
    user = tmp_path / "user"
    user.mkdir()
    roots = Roots(env={}, home=user, platform="linux")
    catalog = Catalog([parse_name(asset("3.12.8", "20250106"))], "file", "test")
    return settings, user, roots, catalog


def make_screen(world) -> InstalledScreen:
    settings, _, roots, catalog = world
    return InstalledScreen(settings, lambda: catalog, roots=roots, host=LINUX)


@sync
async def test_totals_rows_sizes_and_newer(world):
    settings, user, _, _ = world
    own, own_size = make_own_install(settings, asset("3.12.3", "20240415"))
    uv_size = make_python_tree(
        user / ".local/share/uv/python/cpython-3.11.9-linux-x86_64-gnu", "3.11.9"
    )
    screen = make_screen(world)
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        totals = text_of(screen.query_one("#installed-totals", Static))
        assert "2 interpreters (1 pybs-tui)" in totals
        assert humanize.naturalsize(own_size + uv_size) in totals
        assert table.get_cell(str(own), "size") == humanize.naturalsize(own_size)
        assert table.get_cell(str(own), "newer") == "3.12.8"
        assert screen.interps[str(own)].size == own_size


@sync
async def test_select_uninstall_confirm_removes(world):
    settings, user, _, _ = world
    own, own_size = make_own_install(settings, asset("3.12.3", "20240415"))
    other, _ = make_own_install(settings, asset("3.11.9", "20240814"))
    write(user / "proj/.venv/pyvenv.cfg", f"home = {own}/bin\n".encode())
    screen = make_screen(world)
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert screen._cursor_key() == str(own)  # newest first
        await pilot.press("space")
        assert screen.selected == {str(own)}
        assert screen.query_one(DataTable).get_cell(str(own), "sel") == "✓"
        await pilot.press("u")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmUninstall)
        assert humanize.naturalsize(own_size) in text_of(dialog.query_one("#confirm-freed"))
        body = " ".join(text_of(s) for s in dialog.query(".confirm-item").results(Static))
        assert "used by: venv" in body and str(user / "proj/.venv") in body
        await pilot.press("y")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert not own.exists() and other.is_dir()
        assert list(screen.interps) == [str(other)]
        assert screen.selected == set()


@sync
async def test_cancel_keeps_everything(world):
    settings, _, _, _ = world
    own, _ = make_own_install(settings, asset("3.12.3", "20240415"))
    screen = make_screen(world)
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ConfirmUninstall)
        assert pilot.app.focused is pilot.app.screen.query_one("#confirm-no")  # safe default
        await pilot.press("enter")
        await settle(pilot)
        assert pilot.app.screen is screen and own.is_dir()


@sync
async def test_other_managers_install_gets_its_command_and_no_delete(world):
    _, user, _, _ = world
    uv_dir = user / ".local/share/uv/python/cpython-3.11.9-linux-x86_64-gnu"
    make_python_tree(uv_dir, "3.11.9")
    screen = make_screen(world)
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmUninstall)
        assert not dialog.query("#confirm-yes")
        other = text_of(dialog.query_one(".confirm-other", Static))
        assert "uv python uninstall 3.11.9" in other and "managed by uv" in other
        await pilot.press("y")  # no delete on offer: nothing happens
        await settle(pilot)
        assert pilot.app.screen is dialog
        await pilot.press("escape")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert (uv_dir / "bin/python3").exists()


@sync
async def test_prune_preview_and_confirm(world):
    settings, _, _, _ = world
    old, old_size = make_own_install(settings, asset("3.12.3", "20240415"))
    new, _ = make_own_install(settings, asset("3.12.8", "20250106"))
    ft, _ = make_own_install(
        settings, asset("3.13.1", "20250106", "freethreaded+pgo+lto", flavor="full")
    )
    screen = make_screen(world)
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConfirmUninstall)
        assert "Prune: remove 1 older install" in text_of(dialog.query_one("#confirm-title"))
        assert humanize.naturalsize(old_size) in text_of(dialog.query_one("#confirm-freed"))
        kept = text_of(dialog.query_one(".confirm-keep", Static))
        assert new.name in kept and ft.name in kept
        await pilot.click("#confirm-yes")
        await settle(pilot)
        assert not old.exists() and new.is_dir() and ft.is_dir()
        assert sorted(screen.interps) == sorted([str(new), str(ft)])


@sync
async def test_prune_with_nothing_to_prune_notifies(world):
    settings, _, _, _ = world
    make_own_install(settings, asset("3.12.8", "20250106"))
    screen = make_screen(world)
    async with ScreenApp(screen).run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert pilot.app.screen is screen
        assert any("Nothing to prune" in n.message for n in pilot.app._notifications)


def test_screen_module_has_bindings():
    keys = {b.key for b in InstalledScreen.BINDINGS}
    assert {"space", "u", "p"} <= keys
    assert Path(InstalledScreen.CSS_PATH).is_file()  # type: ignore[arg-type]
