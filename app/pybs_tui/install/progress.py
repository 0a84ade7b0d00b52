"""What an install reports while it runs, and how it fails (shared by net, install and ui)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

PHASES = ("download", "verify", "extract", "finish", "probe", "done")


@dataclass(frozen=True)
class Progress:
    """One progress report. `done`/`total` are bytes for download/extract, else 0/None."""

    phase: str
    done: int = 0
    total: int | None = None
    rate: float | None = None  # bytes per second, download only
    message: str = ""

    @property
    def eta(self) -> float | None:
        if self.rate and self.total is not None and self.rate > 0:
            return max(0.0, (self.total - self.done) / self.rate)
        return None


ProgressCallback = Callable[[Progress], None]


class InstallError(Exception):
    """An install failed; str() is one line for the user."""


class Cancelled(InstallError):
    """The user cancelled; everything partial has been removed."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()
