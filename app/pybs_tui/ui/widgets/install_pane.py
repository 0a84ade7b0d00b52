"""InstallPane: the live view of one install job (service.jobs.InstallJob) on the Installs screen.

The job belongs to the App and changes only on the UI thread; the pane redraws from it when
the screen hears `JobsChanged` (or `InstalledChanged` for its build). Everything shown is
built as Content from plain strings (ui.widgets.plain), so nothing from outside (names,
paths, server messages, the probe's answers) is read as markup or reaches the terminal as a
control character.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import ProgressBar, Static

from ...units import format_duration, format_size, printable, printable_lines
from .plain import plain_content

if TYPE_CHECKING:
    from ...install.probe import ProbeCheck
    from ...service.jobs import InstallJob
    from ..app import PybsApp

_PHASE_STYLE = {
    "done": "bold $success",
    "failed": "bold $error",
    "cancelled": "bold $warning",
    "lock": "bold $warning",
    "queued": "bold $foreground-muted",
}
_PHASE_NOTE = {
    "start": "checking the target",
    "finish": "fixing links and sysconfig paths",
    "probe": "running the new interpreter",
}

#: How a probe check is shown: ok (green ✓), failed (red ✗: it stopped the install), warning
#: (yellow ✗: an inferred or restating check the interpreter did not confirm), none (muted:
#: nothing was promised).
CheckKind = Literal["ok", "failed", "warning", "none"]
CHECK_STYLE: dict[CheckKind, str] = {
    "ok": "$success",
    "failed": "bold $error",
    "warning": "$warning",
    "none": "$foreground-muted",
}
_MARK: dict[CheckKind, str] = {"ok": " ✓", "failed": " ✗", "warning": " ✗", "none": ""}


def check_kind(check: ProbeCheck) -> CheckKind:
    """ok, failed (a binding promise broken), warning (a non-binding one) or none."""
    if check.ok is None:
        return "none"
    if check.ok:
        return "ok"
    return "failed" if check.failed else "warning"


def chip_text(check: ProbeCheck) -> str:
    """'Py_DEBUG 0 ✓', 'PGO yes ✓ (inferred)', 'Py_DEBUG 0 ✗', 'LTO no'."""
    text = f"{printable(check.flag)} {printable(check.found)}{_MARK[check_kind(check)]}"
    return text + (" (inferred)" if check.source.startswith("inferred") else "")


def flags_content(checks: list[ProbeCheck], width: int = 0) -> Content:
    """The probed flags, each coloured by how it compares with the catalog's promise; lines
    broken between chips (never inside one) to fit `width` cells (0: one line)."""
    parts: list[str | tuple[str, str]] = []
    used = 0
    for check in checks:
        chip = chip_text(check)
        if used and width and used + 2 + cell_len(chip) > width:
            parts.append("\n")
            used = 0
        elif used:
            parts.append("  ")
            used += 2
        parts.append((chip, CHECK_STYLE[check_kind(check)]))
        used += cell_len(chip)
    return Content.assemble(*parts)


def flags_tooltip(checks: list[ProbeCheck]) -> str:
    """Where the inferred promises come from, and every broken promise, one per line (each
    line's control characters written out: a problem quotes what the interpreter said)."""
    lines = [f"{c.flag}: {c.source}" for c in checks if c.source.startswith("inferred")]
    lines += [c.problem for c in checks if c.ok is False and c.problem]
    return "\n".join(printable_lines(line) for line in dict.fromkeys(lines))


def removed_since(job: InstallJob) -> bool:
    """A finished job whose install is gone (uninstalled after it finished)."""
    return job.phase == "done" and not job.target.exists()


def status_content(job: InstallJob, now: float, slots: int = 2) -> Content:
    """The pane's status line: phase, bytes done / total, rate, ETA, elapsed."""
    phase = job.phase
    head = ("cancelling" if job.cancelling else phase, _PHASE_STYLE.get(phase, "bold $accent"))
    parts: list[str] = []
    if job.started is not None and job.ended:
        end = job.ended_at if job.ended_at is not None else now
        parts.append(f"took {format_duration(end - job.started)}")
    if phase == "queued":
        parts.append(f"waits for a free slot ({slots} install{'s' if slots != 1 else ''} at once)")
    elif phase in ("download", "verify", "extract"):
        if job.total:
            parts.append(f"{format_size(job.done)} / {format_size(job.total)}")
        elif job.done:
            parts.append(format_size(job.done) + (" written" if phase == "extract" else ""))
        if job.rate:
            parts.append(f"{format_size(job.rate)}/s")
        if job.eta is not None and phase == "download":
            parts.append(f"ETA {format_duration(job.eta)}")
        if job.message and phase != "extract":
            parts.append(printable(job.message))
    elif phase == "done":
        where = printable(job.result.path if job.result is not None else job.target)
        if removed_since(job):
            parts.append(f"was installed at {where}, removed since")
        elif job.result is not None and job.result.already_installed:
            parts.append(f"already installed at {where}")
        else:
            parts.append(f"installed at {where}")
    elif phase == "cancelled":
        parts.append("stopped; nothing was left behind")
    elif phase == "failed":
        parts.append("nothing was installed")
    elif job.message or phase in _PHASE_NOTE:
        parts.append(printable(job.message or _PHASE_NOTE[phase]))
    if job.started is not None and not job.ended:
        parts.append(f"{format_duration(now - job.started)} elapsed")
    return Content.assemble(head, ("  " + " · ".join(parts)) if parts else "")


class InstallPane(Vertical, can_focus=True):
    """One job: label (border title), archive name, status, progress bar, probed flags,
    warnings in yellow, the error in red."""

    DEFAULT_CSS = """
    InstallPane {
        height: auto;
        border: round $panel-lighten-2;
        border-title-align: left;
        border-subtitle-align: right;
        padding: 0 1;
        & > Static { width: 1fr; height: auto; }
        & > .job-name { color: $text-muted; }
        & > .job-flags, & > .job-warning, & > .job-error { display: none; }
        & > .job-warning { color: $warning; }
        & > .job-error { color: $error; text-style: bold; }
        & > ProgressBar { height: 1; width: 1fr; }
        & > ProgressBar > Bar { width: 1fr; max-width: 72; }
        &:focus { border: round $accent; }
        &.-failed { border: round $error; }
        &.-done { border: round $success; }
        &.-removed { border: round $panel-lighten-2; }
        &:focus.-failed, &:focus.-done, &:focus.-removed { border: double $accent; }
    }
    """

    def __init__(self, job: InstallJob) -> None:
        super().__init__(id=f"job-{job.id}", classes="install-pane")
        self.job = job
        self.name_line = Static(plain_content(job.build.name), classes="job-name")
        self.status = Static("", classes="job-status")
        self.bar = ProgressBar(total=None, show_eta=False, classes="job-bar")
        self.flags = Static("", classes="job-flags")
        self.warning = Static("", classes="job-warning")
        self.error = Static("", classes="job-error")
        self._state: tuple[str, bool] | None = None

    def compose(self) -> ComposeResult:
        yield self.name_line
        yield self.status
        yield self.bar
        yield self.flags
        yield self.warning
        yield self.error

    def on_mount(self) -> None:
        self.border_title = plain_content(self.job.label)
        app: PybsApp = self.app  # type: ignore[assignment]
        self.refresh_job(app.settings.clock(), app.jobs.slots)

    def refresh_job(self, now: float, slots: int = 2) -> bool:
        """Redraw from the job; True if its phase (or cancelling) changed since the last
        redraw, so the screen's keys and totals may have changed."""
        job = self.job
        state = (job.phase, job.cancelling)
        changed, self._state = state != self._state, state
        gone = removed_since(job)
        self.status.update(status_content(job, now, slots))
        self.border_subtitle = (
            "x cancels" if not job.ended else "removed since" if gone else job.phase
        )
        bar = self.bar
        bar.display = not job.ended
        if job.phase == "queued":
            bar.update(total=1, progress=0)
        elif job.phase in ("download", "verify") and job.total:
            bar.update(total=job.total, progress=job.done)
        elif not job.ended:
            bar.update(total=None, progress=0)
        if changed or job.ended:  # the rest only changes when a job ends (~10 redraws/s before)
            self._show_flags()
            tooltip = flags_tooltip(job.checks)  # a str tooltip would be read as markup
            self.flags.tooltip = plain_content(tooltip, lines=True) if tooltip else None
            self.flags.display = bool(job.checks)
            warnings = job.result.warnings if job.result is not None else []
            self.warning.update(plain_content("probe: " + "; ".join(warnings)))
            self.warning.display = bool(warnings)
            self.error.update(plain_content(job.error))
            self.error.display = bool(job.error)
        self.set_class(job.phase == "failed", "-failed")
        self.set_class(job.phase == "done" and not gone, "-done")
        self.set_class(gone, "-removed")
        return changed

    @property
    def shown_phase(self) -> str | None:
        """The job's phase as last drawn (None before the first draw)."""
        return self._state[0] if self._state is not None else None

    def _show_flags(self) -> None:
        self.flags.update(flags_content(self.job.checks, self.content_size.width))

    def on_resize(self) -> None:
        self._show_flags()  # the chips' line breaks follow the width

    def chips(self) -> dict[str, CheckKind]:
        """flag -> how its chip is shown: ok, failed, warning or none."""
        return {c.flag: check_kind(c) for c in self.job.checks}

    @property
    def text(self) -> str:
        """The pane's visible text, without styles (for tests)."""
        parts = [self.job.label]
        for widget in (self.name_line, self.status, self.flags, self.warning, self.error):
            if widget.display:
                parts.append(str(widget.render()))
        return "\n".join(parts)
