"""The browse screen: version tree, filter, facets, build table and detail pane."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Tree

from ...catalog.compare import pick_builds
from ...catalog.models import Build
from ...catalog.view import (
    BrowseView,
    CatalogIndex,
    Facets,
    NodePath,
    detail_lines,
    size_reason,
)
from ..messages import InstallRequested
from ..widgets.build_table import BuildTable, size_text
from ..widgets.build_tree import BuildTree
from ..widgets.detail_pane import DetailPane
from ..widgets.facets import FacetsPanel
from ..widgets.quiet_footer import QuietFooter
from ..widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from ..app import PybsApp


class BrowseScreen(Screen[None]):
    """Find builds: narrow by tree node, facets and text; see everything about one."""

    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="browse.filter"),
        Binding("f", "toggle_facets", "Facets", id="browse.facets"),
        Binding(
            "h",
            "toggle_incompatible",
            "Hosts",
            id="browse.host",
            tooltip="Show or hide builds this machine cannot run",
        ),
        Binding(
            "s",
            "cycle_sort",
            "Sort",
            id="browse.sort",
            tooltip="Sort by version, size (largest first), size (smallest first)",
        ),
        Binding(
            "c",
            "compare",
            "Compare",
            id="browse.compare",
            tooltip="Compare the archives of the selected version, row or marked rows",
        ),
        Binding("i", "install", "Install", id="browse.install"),
        Binding("u", "clear_marks", "Unmark all", id="browse.unmark", show=False),
        Binding("escape", "escape", "Back to table", show=False),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]

    def __init__(self) -> None:
        super().__init__(id="browse")
        self.view: BrowseView | None = None

    @property
    def pybs(self) -> PybsApp:
        return self.app  # type: ignore[return-value]

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield Input(
            placeholder="/ filter: words in the file name, e.g. 3.12 aarch64 musl",
            id="filter",
            compact=True,
        )
        with Horizontal(id="main"):
            yield FacetsPanel(id="facets")
            yield BuildTree(id="tree")
            yield BuildTable(id="table")
        yield DetailPane(id="detail")
        yield QuietFooter(compact=True)

    @property
    def table(self) -> BuildTable:
        return self.query_one("#table", BuildTable)

    @property
    def tree(self) -> BuildTree:
        return self.query_one("#tree", BuildTree)

    @property
    def detail(self) -> DetailPane:
        return self.query_one("#detail", DetailPane)

    @property
    def facets_panel(self) -> FacetsPanel:
        return self.query_one("#facets", FacetsPanel)

    def on_mount(self) -> None:
        self.query_one("#facets").border_title = "facets"
        self.tree.border_title = "versions"
        self.detail.border_title = "details"
        self.detail.show_message("Loading the catalog…")
        self.table.focus()
        self.update_status()
        self.call_after_refresh(self.pybs.screen_painted, self)

    # -- catalog and sizes (called by the app) -------------------------------------------
    def show_catalog(self, index: CatalogIndex) -> None:
        """A new catalog arrived: rebuild tree, facets and rows, keeping the user's place."""
        keep = self.table.highlighted.name if self.table.highlighted else None
        if self.view is None:
            self.view = BrowseView(index)
            self.view.set_text(self.query_one("#filter", Input).value)
        else:
            self.view.set_index(index)
        self.facets_panel.set_index(index)
        self.table.set_index(index, self.view.facets.show_incompatible)
        self.tree.populate(self.view.tree(), keep=self.view.node)
        self._show_rows(keep=keep)
        self.refresh_bindings()

    def catalog_failed(self, error: str) -> None:
        """The catalog worker failed; with nothing shown yet, say so where rows would be."""
        if self.view is None:
            self.table.empty_text = f"no catalog: {error} (r retries)"
            self.table.refresh()
            self.detail.show_message(f"The catalog could not be loaded: {error}")
        self.update_status()

    def sizes_changed(self, names: list[str]) -> None:
        """Sizes of these builds arrived (the index already has them)."""
        self.table.update_builds(names)
        if self.view is not None:
            keep = self.table.highlighted.name if self.table.highlighted else None
            self.view.invalidate()  # cached lists hold the old Build objects
            self._show_rows(keep=keep)
        highlighted = self.table.highlighted
        if highlighted is not None:
            self._show_detail(highlighted)

    def size_state_changed(self) -> None:
        highlighted = self.table.highlighted
        if highlighted is not None:
            self._show_detail(highlighted)

    def current_build(self, build: Build) -> Build:
        return self.view.index.by_name.get(build.name, build) if self.view else build

    # -- rows ----------------------------------------------------------------------------
    def _show_rows(self, keep: str | None = None) -> None:
        if self.view is None:
            return
        rows = self.view.rows()
        table = self.table
        if not rows:
            table.empty_text = self._empty_text()
        table.set_rows(rows, keep=keep)
        self.update_status()

    def _empty_text(self) -> str:
        view = self.view
        if view is None:
            return "loading the catalog…"
        parts = ["no builds match"]
        if view.text.strip():
            parts.append(f"the filter {view.text.strip()!r}")
        if view.facets.active:
            parts.append(f"{view.facets.active} facet(s) (f)")
        if view.hidden and not view.facets.show_incompatible:
            parts.append(f"{view.hidden} hidden: this machine cannot run them (h shows them)")
        return "; ".join(parts)

    def update_status(self) -> None:
        bar = self.query_one("#status", StatusBar)
        app = self.pybs
        source = app.catalog_status or "loading the catalog…"
        parts = []
        view = self.view
        if view is not None:
            count = f"{len(view.rows())}/{len(view.index)} builds"
            if view.hidden and not view.facets.show_incompatible:
                count += f", {view.hidden} not for this host"
            parts.append(count)
            if self.table.marked:
                parts.append(f"{len(self.table.marked)} marked")
            parts.append(f"sort: {view.sort}")
        parts.append(f"host {app.host.triple_words}")
        bar.show(source, " │ ".join(parts), app.loading_catalog)

    # -- events --------------------------------------------------------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        if self.view is None:
            return
        keep = self.table.highlighted.name if self.table.highlighted else None
        self.view.set_text(event.value)
        self._show_rows(keep=keep)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.table.focus()

    @on(Tree.NodeHighlighted, "#tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted[NodePath]) -> None:
        if self.view is None or event.node.data is None:
            return
        if event.node.data != self.view.node:
            self.view.set_node(event.node.data)
            self._show_rows()
        self.refresh_bindings()

    @on(FacetsPanel.Changed)
    def _facets_changed(self, event: FacetsPanel.Changed) -> None:
        self.apply_facets(event.facets)

    def apply_facets(self, facets: Facets) -> None:
        view = self.view
        if view is None:
            return
        keep = self.table.highlighted.name if self.table.highlighted else None
        reasons_changed = facets.show_incompatible != view.facets.show_incompatible
        view.set_facets(facets)
        if reasons_changed:
            self.table.set_index(view.index, facets.show_incompatible)
        self.tree.populate(view.tree(), keep=view.node)
        self._show_rows(keep=keep)

    @on(BuildTable.Highlighted)
    def _row_highlighted(self, event: BuildTable.Highlighted) -> None:
        build = event.build
        if build is None:
            self.detail.show_message(self.table.empty_text if self.view else "Loading the catalog…")
        else:
            self._show_detail(build)
            self.pybs.want_sizes(build, self.table.visible_builds())
        self.refresh_bindings()

    @on(BuildTable.Selected)
    def _row_selected(self, event: BuildTable.Selected) -> None:
        self._compare_builds(self._same_platform(event.build))

    @on(BuildTable.MarksChanged)
    def _marks_changed(self) -> None:
        self.update_status()
        self.refresh_bindings()

    def _show_detail(self, build: Build) -> None:
        if self.view is None:
            return
        app = self.pybs
        build = self.view.index.by_name.get(build.name, build)
        reason = size_reason(build, app.catalog, app.settings.offline, app.size_state(build))
        lines = detail_lines(build, self.view.index, size_text=size_text(build.size), reason=reason)
        self.detail.show(
            lines, title=f"{build.version_str} {build.variant} {build.platform_key} {build.flavor}"
        )

    # -- actions -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if (
            action in ("compare", "install", "toggle_incompatible", "cycle_sort", "toggle_facets")
            and self.view is None
        ):
            return None
        if action == "compare":
            return True if self._can_compare() else None
        if action == "install":
            return None if self.table.highlighted is None else True
        if action == "clear_marks":
            return bool(self.table.marked)
        return True

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_escape(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.has_focus and filter_input.value:
            filter_input.value = ""
        else:
            self.table.focus()

    def action_toggle_facets(self) -> None:
        panel = self.facets_panel
        shown = not panel.has_class("-shown")
        panel.set_class(shown, "-shown")
        self.set_class(shown, "-facets")
        if shown:
            panel.query("Select").first().focus()
        else:
            self.table.focus()

    def action_toggle_incompatible(self) -> None:
        if self.view is None:
            return
        show = not self.view.facets.show_incompatible
        self.facets_panel.set_checkbox("show_incompatible", show)
        facets = self.facets_panel.read()
        self.facets_panel.facets = facets
        self.apply_facets(facets)
        self.notify(
            "showing builds this machine cannot run (greyed, with the reason)"
            if show
            else "hiding builds this machine cannot run",
            timeout=2,
        )

    def action_cycle_sort(self) -> None:
        if self.view is None:
            return
        keep = self.table.highlighted.name if self.table.highlighted else None
        self.view.next_sort()
        self._show_rows(keep=keep)

    def action_clear_marks(self) -> None:
        self.table.clear_marks()

    def action_install(self) -> None:
        build = self.table.highlighted
        if build is not None:
            self.app.post_message(InstallRequested(self.current_build(build)))

    def action_compare(self) -> None:
        builds = self._compare_target()
        if not builds:
            self.notify(
                "nothing to compare: pick a version in the tree or a row", severity="warning"
            )
            return
        self._compare_builds(builds)

    def _compare_builds(self, builds: list[Build]) -> None:
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen([b.name for b in builds]))

    def _same_platform(self, build: Build) -> list[Build]:
        assert self.view is not None
        return pick_builds(
            self.view.index.builds,
            version=build.version,
            platform=build.platform_key,
            release=build.release,
        )

    def _can_compare(self) -> bool:
        if self.table.marked:
            return True
        if self.tree.has_focus:
            return self.tree.current.minor is not None
        return self.table.highlighted is not None

    def _compare_target(self) -> list[Build]:
        """What `c` compares: marked rows; the tree node when the tree has focus; the row."""
        view = self.view
        if view is None:
            return []
        if self.table.marked:
            return [
                view.index.by_name[n] for n in sorted(self.table.marked) if n in view.index.by_name
            ]
        if self.tree.has_focus:
            node = self.tree.current
            if node.minor is None:
                return []
            pool = [b for b in view.index.builds if node.matches(b)]
            if not view.facets.show_incompatible:
                pool = [b for b in pool if view.index.reason[b.name] is None] or pool
            return pick_builds(pool, host=view.index.host, variant=node.variant)
        build = self.table.highlighted
        return self._same_platform(build) if build is not None else []
