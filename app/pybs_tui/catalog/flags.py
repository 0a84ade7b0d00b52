"""Build flags with where each one comes from (pure).

A full archive's name states its options. An install_only or install_only_stripped archive
says nothing: PBS cuts it from its best full build of the same release and platform (pgo+lto
where that exists, else pgo, else lto, else noopt). `FlagFacts` infers those flags from the
catalog: the release's own full builds when the catalog lists them, else the full builds PBS
published for the same platform in the nearest release the catalog knows them for (PBS's
options per platform change rarely: aarch64 Linux gained PGO in 2025-07, x86-64 Linux and
macOS had pgo+lto from 2021-03, Windows has pgo). The probe after an install confirms them.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from .models import Build

#: Flags in display order; JSON keys. "Py_GIL_DISABLED" is shown as the badge "no-GIL".
FLAG_NAMES = ("Py_DEBUG", "Py_GIL_DISABLED", "PGO", "LTO", "noopt", "static", "stripped")
BADGE = {"Py_GIL_DISABLED": "no-GIL"}
#: Full builds an install_only archive may be cut from, best first (PBS's release.rs order).
BEST_FIRST: tuple[frozenset[str], ...] = (
    frozenset({"pgo", "lto"}),
    frozenset({"pgo"}),
    frozenset({"lto"}),
    frozenset({"noopt"}),
    frozenset(),
)
_OPTIMISATIONS = frozenset({"pgo", "lto", "noopt"})


@dataclass(frozen=True)
class FlagFact:
    """One flag: its value (None: unknown) and where that comes from."""

    name: str
    value: bool | None
    source: str  # "name", "inferred: ...", or "unknown: ..."

    @property
    def badge(self) -> str:
        return BADGE.get(self.name, self.name)

    @property
    def inferred(self) -> bool:
        return self.source.startswith("inferred")


def optimisation(build: Build) -> frozenset[str]:
    """The optimisation options of a full build: {'pgo', 'lto'}, {'lto'}, {'noopt'}, ..."""
    return frozenset(build.options & _OPTIMISATIONS)


def best_full(fulls: Iterable[Build]) -> Build | None:
    """The build PBS cuts install_only from, among full builds of one release and platform:
    the most optimised, dynamic before static."""
    ranked = [b for b in fulls if b.flavor == "full" and not b.py_debug]
    if not ranked:
        return None

    def rank(b: Build) -> tuple[int, bool]:
        opts = optimisation(b)
        return (BEST_FIRST.index(opts) if opts in BEST_FIRST else 9, "static" in b.options)

    return min(ranked, key=rank)


def label(options: frozenset[str]) -> str:
    return "+".join(o for o in ("pgo", "lto", "noopt") if o in options) or "plain"


def facts_key(build: Build) -> tuple[str, str, str, str]:
    """What a build's flags depend on: archives with the same key have the same facts."""
    return (build.release, build.triple, build.options_text, build.flavor)


class FlagFacts:
    """Answers `facts(build)` for every build of a catalog (built once, O(n))."""

    def __init__(self, builds: Iterable[Build]) -> None:
        groups: dict[tuple[str, str, bool], list[Build]] = {}
        for b in builds:
            if b.flavor == "full" and not b.py_debug and b.known:
                groups.setdefault((b.release, b.triple, b.gil_disabled), []).append(b)
        #: (release, triple, free-threaded) -> the options of the release's best full build
        self.exact: dict[tuple[str, str, bool], frozenset[str]] = {}
        #: (triple, free-threaded) -> sorted releases with a known best full build
        self._releases: dict[tuple[str, bool], list[str]] = {}
        for (release, triple, ft), fulls in groups.items():
            best = best_full(fulls)
            if best is not None and best.release:
                self.exact[(release, triple, ft)] = optimisation(best)
                self._releases.setdefault((triple, ft), []).append(release)
        for releases in self._releases.values():
            releases.sort()
        self._answers: dict[tuple[str, str, bool], tuple[frozenset[str] | None, str]] = {}
        self._facts: dict[tuple[str, str, str, str], tuple[FlagFact, ...]] = {}
        self._shared: dict[tuple, tuple[FlagFact, ...]] = {}
        self._maps: dict[tuple[str, str, str, str], tuple[dict, dict]] = {}

    def source_options(self, build: Build) -> tuple[frozenset[str] | None, str]:
        """The optimisation options an install_only archive was cut with, and why we say so
        (the same for every install_only archive of a release, platform and kind: computed
        once for each)."""
        key = (build.release, build.triple, build.gil_disabled)
        answer = self._answers.get(key)
        if answer is None:
            answer = self._answers[key] = self._source_options(build)
        return answer

    def _source_options(self, build: Build) -> tuple[frozenset[str] | None, str]:
        ft = build.gil_disabled
        for free_threaded in (ft, not ft):  # the other kind of the same release is a fair guide
            exact = self.exact.get((build.release, build.triple, free_threaded))
            if exact is not None:
                return exact, f"inferred: cut from this release's {label(exact)} full build"
        nearest = self._nearest(build.triple, ft, build.release)
        if nearest is None:
            nearest = self._nearest(build.triple, not ft, build.release)
        if nearest is None:
            return None, (
                f"unknown: the catalog lists no full build of {build.triple} to infer from"
            )
        release, free_threaded = nearest
        options = self.exact[(release, build.triple, free_threaded)]
        return options, (
            f"inferred: PBS cuts install_only from its best full build; for {build.triple} "
            f"that was {label(options)} in release {release}"
        )

    def _nearest(self, triple: str, ft: bool, release: str) -> tuple[str, bool] | None:
        releases = self._releases.get((triple, ft))
        if not releases:
            return None
        i = bisect.bisect_left(releases, release)
        # the release just before is the better guide: PBS adds optimisations, rarely drops them
        choice = releases[i - 1] if i > 0 else releases[i] if i < len(releases) else None
        return (choice, ft) if choice else None

    def facts(self, build: Build) -> list[FlagFact]:
        """Every flag of `build` with its source, in FLAG_NAMES order (the same for every
        archive of one release, platform, options and flavor: computed once for each)."""
        key = facts_key(build)
        found = self._facts.get(key)
        if found is None:
            # the facts follow from the options, the flavor, whether the archive is static
            # and (install_only) what it was cut from: a few hundred of those in a catalog
            answer = None if build.flavor == "full" else self.source_options(build)
            same = (build.options, build.flavor, build.static, answer)
            found = self._shared.get(same)
            if found is None:
                found = self._shared[same] = self._facts_of(build)
            self._facts[key] = found
        return list(found)

    def maps(self, build: Build) -> tuple[dict[str, bool | None], dict[str, str]]:
        """A JSON row's "flags" (name -> value) and "flags_source" (name -> where a value
        not read from the file name comes from), shared by the archives of one `facts_key`:
        callers must not change them."""
        key = facts_key(build)
        found = self._maps.get(key)
        if found is None:
            facts = self.facts(build)
            found = self._maps[key] = (
                {f.name: f.value for f in facts},
                {f.name: f.source for f in facts if f.source != "name"},
            )
        return found

    def _facts_of(self, build: Build) -> tuple[FlagFact, ...]:
        out = [
            FlagFact("Py_DEBUG", build.py_debug, "name"),
            FlagFact("Py_GIL_DISABLED", build.gil_disabled, "name"),
        ]
        if build.flavor == "full":
            opts = optimisation(build)
            out += [
                FlagFact("PGO", "pgo" in opts, "name"),
                FlagFact("LTO", "lto" in opts, "name"),
                FlagFact("noopt", "noopt" in opts, "name"),
            ]
        else:
            options, source = self.source_options(build)
            for name, option in (("PGO", "pgo"), ("LTO", "lto"), ("noopt", "noopt")):
                out.append(FlagFact(name, None if options is None else option in options, source))
        if "static" in build.options:
            out.append(FlagFact("static", True, "name"))
        elif build.static:
            out.append(FlagFact("static", True, "inferred: musl builds before 20250311 are static"))
        else:
            out.append(FlagFact("static", False, "name"))
        out.append(FlagFact("stripped", build.stripped, "name"))
        return tuple(out)

    def badges(self, build: Build) -> tuple[str, ...]:
        """The flags that are on, as badge words (inferred ones included)."""
        return tuple(f.badge for f in self.facts(build) if f.value)
