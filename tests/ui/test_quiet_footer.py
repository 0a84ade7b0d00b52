"""QuietFooter: its keys are composed once for the first paint; when only whether keys are
enabled changes (the first rows arrive, a filter leaves no rows or clears), the same key
widgets are updated in place, dimmed and undimmed."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from pybs_tui.ui.widgets.quiet_footer import QuietFooter
from tests.ui.conftest import ready, screen_lines, until

pytestmark = pytest.mark.anyio


def footer_keys(app) -> dict[str, FooterKey]:
    footer = app.screen.query_one(QuietFooter)
    return {key.action: key for key in footer.query_children(FooterKey)}


async def test_the_keys_are_composed_once_for_the_start(make_app, monkeypatch):
    composed: list[int] = []
    recompose = QuietFooter.recompose

    async def counted(self) -> None:
        composed.append(1)
        await recompose(self)

    monkeypatch.setattr(QuietFooter, "recompose", counted)
    app, _ = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        keys = footer_keys(app)
        # before the catalog, compare and install were disabled; now enabled, in place
        assert not keys["compare"].has_class("-disabled") and not keys["install"]._disabled
        assert screen_lines(app)[-1].startswith("/ Filter ⏎ Compare i Install a All")
        assert len(composed) == 1


async def test_keys_are_enabled_and_disabled_in_place(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        screen = app.screen
        await pilot.press("slash", *"no-such-build", "enter")  # typed, back on the table
        await until(pilot, lambda: not screen.table.rows and app.focused is screen.table)
        await until(pilot, lambda: footer_keys(app)["compare"].has_class("-disabled"), "dim")
        keys = footer_keys(app)
        compare, install = keys["compare"], keys["install"]
        assert compare._disabled and install._disabled and install.has_class("-disabled")
        footer_line = screen_lines(app)[-1]
        await pilot.press("escape")  # on the table: clears the filter, the rows come back
        await until(pilot, lambda: screen.table.rows, "rows again")
        await until(pilot, lambda: not compare.has_class("-disabled"), "compare again")
        assert not install.has_class("-disabled") and not compare._disabled
        assert footer_keys(app) == keys  # the same widgets: not composed again
        assert screen_lines(app)[-1] == footer_line  # the same keys, now undimmed


async def test_other_keys_compose_the_footer_again(make_app):
    app, _ = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await ready(app, pilot)
        before = footer_keys(app)
        await pilot.press("slash")  # the filter has the focus: other keys (none of the table's)
        await until(pilot, lambda: footer_keys(app) != before, "the footer composed again")
        await pilot.press("escape")
        await until(pilot, lambda: set(footer_keys(app)) == set(before), "the table's keys")
        assert footer_keys(app)["compare"] is not before["compare"]
