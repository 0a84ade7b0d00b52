"""ExportMirror: `x` on the browse screen puts the marked rows (or the highlighted one) into a
mirror folder, as `pybs-tui mirror export DIR ...` does (service.mirror.export): asks for the
folder, then downloads in a thread with progress; escape cancels (the archive in progress
stays a .part file, nothing unverified gets a final name) and closes once the work stopped."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, ProgressBar, Static

from ...catalog.models import Build
from ...progress import Cancelled, InstallError, Progress, Throttle
from ...resources import styles_dir
from ...units import format_size
from ..widgets.plain import plain

if TYPE_CHECKING:
    from ...service.mirror import ExportResult
    from ...settings import Settings

SHOWN_NAMES = 6


class ExportMirror(ModalScreen[None]):
    """Ask for a folder and export `builds` into it; escape cancels, then closes."""

    CSS_PATH = styles_dir() / "export_mirror.tcss"
    BINDINGS = [Binding("escape", "close", "Cancel / close", id="export_mirror.close")]

    def __init__(
        self,
        builds: Sequence[Build],
        settings: Settings,
        known: dict[str, Build] | None = None,
        published: dict[str, str] | None = None,
    ) -> None:
        super().__init__(id="export-mirror")
        self.builds = list(builds)
        self.settings = settings
        self.known = known
        self.published = published
        self.cancel = threading.Event()
        self.running = False
        self.result: ExportResult | None = None
        self.throttle = Throttle()

    def compose(self) -> ComposeResult:
        with Vertical(id="export-dialog") as dialog:
            dialog.border_title = f"Export {len(self.builds)} archive(s) to a mirror folder"
            dialog.border_subtitle = "enter export · escape cancel / close"
            names = [b.name for b in self.builds[:SHOWN_NAMES]]
            more = len(self.builds) - len(names)
            yield Static(
                plain("\n".join(names + ([f"… and {more} more"] if more else [])), lines=True),
                id="export-names",
            )
            yield Static(
                plain(
                    "DIR/<tag>/<name>, each release's SHA256SUMS, pybs-catalog.json and uv's "
                    "download-metadata.json; an existing folder is added to."
                ),
                id="export-about",
            )
            yield Input(placeholder="folder, e.g. ~/pbs-mirror", id="export-dir", compact=True)
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static("", id="export-status", markup=False)
            with Horizontal(id="export-buttons"):
                yield Button("Export", variant="primary", id="export-go", compact=True)
                yield Button("Close", id="export-close", compact=True)

    def on_mount(self) -> None:
        self.query_one("#export-dir", Input).focus()

    def _status(self, text: str, css_class: str = "") -> None:
        status = self.query_one("#export-status", Static)
        status.update(plain(text, lines=True))
        status.set_classes(css_class)

    @on(Input.Submitted, "#export-dir")
    @on(Button.Pressed, "#export-go")
    def start(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        if self.running:
            return
        from ...service.mirror import MirrorError, check_folder

        text = self.query_one("#export-dir", Input).value.strip()
        if not text:
            self._status("type the folder to export into", "-error")
            return
        try:
            folder = check_folder(Path(text))
        except MirrorError as exc:
            self._status(str(exc), "-error")
            return
        self.running = True
        self.cancel.clear()
        self.query_one("#export-go", Button).disabled = True
        self.query_one("#export-progress", ProgressBar).display = True
        self._status(f"exporting into {folder} …")
        self._run(folder)

    @on(Button.Pressed, "#export-close")
    def close_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        if self.running:
            self.cancel.set()
            self._status("cancelling: the archive in progress stays a .part file …")
            return
        self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False)
    def _run(self, folder: Path) -> None:
        from ...service.mirror import export

        try:
            result = export(
                self.settings,
                folder,
                [(b, None) for b in self.builds],
                known=self.known,
                published=self.published,
                progress=self._from_thread,
                cancel=self.cancel,
            )
        except Cancelled:
            self.app.call_from_thread(self._ended, None, "cancelled; nothing unverified was kept")
        except InstallError as exc:
            self.app.call_from_thread(self._ended, None, str(exc))
        else:
            self.app.call_from_thread(self._ended, result, "")

    def _from_thread(self, p: Progress) -> None:
        if self.throttle.ready(p.phase, p.message):
            self.app.call_from_thread(self._progress, p)

    def _progress(self, p: Progress) -> None:
        bar = self.query_one("#export-progress", ProgressBar)
        bar.update(total=p.total, progress=p.done)
        done = format_size(p.done) if p.done else ""
        self._status(f"{p.phase} {p.message} {done}".strip())

    def _ended(self, result: ExportResult | None, error: str) -> None:
        self.running = False
        self.query_one("#export-go", Button).disabled = False
        if self.cancel.is_set():
            self.dismiss(None)
            self.app.notify("export cancelled", timeout=4)
            return
        if result is None:
            self._status(error, "-error")
            return
        self.result = result
        got = sum(1 for e in result.exported if e.action == "downloaded")
        kept = len(result.exported) - got
        listed = len(result.listing.builds)
        lines = [
            f"done: {got} downloaded, {kept} already there; {result.folder} lists {listed} "
            "archive(s)",
            f"uv: UV_PYTHON_INSTALL_MIRROR={result.folder.as_uri()} "
            f"UV_PYTHON_DOWNLOADS_JSON_URL={result.uv_path} uv python install <version>",
            f"pybs-tui --catalog {result.catalog_path} install <version> "
            f"--mirror {result.folder.as_uri()}",
        ]
        lines += [f"not listed: {where}: {why}" for where, why in result.listing.skipped.items()]
        self._status("\n".join(lines), "-done")
        self.query_one("#export-progress", ProgressBar).update(total=1, progress=1)
