"""The Installs screen: one live pane per install job. The jobs belong to the App (`app.jobs`),
so they keep running while this screen is closed; the screen follows them through the App's
`JobsChanged` and `InstalledChanged` messages. x cancels the focused job."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ...resources import styles_dir
from ..messages import InstalledChanged, JobsChanged
from ..widgets.install_pane import InstallPane, removed_since
from ..widgets.quiet_footer import QuietFooter

if TYPE_CHECKING:
    from ...service.jobs import InstallJob
    from ..app import PybsApp


EMPTY = (
    "No installs yet: press i on a build in the browser (or ctrl+p, install <name>). "
    "Installs keep going while you browse; J brings you back here."
)
_COUNTED = ("running", "queued", "done", "failed", "cancelled")


class InstallsScreen(Screen[None]):
    """Jobs newest last; up/down move between them, x cancels, i installs an ended one again."""

    CSS_PATH = str(styles_dir() / "installs.tcss")  # loaded when first shown, not at start

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
            tooltip="Install the focused failed, cancelled or since removed build again",
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
            for job in self.pybs.jobs.jobs.values():
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

    def _now(self) -> float:
        return self.pybs.settings.clock()

    def _tick(self) -> None:
        now, slots = self._now(), self.pybs.jobs.slots
        for pane in self.panes():
            if pane.job.running:
                pane.refresh_job(now, slots)

    def _update_summary(self) -> None:
        jobs = list(self.pybs.jobs.jobs.values())
        self.query_one("#installs-empty").display = not jobs
        counts = dict.fromkeys(_COUNTED, 0)
        for job in jobs:
            counts[job.phase if job.phase in counts else "running"] += 1
        words = [f"{counts[k]} {k}" for k in _COUNTED if counts[k]]
        gone = sum(1 for job in jobs if removed_since(job))
        if gone:
            words.append(f"{gone} removed since")
        text = "Installs: " + (", ".join(words) if words else "none")
        text += f" · {self.pybs.jobs.slots} at once"
        self.query_one("#installs-summary", Static).update(text)

    # -- what the App tells every screen ---------------------------------------------------
    @on(JobsChanged)
    def _jobs_changed(self, message: JobsChanged) -> None:
        """Add, redraw or drop the panes of these jobs (idempotent: a job this screen already
        shows, or no longer knows, is simply redrawn or skipped)."""
        jobs = self.pybs.jobs.jobs
        now, slots = self._now(), self.pybs.jobs.slots
        keys_changed = False
        for job_id in message.job_ids:
            job = jobs.get(job_id)
            pane = self._panes.get(job_id)
            if job is None:
                if pane is not None:
                    del self._panes[job_id]
                    pane.remove()
                    keys_changed = True
            elif pane is None:
                pane = self._new_pane(job)
                self.query_one("#installs-list").mount(pane)
                if not isinstance(self.focused, InstallPane):
                    self.call_after_refresh(pane.focus)
                keys_changed = True
            elif pane.is_mounted and pane.refresh_job(now, slots):
                keys_changed = True  # a new phase changes the counts and the keys
        if keys_changed:
            self._update_summary()
            self.refresh_bindings()  # the footer is rebuilt on every refresh_bindings

    @on(InstalledChanged)
    def _installed_changed(self, message: InstalledChanged) -> None:
        """An install appeared or went: a finished pane of that build says so."""
        names = set(message.names)
        now, slots = self._now(), self.pybs.jobs.slots
        touched = False
        for pane in self.panes():
            if pane.job.build.name in names and pane.job.ended:
                pane.refresh_job(now, slots)
                touched = True
        if touched:
            self._update_summary()
            self.refresh_bindings()

    # -- actions ---------------------------------------------------------------------------
    @staticmethod
    def _may_retry(job: InstallJob | None) -> bool:
        return job is not None and (job.phase in ("failed", "cancelled") or removed_since(job))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        job = self.focused_job if action in ("cancel_job", "retry") else None
        if action == "cancel_job":  # dimmed while a cancel is under way, else hidden if ended
            if job is None or job.ended:
                return False
            return None if job.cancelling else True
        if action == "retry":  # hidden unless it applies: it is rarely wanted
            return self._may_retry(job)
        if action == "clear":
            return True if any(j.ended for j in self.pybs.jobs.jobs.values()) else None
        return True

    def action_cancel_job(self) -> None:
        job = self.focused_job
        if job is not None:
            self.pybs.cancel_install(job.id)

    def action_retry(self) -> None:
        job = self.focused_job
        if self._may_retry(job):
            self.pybs.request_install(job.build)  # type: ignore[union-attr]

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
