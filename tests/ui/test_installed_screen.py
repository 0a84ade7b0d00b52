"""The Installed screen and its dialogs through Pilot, in the real PybsApp (whose workers do
the loading and the removing), at 80x24 and 160x50."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.widgets import Button, DataTable, Static

from pybs_tui.install.registry import Roots, own_installs
from pybs_tui.service import inventory as inventory_mod
from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.screens.confirm_uninstall import ConfirmPrune, ConfirmUninstall, PruneItem
from pybs_tui.ui.screens.installed import COLUMNS, InstalledScreen
from pybs_tui.ui.widgets.interpreter_detail import InterpreterDetail, interpreter_lines
from pybs_tui.units import format_size
from tests.installed.fakes import make_own_install, make_python_tree, write
from tests.ui import factory
from tests.ui.conftest import ready

pytestmark = pytest.mark.anyio

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 50), id="160x50")]
LINUX = "x86_64-unknown-linux-gnu"
# names the test catalog (tests/ui/factory.py) knows, so the browser marks them installed
A3123 = f"cpython-3.12.3+20240415-{LINUX}-install_only.tar.gz"
A3123_STRIPPED = f"cpython-3.12.3+20240415-{LINUX}-install_only_stripped.tar.gz"
A3128 = f"cpython-3.12.8+20241206-{LINUX}-install_only.tar.gz"
A3131_PGO = f"cpython-3.13.1+20241206-{LINUX}-pgo+lto-full.tar.zst"
A3131_LTO = f"cpython-3.13.1+20241206-{LINUX}-lto-full.tar.zst"
A3131T = f"cpython-3.13.1+20241206-{LINUX}-freethreaded+pgo+lto-full.tar.zst"


class World:
    """Settings, a fake home (with a project as working dir) and the Roots pointing there."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = factory.make_settings(tmp_path / "home")
        self.user = tmp_path / "user"
        self.cwd = self.user / "work" / "app"
        self.cwd.mkdir(parents=True)
        self.roots = Roots(env={}, home=self.user, platform="linux", cwd=self.cwd)

    def own(self, name: str) -> Path:
        return make_own_install(self.settings, name)[0]

    def venv(self, where: Path, target: Path) -> Path:
        write(where / "pyvenv.cfg", f"home = {target}/bin\n".encode())
        return where


@pytest.fixture
def world(tmp_path) -> World:
    return World(tmp_path)


async def wait_until(pilot: Any, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "timed out waiting"
        await pilot.pause(0.02)


async def open_installed(app: Any, pilot: Any) -> InstalledScreen:
    """Press I in the browser; wait until discovery, usage and every size arrived."""
    await ready(app, pilot)
    await pilot.press("I")
    screen = app.screen
    assert isinstance(screen, InstalledScreen)
    await wait_until(
        pilot,
        lambda: (
            screen.usage_known
            and app.inventory.busy == ""
            and all(i.size is not None for i in app.inventory.interps.values())
        ),
    )
    await pilot.pause()
    return screen


def row(screen: InstalledScreen, path: Path) -> dict[str, str]:
    table = screen.query_one(DataTable)
    cells = table.get_row(str(path))
    return {key: cell.plain.strip() for (key, _), cell in zip(COLUMNS, cells, strict=True)}


def shown(widget: Static) -> str:
    """What a Static shows, as plain text (its content rendered by rich, markup never parsed
    again)."""
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def totals(screen: InstalledScreen) -> str:
    return shown(screen.query_one("#installed-totals", Static))


def notes(recorder: Any) -> str:
    return recorder.joined()


# -- the table --------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
async def test_columns_tell_installs_of_one_version_apart(make_app, world, size):
    paths = {n: world.own(n) for n in (A3123, A3123_STRIPPED, A3131_PGO, A3131_LTO, A3131T)}
    make_python_tree(
        world.user / ".local/share/uv/python/cpython-3.11.9-linux-x86_64-gnu", "3.11.9"
    )
    app, _ = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=size) as pilot:
        screen = await open_installed(app, pilot)
        table = screen.query_one(DataTable)
        headers = [c.label.plain.strip() for c in table.columns.values()]
        assert headers == [
            "",
            "manager",
            "version",
            "flavor",
            "options",
            "release",
            "size",
            "newer",
            "speed",
            "used by",
            "path",
        ]
        wide = size[0] >= 130
        got = {n: row(screen, p) for n, p in paths.items()}
        assert got[A3123]["flavor"] == ("install_only" if wide else "install")
        assert got[A3123_STRIPPED]["flavor"] == ("install_only_stripped" if wide else "stripped")
        assert (got[A3131_PGO]["version"], got[A3131_PGO]["options"]) == ("3.13.1", "pgo+lto")
        assert (got[A3131_LTO]["version"], got[A3131_LTO]["options"]) == ("3.13.1", "lto")
        assert (got[A3131T]["version"], got[A3131T]["options"]) == ("3.13.1t", "pgo+lto")
        assert got[A3123]["options"] == "-" and got[A3123]["release"] == "20240415"
        visible = [
            tuple(r[k] for k in ("manager", "version", "flavor", "options")) for r in got.values()
        ]
        assert len(set(visible)) == len(visible)  # no two rows read the same
        uv_row = next(
            row(screen, Path(k)) for k, i in app.inventory.interps.items() if i.manager == "uv"
        )
        assert (uv_row["manager"], uv_row["version"], uv_row["flavor"]) == ("uv", "3.11.9", "?")
        assert got[A3123]["newer"] == "3.12.8"  # the test catalog has 3.12.8 for this line
        assert got[A3123]["path"].startswith("/") and "…" in got[A3123]["path"]
        # every column up to 'used by' is on screen at 80 wide; all of them at 160
        widths = [c.get_render_width(table) for c in table.columns.values()]
        assert sum(widths[:10]) <= size[0] - 2
        if wide:
            assert sum(widths) <= size[0] - 2
        total = sum(i.size or 0 for i in app.inventory.interps.values())
        text = totals(screen)
        assert "6 interpreters (5 pybs-tui)" in text and format_size(total) in text
        assert "measuring" not in text
        await pilot.press("space")  # select the first row, the cursor moves on
        first = next(iter(app.inventory.interps.values()))
        assert f"1 selected, {format_size(first.size)}" in totals(screen)
        assert row(screen, first.path)["sel"] == "✓"


async def test_rows_that_differ_only_in_platform_say_which(make_app, world):
    plain = world.own(f"cpython-3.13.1+20241206-{LINUX}-install_only.tar.gz")
    v3 = world.own("cpython-3.13.1+20241206-x86_64_v3-unknown-linux-gnu-install_only.tar.gz")
    musl = world.own("cpython-3.13.1+20241206-x86_64-unknown-linux-musl-install_only.tar.gz")
    app, _ = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_installed(app, pilot)
        options = {p: row(screen, p)["options"] for p in (plain, v3, musl)}
        assert options == {
            plain: "- x86_64-gnu",
            v3: "- x86_64_v3-gnu",
            musl: "- x86_64-musl",
        }


async def test_totals_say_measuring_while_sizes_come(make_app, world, monkeypatch):
    world.own(A3123)
    world.own(A3128)
    gate = threading.Event()
    real = inventory_mod.disk_use

    def slow(path, cache=None):
        gate.wait(10)
        return real(path, cache)

    monkeypatch.setattr(inventory_mod, "disk_use", slow)
    app, _ = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("I")
        screen = app.screen
        await wait_until(pilot, lambda: screen.usage_known)
        assert "2 interpreters (2 pybs-tui)" in totals(screen)
        assert "measuring… (2 left)" in totals(screen)
        assert row(screen, next(iter(app.inventory.interps.values())).path)["size"] == "…"
        gate.set()
        await wait_until(pilot, lambda: "measuring" not in totals(screen))
        assert all(
            r["size"].endswith("kB") for r in (row(screen, Path(k)) for k in app.inventory.interps)
        )


# -- the detail pane --------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
async def test_detail_pane_shows_the_full_name_and_every_user(make_app, world, size):
    path = world.own(A3123)
    user = world.user
    world.venv(user / "work/.venv", path)  # a parent of the working dir: its own venv
    world.venv(user / "[red]odd[/red]/.venv", path)  # markup in a path stays text
    world.venv(user / ".local/share/pipx/venvs/black", path)
    (user / ".local/bin").mkdir(parents=True)
    (user / ".local/bin/python3.12").symlink_to(path / "bin/python3")
    write(user / "work/.python-version", b"3.12\n")
    app, _ = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=size) as pilot:
        screen = await open_installed(app, pilot)
        detail = screen.query_one(InterpreterDetail)
        text = detail.plain
        assert path.name in text and str(path) in text  # whole, never shortened
        for who in (
            "venv ~/work/.venv",
            "venv ~/[red]odd[/red]/.venv",
            "pipx black",
            "link ~/.local/bin/python3.12",
            "pin ~/work/.python-version (3.12)",
        ):
            assert who in text, who
        assert "5 users: removing it breaks them" in text
        assert "sha256 verified" in text and "installed 2025-01-01" in text
        assert "probe" in text and "version 3.12.3" in text
        rendered = shown(detail.query_one("#interp-detail-text", Static))
        assert "[red]odd[/red]" in rendered  # shown as written, not as markup
        used = row(screen, path)["used"]
        assert used.startswith("5: ")
        assert used.endswith("…") if size[0] < 130 else used.startswith("5: venv ~/")


# -- messages when there is nothing to do ------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
async def test_nothing_to_prune_and_nothing_to_uninstall(make_app, world, size):
    make_python_tree(
        world.user / ".local/share/uv/python/cpython-3.11.9-linux-x86_64-gnu", "3.11.9"
    )
    make_python_tree(world.user / ".pyenv/versions/3.10.4", "3.10.4")
    app, recorder = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=size) as pilot:
        screen = await open_installed(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is screen
        assert "Nothing to prune: there are no pybs-tui installs" in notes(recorder)
        await pilot.press("u")  # on uv's row: its own command, no dialog
        await pilot.pause()
        assert app.screen is screen
        assert "belongs to uv" in notes(recorder)
        assert "uv python uninstall 3.11.9" in notes(recorder)
        await pilot.press("space", "space", "u")  # both selected, none of them ours
        await pilot.pause()
        assert app.screen is screen
        assert "Nothing to uninstall: none of the selected" in notes(recorder)
        assert "pyenv uninstall 3.10.4" in notes(recorder)

    newest = world.own(A3128)
    app, recorder = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=size) as pilot:
        screen = await open_installed(app, pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: "Nothing to prune" in notes(recorder))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is screen and newest.is_dir()
        assert "1 install kept, each the newest" in notes(recorder)


# -- prune ------------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
async def test_prune_keeps_a_used_install_unless_it_is_checked(make_app, world, size):
    used = world.own(A3123)
    spare = world.own(f"cpython-3.12.5+20240726-{LINUX}-install_only.tar.gz")
    newest = world.own(A3128)
    venv = world.venv(world.cwd / ".venv", used)
    app, recorder = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=size) as pilot:
        await open_installed(app, pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmPrune))
        dialog = app.screen
        items = {i.interp.path: i for i in dialog.query(PruneItem)}
        assert items[spare].value is True and items[used].value is False
        body = " ".join(shown(s) for s in dialog.query(".prune-detail").results(Static))
        assert "venv ~/work/app/.venv" in body and used.name in body
        assert "older patch: 3.12.8 is installed" in body
        assert app.focused is items[spare]
        await pilot.press("y")  # removes what is checked: the unused one only
        await wait_until(pilot, lambda: not spare.exists() and app.inventory.busy == "")
        await wait_until(pilot, lambda: isinstance(app.screen, InstalledScreen))
        assert used.is_dir() and newest.is_dir()
        assert (used / "bin/python3").exists() and (venv / "pyvenv.cfg").is_file()
        assert "removed" in notes(recorder)

        await wait_until(pilot, lambda: app.screen.usage_known)
        await pilot.press("p")  # now only the used one is older: nothing goes unless checked
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmPrune))
        dialog = app.screen
        assert "Nothing to prune unless you check it" in shown(dialog.query_one("#confirm-title"))
        assert dialog.query_one("#confirm-yes", Button).disabled
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is dialog and used.is_dir()
        await pilot.press("space")  # the explicit pick
        assert [i.name for i in dialog.chosen] == [used.name]
        assert "in use: what uses it stops working" in shown(dialog.query_one("#confirm-freed"))
        await pilot.press("y")
        await wait_until(pilot, lambda: not used.exists() and app.inventory.busy == "")
        assert newest.is_dir()


async def test_prune_dialog_cancel_keeps_everything(make_app, world):
    old = world.own(A3123)
    world.own(A3128)
    app, _ = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_installed(app, pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmPrune))
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and old.is_dir()


# -- uninstall --------------------------------------------------------------------------------
@pytest.mark.parametrize("size", SIZES)
async def test_uninstall_of_a_used_install_names_every_user(make_app, world, size):
    path = world.own(A3123)
    world.venv(world.user / "proj/.venv", path)
    write(world.cwd / ".python-version", b"cpython-3.12.3\n")
    app, recorder = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=size) as pilot:
        screen = await open_installed(app, pilot)
        await pilot.press("u")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmUninstall)
        assert app.focused is dialog.query_one("#confirm-no")  # Cancel is the default
        assert "This install is in use" in shown(dialog.query_one("#confirm-warning"))
        item = shown(dialog.query_one(".confirm-item", Static))
        assert "venv ~/proj/.venv" in item
        assert "pin ~/work/app/.python-version (cpython-3.12.3)" in item
        await pilot.press("enter")  # on Cancel
        await pilot.pause()
        assert app.screen is screen and path.is_dir()
        await pilot.press("u")
        await pilot.pause()
        await pilot.press("y")  # the user's explicit pick: it goes
        await wait_until(pilot, lambda: not path.exists() and app.inventory.busy == "")
        assert "removed" in notes(recorder)
        await wait_until(pilot, lambda: str(path) not in app.inventory.interps)


async def test_uninstall_result_arrives_after_leaving_the_screen(make_app, world, monkeypatch):
    """Start an uninstall, leave the Installed screen while it runs: the install still goes,
    the browser's installed marks follow and a notification says so."""
    gone = world.own(A3123)
    kept = world.own(A3128)
    name = A3123
    release = threading.Event()
    started = threading.Event()
    real_remove = inventory_mod.remove

    def slow_remove(settings, names, *args, **kwargs):
        started.set()
        assert release.wait(20), "the test never let the removal go on"
        return real_remove(settings, names, *args, **kwargs)

    monkeypatch.setattr(inventory_mod, "remove", slow_remove)
    app, recorder = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_installed(app, pilot)
        assert name in app.index.installed  # the browser marks it installed
        assert screen.query_one(DataTable).get_row_index(str(gone)) == 1  # 3.12.8 first
        await pilot.press("down", "u")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmUninstall)
        await pilot.press("y")
        await wait_until(pilot, started.is_set)
        assert app.inventory.busy == "removing"
        assert "removing…" in shown(screen.query_one("#installed-status", Static))
        await pilot.press("escape")  # leave while the removal waits
        await pilot.pause()
        assert isinstance(app.screen, BrowseScreen) and screen not in app.screen_stack
        assert gone.is_dir()
        release.set()
        await wait_until(pilot, lambda: not gone.exists())
        await wait_until(pilot, lambda: name not in app.index.installed)
        await wait_until(pilot, lambda: "removed" in notes(recorder))
        assert gone.name in notes(recorder)
        assert kept.is_dir() and A3128 in app.index.installed
        assert isinstance(app.screen, BrowseScreen)
        again = await open_installed(app, pilot)  # and the Installed screen agrees
        assert list(app.inventory.interps) == [str(kept)]
        assert again.query_one(DataTable).row_count == 1


async def test_uninstall_of_own_and_another_tools_removes_only_its_own(make_app, world):
    own = world.own(A3123)
    uv_dir = world.user / ".local/share/uv/python/cpython-3.11.9-linux-x86_64-gnu"
    make_python_tree(uv_dir, "3.11.9")
    app, _ = make_app(settings=world.settings, roots=world.roots)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_installed(app, pilot)
        await pilot.press("space", "space", "u")  # own row, then uv's
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmUninstall)
        assert "Uninstall 1 interpreter" in shown(dialog.query_one("#confirm-title"))
        other = shown(dialog.query_one(".confirm-other", Static))
        assert "managed by uv" in other and "uv python uninstall 3.11.9" in other
        assert "used by: nothing found" in shown(dialog.query_one(".confirm-item", Static))
        await pilot.press("y")
        await wait_until(pilot, lambda: not own.exists() and app.inventory.busy == "")
        await wait_until(pilot, lambda: app.screen is screen and screen.usage_known)
        assert (uv_dir / "bin/python3").exists()
        assert [i.manager for i in app.inventory.interps.values()] == ["uv"]
        assert screen.selected == set()


def test_detail_lines_receipt_facts_checks_and_outside_text(world):
    path = world.own(A3131_PGO)
    receipt_path = path / ".pybs-receipt.json"
    receipt = json.loads(receipt_path.read_text())
    receipt["verified"] = False
    receipt["source"] = "file\x1b[31m"
    receipt["probe"].update({"PGO": True, "LTO": False})
    receipt["checks"] = [
        {"flag": "version", "promised": "3.13.1", "found": "3.13.1", "ok": True, "source": "name"},
        {"flag": "LTO", "promised": "yes", "found": "no", "ok": False, "source": "name"},
        {"flag": "PGO", "promised": None, "found": "yes", "ok": None, "source": "inferred"},
    ]
    receipt_path.write_text(json.dumps(receipt))
    [interp] = own_installs(world.settings)
    interp.used_by = [f"venv {world.user}/p/.venv", f"pin {world.user}/.python-version (3.13)"]
    lines = interpreter_lines(interp, world.user)
    by_label = {label: (text, kind) for label, text, kind in lines if label}
    assert by_label["name"] == (path.name, "name")
    assert by_label["receipt"][1] == "warn" and "sha256 NOT verified" in by_label["receipt"][0]
    assert "from file\\x1b[31m" in by_label["receipt"][0]  # the escape is written, not sent
    assert "PGO yes" in by_label["probe"][0] and "LTO no" in by_label["probe"][0]
    assert by_label["checks"] == ("version 3.13.1: as promised", "")
    assert ("", "LTO: promised yes, found no", "warn") in lines
    assert ("", "PGO yes", "") in lines
    users = [text for label, text, kind in lines if kind == "used"]
    assert users == [
        "2 users: removing it breaks them",
        "venv ~/p/.venv",
        "pin ~/.python-version (3.13)",
    ]
    assert by_label["flags"][0] == "PGO LTO"
    assert by_label["remove"][0] == f"pybs-tui uninstall {path.name}"
    assert all("\x1b" not in text for _, text, _ in lines)
