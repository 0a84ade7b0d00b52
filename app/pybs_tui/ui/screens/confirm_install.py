"""ConfirmInstall: what `i` is about to do, before anything is downloaded. It shows the one
plan (service.install.plan_install) that `install --dry-run` prints and the install follows:
archive, flags with their sources, size, target, free disk, checksum, uv's pick, and why the
install might stop. Dismisses with True (install) or False."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from ...catalog.compare import INFERRED_MARK, flags_text, short_sha
from ...catalog.flags import FlagFact
from ...catalog.select import uv_key
from ...resources import styles_dir
from ...service.install import InstallPlan
from ...units import format_size
from ..widgets.badges import BADGE_STYLES, badges
from ..widgets.plain import plain


def flag_badges(facts: Sequence[FlagFact] | None, fallback: tuple[str, ...]) -> Text:
    """The flags as coloured badges, inferred ones marked * and unknown PGO/LTO as '?'
    (catalog.compare.flags_text's words); the name's own flags without facts."""
    if facts is None:
        return badges(fallback)
    words = flags_text(facts).split()
    if words == ["-"]:
        return Text("-")
    text = Text()
    for i, word in enumerate(words):
        if i:
            text.append(" ")
        text.append(word, BADGE_STYLES.get(word.rstrip(INFERRED_MARK + "?"), Style(reverse=True)))
    return text


def _t(value: object) -> Text:
    """Outside text as a Text cell: never markup, control characters made visible."""
    return plain(value)


def plan_table(plan: InstallPlan, facts: Sequence[FlagFact] | None = None) -> Table:
    """The dialog's facts, one per row (every cell a Text: nothing is read as markup)."""
    b = plan.build
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row("archive", _t(b.name + (" (derived name)" if b.derived else "")))
    grid.add_row("version", _t(f"{b.version_str} · {b.variant} · release {b.release or '?'}"))
    grid.add_row("platform", _t(b.platform_key))
    grid.add_row(
        "flavor",
        Text.assemble(
            _t(f"{b.flavor} · options {b.options_label} · flags "), flag_badges(facts, b.flags)
        ),
    )
    size = plan.size_text
    if plan.unpacked is not None:
        size += f" · unpacked about {format_size(plan.unpacked)} (estimate)"
    grid.add_row("download", _t(size))
    grid.add_row("target", _t(plan.target))
    free = (
        f"{format_size(plan.free)} on {plan.where}"
        if plan.free is not None
        else f"unknown on {plan.where}"
    )
    if plan.download_where is not None:
        free += (
            f" · downloads: {format_size(plan.download_free, 'unknown')} on {plan.download_where}"
        )
    grid.add_row("free", _t(free))
    sha = (
        f"known ({short_sha(b.sha256)})"
        if b.sha256
        else "not in the catalog: looked up before the download (see below)"
    )
    grid.add_row("sha256", _t(sha))
    if plan.source is not None:
        grid.add_row("from", _t(plan.source))
    pick = plan.uv_pick
    if pick is not None and pick.name != b.name:
        grid.add_row("uv picks", _t(f"{pick.name} for {uv_key(b)}"))
    return grid


def inferred_sources(facts: Sequence[FlagFact] | None) -> list[str]:
    """Where the inferred flags come from, once each ('* inferred: cut from ...')."""
    if facts is None:
        return []
    sources = dict.fromkeys(f.source for f in facts if f.inferred and f.value is not None)
    return [f"{INFERRED_MARK} {source}" for source in sources]


class ConfirmInstall(ModalScreen[bool]):
    """Ask before installing; y / enter installs, n / escape cancels."""

    CSS_PATH = str(styles_dir() / "installs.tcss")  # loaded when first shown, not at start

    BINDINGS = [
        # enter on a focused button presses that button; elsewhere it installs
        Binding("y,enter", "confirm", "Install", id="confirm_install.yes"),
        Binding("n,escape", "cancel", "Cancel", id="confirm_install.no"),
    ]

    def __init__(self, plan: InstallPlan, facts: Sequence[FlagFact] | None = None) -> None:
        """`facts`: the build's flags with their sources (default: the App's catalog index)."""
        super().__init__(id="confirm-install")
        self.plan = plan
        self._facts = facts
        self._answered = False

    @property
    def facts(self) -> Sequence[FlagFact] | None:
        if self._facts is None:
            index = getattr(self.app, "index", None)
            if index is not None:
                self._facts = index.flag_facts(self.plan.build)
        return self._facts

    def messages(self) -> list[tuple[str, str]]:
        """(css class, text) of the lines under the facts: what stops the install first,
        then what it will do about what is missing, then where inferred flags come from."""
        plan = self.plan
        out: list[tuple[str, str]] = []
        problem = plan.disk_problem()
        if problem:
            out.append(("install-warning", problem[0].upper() + problem[1:]))
        if plan.blocked:
            out.append(("install-warning", f"The install will stop: {plan.blocked}"))
        if plan.already:
            already = "Already installed at the target: installing again changes nothing"
            out.append(("install-note", already))
        out += [("install-note", note) for note in plan.notes]
        out += [("install-source", line) for line in inferred_sources(self.facts)]
        return out

    def compose(self) -> ComposeResult:
        with Vertical(id="install-dialog") as dialog:
            dialog.border_title = "Install this build?"
            dialog.border_subtitle = "y / enter install · n / escape cancel"
            with VerticalScroll(id="install-body"):
                yield Static(plan_table(self.plan, self.facts), id="install-facts")
                for css_class, line in self.messages():
                    yield Static(_t(line), classes=css_class)
            with Horizontal(id="install-buttons"):  # docked: always in view
                yield Button("Install", variant="primary", id="install-yes", compact=True)
                yield Button("Cancel", id="install-no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#install-yes", Button).focus()

    def _answer(self, yes: bool) -> None:
        """Dismiss once (a second key press before the dialog is gone does nothing)."""
        if not self._answered:
            self._answered = True
            self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self._answer(event.button.id == "install-yes")

    def action_confirm(self) -> None:
        self._answer(True)

    def action_cancel(self) -> None:
        self._answer(False)

    @property
    def text(self) -> str:
        """The dialog as plain text (for tests)."""
        import io

        from rich.console import Console

        console = Console(width=200, record=True, file=io.StringIO())
        console.print(plan_table(self.plan, self.facts))
        return console.export_text() + "\n".join(line for _, line in self.messages())
