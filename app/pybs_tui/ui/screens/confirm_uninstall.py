"""The two removal dialogs of the Installed screen.

ConfirmUninstall: the installs the user picked; each one in use names every user in red (it
still may go: the user picked it), another tool's interpreter only gets its own command. The
focus starts on Cancel. Dismisses with True (remove the own installs listed) or False.

ConfirmPrune: the prune plan. Older installs nothing uses are checked; older installs in use
are listed below, unchecked, each with every user; only a box the user checks goes. Dismisses
with the names to remove, or None.

Every name and path is written as plain Text (escaped), never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Static

from ...install.registry import Interpreter, short_user
from ...resources import styles_dir
from ...service.inventory import PrunePlan
from ...units import format_size, printable

SCAN_NOTE = "The venv scan stopped at its time limit: something may use these and not be named."


def _size(n: int | None) -> str:
    return format_size(n, "size unknown")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def users_text(interp: Interpreter, home: Path | str, indent: str = "  ") -> Text:
    """Every user of `interp`, one per line, red; or a muted 'nothing found'."""
    if not interp.used_by:
        return Text(f"{indent}used by: nothing found", style="dim")
    text = Text(f"{indent}in use, removing it breaks:", style="bold red")
    for user in interp.used_by:
        text.append("\n" + indent + "  " + printable(short_user(user, home)), style="red")
    return text


def _head(interp: Interpreter, note: str = "") -> Text:
    text = Text()
    text.append(printable(interp.name), style="bold")
    text.append(f"  {interp.label}  {_size(interp.size)}")
    if note:
        text.append(f"\n  {printable(note)}")
    return text


class ConfirmUninstall(ModalScreen[bool]):
    """Ask before removing the installs the user picked (own ones; others get a command)."""

    CSS_PATH = str(styles_dir() / "installed.tcss")
    BINDINGS = [
        Binding("y", "confirm", "Remove", id="confirm_uninstall.yes"),
        Binding("n,escape", "cancel", "Cancel", id="confirm_uninstall.no"),
        Binding("left,h", "app.focus_previous", "Previous", show=False),
        Binding("right,l", "app.focus_next", "Next", show=False),
    ]

    def __init__(
        self,
        items: Sequence[Interpreter],
        *,
        home: Path | str = "",
        complete: bool = True,
    ) -> None:
        super().__init__()
        self.own = [i for i in items if i.own]
        self.others = [i for i in items if not i.own]
        self.home = home
        self.complete = complete
        self.title_text = f"Uninstall {_plural(len(self.own), 'interpreter')}"

    @property
    def can_remove(self) -> bool:
        return bool(self.own)

    @property
    def freed(self) -> int:
        return sum(i.size or 0 for i in self.own)

    def _freed_text(self) -> str:
        unknown = any(i.size is None for i in self.own)
        return ("at least " if unknown else "") + format_size(self.freed)

    def compose(self) -> ComposeResult:
        used = [i for i in self.own if i.used_by]
        with Vertical(id="confirm-dialog"):
            yield Static(Text(self.title_text), id="confirm-title")
            if used:
                yield Static(
                    Text(
                        (
                            "This install is in use: what uses it stops working."
                            if len(self.own) == 1
                            else f"{len(used)} of these installs "
                            f"{'is' if len(used) == 1 else 'are'} in use: what uses "
                            f"{'it' if len(used) == 1 else 'them'} stops working."
                        ),
                        style="bold red",
                    ),
                    id="confirm-warning",
                )
            with VerticalScroll(id="confirm-body"):
                for interp in self.own:
                    text = _head(interp)
                    text.append("\n  " + printable(interp.path), style="dim")
                    text.append("\n")
                    text.append_text(users_text(interp, self.home))
                    yield Static(text, classes="confirm-item" + (" used" if interp.used_by else ""))
                for interp in self.others:
                    text = Text()
                    text.append(printable(interp.path), style="bold")
                    text.append(
                        f" ({interp.label}) is managed by {interp.manager}; pybs-tui does not "
                        "delete it. Run:\n  "
                    )
                    text.append(printable(interp.remove_command), style="bold")
                    yield Static(text, classes="confirm-other")
                if not self.complete:
                    yield Static(Text(SCAN_NOTE), classes="confirm-note")
            if self.can_remove:
                yield Static(
                    Text.assemble("Space to be freed: ", (self._freed_text(), "bold")),
                    id="confirm-freed",
                )
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


class PruneItem(Checkbox):
    """One install in the prune dialog: checked means it goes. The label says 'remove' or
    'keep' in words too, so the choice reads the same without colours."""

    def __init__(self, interp: Interpreter, *, value: bool) -> None:
        self.interp = interp
        super().__init__(self._label_for(value), value, classes="prune-item")

    def _label_for(self, value: bool) -> Text:
        flavor = f" · {printable(self.interp.flavor)}" if self.interp.flavor else ""
        text = Text()
        text.append("remove" if value else "keep  ", style="bold red" if value else "bold green")
        text.append(f"  {self.interp.label}{flavor} · {_size(self.interp.size)}")
        return text

    def relabel(self) -> None:
        self.label = self._label_for(self.value)


def _item_text(interp: Interpreter, note: str, home: Path | str) -> Text:
    """Under a box: the full install name, why it could go, and every user."""
    text = Text("      " + printable(interp.name), style="bold")
    if note:
        text.append("\n      " + printable(note))
    if interp.used_by:
        text.append("\n")
        text.append_text(users_text(interp, home, "      "))
    return text


class ConfirmPrune(ModalScreen[list[str] | None]):
    """The prune plan with a box per older install; what something uses starts unchecked."""

    CSS_PATH = str(styles_dir() / "installed.tcss")
    BINDINGS = [
        Binding("y", "confirm", "Remove checked", id="confirm_prune.yes"),
        Binding("n,escape", "cancel", "Cancel", id="confirm_prune.no"),
        Binding("up,k", "app.focus_previous", "Previous", show=False, priority=True),
        Binding("down,j", "app.focus_next", "Next", show=False, priority=True),
    ]

    def __init__(self, plan: PrunePlan, *, home: Path | str = "", complete: bool = True) -> None:
        super().__init__()
        self.plan = plan
        self.home = home
        self.complete = complete

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="confirm-dialog", classes="prune"):
            yield Static(Text(self._title()), id="confirm-title")
            with VerticalScroll(id="confirm-body"):
                for interp, why in plan.remove:
                    yield PruneItem(interp, value=True)
                    yield Static(_item_text(interp, why, self.home), classes="prune-detail")
                if plan.kept_used:
                    yield Static(
                        Text(
                            "In use, so kept; check one only if you mean to break what uses it:",
                            style="bold",
                        ),
                        classes="prune-heading",
                    )
                    for interp in plan.kept_used:
                        why = plan.reasons.get(interp.name, "")
                        yield PruneItem(interp, value=False)
                        yield Static(_item_text(interp, why, self.home), classes="prune-detail")
                kept = [i for i in plan.keep if i not in plan.kept_used]
                if kept:
                    names = ", ".join(f"{printable(i.name)} ({i.label})" for i in kept)
                    yield Static(
                        Text(f"Kept, the newest of each minor and variant: {names}"),
                        classes="confirm-keep",
                    )
                if not self.complete:
                    yield Static(Text(SCAN_NOTE), classes="confirm-note")
            yield Static("", id="confirm-freed")
            with Horizontal(id="confirm-buttons"):
                yield Button("Remove checked", variant="error", id="confirm-yes")
                yield Button("Cancel", id="confirm-no")

    def _title(self) -> str:
        count = len(self.plan.remove)
        if count:
            return f"Prune: remove {_plural(count, 'older install')}"
        used = _plural(len(self.plan.kept_used), "older install")
        return f"Nothing to prune unless you check it: {used} in use"

    def on_mount(self) -> None:
        self._update()
        items = self.items()
        target = items[0] if items else self.query_one("#confirm-no", Button)
        target.focus()

    def items(self) -> list[PruneItem]:
        return list(self.query(PruneItem))

    @property
    def chosen(self) -> list[Interpreter]:
        return [item.interp for item in self.items() if item.value]

    def _update(self) -> None:
        chosen = self.chosen
        used = [i for i in chosen if i.used_by]
        unknown = any(i.size is None for i in chosen)
        freed = ("at least " if unknown else "") + format_size(sum(i.size or 0 for i in chosen))
        text = Text.assemble(
            f"{_plural(len(chosen), 'install')} checked, space to be freed: ", (freed, "bold")
        )
        if used:
            text.append(
                f"\n{_plural(len(used), 'checked install')} in use: what uses "
                f"{'it' if len(used) == 1 else 'them'} stops working",
                style="bold red",
            )
        text.append("\nspace checks or unchecks · y removes what is checked · esc cancels", "dim")
        self.query_one("#confirm-freed", Static).update(text)
        self.query_one("#confirm-yes", Button).disabled = not chosen
        self.refresh_bindings()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        if isinstance(event.checkbox, PruneItem):
            event.checkbox.relabel()
        self._update()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return bool(self.chosen) or None
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-yes":
            self.action_confirm()
        else:
            self.dismiss(None)

    def action_confirm(self) -> None:
        names = [i.name for i in self.chosen]
        if names:
            self.dismiss(names)

    def action_cancel(self) -> None:
        self.dismiss(None)
