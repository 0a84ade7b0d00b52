"""A footer that redraws only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class QuietFooter(Footer):
    """A Footer that rebuilds only when the keys it shows changed, and leaves out the
    command palette's key (help and the hint line name ctrl+p; on a narrow terminal the
    palette key used to cover the last key shown).

    Textual's Footer recomposes all its keys on every `refresh_bindings` (each focus change
    here), which costs tens of ms per key press on a slow machine; most of those calls change
    nothing it shows. When only whether keys are enabled (or their tooltips) changed, as when
    the first rows arrive, the keys on screen are updated in place instead of composed again.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("show_command_palette", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._shown: tuple[tuple[object, ...], ...] | None = None
        self._recompose_pending = False

    def bindings_changed(self, screen: Screen) -> None:
        active = screen.active_bindings
        shown = tuple(
            (key, b.description, b.key_display, b.group, enabled, tooltip)
            for key, (_node, b, enabled, tooltip) in active.items()
            if b.show
        )
        if shown == self._shown:
            return
        focus = screen.app.app_focus
        if focus and self._recompose_pending:  # the coming recompose reads them as they are
            self._shown = shown
            return
        same_layout = self._shown is not None and _layout(shown) == _layout(self._shown)
        if same_layout and self._update_in_place(screen):
            self._shown = shown
            return
        if focus:  # else Footer waits for the focus: compare again then
            self._shown = shown
            self._recompose_pending = self.is_attached and screen is self.screen
        super().bindings_changed(screen)

    async def recompose(self) -> None:
        self._recompose_pending = False
        await super().recompose()

    def _update_in_place(self, screen: Screen) -> bool:
        """Set each key's enabled state and tooltip as Footer.compose would; False when the
        keys on screen are not the ones it would compose (a group, a key it has not made)."""
        states: dict[str, tuple[bool, str]] = {}
        for _node, b, enabled, tooltip in screen.active_bindings.values():
            if b.show:
                if b.group is not None:
                    return False
                states.setdefault(b.action, (enabled, tooltip))
        keys = list(self.query_children(FooterKey))
        if not keys or any(key.action not in states for key in keys):
            return False
        for key in keys:
            enabled, tooltip = states[key.action]
            if key._disabled == enabled:  # Footer composes FooterKey(disabled=not enabled)
                key._disabled = not enabled
                key.set_class(not enabled, "-disabled")
            key.tooltip = tooltip or None
        return True


def _layout(shown: tuple[tuple[object, ...], ...]) -> tuple[tuple[object, ...], ...]:
    """What the keys look like apart from being enabled and their tooltips."""
    return tuple(entry[:4] for entry in shown)
