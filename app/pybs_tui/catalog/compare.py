"""Rows of attribute x build for the comparison view (pure: no I/O, no textual).

The browser and `pybs-tui compare` both show the archives of one version and platform side
by side: install_only_stripped, install_only, pgo+lto full, pgo full, lto full, noopt full,
debug full, then the free-threaded ones in the same order. `comparison` builds the table,
`pick_builds` chooses which archives belong in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..units import format_size
from .flags import FlagFact
from .group import Host, incompatibility, sort_key
from .models import Build, Version

#: Attributes shown as rows, in order.
ATTRIBUTES = (
    "size",
    "ratio",
    "unpacked",
    "flags",
    "options",
    "flavor",
    "format",
    "release",
    "sha256",
    "uv pick",
)
#: Unpacked size as a multiple of the archive size (an estimate, said as such).
UNPACK_RATIO = {"tar.gz": 3, "tar.zst": 5}
INFERRED_MARK = "*"

_FLAVOR_RANK = {"install_only_stripped": 0, "install_only": 1, "full": 2}
_FULL_RANK = {
    frozenset({"pgo", "lto"}): 0,
    frozenset({"pgo"}): 1,
    frozenset({"lto"}): 2,
    frozenset({"noopt"}): 3,
    frozenset(): 4,
}


def column_key(build: Build) -> tuple:
    """Sort key of a comparison column: non-free-threaded first, smallest archive kind first."""
    optimisation = build.options - {"freethreaded", "debug", "shared", "static"}
    return (
        build.gil_disabled,
        build.py_debug,
        _FLAVOR_RANK.get(build.flavor, 9),
        _FULL_RANK.get(frozenset(optimisation), 5),
        "static" in build.options,
        build.options_label,
        build.platform_key,
        build.release,
        build.name,
    )


def column_label(build: Build) -> str:
    """Short heading: 'install_only_stripped', 'pgo+lto full', 'freethreaded+debug full'."""
    if build.flavor == "full":
        return f"{build.options_label} full" if build.options_label != "-" else "full"
    if build.gil_disabled:
        return f"freethreaded {build.flavor}"
    return build.flavor


def short_sha(sha256: str | None, length: int = 12) -> str:
    return sha256[:length] if sha256 else "? unknown"


def unpacked_estimate(build: Build) -> int | None:
    if build.size is None:
        return None
    return build.size * UNPACK_RATIO.get(build.archive_format, 3)


@dataclass(frozen=True)
class Cell:
    """One value; `differs` marks it as unlike the most common value of its row."""

    text: str
    differs: bool = False


@dataclass(frozen=True)
class Row:
    attribute: str
    cells: tuple[Cell, ...]

    @property
    def uniform(self) -> bool:
        return not any(c.differs for c in self.cells)


@dataclass
class Comparison:
    """The table: one column per build, one Row per attribute, plus the totals."""

    builds: list[Build]
    labels: list[str]
    rows: list[Row]
    total: int  # sum of known sizes
    unknown: int  # how many sizes are unknown
    smallest: Build | None
    notes: list[str] = field(default_factory=list)
    facts: dict[str, list[FlagFact]] = field(default_factory=dict)  # name -> flags
    picks: dict[str, str] = field(default_factory=dict)  # name -> uv request it answers
    #: name -> (text, JSON) of the installed columns' measured speed (pybs-tui bench)
    speeds: dict[str, tuple[str, Any]] = field(default_factory=dict)

    def row(self, attribute: str) -> Row:
        return next(r for r in self.rows if r.attribute == attribute)

    @property
    def mixed(self) -> bool:
        """The columns are of several versions, platforms or releases."""
        return "mixed" in describe_selection(self.builds)

    def to_json(self, free: int | None = None) -> dict:
        """A dict for `--json`: columns with every attribute, and the totals."""
        columns = []
        for i, b in enumerate(self.builds):
            facts = self.facts.get(b.name, [])
            columns.append(
                {
                    "label": self.labels[i],
                    "name": b.name,
                    "url": b.url,
                    "size": b.size,
                    "size_source": b.size_source or None,
                    "ratio": ratio(b.size, self.smallest.size if self.smallest else None),
                    "unpacked_estimate": unpacked_estimate(b),
                    "flags": {f.name: f.value for f in facts} or list(b.flags),
                    "flags_source": {f.name: f.source for f in facts},
                    "options": b.options_label if b.options_label != "-" else "",
                    "flavor": b.flavor,
                    "archive_format": b.archive_format,
                    "release": b.release,
                    "sha256": b.sha256,
                    "version": b.version_str,
                    "platform": b.platform_key,
                    "uv_pick": self.picks.get(b.name),
                    "speed": self.speeds[b.name][1] if b.name in self.speeds else None,
                    "derived": b.derived,
                }
            )
        return {
            "columns": columns,
            "total": self.total if not self.unknown else None,
            "known_total": self.total,
            "unknown_sizes": self.unknown,
            "free": free,
            "fits": None if self.unknown else fits(self.total, free),
            "mixed": self.mixed,
            "notes": self.notes,
        }


def ratio(size: int | None, smallest: int | None) -> float | None:
    if size is None or not smallest:
        return None
    return round(size / smallest, 2)


def fits(total: int, free: int | None) -> bool | None:
    return None if free is None else total <= free


def flags_text(facts: Sequence[FlagFact]) -> str:
    """'PGO* LTO* stripped' (* = inferred), '-' when none is on; unknown ones as '?'."""
    words = []
    for f in facts:
        if f.value:
            words.append(f.badge + (INFERRED_MARK if f.inferred else ""))
        elif f.value is None and f.name in ("PGO", "LTO"):
            words.append(f"{f.badge}?")
    return " ".join(words) or "-"


def _value(build: Build, attribute: str, smallest: int | None, comp: Comparison) -> str:
    if attribute == "size":
        return format_size(build.size)
    if attribute == "ratio":
        r = ratio(build.size, smallest)
        return "?" if r is None else f"x{r:.2f}"
    if attribute == "unpacked":
        estimate = unpacked_estimate(build)
        return "?" if estimate is None else f"~{format_size(estimate)}"
    if attribute == "flags":
        facts = comp.facts.get(build.name)
        return flags_text(facts) if facts is not None else " ".join(build.flags) or "-"
    if attribute == "options":
        return build.options_label
    if attribute == "flavor":
        return build.flavor
    if attribute == "format":
        return build.archive_format
    if attribute == "release":
        return build.release or "?"
    if attribute == "sha256":
        return short_sha(build.sha256)
    if attribute == "speed":
        return comp.speeds[build.name][0] if build.name in comp.speeds else "-"
    if attribute == "uv pick":
        request = comp.picks.get(build.name)
        return request.removeprefix("cpython-").split("-", 1)[0] if request else "-"
    raise KeyError(attribute)


def comparison(
    builds: Iterable[Build],
    attributes: Sequence[str] = ATTRIBUTES,
    *,
    facts: Callable[[Build], list[FlagFact]] | None = None,
    uv_request: Callable[[Build], str | None] | None = None,
    speed: Callable[[Build], tuple[str, Any] | None] | None = None,
) -> Comparison:
    """Columns ordered by `column_key`; cells unlike their row's most common value marked.
    `facts` and `uv_request` (a CatalogIndex's) add flags with sources and uv's picks;
    `speed` ((text, JSON) of an installed build's measured speed, None when not installed)
    adds a 'speed' row when any column is installed."""
    cols = sorted({b.name: b for b in builds}.values(), key=column_key)
    known = [b for b in cols if b.size is not None]
    smallest = min(known, key=lambda b: b.size or 0) if known else None
    small_size = smallest.size if smallest else None
    comp = Comparison(
        cols,
        [column_label(b) for b in cols],
        [],
        sum(b.size or 0 for b in known),
        len(cols) - len(known),
        smallest,
        facts={b.name: facts(b) for b in cols} if facts else {},
        picks={b.name: r for b in cols if uv_request and (r := uv_request(b))},
        speeds={b.name: v for b in cols if speed and (v := speed(b)) is not None},
    )
    if comp.speeds and "speed" not in attributes:
        attributes = (*attributes, "speed")
    for attribute in attributes:
        values = [_value(b, attribute, small_size, comp) for b in cols]
        common, count = Counter(values).most_common(1)[0] if values else ("", 0)
        uniform = count == len(values)
        if not uniform and count == 1:
            common = values[0]  # all distinct: mark everything but the first column
        comp.rows.append(
            Row(attribute, tuple(Cell(v, not uniform and v != common) for v in values))
        )
    if cols and not known:
        comp.notes.append("no sizes known: the catalog has none and they have not been fetched")
    if any(f.inferred for fs in comp.facts.values() for f in fs):
        comp.notes.append(
            f"{INFERRED_MARK} inferred: install_only archives are cut from the release's best "
            "full build; the probe after an install confirms them"
        )
    if any(b.derived for b in cols):
        comp.notes.append("some names are derived from PBS's release pattern, not yet listed")
    if comp.mixed:
        comp.notes.append("these columns mix versions, platforms or releases")
    return comp


def totals_line(comp: Comparison, free: int | None, where: str = "") -> str:
    """'3 archives: 250.4 MB, ~1.1 GB unpacked; free 120.4 GB on /x: all fit', or, with
    unknown sizes, no total at all: '3 archives: 2 sizes unknown, no total'."""
    count = f"{len(comp.builds)} archive{'s' if len(comp.builds) != 1 else ''}"
    place = f" on {where}" if where else ""
    free_text = f"free {format_size(free)}{place}" if free is not None else "free space unknown"
    if comp.unknown:
        plural = "s" if comp.unknown != 1 else ""
        return f"{count}: {comp.unknown} size{plural} unknown, no total; {free_text}"
    unpacked = sum(unpacked_estimate(b) or 0 for b in comp.builds)
    text = f"{count}: {format_size(comp.total)}, ~{format_size(unpacked)} unpacked"
    if free is None:
        return f"{text}; {free_text}"
    verdict = "all fit" if comp.total + unpacked <= free else "NOT ALL FIT"
    return f"{text}; {free_text}: {verdict}"


# -- choosing the archives ----------------------------------------------------------------


def newest_version(builds: Iterable[Build]) -> Version | None:
    """The newest version among builds (finals before pre-releases of the same minor)."""
    versions = {b.version for b in builds if b.version is not None}
    if not versions:
        return None
    finals = [v for v in versions if not v.is_prerelease]
    return max(finals or versions)


def host_platform(builds: Iterable[Build], host: Host | None) -> str | None:
    """The platform key to compare on: the host's baseline platform if present, else the
    most common platform among the builds."""
    builds = list(builds)
    if not builds:
        return None
    if host is not None:
        fitting = [b for b in builds if incompatibility(b, host) is None]
        if fitting:
            own = [b for b in fitting if b.libc == host.libc] or fitting
            baseline = [b for b in own if b.arch_level in ("", "v1")] or own
            return Counter(b.platform_key for b in baseline).most_common(1)[0][0]
    return Counter(b.platform_key for b in builds).most_common(1)[0][0]


def pick_builds(
    builds: Iterable[Build],
    *,
    version: Version | None = None,
    platform: str | None = None,
    release: str | None = None,
    host: Host | None = None,
    variant: str | None = None,
) -> list[Build]:
    """The archives of one version, platform and release, in column order.

    Missing parts are chosen: the newest version, the host's platform, and the release with
    the most archives of that version for that platform (the newest of equals; catalogs
    built from uv's metadata list only some flavors for some releases). `variant` limits
    to one variant.
    """
    pool = [
        b
        for b in builds
        if b.known and b.version is not None and (variant is None or b.variant == variant)
    ]
    if version is None:
        version = newest_version(pool)
    pool = [b for b in pool if b.version == version]
    if platform is None:
        platform = host_platform(pool, host)
    pool = [b for b in pool if b.platform_key == platform]
    if release is None:
        # the release uv downloads this version from, else the one listing most archives
        listed = [b.release for b in pool if b.uv_listed]
        per_release = Counter(b.release for b in pool)
        release = max(listed, default=None) or max(
            per_release, key=lambda tag: (per_release[tag], tag), default=None
        )
    pool = [b for b in pool if b.release == release]
    return sorted(pool, key=column_key)


def describe_selection(builds: Sequence[Build]) -> str:
    """'3.12.3 · linux-x86_64-gnu · 20240415', with 'mixed' where the builds differ."""

    def one(values: set[str]) -> str:
        return next(iter(values)) if len(values) == 1 else "mixed"

    if not builds:
        return "nothing to compare"
    ordered = sorted(builds, key=sort_key)
    return " · ".join(
        (
            one({b.version_str for b in ordered}),
            one({b.platform_key for b in ordered}),
            one({b.release for b in ordered}),
        )
    )
