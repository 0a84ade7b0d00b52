"""Reliability cases 44-46 (issue 13, holes 5-7): text from outside reaches the screen as
plain, visible text, never as Rich markup or raw control characters, in every view of the TUI
and in the CLI's output; and a crash of the TUI ends with a non-zero exit status.

case44 (hole 5): markup in error texts (a refused member, a probe's answer, a rate-limit
header) in the install panes, their tooltips, the notifications and the CLI's progress bar.
case45 (hole 6): a catalog's URLs, notes and origin in the browser, compare view, palette.
case46 (hole 7): folder names, pin files and receipts in the Installed view and dialogs, and
in `installed`/`prune`; a crash of the TUI exits non-zero.

The hostile text carries markup that would not parse (`[/b]`), markup that would (`[bold]`),
an OSC that retitles the terminal and a BEL, a CSI that wipes the screen, the 8-bit CSI, a
right-to-left override and (for file names) a byte that is not UTF-8. Each TUI case drives
it through the real App (Pilot) and checks what the App would write to the terminal for the
whole screen (the compositor's update, as the driver gets it); the last cases run the real
TUI in a pseudo-terminal and read the bytes it writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from textual.widgets import Input, Tooltip

from pybs_tui.catalog.models import Catalog
from pybs_tui.install.registry import Roots
from pybs_tui.settings import Settings
from pybs_tui.ui.app import PybsApp
from pybs_tui.ui.screens.browse import BrowseScreen
from pybs_tui.ui.screens.compare import CompareScreen
from pybs_tui.ui.screens.confirm_install import ConfirmInstall
from pybs_tui.ui.screens.confirm_uninstall import ConfirmPrune, ConfirmUninstall
from pybs_tui.ui.screens.help import HelpScreen
from pybs_tui.ui.screens.installed import InstalledScreen
from pybs_tui.ui.screens.installs import InstallsScreen
from pybs_tui.units import printable
from tests.install.helpers import TAG, host_triple, pbs_archive, serve, staging_left, tree_state
from tests.installed.fakes import child_env, make_own_install, receipt_for, write
from tests.installed.fakes import run_cli as run_installed_cli
from tests.support.archives import Member, pbs_members
from tests.support.server import Route
from tests.ui import factory
from tests.ui.conftest import Recorder
from tests.ui.test_installs import install_via_ui, open_installs, pane_of, tap, wait_until
from tests.ui.test_installs import make_app as make_install_app

pytestmark = pytest.mark.anyio

#: Markup that does not parse, markup that does, an OSC retitling the terminal (ended by BEL),
#: a CSI wiping the screen, the 8-bit CSI asking for the cursor, a right-to-left override.
HOSTILE = "x[/b][bold]\x1b]0;PWNEDTITLE\x07\x1b[2J\x9b6n\u202eevil"
#: How it must read on the screen: every control character written out, the markup as text.
VISIBLE = r"x[/b][bold]\x1b]0;PWNEDTITLE\x07\x1b[2J\x9b6n\u202eevil"
#: A folder name with a byte that is not UTF-8 (a str holding a lone surrogate in Python).
BAD_BYTE = os.fsdecode(b"bad\xff")

#: What Textual itself writes between the characters: colours (SGR) and cursor moves (CUP).
_OWN_SEQUENCES = re.compile(r"\x1b\[[0-9;]*[mH]")
_BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _unsafe(char: str) -> bool:
    code = ord(char)
    return (
        (code < 0x20 and char != "\n")
        or 0x7F <= code < 0xA0
        or 0xD800 <= code <= 0xDFFF
        or char in _BIDI
    )


def raw_controls(text: str) -> list[str]:
    """The control characters in `text` that are not Textual's own colours and moves."""
    rest = _OWN_SEQUENCES.sub("", text)
    return sorted({f"U+{ord(c):04X}" for c in rest if _unsafe(c)})


def written(app: PybsApp) -> str:
    """What the App writes to the terminal to draw its whole screen now (the compositor's
    full update, as the driver receives it)."""
    update = app.screen._compositor.render_update(full=True)
    return update.render_segments(app.console)


def shown(app: PybsApp) -> str:
    """The screen's text, one line per row, without styles."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def assert_safe(app: PybsApp, where: str, *, visible: str | None = VISIBLE) -> None:
    """The App still runs, writes no control character from outside, and shows `visible`."""
    assert app.is_running and app._exception is None, f"{where}: the app died: {app._exception}"
    out = written(app)
    assert raw_controls(out) == [], f"{where}: raw control characters written to the terminal"
    assert "\x1b]0;PWNEDTITLE" not in out, where
    if visible is not None:
        assert visible in shown(app), f"{where}: {visible!r} not shown\n{shown(app)}"


def outside(tmp_path: Path) -> tuple[Path, dict[str, tuple]]:
    """An outside/ sentinel next to the app's home, and its state."""
    root = tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    (root / "f").write_bytes(b"sentinel\n")
    (root / "sub" / "g").write_bytes(b"sentinel too\n")
    return root, tree_state(root)


async def settle(pilot: Any, condition: Callable[[], bool], what: str = "") -> None:
    """Run the app until `condition()` holds (at most ~15 s); a crash fails at once."""
    app = pilot.app
    start = time.monotonic()
    while not condition():
        assert app._exception is None, f"the app died: {app._exception!r}"
        assert time.monotonic() - start < 15, f"timed out waiting for {what}\n{shown(app)}"
        await pilot.pause(0.02)
    await pilot.pause()


# -- hole 6: a catalog's text (URLs, notes, origin) in the browser and the compare view ------


def hostile_catalog() -> Catalog:
    """The test catalog; every archive of 3.12.3 has a hostile download URL (the detail pane
    and the compare view show it); a hostile note and origin."""
    builds = []
    for b in factory.builds():
        if b.version_str == "3.12.3":
            b = b.with_source(url=f"https://example.invalid/{HOSTILE}/{b.name}")
        builds.append(b)
    return Catalog(builds, "file", f"/tmp/{HOSTILE}.json", factory.SNAPSHOT_TIME,
                   notes=[f"note from the catalog: {HOSTILE}"])  # fmt: skip


def hostile_row(app: PybsApp) -> int:
    screen = app.screen
    assert isinstance(screen, BrowseScreen)
    return next(i for i, b in enumerate(screen.table.rows) if b.version_str == "3.12.3")


async def test_case45_catalog_text_is_plain_in_browser_compare_help_palette(tmp_path):
    settings = factory.make_settings(tmp_path / "home")
    app = PybsApp(settings, catalog=hostile_catalog(), host=factory.HOST)
    recorder = Recorder(app)
    async with app.run_test(size=(220, 50), notifications=True) as pilot:
        await settle(pilot, lambda: app.index is not None and not app.loading_catalog, "catalog")
        screen = app.screen
        assert isinstance(screen, BrowseScreen)
        await pilot.press("a")  # every archive: the 3.12.3 rows too
        await settle(pilot, lambda: any(b.version_str == "3.12.3" for b in screen.table.rows))
        screen.table.cursor = hostile_row(app)
        await settle(pilot, lambda: "example.invalid" in shown(app), "the detail pane")
        # the note arrived as a notification, the origin is in the status line
        assert any("note from the catalog" in m for m in recorder.messages)
        assert "note from the catalog" in shown(app)
        assert_safe(app, "browse: detail pane, status line, notification")
        assert f"/tmp/{VISIBLE}.json" in shown(app)

        await pilot.press("enter")  # the compare view of that version: its detail has the URL
        await settle(pilot, lambda: isinstance(app.screen, CompareScreen), "compare")
        await settle(pilot, lambda: "example.invalid" in shown(app), "the compare detail")
        assert_safe(app, "compare view")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, BrowseScreen), "back")

        await pilot.press("question_mark")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        assert_safe(app, "help", visible=None)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, BrowseScreen), "back")

        await pilot.press("ctrl+p")
        await settle(pilot, lambda: bool(app.screen.query(Input)), "the command palette")
        await pilot.press(*"install 3.12.3 [/b]")
        await pilot.pause(0.3)
        assert_safe(app, "command palette", visible="[/b]")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, BrowseScreen), "back")
        assert_safe(app, "browse again", visible=None)


async def test_case45_catalog_error_text_is_plain(tmp_path):
    """A catalog that cannot be read: the error (with the hostile path) in the table, the
    detail pane and a notification."""
    settings = factory.make_settings(tmp_path / "home")
    missing = tmp_path / HOSTILE / "catalog.json"
    app = PybsApp(settings, catalog_arg=str(missing), host=factory.HOST)
    async with app.run_test(size=(220, 50), notifications=True) as pilot:
        await settle(pilot, lambda: "first_paint" in app.timings and not app.loading_catalog)
        await settle(pilot, lambda: "PWNEDTITLE" in shown(app), "the error shown")
        assert app.index is None
        assert_safe(app, "browse with a catalog error")


# -- hole 5: install errors with markup and control characters -------------------------------


def probe_script(version_json: str) -> bytes:
    """A bin/python3 stand-in that prints the probe's JSON as given (printf: no escapes)."""
    answer = json.dumps(
        {
            "version": "@V@",
            "Py_DEBUG": 0,
            "Py_GIL_DISABLED": 0,
            "abiflags": "",
            "CONFIG_ARGS": "'--enable-optimizations' '--with-lto'",
        }
    ).replace('"@V@"', version_json)
    return b"#!/bin/sh\nprintf '%s\\n' '" + answer.encode() + b"'\n"


def lying_probe_archive(version: str) -> tuple[str, Any]:
    """A 3.12.3 archive whose interpreter says it is the hostile version."""
    members = pbs_members("python", version)
    hostile_version = json.dumps(f"{version}{HOSTILE}")  # \u001b etc: JSON escapes
    members = [
        Member(m.name, probe_script(hostile_version), m.kind, m.target, m.mode)
        if m.name == f"python/bin/python{version[:4]}"
        else m
        for m in members
    ]
    return pbs_archive(version=version, members=members)


async def test_case44_install_errors_with_markup_keep_the_app_and_other_installs(
    settings, server, tmp_path
):
    """Three installs fail with hostile text in their errors (a refused member named
    `python/x[/b]…`, an interpreter answering the probe with it, a 403 whose rate-limit
    header holds `60[/x]`) while a good one installs: the app keeps running, the good
    install ends done, the panes, their tooltips and the notifications show the text as
    plain text; nothing is left behind, nothing outside changes."""
    sentinel, before = outside(tmp_path)
    refused_name, refused = pbs_archive(
        version="3.11.9",
        extra=[Member(f"python/x[/b]{HOSTILE}", kind="symlink", target="/etc/passwd")],
    )
    lying_name, lying = lying_probe_archive("3.12.3")
    good_name, good = pbs_archive(version="3.13.1")
    limited_name, limited = pbs_archive(version="3.10.14")
    builds = [
        serve(server, refused_name, refused),
        serve(server, lying_name, lying),
        serve(server, good_name, good),
    ]
    limited_build = serve(server, limited_name, limited)
    refusal = Route(b"{}", status=403, headers={"x-ratelimit-remaining": "0",
                                               "x-ratelimit-limit": "60[/x]"})  # fmt: skip
    for path in (f"/dl/{TAG}/{limited_name}", f"/dl/{TAG}/{quote(limited_name)}"):
        server.add(path, refusal)
    builds.append(limited_build)

    app, recorder = make_install_app(settings, builds, tmp_path)
    async with app.run_test(size=(200, 50), notifications=True, tooltips=True) as pilot:
        await settle(pilot, lambda: app.index is not None and not app.loading_catalog)
        jobs = [await install_via_ui(app, pilot, b.name) for b in builds]
        await settle(pilot, lambda: all(j.ended for j in jobs), "every install ended")
        refused_job, lying_job, good_job, limited_job = jobs
        assert good_job.phase == "done", good_job.error
        for job in (refused_job, lying_job, limited_job):
            assert job.phase == "failed"
            assert "\n" not in job.error and len(job.error) < 400, job.error
        assert "x[/b]" in refused_job.error
        # a header that is not a number is not quoted at all (net reads headers strictly)
        assert "rate limit" in limited_job.error and "60" not in limited_job.error
        assert "PWNEDTITLE" in lying_job.error
        await open_installs(app, pilot)
        for job in jobs:
            pane = pane_of(app, job)
            await settle(pilot, lambda pane=pane: pane.shown_phase == pane.job.phase)
        # the probe's answer is in the flags' tooltip: hover it (MarkupError on main)
        await pilot.hover(pane_of(app, lying_job).flags)
        tooltip = app.screen.get_child_by_type(Tooltip)
        await settle(pilot, lambda: tooltip.display, "the tooltip")  # after a short delay
        assert "PWNEDTITLE" in str(tooltip.render())
        assert_safe(app, "installs screen, tooltip and notifications", visible="x[/b]")
        assert "x[/b]" in shown(app) and r"\x1b]0;PWNEDTITLE" in shown(app)
        notified = recorder.joined()
        assert "x[/b]" in notified
        assert "install of 3.12.3 failed" in shown(app)  # its notification is on screen
        await tap(pilot, "escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, InstallsScreen))
        assert_safe(app, "browse after the installs", visible=None)
    assert staging_left(settings.install_dir) == []
    assert tree_state(sentinel) == before


# -- hole 7: folder names, pin files and receipts in the Installed view ----------------------

A3123 = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
A3128 = "cpython-3.12.8+20241206-x86_64-unknown-linux-gnu-install_only.tar.gz"
HOSTILE_DIRS = ["x[", HOSTILE, BAD_BYTE]


def hostile_home(user: Path, settings: Settings) -> tuple[Path, Path]:
    """Two own installs of 3.12 (the older one is what prune would take), the older used by
    venvs under hostile folder names and pinned by a hostile .python-version; its receipt's
    fields are hostile too."""
    old, _ = make_own_install(settings, A3123)
    new, _ = make_own_install(settings, A3128)
    receipt = receipt_for(A3123, source=HOSTILE, installed_at=HOSTILE)
    (old / ".pybs-receipt.json").write_text(json.dumps(receipt))
    for i, name in enumerate(HOSTILE_DIRS):
        folder = user / name / ("y]" if name == "x[" else f"p{i}") / ".venv"
        write(folder / "pyvenv.cfg", f"home = {old}/bin\n".encode())
    write(user / "proj" / ".python-version", f"{old}/pin{HOSTILE}\n".encode())  # a path in it
    return old, new


async def test_case46_installed_view_shows_folder_names_plainly(tmp_path):
    settings = factory.make_settings(tmp_path / "home")
    user = tmp_path / "user"
    old, _ = hostile_home(user, settings)
    roots = Roots(env={}, home=user, platform="linux", cwd=None)
    app = PybsApp(settings, catalog=factory.catalog(), host=factory.HOST, roots=roots)
    async with app.run_test(size=(200, 60), notifications=True) as pilot:
        await settle(pilot, lambda: app.index is not None and not app.loading_catalog)
        await pilot.press("I")
        screen = app.screen
        assert isinstance(screen, InstalledScreen)
        await settle(
            pilot,
            lambda: screen.usage_known and app.inventory.busy == ""
            and all(i.size is not None for i in app.inventory.interps.values()),
            "the inventory",
        )  # fmt: skip
        screen.table.move_cursor(row=screen.table.get_row_index(str(old)))
        await settle(pilot, lambda: "PWNEDTITLE" in shown(app), "the detail pane")
        assert_safe(app, "installed: table and detail")
        assert r"x[/y]/.venv" in shown(app) and r"bad\xff" in shown(app)
        assert r"/pinx[/b][bold]\x1b]0;PWNED" in screen.detail.plain  # the pin file's words

        await pilot.press("u")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmUninstall), "uninstall dialog")
        assert_safe(app, "uninstall dialog")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, InstalledScreen), "back")

        await pilot.press("p")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmPrune), "prune dialog")
        await pilot.pause(0.1)
        assert_safe(app, "prune dialog")
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, InstalledScreen), "back")
        assert_safe(app, "installed again")
    assert old.exists()


async def test_case46_confirm_install_dialog_is_plain(tmp_path):
    """The install dialog shows the target and free-space folders (the home's path) and the
    download's source: a hostile home folder reads as text."""
    settings = factory.make_settings(tmp_path / HOSTILE / "home")
    app = PybsApp(settings, catalog=hostile_catalog(), host=factory.HOST)
    async with app.run_test(size=(220, 50), notifications=True) as pilot:
        await settle(pilot, lambda: app.index is not None and not app.loading_catalog)
        await pilot.press("a")
        await settle(pilot, lambda: any(b.version_str == "3.12.3" for b in app.screen.table.rows))
        app.screen.table.cursor = hostile_row(app)
        await pilot.press("i")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmInstall), "install dialog")
        assert_safe(app, "install dialog")
        await pilot.press("n")
        await settle(pilot, lambda: isinstance(app.screen, BrowseScreen), "back")


# -- units.printable: the one escaper ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "seen"),
    [
        ("plain text · ünïcode ✓", "plain text · ünïcode ✓"),
        ("a\x1bb", r"a\x1bb"),
        ("bell\x07 nul\x00 tab\t nl\n cr\r", r"bell\x07 nul\x00 tab\x09 nl\x0a cr\x0d"),
        ("del\x7f c1\x85 csi\x9b", r"del\x7f c1\x85 csi\x9b"),
        (
            "rlo\u202e lri\u2066 pdi\u2069 lrm\u200e alm\u061c",
            r"rlo\u202e lri\u2066 pdi\u2069 lrm\u200e alm\u061c",
        ),
        ("zw\u200b bom\ufeff ls\u2028 ps\u2029", r"zw\u200b bom\ufeff ls\u2028 ps\u2029"),
        (BAD_BYTE, r"bad\xff"),
        ("lone \ud800 high", r"lone \ud800 high"),
        ("[bold]x[/b]", "[bold]x[/b]"),
    ],
)
def test_printable_makes_every_control_character_visible(raw, seen):
    assert printable(raw) == seen
    printable(raw).encode("utf-8")  # always encodable: no lone surrogate left


def test_printable_lines_keeps_line_breaks():
    from pybs_tui.units import printable_lines

    assert printable_lines("one\x1b[2J\ntwo\r\n") == "one\\x1b[2J\ntwo\\x0d\n"


# -- the CLI: list, compare, sizes, installed --------------------------------------------------


def assert_plain_output(proc: subprocess.CompletedProcess[str], where: str) -> None:
    for stream, text in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        assert raw_controls(text) == [], f"{where} {stream}: {text[-2000:]!r}"
        assert "Traceback" not in text, f"{where} {stream}: {text[-2000:]}"


def hostile_catalog_file(folder: Path, url_base: str) -> Path:
    """GitHub API JSON of one release (this host's 3.12.3 archives) at `url_base`/name."""
    names = [f"cpython-3.12.3+{TAG}-{host_triple()}-{tail}"
             for tail in ("install_only.tar.gz", "install_only_stripped.tar.gz")]  # fmt: skip
    answer = [
        {
            "tag_name": TAG,
            "published_at": "2024-04-15T00:00:00Z",
            "assets": [
                {
                    "name": n,
                    "size": None,
                    "digest": f"sha256:{factory.fake_sha(n)}",
                    "browser_download_url": f"{url_base}/{n}",
                }
                for n in names
            ],
        }
    ]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "catalog.json"
    path.write_text(json.dumps(answer))
    return path


def test_case46_cli_installed_prints_folder_names_plainly(tmp_path):
    settings = Settings.from_env({"PYBS_TUI_HOME": str(tmp_path / "home")})
    hostile_home(tmp_path / "user", settings)
    proc = run_installed_cli(tmp_path, "installed", "--own")
    assert proc.returncode == 0, proc.stderr
    assert_plain_output(proc, "installed")
    assert "3.12.3" in proc.stdout
    proc = run_installed_cli(tmp_path, "prune", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert_plain_output(proc, "prune --dry-run")
    assert r"x[/y]/.venv" in proc.stdout and r"bad\xff" in proc.stdout
    assert VISIBLE in proc.stdout
    proc = run_installed_cli(
        tmp_path, "installed", "--own", "--catalog", str(tmp_path / HOSTILE / "missing.json")
    )
    assert proc.returncode == 0, proc.stderr
    assert_plain_output(proc, "installed --catalog <missing>")
    assert VISIBLE in proc.stderr


def test_case45_cli_list_compare_sizes_print_plainly(tmp_path, server):
    """The catalog's path, the home's path and the catalog's URLs are outside text: list,
    compare and sizes print them plainly. (The URLs sizes asks are plain: a URL with control
    characters is refused before any request, see the network cases.)"""
    env = {"PYBS_TUI_HOME": str(tmp_path / HOSTILE / "home"), "PYBS_TUI_OFFLINE": ""}
    hostile = hostile_catalog_file(tmp_path / HOSTILE / "a", "https://example.invalid/" + HOSTILE)
    plain = hostile_catalog_file(tmp_path / HOSTILE / "b", server.url("/dl"))
    for args in (
        ["list", "--all", "--catalog", str(hostile)],
        ["compare", "3.12.3", "--catalog", str(hostile)],
        ["sizes", "--all", "--catalog", str(plain)],
    ):
        proc = run_installed_cli(tmp_path, *args, **env)
        assert proc.returncode in (0, 1), proc.stderr
        assert "error" not in proc.stderr, proc.stderr
        assert_plain_output(proc, args[0])
        assert VISIBLE in proc.stdout + proc.stderr, (args[0], proc.stdout, proc.stderr)


# -- the real TUI in a pseudo-terminal: the bytes it writes, its exit status -------------------


class Terminal:
    """`python -m pybs_tui ARGS` (or `-c CODE`) on a pseudo-terminal of 160x48; `read_until`
    collects what it writes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
        self.proc = subprocess.Popen(
            [sys.executable, *argv],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env={**env, "TERM": "xterm-256color", "COLUMNS": "160", "LINES": "48"},
            cwd=cwd,
            start_new_session=True,
        )
        os.close(slave)
        self.master = master
        self.out = b""

    def read_until(self, marker: bytes | None, timeout: float = 30.0) -> bool:
        """Read until `marker` was written (or, with None, until the process ends)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if marker is not None and marker in self.out:
                return True
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(self.master, 65536)
                except OSError:  # the other end closed
                    data = b""
                if not data:
                    return marker is None
                self.out += data
            elif self.proc.poll() is not None:
                return marker is None
        return False

    def send(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def finish(self, timeout: float = 20.0) -> int:
        self.read_until(None, timeout)
        try:
            return self.proc.wait(timeout=5)
        finally:
            os.close(self.master)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def test_case45_real_tui_writes_no_escape_sequence_of_the_catalog(tmp_path):
    """The detail pane of the real TUI on a real (pseudo) terminal: the URL's OSC and CSI are
    written out as text; q quits with status 0."""
    catalog = hostile_catalog_file(tmp_path / "cat", f"https://example.invalid/{HOSTILE}")
    user = tmp_path / "user"
    user.mkdir()
    term = Terminal(["-m", "pybs_tui", "--catalog", str(catalog)], child_env(tmp_path), user)
    try:
        assert term.read_until(b"PWNEDTITLE"), term.out[-3000:]
        assert term.read_until(b"example.invalid")
        time.sleep(0.3)  # let it finish drawing
        term.read_until(b"\x00never", timeout=0.5)
        term.send(b"q")
        status = term.finish()
    finally:
        term.kill()
    out = term.out.decode("utf-8", "replace")
    assert "\x1b]0;PWNEDTITLE" not in out
    assert "\x07\x1b[2J" not in out and "\u009b" not in out and "\u202e" not in out
    assert r"\x1b]0;PWNEDTITLE" in out
    assert status == 0


CRASH = (
    "import sys\n"
    "from pybs_tui.ui.screens import browse\n"
    "def boom(self):\n"
    "    raise RuntimeError('the browser broke')\n"
    "browse.BrowseScreen.on_mount = boom\n"
    "from pybs_tui.__main__ import main\n"
    "sys.exit(main(['--offline']))\n"
)


def test_case46_a_crash_of_the_tui_exits_non_zero(tmp_path):
    """Whatever ends the TUI with an exception, the exit status says so (it was 0)."""
    user = tmp_path / "user"
    user.mkdir()
    term = Terminal(["-c", CRASH], child_env(tmp_path), user)
    try:
        status = term.finish(timeout=60)
    finally:
        term.kill()
    out = term.out.decode("utf-8", "replace")
    assert "the browser broke" in out
    assert status != 0, out[-2000:]


def test_case44_cli_install_on_a_terminal_with_markup_in_its_paths(tmp_path):
    """`pybs-tui install` on a terminal draws a progress bar whose description names the
    target folder: a home under `x[/b]…` ended it with MarkupError (a traceback, exit 1)."""
    name, archive = pbs_archive(version="3.12.3", tag="20240101")  # a release no catalog has
    source = tmp_path / "src" / name
    source.parent.mkdir()
    source.write_bytes(archive.data)
    sentinel, before = outside(tmp_path)
    home = tmp_path / HOSTILE / "home"
    user = tmp_path / "user"
    user.mkdir()
    argv = ["-m", "pybs_tui", "install", str(source), "--allow-unverified"]
    term = Terminal(argv, child_env(tmp_path, PYBS_TUI_HOME=str(home)), user)
    try:
        status = term.finish(timeout=60)
    finally:
        term.kill()
    out = term.out.decode("utf-8", "replace")
    assert "Traceback" not in out and "MarkupError" not in out, out[-3000:]
    assert status == 0, out[-3000:]
    assert f"installed {name} at" in out and VISIBLE in out
    assert "\x1b]0;PWNEDTITLE" not in out and "\u202e" not in out
    assert staging_left(home / "data" / "pythons") == []
    assert tree_state(sentinel) == before


def test_case48_sigterm_ends_the_tui_and_restores_the_terminal(tmp_path):
    """SIGTERM to a running TUI: textual's loop ends like a quit (the alternate screen is left,
    the cursor shown again), one line, exit 143 (128 + SIGTERM)."""
    user = tmp_path / "user"
    user.mkdir()
    term = Terminal(["-m", "pybs_tui", "--offline"], child_env(tmp_path), user)
    try:
        assert term.read_until(b"uv's picks"), term.out[-3000:]
        term.read_until(b"\x00never", timeout=0.5)  # let it finish drawing
        term.proc.send_signal(signal.SIGTERM)
        status = term.finish()
    finally:
        term.kill()
    out = term.out.decode("utf-8", "replace")
    assert status == 143, out[-2000:]
    tail = out[out.rindex("uv's picks") :]
    assert "\x1b[?1049l" in tail  # left the alternate screen
    assert "pybs-tui: terminated" in tail and "Traceback" not in out


@pytest.mark.parametrize("moment", ["starting", "loading", "typing"])
def test_case48_sigterm_at_any_moment_is_one_line_never_a_traceback(tmp_path, moment):
    """SIGTERM lands wherever the app is (starting, painting the first rows, handling a burst
    of keys that repaint the table): never a traceback out of a textual task, always the
    terminal restored, one line and 143."""
    user = tmp_path / "user"
    user.mkdir()
    term = Terminal(["-m", "pybs_tui", "--offline"], child_env(tmp_path), user)
    try:
        if moment == "starting":
            assert term.read_until(b"\x1b[?1049h"), term.out[-3000:]  # the alternate screen
        elif moment == "loading":
            assert term.read_until(b"loading"), term.out[-3000:]
        else:
            assert term.read_until(b"uv's picks"), term.out[-3000:]
            for _ in range(6):
                term.send(b"/3.12 aarch64\x1b" + b"\x7f" * 4)
            term.read_until(b"\x00never", timeout=0.1)
        term.proc.send_signal(signal.SIGTERM)
        status = term.finish()
    finally:
        term.kill()
    out = term.out.decode("utf-8", "replace")
    assert "Traceback" not in out, out[-3000:]
    assert status == 143, out[-2000:]
    tail = out[out.rindex("\x1b[?1049h") :]
    assert "\x1b[?1049l" in tail  # left the alternate screen
    assert "pybs-tui: terminated" in tail
