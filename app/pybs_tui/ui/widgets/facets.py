"""FacetsPanel: the sidebar of Selects and Checkboxes that narrow the build list."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
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

    def compose(self) -> ComposeResult:
        for field, label, _ in SELECT_FACETS:
            with Horizontal():
                yield Label(label)
                choices = [(c, c) for c in OPTION_CHOICES] if field == "options" else []
                yield Select(
                    choices, prompt="any", id=f"facet-{field}", compact=True, allow_blank=True
                )
        for field, label in CHECK_FACETS:
            yield Checkbox(label, getattr(self.facets, field), id=f"facet-{field}", compact=True)

    def set_index(self, index: CatalogIndex) -> None:
        """Offer the values present in this catalog; keep current choices that still exist."""
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
        self.query_one(f"#facet-{field}", Checkbox).value = value

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
