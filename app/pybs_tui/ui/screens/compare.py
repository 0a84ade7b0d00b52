"""The compare screen: every archive of one version, platform and release side by side.

Columns are archives (install_only_stripped, install_only, each full build, the free-threaded
ones); rows are size, ratio to the smallest, unpacked estimate, flags (* = inferred), options,
flavor, format, release, sha256 and uv's pick, and the measured speed of installed columns.
Online it first asks for the release's own listing (every archive, with sizes and digests)
and the download host for what is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...catalog.compare import Comparison, comparison, describe_selection, totals_line
from ...catalog.models import Build
from ...resources import styles_dir
from ..messages import CatalogChanged, InstallRequested, SizesChanged
from ..widgets.badges import flag_badges
from ..widgets.detail_pane import detail_lines
from ..widgets.plain import plain
from ..widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from ..app import PybsApp


class CompareScreen(Screen[None]):
    """Archives side by side; cells unlike the rest of their row are marked ◆."""

    CSS_PATH = str(styles_dir() / "compare.tcss")  # loaded when first shown, not at start

    BINDINGS = [
        Binding("escape,q,c", "app.pop_screen", "Back", id="compare.back"),
        Binding("i", "install", "Install column", id="compare.install",
                tooltip="Install the highlighted column's archive"),
        Binding("left,h", "column(-1)", "Left", show=False),
        Binding("right,l", "column(1)", "Right", show=False),
    ]  # fmt: skip

    def __init__(self, names: list[str], *, whole_release: bool = True) -> None:
        """`names`: the columns; with `whole_release` (a row's comparison, not marked rows)
        archives a release listing adds later join them."""
        super().__init__(id="compare")
        self.names = names
        self.whole_release = whole_release
        self.comparison: Comparison | None = None

    @property
    def pybs(self) -> PybsApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-title")
        yield DataTable(id="compare-table", cursor_type="column", fixed_columns=1)
        yield Static("", id="compare-totals")
        yield Static("", id="compare-detail")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.rebuild()
        self.query_one("#compare-table", DataTable).focus()
        builds = self.builds()
        releases = {b.release for b in builds if b.release}
        for tag in sorted(releases):
            self.pybs.fetch_release(tag)
        self.pybs.want_sizes(builds)

    def builds(self) -> list[Build]:
        index = self.pybs.index
        if index is None:
            return []
        return [index.by_name[n] for n in self.names if n in index.by_name]

    def _all_of_release(self, builds: list[Build]) -> list[Build]:
        """When the columns are one version/platform/release, every archive of it (a release
        listing that arrived may have added some)."""
        index = self.pybs.index
        if not self.whole_release or index is None or not builds:
            return builds
        if "mixed" in describe_selection(builds):
            return builds
        first = builds[0]
        return [
            b
            for b in index.group_of(first)
            if b.platform_key == first.platform_key and b.release == first.release
        ]

    def rebuild(self) -> None:
        """(Re)fill the table from the current index (sizes or a release listing arrived)."""
        index = self.pybs.index
        builds = self._all_of_release(self.builds())
        self.names = [b.name for b in builds]
        from ...service.speed import build_speeds  # a small file: the kept speeds

        comp = comparison(
            builds,
            facts=index.flag_facts if index is not None else None,
            uv_request=index.uv_request if index is not None else None,
            speed=build_speeds(self.pybs.settings, index.installed) if index else None,
        )
        self.comparison = comp
        table = self.query_one("#compare-table", DataTable)
        cursor = table.cursor_column
        warning = Style(color=self.app.theme_variables.get("warning", "yellow"), bold=True)
        smallest = comp.smallest.name if comp.smallest else None
        lines: list[list[Text]] = []
        for row in comp.rows:
            cells: list[Text] = [plain(row.attribute, "bold")]
            for build, cell in zip(comp.builds, row.cells, strict=True):
                if row.attribute == "flags":
                    text = flag_badges(cell.text) if cell.text != "-" else Text("-")
                else:
                    text = plain(cell.text)  # sha256, release, names: a catalog's text
                if row.attribute == "size" and build.name == smallest:
                    text.append(" ▼", style="dim")
                if cell.differs:
                    text = Text("◆ ", style=warning) + text
                cells.append(text)
            lines.append(cells)
        # Widths given, not measured: DataTable measures on idle and keeps lines drawn before
        # that in its cache (with header-only widths) when no row has auto height, which
        # happened when two rebuilds came in a row (sizes, then a release listing).
        labels = [plain(label) for label in ["", *comp.labels]]  # a str label is markup
        table.clear(columns=True)
        for i, label in enumerate(labels):
            width = max([label.cell_len, *(cells[i].cell_len for cells in lines)])
            table.add_column(label, key="attribute" if i == 0 else f"col{i - 1}", width=width)
        for row, cells in zip(comp.rows, lines, strict=True):
            table.add_row(*cells, key=row.attribute)
        if comp.builds:
            table.move_cursor(column=min(max(1, cursor), len(comp.builds)))
        self.query_one("#compare-title", Static).update(self._title(builds))
        from ...service.install import free_space  # httpx: not before first paint

        free, where = free_space(self.pybs.settings)
        totals = plain(totals_line(comp, free, str(where)))  # the home's path is outside text
        for note in comp.notes:
            totals.append("\n")
            totals.append_text(plain(note, "dim"))
        self.query_one("#compare-totals", Static).update(totals)
        self._show_column()

    def _title(self, builds: list[Build]) -> Text:
        text = Text("compare ", style="bold")
        text.append_text(plain(describe_selection(builds)))
        text.append(f"  {len(builds)} archives · ◆ differs · ▼ smallest · * inferred",
                    style="dim")  # fmt: skip
        return text

    def highlighted(self) -> Build | None:
        comp = self.comparison
        if comp is None or not comp.builds:
            return None
        column = self.query_one("#compare-table", DataTable).cursor_column
        return comp.builds[column - 1] if 1 <= column <= len(comp.builds) else None

    def _show_column(self) -> None:
        """Below the table: the highlighted archive's full name, flag sources, uv, sha256."""
        build, index = self.highlighted(), self.pybs.index
        detail = self.query_one("#compare-detail", Static)
        if build is None or index is None:
            detail.update("")
            return
        lines = detail_lines(build, index, state=self.pybs.sizes.state(build),
                             online=self.pybs.sizes_online)  # fmt: skip
        text = Text()
        for label, value in lines:  # the URL, sha256, sizes' reasons: outside text
            text.append(f"{label}: ", style="bold")
            text.append_text(plain(value))
            text.append("\n")
        detail.update(text)

    @on(CatalogChanged)
    def _catalog_changed(self) -> None:
        self.rebuild()

    @on(SizesChanged)
    def _sizes_changed(self, message: SizesChanged) -> None:
        if set(message.names) & set(self.names):
            self.rebuild()

    def on_data_table_column_highlighted(self) -> None:
        self._show_column()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "install":
            return True if self.highlighted() is not None else None
        return True

    def action_column(self, delta: int) -> None:
        table = self.query_one("#compare-table", DataTable)
        table.move_cursor(column=max(1, min(len(self.names), table.cursor_column + delta)))

    def action_install(self) -> None:
        build = self.highlighted()
        if build is not None:
            self.post_message(InstallRequested(build))
