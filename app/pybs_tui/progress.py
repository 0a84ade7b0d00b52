"""The ground floor every layer shares: progress reports, the one throttle for them, the
one-line failure every layer raises, and cancellation."""

from __future__ import annotations

import threading
import time
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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C's KeyboardInterrupt, so that every
    cleanup written for Ctrl-C runs for it too (the TUI raises it once its loop has ended)."""


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled()


#: Progress reports let through per second at most (a new phase or message always passes).
PROGRESS_INTERVAL = 0.1


class Throttle:
    """Says whether a progress report should go out now: at most one per `interval` seconds,
    except that a new phase or a new message always passes. One per reporter, not shared."""

    def __init__(
        self, interval: float = PROGRESS_INTERVAL, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = interval
        self.clock = clock
        self.last = float("-inf")
        self.phase: str | None = None
        self.message = ""

    def ready(self, phase: str = "", message: str = "", *, force: bool = False) -> bool:
        now = self.clock()
        fresh = phase != self.phase or (bool(message) and message != self.message)
        if not (force or fresh) and now - self.last < self.interval:
            return False
        self.last, self.phase, self.message = now, phase, message
        return True
