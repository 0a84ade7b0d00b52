"""FacetsPanel: the sidebar of Selects and Checkboxes that narrow the build list.

It starts empty: it is hidden until f, and its fifty widgets would cost the first paint a
tenth of a second. `fill` mounts them when the panel is first shown; until then the choices
live in `facets` alone (p, d and h still change them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Label, Select

from ...catalog.index import CatalogIndex
from ...catalog.view import OPTION_CHOICES, Facets
from .plain import plain

#: (field, label shown in the panel, CatalogIndex.values key)
SELECT_FACETS = (
    ("os", "os", "os"),
    ("arch", "arch", "arch"),
    ("level", "level", "arch_level"),
    ("libc", "libc", "libc"),
    ("flavor", "flavor", "flavor"),
    ("options", "options", ""),
)
CHECK_FACETS = (
    ("prereleases", "pre-releases (p)"),
    ("debug", "debug builds (d)"),
    ("installed_only", "installed only"),
    ("show_incompatible", "other hosts (h)"),
)


class FacetsPanel(VerticalScroll):
    """Compact one-line facet rows; posts Changed with the whole Facets value."""

    DEFAULT_CSS = """
    FacetsPanel { width: 30; background: $panel; padding: 0 1; }
    FacetsPanel > Horizontal { height: 1; }
    FacetsPanel Label { width: 8; height: 1; }
    FacetsPanel Select { width: 1fr; }
    FacetsPanel Checkbox { width: 1fr; height: 1; }
    """

    class Changed(Message):
        def __init__(self, panel: FacetsPanel, facets: Facets) -> None:
            super().__init__()
            self.panel = panel
            self.facets = facets

    def __init__(
        self, facets: Facets | None = None, *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.facets = facets or Facets()
        #: whether the facet widgets are mounted (`fill`)
        self.filled = False
        self._index: CatalogIndex | None = None

    def _widgets(self) -> Iterator[Widget]:
        for field, label, _ in SELECT_FACETS:
            choices = [(c, c) for c in OPTION_CHOICES] if field == "options" else []
            select: Select[str] = Select(
                choices, prompt="any", id=f"facet-{field}", compact=True, allow_blank=True
            )
            yield Horizontal(Label(label), select)
        for field, label in CHECK_FACETS:
            yield Checkbox(label, getattr(self.facets, field), id=f"facet-{field}", compact=True)

    async def fill(self) -> None:
        """Mount the facet widgets (once), showing the current choices and the values of the
        index given last."""
        if self.filled:
            return
        self.filled = True
        await self.mount_all(list(self._widgets()))
        if self._index is not None:
            self._offer(self._index)

    def set_index(self, index: CatalogIndex) -> None:
        """Offer the values present in this catalog; keep current choices that still exist."""
        self._index = index
        if self.filled:
            self._offer(index)

    def _offer(self, index: CatalogIndex) -> None:
        for field, _, key in SELECT_FACETS:
            if not key:
                continue
            select = self.query_one(f"#facet-{field}", Select)
            current = getattr(self.facets, field)
            values = index.values.get(key, [])
            select.set_options([(plain(v), v) for v in values])  # a catalog's words
            if current in values:
                select.value = current

    def read(self) -> Facets:
        values: dict[str, object] = {}
        for field, _, _ in SELECT_FACETS:
            values[field] = self.query_one(f"#facet-{field}", Select).selection
        for field, _ in CHECK_FACETS:
            values[field] = self.query_one(f"#facet-{field}", Checkbox).value
        return Facets(**values)  # type: ignore[arg-type]

    def set_checkbox(self, field: str, value: bool) -> None:
        if self.filled:
            self.query_one(f"#facet-{field}", Checkbox).value = value
        else:
            changes: dict[str, Any] = {field: value}
            self.facets = replace(self.facets, **changes)

    def _changed(self) -> None:
        """Post Changed only when the value differs (set_options fires Changed too)."""
        facets = self.read()
        if facets != self.facets:
            self.facets = facets
            self.post_message(self.Changed(self, facets))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self._changed()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self._changed()
