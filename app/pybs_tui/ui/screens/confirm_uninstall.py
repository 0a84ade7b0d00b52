"""ConfirmUninstall: one modal for uninstall and prune. Shows the space to be freed and what
uses each install; another tool's interpreter is never offered for deletion, only its command.
Dismisses with True (remove the own installs listed) or False."""

from __future__ import annotations

from collections.abc import Sequence

import humanize
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...install.registry import Interpreter
from ...resources import styles_dir


def _size(n: int | None) -> str:
    return humanize.naturalsize(n) if n is not None else "size unknown"


class ConfirmUninstall(ModalScreen[bool]):
    """Ask before removing. `items` are (interpreter, note) pairs; notes are prune reasons."""

    CSS_PATH = str(styles_dir() / "installed.tcss")
    BINDINGS = [
        Binding("y", "confirm", "Remove", id="confirm_uninstall.yes"),
        Binding("n,escape", "cancel", "Cancel", id="confirm_uninstall.no"),
    ]

    def __init__(
        self,
        items: Sequence[tuple[Interpreter, str]],
        *,
        title: str = "",
        keep: Sequence[Interpreter] = (),
    ) -> None:
        super().__init__()
        self.items = list(items)
        self.keep = list(keep)
        self.own = [(i, note) for i, note in self.items if i.own]
        self.others = [i for i, _ in self.items if not i.own]
        count = len(self.own)
        self.title_text = title or f"Uninstall {count} interpreter{'s' if count != 1 else ''}"

    @property
    def can_remove(self) -> bool:
        return bool(self.own)

    @property
    def freed(self) -> int:
        return sum(i.size or 0 for i, _ in self.own)

    def _freed_text(self) -> str:
        unknown = any(i.size is None for i, _ in self.own)
        return ("at least " if unknown else "") + humanize.naturalsize(self.freed)

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            yield Static(self.title_text, id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                for interp, note in self.own:
                    users = escape(", ".join(interp.used_by))
                    text = f"[b]{escape(interp.name)}[/b]  {interp.label}  {_size(interp.size)}"
                    if note:
                        text += f"\n  {escape(note)}"
                    text += (
                        f"\n  [red]used by: {users}[/red]"
                        if users
                        else "\n  used by: nothing found"
                    )
                    yield Static(text, classes="confirm-item")
                for interp in self.others:
                    yield Static(
                        f"[b]{escape(str(interp.path))}[/b] ({interp.label}) is managed by "
                        f"{interp.manager}; pybs-tui does not delete it. Run:\n"
                        f"  [b]{escape(interp.remove_command)}[/b]",
                        classes="confirm-other",
                    )
                if self.keep:
                    kept = ", ".join(f"{i.name} ({i.label})" for i in self.keep)
                    yield Static(f"kept: {kept}", classes="confirm-keep", markup=False)
            if self.can_remove:
                yield Static(f"Space to be freed: [b]{self._freed_text()}[/b]", id="confirm-freed")
            with Horizontal(id="confirm-buttons"):
                if self.can_remove:
                    yield Button("Remove", variant="error", id="confirm-yes")
                yield Button("Cancel" if self.can_remove else "Close", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()  # the safe choice has the focus

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return action != "confirm" or self.can_remove

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes" and self.can_remove)

    def action_confirm(self) -> None:
        if self.can_remove:
            self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
