"""Where measured speed is shown: the Installed screen (column, detail pane, b and x through
Pilot in the real PybsApp), `installed --json` and the comparison. The interpreters are real:
the runner's own and the same one slowed for real (see conftest.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pybs_tui.catalog.compare import comparison
from pybs_tui.catalog.names import parse_name
from pybs_tui.install.registry import Roots
from pybs_tui.install.speed import KERNELS
from pybs_tui.service.speed import SpeedStore, Target, bench_one, build_speeds, load_speeds
from pybs_tui.ui.screens.installed import InstalledScreen
from pybs_tui.ui.widgets.interpreter_detail import InterpreterDetail
from tests.bench_speed.conftest import script
from tests.installed.fakes import make_own_install
from tests.support.cli import run_cli
from tests.ui import factory
from tests.ui.conftest import ready, screen_text
from tests.ui.test_installed_screen import row, wait_until

pytestmark = pytest.mark.skipif(os.name != "posix", reason="shell-script interpreters")

ASSET = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"


def pyenv_pair(user: Path, fast: Path) -> tuple[Path, Path]:
    """Two pyenv installs: 3.11.7 runs the runner's interpreter as it is, 3.11.7-slow the same
    one with every allocation traced."""
    versions = user / ".pyenv" / "versions"
    quick = script(versions / "3.11.7" / "bin" / "python3", f'exec "{fast}" "$@"\n')
    slow = script(
        versions / "3.11.7-slow" / "bin" / "python3", f'exec "{fast}" -X tracemalloc=1 "$@"\n'
    )
    return quick, slow


@pytest.fixture
def world(tmp_path: Path, fast: Path):
    settings = factory.make_settings(tmp_path / "home")
    user = tmp_path / "user"
    quick, slow = pyenv_pair(user, fast)
    roots = Roots(env={}, home=user, platform="linux", cwd=None)
    return settings, roots, quick, slow


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_installed_screen_shows_speed_and_b_measures_the_highlighted(world) -> None:
    from pybs_tui.ui.app import PybsApp

    settings, roots, quick, slow = world
    bench_one(settings, Target(slow, "slow"), runs=1, steps=KERNELS)  # kept before the app
    app = PybsApp(settings, catalog=factory.catalog(), host=factory.HOST, roots=roots)
    shown: list[str] = []
    original = app.notify
    app.notify = lambda message, *a, **k: (shown.append(str(message)), original(message, *a, **k))  # type: ignore[method-assign]
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        await pilot.press("I")
        screen = app.screen
        assert isinstance(screen, InstalledScreen)
        await wait_until(pilot, lambda: screen.usage_known and len(app.inventory.interps) == 2)
        await pilot.pause()
        quick_dir, slow_dir = quick.parents[1], slow.parents[1]
        # only the slow one was measured: it is the fastest of its minor for now
        assert row(screen, slow_dir)["speed"] == "████ 1.00x"
        assert row(screen, quick_dir)["speed"] == "?"
        table = screen.table
        table.move_cursor(row=table.get_row_index(str(quick_dir)))
        await pilot.pause()
        detail = screen.query_one(InterpreterDetail).plain
        assert "speed ? not benchmarked yet: b measures it" in detail
        await pilot.press("b")
        seen: set[str] = set()

        def finished() -> bool:
            seen.add(row(screen, quick_dir)["speed"])
            if "benchmarking pyenv 3.11.7" in screen_text(app):
                seen.add("status")
            return app.inventory.bench is None

        await wait_until(pilot, finished, timeout=120)
        await pilot.pause()
        assert any(s.startswith("run ") for s in seen) and "status" in seen
        assert "benchmarked 1 interpreter" in shown
        quick_speed, slow_speed = row(screen, quick_dir)["speed"], row(screen, slow_dir)["speed"]
        assert quick_speed == "████ 1.00x"
        assert float(slow_speed.split()[-1].rstrip("x")) < 1.0
        table.move_cursor(row=table.get_row_index(str(slow_dir)))
        await pilot.pause()
        detail = screen.query_one(InterpreterDetail).plain
        assert "speed release 0." in detail
        assert "the speed of the fastest 3.11 here (pyenv 3.11.7)" in detail
        assert "geometric mean of 6 kernels" in detail and "measured " in detail
        # x stops a run: nothing is kept of the interrupted one, the old result stays
        before = load_speeds(settings)[0]
        await pilot.press("b")
        await wait_until(pilot, lambda: app.inventory.bench is not None)
        await pilot.press("x")
        await wait_until(pilot, lambda: app.inventory.bench is None, timeout=30)
        assert any("cancelled" in s for s in shown)
        after = load_speeds(settings)[0]
        assert {k: v.result.measured_at for k, v in after.items() if v.result} == {
            k: v.result.measured_at for k, v in before.items() if v.result
        }


@pytest.mark.anyio
async def test_installed_screen_at_80_columns_keeps_the_speed_column(world) -> None:
    from pybs_tui.ui.app import PybsApp

    settings, roots, quick, slow = world
    for exe in (quick, slow):
        bench_one(settings, Target(exe, str(exe)), runs=1, steps=KERNELS)
    app = PybsApp(settings, catalog=factory.catalog(), host=factory.HOST, roots=roots)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("I")
        screen = app.screen
        assert isinstance(screen, InstalledScreen)
        await wait_until(pilot, lambda: screen.usage_known and len(app.inventory.interps) == 2)
        await pilot.pause()
        text = screen_text(app)
        assert "speed" in text and "1.00x" in text
        assert row(screen, quick.parents[1])["speed"] == "██ 1.00x"


def test_installed_json_and_compare_show_the_speed_of_installed_builds(
    tmp_path: Path, fast: Path
) -> None:
    home = tmp_path / "home"
    settings = factory.make_settings(home)
    folder, _ = make_own_install(settings, ASSET)
    exe = folder / "bin" / "python3.12"
    exe.write_text(f'#!/bin/sh\nexec "{fast}" "$@"\n')
    exe.chmod(0o755)
    bench_one(settings, Target(folder / "bin" / "python3", "own"), runs=1, steps=KERNELS)
    done = run_cli("installed", "--own", "--json", home=home, HOME=str(tmp_path / "user"))
    assert done.returncode == 0, done.stderr
    (interp,) = json.loads(done.stdout)["interpreters"]
    assert interp["speed"]["relative"] == 1.0 and interp["speed"]["why_unknown"] is None
    assert interp["speed"]["result"]["variant"] == "default"
    table = run_cli("installed", "--own", home=home, HOME=str(tmp_path / "user"))
    assert "speed" in table.stdout.splitlines()[0] and "1.00x" in table.stdout
    # compare: the installed column gets its speed, the others '-'
    build = parse_name(ASSET)
    other = parse_name(ASSET.replace("install_only", "install_only_stripped"))
    assert build is not None and other is not None
    comp = comparison([build, other], speed=build_speeds(settings, {ASSET: str(folder)}))
    speed_row = comp.row("speed")
    texts = dict(zip((b.name for b in comp.builds), (c.text for c in speed_row.cells), strict=True))
    assert texts == {ASSET: "release 1.00x", other.name: "-"}
    columns = {c["name"]: c for c in comp.to_json()["columns"]}
    assert columns[ASSET]["speed"]["relative"] == 1.0 and columns[other.name]["speed"] is None
    # not installed anywhere: no speed row at all
    assert "speed" not in [r.attribute for r in comparison([other], speed=lambda b: None).rows]
    # a corrupt store: '?' with why, one note, no crash
    SpeedStore(settings).path.write_text("{")
    comp = comparison([build], speed=build_speeds(settings, {ASSET: str(folder)}))
    assert comp.row("speed").cells[0].text == "? the kept results are unreadable"
    done = run_cli("installed", "--own", home=home, HOME=str(tmp_path / "user"))
    assert done.returncode == 0 and "speed results corrupt" in done.stderr


@pytest.mark.anyio
async def test_compare_screen_shows_the_speed_of_the_installed_column(
    tmp_path: Path, fast: Path
) -> None:
    from pybs_tui.ui.app import PybsApp
    from pybs_tui.ui.screens.compare import CompareScreen
    from tests.ui.test_compare_screen import row_line

    settings = factory.make_settings(tmp_path / "home")
    seed = "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu-install_only.tar.gz"
    folder, _ = make_own_install(settings, seed)
    exe = folder / "bin" / "python3.12"
    exe.write_text(f'#!/bin/sh\nexec "{fast}" "$@"\n')
    exe.chmod(0o755)
    bench_one(settings, Target(folder / "bin" / "python3", "own"), runs=1, steps=KERNELS)
    app = PybsApp(settings, catalog=factory.seed_catalog(), host=factory.SEED_HOST)
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        await pilot.pause()
        assert screen.comparison is not None
        cells = [c.text for c in screen.comparison.row("speed").cells]
        assert cells == ["release 1.00x", "-", "-"]  # install_only is the first column
        line = row_line(app, "speed")
        assert "release 1.00x" in line and line.count(" - ") >= 1


@pytest.mark.anyio
async def test_quitting_the_app_stops_a_running_benchmark(world) -> None:
    from pybs_tui.ui.app import PybsApp

    settings, roots, _, _ = world
    app = PybsApp(settings, catalog=factory.catalog(), host=factory.HOST, roots=roots)
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        await pilot.press("I")
        screen = app.screen
        await wait_until(pilot, lambda: screen.usage_known and len(app.inventory.interps) == 2)
        await pilot.press("b")
        await wait_until(pilot, lambda: app.inventory.bench is not None)
        run = app.inventory.bench
        assert run is not None and not run.cancel.is_set()
    assert run.cancel.is_set()
