"""Pilot tests of the browse screen: what it shows first, the filter, the tree, the marks, the
type-ahead, the detail pane, and the layout at 80x24 and 160x50.

Most assertions read the terminal itself (`screen_lines`): what a user sees, not the widgets'
state. The catalog and host are tests/ui/factory.py's (linux-x86_64-gnu, x86-64-v3).
"""

from __future__ import annotations

import pytest

from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.screens.compare import CompareScreen
from pybs_tui.ui.widgets.status_bar import StatusBar
from tests.ui import factory
from tests.ui.conftest import ready, screen_lines, screen_text, until

pytestmark = pytest.mark.anyio

GNU = "x86_64-unknown-linux-gnu"
PICK_313 = f"cpython-3.13.1+20241206-{GNU}-install_only_stripped.tar.gz"
PICK_313T = f"cpython-3.13.1+20241206-{GNU}-freethreaded-install_only_stripped.tar.gz"
PICK_3128 = f"cpython-3.12.8+20241206-{GNU}-install_only_stripped.tar.gz"
DEBUG_3123 = f"cpython-3.12.3+20240415-{GNU}-debug-full.tar.zst"
PICKS = [PICK_313, PICK_313T, PICK_3128]
SIZES = [(80, 24), (160, 50)]


def names(screen: BrowseScreen) -> list[str]:
    return [b.name for b in screen.table.rows]


def hint_line(app) -> str:
    return screen_lines(app)[app.screen.query_one("#hint").region.y]


def tree_lines(app) -> list[str]:
    """The version tree as drawn (its own columns of the screen), blank lines dropped."""
    region = app.screen.version_tree.region
    lines = [line[region.x : region.right] for line in screen_lines(app)[region.y : region.bottom]]
    return [text for line in lines if (text := line.strip(" ▕"))]


def table_text(app) -> str:
    """The build table as drawn (header and the rows on screen)."""
    region = app.screen.table.region
    lines = screen_lines(app)[region.y : region.bottom]
    return "\n".join(line[region.x : region.right] for line in lines)


def table_line(app, row: int) -> str:
    """The screen line of table row `row` (0: the first row under the header)."""
    table = app.screen.table
    y = table.region.y + 1 + row - int(table.scroll_y)
    return screen_lines(app)[y][table.region.x : table.region.right]


@pytest.mark.parametrize("size", SIZES)
async def test_first_view_is_uvs_picks_and_says_what_is_hidden(make_app, size):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        screen = app.screen
        assert isinstance(screen, BrowseScreen) and app.focused is screen.table
        assert names(screen) == PICKS
        lines = screen_lines(app)
        for row, version in enumerate(["3.13.1", "3.13.1t", "3.12.8"]):
            line = table_line(app, row)
            assert f"u {version} " in line and "linux-x86_64-gnu" in line
        assert "3.12.3" not in table_text(app)  # not the newest patch of 3.12
        assert "rc3" not in table_text(app)  # pre-releases hidden
        assert "debug" not in table_text(app) and "darwin" not in table_text(app)
        hint = hint_line(app)
        # what is hidden and the key that shows it, whole even at 80 columns
        assert hint.strip() == (
            "uv's picks · a: +25 archives · p: pre-releases · d: debug · h: other hosts"
        )
        # the status bar: one line, where the catalog comes from, the counts and the host
        bar = screen.query_one(StatusBar)
        assert bar.region.height == 1 and bar.region.y == 0
        assert lines[0].startswith(" embedded snapshot of")
        assert "3 rows of 28 archives" in lines[0]
        # the host only where there is room (the hint line names uv's picks for it anyway)
        assert ("host linux-x86_64-v3-gnu" in lines[0]) == (size[0] >= 110)
        assert "/ filter" in lines[1]


@pytest.mark.parametrize("size", SIZES)
async def test_footer_shows_every_key_without_the_palette_over_them(make_app, size):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        footer = screen_lines(app)[-1]
        assert footer.startswith("/ Filter")
        for key in ("⏎ Compare", "i Install", "a All", "? Help", "J Installs", "I Installed"):
            assert key in footer
        assert "palette" not in footer


async def test_toggles_change_the_rows_and_the_hint(make_app):
    app, notes = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("p")
        assert "3.14.0rc3" in table_line(app, 0)
        assert "p: hide pre-releases" in hint_line(app)
        assert "showing pre-releases" in notes.joined()
        await pilot.press("p", "d")
        assert "3.13.1+debug" in table_text(app) and "3.12.8+debug" in table_text(app)
        await pilot.press("d", "h")
        text = screen_text(app)
        assert "darwin-aarch64-none" in text and "windows-x86_64-msvc" in text
        assert "why not here" in text  # the reason column comes with them
        assert "built for darwin, this is linux" in text
        await pilot.press("h", "a")
        assert len(screen.table.rows) == 17
        assert hint_line(app).strip().startswith("every archive · a: uv's picks only · p: pre-")
        assert "uv's picks for this machine" not in notes.joined()
        await pilot.press("a")
        assert names(screen) == PICKS
        assert "uv's picks for this machine" in notes.joined()


async def test_escape_in_the_filter_goes_back_and_a_second_escape_clears(make_app):
    app, notes = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("slash")
        assert app.focused is screen.filter_input
        await pilot.press(*"3.12")
        assert names(screen) == [PICK_3128]  # narrows as you type
        await pilot.press("escape")
        assert app.focused is screen.table
        assert screen.filter_input.value == "3.12" and names(screen) == [PICK_3128]
        assert "3.12" in screen_lines(app)[1]  # the text stays in the box
        await pilot.press("escape")
        assert screen.filter_input.value == "" and names(screen) == PICKS
        assert "filter cleared" in notes.joined()
        assert app.focused is screen.table


async def test_keys_sent_in_one_burst_land_where_the_focus_moved(make_app):
    """A fast typist, a paste or `tmux send-keys '/3.12'`: every key is queued before the
    first is handled, so `/` and esc must move the focus before the next key is read."""
    from textual import events

    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        for key, char in [("slash", "/"), *((c, c) for c in "3.12"), ("escape", None)]:
            app.post_message(events.Key(key, char))
        app.post_message(events.Key("space", " "))  # marks the row: the table has the focus
        await pilot.pause()
        await pilot.pause()
        assert screen.filter_input.value == "3.12"
        assert names(screen) == [PICK_3128]
        assert app.focused is screen.table
        assert screen.table.marked == {PICK_3128}


async def test_enter_in_the_filter_applies_it_and_focuses_the_table(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("slash", *"3.13t", "enter")
        assert app.focused is screen.table
        assert names(screen) == [PICK_313T]
        assert "3.13.1t" in table_line(app, 0)
        await pilot.press("enter")  # enter on the table compares the row
        assert isinstance(app.screen, CompareScreen)


async def test_typing_a_debug_request_in_every_archive_mode(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("a", "slash", *"3.12.3+debug")
        assert names(screen) == [DEBUG_3123]  # though debug builds are hidden
        assert "3.12.3+debug" in table_line(app, 0)


async def test_tab_order_is_table_tree_filter(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        assert app.focused is screen.table
        await pilot.press("tab")
        assert app.focused is screen.version_tree
        await pilot.press("tab")
        assert app.focused is screen.filter_input
        await pilot.press("tab")
        assert app.focused is screen.table
        await pilot.press("shift+tab")
        assert app.focused is screen.filter_input


@pytest.mark.parametrize("size", SIZES)
async def test_the_trees_counts_follow_the_filter(make_app, size):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        assert tree_lines(app) == ["all versions 3", "▶ 3.13 2", "▶ 3.12 1"]
        await pilot.press("a")
        assert tree_lines(app) == ["all versions 17", "▶ 3.13 11", "▶ 3.12 6"]
        await pilot.press("slash", *"3.12 full")
        assert tree_lines(app) == ["all versions 2", "▶ 3.12 2"]
        await pilot.press("escape", "escape")
        assert tree_lines(app)[0] == "all versions 17"


async def test_the_trees_total_is_never_cut_short(make_app):
    app, _ = make_app(catalog=None)  # the embedded snapshot: thousands of archives
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        await pilot.press("a")
        total = len(app.screen.table.rows)
        assert total > 1000
        assert tree_lines(app)[0] == f"all versions {total}"
        await pilot.resize_terminal(80, 24)
        await until(pilot, lambda: app.screen.version_tree.region.width == 16, "the narrow tree")
        await pilot.pause()
        assert tree_lines(app)[0] == f"all {total}"  # "all versions 2…" would read as 2


async def test_the_tree_narrows_the_table_and_enter_returns_to_it(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("a", "tab")
        assert app.focused is screen.version_tree
        # no collapsible root: "all versions" is a leaf above the minors
        assert not screen.version_tree.show_root
        await pilot.press("space", "left", "enter")
        assert app.focused is screen.table
        assert tree_lines(app) == ["all versions 17", "▶ 3.13 11", "▶ 3.12 6"]
        await pilot.press("tab", "down", "down")  # all versions -> 3.13 -> 3.12
        assert {b.version.minor_str for b in screen.table.rows} == {"3.12"}
        assert len(screen.table.rows) == 6
        await pilot.press("right", "down")  # open 3.12, its first patch
        assert {b.version_str for b in screen.table.rows} == {"3.12.8"}
        assert tree_lines(app)[2:] == ["▼ 3.12 6", "├ 3.12.8 3", "└ 3.12.3 3"]
        await pilot.press("left")  # up to the minor
        assert len(screen.table.rows) == 6
        await pilot.press("left")  # and closed
        assert tree_lines(app)[2:] == ["▶ 3.12 6"]
        await pilot.press("enter")
        assert app.focused is screen.table
        assert "3.12.8" in table_line(app, 0) and "3.12.3" in table_text(app)
        assert "3.13" not in table_text(app)


async def test_marks_are_said_on_screen_and_c_compares_them(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("space")
        assert table_line(app, 0).startswith("●")
        assert "1 marked: c compares them" in hint_line(app)
        assert "1 marked" in screen.query_one(StatusBar).text
        assert screen.table.cursor == 1  # space moves down
        await pilot.press("down", "space")
        assert "2 marked: c compares them" in hint_line(app)
        await pilot.press("c")
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        assert sorted(b.name for b in compare.comparison.builds) == sorted([PICK_313, PICK_3128])
        await pilot.press("escape", "u")
        assert not table_line(app, 0).startswith("●")
        assert "marked" not in hint_line(app)


async def test_typing_digits_on_the_table_jumps_to_that_version(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("1", "2")
        assert screen.table.highlighted.name == PICK_3128
        assert "find: 12" in screen_lines(app)[0]
        await pilot.press("enter")
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        assert {b.version_str for b in compare.comparison.builds} == {"3.12.8"}


@pytest.mark.parametrize("size", SIZES)
async def test_five_keys_from_start_compare_every_archive_of_3_12(make_app, size):
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        await pilot.press("3", ".", "1", "2", "enter")
        compare = app.screen
        assert isinstance(compare, CompareScreen)
        labels = compare.comparison.labels
        assert {"install_only_stripped", "install_only"} <= set(labels)
        assert "pgo+lto full" in labels and "debug full" in labels
        header = next(line for line in screen_lines(app) if "install_only_stripped" in line)
        assert "install_only " in header and "pgo+lto full" in header
        assert "compare 3.12.8 · linux-x86_64-gnu · 20241206" in screen_lines(app)[0]


async def test_the_detail_pane_explains_size_flags_and_uvs_pick(make_app):
    app, _ = make_app(catalog=factory.catalog(sizes=False))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        text = screen_text(app)
        assert "3.13.1 · linux-x86_64-gnu · install_only_stripped" in text  # the pane's title
        assert f"file      {PICK_313}" in text
        assert "size      ? (offline: `pybs-tui sizes` fetches sizes online and keeps them)" in text
        assert "optimised PGO, LTO (inferred: cut from this release's pgo+lto full build)" in text
        assert "stripped  debug symbols stripped" in text
        assert "uv        uv's pick for `uv python install cpython-3.13.1-linux-x86_64-gnu`" in text
        assert " ? " in table_line(app, 0)  # the size column
        # a full build: its flags come from its name, and uv takes another archive
        await pilot.press("a", "slash", *"3.13 pgo+lto", "enter")
        optimised = next(line for line in screen_lines(app) if line.startswith(" optimised "))
        assert optimised.split() == ["optimised", "PGO,", "LTO"]  # from the name: no source
        uv = f"`uv python install cpython-3.13.1-linux-x86_64-gnu` takes {PICK_313}"
        assert uv in screen_text(app)


async def test_sorting_by_size_says_when_every_size_is_unknown(make_app):
    app, notes = make_app(catalog=factory.catalog(sizes=False))
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        await pilot.press("s")
        assert "every size shown is unknown, so the order is unchanged" in notes.joined()
        assert "sort: size, largest first (sizes unknown: order unchanged)" in screen_lines(app)[0]
        assert names(app.screen) == PICKS


async def test_sorting_by_size_orders_the_rows(make_app):
    app, _ = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "s")
        sizes = [b.size for b in app.screen.table.rows]
        assert sizes == sorted(sizes, reverse=True)
        largest = app.screen.table.rows[0]
        assert largest.size == max(factory.fake_size(n) for n in factory.NAMES if "debug" not in n)
        assert f"{largest.size / 1e6:.1f} MB" in table_line(app, 0)
        assert "sort: size, largest first" in screen_lines(app)[0]


async def test_the_platform_column_is_never_cut_at_80_columns(make_app):
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("a", "h", "slash", *"3.13 install_only", "enter")
        rows = screen.table.rows
        platforms = {b.platform_key for b in rows}
        assert {"linux-x86_64-musl", "linux-x86_64-gnu", "windows-x86_64-msvc"} <= platforms
        assert len(rows) <= screen.table.body_height  # every row is on screen
        for i, b in enumerate(rows):
            assert f" {b.platform_key} " in table_line(app, i), b.name


async def test_a_host_with_no_build_of_its_own_says_h_shows_them(make_app):
    app, _ = make_app(catalog=factory.seed_catalog())  # linux-aarch64 only; host x86_64
    async with app.run_test(size=(160, 50)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        assert screen.table.rows == []
        text = screen_text(app)
        assert "1 hidden: this machine cannot run them (h shows them)" in text
        assert "a shows every archive" in text
        await pilot.press("h")
        assert names(screen) == [factory.SEED_INSTALL_ONLY]
        assert "built for aarch64, this CPU is x86_64" in screen_text(app)
