"""DetailPane: everything about the highlighted build, one fact per line, and `detail_lines`,
which says what those facts are (kept apart from the widget so tests can read it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...catalog.flags import BADGE
from ...catalog.index import CatalogIndex
from ...catalog.models import FLAG_MEANINGS, Build
from ...catalog.select import uv_key
from ...units import format_size
from .badges import BADGE_STYLES
from .plain import plain, plain_content

if TYPE_CHECKING:  # httpx: not before first paint
    from ...service.sizes import SizeState


def size_line(b: Build, state: SizeState | None, *, online: bool) -> str:
    """The size with where it came from, or '?' and why it is unknown."""
    if b.size is not None:
        return f"{format_size(b.size)} ({b.size_source or 'catalog'}; {b.size:,} bytes)"
    if state is not None and state.pending:
        return "? (asking the download host…)"
    if state is not None and state.reason:
        return f"? ({state.reason})"
    if not online:
        return "? (offline: `pybs-tui sizes` fetches sizes online and keeps them)"
    return "? (not asked yet)"


def detail_lines(
    b: Build, index: CatalogIndex, *, state: SizeState | None = None, online: bool = False
) -> list[tuple[str, str]]:
    """(label, text) pairs for the detail pane of one build."""
    lines: list[tuple[str, str]] = [("file", b.name)]
    if b.derived:
        lines.append(("name", "derived from PBS's release pattern: no source lists it yet"))
    lines.append(("size", size_line(b, state, online=online)))
    fit = index.reason.get(b.name)
    if fit:
        lines.append(("host", f"cannot run here: {fit}"))
    installed = index.installed.get(b.name)
    if installed:
        lines.append(("installed", installed))
    facts = index.flag_facts(b)
    for f in facts:
        if f.value and f.name in ("Py_DEBUG", "Py_GIL_DISABLED", "static", "stripped", "noopt"):
            badge = BADGE.get(f.name, f.name)
            note = f" ({f.source})" if f.inferred else ""
            lines.append((badge, FLAG_MEANINGS.get(badge, "") + note))
    opt = {f.name: f for f in facts}
    pgo, lto = opt.get("PGO"), opt.get("LTO")
    if pgo is not None and lto is not None:
        on = [f.name for f in (pgo, lto) if f.value]
        unknown = [f.name for f in (pgo, lto) if f.value is None]
        if unknown:
            text = f"unknown ({pgo.source.removeprefix('unknown: ')})"
        else:
            text = (", ".join(on) or "none: a build without PGO or LTO") + (
                f" ({pgo.source})" if pgo.inferred else ""
            )
        lines.append(("optimised", text))
    request = index.uv_request(b)
    if request:
        lines.append(("uv", f"uv's pick for `uv python install {request}`"))
    else:
        pick = index.uv_choice(b)
        lines.append((
            "uv",
            f"`uv python install {uv_key(b)}` takes {pick.name}"
            if pick is not None
            else "uv offers no download of this version and variant for this platform",
        ))  # fmt: skip
    lines.append(("sha256", b.sha256 or "unknown: an install asks the release's API answer or "
                  "its SHA256SUMS first"))  # fmt: skip
    lines.append(("url", b.astral_url or b.url or "?"))
    return lines


class DetailPane(VerticalScroll, can_focus=False):
    """A scrollable key/value list; `show` replaces its content (scroll it with the wheel)."""

    DEFAULT_CSS = """
    DetailPane { background: $surface; }
    DetailPane > Static { width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.body = Static("", id="detail-body")
        self.lines: list[tuple[str, str]] = []

    def compose(self) -> ComposeResult:
        yield self.body

    def show(self, lines: list[tuple[str, str]], title: str = "") -> None:
        """Every value is outside text (URLs, sha256, sizes' reasons): shown plain."""
        self.lines = lines
        self.border_title = plain_content(title)
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True, style="bold")
        grid.add_column(ratio=1, overflow="fold")
        for label, value in lines:
            grid.add_row(plain(label, BADGE_STYLES.get(label) or ""), plain(value))
        self.body.update(grid)

    def show_message(self, message: str, title: str = "") -> None:
        """A message (an error from outside, perhaps) instead of the facts."""
        self.lines = []
        self.border_title = plain_content(title)
        self.body.update(plain(message, "italic", lines=True))

    @property
    def text(self) -> str:
        """The shown lines as plain text (for tests)."""
        return "\n".join(f"{k}: {v}" for k, v in self.lines)
