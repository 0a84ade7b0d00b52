"""A footer that redraws only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class QuietFooter(Footer):
    """A Footer that rebuilds only when the keys it shows changed, and leaves out the
    command palette's key (help and the hint line name ctrl+p; on a narrow terminal the
    palette key used to cover the last key shown).

    Textual's Footer recomposes all its keys on every `refresh_bindings` (each focus change
    here), which costs tens of ms per key press on a slow machine; most of those calls change
    nothing it shows.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("show_command_palette", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def bindings_changed(self, screen: Screen) -> None:
        shown = tuple(
            (key, b.description, b.key_display, enabled, tooltip)
            for key, (_node, b, enabled, tooltip) in screen.active_bindings.items()
            if b.show
        )
        if shown == getattr(self, "_shown", None):
            return
        if screen.app.app_focus:  # else Footer waits for the focus: compare again then
            self._shown = shown
        super().bindings_changed(screen)
