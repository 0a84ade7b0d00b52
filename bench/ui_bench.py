"""Measure the browser with the whole embedded snapshot: first paint, catalog shown,
filter keystrokes, facet changes. Prints numbers; not a test.

    PYTHONPATH=app python bench/ui_bench.py            # numbers
    PYTHONPATH=app python bench/ui_bench.py --floor    # a trivial Textual App, for comparison
    PYTHONPATH=app python bench/ui_bench.py --screenshot assets/screenshot-browse.svg

Runs headless (Textual's test driver) at 120x36, offline, in a throw-away PYBS_TUI_HOME, so
it reads the embedded snapshot and never the network.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # before textual and the app are imported

import argparse  # noqa: E402
import asyncio  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

HOST_WORDS = ("linux", "x86_64", "gnu", 3)  # fixed, so the screenshot does not depend on us


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run(screenshot: str | None, keys: str) -> None:
    from pybs_tui.catalog.group import Host
    from pybs_tui.catalog.view import Facets
    from pybs_tui.settings import Settings
    from pybs_tui.ui.app import PybsApp
    from pybs_tui.ui.screens.browse import BrowseScreen

    home = Path(tempfile.mkdtemp(prefix="pybs-bench-"))
    os.environ["PYBS_TUI_HOME"] = str(home)
    settings = Settings.from_env(offline=True)
    app = PybsApp(settings, host=Host(*HOST_WORDS))
    t_created = time.perf_counter()
    cpu: dict[str, float] = {"created": time.process_time()}
    rows_shown = app._rows_shown

    def cpu_at_rows_shown(partial: bool = False) -> None:  # CPU time, less bent by the load
        cpu.setdefault("first_rows", time.process_time())
        if not partial:
            cpu.setdefault("full_index", time.process_time())
        rows_shown(partial)

    app._rows_shown = cpu_at_rows_shown  # type: ignore[method-assign]
    async with app.run_test(size=(120, 36)) as pilot:
        for _ in range(1000):  # plain sleeps: a Pilot pause would steal the GIL from the worker
            await asyncio.sleep(0.01)
            if app.index is not None and not app.loading_catalog:
                break
        await pilot.pause()
        t = app.timings
        import datetime as dt

        print(f"date                         {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
        print(f"load average                 {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"builds in catalog            {len(app.index)}")
        print(f"imports + app construction   {ms(t_created - T0)}")
        print(f"first paint (from start)     {ms(t['first_paint'] - T0)}")
        print(f"first paint (from App())     {ms(t['first_paint'] - t['created'])}")
        for key in (
            "load_started",
            "catalog_read",
            "catalog_handled",
            "catalog_shown",
            "full_index",
            "full_index_handled",
            "full_index_shown",
        ):
            if key in t:
                print(f"  {key:<27}{ms(t[key] - T0)}")
        print(f"first rows shown (from start){ms(t['catalog_shown'] - T0):>10}   goal: < 500 ms")
        if "full_index_shown" in t:
            print(f"full index shown (from start){ms(t['full_index_shown'] - T0):>10}")
        print(f"CPU (user+sys) of the process: at App() {ms(cpu['created'])}, first rows "
              f"{ms(cpu['first_rows'])}, full index {ms(cpu.get('full_index', 0))}")  # fmt: skip
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        if screen:
            await _keystrokes(app, pilot, screen, keys)
            await _facets(pilot, screen, Facets)
        if screenshot:
            await _pose(pilot, screen, Facets)
            Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
            path = app.save_screenshot(
                filename=Path(screenshot).name, path=str(Path(screenshot).parent)
            )
            print(f"screenshot                   {path}")


async def _keystrokes(app, pilot, screen, keys: str) -> None:
    """Time each filter keystroke: key press -> rows replaced -> next frame painted."""
    view = screen.view
    view.set_mode("all")  # worst case: every archive of every host
    view.set_facets(view.facets.__class__(show_incompatible=True, prereleases=True, debug=True))
    screen.apply_facets(view.facets)
    await pilot.pause()
    handled: list[float] = []
    painted: list[float] = []
    original = screen._show_rows

    def timed_show_rows(keep=None):
        original(keep=keep)
        handled.append(time.perf_counter())
        screen.call_after_refresh(lambda: painted.append(time.perf_counter()))

    screen._show_rows = timed_show_rows
    await pilot.press("slash")
    to_handled, to_painted, counts = [], [], []
    for key in keys:
        handled.clear()
        painted.clear()
        start = time.perf_counter()
        await pilot.press("space" if key == " " else key)
        for _ in range(100):
            if painted:
                break
            await asyncio.sleep(0.001)
        if handled and painted:
            to_handled.append(handled[0] - start)
            to_painted.append(painted[0] - start)
            counts.append(len(screen.table.rows))
    screen._show_rows = original
    pure = []
    for i in range(1, len(keys) + 1):
        view.set_text(keys[:i])
        view._rows = None  # no incremental narrowing: the full scan
        t = time.perf_counter()
        view.rows()
        pure.append(time.perf_counter() - t)
    print(f"filter over                  {len(view.base())} builds, keys {keys!r}")
    print(f"  rows after each key        {counts}")
    print(f"  filter only (full scan)    median {ms(statistics.median(pure))}, max {ms(max(pure))}")
    print(
        f"  key -> table updated       median {ms(statistics.median(to_handled))}, "
        f"max {ms(max(to_handled))}"
    )
    print(
        f"  key -> frame painted       median {ms(statistics.median(to_painted))}, "
        f"max {ms(max(to_painted))}"
    )
    print(f"  per key (ms, painted)      {[round(x * 1000) for x in to_painted]}")


async def _facets(pilot, screen, facets_cls) -> None:
    """Time a facet change (tree and table rebuilt) and the host-fit toggle."""
    times = []
    for facets in (facets_cls(os="linux"), facets_cls(flavor="full"), facets_cls()):
        t = time.perf_counter()
        screen.apply_facets(facets)
        times.append(time.perf_counter() - t)
        await pilot.pause()
    print(
        f"facet change (tree+table)    median {ms(statistics.median(times))}, max {ms(max(times))}"
    )


async def _pose(pilot, screen, facets_cls) -> None:
    """The README's picture: the default view (uv's picks for this machine), 3.12 found by
    typing it on the table, its details below."""
    screen.query_one("#filter").value = ""
    screen.view.set_mode("picks")
    screen.apply_facets(facets_cls())
    screen.table.focus()
    await pilot.pause()
    for key in "3.12":
        await pilot.press(key)
    await pilot.pause(0.3)


async def floor() -> None:
    """The floor: a trivial Textual App (one Static) in the same driver and size, from
    process start to its first paint."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    t_imported = time.perf_counter()
    painted: list[float] = []
    cpu: list[float] = []

    class Trivial(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("hello")

        def on_mount(self) -> None:
            self.call_after_refresh(self.painted)

        def painted(self) -> None:
            painted.append(time.perf_counter())
            cpu.append(time.process_time())

    async with Trivial().run_test(size=(120, 36)):
        for _ in range(1000):
            await asyncio.sleep(0.01)
            if painted:
                break
    print(f"load average                 {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"trivial App: textual imported{ms(t_imported - T0):>10}")
    print(f"trivial App: first paint     {ms(painted[0] - T0):>10}   (from process start)")
    print(f"CPU (user+sys) of the process at the first paint {ms(cpu[0])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--screenshot", metavar="SVG", help="also save the browse screen")
    parser.add_argument("--keys", default="3.12 aarch64 musl", help="what to type")
    parser.add_argument("--floor", action="store_true", help="time a trivial Textual App")
    args = parser.parse_args()
    asyncio.run(floor() if args.floor else run(args.screenshot, args.keys))


if __name__ == "__main__":
    main()
