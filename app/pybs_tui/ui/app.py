"""PybsApp: owns the catalog, the background workers (catalog, sizes) and the global keys.

Workers run on the App (not on a screen) so they survive screen changes; every worker
failure lands in `on_worker_state_changed` and becomes a notification, never a crash.
Installs are App workers too: one thread per job, at most `limits.max_concurrent_installs`
at once (the rest wait queued), progress posted back as `can_replace` messages.
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from ..catalog.group import Host
from ..catalog.index import CatalogIndex
from ..catalog.models import Build, Catalog
from ..catalog.view import SizeState, matches, text_checks
from ..install.receipts import install_dir_name
from ..progress import Progress
from ..resources import styles_dir
from ..settings import Settings
from .messages import (
    CatalogLoaded,
    InstallCancelled,
    InstalledChanged,
    InstallFailed,
    InstallFinished,
    InstallProgress,
    InstallRequested,
    SizesFound,
    SizeUnknown,
)
from .screens.browse import BrowseScreen
from .screens.compare import CompareScreen
from .screens.help import HelpScreen

if TYPE_CHECKING:
    import httpx

    from ..install.pipeline import InstallResult
    from ..install.registry import Roots
    from .widgets.install_pane import InstallJob

#: Style sheets, in load order (see styles/).
STYLE_FILES = ("app.tcss", "browse.tcss", "compare.tcss", "help.tcss", "installs.tcss")
#: HEAD requests for sizes in flight at once, and how many rows one highlight may queue.
MAX_HEADS_IN_FLIGHT = 3
MAX_HEADS_QUEUED = 12
#: Builds offered by "install <name>" in the command palette.
MAX_INSTALL_HITS = 20
#: At most this many progress messages per second per install (phase changes always pass).
PROGRESS_INTERVAL = 0.1
#: Seconds in which a second q quits while installs run.
QUIT_AGAIN = 3.0

#: install_build's signature, injectable for tests (wrap it to slow a phase down).
Installer = Callable[..., "InstallResult"]


class ProgressPoster:
    """Worker-thread side of one job: pipeline reports -> InstallProgress messages.

    Throttled to ~10/s; a new phase or a new message (retry notes, lock waits) always goes
    through, so the pane never misses a step. `post_message` is thread-safe and never blocks.
    """

    def __init__(
        self,
        app: App[Any],
        job_id: int,
        interval: float = PROGRESS_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.job_id = job_id
        self.interval = interval
        self.clock = clock
        self.phase = ""
        self.message = ""
        self.last = 0.0
        self.posted = 0

    def __call__(self, progress: Progress) -> None:
        now = self.clock()
        fresh = progress.phase != self.phase or (
            progress.message and progress.message != self.message
        )
        if not fresh and now - self.last < self.interval:
            return
        self.phase, self.message, self.last = progress.phase, progress.message, now
        self.posted += 1
        self.app.post_message(InstallProgress(self.job_id, progress))


class PybsCommands(Provider):
    """Command palette: compare, filter, refresh, facets, host fit, sort, install <build>."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: PybsApp = self.app  # type: ignore[assignment]
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Refresh catalog", "load the live catalog again (r)", app.action_refresh),
            ("Help", "list every key (?)", app.action_help),
            ("Installs", "the install jobs: progress, cancel (J)", app.action_installs),
            (
                "Installed",
                "installed interpreters: disk use, uninstall, prune (I)",
                app.action_installed,
            ),
        ]
        screen = self.screen
        if isinstance(screen, BrowseScreen):
            commands[:0] = [
                (
                    "Compare",
                    "compare the selected version, row or marked rows (c)",
                    screen.action_compare,
                ),
                ("Filter", "focus the filter box (/)", screen.action_focus_filter),
                ("Facets", "show or hide the facet sidebar (f)", screen.action_toggle_facets),
                (
                    "Host fit",
                    "show or hide builds this machine cannot run (h)",
                    screen.action_toggle_incompatible,
                ),
                ("Sort", "cycle sort: version, size (s)", screen.action_cycle_sort),
            ]
        return commands

    def _install_candidates(self, pattern: str) -> list[Build]:
        """Builds whose name has every word of the pattern (version words at the start,
        as in the filter box): the browser's current rows first, else the whole catalog."""
        app: PybsApp = self.app  # type: ignore[assignment]
        index = app.index
        if index is None:
            return []
        checks = text_checks(pattern)
        browse = app.browse_screen
        pools = [browse.view.rows()] if browse is not None and browse.view is not None else []
        pools.append(index.builds)
        for pool in pools:
            found = [b for b in pool if matches(index.lower[b.name], checks)][:MAX_INSTALL_HITS]
            if found:
                return found
        return []

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)
        yield DiscoveryHit(
            "install …",
            self._noop,
            help="type 'install' and part of a file name, e.g. install 3.12 musl",
        )

    def _noop(self) -> None:
        self.app.notify("type install and part of a build name, e.g. install 3.13 aarch64")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
        words = query.strip().split(maxsplit=1)
        if not words or len(words[0]) < 3 or not "install".startswith(words[0].lower()):
            return
        pattern = words[1] if len(words) > 1 else ""
        style = Style(reverse=True)
        for rank, build in enumerate(self._install_candidates(pattern)):
            text = f"install {build.name}"
            display = Text(text)
            for word in pattern.lower().split():
                display.highlight_words([word], style, case_sensitive=False)
            yield Hit(
                0.99 - rank / 1000,
                display,
                partial(self.app.post_message, InstallRequested(build)),
                text=text,
                help=f"{build.version_str} {build.variant} {build.platform_key} {build.flavor}",
            )


class PybsApp(App[None]):
    """Find, compare (and, with the install pipeline, install) PBS CPython builds."""

    TITLE = "pybs-tui"
    CSS_PATH = [styles_dir() / name for name in STYLE_FILES]
    COMMANDS = App.COMMANDS | {PybsCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", show=False),
        Binding("question_mark", "help", "Help", id="app.help", key_display="?"),
        Binding(
            "r",
            "refresh",
            "Refresh",
            id="app.refresh",
            tooltip="Load the live catalog again (in the background)",
        ),
        Binding(
            "ctrl+t",
            "toggle_dark",
            "Theme",
            id="app.theme",
            show=False,
            tooltip="Toggle light and dark themes",
        ),
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
        """`installer` replaces install_build, `lock_timeout` the wait for the install
        root's lock, `roots` where the Installed screen looks (all for tests)."""
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
        self._notes_shown: set[str] = set()
        self._client: httpx.Client | None = None
        # sizes: tags asked of the API, HEADs queued / in flight, failures by name
        self._tags_pending: set[str] = set()
        self._tags_done: set[str] = set()
        self._tag_failures: dict[str, str] = {}
        self._head_queue: deque[Build] = deque()
        self._heads_in_flight: set[str] = set()
        self._heads_done: set[str] = set()
        self._size_failures: dict[str, str] = {}
        self._wanted: list[Build] = []
        # installs: jobs by id (in start order), the function that installs, quitting
        self.jobs: dict[int, InstallJob] = {}
        self._job_ids = itertools.count(1)
        self._installer = installer
        self.lock_timeout = lock_timeout
        self.roots = roots
        self._quit_asked = -QUIT_AGAIN

    # -- screens -------------------------------------------------------------------------
    def get_default_screen(self) -> Screen:
        return BrowseScreen()

    @property
    def browse_screen(self) -> BrowseScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, BrowseScreen):
                return screen
        return None

    def screen_painted(self, screen: Screen) -> None:
        """The browse screen's first paint: now load the catalog in the background."""
        self.timings.setdefault("first_paint", time.perf_counter())
        if self.catalog is None and not self.loading_catalog:
            self._start_initial_load()

    def _update_screens(self, method: str, *args: object) -> None:
        if not self.is_running:  # shutting down: the screens are being taken apart
            return
        for screen in self.screen_stack:
            func = getattr(screen, method, None)
            if func is not None:
                func(*args)

    def on_mount(self) -> None:
        self.set_interval(60, self._tick_status)

    def on_unmount(self) -> None:
        for job in self.jobs.values():  # their threads stop within a second and clean up
            job.cancel.set()
        if self._client is not None:
            self._client.close()

    async def action_quit(self) -> None:
        """Quit; while installs run, only when asked twice (they are cancelled, not lost)."""
        running = [j for j in self.jobs.values() if not j.ended]
        now = time.monotonic()
        if running and now - self._quit_asked > QUIT_AGAIN:
            self._quit_asked = now
            count = len(running)
            self.notify(
                f"{count} install{'s' if count != 1 else ''} still running: press q "
                "again to cancel and quit",
                severity="warning",
                timeout=QUIT_AGAIN,
            )
            return
        for job in self.jobs.values():
            job.cancel.set()
        self.exit()

    # -- catalog -------------------------------------------------------------------------
    def _start_initial_load(self) -> None:
        """Quick offline catalog first (cache or embedded snapshot), then the live one."""
        settings = self.settings
        if self._given_catalog is not None:
            steps = ["given"]
        elif self.catalog_arg or settings.offline:
            steps = ["catalog"]
        else:
            steps = ["offline", "catalog"]
        self._run_catalog_worker(steps, "loading the catalog")

    def _run_catalog_worker(self, steps: list[str], name: str) -> None:
        self._set_loading(True)
        self.run_worker(
            partial(self._load_catalogs, steps),
            name=name,
            group="catalog",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _read_catalog(self, step: str) -> Catalog:
        """Thread: one source. 'offline' = cache or snapshot, 'catalog' = load_catalog()."""
        from ..service.catalog import load_catalog, load_offline  # httpx: off the UI thread

        if step == "given" and self._given_catalog is not None:
            return self._given_catalog
        if step == "offline":
            return load_offline(self.settings)
        return load_catalog(self.settings, self.catalog_arg)

    def _load_catalogs(self, steps: list[str]) -> None:
        """Thread: each step's catalog is indexed here and posted; the last one is final."""
        from ..install.receipts import installed_names

        worker = get_current_worker()
        self.timings.setdefault("load_started", time.perf_counter())
        for i, step in enumerate(steps):
            final = i == len(steps) - 1
            try:
                catalog = self._read_catalog(step)
                self.timings.setdefault("catalog_read", time.perf_counter())
            except Exception as exc:
                if final:
                    raise
                self.call_from_thread(
                    self.notify, f"quick catalog unavailable: {exc}", severity="warning"
                )
                continue
            index = CatalogIndex(catalog, self.host, installed_names(self.settings))
            self.timings.setdefault("catalog_indexed", time.perf_counter())
            if worker.is_cancelled:
                return
            self.post_message(CatalogLoaded(catalog, index, final=final))

    @on(CatalogLoaded)
    def _catalog_loaded(self, message: CatalogLoaded) -> None:
        from ..service.catalog import describe_source

        self.timings.setdefault("catalog_received", time.perf_counter())
        self.catalog = message.catalog
        self.index = message.index
        self.catalog_status = describe_source(message.catalog, self.settings.clock())
        if message.final:
            self._set_loading(False)
        for note in message.catalog.notes:
            if note not in self._notes_shown:
                self._notes_shown.add(note)
                self.notify(note, title="catalog", severity="warning", timeout=8)
        browse = self.browse_screen
        if browse is not None:
            browse.show_catalog(message.index)
        for screen in self.screen_stack:
            if isinstance(screen, CompareScreen):
                screen.rebuild()
        self.timings.setdefault("catalog_handled", time.perf_counter())
        self.call_after_refresh(
            lambda: self.timings.setdefault("catalog_shown", time.perf_counter())
        )

    def _set_loading(self, loading: bool) -> None:
        self.loading_catalog = loading
        browse = self.browse_screen
        if browse is not None and browse.is_mounted:
            browse.update_status()
        self.refresh_bindings()

    def _tick_status(self) -> None:
        from ..service.catalog import describe_source

        if self.catalog is not None:
            self.catalog_status = describe_source(self.catalog, self.settings.clock())
            browse = self.browse_screen
            if browse is not None:
                browse.update_status()

    def action_refresh(self) -> None:
        """Load the live catalog again in a thread; the current one stays usable."""
        if self.loading_catalog:
            return
        self.notify("refreshing the catalog…", timeout=2)
        self._run_catalog_worker(["catalog"], "refreshing the catalog")

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        from .screens.confirm_install import ConfirmInstall
        from .screens.installed import InstalledScreen
        from .screens.installs import InstallsScreen

        groups = [
            ("browse", [*BrowseScreen.BINDINGS, *_table_bindings()]),
            ("compare", CompareScreen.BINDINGS),
            ("installs (J)", [*InstallsScreen.BINDINGS, *ConfirmInstall.BINDINGS]),
            ("installed (I)", InstalledScreen.BINDINGS),
            ("app", self.BINDINGS),
        ]
        self.push_screen(HelpScreen(groups))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh" and self.loading_catalog:
            return None
        # the Installs and Installed screens do not open from inside a dialog
        return not (action in ("installs", "installed") and isinstance(self.screen, ModalScreen))

    # -- sizes ---------------------------------------------------------------------------
    def _http(self) -> httpx.Client:
        """The one HTTP client for size lookups (created on the UI thread, shared)."""
        if self._client is None:
            from ..net.client import make_client

            self._client = make_client(self.settings)
        return self._client

    def size_state(self, build: Build) -> SizeState | None:
        """Pending or failed lookups of this build's size, for the detail pane."""
        if (
            build.name in self._heads_in_flight
            or build.release in self._tags_pending
            or any(b.name == build.name for b in self._head_queue)
        ):
            return SizeState(pending=True)
        reason = self._size_failures.get(build.name)
        if reason:
            return SizeState(reason=reason)
        return None

    def want_sizes(self, build: Build, visible: Iterable[Build] = ()) -> None:
        """The user looks at `build` (and `visible` rows): fetch unknown sizes, without
        blocking: one API request per release tag, then HEAD for what it did not list."""
        if self.settings.offline or self.index is None:
            return
        current = self.index.by_name.get(build.name, build)
        self._wanted = [
            current,
            *(self.index.by_name.get(b.name, b) for b in visible if b.name != build.name),
        ]
        if current.size is not None:
            return
        self._http()  # create the shared client here, not racing in two workers
        tag = current.release
        if tag and tag not in self._tags_done and tag not in self._tags_pending:
            self._tags_pending.add(tag)
            self.run_worker(
                partial(self._fetch_release_sizes, tag),
                name=f"release:{tag}",
                group="sizes",
                thread=True,
                exit_on_error=False,
            )
            self._update_screens("size_state_changed")
        elif tag in self._tags_done or not tag:
            self._queue_heads()

    def _queue_heads(self) -> None:
        """HEAD the wanted builds whose release was asked already and is still unknown."""
        index = self.index
        if index is None:
            return
        queued = {b.name for b in self._head_queue}
        added = 0
        for b in self._wanted:
            b = index.by_name.get(b.name, b)
            if (
                b.size is not None
                or not b.url
                or b.name in queued
                or b.name in self._heads_in_flight
                or b.name in self._heads_done
                or (b.release and b.release not in self._tags_done)
            ):
                continue
            self._head_queue.append(b)
            queued.add(b.name)
            added += 1
            if added >= MAX_HEADS_QUEUED:
                break
        self._pump_heads()

    def _pump_heads(self) -> None:
        while self._head_queue and len(self._heads_in_flight) < MAX_HEADS_IN_FLIGHT:
            b = self._head_queue.popleft()
            self._heads_in_flight.add(b.name)
            self._heads_done.add(b.name)
            self.run_worker(
                partial(self._head_size, b),
                name=f"head:{b.name}",
                group="sizes",
                thread=True,
                exit_on_error=False,
            )
        self._update_screens("size_state_changed")

    def _fetch_release_sizes(self, tag: str) -> None:
        """Thread: one API request for the release; post the sizes it lists."""
        from ..net.client import NetError
        from ..net.releases import fetch_release

        try:
            parsed = fetch_release(self._http(), self.settings, tag)
        except NetError as exc:
            self.post_message(SizeUnknown([], f"the GitHub API gave no sizes ({exc})", tag=tag))
            return
        sizes = {b.name: b.size for b in parsed.builds + parsed.others if b.size is not None}
        self.post_message(SizesFound(sizes, tag=tag, source="api"))

    def _head_size(self, build: Build) -> None:
        """Thread: Content-Length of one archive by HEAD, remembered by sha256."""
        from ..net.cache import SizeCache
        from ..net.releases import head_size

        size = head_size(self._http(), build.url)
        if size is None:
            self.post_message(
                SizeUnknown([build.name], "a HEAD request to the download server gave no size")
            )
            return
        if build.sha256:
            SizeCache(self.settings.catalog_cache_dir).update({build.sha256: size})
        self.post_message(SizesFound({build.name: size}, source="head"))

    @on(SizesFound)
    def _sizes_found(self, message: SizesFound) -> None:
        if message.tag:
            self._tags_pending.discard(message.tag)
            self._tags_done.add(message.tag)
        changed = self.index.set_sizes(message.sizes) if self.index is not None else []
        if changed:
            self._update_screens("sizes_changed", changed)
        if message.tag:
            self._queue_heads()  # what the release did not list: ask the download server
        else:
            self._update_screens("size_state_changed")

    @on(SizeUnknown)
    def _size_unknown(self, message: SizeUnknown) -> None:
        if message.tag:
            self._tags_pending.discard(message.tag)
            self._tags_done.add(message.tag)
            self._tag_failures[message.tag] = message.reason
            self._queue_heads()
        for name in message.names:
            build = self.index.by_name.get(name) if self.index is not None else None
            tag_reason = self._tag_failures.get(build.release, "") if build else ""
            reason = message.reason
            self._size_failures[name] = f"{reason}; {tag_reason}" if tag_reason else reason
        self._update_screens("size_state_changed")

    # -- workers -------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes are handled: failures become notifications, a
        crashed install becomes the error of its pane."""
        worker = event.worker
        name = worker.name or "worker"
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return
        if worker.group == "install":
            self._install_worker_ended(worker, event.state)
            return
        if worker.group == "catalog" and event.state != WorkerState.CANCELLED:
            self._set_loading(False)
            browse = self.browse_screen
            if event.state == WorkerState.ERROR and browse is not None:
                browse.catalog_failed(str(worker.error))
        if name.startswith("head:"):
            self._heads_in_flight.discard(name[5:])
            if event.state == WorkerState.ERROR:
                self._size_failures[name[5:]] = f"size lookup failed: {worker.error}"
            self._pump_heads()
        elif name.startswith("release:") and event.state == WorkerState.ERROR:
            tag = name[8:]
            self._tags_pending.discard(tag)
            self._tags_done.add(tag)
            self._queue_heads()
        if event.state == WorkerState.ERROR:
            self.notify(
                f"{name} failed: {worker.error}",
                title="background task",
                severity="error",
                timeout=10,
            )

    # -- installs --------------------------------------------------------------------------
    @on(InstallRequested)
    def _install_requested(self, message: InstallRequested) -> None:
        self.request_install(message.build)

    def request_install(self, build: Build) -> None:
        """Ask first (ConfirmInstall); on yes, queue the install."""
        from .screens.confirm_install import ConfirmInstall, plan_install

        busy = self._job_for(build.name)
        if busy is not None:
            self.notify(
                f"{build.name} is already {busy.phase}: press J to watch",
                title="install",
                timeout=4,
            )
            return
        if isinstance(self.screen, ConfirmInstall):
            return
        self.push_screen(
            ConfirmInstall(plan_install(self.settings, build)),
            partial(self._install_confirmed, build),
        )

    def _install_confirmed(self, build: Build, confirmed: bool | None) -> None:
        if confirmed:
            self.start_install(build)

    def _job_for(self, name: str) -> InstallJob | None:
        """The queued or running job of this archive, if any."""
        for job in self.jobs.values():
            if job.build.name == name and not job.ended:
                return job
        return None

    @property
    def install_slots(self) -> int:
        return max(1, self.settings.limits.max_concurrent_installs)

    def start_install(self, build: Build) -> InstallJob:
        """Queue an install of `build` (no questions asked); it starts when a slot is free."""
        from .screens.installs import InstallsScreen  # not before first paint
        from .widgets.install_pane import InstallJob

        job = InstallJob(
            next(self._job_ids),
            build,
            self.settings.install_dir / install_dir_name(build.name),
            created=self.settings.clock(),
        )
        self.jobs[job.id] = job
        self._update_screens("job_added", job)
        self._pump_installs()
        where = "" if isinstance(self.screen, InstallsScreen) else " · J shows progress"
        state = "installing" if job.running else "queued:"
        self.notify(f"{state} {_label(build)}{where}", title="install", timeout=4)
        return job

    def _pump_installs(self) -> None:
        """Start queued jobs while fewer than `install_slots` run."""
        running = sum(1 for j in self.jobs.values() if j.running)
        for job in self.jobs.values():
            if running >= self.install_slots:
                break
            if job.phase != "queued":
                continue
            job.started = self.settings.clock()
            job.phase = "start"
            job.worker = self.run_worker(
                partial(self._install_thread, job),
                thread=True,
                exit_on_error=False,
                group="install",
                name=f"install {job.build.name}",
            )
            running += 1
            self._update_screens("job_changed", job)

    def _install_thread(self, job: InstallJob) -> None:
        """Thread: run the pipeline; the outcome goes back as one message."""
        from ..progress import Cancelled, InstallError
        from ..service.install import install_build

        installer = self._installer or install_build
        kwargs: dict[str, Any] = {"progress": ProgressPoster(self, job.id), "cancel": job.cancel}
        if self.lock_timeout is not None:
            kwargs["lock_timeout"] = self.lock_timeout
        try:
            result = installer(self.settings, job.build, **kwargs)
        except Cancelled:
            self.post_message(InstallCancelled(job.id))
            return
        except InstallError as exc:
            self.post_message(InstallFailed(job.id, _one_line(str(exc))))
            return
        self.post_message(InstallFinished(job.id, result))

    def _end_job(self, job: InstallJob, phase: str, error: str = "") -> None:
        job.phase = phase
        job.error = error
        job.ended_at = self.settings.clock()
        self._update_screens("job_changed", job)
        self._pump_installs()

    @on(InstallProgress)
    def _install_progress(self, message: InstallProgress) -> None:
        job = self.jobs.get(message.job_id)
        if job is None or job.ended:
            return
        job.apply(message.progress)
        if job.ended:  # the pipeline's "done" comes just before the result: the job ends
            job.phase = "finish"  # with the InstallFinished message, result and all
        self._update_screens("job_changed", job)

    @on(InstallFinished)
    def _install_finished(self, message: InstallFinished) -> None:
        job = self.jobs.get(message.job_id)
        if job is None:
            return
        job.result = message.result
        self._end_job(job, "done")
        if message.result.already_installed:
            self.notify(f"{_label(job.build)} was installed already", title="install")
        else:
            self.notify(f"installed {_label(job.build)}", title="install done")
        self.refresh_installed()

    @on(InstallFailed)
    def _install_failed(self, message: InstallFailed) -> None:
        job = self.jobs.get(message.job_id)
        if job is None:
            return
        self._end_job(job, "failed", message.error)
        self.notify(
            message.error,
            title=f"install of {job.build.version_str} failed",
            severity="error",
            timeout=10,
        )

    @on(InstallCancelled)
    def _install_cancelled(self, message: InstallCancelled) -> None:
        job = self.jobs.get(message.job_id)
        if job is None:
            return
        self._end_job(job, "cancelled")
        self.notify(
            f"cancelled {_label(job.build)}; nothing was left behind", title="install", timeout=4
        )

    def _install_worker_ended(self, worker: Worker[Any], state: WorkerState) -> None:
        """A job's thread ended: if it crashed (a bug, not an InstallError), say so."""
        job = next((j for j in self.jobs.values() if j.worker is worker), None)
        if job is None or job.ended or state == WorkerState.SUCCESS:
            return  # SUCCESS: its outcome message is on the way or handled
        error = (
            f"install crashed: {_one_line(repr(worker.error))}"
            if state == WorkerState.ERROR
            else "install stopped"
        )
        self._end_job(job, "failed" if state == WorkerState.ERROR else "cancelled", error)
        self.notify(
            error, title=f"install of {job.build.version_str} failed", severity="error", timeout=10
        )

    def cancel_install(self, job_id: int) -> None:
        """x on a job: a queued one is dropped at once, a running one stops within ~1 s."""
        job = self.jobs.get(job_id)
        if job is None or job.ended:
            return
        job.cancel.set()
        if job.started is None:
            self._end_job(job, "cancelled")
        else:
            self._update_screens("job_changed", job)

    def clear_ended_jobs(self) -> None:
        ended = [job_id for job_id, job in self.jobs.items() if job.ended]
        for job_id in ended:
            del self.jobs[job_id]
        self._update_screens("jobs_removed", ended)

    def action_installs(self) -> None:
        """Open the Installs screen (J again, or escape, closes it)."""
        from .screens.installs import InstallsScreen

        if isinstance(self.screen, InstallsScreen):
            self.pop_screen()
            return
        self.push_screen(InstallsScreen())

    def action_installed(self) -> None:
        """Open the Installed screen: own installs and other tools' interpreters."""
        from .screens.installed import InstalledScreen

        if isinstance(self.screen, InstalledScreen):
            return
        self.push_screen(
            InstalledScreen(self.settings, lambda: self.catalog, roots=self.roots, host=self.host)
        )

    # -- installed marks -------------------------------------------------------------------
    def refresh_installed(self) -> None:
        """Read the receipts again (in a thread) so the browser's ✓ marks are current."""
        self.run_worker(
            self._read_installed,
            thread=True,
            exclusive=True,
            group="installed-marks",
            name="reading the installs",
            exit_on_error=False,
        )

    def _read_installed(self) -> None:
        from ..install.receipts import installed_names

        self.post_message(InstalledChanged(installed_names(self.settings)))

    @on(InstalledChanged)
    def _installed_changed(self, message: InstalledChanged) -> None:
        index = self.index
        if index is None or not self.is_running:
            return
        old, new = index.installed, message.installed
        changed = [n for n in set(old) | set(new) if old.get(n) != new.get(n)]
        index.installed = dict(new)
        browse = self.browse_screen
        if changed and browse is not None and browse.view is not None:
            browse.sizes_changed(changed)  # re-reads these rows (and the filters) from the index

    def on_removal_finished(self, message: Message) -> None:
        """The Installed screen removed installs (its message bubbles up to here)."""
        self.refresh_installed()


def _label(build: Build) -> str:
    """'3.12.3 default install_only' for notifications."""
    return f"{build.version_str} {build.variant} {build.flavor}"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:400]


def _table_bindings() -> list:
    from .widgets.build_table import BuildTable

    return [b for b in BuildTable.BINDINGS if isinstance(b, Binding) and b.id]


def _detect_host() -> Host:
    from ..host import detect_host

    return detect_host()


def run_app(args: argparse.Namespace) -> int:
    """`pybs-tui` without a subcommand: open the browser."""
    from ..cli.common import settings_from_args

    settings = settings_from_args(args)
    PybsApp(settings, catalog_arg=getattr(args, "catalog", None)).run()
    return 0
