"""Install jobs: what each one is doing, and which may start (no textual, no threads).

`JobQueue` holds the jobs of one session: at most `slots` run at once, the rest wait in the
order asked; a queued job cancels at once, a running one when its thread sees the cancel
event. Changes happen on one thread (the UI's); the worker thread only reads the cancel event
and reports through its caller. `run_job` is what that worker thread runs.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..catalog.models import Build
from ..progress import Cancelled, InstallError, Progress, ProgressCallback
from ..settings import Settings

if TYPE_CHECKING:  # the install code loads with the first install (the TUI starts without)
    from ..install.pipeline import InstallResult
    from ..install.probe import ProbeCheck

#: Phases in the order a job goes through them; the last three are where it ends.
PHASES = (
    "queued",
    "start",
    "lock",
    "download",
    "verify",
    "extract",
    "finish",
    "probe",
    "done",
    "failed",
    "cancelled",
)
ENDED = frozenset({"done", "failed", "cancelled"})

#: install_build's signature (tests wrap it to slow a phase down).
Installer = Callable[..., "InstallResult"]


@dataclass
class InstallJob:
    """One install: what, where, how far, and how it ended."""

    id: int
    build: Build
    target: Path
    created: float
    cancel: threading.Event = field(default_factory=threading.Event)
    phase: str = "queued"
    done: int = 0
    total: int | None = None
    rate: float | None = None
    eta: float | None = None
    message: str = ""
    error: str = ""
    result: InstallResult | None = None
    checks: list[ProbeCheck] = field(default_factory=list)  # the probe's, done or mismatched
    inferred: dict[str, tuple[bool | None, str]] = field(default_factory=dict)
    started: float | None = None
    ended_at: float | None = None
    handle: Any = None  # whatever runs it (the UI keeps its worker here)

    @property
    def ended(self) -> bool:
        return self.phase in ENDED

    @property
    def running(self) -> bool:
        """Started and not ended: it holds one of the slots."""
        return self.started is not None and not self.ended

    @property
    def cancelling(self) -> bool:
        return self.cancel.is_set() and not self.ended

    @property
    def label(self) -> str:
        """'3.12.3 default pgo+lto full', '3.12.8 debug full', '3.13.1 freethreaded pgo+lto
        full', '3.13.1 freethreaded install_only' (the variant's own words said once)."""
        b = self.build
        rest = [o for o in b.options_label.split("+") if o not in ("freethreaded", "debug", "-")]
        options = f" {'+'.join(rest)}" if b.flavor == "full" and rest else ""
        return f"{b.version_str} {b.variant}{options} {b.flavor}"

    def apply(self, progress: Progress) -> None:
        """Take one report of the pipeline."""
        if progress.phase == "done":
            # the pipeline's "done" comes just before its result: the job ends with the result
            self.phase, self.message = "finish", progress.message
            return
        if progress.phase != self.phase:
            self.done, self.total, self.rate, self.eta = 0, None, None, None
        self.phase = progress.phase
        self.done = progress.done
        if progress.total is not None or progress.phase != "download":
            self.total = progress.total
        self.rate = progress.rate
        self.eta = progress.eta
        if progress.message or progress.phase != "download":
            self.message = progress.message


class JobQueue:
    """The jobs of a session, the slots they share, and their outcomes."""

    def __init__(self, slots: int, clock: Callable[[], float] = time.time) -> None:
        self.slots = max(1, slots)
        self.clock = clock
        self.jobs: dict[int, InstallJob] = {}
        self._ids = itertools.count(1)

    def add(
        self,
        build: Build,
        target: Path,
        inferred: dict[str, tuple[bool | None, str]] | None = None,
    ) -> InstallJob:
        job = InstallJob(next(self._ids), build, target, self.clock(), inferred=inferred or {})
        self.jobs[job.id] = job
        return job

    def active_for(self, name: str) -> InstallJob | None:
        """The queued or running job of this archive, if any."""
        return next((j for j in self.jobs.values() if j.build.name == name and not j.ended), None)

    @property
    def running(self) -> int:
        return sum(1 for j in self.jobs.values() if j.running)

    def startable(self) -> list[InstallJob]:
        """Queued jobs that may start now (marked started), oldest first."""
        out = []
        free = self.slots - self.running
        for job in self.jobs.values():
            if free <= 0:
                break
            if job.phase == "queued":
                job.started = self.clock()
                job.phase = "start"
                out.append(job)
                free -= 1
        return out

    def progress(self, job_id: int, progress: Progress) -> InstallJob | None:
        job = self.jobs.get(job_id)
        if job is None or job.ended:
            return None
        job.apply(progress)
        return job

    def _end(self, job_id: int, phase: str, error: str = "") -> InstallJob | None:
        job = self.jobs.get(job_id)
        if job is None or job.ended:
            return None
        job.phase, job.error, job.ended_at = phase, error, self.clock()
        return job

    def finished(self, job_id: int, result: InstallResult) -> InstallJob | None:
        job = self._end(job_id, "done")
        if job is not None:
            job.result = result
            job.checks = list(result.checks)
        return job

    def failed(
        self, job_id: int, error: str, checks: list[ProbeCheck] | None = None
    ) -> InstallJob | None:
        job = self._end(job_id, "failed", error)
        if job is not None:
            job.checks = list(checks or [])
        return job

    def cancelled(self, job_id: int) -> InstallJob | None:
        return self._end(job_id, "cancelled")

    def cancel(self, job_id: int) -> InstallJob | None:
        """Ask a job to stop: a queued one ends at once, a running one within about a second
        (its thread sees the event and cleans up). Returns the job if it changed."""
        job = self.jobs.get(job_id)
        if job is None or job.ended:
            return None
        job.cancel.set()
        if job.started is None:
            return self._end(job_id, "cancelled")
        return job

    def cancel_all(self) -> None:
        for job in self.jobs.values():
            job.cancel.set()

    def clear_ended(self) -> list[int]:
        ended = [job_id for job_id, job in self.jobs.items() if job.ended]
        for job_id in ended:
            del self.jobs[job_id]
        return ended


@dataclass
class Outcome:
    """How a job's thread ended: a result, or an error (with the probe's checks, if any)."""

    result: InstallResult | None = None
    error: str = ""
    checks: list[ProbeCheck] = field(default_factory=list)
    cancelled: bool = False


def run_job(
    settings: Settings,
    job: InstallJob,
    progress: ProgressCallback,
    installer: Installer | None = None,
    **kwargs: Any,
) -> Outcome:
    """Run one job's install (in a worker thread); never raises for an install failure."""
    from ..install.probe import ProbeMismatch
    from .install import install_build

    install = installer or install_build
    try:
        result = install(
            settings,
            job.build,
            progress=progress,
            cancel=job.cancel,
            inferred=job.inferred,
            **kwargs,
        )
    except Cancelled:
        return Outcome(cancelled=True)
    except ProbeMismatch as exc:
        return Outcome(error=one_line(str(exc)), checks=list(exc.checks))
    except InstallError as exc:
        return Outcome(error=one_line(str(exc)))
    return Outcome(result=result)


def one_line(text: str, limit: int = 400) -> str:
    return " ".join(text.split())[:limit]


def outcome_notices(job: InstallJob, outcome: Outcome) -> list[tuple[str, str, str]]:
    """(text, title, severity) lines to tell the user how a job ended."""
    if outcome.cancelled:
        return [(f"cancelled {job.label}; nothing was left behind", "install", "information")]
    if outcome.result is None:
        return [(outcome.error, f"install of {job.build.version_str} failed", "error")]
    done = "was installed already" if outcome.result.already_installed else "installed"
    out = [(f"{job.label} {done}", "install done", "information")]
    return out + [(w, "probe: not as inferred", "warning") for w in outcome.result.warnings]
