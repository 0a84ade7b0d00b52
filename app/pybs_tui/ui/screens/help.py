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
    ("tab / shift+tab", "move focus: table, version tree, filter (and the facets when open)"),
    ("up / down, j / k", "move in the table or tree; pgup / pgdn / home / end too"),
    ("3.12 (digits, dots)", "on the table: jump to the first row of that version"),
    ("left / right", "tree: collapse / expand; table: scroll sideways"),
    ("enter", "filter: apply, back to the table; tree: back to the table"),
    ("ctrl+p", "command palette: every action here, and 'install <part of a name>'"),
    ("mouse", "click rows, tree nodes, facets and footer keys; scroll with the wheel"),
)


def _key_rows(bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for b in bindings:
        if not isinstance(b, Binding) or not b.description:
            continue
        keys = b.key_display or ", ".join(
            k.strip().replace("slash", "/").replace("question_mark", "?") for k in b.key.split(",")
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

    def __init__(
        self, groups: list[tuple[str, Iterable[BindingType]]], size_note: str = ""
    ) -> None:
        super().__init__(id="help")
        self.groups = groups
        self.size_note = size_note or "size unknown; the detail pane says why"

    @classmethod
    def for_app(cls, online: bool = False) -> HelpScreen:
        """Every key of every screen, grouped by where it applies."""
        from ..app import PybsApp
        from .browse import BrowseScreen
        from .compare import CompareScreen
        from .confirm_install import ConfirmInstall
        from .installed import InstalledScreen
        from .installs import InstallsScreen

        groups: list[tuple[str, Iterable[BindingType]]] = [
            ("browse", BrowseScreen.BINDINGS),
            ("compare (enter on a row)", CompareScreen.BINDINGS),
            ("installs (J)", [*InstallsScreen.BINDINGS, *ConfirmInstall.BINDINGS]),
            ("installed (I)", InstalledScreen.BINDINGS),
            ("anywhere", PybsApp.BINDINGS),
        ]
        note = (
            "size unknown: asked of the download host while the row is on screen"
            if online
            else "size unknown: offline; `pybs-tui sizes` online fetches and keeps sizes"
        )
        return cls(groups, note)

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
        grid.add_row(Text("moving around", style="underline"), "")
        for keys, text in EXTRA_KEYS:
            grid.add_row(keys, text)
        grid.add_row("", "")
        grid.add_row(Text("row marks", style="underline"), "")
        grid.add_row("●", "marked with space (c compares the marked rows)")
        grid.add_row("✓", "installed by pybs-tui")
        grid.add_row("u", "what `uv python install <python column>` downloads on that platform")
        grid.add_row("?", self.size_note)
        grid.add_row(
            "*",
            "a flag inferred, not in the name: install_only archives are cut from "
            "the release's best full build; the probe after an install confirms it",
        )
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
