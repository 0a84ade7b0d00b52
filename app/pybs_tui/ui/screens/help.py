"""The help screen: every key, what the row marks and flag badges mean."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...catalog.models import FLAG_MEANINGS
from ..widgets.badges import BADGE_STYLES

EXTRA_KEYS = (
    ("tab / shift+tab", "move focus: filter, facets, tree, table, details"),
    ("up / down, pgup / pgdn", "move in the tree or table"),
    ("left / right", "collapse / expand in the tree; scroll the table sideways"),
    ("enter", "tree: expand; table: compare this row's version and platform"),
    ("ctrl+p", "command palette: compare, filter, refresh, install <build>..."),
    ("mouse", "click rows, tree nodes, facets and footer keys; scroll with the wheel"),
)


def _key_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for b in bindings:
        if not isinstance(b, Binding) or not b.description:
            continue
        keys = ", ".join(
            k.strip().replace("slash", "/").replace("question_mark", "?").replace("space", "space")
            for k in b.key.split(",")
        )
        text = b.description + (f": {b.tooltip}" if b.tooltip else "")
        rows.append((keys, text))
    return rows


class HelpScreen(ModalScreen[None]):
    """A modal list of keys, grouped by where they apply."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    """

    def __init__(self, groups: list[tuple[str, Iterable[BindingType]]]) -> None:
        super().__init__(id="help")
        self.groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "pybs-tui keys"
            body.border_subtitle = "escape closes"
            yield Static(self._content(), id="help-text")

    def _content(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        for title, bindings in self.groups:
            grid.add_row(Text(title, style="underline"), "")
            for keys, text in _key_rows(bindings):
                grid.add_row(keys, text)
            grid.add_row("", "")
        grid.add_row(Text("anywhere", style="underline"), "")
        for keys, text in EXTRA_KEYS:
            grid.add_row(keys, text)
        grid.add_row("", "")
        grid.add_row(Text("row marks", style="underline"), "")
        grid.add_row("●", "marked with space (c compares the marked rows)")
        grid.add_row("✓", "installed by pybs-tui")
        grid.add_row("u", "the archive uv would pick for this version and platform")
        grid.add_row("?", "size unknown: fetched from the API when the row is highlighted")
        grid.add_row("", "")
        grid.add_row(Text("flags", style="underline"), "")
        for flag, meaning in FLAG_MEANINGS.items():
            grid.add_row(Text(flag, style=BADGE_STYLES.get(flag, "")), meaning)
        return grid

    @property
    def text(self) -> str:
        """Plain text of the help (for tests)."""
        import io

        from rich.console import Console

        console = Console(width=120, record=True, file=io.StringIO())
        console.print(self._content())
        return console.export_text()
