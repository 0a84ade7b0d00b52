"""PybsApp: owns the catalog, the background workers (catalog, sizes) and the global keys.

Workers run on the App (not on a screen) so they survive screen changes; every worker
failure lands in `on_worker_state_changed` and becomes a notification, never a crash.
"""

from __future__ import annotations

import argparse
import time
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import App
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from ..catalog.group import Host
from ..catalog.models import Build, Catalog
from ..resources import styles_dir
from ..settings import Settings
from .messages import CatalogLoaded, InstallRequested, SizesFound, SizeUnknown
from .screens.browse import BrowseScreen
from .screens.compare import CompareScreen
from .screens.help import HelpScreen
from .widgets.browse_model import CatalogIndex, SizeState, matches, text_checks

if TYPE_CHECKING:
    import httpx

#: Style sheets, in load order (see styles/).
STYLE_FILES = ("app.tcss", "browse.tcss", "compare.tcss", "help.tcss")
#: HEAD requests for sizes in flight at once, and how many rows one highlight may queue.
MAX_HEADS_IN_FLIGHT = 3
MAX_HEADS_QUEUED = 12
#: Builds offered by "install <name>" in the command palette.
MAX_INSTALL_HITS = 20


class PybsCommands(Provider):
    """Command palette: compare, filter, refresh, facets, host fit, sort, install <build>."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app: PybsApp = self.app  # type: ignore[assignment]
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Refresh catalog", "load the live catalog again (r)", app.action_refresh),
            ("Help", "list every key (?)", app.action_help),
        ]
        screen = self.screen
        if isinstance(screen, BrowseScreen):
            commands[:0] = [
                ("Compare", "compare the selected version, row or marked rows (c)",
                 screen.action_compare),
                ("Filter", "focus the filter box (/)", screen.action_focus_filter),
                ("Facets", "show or hide the facet sidebar (f)", screen.action_toggle_facets),
                ("Host fit", "show or hide builds this machine cannot run (h)",
                 screen.action_toggle_incompatible),
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
        yield DiscoveryHit("install …", self._noop,
                           help="type 'install' and part of a file name, e.g. install 3.12 musl")

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
            yield Hit(0.99 - rank / 1000, display,
                      partial(self.app.post_message, InstallRequested(build)), text=text,
                      help=f"{build.version_str} {build.variant} {build.platform_key} "
                           f"{build.flavor}")


class PybsApp(App[None]):
    """Find, compare (and, with the install pipeline, install) PBS CPython builds."""

    TITLE = "pybs-tui"
    CSS_PATH = [styles_dir() / name for name in STYLE_FILES]
    COMMANDS = App.COMMANDS | {PybsCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", show=False),
        Binding("question_mark", "help", "Help", id="app.help", key_display="?"),
        Binding("r", "refresh", "Refresh", id="app.refresh",
                tooltip="Load the live catalog again (in the background)"),
        Binding("ctrl+t", "toggle_dark", "Theme", id="app.theme", show=False,
                tooltip="Toggle light and dark themes"),
    ]

    def __init__(self, settings: Settings, *, catalog: Catalog | None = None,
                 host: Host | None = None, catalog_arg: str | None = None) -> None:
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
        for screen in self.screen_stack:
            func = getattr(screen, method, None)
            if func is not None:
                func(*args)

    def on_mount(self) -> None:
        self.set_interval(60, self._tick_status)

    def on_unmount(self) -> None:
        if self._client is not None:
            self._client.close()

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
        self.run_worker(partial(self._load_catalogs, steps), name=name, group="catalog",
                        thread=True, exclusive=True, exit_on_error=False)

    def _read_catalog(self, step: str) -> Catalog:
        """Thread: one source. 'offline' = cache or snapshot, 'catalog' = load_catalog()."""
        from ..catalog_loader import load_catalog, load_offline  # httpx: off the UI thread

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
                self.call_from_thread(self.notify, f"quick catalog unavailable: {exc}",
                                      severity="warning")
                continue
            index = CatalogIndex(catalog, self.host, installed_names(self.settings))
            self.timings.setdefault("catalog_indexed", time.perf_counter())
            if worker.is_cancelled:
                return
            self.post_message(CatalogLoaded(catalog, index, final=final))

    @on(CatalogLoaded)
    def _catalog_loaded(self, message: CatalogLoaded) -> None:
        from ..catalog_loader import describe_source

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
            lambda: self.timings.setdefault("catalog_shown", time.perf_counter()))

    def _set_loading(self, loading: bool) -> None:
        self.loading_catalog = loading
        browse = self.browse_screen
        if browse is not None and browse.is_mounted:
            browse.update_status()
        self.refresh_bindings()

    def _tick_status(self) -> None:
        from ..catalog_loader import describe_source

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
        groups = [("browse", [*BrowseScreen.BINDINGS, *_table_bindings()]),
                  ("compare", CompareScreen.BINDINGS), ("app", self.BINDINGS)]
        self.push_screen(HelpScreen(groups))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "refresh" and self.loading_catalog:
            return None
        return True

    # -- sizes ---------------------------------------------------------------------------
    def _http(self) -> httpx.Client:
        """The one HTTP client for size lookups (created on the UI thread, shared)."""
        if self._client is None:
            from ..net.client import make_client

            self._client = make_client(self.settings)
        return self._client

    def size_state(self, build: Build) -> SizeState | None:
        """Pending or failed lookups of this build's size, for the detail pane."""
        if build.name in self._heads_in_flight or build.release in self._tags_pending or \
                any(b.name == build.name for b in self._head_queue):
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
        self._wanted = [current, *(self.index.by_name.get(b.name, b) for b in visible
                                   if b.name != build.name)]
        if current.size is not None:
            return
        self._http()  # create the shared client here, not racing in two workers
        tag = current.release
        if tag and tag not in self._tags_done and tag not in self._tags_pending:
            self._tags_pending.add(tag)
            self.run_worker(partial(self._fetch_release_sizes, tag), name=f"release:{tag}",
                            group="sizes", thread=True, exit_on_error=False)
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
            if (b.size is not None or not b.url or b.name in queued
                    or b.name in self._heads_in_flight or b.name in self._heads_done
                    or (b.release and b.release not in self._tags_done)):
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
            self.run_worker(partial(self._head_size, b), name=f"head:{b.name}",
                            group="sizes", thread=True, exit_on_error=False)
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
            self.post_message(SizeUnknown([build.name], "a HEAD request to the download "
                                          "server gave no size"))
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

    # -- workers and installs ------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker outcomes are handled: failures become notifications."""
        worker = event.worker
        name = worker.name or "worker"
        if event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
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
            self.notify(f"{name} failed: {worker.error}", title="background task",
                        severity="error", timeout=10)

    @on(InstallRequested)
    def _install_requested(self, message: InstallRequested) -> None:
        """Placeholder until the install pipeline lands: say what would be installed."""
        self.notify(f"install: {message.build.name}", title="install")


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
