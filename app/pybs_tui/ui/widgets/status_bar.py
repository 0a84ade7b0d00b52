"""StatusBar: where the catalog came from (always shown), counts, host and sort; a spinner
while the catalog loads."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import LoadingIndicator, Static

from .plain import plain_content


class StatusBar(Horizontal):
    """One line at the top of the browser: where the catalog comes from (left) and the row
    counts (right); on a narrow terminal both shorten with an ellipsis, never cut mid-word
    off the screen."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $foreground; }
    StatusBar > #status-source { width: 1fr; height: 1; padding: 0 1; text-style: bold;
                                 text-overflow: ellipsis; text-wrap: nowrap; }
    StatusBar > #status-details { width: auto; max-width: 70%; height: 1; padding: 0 1;
                                  text-align: right; color: $text-muted;
                                  text-overflow: ellipsis; text-wrap: nowrap; }
    StatusBar > LoadingIndicator { width: 6; height: 1; min-height: 1; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = ""
        self.details = ""
        self.busy = False  # not `loading`: Widget.loading would cover the whole bar

    def compose(self) -> ComposeResult:
        yield Static("", id="status-source", markup=False)
        yield Static("", id="status-details", markup=False)

    def show(self, source: str, details: str, loading: bool) -> None:
        """Update the line (cheap when nothing changed). The source names a catalog's file or
        URL, the details what was typed: shown plain."""
        if source != self.source:
            self.source = source
            self.query_one("#status-source", Static).update(plain_content(source))
        if details != self.details:
            self.details = details
            self.query_one("#status-details", Static).update(plain_content(details))
        if loading != self.busy:
            self.busy = loading
            self.set_class(loading, "-loading")
            # mounted only while loading: an idle spinner would still animate
            if loading and self.is_attached:  # not while the app is being torn down
                self.mount(LoadingIndicator(id="status-spinner"), before=0)
            else:
                self.query("#status-spinner").remove()

    @property
    def text(self) -> str:
        return f"{self.source} │ {self.details}"
