"""The export dialog (`x` on the browse screen with two rows marked), at 80x24."""

from __future__ import annotations

from pybs_tui.ui.screens.export_mirror import ExportMirror
from tests.snapshots.test_snapshots import loaded, make_app


def test_export_mirror_dialog(snap_compare):
    async def run_before(pilot) -> None:
        await loaded(pilot)
        await pilot.press("space", "space", "x")
        await pilot.pause()
        assert isinstance(pilot.app.screen, ExportMirror)

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=run_before)
