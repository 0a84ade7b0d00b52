"""Pilot tests of app-wide things: first load, help, command palette, themes, install hook."""

from __future__ import annotations

import argparse

import pytest

from pybs_tui.ui import app as app_module
from pybs_tui.ui.messages import InstallRequested
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from pybs_tui.ui.screens.help import HelpScreen
from pybs_tui.ui.widgets.status_bar import StatusBar
from tests.ui import factory
from tests.ui.conftest import ready

pytestmark = pytest.mark.anyio

MUSL_313 = "cpython-3.13.1+20241206-x86_64-unknown-linux-musl-install_only.tar.gz"


async def test_embedded_snapshot_loads_in_a_worker_after_first_paint(make_app):
    app, _ = make_app(catalog=None)  # offline settings: cache, else the embedded snapshot
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert app.timings["first_paint"] < app.timings["catalog_shown"]
        assert len(app.index) > 1000
        assert app.screen.table.rows
        assert "embedded snapshot" in app.screen.query_one(StatusBar).text


async def test_help_lists_the_keys_and_the_theme_toggles(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light" and not app.current_theme.dark
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = app.screen.text
        for key, words in (
            ("/", "Filter"),
            ("c", "Compare"),
            ("h", "Hosts"),
            ("s", "Sort"),
            ("space", "Mark"),
            ("r", "Refresh"),
            ("ctrl+t", "Theme"),
            ("ctrl+p", "command palette"),
        ):
            assert key in text and words in text
        assert "Py_DEBUG" in text and "uv would pick" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+t")
        assert app.theme == "textual-dark"


async def test_install_key_and_palette_post_install_requested(make_app):
    app, _ = make_app()
    seen: list[InstallRequested] = []
    async with app.run_test(
        size=(120, 30),
        message_hook=lambda m: seen.append(m) if isinstance(m, InstallRequested) else None,
    ) as pilot:
        await ready(app, pilot)
        first = app.screen.table.rows[0]
        await pilot.press("i")
        await pilot.pause()
        assert seen and seen[-1].build.name == first.name
        assert (
            isinstance(app.screen, ConfirmInstall) and app.screen.plan.build.name == first.name
        )  # asks before installing
        await pilot.press("escape")
        assert not isinstance(app.screen, ConfirmInstall) and not app.jobs
        await pilot.press("ctrl+p")
        await pilot.press(*"inst 3.13.1 musl")
        commands = app.screen.query_one("CommandList")
        for _ in range(60):
            await pilot.pause(0.05)
            if commands.option_count and "install" in str(commands.get_option_at_index(0).prompt):
                break
        assert commands.option_count == 1  # one build has all the words
        await pilot.press("enter")
        await pilot.pause()
        assert seen[-1].build.name == MUSL_313
        assert isinstance(app.screen, ConfirmInstall)
        assert app.screen.plan.build.name == MUSL_313


async def test_palette_commands_compare_and_filter(make_app):
    from pybs_tui.ui.screens.compare import CompareScreen

    app, _ = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("ctrl+p", *"compare")
        commands = app.screen.query_one("CommandList")
        for _ in range(60):
            await pilot.pause(0.05)
            if commands.option_count:
                break
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)


def test_run_app_builds_settings_and_runs(monkeypatch):
    ran = {}

    def fake_run(self):
        ran["settings"] = self.settings
        ran["catalog_arg"] = self.catalog_arg

    monkeypatch.setattr(app_module.PybsApp, "run", fake_run)
    code = app_module.run_app(argparse.Namespace(catalog="x.json", offline=True))
    assert code == 0
    assert ran["settings"].offline is True and ran["catalog_arg"] == "x.json"
    assert factory.HOST.os == "linux"
