"""Typed messages: from worker threads to the App, and from the App to its screens.

Workers post to the App (`post_message` is thread-safe and never blocks). The App keeps the
state (catalog, sizes, jobs, inventory) and tells every screen on the stack what changed by
posting one of the `...Changed` messages to each; a screen that cares has a handler, the rest
ignore it. None of them bubble, so nothing comes back round.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from ..catalog.index import CatalogIndex
from ..catalog.models import Build, Catalog
from ..progress import Progress

if TYPE_CHECKING:  # httpx and the pipeline: not before first paint
    from ..install.uninstall import Removed
    from ..service.inventory import PrunePlan, Step
    from ..service.jobs import Outcome
    from ..service.speed import Speed


class _Quiet(Message, bubble=False):
    """A message that stays where it was posted."""


# -- worker threads -> the App ------------------------------------------------------------------


class CatalogLoaded(_Quiet):
    """A catalog (and its index, built off the UI thread) is ready to show."""

    def __init__(self, catalog: Catalog, index: CatalogIndex, *, final: bool) -> None:
        super().__init__()
        self.catalog = catalog
        self.index = index
        self.final = final  # False: the quick offline catalog, a live one may follow


class SizeLearnt(_Quiet):
    """A HEAD request answered (size None: it did not say, and `reason` tells why)."""

    def __init__(self, name: str, size: int | None, reason: str = "") -> None:
        super().__init__()
        self.name = name
        self.size = size
        self.reason = reason


class JobProgress(_Quiet):
    """A running install reported progress (~10/s at most). A newer report of the same job
    and phase supersedes a queued one (`can_replace`); a new phase is never dropped."""

    def __init__(self, job_id: int, progress: Progress) -> None:
        super().__init__()
        self.job_id = job_id
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, JobProgress)
            and message.job_id == self.job_id
            and message.progress.phase == self.progress.phase
        )


class JobEnded(_Quiet):
    """An install's thread ended: published, failed (with the probe's checks) or cancelled."""

    def __init__(self, job_id: int, outcome: Outcome) -> None:
        super().__init__()
        self.job_id = job_id
        self.outcome = outcome


class InstalledRead(_Quiet):
    """The receipts were read again: archive name -> install path."""

    def __init__(self, installed: dict[str, str]) -> None:
        super().__init__()
        self.installed = installed


class InventoryStep(_Quiet):
    """One stage of loading the installed interpreters (see service.inventory.load_steps)."""

    def __init__(self, step: Step) -> None:
        super().__init__()
        self.step = step


class RemovalFinished(_Quiet):
    """An uninstall or prune ended: what went, or the one line why nothing did."""

    def __init__(self, removed: list[Removed], error: str = "") -> None:
        super().__init__()
        self.removed = removed
        self.error = error


class BenchStepped(_Quiet):
    """A benchmark moved on: interpreter `index` (of the run), at `step`, `done` of `total`."""

    def __init__(self, index: int, label: str, step: str, done: int, total: int) -> None:
        super().__init__()
        self.index, self.label, self.step, self.done, self.total = index, label, step, done, total


class BenchFinished(_Quiet):
    """A benchmark ended: every kept speed (by result key) read again, the store's note, one
    line per failure, and whether it was cancelled."""

    def __init__(
        self, speeds: dict[str, Speed], note: str, failures: list[str], cancelled: bool
    ) -> None:
        super().__init__()
        self.speeds, self.note = speeds, note
        self.failures, self.cancelled = failures, cancelled


class PrunePlanned(_Quiet):
    def __init__(self, plan: PrunePlan) -> None:
        super().__init__()
        self.plan = plan


# -- the App -> its screens ---------------------------------------------------------------------


class CatalogChanged(_Quiet):
    """A new catalog index is in `app.index` (or loading started/stopped, or failed)."""

    def __init__(self, error: str = "") -> None:
        super().__init__()
        self.error = error


class SizesChanged(_Quiet):
    """Sizes of these archives arrived (the index has them), or lookups started/failed."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names


class InstalledChanged(_Quiet):
    """The installed marks changed (after an install or a removal)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = names


class JobsChanged(_Quiet):
    """Install jobs were added, changed phase or progress, or cleared (`app.jobs`)."""

    def __init__(self, job_ids: list[int], *, added: bool = False, removed: bool = False) -> None:
        super().__init__()
        self.job_ids = job_ids
        self.added = added
        self.removed = removed


class InventoryChanged(_Quiet):
    """`app.inventory` has news: 'found', 'speed', 'used', 'size', 'removing', 'removed',
    'failed', 'bench' (a benchmark moved on or ended)."""

    def __init__(self, kind: str, path: str = "") -> None:
        super().__init__()
        self.kind = kind
        self.path = path


class PruneReady(_Quiet):
    """The prune plan asked for is ready (the screen that asked opens the dialog)."""

    def __init__(self, plan: PrunePlan) -> None:
        super().__init__()
        self.plan = plan


class InstallRequested(Message):
    """The user asked to install this build (the App asks first, then queues it)."""

    def __init__(self, build: Build) -> None:
        super().__init__()
        self.build = build
