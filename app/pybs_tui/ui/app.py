"""PybsApp, the shell: global keys, App-owned thread workers that call the service layer, and
typed messages to the screens. The state it holds lives in service objects (CatalogIndex,
SizeScheduler, JobQueue, Inventory); screens read it and ask through the methods below.

Every worker belongs to the App, so work survives a screen being closed (an uninstall started
on the Installed screen still ends, is noticed and updates the browser). Every worker failure
lands in `on_worker_state_changed` and becomes a notification, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import threading
import time
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState, get_current_worker

from ..catalog.group import Host
from ..catalog.index import CatalogIndex, in_host_family
from ..catalog.models import Catalog
from ..progress import Terminated
from ..resources import styles_dir
from ..service.jobs import Installer, JobQueue
from ..service.sizes import SizeScheduler
from ..settings import Settings
from . import messages as m
from .commands import PybsCommands
from .screens.browse import BrowseScreen
from .wiring import InstallWiring, InventoryWiring, SizesWiring

if TYPE_CHECKING:
    import httpx

    from ..install.registry import Roots

#: the first screen's styles; every other screen loads its own when first shown (CSS_PATH)
STYLE_FILES = ("app", "browse")
QUIT_AGAIN = 3.0  # seconds in which a second q quits while installs run
FIRST_ROWS_WAIT = 10.0  # seconds the live catalog waits at most for the quick one's rows


class PybsApp(SizesWiring, InstallWiring, InventoryWiring):
    """Find, compare, install and remove PBS CPython builds."""

    TITLE = "pybs-tui"
    CSS_PATH = [styles_dir() / f"{name}.tcss" for name in STYLE_FILES]
    COMMANDS = App.COMMANDS | {PybsCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", show=False),
        Binding("question_mark", "help", "Help", id="app.help", key_display="?"),
        Binding("r", "refresh", "Refresh", id="app.refresh", tooltip="Load the live catalog again"),
        Binding("ctrl+t", "toggle_dark", "Theme", id="app.theme", show=False),
        Binding("J", "installs", "Installs", id="app.installs", key_display="J",
                tooltip="Install jobs: phase, bytes, rate, ETA, probed flags; x cancels"),
        Binding("I", "installed", "Installed", id="app.installed", key_display="I",
                tooltip="Installed interpreters: disk use, used by, uninstall, prune"),
    ]  # fmt: skip

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
        self.settings, self.catalog_arg, self.roots = settings, catalog_arg, roots
        self.host: Host = host if host is not None else _detect_host()
        self._given_catalog, self._installer, self.lock_timeout = catalog, installer, lock_timeout
        self.catalog: Catalog | None = None
        self.index: CatalogIndex | None = None
        self.catalog_status, self.loading_catalog = "", False
        self.timings: dict[str, float] = {"created": time.perf_counter()}
        #: set once the quick (offline) catalog's rows are on screen: the live catalog's
        #: requests start only then, so the first rows never wait for the network
        self.first_rows_shown = threading.Event()
        self.sizes = SizeScheduler()
        self.jobs = JobQueue(settings.limits.max_concurrent_installs, settings.clock)
        self._client: httpx.Client | None = None
        self._releases_asked: set[str] = set()
        self._notes_shown: set[str] = set()
        self._quit_asked = -QUIT_AGAIN
        self.terminated = False  # SIGTERM ended the app (run_app then raises Terminated)

    async def run_async(self, **kwargs: Any) -> Any:
        """Textual's run, with SIGTERM taken on the event loop: it ends the app like a quit
        (installs cancelled, the terminal restored) instead of raising in whichever of
        textual's tasks happens to run."""
        with _sigterm_ends(self):
            return await super().run_async(**kwargs)

    def terminate(self) -> None:
        """SIGTERM: cancel every install and leave as `q q` does; before the browser's first
        paint, right after it (an exit while the first screen mounts races its on_mount)."""
        self.terminated = True
        self.jobs.cancel_all()
        if "first_paint" in self.timings:
            self.exit()

    def get_default_screen(self) -> Screen:
        return BrowseScreen()

    def screen_painted(self, screen: Screen) -> None:
        """The browser's first paint (the catalog is loading since the App was mounted)."""
        self.timings.setdefault("first_paint", time.perf_counter())
        if self.terminated:  # SIGTERM came while the screen was being mounted
            self.exit()

    def on_mount(self) -> None:
        """Load the catalog at once, in a thread beside the first paint: the embedded or
        cached snapshot first (its rows are painted before anything goes to the network),
        then the live catalog."""
        if self.catalog is None and not self.loading_catalog:
            given = self._given_catalog is not None
            online = not (given or self.catalog_arg or self.settings.offline)
            self._load(["offline", "catalog"] if online else ["given" if given else "catalog"])
        self.set_interval(60, self._tick_status)

    def on_unmount(self) -> None:
        gc.unfreeze()  # what the app held may be collected again (tests run many apps)
        self.first_rows_shown.set()  # a catalog worker waiting for a paint: it ends now
        self.jobs.cancel_all()  # their threads stop within a second and clean up
        if self._client is not None:
            self._client.close()

    async def action_quit(self) -> None:
        """Quit; while installs run, only when asked twice (they are cancelled, not lost)."""
        running = sum(1 for j in self.jobs.jobs.values() if not j.ended)
        if running and time.monotonic() - self._quit_asked > QUIT_AGAIN:
            self._quit_asked = time.monotonic()
            self.notify(f"{running} install(s) still running: press q again to cancel and quit",
                        severity="warning", timeout=QUIT_AGAIN)  # fmt: skip
            return
        self.jobs.cancel_all()
        self.exit()

    # -- catalog ---------------------------------------------------------------------------
    def _load(self, steps: list[str]) -> None:
        self.loading_catalog = True
        self.broadcast(m.CatalogChanged)
        self.refresh_bindings()
        self._spawn(partial(self._load_thread, steps), "loading the catalog", "catalog",
                    exclusive=True)  # fmt: skip

    def _load_thread(self, steps: list[str]) -> None:
        """Thread: each step's catalog, indexed here; the last one is final. A step after a
        quick one waits until the quick one's rows are painted (FIRST_ROWS_WAIT at most)."""
        from ..install.receipts import installed_names
        from ..service.catalog import load_family, load_step

        worker = get_current_worker()
        self.timings.setdefault("load_started", time.perf_counter())
        posted = False
        for i, step in enumerate(steps):
            if posted:  # a quick catalog went to the screen: its rows first, then the rest
                self.first_rows_shown.wait(FIRST_ROWS_WAIT)
            if worker.is_cancelled:
                return
            family = None
            if not self.first_rows_shown.is_set() and step != "given":
                # the host's own archives of the packed form, made before the rest: the
                # early index needs only them (each equal to the whole read's)
                try:
                    family = load_family(self.settings, step, in_host_family(self.host),
                                         self.catalog_arg)  # fmt: skip
                except Exception:  # never worse than before: the step's own load answers
                    family = None
            if family is not None:
                self.timings.setdefault("catalog_read", time.perf_counter())
                early = CatalogIndex.early(family, self.host, installed_names(self.settings),
                                           total=family.archives)  # fmt: skip
                if not self._first_rows(worker, family, early):
                    return
            try:
                catalog = load_step(self.settings, step, self.catalog_arg, self._given_catalog)
            except Exception as exc:
                if i == len(steps) - 1:
                    raise
                self.call_from_thread(self.notify, f"quick catalog unavailable: {exc}")
                continue
            self.timings.setdefault("catalog_read", time.perf_counter())
            installed = installed_names(self.settings)
            # without the family read: the default view's rows from this host's own archives
            # first (exactly the full index's rows); the full index once they are painted
            if (
                family is None
                and not self.first_rows_shown.is_set()
                and not self._first_rows(
                    worker, catalog, CatalogIndex.early(catalog, self.host, installed)
                )
            ):
                return
            index = CatalogIndex(catalog, self.host, installed)
            if not worker.is_cancelled:
                posted = True
                self.timings.setdefault("full_index", time.perf_counter())
                self.post_message(m.CatalogLoaded(catalog, index, final=i == len(steps) - 1))

    def _first_rows(self, worker: Worker, catalog: Catalog, early: CatalogIndex) -> bool:
        """Thread: post the early index's rows and wait until they are painted; False once
        the worker is cancelled."""
        if worker.is_cancelled:
            return False
        self.post_message(m.CatalogLoaded(catalog, early, final=False))
        self.first_rows_shown.wait(FIRST_ROWS_WAIT)
        return not worker.is_cancelled

    @on(m.CatalogLoaded)
    def _catalog_loaded(self, message: m.CatalogLoaded) -> None:
        if self.index is not None:
            message.index.adopt_sizes(self.index)
        self.catalog, self.index = message.catalog, message.index
        self.loading_catalog = not message.final
        for note in message.catalog.notes:
            if note not in self._notes_shown:
                self._notes_shown.add(note)
                self.notify(note, title="catalog", severity="warning", timeout=8)
        self._tick_status()
        self.refresh_bindings()
        self.timings.setdefault("catalog_handled", time.perf_counter())
        if not message.index.partial:
            self.timings.setdefault("full_index_handled", time.perf_counter())
            # the catalog's ~100k objects live as long as the app: out of the collector's
            # full scans, which otherwise land on a keystroke now and then (50-100 ms each);
            # given back to it when the app ends (on_unmount)
            gc.freeze()
        self.call_after_refresh(self._rows_shown, message.index.partial)

    def _rows_shown(self, partial: bool = False) -> None:
        """The frame with the catalog's rows is painted."""
        now = time.perf_counter()
        self.timings.setdefault("catalog_shown", now)
        if not partial:
            self.timings.setdefault("full_index_shown", now)
        self.first_rows_shown.set()

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
                if state == WorkerState.ERROR:
                    self.jobs.failed(job.id, f"install crashed: {worker.error!r}")
                else:
                    self.jobs.cancelled(job.id)
                self._job_changed(job.id)
        elif worker.group == "catalog" and state == WorkerState.ERROR:
            self.loading_catalog = False
            self.broadcast(partial(m.CatalogChanged, error=str(worker.error)))
        elif worker.group in ("inventory", "removal", "prune-plan"):
            self.inventory.busy = ""
            self.broadcast(partial(m.InventoryChanged, "failed"))
        if state == WorkerState.ERROR:
            self.notify(f"{worker.name} failed: {worker.error}", title="background task",
                        severity="error", timeout=10)  # fmt: skip

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


def _detect_host() -> Host:
    from ..host import detect_host

    return detect_host()


@contextlib.contextmanager
def _sigterm_ends(app: PybsApp) -> Iterator[None]:
    """While the app's loop runs, SIGTERM calls `app.terminate` from the loop (main thread
    only); the Python-level handler of before is put back afterwards."""
    loop = asyncio.get_running_loop()
    previous = signal.getsignal(signal.SIGTERM)
    try:
        loop.add_signal_handler(signal.SIGTERM, app.terminate)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, no signals
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGTERM)  # which leaves SIG_DFL behind
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run_app(settings: Settings, catalog_arg: str | None = None) -> int:
    """`pybs-tui` without a subcommand: open the browser. Its exit status: 0, or non-zero
    when an exception ended the app (textual has then printed the traceback). SIGTERM ends
    it like a quit, then raises `Terminated` (the caller's one line and exit 143)."""
    app = PybsApp(settings, catalog_arg=catalog_arg)
    app.run()
    if app.terminated:
        raise Terminated
    return app.return_code or 0
