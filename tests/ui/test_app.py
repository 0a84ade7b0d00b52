"""Pilot tests of app-wide things: the first load, help, the command palette, run_app."""

from __future__ import annotations

import threading

import pytest
from textual.binding import Binding

from pybs_tui.ui import app as app_module
from pybs_tui.ui.app import PybsApp
from pybs_tui.ui.messages import InstallRequested
from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.screens.compare import CompareScreen
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from pybs_tui.ui.screens.confirm_uninstall import ConfirmPrune, ConfirmUninstall
from pybs_tui.ui.screens.help import HelpScreen
from pybs_tui.ui.screens.installed import InstalledScreen
from pybs_tui.ui.screens.installs import InstallsScreen
from tests.ui import factory
from tests.ui.conftest import ready, screen_lines, until

pytestmark = pytest.mark.anyio

MUSL_313 = "cpython-3.13.1+20241206-x86_64-unknown-linux-musl-install_only.tar.gz"
KEY_NAMES = {"slash": "/", "question_mark": "?"}


async def test_the_catalog_loads_in_a_worker_beside_the_first_paint(make_app, monkeypatch):
    """Started when the App is mounted (issue 14: first rows sooner), off the UI thread."""
    from pybs_tui.service import catalog as service_catalog

    seen: dict[str, object] = {}
    real = service_catalog.load_offline

    def load_offline(settings, notes=None):
        seen["thread"] = threading.current_thread() is not threading.main_thread()
        return real(settings, notes)

    monkeypatch.setattr(service_catalog, "load_offline", load_offline)
    app, _ = make_app(catalog=None)  # offline: the cache, else the embedded snapshot
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert seen == {"thread": True}
        assert "first_paint" in app.timings
        assert app.timings["load_started"] < app.timings["catalog_read"]
        assert app.catalog.source == "snapshot" and len(app.index) > 1000
        screen = app.screen
        assert isinstance(screen, BrowseScreen) and screen.table.rows
        assert screen_lines(app)[0].startswith(" embedded snapshot of")


def key_texts(binding: Binding) -> list[str]:
    """What a user reads for a binding's keys."""
    if binding.key_display:
        return [binding.key_display]
    return [KEY_NAMES.get(k.strip(), k.strip()) for k in binding.key.split(",")]


async def test_help_lists_every_key_of_every_screen(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        lines = help_screen.text.splitlines()
        groups = {
            BrowseScreen: "browse",
            CompareScreen: "compare (enter on a row)",
            ConfirmInstall: "install dialog (i)",
            InstallsScreen: "installs (J)",
            InstalledScreen: "installed (I)",
            ConfirmUninstall: "remove dialog (u)",
            ConfirmPrune: "prune dialog (p)",
            PybsApp: "anywhere",
        }
        titles = [lines.index(title) for title in groups.values()]
        assert titles == sorted(titles)  # each group once, in this order
        checked = 0
        for (owner, title), start in zip(groups.items(), titles, strict=True):
            end = min([t for t in titles if t > start], default=len(lines))
            for binding in owner.BINDINGS:
                if not isinstance(binding, Binding) or not binding.description:
                    continue
                rows = [line for line in lines[start:end] if binding.description in line]
                assert rows, f"{owner.__name__}: {binding.description!r} is not under {title!r}"
                for key in key_texts(binding):
                    assert any(key in row.split(binding.description)[0] for row in rows), (
                        f"{owner.__name__}: key {key!r} of {binding.description!r}"
                    )
                checked += 1
        assert checked >= 25
        text = help_screen.text
        assert "ctrl+p" in text and "3.12 (digits, dots)" in text and "tab / shift+tab" in text
        assert "size unknown: offline; `pybs-tui sizes` online fetches and keeps sizes" in text
        await pilot.press("escape")
        assert isinstance(app.screen, BrowseScreen)


async def test_help_says_sizes_are_asked_for_when_online(make_app, tmp_path):
    settings = factory.make_settings(tmp_path / "home", offline=False)
    app, _ = make_app(settings=settings, catalog=factory.catalog(source="live"))
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert app.sizes_online
        await pilot.press("question_mark")
        text = app.screen.text
        assert "size unknown: asked of the download host while the row is on screen" in text
        assert "size unknown: offline" not in text


async def test_palette_install_part_of_a_name_asks_to_install_it(make_app):
    app, _ = make_app()
    asked: list[str] = []

    def hook(message):
        if isinstance(message, InstallRequested):
            asked.append(message.build.name)

    async with app.run_test(size=(120, 30), message_hook=hook) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+p", *"install 3.13.1 musl")
        commands = app.screen.query_one("CommandList")

        def offered() -> bool:
            return commands.option_count > 0 and "install cpython" in str(
                commands.get_option_at_index(0).prompt
            )

        await until(pilot, offered, "the palette's install hit")
        assert commands.option_count == 1  # one archive has every word
        assert MUSL_313 in str(commands.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ConfirmInstall), "the dialog")
        assert asked and set(asked) == {MUSL_313}
        assert app.screen.plan.build.name == MUSL_313
        await pilot.press("escape")
        assert isinstance(app.screen, BrowseScreen) and not app.jobs.jobs


async def test_palette_runs_the_screens_actions(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+p", *"compare")
        commands = app.screen.query_one("CommandList")
        await until(pilot, lambda: commands.option_count > 0, "the palette's hits")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CompareScreen), "the compare screen")
        assert {b.version_str for b in app.screen.comparison.builds} == {"3.13.1"}


def test_run_app_runs_the_app_with_the_settings_and_catalog(monkeypatch, tmp_path):
    ran: dict[str, object] = {}

    def run(self):
        ran["app"] = self

    monkeypatch.setattr(app_module.PybsApp, "run", run)
    settings = factory.make_settings(tmp_path / "home")
    assert app_module.run_app(settings, "catalog.json") == 0
    app = ran["app"]
    assert isinstance(app, PybsApp)
    assert app.settings is settings and app.catalog_arg == "catalog.json"
    assert app_module.run_app(settings) == 0
    assert ran["app"].catalog_arg is None
