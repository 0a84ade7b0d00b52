"""InstalledScreen: pybs-tui's installs and other tools' interpreters, disk use, newer, speed,
used by, with a detail pane for the highlighted one; uninstall (u), prune (p) and bench (b).

The speed column is the kept result of `pybs-tui bench` (or of b here): a bar and the ratio to
the fastest interpreter of the same minor version; '?' when there is none (the detail pane
says why).

The screen runs no worker: the App loads the inventory (`app.load_inventory`), removes
(`app.remove_installs`) and plans prunes (`app.plan_prune`), and tells every screen what
changed (InventoryChanged, PruneReady). A removal started here therefore ends, and is
reported, even when the user has left this screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey

from ...install.registry import Interpreter, Roots, short_path, users_summary
from ...resources import styles_dir
from ...units import format_size, printable
from .. import messages as m
from ..widgets.interpreter_detail import InterpreterDetail
from ..widgets.plain import plain
from ..widgets.quiet_footer import QuietFooter
from .confirm_uninstall import ConfirmPrune, ConfirmUninstall

if TYPE_CHECKING:
    from ..app import PybsApp

COLUMNS = (
    ("sel", " "),
    ("manager", "manager"),
    ("version", "version"),
    ("flavor", "flavor"),
    ("options", "options"),
    ("release", "release"),
    ("size", "size"),
    ("newer", "newer"),
    ("speed", "speed"),
    ("used", "used by"),
    ("path", "path"),
)
#: From this width on flavors are written in full; below it, short.
WIDE = 130
SHORT_FLAVOR = {"install_only": "install", "install_only_stripped": "stripped", "full": "full"}
PENDING = "…"
MIN_USED, MIN_PATH = 14, 16
SIZE_WIDTH = len(" 99.9 MB")  # a size column's least width (sizes arrive after the layout)
#: The speed column: a bar (eighths of a cell), then the ratio; a shorter bar below WIDE.
SPEED_BAR = {True: 4, False: 2}


def speed_width(wide: bool) -> int:
    return len(" 1.00x") + 1 + SPEED_BAR[wide]


def _gap(cell: Text) -> Text:
    """The cell with the one-space gap before it (the table itself pads nothing)."""
    out = Text(" ", justify=cell.justify)
    out.append_text(cell)
    return out


def _ellipsis_end(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _ellipsis_middle(text: str, width: int) -> str:
    """'~/.local/share/py…x86_64-unknown-linux-gnu-install_only': both ends stay."""
    if len(text) <= width:
        return text
    head = max(1, (width - 1) * 2 // 5)
    tail = max(1, width - 1 - head)
    return text[:head] + "…" + text[-tail:]


class InstalledScreen(Screen[None]):
    """Every installed interpreter, with totals, multi-select (space), uninstall and prune."""

    CSS_PATH = str(styles_dir() / "installed.tcss")
    BINDINGS = [
        Binding("space", "toggle_select", "Select", id="installed.select"),
        Binding(
            "u",
            "uninstall",
            "Uninstall",
            id="installed.uninstall",
            tooltip="Remove the selected (or highlighted) pybs-tui installs; asks first",
        ),
        Binding(
            "p",
            "prune",
            "Prune",
            id="installed.prune",
            tooltip="Remove older pybs-tui installs; what something uses is kept unless checked",
        ),
        Binding(
            "b",
            "bench",
            "Bench",
            id="installed.bench",
            tooltip="Measure the speed of the selected (or highlighted) interpreters",
        ),
        Binding("x", "cancel_bench", "Stop bench", id="installed.cancel_bench"),
        Binding("r", "reload", "Rescan", id="installed.reload", tooltip="Look again"),
        Binding("escape", "back", "Back", id="installed.back"),
    ]

    def __init__(self) -> None:
        super().__init__(id="installed")
        self.selected: set[str] = set()
        self.usage_known = False  # the "used" step of the current load arrived
        self.load_failed = False
        self._asked_prune = False
        self._loaded_without_catalog = False
        self._home: Path = Path.home()
        self._layout: tuple[bool, int, int] | None = None  # (wide, used budget, path budget)

    @property
    def pybs(self) -> PybsApp:
        return self.app  # type: ignore[return-value]

    @property
    def interps(self) -> dict[str, Interpreter]:
        return self.pybs.inventory.interps

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="installed-totals")
        yield DataTable(id="installed-table", cursor_type="row", zebra_stripes=True, cell_padding=0)
        yield InterpreterDetail(id="installed-detail")
        yield Static("", id="installed-status")
        yield QuietFooter()

    def on_mount(self) -> None:
        self._home = (self.pybs.roots or Roots.from_env()).home
        if self.pybs.inventory.busy == "removing":
            self.usage_known = False  # the App loads again when the removal ends
        else:
            self._load()
        self._rebuild()
        self.table.focus()

    @property
    def table(self) -> DataTable:
        return self.query_one("#installed-table", DataTable)

    @property
    def detail(self) -> InterpreterDetail:
        return self.query_one("#installed-detail", InterpreterDetail)

    def _layout_for(self, width: int) -> tuple[bool, int, int]:
        """(wide, used-by budget, path budget) for a screen `width` columns wide."""
        wide = width >= WIDE
        rows = list(self.interps.values())
        fixed = [
            1,
            max([7, *(len(i.manager) for i in rows)]),
            max([7, *(len(i.label) for i in rows)]),
            max([6, *(len(self._flavor(i, wide)) for i in rows)]),
            max([7, *(len(self._options(i, rows)) for i in rows)]),
            8,
            SIZE_WIDTH - 1,
            max([5, *(len(i.newer) for i in rows)]),
            max([speed_width(wide) - 1, *(self._speed_cell(i, wide).cell_len for i in rows)]),
        ]
        spare = width - sum(fixed) - len(COLUMNS) - 2  # one-space gaps, the scrollbar
        used = max(MIN_USED, min(40, spare * 2 // 5))
        return wide, used, max(MIN_PATH, spare - used)

    # -- cells -----------------------------------------------------------------------------
    @staticmethod
    def _flavor(interp: Interpreter, wide: bool) -> str:
        if not interp.flavor:
            return "?"
        return interp.flavor if wide else SHORT_FLAVOR.get(interp.flavor, interp.flavor)

    @staticmethod
    def _options(interp: Interpreter, rows: Sequence[Interpreter]) -> str:
        """The options; with the target triple when another row would read the same."""
        same = [
            r
            for r in rows
            if (r.manager, r.label, r.flavor, r.options_label, r.release)
            == (interp.manager, interp.label, interp.flavor, interp.options_label, interp.release)
        ]
        if len(same) > 1 and interp.triple:
            others = [r.triple.split("-") for r in same if r is not interp]
            mine = interp.triple.split("-")
            differ = [
                part
                for n, part in enumerate(mine)
                if any(len(o) <= n or o[n] != part for o in others)
            ]
            return f"{interp.options_label} {'-'.join(differ) or interp.triple}"
        return interp.options_label

    def _speed_cell(self, interp: Interpreter, wide: bool | None = None) -> Text:
        """'████ 1.00x', '█▌░░ debug 0.19x', '?' (not measured: the detail pane says why), or
        the step running."""
        from ...service.speed import bar

        key = str(interp.path)
        run = self.pybs.inventory.bench
        if run is not None and key in run.paths:
            if run.current == key:
                step = f"{run.done}/{run.total}" if run.total else "…"
                return Text(f"run {step}", style="yellow")
            if run.paths.index(key) > run.index:
                return Text("queued", style="dim")
        speed = self.pybs.inventory.speeds.get(key)
        if speed is None or speed.relative is None:
            return Text("?", style="dim")
        style = "green" if speed.relative >= 0.95 else "yellow" if speed.relative >= 0.6 else "red"
        if wide is None:
            wide = (self._layout or self._layout_for(self.size.width or 80))[0]
        # wide: the variant too ('debug 0.19x'); narrow, the version column's t/+debug says it
        word = speed.result.variant_word if wide and speed.result is not None else "release"
        ratio = f"{speed.relative:.2f}x" if word == "release" else f"{word} {speed.relative:.2f}x"
        return Text(f"{bar(speed.relative, SPEED_BAR[wide])} {ratio}", style=style)

    def _used_cell(self, interp: Interpreter, budget: int) -> Text:
        if not self.usage_known and not interp.used_by:
            return Text(PENDING, style="dim")
        summary = printable(users_summary(interp.used_by, self._home))
        return plain(_ellipsis_end(summary, budget), "red" if interp.used_by else "")

    def _cells(self, interp: Interpreter, rows: Sequence[Interpreter]) -> list[Text]:
        """One row; each cell starts with a one-space gap (cheaper than the table's padding
        of one on each side: 80 columns then show every column up to 'used by')."""
        wide, used, path = self._layout or self._layout_for(self.size.width or 80)
        key = str(interp.path)
        cells = [  # folder names, receipts and the catalog's words: plain(), never markup
            Text("✓" if key in self.selected else " ", style="bold"),
            plain(interp.manager, "bold" if interp.own else "dim"),
            plain(interp.label),
            plain(self._flavor(interp, wide)),
            plain(self._options(interp, rows)),
            plain(interp.release or "?"),
            Text(format_size(interp.size, PENDING), justify="right"),
            plain(interp.newer or "-", "green" if interp.newer else "dim"),
            self._speed_cell(interp),
            self._used_cell(interp, used),
            plain(_ellipsis_middle(printable(short_path(interp.path, self._home)), path)),
        ]
        return [_gap(c) for c in cells]

    def _rebuild(self) -> None:
        """Every row again (after discovery, usage, removal or a resize)."""
        table = self.table
        cursor = self._cursor_key()
        self._layout = self._layout_for(self.size.width or 80)
        table.clear(columns=True)
        rows = list(self.interps.values())
        cells = [self._cells(interp, rows) for interp in rows]
        # widths set here, from the cells: the table's own measuring waits for an idle moment
        # that may come late, and until then it draws every column as wide as its header
        for n, (key, label) in enumerate(COLUMNS):
            header = Text(f" {label}")
            widest = max([header.cell_len, *(row[n].cell_len for row in cells)])
            least = {"size": SIZE_WIDTH, "speed": speed_width(self._layout[0])}.get(key, 0)
            table.add_column(header, key=key, width=max(widest, least))
        for interp, row in zip(rows, cells, strict=True):
            table.add_row(*row, key=str(interp.path))
        if cursor in self.interps:
            table.move_cursor(row=table.get_row_index(cursor))
        self._update_totals()
        self._show_detail()

    def on_resize(self, event: Resize) -> None:
        if self._layout != self._layout_for(event.size.width):
            self._rebuild()

    # -- news from the App -----------------------------------------------------------------
    @on(m.InventoryChanged)
    def _inventory_changed(self, message: m.InventoryChanged) -> None:
        kind = message.kind
        if kind == "found":
            self.usage_known = False
            self.load_failed = False
            self.selected &= set(self.interps)
            self._rebuild()
        elif kind == "used":
            self.usage_known = True
            self._rebuild()
        elif kind == "size":
            interp = self.interps.get(message.path)
            if interp is not None and message.path in self.table.rows:
                cell = _gap(Text(format_size(interp.size, PENDING), justify="right"))
                if cell.cell_len > self.table.columns[ColumnKey("size")].width:
                    self._rebuild()
                else:
                    self.table.update_cell(message.path, "size", cell)
            self._update_totals()
            if message.path == self._cursor_key():
                self._show_detail()
        elif kind == "speed":
            self._rebuild()
        elif kind == "bench":
            self._bench_cells()
        elif kind == "removed":
            self.selected &= set(self.interps)
            self._rebuild()
        elif kind == "failed":
            self._asked_prune = False  # a failed plan never arrives
            self.load_failed = not self.usage_known and self.pybs.inventory.busy == ""
            self._update_totals()
        else:
            self._update_totals()
        self.refresh_bindings()

    @on(m.CatalogChanged)
    def _catalog_changed(self, message: m.CatalogChanged) -> None:
        """The catalog arrived after the inventory was read: 'newer' can be judged now."""
        pybs = self.pybs
        if (
            self._loaded_without_catalog
            and pybs.whole_catalog is not None
            and not (pybs.inventory.busy)
        ):
            self._load()

    @on(m.PruneReady)
    def _prune_ready(self, message: m.PruneReady) -> None:
        if not self._asked_prune:
            return
        self._asked_prune = False
        self._update_totals()
        self.refresh_bindings()
        plan = message.plan
        if not plan.remove and not plan.kept_used:
            count = len(plan.keep)
            self.notify(
                f"Nothing to prune: {count} install{'s' if count != 1 else ''} kept, each the "
                "newest of its minor version and variant",
                title="prune",
            )
            return
        if not self.is_current:
            self.notify("The prune plan is ready: press p on the Installed screen again")
            return

        def done(names: list[str] | None) -> None:
            if names:
                self.pybs.remove_installs(names)

        self.app.push_screen(
            ConfirmPrune(plan, home=self._home, complete=self.pybs.inventory.complete), done
        )

    def _bench_cells(self) -> None:
        """The speed cells of the interpreters a benchmark measures, and the status."""
        run = self.pybs.inventory.bench
        width = self.table.columns[ColumnKey("speed")].width
        for key in run.paths if run is not None else []:
            interp = self.interps.get(key)
            if interp is None or key not in self.table.rows:
                continue
            cell = _gap(self._speed_cell(interp))
            if cell.cell_len > width:
                self._rebuild()
                return
            self.table.update_cell(key, "speed", cell)
        self._update_totals()

    # -- totals, status, detail ------------------------------------------------------------
    def _update_totals(self) -> None:
        rows = list(self.interps.values())
        busy = self.pybs.inventory.busy
        if not rows and (busy == "loading" or not self.usage_known) and not self.load_failed:
            totals = "Installed interpreters: looking…"
        else:
            own = sum(1 for i in rows if i.own)
            total = sum(i.size or 0 for i in rows)
            totals = (
                f"{len(rows)} interpreter{'s' if len(rows) != 1 else ''} ({own} pybs-tui) · "
                f"{format_size(total)} on disk"
            )
            pending = sum(1 for i in rows if i.size is None)
            if pending:
                totals += f" · measuring… ({pending} left)"
            chosen = [self.interps[k] for k in self.selected if k in self.interps]
            if chosen:
                totals += (
                    f" · {len(chosen)} selected, {format_size(sum(i.size or 0 for i in chosen))}"
                )
        self.query_one("#installed-totals", Static).update(Text(totals))
        self.query_one("#installed-status", Static).update(Text(self._status(), style="dim"))

    def _status(self) -> str:
        run = self.pybs.inventory.bench
        if run is not None:
            return f"{printable(run.describe())} · x stops"
        busy = self.pybs.inventory.busy
        if busy == "removing":
            return "removing… (the result arrives even if you leave this screen)"
        if busy == "planning" or self._asked_prune:
            return "planning the prune: measuring own installs…"
        if self.load_failed:
            return "looking for interpreters failed: r tries again"
        if not self.usage_known:
            return "looking for what uses each interpreter (venvs, uv tools, pipx, links, pins)…"
        if not self.pybs.inventory.complete:
            return "the venv scan stopped at its time limit: 'used by' may miss some"
        if not self.interps:
            return "nothing installed: press i on a build in the browser to install one"
        return printable(self.pybs.inventory.speed_note)

    def _show_detail(self) -> None:
        key = self._cursor_key()
        self.detail.show(
            self.interps.get(key) if key else None,
            self._home,
            usage_known=self.usage_known,
            complete=self.pybs.inventory.complete,
            speed=self.pybs.inventory.speeds.get(key) if key else None,
        )

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    # -- selection -------------------------------------------------------------------------
    def _cursor_key(self) -> str | None:
        table = self.table
        if table.row_count == 0:
            return None
        try:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        except Exception:  # the cursor sits outside the rows for a moment after a clear
            return None
        return key if isinstance(key, str) else None

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
        self.table.update_cell(key, "sel", Text("✓" if key in self.selected else " ", style="bold"))
        row = self.table.cursor_row
        if row + 1 < self.table.row_count:
            self.table.move_cursor(row=row + 1)
        self._update_totals()

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        busy = self.pybs.inventory.busy
        if action == "uninstall" and busy == "removing":
            return None
        if action == "prune" and (busy in ("removing", "planning") or self._asked_prune):
            return None
        if action == "reload" and busy == "removing":
            return None
        running = self.pybs.inventory.bench is not None
        if action == "bench" and running:
            return None
        if action == "cancel_bench":
            return running  # hidden unless a benchmark runs
        return True

    def _load(self) -> None:
        self._loaded_without_catalog = self.pybs.whole_catalog is None
        self.pybs.load_inventory()

    def action_reload(self) -> None:
        self._load()
        self._update_totals()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()

    def _still_looking(self) -> bool:
        if self.usage_known:
            return False
        self.notify(
            "Still looking for what uses each install; ask again in a moment"
            if not self.load_failed
            else "Looking for interpreters failed: press r to try again",
            severity="warning",
            timeout=4,
        )
        return True

    def action_uninstall(self) -> None:
        if self._still_looking():
            return
        targets = self.targets()
        if not targets:
            self.notify("Nothing to uninstall: no interpreter is installed", title="uninstall")
            return
        own = [i for i in targets if i.own]
        if not own:
            if len(targets) == 1:
                other = targets[0]
                text = (
                    f"{printable(other.name)} belongs to {other.manager}: pybs-tui never deletes "
                    f"another tool's interpreters; use its own command: "
                    f"{printable(other.remove_command)}"
                )
            else:
                commands = "; ".join(printable(i.remove_command) for i in targets)
                text = (
                    "Nothing to uninstall: none of the selected interpreters is a pybs-tui "
                    f"install; use their own commands: {commands}"
                )
            self.notify(
                text, title="nothing to uninstall", severity="warning", timeout=8, markup=False
            )
            return
        names = [i.name for i in own]

        def done(confirmed: bool | None) -> None:
            if confirmed:
                self.selected.clear()  # acted on; another tool's rows were only told about
                self.pybs.remove_installs(names)
                self._rebuild()

        self.app.push_screen(
            ConfirmUninstall(targets, home=self._home, complete=self.pybs.inventory.complete),
            done,
        )

    def action_bench(self) -> None:
        """Measure the selected (or highlighted) interpreters, one after the other."""
        targets = self.targets()
        if not targets:
            self.notify("Nothing to benchmark: no interpreter is listed", title="bench")
            return
        if self.pybs.bench_interpreters(targets):
            self._bench_cells()
            self.refresh_bindings()

    def action_cancel_bench(self) -> None:
        self.pybs.cancel_bench()

    def action_prune(self) -> None:
        if self._still_looking():
            return
        if not any(i.own for i in self.interps.values()):
            self.notify(
                "Nothing to prune: there are no pybs-tui installs (other tools' interpreters "
                "are never pruned)",
                title="prune",
            )
            return
        self._asked_prune = True
        self.pybs.plan_prune()
        self._update_totals()
        self.refresh_bindings()
