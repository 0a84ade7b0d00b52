"""The App's wiring of each service to its workers and messages, one mixin per service.

PybsApp (ui/app.py) is composed of these: each binds one service object to App-owned thread
workers (so the work survives any screen) and to the typed messages screens hear. The logic
itself lives in the service layer; what is here is only which thread runs what and who is
told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App
from textual.events import Unmount
from textual.message import Message
from textual.worker import Worker, get_current_worker

from ..catalog.group import Host
from ..catalog.index import CatalogIndex
from ..catalog.models import Build, Catalog
from ..progress import Progress, Throttle
from ..service.jobs import Installer, InstallJob, JobQueue, outcome_notices
from ..service.sizes import SizeScheduler
from ..settings import Settings
from ..units import printable, printable_lines
from . import messages as m

if TYPE_CHECKING:
    import httpx

    from ..install.registry import Interpreter, Roots
    from ..service.inventory import BenchRun, Inventory


class _Wired(App[None]):
    """What the mixins need of the App (PybsApp provides it)."""

    settings: Settings
    host: Host
    catalog: Catalog | None
    index: CatalogIndex | None
    loading_catalog: bool
    roots: Roots | None
    lock_timeout: float | None
    _installer: Installer | None
    _client: httpx.Client | None
    _releases_asked: set[str]

    def notify(self, message: str, *, markup: bool = False, **kwargs: Any) -> None:
        """Notifications carry names, paths and error texts from outside: never markup (a
        screen's notify asks for markup: refused), control characters written out."""
        kwargs["title"] = printable(kwargs.get("title", ""))
        super().notify(printable_lines(message), markup=False, **kwargs)

    def broadcast(self, make: Callable[[], Message]) -> None:
        """Tell every screen on the stack (each gets its own message)."""
        if self.is_running:
            for screen in self.screen_stack:
                screen.post_message(make())

    def _spawn(self, work: Callable[[], object], name: str, group: str, **kw: Any) -> Worker:
        """Run blocking service work in an App-owned thread worker."""
        return self.run_worker(work, name=name, group=group, thread=True, exit_on_error=False, **kw)

    def _call(self, work: Callable[[], Any], done: Callable[[Any], Message], name: str,
              group: str, **kw: Any) -> Worker:  # fmt: skip
        """Run `work` in a worker; post `done(its result)` to the App."""
        return self._spawn(lambda: self.post_message(done(work())), name, group, **kw)

    def _http(self) -> httpx.Client:
        """One HTTP client for the workers (made on the UI thread, shared)."""
        if self._client is None:
            from ..net.client import make_client

            self._client = make_client(self.settings)
        return self._client

    def refresh_installed(self) -> None:
        """Read the receipts again (in a thread) so the browser's installed marks are current."""
        from ..install.receipts import installed_names

        self._call(partial(installed_names, self.settings), m.InstalledRead,
                   "reading the installs", "marks", exclusive=True)  # fmt: skip

    @on(m.InstalledRead)
    def _installed_read(self, message: m.InstalledRead) -> None:
        if self.index is not None:
            old, new = self.index.installed, message.installed
            changed = [n for n in set(old) | set(new) if old.get(n) != new.get(n)]
            self.index.installed = dict(new)
            if changed:
                self.broadcast(partial(m.InstalledChanged, changed))

    @property
    def whole_catalog(self) -> Catalog | None:
        """The catalog, once it is the whole one: not while only the host's own archives are
        read (the first rows' `FamilyCatalog`), which cannot answer for other platforms."""
        from ..service.catalog import FamilyCatalog

        return None if isinstance(self.catalog, FamilyCatalog) else self.catalog

    @property
    def sizes_online(self) -> bool:
        """The network answered this session (a live catalog, or one named with --catalog):
        sizes may be asked for. A catalog that fell back to the snapshot means it did not."""
        catalog = self.catalog
        return not self.settings.offline and catalog is not None and (
            catalog.source in ("live", "file")
        )  # fmt: skip


class SizesWiring(_Wired):
    """service.sizes.SizeScheduler (HEAD requests for the rows on screen) and release
    listings (service.catalog.release_update)."""

    sizes: SizeScheduler

    def want_sizes(self, builds: Iterable[Build]) -> None:
        """The user looks at these rows: ask the download host for their unknown sizes (HEAD,
        a few at a time; no API quota). Offline this does nothing."""
        if not self.sizes_online or self.index is None:
            return
        self.sizes.want(self.index.by_name.get(b.name, b) for b in builds)
        started = self.sizes.next()
        for b in started:
            self._spawn(partial(self._size_thread, b), f"size of {b.name}", "sizes")
        if started:
            self.broadcast(partial(m.SizesChanged, [b.name for b in started]))

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
        self.broadcast(partial(m.SizesChanged, [message.name]))
        self.want_sizes([])  # the next ones in the queue

    def fetch_release(self, tag: str) -> None:
        """Online, once per release: merge its own API listing (every archive, with sizes
        and digests) into the catalog; screens hear CatalogChanged."""
        if self.sizes_online and tag not in self._releases_asked and self.catalog is not None:
            self._releases_asked.add(tag)
            self._spawn(partial(self._release_thread, tag), f"listing release {tag}", "release")

    def _release_thread(self, tag: str) -> None:
        from ..service.catalog import release_update

        catalog, index = self.catalog, self.index
        merged = release_update(self.settings, catalog, tag, self._http()) if catalog else None
        if merged is not None and index is not None:
            new = CatalogIndex(merged, self.host, dict(index.installed))
            self.post_message(m.CatalogLoaded(merged, new, final=not self.loading_catalog))


class InstallWiring(_Wired):
    """service.jobs.JobQueue: the confirm dialog, slots, the install threads, outcomes."""

    jobs: JobQueue

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
        elif not isinstance(self.screen, ConfirmInstall):
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

        target = target_of(self.settings, build)
        job = self.jobs.add(build, target, inferred_promises(self.index, build))
        self.broadcast(partial(m.JobsChanged, [job.id], added=True))
        self._pump_installs()
        where = "" if isinstance(self.screen, InstallsScreen) else " · J shows progress"
        state = "installing" if job.running else "queued:"
        self.notify(f"{state} {job.label}{where}", title="install", timeout=4)
        return job

    def _pump_installs(self) -> None:
        for job in self.jobs.startable():
            job.handle = self._spawn(partial(self._install_thread, job),
                                     f"install {job.build.name}", "install")  # fmt: skip
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
            self.broadcast(partial(m.JobsChanged, [message.job_id]))

    @on(m.JobEnded)
    def _job_ended(self, message: m.JobEnded) -> None:
        outcome, jobs = message.outcome, self.jobs
        if outcome.cancelled:
            job = jobs.cancelled(message.job_id)
        elif outcome.result is not None:
            job = jobs.finished(message.job_id, outcome.result)
            self.refresh_installed()
        else:
            job = jobs.failed(message.job_id, outcome.error, outcome.checks)
        for text, title, severity in outcome_notices(job, outcome) if job is not None else []:
            self.notify(text, title=title, severity=severity, timeout=5 + 5 * (severity == "error"))
        self._job_changed(message.job_id)

    def _job_changed(self, job_id: int) -> None:
        self.broadcast(partial(m.JobsChanged, [job_id]))
        self._pump_installs()

    def cancel_install(self, job_id: int) -> None:
        """x on a job: a queued one is dropped at once, a running one stops within ~1 s."""
        if self.jobs.cancel(job_id) is not None:
            self._job_changed(job_id)

    def clear_ended_jobs(self) -> None:
        self.broadcast(partial(m.JobsChanged, self.jobs.clear_ended(), removed=True))


class InventoryWiring(_Wired):
    """service.inventory.Inventory: installed marks, the inventory, removal and prune."""

    @cached_property
    def inventory(self) -> Inventory:
        """The installed interpreters (made when first asked for: its module brings the
        install code and filelock, which the first paint does not need)."""
        from ..service.inventory import Inventory

        return Inventory()

    def load_inventory(self) -> None:
        """Discover installed interpreters, then who uses them, then their disk use."""
        self.inventory.begin_load()
        self._spawn(self._inventory_thread, "looking for installed interpreters", "inventory",
                    exclusive=True)  # fmt: skip

    def _inventory_thread(self) -> None:
        from ..install.registry import Roots
        from ..service.inventory import load_steps

        worker = get_current_worker()
        roots = self.roots or Roots.from_env()
        for step in load_steps(self.settings, roots, self.whole_catalog, self.host):
            if worker.is_cancelled:
                return
            self.post_message(m.InventoryStep(step))

    @on(m.InventoryStep)
    def _inventory_step(self, message: m.InventoryStep) -> None:
        self.inventory.apply(message.step)
        self.broadcast(partial(m.InventoryChanged, message.step.kind, message.step.path))

    def remove_installs(self, names: list[str]) -> None:
        """Uninstall own installs in an App worker: the result arrives wherever the user is."""
        self.inventory.busy = "removing"
        self.broadcast(partial(m.InventoryChanged, "removing"))
        from ..service.inventory import remove_reporting

        work = partial(remove_reporting, self.settings, names)
        done = lambda outcome: m.RemovalFinished(*outcome)  # noqa: E731
        self._call(work, done, "removing installs", "removal")

    @on(m.RemovalFinished)
    def _removal_finished(self, message: m.RemovalFinished) -> None:
        for n in self.inventory.removal_ended(message.removed, message.error):
            self.notify(n.text, title=n.title, severity=n.severity, timeout=8)
        self.broadcast(partial(m.InventoryChanged, "failed" if message.error else "removed"))
        self.refresh_installed()
        self.load_inventory()

    def plan_prune(self, include_used: bool = False) -> None:
        """Work out what prune would remove (sizes measured first); PruneReady follows."""
        self.inventory.busy = "planning"
        from ..service.inventory import measure_and_plan

        work = partial(measure_and_plan, self.inventory.own(), self.settings, include_used)
        self._call(work, m.PrunePlanned, "planning prune", "prune-plan", exclusive=True)

    def bench_interpreters(self, interps: list[Interpreter]) -> bool:
        """Measure these interpreters' speed in an App worker (one at a time, contained like
        the probe); the Installed screen hears InventoryChanged('bench') as it goes. False
        when a benchmark is under way already."""
        from ..service.inventory import BenchRun

        if self.inventory.bench is not None or not interps:
            return False
        run = BenchRun([str(i.path) for i in interps])
        self.inventory.bench = run
        self.broadcast(partial(m.InventoryChanged, "bench"))
        self._spawn(partial(self._bench_thread, run, list(interps)), "benchmarking", "bench")
        return True

    def cancel_bench(self) -> None:
        """Stop the benchmark: the running step's process group is killed within ~50 ms."""
        if self.inventory.bench is not None:
            self.inventory.bench.cancel.set()

    def _bench_thread(self, run: BenchRun, interps: list[Interpreter]) -> None:
        from ..service.speed import bench_each, load_speeds

        throttle = Throttle()

        def stepped(index: int, label: str, step: str, done: int, total: int) -> None:
            if throttle.ready(f"{index}", step):
                self.post_message(m.BenchStepped(index, label, step, done, total))

        failures: list[str] = []
        cancelled = False
        try:
            failures, cancelled = bench_each(
                self.settings, interps, cancel=run.cancel, on_step=stepped
            )
        except Exception as exc:  # a store that cannot be written: one line, never a crash
            failures = [f"benchmark failed: {exc}"]
        finally:  # always: the screen must not wait for a benchmark that is over
            table, note = load_speeds(self.settings)
            self.post_message(m.BenchFinished(table, note, failures, cancelled))

    @on(m.BenchStepped)
    def _bench_stepped(self, message: m.BenchStepped) -> None:
        run = self.inventory.bench
        if run is not None:
            run.index, run.label, run.step = message.index, message.label, message.step
            run.done, run.total = message.done, message.total
            self.broadcast(partial(m.InventoryChanged, "bench", run.current))

    @on(m.BenchFinished)
    def _bench_finished(self, message: m.BenchFinished) -> None:
        from ..service.speed import attach_speeds

        run, self.inventory.bench = self.inventory.bench, None
        self.inventory.speeds = attach_speeds(self.inventory.interps.values(), message.speeds)
        self.inventory.speed_note = message.note
        for line in message.failures:
            self.notify(line, title="bench failed", severity="error", timeout=10)
        if message.cancelled:
            self.notify("benchmark cancelled; finished results are kept", title="bench")
        elif run is not None and not message.failures:
            count = len(run.paths)
            self.notify(f"benchmarked {count} interpreter{'s' if count != 1 else ''}",
                        title="bench", timeout=4)  # fmt: skip
        self.broadcast(partial(m.InventoryChanged, "speed"))

    @on(Unmount)
    def _stop_bench(self) -> None:
        if "inventory" in self.__dict__:  # made (cached_property): a bench may run
            self.cancel_bench()

    @on(m.PrunePlanned)
    def _prune_planned(self, message: m.PrunePlanned) -> None:
        self.inventory.busy = ""
        self.broadcast(partial(m.PruneReady, message.plan))
