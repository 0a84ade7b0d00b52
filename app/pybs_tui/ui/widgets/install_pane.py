"""InstallJob (one install the App runs) and InstallPane, its live view on the Installs screen.

The job is plain data owned by the App and changed only on the UI thread (the worker thread
posts messages; the cancel Event is the one thing both threads touch). The pane redraws
from the job whenever the App says it changed.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.markup import escape
from textual.widgets import ProgressBar, Static

from ...catalog.models import Build
from ...progress import Progress

if TYPE_CHECKING:
    from textual.worker import Worker

    from ...install.pipeline import InstallResult

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
_PHASE_STYLE = {
    "done": "$success",
    "failed": "$error",
    "cancelled": "$warning",
    "lock": "$warning",
    "queued": "$text-muted",
}
_PHASE_NOTE = {
    "start": "checking the target",
    "finish": "fixing links and sysconfig paths",
    "probe": "running the new interpreter",
}


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
    started: float | None = None
    ended_at: float | None = None
    worker: Worker[None] | None = None

    @property
    def ended(self) -> bool:
        return self.phase in ENDED

    @property
    def running(self) -> bool:
        """Started (has a worker) and not ended: it holds one of the install slots."""
        return self.started is not None and not self.ended

    @property
    def cancelling(self) -> bool:
        return self.cancel.is_set() and not self.ended

    def apply(self, progress: Progress) -> None:
        """Take one report of the pipeline (UI thread)."""
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


# -- text ---------------------------------------------------------------------------------------


def size(n: float) -> str:
    import humanize  # not before first paint

    return humanize.naturalsize(n)


def duration(seconds: float) -> str:
    """'0:07', '12:03', '1:02:03'."""
    seconds = max(0, int(seconds + 0.5))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def status_markup(job: InstallJob, now: float, slots: int = 2) -> str:
    """The pane's first line: phase, bytes done / total, rate, ETA, elapsed (markup)."""
    phase = job.phase
    style = _PHASE_STYLE.get(phase, "$accent")
    head = f"[b {style}]{'cancelling' if job.cancelling else phase}[/]"
    parts: list[str] = []
    if job.started is not None and job.ended:
        end = job.ended_at if job.ended_at is not None else now
        parts.append(f"took {duration(end - job.started)}")
    if phase == "queued":
        parts.append(f"waits for a free slot ({slots} install{'s' if slots != 1 else ''} at once)")
    elif phase in ("download", "verify", "extract"):
        if job.total:
            parts.append(f"{size(job.done)} / {size(job.total)}")
        elif job.done:
            parts.append(size(job.done) + (" written" if phase == "extract" else ""))
        if job.rate:
            parts.append(f"{size(job.rate)}/s")
        if job.eta is not None and phase == "download":
            parts.append(f"ETA {duration(job.eta)}")
        if job.message and phase != "extract":
            parts.append(escape(job.message))
    elif phase == "done" and job.result is not None:
        where = escape(str(job.result.path))
        parts.append(
            f"already installed at {where}"
            if job.result.already_installed
            else f"installed at {where}"
        )
    elif phase == "cancelled":
        parts.append("stopped; nothing was left behind")
    elif phase == "failed":
        parts.append("nothing was installed")
    elif job.message or phase in _PHASE_NOTE:
        parts.append(escape(job.message or _PHASE_NOTE[phase]))
    if job.started is not None and not job.ended:
        parts.append(f"{duration(now - job.started)} elapsed")
    return head + ("  " + " · ".join(parts) if parts else "")


@dataclass(frozen=True)
class FlagCheck:
    """One probed fact next to what the catalog promised: ok True/False, None = no promise."""

    label: str
    value: str
    ok: bool | None


def _abi_expected(build: Build) -> str:
    return ("t" if build.gil_disabled else "") + ("d" if build.py_debug else "")


def flag_checks(build: Build, probe: dict[str, Any]) -> list[FlagCheck]:
    """Version, Py_DEBUG, Py_GIL_DISABLED, abiflags, PGO and LTO as probed, checked against
    the archive's name (PGO/LTO only for full archives: only they carry CONFIG_ARGS promises)."""
    version = str(probe.get("version", "?"))
    debug = int(probe.get("Py_DEBUG") or 0)
    ft = int(probe.get("Py_GIL_DISABLED") or 0)
    abiflags = str(probe.get("abiflags") or "")
    checks = [
        FlagCheck(
            "version", version, None if build.version is None else version == str(build.version)
        ),
        FlagCheck("Py_DEBUG", str(debug), bool(debug) == build.py_debug),
        FlagCheck("Py_GIL_DISABLED", str(ft), bool(ft) == build.gil_disabled),
        FlagCheck(
            "abiflags",
            repr(abiflags),
            ("d" in abiflags, "t" in abiflags) == (build.py_debug, build.gil_disabled),
        ),
    ]
    full = build.flavor == "full" and isinstance(probe.get("CONFIG_ARGS"), str)
    for label, promised in (("PGO", build.pgo), ("LTO", build.lto)):
        got = bool(probe.get(label))
        ok = None if not full or not promised else got
        checks.append(FlagCheck(label, "yes" if got else "no", ok))
    return checks


_MISMATCH_WORDS = (
    ("version", re.compile(r"the interpreter is")),
    ("Py_DEBUG", re.compile(r"Py_DEBUG")),
    ("Py_GIL_DISABLED", re.compile(r"Py_GIL_DISABLED")),
    ("PGO", re.compile(r"--enable-optimizations")),
    ("LTO", re.compile(r"--with-lto")),
)


def mismatched_flags(error: str) -> list[str]:
    """The flags a 'probe mismatch: ...' error names (the probe itself is not kept)."""
    if not error.startswith("probe mismatch"):
        return []
    return [label for label, pattern in _MISMATCH_WORDS if pattern.search(error)]


def flags_markup(job: InstallJob) -> str:
    """Probed flags, green where they match the catalog and red where they do not."""
    if job.result is not None and job.result.probe:
        chips = []
        for check in flag_checks(job.build, job.result.probe):
            text = f"{check.label} {escape(check.value)}"
            if check.ok is None:
                chips.append(f"[$text-muted]{text}[/]")
            else:
                chips.append(f"[$success]{text} ✓[/]" if check.ok else f"[b $error]{text} ✗[/]")
        return "  ".join(chips)
    bad = mismatched_flags(job.error)
    if bad:
        return "  ".join(f"[b $error]{label} ✗[/]" for label in bad)
    return ""


# -- the widget ---------------------------------------------------------------------------------


class InstallPane(Vertical, can_focus=True):
    """One job: name (border title), status line, progress bar, probed flags, error in red."""

    DEFAULT_CSS = """
    InstallPane {
        height: auto;
        border: round $panel-lighten-2;
        border-title-align: left;
        border-subtitle-align: right;
        padding: 0 1;
        & > Static { width: 1fr; height: auto; }
        & > .job-flags, & > .job-error { display: none; }
        & > .job-error { color: $error; text-style: bold; }
        & > ProgressBar { height: 1; width: 1fr; }
        & > ProgressBar > Bar { width: 1fr; max-width: 72; }
        &:focus { border: round $accent; }
        &.-failed { border: round $error; }
        &.-done { border: round $success; }
    }
    """

    def __init__(self, job: InstallJob) -> None:
        super().__init__(id=f"job-{job.id}", classes="install-pane")
        self.job = job
        self.status = Static("", classes="job-status")
        self.bar = ProgressBar(total=None, show_eta=False, classes="job-bar")
        self.flags = Static("", classes="job-flags")
        self.error = Static("", classes="job-error", markup=False)
        self._state: tuple[str, bool] | None = None

    def compose(self) -> ComposeResult:
        yield self.status
        yield self.bar
        yield self.flags
        yield self.error

    def on_mount(self) -> None:
        self.border_title = escape(self.job.build.name)
        self.refresh_job(self.app.settings.clock())  # type: ignore[attr-defined]

    def refresh_job(self, now: float, slots: int = 2) -> bool:
        """Redraw from the job (called by the screen on every change it hears of); True if
        its phase changed since the last redraw (so keys and totals may have changed)."""
        job = self.job
        state = (job.phase, job.cancelling)
        changed, self._state = state != self._state, state
        self.status.update(status_markup(job, now, slots))
        self.border_subtitle = "x cancels" if not job.ended else job.phase
        bar = self.bar
        bar.display = not job.ended
        if job.phase == "queued":
            bar.update(total=1, progress=0)
        elif job.phase in ("download", "verify") and job.total:
            bar.update(total=job.total, progress=job.done)
        elif not job.ended:
            bar.update(total=None, progress=0)
        flags = flags_markup(job)
        self.flags.update(flags)
        self.flags.display = bool(flags)
        self.error.update(job.error)
        self.error.display = bool(job.error)
        self.set_class(job.phase == "failed", "-failed")
        self.set_class(job.phase == "done", "-done")
        return changed

    @property
    def text(self) -> str:
        """The pane's visible text, without styles (for tests)."""
        parts = [self.job.build.name]
        for widget in (self.status, self.flags, self.error):
            if widget.display:
                parts.append(str(widget.render()))
        return "\n".join(parts)
