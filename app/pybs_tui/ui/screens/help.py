"""The help screen: every key, what the row marks and flag badges mean."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ...catalog.models import FLAG_MEANINGS
from ...resources import styles_dir
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

    CSS_PATH = str(styles_dir() / "help.tcss")  # loaded when first shown, not at start

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
        from .confirm_uninstall import ConfirmPrune, ConfirmUninstall
        from .installed import InstalledScreen
        from .installs import InstallsScreen

        groups: list[tuple[str, Iterable[BindingType]]] = [
            ("browse", BrowseScreen.BINDINGS),
            ("compare (enter on a row)", CompareScreen.BINDINGS),
            ("install dialog (i)", ConfirmInstall.BINDINGS),
            ("installs (J)", InstallsScreen.BINDINGS),
            ("installed (I)", InstalledScreen.BINDINGS),
            ("remove dialog (u)", ConfirmUninstall.BINDINGS),
            ("prune dialog (p)", ConfirmPrune.BINDINGS),
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

    def _content(self) -> Group:
        """One small grid per group under its own title line, so each group's key column is
        only as wide as its keys."""
        sections: list[tuple[str, list[tuple[str | Text, str]]]] = [
            (title, list(_key_rows(bindings))) for title, bindings in self.groups
        ]
        sections.append(("moving around", list(EXTRA_KEYS)))
        sections.append((
            "row marks",
            [
                ("●", "marked with space (c compares the marked rows)"),
                ("✓", "installed by pybs-tui"),
                ("u", "what `uv python install <python column>` downloads on that platform"),
                ("?", self.size_note),
                ("*", "a flag inferred, not in the name: install_only archives are cut from "
                 "the release's best full build; the probe after an install confirms it"),
            ],
        ))  # fmt: skip
        flags = FLAG_MEANINGS.items()
        sections.append(("flags", [(Text(f, style=BADGE_STYLES.get(f, "")), m) for f, m in flags]))
        parts: list[Text | Table] = []
        for title, rows in sections:
            parts.append(Text(title, style="bold underline"))
            grid = Table.grid(padding=(0, 2))
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column()
            for keys, text in rows:
                grid.add_row(keys, text)
            parts += [grid, Text("")]
        return Group(*parts)

    @property
    def text(self) -> str:
        """Plain text of the help (for tests)."""
        import io

        from rich.console import Console

        console = Console(width=120, record=True, file=io.StringIO())
        console.print(self._content())
        return console.export_text()
