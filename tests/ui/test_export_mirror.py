"""`x` on the browse screen: the marked rows into a mirror folder, through the dialog."""

from __future__ import annotations

import pytest

from pybs_tui.ui.screens.export_mirror import ExportMirror
from tests.install.helpers import pbs_archive, serve
from tests.mirror.helpers import final_files, sums_of
from tests.ui.test_installs import make_app, ready, wait_until

pytestmark = pytest.mark.anyio


async def test_x_exports_the_marked_rows_into_the_folder_typed(settings, server, tmp_path):
    a_name, a = pbs_archive(version="3.12.3")
    b_name, b = pbs_archive(version="3.11.9")
    builds = [serve(server, a_name, a), serve(server, b_name, b)]
    app, _ = make_app(settings, builds, tmp_path)
    folder = tmp_path / "mirror"
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        await pilot.press("space", "space", "x")
        dialog = app.screen
        assert isinstance(dialog, ExportMirror)
        assert sorted(b.name for b in dialog.builds) == sorted([a_name, b_name])

        a_file = tmp_path / "a-file"
        a_file.write_text("x")
        await pilot.press(*str(a_file), "enter")
        await wait_until(
            pilot, lambda: "is not a folder" in str(dialog.query_one("#export-status").render())
        )
        assert not dialog.running

        dialog.query_one("#export-dir").value = str(folder)
        await pilot.press("enter")
        await wait_until(pilot, lambda: dialog.result is not None, timeout=30)
        assert "done: 2 downloaded" in str(dialog.query_one("#export-status").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, ExportMirror)
    tag = a_name.split("+")[1].split("-")[0]
    assert final_files(folder) == sorted(f"{tag}/{n}" for n in (a_name, b_name))
    assert sums_of(folder, tag) == sorted(
        [(a.sha256, a_name), (b.sha256, b_name)], key=lambda x: x[1]
    )
