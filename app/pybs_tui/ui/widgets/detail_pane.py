"""DetailPane: everything about the highlighted build, one fact per line."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from .badges import BADGE_STYLES


class DetailPane(VerticalScroll, can_focus=True):
    """A scrollable key/value list; `show` replaces its content."""

    DEFAULT_CSS = """
    DetailPane { background: $surface; }
    DetailPane > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.body = Static("", id="detail-body")
        self.lines: list[tuple[str, str]] = []

    def compose(self):  # type: ignore[override]
        yield self.body

    def show(self, lines: list[tuple[str, str]], title: str = "") -> None:
        self.lines = lines
        self.border_title = title
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(ratio=1, overflow="fold")
        for label, value in lines:
            badge = BADGE_STYLES.get(label)
            grid.add_row(Text(label, style=badge) if badge else Text(label), Text(value))
        self.body.update(grid)

    def show_message(self, message: str, title: str = "") -> None:
        self.lines = []
        self.border_title = title
        self.body.update(Text(message, style="italic"))

    @property
    def text(self) -> str:
        """The shown lines as plain text (for tests)."""
        return "\n".join(f"{k}: {v}" for k, v in self.lines)
