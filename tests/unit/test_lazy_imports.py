"""Each command imports only what it needs (issue 14): `--help` and `list` no httpx, rich,
textual, zstandard or install code; `install --help` no textual. Checked in a fresh
interpreter through sys.modules (behaviour, not time)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.support.cli import cli_env

CODE = """
import json, sys
from pybs_tui.__main__ import main
try:
    main({argv!r})
except SystemExit:
    pass
with open({out!r}, "w") as fh:
    json.dump(sorted(sys.modules), fh)
"""

HEAVY = ("httpx", "httpcore", "rich", "textual", "zstandard", "filelock", "humanize")
INSTALL = ("pybs_tui.install.pipeline", "pybs_tui.install.extract", "pybs_tui.net.download")
NETWORK = ("pybs_tui.net.client", "pybs_tui.net.releases")


def loaded_by(argv: list[str], tmp_path) -> set[str]:
    out = tmp_path / "modules.json"
    run = subprocess.run(
        [sys.executable, "-c", CODE.format(argv=argv, out=str(out))],
        capture_output=True,
        env=cli_env(tmp_path),
        timeout=120,
    )
    assert out.is_file(), run.stderr.decode()[-2000:]
    return set(json.loads(out.read_text()))


def offenders(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in forbidden or m in forbidden)


@pytest.mark.parametrize("argv", [["--help"], ["list", "--help"], ["install", "--help"]])
def test_help_imports_no_library_and_no_catalog_code(argv, tmp_path):
    modules = loaded_by(argv, tmp_path)
    assert "pybs_tui.cli.listing" in modules  # the subcommands are registered
    assert offenders(modules, HEAVY + INSTALL + NETWORK) == []
    assert not [m for m in modules if m.startswith(("pybs_tui.ui", "pybs_tui.service"))]


def test_an_offline_list_imports_no_network_install_or_ui_code(tmp_path):
    modules = loaded_by(["list", "--offline", "--json"], tmp_path)
    assert "pybs_tui.catalog.packed" in modules  # it did list
    assert offenders(modules, HEAVY + INSTALL + NETWORK) == []
    assert not [m for m in modules if m.startswith("pybs_tui.ui")]


def test_the_check_sees_a_library_that_is_imported(tmp_path):
    """Online, `list` asks the network (a dead loopback port here): httpx is loaded then."""
    modules = loaded_by(["list", "--json"], tmp_path)
    assert "httpx" in offenders(modules, HEAVY)


def test_the_app_imports_no_command_line_network_or_install_code(tmp_path):
    """The TUI paints its first rows before it needs httpx, zstandard or the installer."""
    code = "import sys, json, pybs_tui.ui.app\nprint(json.dumps(sorted(sys.modules)))"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=cli_env(tmp_path)
    )
    assert run.returncode == 0, run.stderr[-2000:]
    modules = set(json.loads(run.stdout))
    assert "textual" in modules
    assert offenders(modules, ("httpx", "zstandard", *INSTALL, *NETWORK)) == []
    assert not [m for m in modules if m.startswith("pybs_tui.cli")]
    # the Installed screen's inventory (install registry, disk use, filelock) comes when asked
    inventory = ("filelock", "pybs_tui.service.inventory", "pybs_tui.install.registry")
    assert offenders(modules, inventory) == []


def test_a_tui_session_that_never_opens_the_installed_screen_never_loads_the_inventory(tmp_path):
    """Launch, show the rows, quit: `service.inventory` (install registry, filelock) is never
    imported, not even on the way out."""
    code = """
import asyncio, json, os, sys
from pybs_tui.catalog.group import Host
from pybs_tui.settings import Settings
from pybs_tui.ui.app import PybsApp

async def main():
    app = PybsApp(Settings.from_env(offline=True), host=Host("linux", "x86_64", "gnu", 3))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(1000):
            await asyncio.sleep(0.01)
            if app.index is not None and not app.loading_catalog:
                break
        assert app.screen.table.rows
        await pilot.press("q")

asyncio.run(main())
print(json.dumps(sorted(sys.modules)))
"""
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
        timeout=120,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    modules = set(json.loads(run.stdout.strip().splitlines()[-1]))
    assert "pybs_tui.catalog.index" in modules
    assert offenders(modules, ("filelock", "pybs_tui.service.inventory")) == []
    # the status line of the embedded snapshot needs no humanize (a cached catalog's age does)
    assert offenders(modules, ("humanize",)) == []
