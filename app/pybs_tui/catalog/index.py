"""CatalogIndex: what the browser, the CLI and the compare view ask of every build, computed
once per catalog and host (pure; safe to build in a worker thread).

Host fit, uv's picks, flags with their sources, groups of the same version and platform,
column widths and facet values.

`CatalogIndex.early` indexes only the archives of this host's os, arch and libc (a fifth of
the catalog, a fifth of the time): enough for the browser's default view, exactly. Every
fact it holds is the full index's: uv's picks are kept per platform, flags are inferred per
triple, groups are one platform's, host fit is per archive, and each of those keys lies inside
one (os, arch, uv libc) family. The browser paints its first rows from it and swaps in the
full index when that is built.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from .flags import FlagFact, FlagFacts
from .group import Host, incompatibility, sort_key
from .models import Build, Catalog
from .select import UvPicks, uv_key, uv_picks, uv_words


def group_key(b: Build) -> tuple:
    """Builds of one version, release and platform (any level, variant, flavor)."""
    return (b.version, b.release, b.os, b.arch, b.libc)


def _family(b: Build) -> tuple[str, str, str]:
    return (b.os, b.arch, uv_words(b.os, b.arch, "", b.libc)[2])


def host_family(host: Host) -> tuple[str, str, str]:
    """The host's os, arch and uv's libc word: every fact of an archive of this family (uv's
    pick of its key, its flags' inference, its group) depends on archives of the family only."""
    return (host.os, host.arch, uv_words(host.os, host.arch, "", host.libc)[2])


def in_host_family(host: Host) -> Callable[[str, str, str], bool]:
    """keep(os, arch, libc): True for an archive of the host's family (`catalog.packed`
    reads those first)."""
    family = host_family(host)

    def keep(os_name: str, arch: str, libc: str) -> bool:
        return (os_name, arch, uv_words(os_name, arch, "", libc)[2]) == family

    return keep


class CatalogIndex:
    """Per-build facts for one catalog and host."""

    def __init__(
        self,
        catalog: Catalog,
        host: Host,
        installed: dict[str, str] | None = None,
        *,
        host_family_only: bool = False,
        total: int | None = None,
    ) -> None:
        """`host_family_only`: index only the archives of the host's os, arch and libc (see
        `early`); `partial` is then True and `len()` still counts the whole catalog (`total`
        when `catalog` holds only the family's archives: the whole one's count)."""
        self.catalog = catalog
        self.host = host
        self.installed = dict(installed or {})
        self.partial = host_family_only
        versioned = [b for b in catalog.builds if b.version is not None]
        #: archives in the whole catalog (what "N rows of M archives" counts)
        self.total = len(versioned) if total is None else total
        if host_family_only:
            family = host_family(host)
            versioned = [b for b in versioned if _family(b) == family]
        self.builds: list[Build] = sorted(versioned, key=sort_key)
        self.by_name: dict[str, Build] = {b.name: b for b in self.builds}
        self.lower: dict[str, str] = {b.name: b.name.lower() for b in self.builds}
        self.reason: dict[str, str | None] = {b.name: incompatibility(b, host) for b in self.builds}
        self.groups: dict[tuple, list[Build]] = {}
        for b in self.builds:
            self.groups.setdefault(group_key(b), []).append(b)
        self.picks: UvPicks = uv_picks(self.builds)
        self.flags = FlagFacts(self.builds)

    @cached_property
    def widths(self) -> dict[str, int]:
        """Widest value per table column over the whole catalog (stable while filtering)."""
        return {
            "version": max((len(b.version_str) for b in self.builds), default=0),
            "platform": max((len(b.platform_key) for b in self.builds), default=0),
            "options": max((len(b.options_label) for b in self.builds), default=0),
            "flavor": max((len(b.flavor) for b in self.builds), default=0),
            "flags": max((len(" ".join(b.flags)) for b in self.builds), default=0),
            "note": max((len(r or "") for r in self.reason.values()), default=0),
        }

    @cached_property
    def values(self) -> dict[str, list[str]]:
        """The values each facet can take in this catalog."""
        return {
            attr: sorted({getattr(b, attr) for b in self.builds if getattr(b, attr)})
            for attr in ("os", "arch", "arch_level", "libc", "flavor")
        }

    def __len__(self) -> int:
        """Archives of the whole catalog (also for an early, partial index)."""
        return self.total

    @classmethod
    def early(
        cls,
        catalog: Catalog,
        host: Host,
        installed: dict[str, str] | None = None,
        total: int | None = None,
    ) -> CatalogIndex:
        """An index of the host's own archives only (`partial`): the browser's default view
        over it equals the full index's, row for row; anything wider waits for the full one.
        `catalog` may hold the family's archives only (`catalog.packed.unpack_family`); then
        `total` is the whole catalog's count of archives."""
        return cls(catalog, host, installed, host_family_only=True, total=total)

    # -- sizes ---------------------------------------------------------------------------
    def set_sizes(self, sizes: dict[str, int], source: str = "") -> list[str]:
        """Record sizes by build name (and where they came from); returns the names changed."""
        changed = []
        for name, size in sizes.items():
            b = self.by_name.get(name)
            if b is None or b.size == size:
                continue
            self.by_name[name] = b.with_source(size=size, size_source=source)
            changed.append(name)
        if changed:
            self.builds = [self.by_name[b.name] for b in self.builds]
            for key, group in self.groups.items():
                self.groups[key] = [self.by_name[b.name] for b in group]
            self.picks = UvPicks(
                {k: self.by_name.get(b.name, b) for k, b in self.picks.by_key.items()},
                self.picks.key_of,
            )
        return changed

    def adopt_sizes(self, old: CatalogIndex) -> None:
        """Sizes `old` knew that this index lacks (a HEAD answer that arrived while this
        index was built from a catalog without it): kept, not lost."""
        by_source: dict[str, dict[str, int]] = {}
        for name, b in self.by_name.items():
            known = old.by_name.get(name) if b.size is None else None
            if known is not None and known.size is not None:
                by_source.setdefault(known.size_source, {})[name] = known.size
        for source, sizes in by_source.items():
            self.set_sizes(sizes, source)

    # -- questions -----------------------------------------------------------------------
    def group_of(self, b: Build) -> list[Build]:
        """Builds of the same version, release, os, arch and libc (any level/variant)."""
        return self.groups.get(group_key(b), [b])

    def uv_request(self, b: Build) -> str | None:
        """The `uv python install` request this archive is uv's download for, or None."""
        return self.picks.request_of(b)

    def uv_choice(self, b: Build) -> Build | None:
        """uv's download for this build's version, platform and variant."""
        return self.picks.by_key.get(uv_key(b))

    def flag_facts(self, b: Build) -> list[FlagFact]:
        return self.flags.facts(b)

    def badges(self, b: Build) -> tuple[str, ...]:
        return self.flags.badges(b)
