"""The Installs screen: one live pane per install job (the jobs belong to the App, so they
keep running while this screen is closed); x cancels the focused job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ..widgets.install_pane import InstallJob, InstallPane
from ..widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from ..app import PybsApp


EMPTY = (
    "No installs yet: press i on a build in the browser (or ctrl+p, install <name>). "
    "Installs keep going while you browse; J brings you back here."
)


class InstallsScreen(Screen[None]):
    """Jobs newest last; up/down move between them, x cancels, i installs an ended one again."""

    BINDINGS = [
        Binding(
            "x",
            "cancel_job",
            "Cancel",
            id="installs.cancel",
            tooltip="Stop the focused install; everything partial is removed",
        ),
        Binding(
            "i",
            "retry",
            "Again",
            id="installs.retry",
            tooltip="Install the focused failed or cancelled build again",
        ),
        Binding(
            "delete,backspace",
            "clear",
            "Clear ended",
            id="installs.clear",
            tooltip="Remove the finished, failed and cancelled jobs from the list",
        ),
        Binding("up,k", "move(-1)", "Previous", show=False),
        Binding("down,j", "move(1)", "Next", show=False),
        Binding("escape,q,J", "app.pop_screen", "Back", id="installs.back"),
    ]
    AUTO_FOCUS = None  # on_mount focuses the first running job, not simply the first pane

    def __init__(self) -> None:
        super().__init__(id="installs")
        self._panes: dict[int, InstallPane] = {}

    @property
    def pybs(self) -> PybsApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Static("", id="installs-summary")
        with VerticalScroll(id="installs-list"):
            yield Static(EMPTY, id="installs-empty")
            for job in self.pybs.jobs.values():
                yield self._new_pane(job)
        yield QuietFooter(compact=True)

    def on_mount(self) -> None:
        self._update_summary()
        self.set_interval(1, self._tick)  # elapsed time of jobs waiting quietly (lock, probe)
        panes = self.panes()
        active = [p for p in panes if not p.job.ended]
        target = active[0] if active else (panes[-1] if panes else None)
        if target is not None:
            target.focus()

    # -- panes -----------------------------------------------------------------------------
    def panes(self) -> list[InstallPane]:
        return list(self.query(InstallPane))

    def pane(self, job_id: int) -> InstallPane | None:
        return self._panes.get(job_id)

    def _new_pane(self, job: InstallJob) -> InstallPane:
        pane = self._panes[job.id] = InstallPane(job)
        return pane

    @property
    def focused_job(self) -> InstallJob | None:
        """The job whose pane has the focus, else the first one still running."""
        focused = self.focused
        if isinstance(focused, InstallPane):
            return focused.job
        for pane in self.panes():
            if not pane.job.ended:
                return pane.job
        return None

    def _slots(self) -> int:
        return max(1, self.pybs.settings.limits.max_concurrent_installs)

    def _tick(self) -> None:
        now = self.pybs.settings.clock()
        for pane in self.panes():
            if pane.job.running:
                pane.refresh_job(now, self._slots())

    def _update_summary(self) -> None:
        jobs = list(self.pybs.jobs.values())
        self.query_one("#installs-empty").display = not jobs
        counts: dict[str, int] = {}
        for job in jobs:
            key = job.phase if job.phase in ("queued", "done", "failed", "cancelled") else "running"
            counts[key] = counts.get(key, 0) + 1
        words = [
            f"{counts[k]} {k}"
            for k in ("running", "queued", "done", "failed", "cancelled")
            if counts.get(k)
        ]
        text = "Installs: " + (", ".join(words) if words else "none")
        text += f" · at most {self._slots()} at once"
        self.query_one("#installs-summary", Static).update(text)

    # -- called by the app -----------------------------------------------------------------
    def job_added(self, job: InstallJob) -> None:
        pane = self._new_pane(job)
        self.query_one("#installs-list").mount(pane)
        if not isinstance(self.focused, InstallPane):
            self.call_after_refresh(pane.focus)
        self._update_summary()
        self.refresh_bindings()

    def job_changed(self, job: InstallJob) -> None:
        pane = self.pane(job.id)
        if pane is None or not pane.is_mounted:
            return
        if pane.refresh_job(self.pybs.settings.clock(), self._slots()):
            self._update_summary()  # only a new phase changes the counts and the keys:
            self.refresh_bindings()  # the footer is rebuilt on every refresh_bindings

    def jobs_removed(self, ids: list[int]) -> None:
        for job_id in ids:
            pane = self._panes.pop(job_id, None)
            if pane is not None:
                pane.remove()
        self._update_summary()
        self.refresh_bindings()

    # -- actions ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job = self.focused_job if action in ("cancel_job", "retry") else None
        if action == "cancel_job":
            return True if job is not None and not job.ended and not job.cancelling else None
        if action == "retry":  # hidden unless it applies: it is rarely wanted
            return job is not None and job.phase in ("failed", "cancelled")
        if action == "clear":
            return True if any(j.ended for j in self.pybs.jobs.values()) else None
        return True

    def action_cancel_job(self) -> None:
        job = self.focused_job
        if job is not None:
            self.pybs.cancel_install(job.id)

    def action_retry(self) -> None:
        job = self.focused_job
        if job is not None and job.phase in ("failed", "cancelled"):
            self.pybs.request_install(job.build)

    def action_clear(self) -> None:
        self.pybs.clear_ended_jobs()

    def action_move(self, delta: int) -> None:
        panes = self.panes()
        if not panes:
            return
        focused = self.focused
        index = panes.index(focused) if isinstance(focused, InstallPane) else -delta
        target = panes[max(0, min(len(panes) - 1, index + delta))]
        target.focus()
        target.scroll_visible()
