"""Messages between workers, screens and the app (post_message is thread-safe)."""

from __future__ import annotations

from textual.message import Message

from ..catalog.models import Build, Catalog
from .widgets.browse_model import CatalogIndex


class CatalogLoaded(Message):
    """A catalog (and its index, built off the UI thread) is ready to show."""

    def __init__(self, catalog: Catalog, index: CatalogIndex, *, final: bool) -> None:
        super().__init__()
        self.catalog = catalog
        self.index = index
        self.final = final  # False: the quick offline catalog, a live one may follow


class SizesFound(Message):
    """Sizes of archives by name, from the API or HEAD requests."""

    def __init__(self, sizes: dict[str, int], *, tag: str = "", source: str = "api") -> None:
        super().__init__()
        self.sizes = sizes
        self.tag = tag
        self.source = source


class SizeUnknown(Message):
    """A size lookup gave nothing; the reason is shown in the detail pane."""

    def __init__(self, names: list[str], reason: str, *, tag: str = "") -> None:
        super().__init__()
        self.names = names
        self.reason = reason
        self.tag = tag


class InstallRequested(Message):
    """The user asked to install this build (handled by the App's install pipeline)."""

    def __init__(self, build: Build) -> None:
        super().__init__()
        self.build = build
