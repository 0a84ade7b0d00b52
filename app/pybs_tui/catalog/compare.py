"""Rows of attribute x build for the comparison view (pure: no I/O, no textual).

The browser and `pybs-tui compare` both show the archives of one version and platform side
by side: install_only_stripped, install_only, pgo+lto full, pgo full, lto full, noopt full,
debug full, then the free-threaded ones in the same order. `comparison` builds the table,
`pick_builds` chooses which archives belong in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .group import Host, incompatibility, sort_key
from .models import Build, Version

#: Attributes shown as rows, in order.
ATTRIBUTES = ("size", "ratio", "flags", "options", "flavor", "format", "release", "sha256")

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
    return sha256[:length] if sha256 else "?"


def format_size(size: int | None) -> str:
    """'24.4 MB' (decimal units, as humanize.naturalsize writes them), '?' when unknown."""
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            if unit == "B":
                return f"{int(value)} Byte{'s' if int(value) != 1 else ''}"
            return f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


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

    def row(self, attribute: str) -> Row:
        return next(r for r in self.rows if r.attribute == attribute)

    def to_json(self, free: int | None = None) -> dict:
        """A dict for `--json`: columns with every attribute, and the totals."""
        columns = []
        for i, b in enumerate(self.builds):
            columns.append(
                {
                    "label": self.labels[i],
                    "name": b.name,
                    "url": b.url,
                    "size": b.size,
                    "ratio": ratio(b.size, self.smallest.size if self.smallest else None),
                    "flags": list(b.flags),
                    "options": sorted(b.options),
                    "flavor": b.flavor,
                    "archive_format": b.archive_format,
                    "release": b.release,
                    "sha256": b.sha256,
                    "version": b.version_str,
                    "platform": b.platform_key,
                }
            )
        return {
            "columns": columns,
            "total": self.total,
            "unknown_sizes": self.unknown,
            "free": free,
            "fits": fits(self.total, free),
            "notes": self.notes,
        }


def ratio(size: int | None, smallest: int | None) -> float | None:
    if size is None or not smallest:
        return None
    return round(size / smallest, 2)


def fits(total: int, free: int | None) -> bool | None:
    return None if free is None else total <= free


def _value(build: Build, attribute: str, smallest: int | None) -> str:
    if attribute == "size":
        return format_size(build.size)
    if attribute == "ratio":
        r = ratio(build.size, smallest)
        return "?" if r is None else f"x{r:.2f}"
    if attribute == "flags":
        return " ".join(build.flags) or "-"
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
    raise KeyError(attribute)


def comparison(builds: Iterable[Build], attributes: Sequence[str] = ATTRIBUTES) -> Comparison:
    """Columns ordered by `column_key`; cells unlike their row's most common value marked."""
    cols = sorted({b.name: b for b in builds}.values(), key=column_key)
    known = [b for b in cols if b.size is not None]
    smallest = min(known, key=lambda b: b.size or 0) if known else None
    small_size = smallest.size if smallest else None
    rows = []
    for attribute in attributes:
        values = [_value(b, attribute, small_size) for b in cols]
        common, count = Counter(values).most_common(1)[0] if values else ("", 0)
        uniform = count == len(values)
        if not uniform and count == 1:
            common = values[0]  # all distinct: mark everything but the first column
        rows.append(Row(attribute, tuple(Cell(v, not uniform and v != common) for v in values)))
    notes = []
    if not known and cols:
        notes.append("no sizes known: the catalog has none and they have not been fetched")
    return Comparison(
        cols,
        [column_label(b) for b in cols],
        rows,
        sum(b.size or 0 for b in known),
        len(cols) - len(known),
        smallest,
        notes,
    )


def totals_line(comp: Comparison, free: int | None, where: str = "") -> str:
    """'8 archives: 512.3 MB (+2 of unknown size); free 120.4 GB on /x: fits'."""
    text = (
        f"{len(comp.builds)} archive{'s' if len(comp.builds) != 1 else ''}: "
        f"{format_size(comp.total)}"
    )
    if comp.unknown:
        text += f" (+{comp.unknown} of unknown size)"
    if free is None:
        return text + "; free disk space unknown"
    place = f" on {where}" if where else ""
    verdict = "fits" if comp.total <= free else "DOES NOT FIT"
    return f"{text}; free {format_size(free)}{place}: {verdict}"


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
        per_release = Counter(b.release for b in pool)
        release = max(per_release, key=lambda tag: (per_release[tag], tag), default=None)
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
