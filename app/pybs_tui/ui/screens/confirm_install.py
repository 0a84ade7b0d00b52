"""ConfirmInstall: what `i` is about to do (archive, flags, size, target, free disk), before
anything is downloaded. Dismisses with True (install) or False."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import humanize
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...catalog.models import Build
from ...install.receipts import install_dir_name, read_receipt
from ...settings import Settings
from ..widgets.badges import badges


@dataclass(frozen=True)
class InstallPlan:
    """Everything the dialog shows about one install, worked out before it opens."""

    build: Build
    target: Path
    free: int | None  # bytes free where the install goes; None: unknown
    where: str  # the existing folder `free` was asked of
    unpacked: int | None  # estimate
    already: bool  # this very build is installed at target
    blocked: str = ""  # target holds something else: why the install will fail

    @property
    def need(self) -> int | None:
        """Download plus unpacked tree (the download is deleted after the install)."""
        if self.build.size is None or self.unpacked is None:
            return None
        return self.build.size + self.unpacked

    @property
    def short_of_space(self) -> bool:
        return self.need is not None and self.free is not None and self.need > self.free


def plan_install(settings: Settings, build: Build) -> InstallPlan:
    """Target dir, free disk of its nearest existing parent, and what is there already."""
    from ...install.pipeline import UNPACK_RATIO  # httpx: only once an install is asked for

    target = settings.install_dir / install_dir_name(build.name)
    where = Path(settings.install_dir).absolute()
    while not where.exists() and where.parent != where:
        where = where.parent
    try:
        free: int | None = int(settings.disk_usage(where).free)
    except OSError:
        free = None
    unpacked = (
        None if build.size is None else build.size * UNPACK_RATIO.get(build.archive_format, 3)
    )
    receipt = read_receipt(target)
    already = (
        receipt is not None
        and receipt.get("name") == build.name
        and (build.sha256 is None or receipt.get("sha256") == build.sha256)
    )
    blocked = ""
    if not already and (target.exists() or target.is_symlink()):
        blocked = (
            "it holds another build of the same name; the install will stop without changing it"
            if receipt is not None
            else "it exists and is not a pybs-tui install; the install will stop "
            "without touching it"
        )
    return InstallPlan(build, target, free, str(where), unpacked, already, blocked)


def _size(n: int | None) -> str:
    return humanize.naturalsize(n) if n is not None else "?"


def plan_table(plan: InstallPlan) -> Table:
    """The dialog's facts, one per row."""
    b = plan.build
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("archive", Text(b.name))
    grid.add_row("version", f"{b.version_str} · {b.variant} · release {b.release or '?'}")
    grid.add_row("platform", b.platform_key)
    grid.add_row(
        "flavor", Text.assemble(f"{b.flavor} · options {b.options_label} · flags ", badges(b.flags))
    )
    size = f"{_size(b.size)} download" + (
        f", about {_size(plan.unpacked)} unpacked"
        if plan.unpacked is not None
        else " (size unknown: no disk check)"
    )
    grid.add_row("size", size)
    grid.add_row("target", Text(str(plan.target)))
    grid.add_row(
        "free",
        f"{_size(plan.free)} on {plan.where}"
        if plan.free is not None
        else f"unknown on {plan.where}",
    )
    return grid


class ConfirmInstall(ModalScreen[bool]):
    """Ask before installing; y / enter installs, n / escape cancels."""

    BINDINGS = [
        Binding("y", "confirm", "Install", id="confirm_install.yes"),
        Binding("n,escape", "cancel", "Cancel", id="confirm_install.no"),
    ]

    def __init__(self, plan: InstallPlan) -> None:
        super().__init__(id="confirm-install")
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="install-dialog") as dialog:
            dialog.border_title = "Install this build?"
            yield Static(plan_table(plan), id="install-facts")
            if plan.short_of_space:
                yield Static(
                    f"Not enough disk space: needs about {_size(plan.need)}, "
                    f"{_size(plan.free)} free on {plan.where}",
                    id="install-space",
                    classes="install-warning",
                    markup=False,
                )
            if plan.already:
                yield Static(
                    "Already installed at the target: installing again changes nothing",
                    id="install-already",
                    classes="install-note",
                )
            if plan.blocked:
                yield Static(
                    f"The target exists: {plan.blocked}",
                    id="install-blocked",
                    classes="install-warning",
                    markup=False,
                )
            with Horizontal(id="install-buttons"):
                yield Button("Install", variant="primary", id="install-yes", compact=True)
                yield Button("Cancel", id="install-no", compact=True)
            yield Static("y / enter install · n / escape cancel", id="install-keys")

    def on_mount(self) -> None:
        self.query_one("#install-yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "install-yes")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    @property
    def text(self) -> str:
        """The dialog as plain text (for tests)."""
        import io

        from rich.console import Console

        console = Console(width=200, record=True, file=io.StringIO())
        console.print(plan_table(self.plan))
        extra = [str(w.render()) for w in self.query(".install-warning, .install-note")]
        return console.export_text() + "\n".join(extra)
