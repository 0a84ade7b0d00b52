"""Archive sizes: the kept ones, and the cheapest way to ask for the rest.

Sizes are kept forever by release tag and asset name (net.cache.SizeCache). Two ways to learn
new ones:
- a HEAD request to the download URL (redirects followed to the file host, no token sent):
  costs no GitHub API quota; used for the rows a user looks at, a few at a time;
- a page of the GitHub releases list (10 releases a page, every asset's size): one API
  request, of 60 an hour without a token; used when it costs fewer requests than HEADs.
`fetch_sizes` picks whichever costs less; `SizeScheduler` decides, for the TUI, which HEADs
to run next (bounded, never the same size twice).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..catalog.models import Build
from ..net.cache import SizeCache
from ..progress import Progress, check_cancel
from ..settings import Settings

if TYPE_CHECKING:  # httpx and the request code load when a size is asked for (the TUI
    # paints its first rows without them)
    import httpx

    from ..net.releases import RateInfo

#: HEAD requests at once (a command); the TUI runs fewer (SizeScheduler.max_in_flight).
HEAD_WORKERS = 8
#: Releases per page of the API's release list.
API_PER_PAGE = 10
#: Below this many unknown sizes, HEAD requests are used even if a page would cost less.
HEAD_ALWAYS = 24
#: A command sends at most this many HEAD requests (the rest stay unknown, and it says so).
MAX_HEADS = 400
HEAD_SOURCE = "HEAD request"


@dataclass
class SizeReport:
    """What a size fetch learnt, and what it cost."""

    found: dict[str, tuple[int, str]] = field(default_factory=dict)  # name -> (size, source)
    unknown: dict[str, str] = field(default_factory=dict)  # name -> why
    api_requests: int = 0
    heads: int = 0
    rate: RateInfo | None = None
    notes: list[str] = field(default_factory=list)

    def apply(self, builds: Iterable[Build]) -> list[Build]:
        """The builds with the sizes found filled in."""
        out = []
        for b in builds:
            got = self.found.get(b.name)
            out.append(b if got is None else b.with_source(size=got[0], size_source=got[1]))
        return out


def pages_needed(tags: Iterable[str], releases_newest_first: Sequence[str]) -> int:
    """API requests to reach every tag through the release list (0: none of them is known)."""
    position = {tag: i for i, tag in enumerate(releases_newest_first)}
    deepest = max((position[t] for t in tags if t in position), default=-1)
    return 0 if deepest < 0 else deepest // API_PER_PAGE + 1


def head_one(client: httpx.Client, settings: Settings, build: Build) -> tuple[int | None, str]:
    """The size of one archive by HEAD on each download host in turn (the mirror alone when
    one is set; a file:// mirror's file is asked by its size); (None, why) if none says it."""
    from ..net.hosts import download_urls
    from ..net.releases import head_size

    reasons = []
    for _, url in download_urls(build.url, settings):
        size, why = head_size(client, url, settings)
        if size is not None:
            return size, ""
        reasons.append(why)
    return None, "; ".join(reasons) or "no download URL"


def fetch_sizes(
    settings: Settings,
    builds: Iterable[Build],
    *,
    releases_newest_first: Sequence[str] = (),
    client: httpx.Client | None = None,
    progress: Callable[[Progress], None] | None = None,
    cancel: threading.Event | None = None,
    allow_api: bool = True,
    max_heads: int = MAX_HEADS,
) -> SizeReport:
    """Learn the unknown sizes of `builds`: release-list pages where they cost fewer
    requests than HEADs (and the quota allows), HEAD requests for the rest. Every size learnt
    is kept."""
    report = SizeReport()
    todo = {b.name: b for b in builds if b.size is None}
    if not todo:
        return report
    if settings.offline:
        report.unknown = {name: "offline" for name in todo}
        return report
    from ..net.client import make_client

    http = client or make_client(settings)
    cache = SizeCache(settings.catalog_cache_dir)
    total = len(todo)
    try:
        pages = pages_needed({b.release for b in todo.values()}, releases_newest_first)
        allow_api = allow_api and settings.uses_github_api  # a mirror: its files say sizes
        if allow_api and pages and len(todo) > HEAD_ALWAYS and pages < len(todo):
            _from_pages(settings, http, todo, pages, report, progress, total, cancel)
        left = list(todo.values())
        if len(left) > max_heads:
            for b in left[max_heads:]:
                report.unknown[b.name] = "not asked: too many for HEAD requests in one run"
            report.notes.append(
                f"{len(left) - max_heads} sizes were not asked for: more than {max_heads} "
                "HEAD requests in one run"
            )
            left = left[:max_heads]
        _from_heads(settings, http, left, report, cache, progress, total, cancel)
    finally:
        if client is None:
            http.close()
    return report


def _from_pages(
    settings: Settings,
    http: httpx.Client,
    todo: dict[str, Build],
    pages: int,
    report: SizeReport,
    progress: Callable[[Progress], None] | None,
    total: int,
    cancel: threading.Event | None,
) -> None:
    """Walk the release list until every wanted release was seen (sizes kept as they come).
    A wanted archive its release's listing does not name is not asked for again by HEAD: the
    listing is the release's whole content (derived names PBS did not publish end here)."""
    from ..net.client import NetError, RateLimited
    from ..net.releases import iter_release_pages

    wanted_tags = {b.release for b in todo.values()}
    seen: set[str] = set()

    def rate(info: RateInfo) -> None:
        report.rate = info

    try:
        for parsed in iter_release_pages(http, settings, API_PER_PAGE, on_rate=rate):
            check_cancel(cancel)
            report.api_requests += 1
            seen |= set(parsed.published)
            for b in parsed.builds + parsed.others:
                if b.name in todo and b.size is not None:
                    report.found[b.name] = (b.size, "GitHub API")
                    del todo[b.name]
                wanted_tags.discard(b.release)
                seen.add(b.release)
            if progress is not None:
                progress(Progress("sizes", len(report.found), total, message="GitHub API"))
            if not wanted_tags or not todo or report.api_requests >= pages + 2:
                break
    except RateLimited as exc:
        report.notes.append(f"{exc}; HEAD requests for the rest")
    except NetError as exc:
        report.notes.append(f"the release list failed ({exc}); HEAD requests for the rest")
    for name, b in list(todo.items()):
        if b.release in seen:
            del todo[name]
            report.unknown[name] = f"release {b.release} does not list it" + (
                " (a name derived from PBS's pattern that PBS did not publish)" if b.derived else ""
            )


def _from_heads(
    settings: Settings,
    http: httpx.Client,
    builds: list[Build],
    report: SizeReport,
    cache: SizeCache,
    progress: Callable[[Progress], None] | None,
    total: int,
    cancel: threading.Event | None,
) -> None:
    if not builds:
        return
    lock = threading.Lock()

    def one(b: Build) -> None:
        if cancel is not None and cancel.is_set():
            return
        size, why = head_one(http, settings, b)
        with lock:
            report.heads += 1
            if size is None:
                report.unknown[b.name] = why
            else:
                report.found[b.name] = (size, HEAD_SOURCE)
            if progress is not None:
                progress(Progress("sizes", len(report.found), total, message="HEAD requests"))

    try:
        with ThreadPoolExecutor(max_workers=HEAD_WORKERS) as pool:
            list(pool.map(one, builds))
    finally:
        # kept even when cancelled or interrupted (Ctrl-C): a size learnt is never asked twice
        cache.update(
            {
                b.size_key: report.found[b.name]
                for b in builds
                if b.name in report.found and report.found[b.name][1] == HEAD_SOURCE
            }
        )
    check_cancel(cancel)


# -- the TUI's scheduler ------------------------------------------------------------------------


@dataclass(frozen=True)
class SizeState:
    """Why a size is still unknown, for the detail pane."""

    pending: bool = False
    reason: str = ""


class SizeScheduler:
    """Which sizes to ask next while a user browses: the rows on screen, by HEAD, a few at a
    time, each name at most once per session. Plain state, changed on one thread (the UI's);
    the caller runs `head_one` for each build `next()` hands out and reports with `done`."""

    def __init__(self, max_in_flight: int = 4, max_queued: int = 24) -> None:
        self.max_in_flight = max_in_flight
        self.max_queued = max_queued
        self.queue: deque[Build] = deque()
        self.in_flight: set[str] = set()
        self.asked: set[str] = set()
        self.failures: dict[str, str] = {}

    def want(self, builds: Iterable[Build]) -> None:
        """The user looks at these (most wanted first): queue the unknown ones not yet asked."""
        fresh = [
            b
            for b in builds
            if b.size is None
            and b.url
            and b.name not in self.asked
            and b.name not in self.in_flight
        ]
        queued = {b.name for b in self.queue}
        # what is on screen now goes first; older wishes keep their place behind it
        self.queue = deque([b for b in fresh if b.name not in queued] + list(self.queue))
        while len(self.queue) > self.max_queued:
            self.queue.pop()

    def next(self) -> list[Build]:
        """Builds to ask about now (marked in flight)."""
        out = []
        while self.queue and len(self.in_flight) < self.max_in_flight:
            b = self.queue.popleft()
            if b.name in self.asked:
                continue
            self.asked.add(b.name)
            self.in_flight.add(b.name)
            out.append(b)
        return out

    def done(self, name: str, size: int | None, reason: str = "") -> None:
        self.in_flight.discard(name)
        if size is None:
            self.failures[name] = reason or "the download server did not say the size"

    def state(self, build: Build) -> SizeState | None:
        if build.name in self.in_flight or any(b.name == build.name for b in self.queue):
            return SizeState(pending=True)
        reason = self.failures.get(build.name)
        return SizeState(reason=reason) if reason else None

    @property
    def busy(self) -> bool:
        return bool(self.in_flight or self.queue)
