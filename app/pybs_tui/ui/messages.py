"""Messages between workers, screens and the app (post_message is thread-safe)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from ..catalog.index import CatalogIndex
from ..catalog.models import Build, Catalog
from ..progress import Progress

if TYPE_CHECKING:  # the pipeline imports httpx: not before first paint
    from ..install.pipeline import InstallResult


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


class InstallProgress(Message):
    """A running install reported progress (posted from its worker thread, ~10/s at most).

    A newer report of the same job and phase supersedes a queued one (`can_replace`), so a
    busy UI skips stale numbers; a report of a new phase is never dropped.
    """

    def __init__(self, job_id: int, progress: Progress) -> None:
        super().__init__()
        self.job_id = job_id
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, InstallProgress)
            and message.job_id == self.job_id
            and message.progress.phase == self.progress.phase
        )


class InstallFinished(Message):
    """An install is published (or was there already): path, probe and receipt."""

    def __init__(self, job_id: int, result: InstallResult) -> None:
        super().__init__()
        self.job_id = job_id
        self.result = result


class InstallFailed(Message):
    """An install failed; `error` is one line for the user. Nothing partial is left."""

    def __init__(self, job_id: int, error: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.error = error


class InstallCancelled(Message):
    """An install stopped at the user's request; everything partial was removed."""

    def __init__(self, job_id: int) -> None:
        super().__init__()
        self.job_id = job_id


class InstalledChanged(Message):
    """The set of own installs was read again (after an install or an uninstall)."""

    def __init__(self, installed: dict[str, str]) -> None:
        super().__init__()
        self.installed = installed
