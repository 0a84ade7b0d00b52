"""PybsApp, the shell: global keys, App-owned thread workers that call the service layer, and
typed messages to the screens. The state it keeps (catalog index, size scheduler, install
jobs, inventory) lives in service objects; screens read it and ask through the methods below.

Every worker belongs to the App, so work survives a screen being closed (an uninstall started
on the Installed screen still ends, is noticed and updates the browser). Every worker failure
lands in `on_worker_state_changed` and becomes a notification, never a crash.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from ..catalog.group import Host
from ..catalog.index import CatalogIndex
from ..catalog.models import Build, Catalog
from ..progress import Progress, Throttle
from ..resources import styles_dir
from ..service.jobs import Installer, InstallJob, JobQueue
from ..service.sizes import SizeScheduler
from ..settings import Settings
from . import messages as m
from .commands import PybsCommands
from .screens.browse import BrowseScreen

if TYPE_CHECKING:
    import httpx

    from ..install.registry import Interpreter, Roots

STYLE_FILES = (
    "app.tcss",
    "browse.tcss",
    "compare.tcss",
    "help.tcss",
    "installs.tcss",
    "installed.tcss",
)
QUIT_AGAIN = 3.0  # seconds in which a second q quits while installs run


class PybsApp(App[None]):
    """Find, compare, install and remove PBS CPython builds."""

    TITLE = "pybs-tui"
    CSS_PATH = [styles_dir() / name for name in STYLE_FILES]
    COMMANDS = App.COMMANDS | {PybsCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", show=False),
        Binding("question_mark", "help", "Help", id="app.help", key_display="?"),
        Binding("r", "refresh", "Refresh", id="app.refresh", tooltip="Load the live catalog again"),
        Binding("ctrl+t", "toggle_dark", "Theme", id="app.theme", show=False),
        Binding(
            "J",
            "installs",
            "Installs",
            id="app.installs",
            key_display="J",
            tooltip="Install jobs: phase, bytes, rate, ETA, probed flags; x cancels",
        ),
        Binding(
            "I",
            "installed",
            "Installed",
            id="app.installed",
            key_display="I",
            tooltip="Installed interpreters: disk use, used by, uninstall, prune",
        ),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        catalog: Catalog | None = None,
        host: Host | None = None,
        catalog_arg: str | None = None,
        installer: Installer | None = None,
        lock_timeout: float | None = None,
        roots: Roots | None = None,
    ) -> None:
        """`catalog`, `host`, `installer` (install_build's stand-in), `lock_timeout` and
        `roots` (where the Installed screen looks) are for tests."""
        super().__init__()
        self.settings = settings
        self.host: Host = host if host is not None else _detect_host()
        self.catalog_arg = catalog_arg
        self._given_catalog = catalog
        self.catalog: Catalog | None = None
        self.index: CatalogIndex | None = None
        self.catalog_status = ""
        self.loading_catalog = False
        self.timings: dict[str, float] = {"created": time.perf_counter()}
        self.sizes = SizeScheduler()
        self.jobs = JobQueue(settings.limits.max_concurrent_installs, settings.clock)
        self._installer = installer
        self.lock_timeout = lock_timeout
        self.roots = roots
        self.inventory: dict[str, Interpreter] = {}
        self.inventory_complete = True  # the venv scan finished within its time limit
        self.inventory_usage_known = False  # "used by" of the current inventory is known
        self.inventory_busy = ""  # "loading", "removing", "planning"
        self._client: httpx.Client | None = None
        self._releases_asked: set[str] = set()
        self._notes_shown: set[str] = set()
        self._quit_asked = -QUIT_AGAIN

    def notify(self, message: str, *, markup: bool = False, **kwargs: Any) -> None:
        """Notifications carry names, paths and error texts from outside: never markup."""
        super().notify(message, markup=markup, **kwargs)

    def get_default_screen(self) -> Screen:
        return BrowseScreen()

    def broadcast(self, make: Callable[[], Message]) -> None:
        """Tell every screen on the stack (each gets its own message)."""
        if self.is_running:
            for screen in self.screen_stack:
                screen.post_message(make())

    def screen_painted(self, screen: Screen) -> None:
        """The browser's first paint: now load the catalog in the background."""
        self.timings.setdefault("first_paint", time.perf_counter())
        if self.catalog is None and not self.loading_catalog:
            given = self._given_catalog is not None
            online = not (given or self.catalog_arg or self.settings.offline)
            self._load(["offline", "catalog"] if online else ["given" if given else "catalog"])

    def on_mount(self) -> None:
        self.set_interval(60, self._tick_status)

    def on_unmount(self) -> None:
        self.jobs.cancel_all()  # their threads stop within a second and clean up
        if self._client is not None:
            self._client.close()

    async def action_quit(self) -> None:
        """Quit; while installs run, only when asked twice (they are cancelled, not lost)."""
        running = [j for j in self.jobs.jobs.values() if not j.ended]
        now = time.monotonic()
        if running and now - self._quit_asked > QUIT_AGAIN:
            self._quit_asked = now
            self.notify(
                f"{len(running)} install(s) still running: press q again to cancel and quit",
                severity="warning",
                timeout=QUIT_AGAIN,
            )
            return
        self.jobs.cancel_all()
        self.exit()

    # -- catalog ---------------------------------------------------------------------------
    def _load(self, steps: list[str]) -> None:
        self.loading_catalog = True
        self.broadcast(m.CatalogChanged)
        self.refresh_bindings()
        self.run_worker(
            partial(self._load_thread, steps),
            name="loading the catalog",
            group="catalog",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _load_thread(self, steps: list[str]) -> None:
        """Thread: each step's catalog, indexed here; the last one is final."""
        from ..install.receipts import installed_names
        from ..service.catalog import load_catalog, load_offline

        worker = get_current_worker()
        for i, step in enumerate(steps):
            final = i == len(steps) - 1
            try:
                if step == "given" and self._given_catalog is not None:
                    catalog = self._given_catalog
                elif step == "offline":
                    catalog = load_offline(self.settings)
                else:
                    catalog = load_catalog(self.settings, self.catalog_arg)
            except Exception as exc:
                if final:
                    raise
                self.call_from_thread(self.notify, f"quick catalog unavailable: {exc}")
                continue
            self.timings.setdefault("catalog_read", time.perf_counter())
            index = CatalogIndex(catalog, self.host, installed_names(self.settings))
            if not worker.is_cancelled:
                self.post_message(m.CatalogLoaded(catalog, index, final=final))

    @on(m.CatalogLoaded)
    def _catalog_loaded(self, message: m.CatalogLoaded) -> None:
        from ..service.catalog import describe_source

        if self.index is not None:
            _keep_sizes(self.index, message.index)
        self.catalog, self.index = message.catalog, message.index
        self.catalog_status = describe_source(message.catalog, self.settings.clock())
        self.loading_catalog = not message.final
        for note in message.catalog.notes:
            if note not in self._notes_shown:
                self._notes_shown.add(note)
                self.notify(note, title="catalog", severity="warning", timeout=8)
        self.broadcast(m.CatalogChanged)
        self.refresh_bindings()
        self.timings.setdefault("catalog_handled", time.perf_counter())

    def _tick_status(self) -> None:
        from ..service.catalog import describe_source

        if self.catalog is not None:
            self.catalog_status = describe_source(self.catalog, self.settings.clock())
            self.broadcast(m.CatalogChanged)

    def action_refresh(self) -> None:
        """Load the live catalog again in a thread; the current one stays usable."""
        if not self.loading_catalog:
            self.notify("refreshing the catalog…", timeout=2)
            self._load(["catalog"])

    # -- sizes -----------------------------------------------------------------------------
    @property
    def sizes_online(self) -> bool:
        return (
            not self.settings.offline
            and self.catalog is not None
            and self.catalog.source in ("live", "file")
        )

    def want_sizes(self, builds: Iterable[Build]) -> None:
        """The user looks at these rows: ask the download host for their unknown sizes (HEAD,
        a few at a time; no API quota). Offline this does nothing."""
        if not self.sizes_online or self.index is None:
            return
        self.sizes.want(self.index.by_name.get(b.name, b) for b in builds)
        started = self.sizes.next()
        for b in started:
            self.run_worker(
                partial(self._size_thread, b),
                name=f"size of {b.name}",
                group="sizes",
                thread=True,
                exit_on_error=False,
            )
        if started:
            self.broadcast(lambda: m.SizesChanged([b.name for b in started]))

    def _size_thread(self, build: Build) -> None:
        from ..net.cache import SizeCache
        from ..service.sizes import HEAD_SOURCE, head_one

        size, reason = head_one(self._http(), self.settings, build)
        if size is not None:
            SizeCache(self.settings.catalog_cache_dir).update({build.size_key: (size, HEAD_SOURCE)})
        self.post_message(m.SizeLearnt(build.name, size, reason))

    @on(m.SizeLearnt)
    def _size_learnt(self, message: m.SizeLearnt) -> None:
        from ..service.sizes import HEAD_SOURCE

        self.sizes.done(message.name, message.size, message.reason)
        if message.size is not None and self.index is not None:
            self.index.set_sizes({message.name: message.size}, HEAD_SOURCE)
        self.broadcast(lambda: m.SizesChanged([message.name]))
        self.want_sizes([])  # the next ones in the queue

    def fetch_release(self, tag: str) -> None:
        """Online, once per release: merge its own API listing (every archive, with sizes
        and digests) into the catalog; screens hear CatalogChanged."""
        if not self.sizes_online or tag in self._releases_asked or self.catalog is None:
            return
        self._releases_asked.add(tag)
        self.run_worker(
            partial(self._release_thread, tag),
            name=f"listing release {tag}",
            group="release",
            thread=True,
            exit_on_error=False,
        )

    def _release_thread(self, tag: str) -> None:
        from ..service.catalog import with_release

        catalog, index = self.catalog, self.index
        if catalog is None or index is None:
            return
        merged = with_release(self.settings, catalog, tag, client=self._http())
        if (
            len(merged.builds) != len(catalog.builds)
            or merged.notes != catalog.notes
            or any(a.size != b.size for a, b in zip(merged.builds, catalog.builds, strict=False))
        ):
            new = CatalogIndex(merged, self.host, dict(index.installed))
            self.post_message(m.CatalogLoaded(merged, new, final=not self.loading_catalog))

    def _http(self) -> httpx.Client:
        """One HTTP client for size lookups (made on the UI thread, shared by the workers)."""
        if self._client is None:
            from ..net.client import make_client

            self._client = make_client(self.settings)
        return self._client

    # -- installs --------------------------------------------------------------------------
    @on(m.InstallRequested)
    def _install_requested(self, message: m.InstallRequested) -> None:
        self.request_install(message.build)

    def request_install(self, build: Build) -> None:
        """Ask first (the confirm dialog shows the plan); on yes, queue the install."""
        from ..service.install import plan_install
        from .screens.confirm_install import ConfirmInstall

        busy = self.jobs.active_for(build.name)
        if busy is not None:
            self.notify(f"{build.name} is already {busy.phase}: press J to watch", timeout=4)
            return
        if isinstance(self.screen, ConfirmInstall):
            return
        plan = plan_install(self.settings, build, index=self.index)
        self.push_screen(ConfirmInstall(plan), partial(self._confirmed, build))

    def _confirmed(self, build: Build, yes: bool | None) -> None:
        if yes:
            self.start_install(build)

    def start_install(self, build: Build) -> InstallJob:
        """Queue an install of `build`; it starts when a slot is free."""
        from ..install.pipeline import target_of
        from ..service.install import inferred_promises
        from .screens.installs import InstallsScreen

        job = self.jobs.add(
            build, target_of(self.settings, build), inferred_promises(self.index, build)
        )
        self.broadcast(lambda: m.JobsChanged([job.id], added=True))
        self._pump_installs()
        where = "" if isinstance(self.screen, InstallsScreen) else " · J shows progress"
        state = "installing" if job.running else "queued:"
        self.notify(f"{state} {job.label}{where}", title="install", timeout=4)
        return job

    def _pump_installs(self) -> None:
        for job in self.jobs.startable():
            job.handle = self.run_worker(
                partial(self._install_thread, job),
                thread=True,
                exit_on_error=False,
                group="install",
                name=f"install {job.build.name}",
            )
            self.broadcast(partial(m.JobsChanged, [job.id]))

    def _install_thread(self, job: InstallJob) -> None:
        """Thread: run the install; progress and the outcome go back as messages."""
        from ..service.jobs import run_job

        throttle = Throttle()

        def progress(p: Progress) -> None:
            if throttle.ready(p.phase, p.message):
                self.post_message(m.JobProgress(job.id, p))

        extra = {} if self.lock_timeout is None else {"lock_timeout": self.lock_timeout}
        outcome = run_job(self.settings, job, progress, self._installer, **extra)
        self.post_message(m.JobEnded(job.id, outcome))

    @on(m.JobProgress)
    def _job_progress(self, message: m.JobProgress) -> None:
        if self.jobs.progress(message.job_id, message.progress) is not None:
            self.broadcast(lambda: m.JobsChanged([message.job_id]))

    @on(m.JobEnded)
    def _job_ended(self, message: m.JobEnded) -> None:
        outcome = message.outcome
        if outcome.cancelled:
            job = self.jobs.cancelled(message.job_id)
            if job is not None:
                self.notify(f"cancelled {job.label}; nothing was left behind", timeout=4)
        elif outcome.result is not None:
            job = self.jobs.finished(message.job_id, outcome.result)
            if job is not None:
                done = "was installed already" if outcome.result.already_installed else "installed"
                self.notify(f"{job.label} {done}", title="install done")
                for warning in outcome.result.warnings:
                    self.notify(warning, title="probe: not as inferred", severity="warning")
            self.refresh_installed()
        else:
            job = self.jobs.failed(message.job_id, outcome.error, outcome.checks)
            if job is not None:
                self.notify(
                    outcome.error,
                    title=f"install of {job.build.version_str} failed",
                    severity="error",
                    timeout=10,
                )
        self._job_changed(message.job_id)

    def _job_changed(self, job_id: int) -> None:
        self.broadcast(lambda: m.JobsChanged([job_id]))
        self._pump_installs()

    def cancel_install(self, job_id: int) -> None:
        """x on a job: a queued one is dropped at once, a running one stops within ~1 s."""
        if self.jobs.cancel(job_id) is not None:
            self._job_changed(job_id)

    def clear_ended_jobs(self) -> None:
        ended = self.jobs.clear_ended()
        self.broadcast(lambda: m.JobsChanged(ended, removed=True))

    # -- installed: marks, inventory, removal ----------------------------------------------
    def refresh_installed(self) -> None:
        """Read the receipts again (in a thread) so the browser's installed marks are current."""
        self.run_worker(
            self._read_installed,
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="installed-marks",
            name="reading the installs",
        )

    def _read_installed(self) -> None:
        from ..install.receipts import installed_names

        self.post_message(m.InstalledRead(installed_names(self.settings)))

    @on(m.InstalledRead)
    def _installed_read(self, message: m.InstalledRead) -> None:
        if self.index is None:
            return
        old, new = self.index.installed, message.installed
        changed = [n for n in set(old) | set(new) if old.get(n) != new.get(n)]
        self.index.installed = dict(new)
        if changed:
            self.broadcast(lambda: m.InstalledChanged(changed))

    def load_inventory(self) -> None:
        """Discover installed interpreters, then who uses them, then their disk use."""
        if not self.inventory_busy:  # a removal in progress keeps saying so
            self.inventory_busy = "loading"
        self.inventory_usage_known = False
        self.run_worker(
            self._inventory_thread,
            thread=True,
            exclusive=True,
            group="inventory",
            exit_on_error=False,
            name="looking for installed interpreters",
        )

    def _inventory_thread(self) -> None:
        from ..install.registry import Roots
        from ..service.inventory import load_steps

        worker = get_current_worker()
        for step in load_steps(
            self.settings, self.roots or Roots.from_env(), self.catalog, self.host
        ):
            if worker.is_cancelled:
                return
            self.post_message(m.InventoryStep(step))

    @on(m.InventoryStep)
    def _inventory_step(self, message: m.InventoryStep) -> None:
        step = message.step
        if step.kind == "found":
            self.inventory = {str(i.path): i for i in step.interps}
            if self.inventory_busy == "loading":
                self.inventory_busy = ""
        elif step.kind == "used":
            self.inventory_complete = step.complete
            self.inventory_usage_known = True
            for path, users in step.used_by.items():
                if path in self.inventory:
                    self.inventory[path].used_by = users
        elif step.path in self.inventory:
            self.inventory[step.path].size = step.size
        self.broadcast(lambda: m.InventoryChanged(step.kind, step.path))

    def remove_installs(self, names: list[str]) -> None:
        """Uninstall own installs in an App worker: the result arrives wherever the user is."""
        self.inventory_busy = "removing"
        self.broadcast(lambda: m.InventoryChanged("removing"))
        self.run_worker(
            partial(self._remove_thread, names),
            thread=True,
            group="removal",
            exit_on_error=False,
            name="removing installs",
        )

    def _remove_thread(self, names: list[str]) -> None:
        from ..install.uninstall import UninstallError
        from ..service.inventory import remove

        try:
            self.post_message(m.RemovalFinished(remove(self.settings, names)))
        except (UninstallError, OSError) as exc:
            self.post_message(m.RemovalFinished([], f"nothing removed: {exc}"))

    @on(m.RemovalFinished)
    def _removal_finished(self, message: m.RemovalFinished) -> None:
        from ..units import format_size

        self.inventory_busy = ""
        if message.error:
            self.notify(message.error, title="not removed", severity="error", timeout=8)
        else:
            freed = format_size(sum(r.bytes_freed for r in message.removed))
            names = ", ".join(r.name for r in message.removed)
            self.notify(f"removed {names}; {freed} freed", title="uninstalled", timeout=6)
            for r in message.removed:
                if r.leftover is not None:
                    self.notify(
                        f"some files of {r.name} remain in {r.leftover}; they are swept next time",
                        severity="warning",
                    )
            for r in message.removed:
                self.inventory.pop(str(r.path), None)
        self.broadcast(lambda: m.InventoryChanged("failed" if message.error else "removed"))
        self.refresh_installed()
        self.load_inventory()

    def plan_prune(self, include_used: bool = False) -> None:
        """Work out what prune would remove (sizes measured first); PruneReady follows."""
        self.inventory_busy = "planning"
        self.run_worker(
            partial(self._prune_thread, include_used),
            thread=True,
            exclusive=True,
            group="prune-plan",
            exit_on_error=False,
            name="planning prune",
        )

    def _prune_thread(self, include_used: bool) -> None:
        from ..install.diskuse import DiskUseCache, disk_use
        from ..service.inventory import plan_prune

        own = [i for i in self.inventory.values() if i.own]
        cache = DiskUseCache(self.settings.cache_dir)
        for interp in own:
            if interp.size is None:
                interp.size = disk_use(interp.path, cache)
        self.post_message(m.PrunePlanned(plan_prune(own, keep_used=not include_used)))

    @on(m.PrunePlanned)
    def _prune_planned(self, message: m.PrunePlanned) -> None:
        self.inventory_busy = ""
        self.broadcast(lambda: m.PruneReady(message.plan))

    # -- workers, screens --------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures are handled: a notification, never a crash; a
        crashed install becomes the error of its pane."""
        worker, state = event.worker, event.state
        if state not in (WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "install":
            job = next((j for j in self.jobs.jobs.values() if j.handle is worker), None)
            if job is not None and not job.ended:
                error = f"install crashed: {worker.error!r}" if state == WorkerState.ERROR else ""
                if error:
                    self.jobs.failed(job.id, error)
                else:
                    self.jobs.cancelled(job.id)
                self._job_changed(job.id)
        elif worker.group == "catalog" and state == WorkerState.ERROR:
            self.loading_catalog = False
            self.broadcast(lambda: m.CatalogChanged(error=str(worker.error)))
        elif worker.group in ("inventory", "removal", "prune-plan"):
            self.inventory_busy = ""
            self.broadcast(lambda: m.InventoryChanged("failed"))
        if state == WorkerState.ERROR:
            self.notify(
                f"{worker.name} failed: {worker.error}",
                title="background task",
                severity="error",
                timeout=10,
            )

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen.for_app(online=self.sizes_online))

    def action_installs(self) -> None:
        """Open the Installs screen (J again, or escape, closes it)."""
        from .screens.installs import InstallsScreen

        if isinstance(self.screen, InstallsScreen):
            self.pop_screen()
        else:
            self.push_screen(InstallsScreen())

    def action_installed(self) -> None:
        from .screens.installed import InstalledScreen

        if not isinstance(self.screen, InstalledScreen):
            self.push_screen(InstalledScreen())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh" and self.loading_catalog:
            return None
        # the Installs and Installed screens do not open from inside a dialog
        return not (action in ("installs", "installed") and isinstance(self.screen, ModalScreen))


def _keep_sizes(old: CatalogIndex, new: CatalogIndex) -> None:
    """Sizes the old index learnt that the new one lacks: a HEAD answer that arrived while the
    new index was built in its thread (from a catalog without it) is not lost."""
    by_source: dict[str, dict[str, int]] = {}
    for name, b in new.by_name.items():
        known = old.by_name.get(name) if b.size is None else None
        if known is not None and known.size is not None:
            by_source.setdefault(known.size_source, {})[name] = known.size
    for source, sizes in by_source.items():
        new.set_sizes(sizes, source)


def _detect_host() -> Host:
    from ..host import detect_host

    return detect_host()


def run_app(settings: Settings, catalog_arg: str | None = None) -> int:
    """`pybs-tui` without a subcommand: open the browser."""
    PybsApp(settings, catalog_arg=catalog_arg).run()
    return 0
