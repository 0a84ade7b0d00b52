"""The browser's view model (pure: no textual): which rows, in which order, and what is hidden.

Two ways of looking at the catalog:
- "uv's picks" (the default, calm view): the archive `uv python install` takes for each
  version and variant on this machine, newest patch of each minor; pre-releases, debug
  variants and other hosts hidden until asked for (keys p, d, h);
- "every archive" (key a): every archive of every release, narrowed by the same facets.
The filter box takes the same requests as the CLI (3.12, 3.13t, 3.12.3+debug, 3.14.0rc3,
cpython-3.12-linux-aarch64) plus any words of the file name (musl, aarch64, full). The tree's
counts follow the filter and the facets. `BrowseView` answers fast enough for every keystroke:
facets, mode and node narrow a cached base list; the text then only scans that list (and only
the previous result when the text grew).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .group import FilterError, Filters, Request, parse_options, parse_request, sort_key
from .index import CatalogIndex
from .models import Build

SORTS = ("version", "size, largest first", "size, smallest first")
MODES = ("picks", "all")

#: Choices for the "build options" facet (value passed to parse_options).
OPTION_CHOICES = (
    "none",
    "pgo+lto",
    "pgo",
    "lto",
    "noopt",
    "debug",
    "freethreaded",
    "shared",
    "static",
)


@dataclass(frozen=True)
class NodePath:
    """A node of the version tree: nothing (all), a minor, or a patch."""

    minor: str | None = None
    patch: str | None = None

    def matches(self, b: Build) -> bool:
        if self.minor is None:
            return True
        v = b.version
        if v is None or v.minor_str != self.minor:
            return False
        return self.patch is None or str(v) == self.patch

    @property
    def label(self) -> str:
        if self.minor is None:
            return "all versions"
        return self.patch or self.minor + ".x"


@dataclass(frozen=True)
class Facets:
    """The user's choices besides the text; None means "any"."""

    os: str | None = None
    arch: str | None = None
    level: str | None = None
    libc: str | None = None
    flavor: str | None = None
    options: str | None = None  # one of OPTION_CHOICES
    prereleases: bool = False
    debug: bool = False
    installed_only: bool = False
    show_incompatible: bool = False

    def filters(self) -> Filters:
        return Filters(
            os=self.os,
            arch=self.arch,
            libc=self.libc,
            level=self.level,
            flavor=self.flavor,
            options=parse_options(self.options) if self.options else None,
            prereleases=self.prereleases,
        )

    @property
    def active(self) -> int:
        """How many sidebar facets narrow the list (for the sidebar's title)."""
        fields = (self.os, self.arch, self.level, self.libc, self.flavor, self.options)
        return sum(x is not None for x in fields) + self.installed_only


@dataclass(frozen=True)
class TextQuery:
    """The filter box's words: version requests (as the CLI takes them) and name words."""

    requests: tuple[Request, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requests and not self.words

    @property
    def variants(self) -> set[str]:
        """Variants a request names ('3.12.3+debug' -> {'debug'}); empty if none does."""
        return {r.variant for r in self.requests if r.variant}

    @property
    def exact(self) -> bool:
        """A request for one patch (3.12.3): show that patch, not the newest of its minor."""
        return any(r.exact for r in self.requests)

    def match(self, b: Build, lower: str) -> bool:
        for r in self.requests:
            if not r.matches(b.version):
                return False
            if r.variant is not None and b.variant != r.variant:
                return False
            if r.has_platform and not Filters(request=r).match(b):
                return False
        return all(w in lower for w in self.words)


_VERSIONISH = re.compile(r"^(?:cpython[-@]?)?\d+\.\d+")


def parse_text(text: str) -> TextQuery:
    """Words that read as a version request become requests; the rest match the file name."""
    requests, words = [], []
    for word in text.lower().split():
        if _VERSIONISH.match(word):
            try:
                requests.append(parse_request(word))
                continue
            except FilterError:
                pass
        words.append(word)
    return TextQuery(tuple(requests), tuple(words))


def refines(old: TextQuery, new: TextQuery) -> bool:
    """True when every build matching `new` also matches `old` (so `new` may scan only the
    previous result): the same requests, and each old word grew at most."""
    if old.requests != new.requests or len(new.words) < len(old.words):
        return False
    return all(n.startswith(o) for o, n in zip(old.words, new.words, strict=False))


@dataclass
class BrowseView:
    """The user's choices over an index, and the rows they select."""

    index: CatalogIndex
    mode: str = "picks"
    node: NodePath = field(default_factory=NodePath)
    facets: Facets = field(default_factory=Facets)
    text: str = ""
    sort: str = SORTS[0]
    _pool: list[Build] | None = field(default=None, repr=False)
    _base: list[Build] | None = field(default=None, repr=False)
    _rows: list[Build] | None = field(default=None, repr=False)
    _rows_query: TextQuery | None = field(default=None, repr=False)
    _hidden: list[Build] = field(default_factory=list, repr=False)  # this host cannot run them
    # the tree's rows (every node): pool, requests, pool narrowed by them, rows, their query
    _tree: tuple[list[Build], tuple[Request, ...], list[Build], list[Build], TextQuery] | None = (
        field(default=None, repr=False)
    )
    _counts: tuple[list[Build], dict[str, dict[str, int]]] | None = field(default=None, repr=False)

    # -- changing the choices -----------------------------------------------------------
    def set_index(self, index: CatalogIndex) -> None:
        self.index = index
        self.invalidate()

    def set_mode(self, mode: str) -> None:
        if mode != self.mode:
            self.mode = mode
            self.invalidate()

    def set_node(self, node: NodePath) -> None:
        if node != self.node:
            self.node = node
            self._base = self._rows = None

    def set_facets(self, facets: Facets) -> None:
        if facets != self.facets:
            self.facets = facets
            self.invalidate()

    def toggle(self, name: str) -> bool:
        """Flip a yes/no facet (prereleases, debug, installed_only, show_incompatible)."""
        value = not getattr(self.facets, name)
        changes: dict[str, Any] = {name: value}
        self.set_facets(replace(self.facets, **changes))
        return value

    def set_sort(self, sort: str) -> None:
        if sort != self.sort:
            self.sort = sort
            self._base = self._rows = None

    def next_sort(self) -> str:
        self.set_sort(SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])
        return self.sort

    def set_text(self, text: str) -> None:
        old, new = parse_text(self.text), parse_text(text)
        if new != old:
            if self._pool_key(new) != self._pool_key(old):
                self._pool = self._base = None
            elif new.requests != old.requests:
                self._base = None
            # name words alone narrow the rows incrementally (rows())
        self.text = text

    def _pool_key(self, query: TextQuery) -> tuple[object, ...]:
        """What of the text the pool depends on. Every archive: a request naming a variant
        (3.12.3+debug) or a pre-release (3.14.0rc3). Picks also: whether other platforms are
        named, and whether one patch is asked for."""
        key: tuple[object, ...] = (frozenset(query.variants), _asks_prerelease(query))
        if self.mode == "picks":
            named = bool(query.words) or any(r.has_platform for r in query.requests)
            key += (named, query.exact)
        return key

    def invalidate(self) -> None:
        """Forget cached lists (new index, facets, mode, or sizes that change a size sort)."""
        self._pool = self._base = self._rows = None
        self._tree = self._counts = None

    @property
    def query(self) -> TextQuery:
        return parse_text(self.text)

    # -- answers -------------------------------------------------------------------------
    def pool(self) -> list[Build]:
        """Builds passing mode and facets, not the tree node nor the text (cached)."""
        if self._pool is not None:
            return self._pool
        f, index, query = self.facets, self.index, self.query
        prereleases = f.prereleases or _asks_prerelease(query)
        variants = {"default", "freethreaded"} | query.variants
        if f.debug or f.options == "debug":
            variants |= {"debug", "freethreaded+debug"}
        if self.mode == "picks":
            own_only = self._own_platform_only(query)
            candidates, elsewhere = [], []  # elsewhere: picks of platforms h would add
            for b in index.builds:
                if index.uv_request(b) is None or b.variant not in variants:
                    continue
                if not own_only or self._host_platform(b):
                    candidates.append(b)
                elif index.reason.get(b.name) is not None:
                    elsewhere.append(b)
            if not query.exact:
                candidates = _newest_per_minor(candidates, prereleases)
                elsewhere = _newest_per_minor(elsewhere, prereleases)
        else:
            candidates = [b for b in index.builds if b.variant in variants]
            elsewhere = []
        filters = replace(f.filters(), prereleases=prereleases)
        out: list[Build] = []
        hidden: list[Build] = []
        for b in elsewhere:  # not shown: counted for hidden_matching only
            if filters.match(b) and (not f.installed_only or b.name in index.installed):
                hidden.append(b)
        for b in candidates:
            if not filters.match(b):
                continue
            if f.installed_only and b.name not in index.installed:
                continue
            if not f.show_incompatible and index.reason.get(b.name) is not None:
                hidden.append(b)
                continue
            out.append(b)
        self._hidden = hidden
        self._pool = out
        return out

    def _own_platform_only(self, query: TextQuery) -> bool:
        """Picks of this machine's own platform only (like `uv python list`), unless the
        user names others (words, a platform in a request, facets, h)."""
        f = self.facets
        return not (
            query.words
            or any(r.has_platform for r in query.requests)
            or f.os
            or f.arch
            or f.libc
            or f.level
            or f.show_incompatible
        )

    @property
    def complete(self) -> bool:
        """Whether rows() over this index are the whole catalog's answer: always for a full
        index; for an early (partial) one only in uv's picks of this machine's own platform,
        and with rows to show (an empty answer's "N hidden" counts every platform)."""
        if not self.index.partial:
            return True
        if self.mode != "picks" or not self._own_platform_only(self.query):
            return False
        return bool(self.rows())

    def hidden_matching(self) -> int:
        """Builds the text and node would show but this machine cannot run (h shows them)."""
        self.pool()
        node, query, lower = self.node, self.query, self.index.lower
        return sum(1 for b in self._hidden if node.matches(b) and query.match(b, lower[b.name]))

    def _host_platform(self, b: Build) -> bool:
        """A pick for this machine's own platform (baseline x86-64, its libc)."""
        host = self.index.host
        return (
            b.os == host.os
            and b.arch == host.arch
            and b.libc == host.libc
            and b.arch_level in ("", "v1")
        )

    def base(self) -> list[Build]:
        """The pool narrowed by the tree node and the version requests, in display order."""
        if self._base is None:
            node, query, lower = self.node, self.query, self.index.lower
            requests = TextQuery(query.requests)
            rows = self.pool()
            if node.minor is not None or query.requests:
                rows = [b for b in rows if node.matches(b) and requests.match(b, lower[b.name])]
            rows = self._sorted(rows)
            self._base = rows
            self._rows = None
        return self._base

    def _sorted(self, rows: list[Build]) -> list[Build]:
        if self.sort == SORTS[0]:
            return rows  # the index keeps them in version order
        largest = self.sort == SORTS[1]
        known = [b for b in rows if b.size is not None]
        unknown = [b for b in rows if b.size is None]
        known.sort(key=lambda b: b.size or 0, reverse=largest)
        return known + unknown  # unknown sizes last either way, in version order

    @property
    def sort_is_blind(self) -> bool:
        """A size sort over rows whose sizes are all unknown (it changes nothing)."""
        return self.sort != SORTS[0] and all(b.size is None for b in self.base())

    def rows(self) -> list[Build]:
        """The rows to show: base narrowed by the name words."""
        base = self.base()
        query = self.query
        if self._rows is not None and query == self._rows_query:
            return self._rows
        rows = self._narrow(base, self._rows, self._rows_query, query)
        self._rows, self._rows_query = rows, query
        return rows

    def _narrow(
        self,
        base: list[Build],
        last: list[Build] | None,
        last_query: TextQuery | None,
        query: TextQuery,
    ) -> list[Build]:
        """base narrowed by the query's name words; `last` (the result for `last_query` over
        the same base) is scanned instead when the text only grew."""
        if not query.words:
            return base
        source = base
        if last is not None and last_query is not None and refines(last_query, query):
            source = last  # every match is among the last ones
        words = TextQuery(words=query.words)
        lower = self.index.lower
        rows = [b for b in source if words.match(b, lower[b.name])]
        return source if len(rows) == len(source) else rows  # same list: callers' caches hold

    def tree_counts(self) -> dict[str, dict[str, int]]:
        """minor -> patch -> rows matching everything but the tree node (what the tree shows)."""
        pool, query = self.pool(), self.query
        cached = self._tree
        if self.node.minor is None:
            rows = self.rows()  # the tree's rows are the table's (maybe in another order)
        elif cached is not None and cached[0] is pool and cached[1] == query.requests:
            base, last, last_query = cached[2], cached[3], cached[4]
            rows = last if last_query == query else self._narrow(base, last, last_query, query)
            self._tree = (pool, query.requests, base, rows, query)
        else:
            base = pool
            if query.requests:
                requests, lower = TextQuery(query.requests), self.index.lower
                base = [b for b in pool if requests.match(b, lower[b.name])]
            rows = self._narrow(base, None, None, query)
            self._tree = (pool, query.requests, base, rows, query)
        if self._counts is not None and self._counts[0] is rows:
            return self._counts[1]
        counts: dict[str, dict[str, int]] = {}
        for version, n in Counter(b.version for b in rows if b.version is not None).items():
            counts.setdefault(version.minor_str, {})[str(version)] = n
        self._counts = (rows, counts)
        return counts

    def hint_keys(self) -> list[str]:
        """The keys that widen or narrow this view, each with what it would do:
        'a: +23,334 archives', 'p: pre-releases' (hidden now) or 'p: hide pre-releases'."""
        f = self.facets
        if self.mode == "picks":
            keys = [f"a: +{len(self.index) - len(self.rows()):,} archives"]
        else:
            keys = ["a: uv's picks only"]
        for key, on, what in (
            ("p", f.prereleases, "pre-releases"),
            ("d", f.debug, "debug"),
            ("h", f.show_incompatible, "other hosts"),
        ):
            keys.append(f"{key}: {'hide ' if on else ''}{what}")
        return keys


def _asks_prerelease(query: TextQuery) -> bool:
    return any(r.prerelease for r in query.requests)


def _newest_per_minor(builds: Iterable[Build], prereleases: bool) -> list[Build]:
    """Per (minor, variant, platform): the newest patch; a pre-release only for a minor with
    no final yet (or none at all without `prereleases`). Keeps the index's order."""
    builds = list(builds)
    finals = Counter(
        (b.version.major, b.version.minor, b.variant, b.platform_key)
        for b in builds
        if b.version is not None and not b.version.is_prerelease
    )
    best: dict[tuple, Build] = {}
    for b in builds:
        v = b.version
        if v is None:
            continue
        key = (v.major, v.minor, b.variant, b.platform_key)
        if v.is_prerelease and (finals[key] or not prereleases):
            continue
        current = best.get(key)
        if current is None or (v, b.release) > (current.version, current.release):
            best[key] = b
    chosen = {b.name for b in best.values()}
    return sorted((b for b in builds if b.name in chosen), key=sort_key)
