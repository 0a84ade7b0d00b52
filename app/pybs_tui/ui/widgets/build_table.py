"""BuildTable: a virtual table of builds that renders only the rows on screen.

A DataTable measures every cell it is given, which costs ~1 ms per row: thousands of rows
per keystroke would be far too slow. This Line API widget keeps a plain list of Build and
draws the visible lines from cached cells, so replacing the rows is cheap and filtering all
~23,000 archives stays within a few milliseconds. Columns are as wide as the rows shown need
(never cutting a platform or a version); digits and dots typed on the table jump to the first
row of that version (type-ahead find), so '3.12' then enter opens its comparison.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...catalog.compare import flags_text
from ...catalog.index import CatalogIndex
from ...catalog.models import Build
from ...units import format_size, printable
from .badges import flag_badges
from .plain import plain


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    right: bool = False


def size_text(size: int | None) -> str:
    """'24.4 MB', '?' when unknown."""
    return format_size(size)


def python_label(b: Build) -> str:
    """uv's way to name a version and variant: '3.13.1t', '3.12.3+debug', '3.13.1t+debug'."""
    suffix = {"freethreaded": "t", "debug": "+debug", "freethreaded+debug": "t+debug"}
    return b.version_str + suffix.get(b.variant, "")


def kind_label(b: Build) -> str:
    """'stripped', 'install_only', 'full pgo+lto', 'full debug', 'full lto+static'."""
    if b.flavor == "install_only_stripped":
        return "stripped"
    if b.flavor != "full":
        return b.flavor
    options = "+".join(o for o in b.options_label.split("+") if o != "freethreaded")
    return f"full {options}" if options and options != "-" else "full"


#: (key, header, floor, cap, right-aligned): widths follow the rows shown, within these bounds
COLUMNS = (
    ("mark", "", 3, 3, False),
    ("python", "python", 6, 16, False),
    ("platform", "platform", 8, 24, False),  # before the wide ones: visible at 80 columns
    ("size", "size", 8, 9, True),
    ("kind", "archive", 7, 24, False),
    ("flags", "flags", 5, 28, False),
    ("release", "release", 8, 8, False),
    ("note", "why not here", 12, 60, False),
)


def cell_texts(b: Build, index: CatalogIndex | None) -> dict[str, str]:
    """Plain text per column, control characters written out (the widths are measured on
    these; a catalog's fields are outside text)."""
    reason = index.reason.get(b.name) if index is not None else None
    facts = index.flag_facts(b) if index is not None else []
    flags = [f for f in facts if f.name not in ("stripped", "Py_GIL_DISABLED")]
    return {
        "python": printable(python_label(b)),
        "size": size_text(b.size),
        "kind": printable(kind_label(b)),
        "flags": printable(flags_text(flags) if facts else " ".join(b.flags) or "-"),
        "platform": printable(b.platform_key),
        "release": printable(b.release),
        "note": printable(reason or ""),
    }


def columns_for(
    rows: list[Build],
    index: CatalogIndex | None,
    show_reasons: bool,
    known: dict[str, dict[str, int]] | None = None,
) -> list[Column]:
    """Columns as wide as the rows need (sampled when there are very many). `known` keeps
    each build's text widths between calls (a filter keystroke measures few new rows)."""
    sample = rows if len(rows) <= 4000 else rows[:: len(rows) // 4000 + 1]
    known = {} if known is None else known
    widest: dict[str, int] = {}
    for b in sample:
        widths = known.get(b.name)
        if widths is None:
            widths = {key: len(text) for key, text in cell_texts(b, index).items()}
            known[b.name] = widths
        for key, width in widths.items():
            if width > widest.get(key, 0):
                widest[key] = width
    cols = []
    for key, label, floor, cap, right in COLUMNS:
        if key == "note" and not show_reasons:
            continue
        width = min(cap, max(floor, len(label), widest.get(key, 0)))
        cols.append(Column(key, label, width, right))
    return cols


class BuildTable(ScrollView, can_focus=True):
    """Rows of builds with a cursor; space marks a row, enter selects it."""

    COMPONENT_CLASSES = {
        "build-table--header",
        "build-table--cursor",
        "build-table--incompatible",
        "build-table--marked",
        "build-table--empty",
    }

    DEFAULT_CSS = """
    BuildTable {
        background: $surface;
        color: $foreground;
        & > .build-table--header { text-style: bold; background: $panel; }
        & > .build-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .build-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .build-table--incompatible { color: $text-disabled; }
        & > .build-table--marked { color: $accent; text-style: bold; }
        & > .build-table--empty { color: $text-muted; text-style: italic; }
    }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
        Binding("left", "scroll_left", "Left", show=False),
        Binding("right", "scroll_right", "Right", show=False),
    ]
    FIND_PAUSE = 1.5  # seconds after which typing starts a new find

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Highlighted(Message):
        """The cursor moved to a build (None: the table is empty)."""

        def __init__(self, table: BuildTable, build: Build | None) -> None:
            super().__init__()
            self.table = table
            self.build = build

        @property
        def control(self) -> BuildTable:
            return self.table

    class Selected(Message):
        """Enter (or a click on the cursor row) on a build."""

        def __init__(self, table: BuildTable, build: Build) -> None:
            super().__init__()
            self.table = table
            self.build = build

    class Find(Message):
        """Type-ahead find changed (the status line shows it; '' when it ended)."""

        def __init__(self, table: BuildTable, text: str) -> None:
            super().__init__()
            self.table = table
            self.text = text

    class MarksChanged(Message):
        """The set of marked rows changed."""

        def __init__(self, table: BuildTable, marked: frozenset[str]) -> None:
            super().__init__()
            self.table = table
            self.marked = marked

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rows: list[Build] = []
        self.index: CatalogIndex | None = None
        self.marked: set[str] = set()
        self.columns: list[Column] = columns_for([], None, False)
        self.show_reasons = False
        self.empty_text = "loading the catalog…"
        self.find = ""
        self._find_at = 0.0
        self._cells: dict[str, list[Text]] = {}
        self._widths: dict[str, dict[str, int]] = {}  # per build: its cells' text widths
        self._measured: list[Build] | None = None  # the rows the columns were measured on
        self._header: Text = Text()
        self._line_width = 0
        self._last_highlighted: str | None = None
        self._layout()

    # -- data ----------------------------------------------------------------------------
    def set_index(self, index: CatalogIndex | None, show_reasons: bool = False) -> None:
        """A new catalog (or the reasons column toggled): drop cached cells."""
        self.index = index
        self.show_reasons = show_reasons
        self._cells.clear()
        self._widths.clear()
        self._measured = None
        if index is not None:
            self.marked &= set(index.by_name)
        self._layout()

    def set_rows(self, rows: list[Build], *, keep: str | None = None) -> None:
        """Replace the rows; widths follow them; keep the cursor on `keep` if it is shown."""
        if rows is not self._measured:  # the same list again (a keystroke that kept every row)
            self._measured = rows
            columns = columns_for(rows, self.index, self.show_reasons, self._widths)
        else:
            columns = self.columns
        self.rows = rows
        if columns != self.columns:
            self.columns = columns
            self._cells.clear()
            self._layout()
        target = 0
        if keep is not None:
            for i, b in enumerate(rows):
                if b.name == keep:
                    target = i
                    break
        self.virtual_size = Size(self._line_width, len(rows) + 1)
        self.cursor = min(target, max(0, len(rows) - 1))
        self.refresh()

    def update_builds(self, names: list[str]) -> None:
        """Sizes (or marks) of these builds changed: refresh their cells."""
        if self.index is None:
            return
        wanted = set(names)
        for name in wanted:
            self._cells.pop(name, None)
            self._widths.pop(name, None)
        self._measured = None
        self.rows = [
            self.index.by_name.get(b.name, b) if b.name in wanted else b for b in self.rows
        ]
        self.refresh()

    @property
    def highlighted(self) -> Build | None:
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    @property
    def body_height(self) -> int:
        """Rows of builds that fit: the height without header and horizontal scrollbar."""
        return max(1, self.scrollable_content_region.height - 1)

    def visible_builds(self) -> list[Build]:
        """The builds currently drawn on screen."""
        top = int(self.scroll_y)
        return self.rows[top : top + self.body_height]

    # -- cursor --------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_visible()
        build = self.highlighted
        name = build.name if build else None
        if name != self._last_highlighted or old != new:
            self._last_highlighted = name
            self.post_message(self.Highlighted(self, build))
        self.refresh()

    def _scroll_cursor_visible(self) -> None:
        body = self.body_height
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + body:
            self.scroll_to(y=self.cursor - body + 1, animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.body_height - 1))

    def action_jump(self, where: int) -> None:
        if self.rows:
            self.cursor = 0 if where == 0 else len(self.rows) - 1

    def action_toggle_mark(self) -> None:
        build = self.highlighted
        if build is None:
            return
        self.marked.symmetric_difference_update({build.name})
        self.post_message(self.MarksChanged(self, frozenset(self.marked)))
        self.action_cursor(1)
        self.refresh()

    def clear_marks(self) -> None:
        if self.marked:
            self.marked.clear()
            self.post_message(self.MarksChanged(self, frozenset()))
            self.refresh()

    @property
    def find_active(self) -> bool:
        return bool(self.find) and time.monotonic() - self._find_at < self.FIND_PAUSE

    def on_key(self, event: events.Key) -> None:
        """Digits and dots jump to the first row of that version: '3.12', '312' or '12'."""
        char = event.character
        if not char or not (char.isdigit() or char == "."):
            return
        event.stop()
        now = time.monotonic()
        self.find = (self.find if now - self._find_at < self.FIND_PAUSE else "") + char
        self._find_at = now
        target = find_version(self.rows, self.find)
        if target is not None:
            self.cursor = target
        self.post_message(self.Find(self, self.find if target is not None else f"{self.find}?"))

    def action_select(self) -> None:
        build = self.highlighted
        if build is not None:
            self.post_message(self.Selected(self, build))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = int(self.scroll_y) + offset.y - 1
        if 0 <= row < len(self.rows):
            if row == self.cursor and event.chain > 1:
                self.action_select()
            self.cursor = row
        self.focus()

    # -- rendering -----------------------------------------------------------------------
    def _layout(self) -> None:
        self._line_width = sum(c.width + 1 for c in self.columns)
        header = Text()
        for col in self.columns:
            header.append(self._fit(Text(col.label), col))
            header.append(" ")
        self._header = header
        self.virtual_size = Size(self._line_width, len(self.rows) + 1)
        self.refresh()

    @staticmethod
    def _fit(text: Text, col: Column) -> Text:
        text = text.copy()
        if text.cell_len > col.width:
            text.truncate(col.width, overflow="ellipsis")
        pad = col.width - text.cell_len
        if pad > 0:
            if col.right:
                text = Text(" " * pad) + text
            else:
                text.append(" " * pad)
        return text

    def _cells_for(self, b: Build) -> list[Text]:
        cells = self._cells.get(b.name)
        if cells is not None:
            return cells
        index = self.index
        if index is not None:
            b = index.by_name.get(b.name, b)  # the index has the newest sizes
        texts = cell_texts(b, index)
        reason = texts["note"]
        values = {key: Text(text) for key, text in texts.items()}
        if not reason and texts["flags"] != "-":
            values["flags"] = flag_badges(texts["flags"])
        cells = [self._fit(values.get(col.key, Text()), col) for col in self.columns]
        self._cells[b.name] = cells
        return cells

    def _mark_cell(self, b: Build) -> Text:
        index = self.index
        return Text(
            ("●" if b.name in self.marked else " ")
            + ("✓" if index and b.name in index.installed else " ")
            + _pick_mark(index, b)
        )

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        scroll_x = int(self.scroll_x)
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("build-table--header")
            return self._strip(self._header, style, scroll_x, width)
        row = int(self.scroll_y) + y - 1
        if not self.rows:
            if y == 1:
                style = base + self.get_component_rich_style("build-table--empty")
                return self._strip(plain(" " + self.empty_text), style, 0, width)
            return Strip.blank(width, base)
        if row >= len(self.rows):
            return Strip.blank(width, base)
        b = self.rows[row]
        line = Text()
        line.append(self._mark_cell(b))
        for cell in self._cells_for(b)[1:]:
            line.append(" ")
            line.append(cell)
        line.append(" ")
        style = base
        if self.index is not None and self.index.reason.get(b.name):
            style = style + self.get_component_rich_style("build-table--incompatible")
        if b.name in self.marked:
            style = style + self.get_component_rich_style("build-table--marked")
        if row == self.cursor:
            style = style + self.get_component_rich_style("build-table--cursor")
        return self._strip(line, style, scroll_x, width)

    def _strip(self, text: Text, style: Style, scroll_x: int, width: int) -> Strip:
        segments = [
            Segment(s.text, style + s.style if s.style else style, s.control)
            for s in text.render(self.app.console)
        ]
        strip = Strip(segments, text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, style)


def _pick_mark(index: CatalogIndex | None, b: Build) -> str:
    """'u': uv's download for this version and platform; 'd' for a debug request."""
    if index is None or index.uv_request(b) is None:
        return " "
    return "d" if b.py_debug else "u"


def find_version(rows: list[Build], typed: str) -> int | None:
    """The first row whose version starts with what was typed ('3.12', '312' as 3.12, or '12'
    as 3.12); None if there is none."""
    typed = typed.rstrip(".")
    wanted = [typed]
    if "." not in typed and len(typed) >= 2:
        wanted += [f"{typed[0]}.{typed[1:]}", f"3.{typed}"]
    elif not typed.startswith("3") and "." not in typed:
        wanted.append(f"3.{typed}")
    for candidate in wanted:
        for i, b in enumerate(rows):
            v = b.version_str
            if (
                v == candidate
                or v.startswith(candidate + ".")
                or (candidate.count(".") == 2 and v.startswith(candidate))
            ):
                return i
    return None
