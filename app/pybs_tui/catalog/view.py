"""The browser's view model (pure Python, no textual): index, facets, filtering, sorting.

`CatalogIndex` precomputes what filtering needs (lower-case names, host fit, uv's picks,
same-release groups) once per catalog, off the UI thread. `BrowseView` keeps the user's
choices (tree node, facets, filter text, sort) and answers "which rows, in which order" fast
enough to run on every keystroke: facets and the tree node narrow a cached base list, the
text filter then only scans that list (and only the previous result when the text grew).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .group import (
    Filters,
    describe_source,
    parse_options,
)
from .index import CatalogIndex
from .models import FLAG_MEANINGS, Build, Catalog

SORTS = ("version", "size, largest first", "size, smallest first")

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
    """A node of the version tree: nothing (all), a minor, a patch, or a variant."""

    minor: str | None = None
    patch: str | None = None
    variant: str | None = None

    def matches(self, b: Build) -> bool:
        if self.minor is None:
            return True
        v = b.version
        if v is None or v.minor_str != self.minor:
            return False
        if self.patch is not None and str(v) != self.patch:
            return False
        return self.variant is None or b.variant == self.variant

    @property
    def label(self) -> str:
        if self.minor is None:
            return "all versions"
        if self.patch is None:
            return self.minor + ".x"
        return self.patch + (f" {self.variant}" if self.variant else "")


@dataclass(frozen=True)
class Facets:
    """The sidebar's choices; None means "any"."""

    os: str | None = None
    arch: str | None = None
    level: str | None = None
    libc: str | None = None
    flavor: str | None = None
    options: str | None = None  # one of OPTION_CHOICES
    prereleases: bool = True
    installed_only: bool = False
    show_incompatible: bool = False

    def filters(self) -> Filters:
        return Filters(
            os=self.os,
            arch=self.arch,
            libc=self.libc,
            flavor=self.flavor,
            options=parse_options(self.options) if self.options else None,
            prereleases=self.prereleases,
        )

    @property
    def active(self) -> int:
        """How many facets narrow the list (for the sidebar's title)."""
        return (
            sum(
                x is not None
                for x in (self.os, self.arch, self.level, self.libc, self.flavor, self.options)
            )
            + (not self.prereleases)
            + self.installed_only
        )


@dataclass
class BrowseView:
    """The user's choices over an index, and the rows they select."""

    index: CatalogIndex
    node: NodePath = field(default_factory=NodePath)
    facets: Facets = field(default_factory=Facets)
    text: str = ""
    sort: str = SORTS[0]
    _facet: list[Build] | None = field(default=None, repr=False)
    _base: list[Build] | None = field(default=None, repr=False)
    _rows: list[Build] | None = field(default=None, repr=False)
    _rows_text: str = field(default="", repr=False)
    hidden: int = 0  # builds hidden only because this host cannot run them

    # -- changing the choices -----------------------------------------------------------
    def set_index(self, index: CatalogIndex) -> None:
        self.index = index
        self.invalidate()

    def set_node(self, node: NodePath) -> None:
        if node != self.node:
            self.node = node
            self._base = self._rows = None

    def set_facets(self, facets: Facets) -> None:
        if facets != self.facets:
            self.facets = facets
            self.invalidate()

    def set_sort(self, sort: str) -> None:
        if sort != self.sort:
            self.sort = sort
            self._base = self._rows = None

    def next_sort(self) -> str:
        self.set_sort(SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)])
        return self.sort

    def set_text(self, text: str) -> None:
        self.text = text

    def invalidate(self) -> None:
        """Forget cached lists (new index, facets, or sizes that change a size sort)."""
        self._facet = self._base = self._rows = None

    # -- answers -------------------------------------------------------------------------
    def facet_builds(self) -> list[Build]:
        """Builds passing facets and host fit (not the tree node, not the text): the tree."""
        if self._facet is not None:
            return self._facet
        filters = self.facets.filters()
        show_all = self.facets.show_incompatible
        level = self.facets.level
        installed = self.index.installed
        reason = self.index.reason
        out = []
        hidden = 0
        for b in self.index.builds:
            if not filters.match(b):
                continue
            if level and b.arch_level != level:
                continue
            if self.facets.installed_only and b.name not in installed:
                continue
            if not show_all and reason[b.name] is not None:
                hidden += 1
                continue
            out.append(b)
        self.hidden = hidden
        self._facet = out
        return out

    def base(self) -> list[Build]:
        """Facet- and node-filtered builds in display order (cached)."""
        if self._base is None:
            node = self.node
            rows = [b for b in self.facet_builds() if node.matches(b)]
            if self.sort != SORTS[0]:
                largest = self.sort == SORTS[1]
                known = [b for b in rows if b.size is not None]
                unknown = [b for b in rows if b.size is None]
                known.sort(key=lambda b: b.size or 0, reverse=largest)
                rows = known + unknown  # unknown sizes last either way
            self._base = rows
            self._rows = None
        return self._base

    def rows(self) -> list[Build]:
        """The rows to show: base narrowed by the text (see `text_checks`)."""
        base = self.base()
        text = self.text.strip().lower()
        if self._rows is not None and text == self._rows_text:
            return self._rows
        checks = text_checks(text)
        source = base
        if self._rows is not None and refines(text_checks(self._rows_text), checks):
            source = self._rows  # the text only grew: every match is among the last matches
        if not checks:
            rows = base
        else:
            lower = self.index.lower
            rows = [b for b in source if matches(lower[b.name], checks)]
        self._rows, self._rows_text = rows, text
        return rows

    def tree(self) -> dict[str, dict[str, dict[str, list[Build]]]]:
        """Like catalog.group.tree() over facet_builds(), without re-sorting them."""
        return group_sorted(self.facet_builds())


#: A word that starts like a version ("3.12", "3.13.0rc2", "3.12.3+2024") matches the
#: version at the start of the name, so "3.12" finds 3.12.x and not 3.13.12.
_VERSION_WORD = re.compile(r"^\d+\.\d+")


def text_checks(text: str) -> list[tuple[str, bool]]:
    """(needle, is_prefix) per word: version words match 'cpython-<word>' as a prefix,
    other words anywhere in the lower-case file name (like Filters.text)."""
    checks = []
    for word in text.lower().split():
        if _VERSION_WORD.match(word):
            checks.append(("cpython-" + word, True))
        else:
            checks.append((word, False))
    return checks


def matches(lower_name: str, checks: list[tuple[str, bool]]) -> bool:
    for needle, prefix in checks:
        if prefix:
            if not lower_name.startswith(needle):
                return False
        elif needle not in lower_name:
            return False
    return True


def refines(old: list[tuple[str, bool]], new: list[tuple[str, bool]]) -> bool:
    """True when every name matching `new` also matches `old` (so `new` may scan only the
    previous result): each old word grew at most, and a prefix word stays a prefix word."""
    if not old or len(new) < len(old):
        return False
    for (old_needle, old_prefix), (new_needle, new_prefix) in zip(old, new, strict=False):
        if old_prefix and not new_prefix:
            return False
        old_word = old_needle.removeprefix("cpython-") if old_prefix else old_needle
        new_word = new_needle.removeprefix("cpython-") if new_prefix else new_needle
        if not new_word.startswith(old_word):
            return False
    return True


def group_sorted(builds: Iterable[Build]) -> dict[str, dict[str, dict[str, list[Build]]]]:
    """The shape of catalog.group.tree() for builds already in sort_key order (an index
    keeps them so): minor -> patch -> variant -> builds, without sorting again."""
    out: dict[str, dict[str, dict[str, list[Build]]]] = {}
    for b in builds:
        if b.version is None:
            continue
        out.setdefault(b.version.minor_str, {}).setdefault(str(b.version), {}).setdefault(
            b.variant, []
        ).append(b)
    return out


# -- the detail pane ----------------------------------------------------------------------


@dataclass(frozen=True)
class SizeState:
    """Why a size is unknown, for the detail pane."""

    pending: bool = False
    reason: str = ""


def size_reason(b: Build, catalog: Catalog | None, offline: bool, state: SizeState | None) -> str:
    """One phrase: why this build's size is '?'."""
    if b.size is not None:
        return ""
    if state is not None and state.pending:
        return "fetching the size from the GitHub API…"
    if state is not None and state.reason:
        return state.reason
    if offline:
        return "offline: sizes come from the GitHub API, which is not asked in offline mode"
    source = catalog.source if catalog else ""
    if source in ("snapshot", "cache"):
        return "not in the catalog: the index lists names and digests only; fetched on demand"
    return "not in the catalog; fetched when the row is highlighted"


def detail_lines(
    b: Build, index: CatalogIndex, *, size_text: str, reason: str
) -> list[tuple[str, str]]:
    """(label, text) pairs for the detail pane of one build."""
    lines: list[tuple[str, str]] = [("file", b.name)]
    lines.append(("size", size_text if b.size is not None else f"? ({reason})"))
    fit = index.reason.get(b.name)
    if fit:
        lines.append(("host", f"cannot run here: {fit}"))
    installed = index.installed.get(b.name)
    if installed:
        lines.append(("installed", installed))
    if b.flags:
        for flag in b.flags:
            lines.append((flag, FLAG_MEANINGS.get(flag, "")))
    elif b.flavor == "full":
        lines.append(("flags", "none: a plain build without PGO or LTO"))
    else:  # install_only names carry no build options: 'made of' says which build it is
        lines.append(("flags", "not in the name: this release build's options are under 'made of'"))
    lines.append(("made of", describe_source(b, index.group_of(b))))
    pick = index.uv_choice(b)
    if pick is None:
        uv = f"no archive of the {b.variant} variant for {b.platform_key} baseline"
    elif pick.name == b.name:
        uv = "this archive"
    else:
        uv = pick.name
    lines.append(("uv picks", uv))
    lines.append(("sha256", b.sha256 or "? (not in the catalog)"))
    lines.append(("url", b.url or "?"))
    return lines
