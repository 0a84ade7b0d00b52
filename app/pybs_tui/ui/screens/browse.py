"""The browse screen: the filter, the version tree, the build table and the detail pane.

It opens on uv's picks for this machine (one row per minor version and variant, with size and
flags) and says what is hidden and the key that shows it. Enter (or c) on a row opens the
comparison of every archive of that version, platform and release.

The first rows come from an early index of this host's own archives (`CatalogIndex.early`),
the full index follows a moment later. Until it is there, what the early index cannot answer
exactly waits: a filter that names other platforms shows "indexing" instead of rows, and the
keys that widen the view or open another screen are remembered and run when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Select, Static, Tree

from ...catalog.compare import pick_builds
from ...catalog.models import Build
from ...catalog.view import BrowseView, Facets, NodePath
from ..messages import CatalogChanged, InstalledChanged, InstallRequested, SizesChanged
from ..widgets.build_table import BuildTable, python_label
from ..widgets.build_tree import BuildTree
from ..widgets.detail_pane import DetailPane, detail_lines
from ..widgets.facets import FacetsPanel
from ..widgets.quiet_footer import QuietFooter
from ..widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from textual.widget import Widget

    from ..app import PybsApp

TOGGLES = {
    "prereleases": ("pre-releases", "p"),
    "debug": ("debug builds", "d"),
    "show_incompatible": ("builds this machine cannot run, greyed with the reason", "h"),
}
#: the table's text while the early index cannot answer the filter
INDEXING = "indexing every archive… (a moment)"


class BrowseScreen(Screen[None]):
    """Find builds: uv's picks or every archive, narrowed by the filter, tree and facets."""

    BINDINGS = [
        # priority: `/` and esc move the focus before the next key is handed to a widget
        # (a paste, a fast typist, `tmux send-keys`), not after the keys already queued
        Binding("slash", "focus_filter", "Filter", id="browse.filter", key_display="/",
                priority=True),
        Binding("enter,c", "compare", "Compare", id="browse.compare",
                tooltip="Every archive of this version, platform and release side by side "
                "(or the marked rows)"),
        Binding("i", "install", "Install", id="browse.install",
                tooltip="Install the highlighted archive (a dialog shows size, target, disk)"),
        Binding("a", "toggle_mode", "All", id="browse.all",
                tooltip="Switch between uv's picks for this machine and every archive"),
        Binding("p", "flip('prereleases')", "Pre-releases", id="browse.pre", show=False,
                tooltip="Show or hide pre-releases (alphas, betas, release candidates)"),
        Binding("d", "flip('debug')", "Debug", id="browse.debug", show=False,
                tooltip="Show or hide debug builds (Py_DEBUG)"),
        Binding("h", "flip('show_incompatible')", "Other hosts", id="browse.host",
                show=False, tooltip="Show or hide builds this machine cannot run"),
        Binding("f", "toggle_facets", "Facets", id="browse.facets", show=False,
                tooltip="os, arch, x86-64 level, libc, flavor, options, installed only"),
        Binding("s", "cycle_sort", "Sort", id="browse.sort", show=False,
                tooltip="Sort by version, size (largest first), size (smallest first)"),
        Binding("space", "mark", "Mark", id="browse.mark", show=False,
                tooltip="Mark the row and move down; c compares the marked rows"),
        Binding("u", "clear_marks", "Unmark all", id="browse.unmark", show=False),
        Binding("x", "export_marked", "Export", id="browse.export", show=False,
                tooltip="Export the marked rows (or the highlighted one) to a mirror folder"),
        Binding("escape", "escape", "Back / clear", id="browse.escape", show=False,
                priority=True,
                tooltip="In the filter: back to the table; in the table: clear the filter"),
    ]  # fmt: skip

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]

    def __init__(self) -> None:
        super().__init__(id="browse")
        self.view: BrowseView | None = None
        self.find = ""
        #: actions asked for while only the early index was there: run when the full one is
        self._waiting: list[Callable[[], object]] = []

    @property
    def pybs(self) -> PybsApp:
        return self.app  # type: ignore[return-value]

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Input(
            placeholder="/ filter: 3.12, 3.13t, 3.12.3+debug, musl, aarch64, full…",
            id="filter",
            compact=True,
        )
        yield Static("", id="hint", markup=False)
        with Horizontal(id="main"):
            yield BuildTable(id="table")  # first in the focus order, drawn right of the tree
            yield BuildTree(id="tree")
            yield FacetsPanel(id="facets")
        yield DetailPane(id="detail")
        yield QuietFooter(compact=True)

    @property
    def focus_chain(self) -> list[Widget]:
        """Tab order: table, tree, filter, then the facets when open. Textual orders focus by
        position on screen, which would put the tree (drawn left) and the filter (above)
        before the table."""
        first = {"table": 0, "tree": 1, "filter": 2}
        return sorted(super().focus_chain, key=lambda w: first.get(w.id or "", 3))

    @property
    def table(self) -> BuildTable:
        return self.query_one("#table", BuildTable)

    @property
    def version_tree(self) -> BuildTree:
        return self.query_one("#tree", BuildTree)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#filter", Input)

    @property
    def facets_panel(self) -> FacetsPanel:
        return self.query_one("#facets", FacetsPanel)

    def rows(self) -> list[Build]:
        """The rows shown (the command palette offers these first)."""
        return self.view.rows() if self.view is not None and self.view.complete else []

    def on_mount(self) -> None:
        self.facets_panel.border_title = "facets"
        self.version_tree.border_title = "versions"
        self.detail.border_title = "details"
        self.detail.show_message("Loading the catalog…")
        self.table.focus()
        self.update_status()
        self.call_after_refresh(self.pybs.screen_painted, self)

    # -- what the App says ---------------------------------------------------------------
    @on(CatalogChanged)
    def _catalog_changed(self, message: CatalogChanged) -> None:
        index = self.pybs.index
        if message.error and self.view is None:
            self.table.empty_text = f"no catalog: {message.error} (r retries)"
            self.table.refresh()
            self.detail.show_message(f"The catalog could not be loaded: {message.error}")
        if index is not None and (self.view is None or self.view.index is not index):
            keep = self._highlighted_name()
            if self.view is None:
                self.view = BrowseView(index)
                self.view.set_text(self.filter_input.value)
            else:
                self.view.set_index(index)
            if not index.partial:  # the facets' values are the whole catalog's
                self.facets_panel.set_index(index)
            self.table.set_index(index, self.view.facets.show_incompatible)
            self._show_rows(keep=keep)
            self.refresh_bindings()
            self.pybs.want_sizes(self.table.visible_builds())
            if not index.partial:
                waiting, self._waiting = self._waiting, []
                for action in waiting:
                    self.call_later(action)
        self.update_status()

    def _early(self, action: Callable[[], object], what: str) -> bool:
        """True (and `action` remembered, run when the full index arrives) while only the
        early index is there."""
        view = self.view
        if view is None or not view.index.partial:
            return False
        self._waiting.append(action)
        self.notify(f"{what}: as soon as every archive is indexed (a moment)", timeout=2)
        return True

    @on(SizesChanged)
    def _sizes_changed(self, message: SizesChanged) -> None:
        if self.view is None:
            return
        self.table.update_builds(message.names)
        if self.view.sort != "version":
            self.view.invalidate()
            self._show_rows(keep=self._highlighted_name())
        self._show_detail()

    @on(InstalledChanged)
    def _installed_changed(self, message: InstalledChanged) -> None:
        if self.view is not None:
            self.table.update_builds(message.names)
            if self.view.facets.installed_only:
                self.view.invalidate()
                self._show_rows(keep=self._highlighted_name())
            self._show_detail()

    # -- rows ----------------------------------------------------------------------------
    def _highlighted_name(self) -> str | None:
        return self.table.highlighted.name if self.table.highlighted else None

    def _show_rows(self, keep: str | None = None) -> None:
        view = self.view
        if view is None:
            return
        rows = view.rows()
        if not view.complete:  # only the early index, and the answer needs the whole catalog
            rows = []
            self.table.empty_text = INDEXING
        elif not rows:
            self.table.empty_text = self._empty_text()
        self.table.set_rows(rows, keep=keep)
        self.version_tree.populate(view.tree_counts(), keep=view.node)
        self.update_status()

    def _empty_text(self) -> str:
        view = self.view
        assert view is not None
        parts = ["no builds match"]
        if view.text.strip():
            parts.append(f"the filter {view.text.strip()!r} (esc clears it)")
        if view.node.minor is not None:
            parts.append(f"in {view.node.label}")
        if view.facets.active:
            parts.append(f"{view.facets.active} facet(s) (f)")
        hidden = view.hidden_matching()
        if hidden:
            parts.append(f"{hidden} hidden: this machine cannot run them (h shows them)")
        if view.mode == "picks":
            parts.append("a shows every archive, not only uv's picks")
        return "; ".join(parts)

    def update_status(self) -> None:
        bar = self.query_one("#status", StatusBar)
        app = self.pybs
        source = app.catalog_status or "loading the catalog…"
        view = self.view
        parts = []
        if view is not None:
            shown = len(self.table.rows)
            parts.append(
                f"{shown:,} row{'s' if shown != 1 else ''} of {len(view.index):,} archives"
            )
            if self.table.marked:
                parts.append(f"{len(self.table.marked)} marked")
            if view.sort != "version":
                blind = " (sizes unknown: order unchanged)" if view.sort_is_blind else ""
                parts.append(f"sort: {view.sort}{blind}")
        if self.find:
            parts.append(f"find: {self.find}")
        if self.size.width >= 110:
            parts.append(f"host {app.host.triple_words}")
        bar.show(source, " │ ".join(parts), app.loading_catalog)
        self.query_one("#hint", Static).update(self._hint())

    def _hint(self) -> str:
        """What the view shows, what it hides and the key that shows it (shortest words:
        it must fit 80 columns)."""
        view = self.view
        if view is None:
            return ""
        if self.table.marked:
            return f"{len(self.table.marked)} marked: c compares them · u unmarks · space marks"
        head = "uv's picks" if view.mode == "picks" else "every archive"
        if not view.complete:
            return f"{head} · {INDEXING}"
        return f"{head} · {' · '.join(view.hint_keys())}"

    # -- events --------------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self.view is not None:
            self.view.set_text(event.value)
            self._show_rows(keep=self._highlighted_name())

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.set_focus(self.table)

    @on(Tree.NodeHighlighted, "#tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted[NodePath]) -> None:
        if self.view is None or event.node.data is None:
            return
        if event.node.data != self.view.node:
            self.view.set_node(event.node.data)
            rows = self.view.rows()
            if not self.view.complete:
                rows = []
                self.table.empty_text = INDEXING
            elif not rows:
                self.table.empty_text = self._empty_text()
            self.table.set_rows(rows)
            self.update_status()

    @on(FacetsPanel.Changed)
    def _facets_changed(self, event: FacetsPanel.Changed) -> None:
        self.apply_facets(event.facets)

    def apply_facets(self, facets: Facets) -> None:
        view = self.view
        if view is None:
            return
        reasons_changed = facets.show_incompatible != view.facets.show_incompatible
        view.set_facets(facets)
        if reasons_changed:
            self.table.set_index(view.index, facets.show_incompatible)
        self._show_rows(keep=self._highlighted_name())
        self.refresh_bindings()

    @on(BuildTable.Highlighted)
    def _row_highlighted(self, event: BuildTable.Highlighted) -> None:
        if event.build is None:
            self.detail.show_message(self.table.empty_text if self.view else "Loading the catalog…")
        else:
            self._show_detail()
            self.pybs.want_sizes([event.build, *self.table.visible_builds()])
        self.refresh_bindings()

    @on(BuildTable.Selected)
    def _row_selected(self) -> None:
        self.action_compare()

    @on(BuildTable.MarksChanged)
    def _marks_changed(self) -> None:
        self.update_status()
        self.refresh_bindings()

    @on(BuildTable.Find)
    def _find(self, event: BuildTable.Find) -> None:
        self.find = event.text
        self.update_status()
        self.set_timer(BuildTable.FIND_PAUSE, self._find_over)

    def _find_over(self) -> None:
        if self.find and not self.table.find_active:
            self.find = ""
            self.update_status()

    def _show_detail(self) -> None:
        build = self.table.highlighted
        view = self.view
        if view is None or build is None:
            return
        app = self.pybs
        build = view.index.by_name.get(build.name, build)
        lines = detail_lines(
            build, view.index, state=app.sizes.state(build), online=app.sizes_online
        )
        title = f"{python_label(build)} · {build.platform_key} · {build.flavor}"
        self.detail.show(lines, title=title)

    # -- actions -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.view is None and action in ("compare", "install", "toggle_mode", "flip",
                                            "cycle_sort", "toggle_facets", "mark",
                                            "export_marked"):  # fmt: skip
            return None
        if action in ("compare", "install", "mark", "export_marked"):
            return None if self.table.highlighted is None and not self.table.marked else True
        if action == "clear_marks":
            return bool(self.table.marked)
        if action == "focus_filter":
            return self.focused is not self.filter_input  # a `/` typed in the filter is text
        if action == "escape":  # an open facet list closes first
            return not any(select.expanded for select in self.facets_panel.query(Select))
        return True

    def action_focus_filter(self) -> None:
        self.set_focus(self.filter_input)  # now: Widget.focus would wait for queued keys

    async def action_escape(self) -> None:
        """Filter focused: back to the table (text kept). Table: clear the filter."""
        if self.focused in (self.filter_input, self.version_tree):  # has_focus lags a burst
            self.set_focus(self.table)
        elif self.filter_input.value:
            self.filter_input.value = ""
            self.notify("filter cleared", timeout=2)
        elif self.query_one("#facets").has_class("-shown"):
            await self.action_toggle_facets()

    def action_toggle_mode(self) -> None:
        if self.view is None or self._early(self.action_toggle_mode, "every archive"):
            return
        self.view.set_mode("all" if self.view.mode == "picks" else "picks")
        self._show_rows(keep=self._highlighted_name())
        self.notify(
            "every archive: all flavors, options, levels and releases"
            if self.view.mode == "all"
            else "uv's picks for this machine, newest patch per minor",
            timeout=2,
        )

    def action_flip(self, name: str) -> None:
        if self.view is None or self._early(partial(self.action_flip, name), TOGGLES[name][0]):
            return
        shown = self.view.toggle(name)
        self.facets_panel.set_checkbox(name, shown)
        if name == "show_incompatible":
            self.table.set_index(self.view.index, shown)
        self._show_rows(keep=self._highlighted_name())
        what, _ = TOGGLES[name]
        self.notify(f"{'showing' if shown else 'hiding'} {what}", timeout=2)

    async def action_toggle_facets(self) -> None:
        if self._early(self.action_toggle_facets, "facets"):
            return
        panel = self.facets_panel
        shown = not panel.has_class("-shown")
        if shown:
            await panel.fill()
        panel.set_class(shown, "-shown")
        self.set_class(shown, "-facets")
        if shown:
            panel.query("Select").first().focus()
        else:
            self.set_focus(self.table)

    def action_cycle_sort(self) -> None:
        if self.view is None or self._early(self.action_cycle_sort, "sort"):
            return
        sort = self.view.next_sort()
        self._show_rows(keep=self._highlighted_name())
        if self.view.sort_is_blind:
            self.notify(f"sort: {sort}; every size shown is unknown, so the order is unchanged",
                        timeout=4)  # fmt: skip
        else:
            self.notify(f"sort: {sort}", timeout=2)

    def action_mark(self) -> None:
        self.table.action_toggle_mark()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    def action_install(self) -> None:
        build = self.table.highlighted
        if self._early(self.action_install, "install"):
            return
        if build is not None and self.view is not None:
            self.post_message(InstallRequested(self.view.index.by_name.get(build.name, build)))

    def action_export_marked(self) -> None:
        """x: the marked rows (else the highlighted one) into a mirror folder."""
        view, app = self.view, self.pybs
        names = sorted(self.table.marked) if self.table.marked else []
        if not names and self.table.highlighted is not None:
            names = [self.table.highlighted.name]
        if view is None or not names or self._early(self.action_export_marked, "export"):
            return
        from .export_mirror import ExportMirror

        builds = [view.index.by_name[n] for n in names if n in view.index.by_name]
        catalog = app.catalog
        known = catalog.by_name if catalog is not None else None
        published = catalog.published if catalog is not None else None
        self.app.push_screen(ExportMirror(builds, app.settings, known, published))

    def action_compare(self) -> None:
        if self._early(self.action_compare, "compare"):
            return
        builds = self._compare_target()
        if not builds:
            self.notify("nothing to compare: highlight a row", severity="warning")
            return
        from .compare import CompareScreen

        whole = not self.table.marked
        self.app.push_screen(CompareScreen([b.name for b in builds], whole_release=whole))

    def _compare_target(self) -> list[Build]:
        """What enter/c compares: the marked rows; else every archive of the highlighted
        row's version, platform and release."""
        view = self.view
        if view is None:
            return []
        if self.table.marked:
            return [view.index.by_name[n] for n in sorted(self.table.marked)
                    if n in view.index.by_name]  # fmt: skip
        build = self.table.highlighted
        if build is None:
            return []
        return pick_builds(
            view.index.builds,
            version=build.version,
            platform=build.platform_key,
            release=build.release,
        )
