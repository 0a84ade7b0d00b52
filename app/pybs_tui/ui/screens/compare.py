"""The compare screen: archives of one version and platform side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ...catalog.compare import Comparison, comparison, describe_selection, totals_line
from ...catalog.models import Build
from ..messages import InstallRequested
from ..widgets.badges import badges
from ..widgets.build_table import size_text
from ..widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from ..app import PybsApp


class CompareScreen(Screen[None]):
    """Columns are archives; rows are size, ratio, flags, options, flavor, format, release,
    sha256. Cells unlike the rest of their row are highlighted."""

    BINDINGS = [
        Binding("escape,q,c", "app.pop_screen", "Back", id="compare.back"),
        Binding("i", "install", "Install column", id="compare.install"),
    ]

    def __init__(self, names: list[str]) -> None:
        super().__init__(id="compare")
        self.names = names
        self.comparison: Comparison | None = None

    @property
    def pybs(self) -> PybsApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="compare-title")
        yield DataTable(
            id="compare-table", cursor_type="column", zebra_stripes=True, fixed_columns=1
        )
        yield Static("", id="compare-totals")
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self.rebuild()
        self.query_one("#compare-table", DataTable).focus()
        unknown = [b for b in self.builds() if b.size is None]
        if unknown:
            self.pybs.want_sizes(unknown[0], unknown)

    def builds(self) -> list[Build]:
        index = self.pybs.index
        if index is None:
            return []
        return [index.by_name[n] for n in self.names if n in index.by_name]

    def rebuild(self) -> None:
        """(Re)fill the table from the current index (sizes may have arrived)."""
        builds = self.builds()
        comp = comparison(builds)
        self.comparison = comp
        table = self.query_one("#compare-table", DataTable)
        cursor = table.cursor_column
        table.clear(columns=True)
        table.add_column("", key="attribute")
        for i, label in enumerate(comp.labels):
            table.add_column(label, key=f"col{i}")
        warning = Style(color=self.app.theme_variables.get("warning", "yellow"), bold=True)
        smallest = comp.smallest.name if comp.smallest else None
        for row in comp.rows:
            cells: list[Text] = [Text(row.attribute, style="bold")]
            for build, cell in zip(comp.builds, row.cells, strict=True):
                if row.attribute == "flags":
                    text = badges(build.flags)
                    if cell.differs:
                        text = Text("◆ ", style=warning) + text
                elif row.attribute == "size":
                    text = Text(size_text(build.size), style=warning if cell.differs else "")
                    if build.name == smallest:
                        text.append(" ▼", style="dim")
                else:
                    text = Text(cell.text, style=warning if cell.differs else "")
                cells.append(text)
            table.add_row(*cells, key=row.attribute)
        if comp.builds:
            table.move_cursor(column=min(max(1, cursor), len(comp.builds)))
        self.query_one("#compare-title", Static).update(self._title(builds))
        from ...cli.compare import free_space  # imports httpx: not before first paint

        free, where = free_space(self.pybs.settings)
        totals = totals_line(comp, free, where)
        if comp.notes:
            totals += "\n" + "; ".join(comp.notes)
        self.query_one("#compare-totals", Static).update(totals)

    def _title(self, builds: list[Build]) -> Text:
        text = Text("compare ", style="bold")
        text.append(describe_selection(builds))
        text.append(
            f"  ({len(builds)} archives; highlighted cells differ, ▼ smallest)", style="dim"
        )
        return text

    def sizes_changed(self, names: list[str]) -> None:
        if set(names) & set(self.names):
            self.rebuild()

    def size_state_changed(self) -> None:
        pass

    def highlighted(self) -> Build | None:
        comp = self.comparison
        if comp is None or not comp.builds:
            return None
        column = self.query_one("#compare-table", DataTable).cursor_column
        return comp.builds[column - 1] if 1 <= column <= len(comp.builds) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "install":
            return True if self.highlighted() is not None else None
        return True

    def on_data_table_column_highlighted(self) -> None:
        self.refresh_bindings()

    def action_install(self) -> None:
        build = self.highlighted()
        if build is not None:
            self.app.post_message(InstallRequested(build))
