"""InstalledScreen: own installs and other tools' interpreters, disk use, newer, used by;
uninstall (u) and prune (p) through ConfirmUninstall. Self-contained: push it from any app.

Slow work (discovery, the used-by scan, disk use, removal) runs in thread workers that post
messages back; the table fills in as results arrive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import humanize
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker, WorkerState, get_current_worker

from ...catalog.group import Host
from ...catalog.models import Catalog
from ...install.diskuse import DiskUseCache, disk_use
from ...install.registry import (
    Interpreter,
    Roots,
    attach_usage,
    discover,
    find_usage,
    mark_newer,
)
from ...install.uninstall import PrunePlan, Removed, UninstallError, plan_prune, uninstall_many
from ...resources import styles_dir
from ...settings import Settings
from ..widgets.quiet_footer import QuietFooter
from .confirm_uninstall import ConfirmUninstall

COLUMNS = (
    ("sel", " "),
    ("manager", "manager"),
    ("version", "version"),
    ("variant", "variant"),
    ("release", "release"),
    ("size", "size"),
    ("newer", "newer"),
    ("used", "used by"),
    ("path", "path"),
)
PENDING = "…"


class InventoryLoaded(Message):
    """Discovery finished: the rows (sizes and usage still to come)."""

    def __init__(self, interps: list[Interpreter]) -> None:
        super().__init__()
        self.interps = interps


class UsageFound(Message):
    """The used-by scan finished (complete=False: it hit its time limit)."""

    def __init__(self, used_by: dict[str, list[str]], complete: bool) -> None:
        super().__init__()
        self.used_by = used_by
        self.complete = complete


class SizeComputed(Message):
    """Disk use of one row."""

    def __init__(self, key: str, size: int) -> None:
        super().__init__()
        self.key = key
        self.size = size


class PrunePlanned(Message):
    def __init__(self, plan: PrunePlan) -> None:
        super().__init__()
        self.plan = plan


class RemovalFinished(Message):
    """Removal done: what went, or the one-line reason it was refused."""

    def __init__(self, removed: list[Removed], error: str = "") -> None:
        super().__init__()
        self.removed = removed
        self.error = error


class InstalledScreen(Screen):
    """Every installed interpreter, with totals, multi-select (space), uninstall and prune."""

    CSS_PATH = str(styles_dir() / "installed.tcss")
    BINDINGS = [
        Binding("space", "toggle_select", "Select", id="installed.select"),
        Binding("u", "uninstall", "Uninstall", id="installed.uninstall"),
        Binding("p", "prune", "Prune", id="installed.prune"),
        Binding("r", "refresh", "Refresh", id="installed.refresh"),
        Binding("escape", "back", "Back", id="installed.back"),
    ]

    def __init__(
        self,
        settings: Settings,
        catalog_provider: Callable[[], Catalog | None],
        *,
        roots: Roots | None = None,
        host: Host | None = None,
        name: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id)
        self.settings = settings
        self.catalog_provider = catalog_provider
        self.roots = roots
        self.host = host
        self.interps: dict[str, Interpreter] = {}
        self.selected: set[str] = set()
        self.loading = False
        self.sizes_pending = 0
        self.usage_complete = True
        self.busy = ""  # "removing" / "planning" while such a worker runs

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("Installed interpreters: looking…", id="installed-totals")
        table: DataTable = DataTable(id="installed-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Static("", id="installed-status")
        yield QuietFooter()

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.reload()

    @property
    def table(self) -> DataTable:
        return self.query_one("#installed-table", DataTable)

    # -- loading ---------------------------------------------------------------------------
    def reload(self) -> None:
        self.loading = True
        self.load_inventory()

    @work(thread=True, exclusive=True, group="installed-load", exit_on_error=False)
    def load_inventory(self) -> None:
        """Discover, post rows, then usage, then each row's disk use (cached)."""
        worker = get_current_worker()
        roots = self.roots or Roots.from_env()
        interps = discover(self.settings, roots, others=True)
        try:
            catalog = self.catalog_provider()
        except Exception:  # a broken catalog only costs the 'newer' column
            catalog = None
        mark_newer(interps, catalog, self._host())
        self.post_message(InventoryLoaded(interps))
        if worker.is_cancelled:
            return
        usage = find_usage(roots, [i.path for i in interps])
        attach_usage(interps, usage)
        self.post_message(
            UsageFound({str(i.path): list(i.used_by) for i in interps}, usage.complete)
        )
        cache = DiskUseCache(self.settings.cache_dir)
        for interp in interps:
            if worker.is_cancelled:
                return
            self.post_message(SizeComputed(str(interp.path), disk_use(interp.path, cache)))

    def _host(self) -> Host | None:
        if self.host is not None:
            return self.host
        from ...host import detect_host

        try:
            return detect_host()
        except OSError:
            return None

    @on(InventoryLoaded)
    def _on_inventory(self, message: InventoryLoaded) -> None:
        table = self.table
        cursor_key = self._cursor_key()
        table.clear()
        self.interps = {str(i.path): i for i in message.interps}
        self.selected &= set(self.interps)
        self.sizes_pending = len(self.interps)
        for key, i in self.interps.items():
            table.add_row(*self._cells(i), key=key)
        if cursor_key in self.interps:
            table.move_cursor(row=table.get_row_index(cursor_key))
        self.loading = False
        self._update_totals()

    def _cells(self, i: Interpreter) -> list[str]:
        return [
            "✓" if str(i.path) in self.selected else " ",
            i.manager,
            i.label,
            i.variant,
            i.release or "?",
            humanize.naturalsize(i.size) if i.size is not None else PENDING,
            i.newer or "-",
            _users(i.used_by),
            str(i.path),
        ]

    @on(UsageFound)
    def _on_usage(self, message: UsageFound) -> None:
        self.usage_complete = message.complete
        for key, users in message.used_by.items():
            if key in self.interps:
                self.interps[key].used_by = users
                self.table.update_cell(key, "used", _users(users))
        self._update_totals()

    @on(SizeComputed)
    def _on_size(self, message: SizeComputed) -> None:
        interp = self.interps.get(message.key)
        if interp is None:
            return
        interp.size = message.size
        self.sizes_pending = max(0, self.sizes_pending - 1)
        self.table.update_cell(
            message.key, "size", humanize.naturalsize(message.size), update_width=True
        )
        self._update_totals()

    def _update_totals(self) -> None:
        interps = list(self.interps.values())
        own = sum(1 for i in interps if i.own)
        total = sum(i.size or 0 for i in interps)
        text = (
            f"{len(interps)} interpreter{'s' if len(interps) != 1 else ''} "
            f"({own} pybs-tui) · {humanize.naturalsize(total)} on disk"
        )
        if self.sizes_pending:
            text += f" (measuring {self.sizes_pending}…)"
        if self.selected:
            chosen = [self.interps[k] for k in self.selected if k in self.interps]
            text += (
                f" · {len(chosen)} selected, "
                f"{humanize.naturalsize(sum(i.size or 0 for i in chosen))}"
            )
        self.query_one("#installed-totals", Static).update(text)
        status = (
            ""
            if self.usage_complete
            else "the venv scan stopped at its time limit: 'used by' may miss some"
        )
        if self.busy:
            status = f"{self.busy}…"
        self.query_one("#installed-status", Static).update(status)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that crashed becomes a notification; the screen stays usable."""
        if event.state == WorkerState.ERROR:
            self.busy = ""
            self.loading = False
            self.notify(
                f"{event.worker.name} failed: {event.worker.error}", severity="error", timeout=8
            )
            self._update_totals()

    # -- selection -------------------------------------------------------------------------
    def _cursor_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:
            return None

    def targets(self) -> list[Interpreter]:
        """The selected rows, or the row under the cursor when nothing is selected."""
        keys = [k for k in self.interps if k in self.selected]
        if not keys:
            key = self._cursor_key()
            keys = [key] if key else []
        return [self.interps[k] for k in keys if k in self.interps]

    def action_toggle_select(self) -> None:
        key = self._cursor_key()
        if key is None:
            return
        self.selected.symmetric_difference_update({key})
        self.table.update_cell(key, "sel", "✓" if key in self.selected else " ")
        row = self.table.cursor_row
        if row + 1 < self.table.row_count:
            self.table.move_cursor(row=row + 1)
        self._update_totals()

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("uninstall", "prune"):
            if self.busy:
                return None
            if action == "uninstall":
                return bool(self.interps) or None
            return any(i.own for i in self.interps.values()) or None
        return True

    def action_refresh(self) -> None:
        self.reload()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def action_uninstall(self) -> None:
        targets = self.targets()
        if not targets:
            self.notify("Nothing selected", severity="warning")
            return
        names = [i.name for i in targets if i.own]

        def done(confirmed: bool | None) -> None:
            if confirmed and names:
                self._start_removal(names)

        self.app.push_screen(ConfirmUninstall([(i, "") for i in targets]), done)

    def action_prune(self) -> None:
        self.busy = "planning"
        self._update_totals()
        self.plan_prune_worker()

    @work(thread=True, exclusive=True, group="installed-plan", exit_on_error=False)
    def plan_prune_worker(self) -> None:
        own = [i for i in self.interps.values() if i.own]
        cache = DiskUseCache(self.settings.cache_dir)
        for interp in own:
            if interp.size is None:
                interp.size = disk_use(interp.path, cache)
        self.post_message(PrunePlanned(plan_prune(own)))

    @on(PrunePlanned)
    def _on_plan(self, message: PrunePlanned) -> None:
        self.busy = ""
        self._update_totals()
        plan = message.plan
        if not plan.remove:
            self.notify(
                f"Nothing to prune: {len(plan.keep)} install"
                f"{'s' if len(plan.keep) != 1 else ''} kept, each the newest of its "
                "minor version and variant"
            )
            return
        names = plan.names

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self._start_removal(names)

        count = len(plan.remove)
        self.app.push_screen(
            ConfirmUninstall(
                plan.remove,
                keep=plan.keep,
                title=f"Prune: remove {count} older install{'s' if count != 1 else ''}",
            ),
            done,
        )

    def _start_removal(self, names: Sequence[str]) -> None:
        self.busy = "removing"
        self._update_totals()
        self.remove_worker(list(names))

    @work(thread=True, exclusive=True, group="installed-remove", exit_on_error=False)
    def remove_worker(self, names: list[str]) -> None:
        try:
            removed = uninstall_many(self.settings, names)
        except UninstallError as exc:
            self.post_message(RemovalFinished([], str(exc)))
            return
        except OSError as exc:
            self.post_message(RemovalFinished([], f"removal failed: {exc}"))
            return
        self.post_message(RemovalFinished(removed))

    @on(RemovalFinished)
    def _on_removed(self, message: RemovalFinished) -> None:
        self.busy = ""
        if message.error:
            self.notify(message.error, title="Not removed", severity="error", timeout=8)
        else:
            freed = sum(r.bytes_freed for r in message.removed)
            count = len(message.removed)
            self.notify(
                f"Removed {count} install{'s' if count != 1 else ''}, "
                f"{humanize.naturalsize(freed)} freed",
                title="Uninstalled",
            )
            for r in message.removed:
                if r.leftover is not None:
                    self.notify(
                        f"Some files of {r.name} remain in {r.leftover}; they will be "
                        "swept next time",
                        severity="warning",
                    )
            self.selected -= {str(r.path) for r in message.removed}
        self.reload()


def _users(users: Sequence[str]) -> str:
    if not users:
        return "-"
    first = users[0]
    kind, _, what = first.partition(" ")
    if kind in ("venv", "link"):
        first = f"{kind} {_tilde(what)}"
    return first + (f" (+{len(users) - 1})" if len(users) > 1 else "")


def _tilde(path: str) -> str:
    home = str(Path.home())
    return "~" + path[len(home) :] if path.startswith(home + "/") else path
