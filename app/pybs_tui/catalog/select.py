"""Which archive uv would download, and which one a request resolves to (pure).

uv keeps one download per key ``cpython-<version>[+variant]-<os>-<arch>-<libc>`` (e.g.
``cpython-3.12.3+debug-linux-aarch64-gnu``). Among the archives of one key it takes the best
flavor (install_only_stripped, then install_only, then a full build; it reads the old
timestamped names as full builds whatever they say), then the most optimised build (lto, pgo
and dynamic linking each count one), then the newest release. It offers no musl build of the
static-musl era (before 20250311), no Windows build whose name says static, and nothing
older than CPython 3.8.

uv knows the releases of its own build, no newer: where the catalog marks a name as one of
uv's downloads (`Build.uv_listed`, from `uv python list`), that is the pick of its key, and the
other variants of that version and platform are taken from the same release. Everywhere else
the rules decide. The test suite holds the result against uv itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .group import FilterError, Filters, Host, Request, incompatibility, sort_key
from .models import MUSL_DYNAMIC_SINCE, Build
from .names import FLAVOR_WORDS

_UV_OS = {"darwin": "macos"}
_UV_ARCH = {"i686": "x86", "ppc64le": "powerpc64le", "riscv64": "riscv64gc"}
_UV_LIBC = {"msvc": "none"}
#: uv's catalog starts with CPython 3.8: it offers no download of anything older.
UV_OLDEST = (3, 8)
#: uv's flavor preference; anything else (full archives) ranks after these.
_UV_FLAVORS = ("install_only_stripped", "install_only")


def uv_os(build: Build) -> str:
    return uv_words(build.os, build.arch, build.arch_level, build.libc)[0]


def uv_arch(build: Build) -> str:
    """uv's arch word: 'x86_64', 'x86_64_v3', 'aarch64', 'x86', 'powerpc64le'..."""
    return uv_words(build.os, build.arch, build.arch_level, build.libc)[1]


def uv_libc(build: Build) -> str:
    """uv's libc word: 'gnu', 'musl', 'gnueabihf', and 'none' on macOS and Windows."""
    return uv_words(build.os, build.arch, build.arch_level, build.libc)[2]


def uv_platform(build: Build) -> str:
    """'linux-x86_64_v3-gnu', 'macos-aarch64-none', 'windows-x86-none'."""
    return uv_words(build.os, build.arch, build.arch_level, build.libc)[3]


@lru_cache(maxsize=1024)
def uv_words(os_name: str, arch: str, level: str, libc: str) -> tuple[str, str, str, str]:
    """uv's os, arch and libc words and its platform, for one platform of ours (computed
    once per platform: every archive asks)."""
    uv_os_word = _UV_OS.get(os_name, os_name)
    if arch == "x86_64" and level not in ("", "v1"):
        uv_arch_word = f"x86_64_{level}"
    else:
        uv_arch_word = _UV_ARCH.get(arch, arch)
    uv_libc_word = _UV_LIBC.get(libc, libc)
    return uv_os_word, uv_arch_word, uv_libc_word, f"{uv_os_word}-{uv_arch_word}-{uv_libc_word}"


VARIANT_SUFFIX = {
    "default": "",
    "freethreaded": "+freethreaded",
    "debug": "+debug",
    "freethreaded+debug": "+freethreaded+debug",
}


def uv_key(build: Build) -> str:
    """uv's key of a download, also a request `uv python install` accepts."""
    platform = uv_words(build.os, build.arch, build.arch_level, build.libc)[3]
    return f"cpython-{build.version_str}{VARIANT_SUFFIX[build.variant]}-{platform}"


def uv_offers(build: Build) -> bool:
    """Whether uv lists this archive at all (before ranking)."""
    if not build.known or build.version is None:
        return False
    if (build.version.major, build.version.minor) < UV_OLDEST:
        return False
    if build.libc == "musl" and build.release < MUSL_DYNAMIC_SINCE:
        return False  # uv offers no static-musl-era build
    return not (build.os == "windows" and "static" in build.options)


def uv_rank(build: Build) -> tuple[int, int, tuple[int, ...], str]:
    """Smaller is preferred: flavor, optimisation, newer release, name."""
    flavor = 9  # full archives, and every old timestamped name
    if build.flavor in _UV_FLAVORS and not build.legacy_timestamp:
        flavor = _UV_FLAVORS.index(build.flavor)
    options = build.options
    optimised = ("lto" in options) + ("pgo" in options) + ("static" not in options)
    newest = tuple([-ord(c) for c in build.release])
    return (flavor, -optimised, newest, build.name)


@dataclass
class UvPicks:
    """uv's download for every key the catalog has, and the reverse lookup."""

    by_key: dict[str, Build]
    key_of: dict[str, str]  # archive name -> the key it is uv's download for

    def request_of(self, build: Build) -> str | None:
        """The `uv python install` request this archive answers, or None."""
        return self.key_of.get(build.name)

    def __contains__(self, build: object) -> bool:
        return isinstance(build, Build) and build.name in self.key_of


def uv_picks(builds: Iterable[Build]) -> UvPicks:
    """Apply uv's rules to every archive; one pick per key.

    uv's key (`uv_key`) after its version, and most of `uv_offers`, are the same for every
    archive of one platform and options: made once for each (23k archives are asked)."""
    candidates: dict[str, list[Build]] = {}
    version_platform: dict[str, tuple[str, str]] = {}  # key -> its version and uv platform
    listed: dict[str, Build] = {}  # key -> the archive uv itself lists for it
    uv_release: dict[tuple[str, str], str] = {}  # (version, platform) -> uv's release
    #: (known, os, arch, level, libc, options) -> the key after its version, uv's platform,
    #: whether uv offers none of them, whether they are musl builds (none before 20250311)
    shapes: dict[tuple, tuple[str, str, bool, bool]] = {}
    for b in builds:
        v = b.version
        if v is None:
            continue
        shape = (b.known, b.os, b.arch, b.arch_level, b.libc, b.options)
        found = shapes.get(shape)
        if found is None:
            tail = uv_key(b).removeprefix(f"cpython-{v.text}")
            never = not b.known or (b.os == "windows" and "static" in b.options)
            found = shapes[shape] = (tail, uv_platform(b), never, b.libc == "musl")
        if (
            found[2]
            or (v.major, v.minor) < UV_OLDEST
            or (found[3] and b.release < MUSL_DYNAMIC_SINCE)
        ):
            continue  # uv_offers(b) is False
        version = v.text  # = b.version_str
        key = f"cpython-{version}{found[0]}"
        group = candidates.get(key)
        if group is None:
            candidates[key] = [b]
            version_platform[key] = (version, found[1])
        else:
            group.append(b)
        if b.uv_listed:
            listed[key] = b
            uv_release[(version, found[1])] = b.release
    by_key: dict[str, Build] = {}
    for key, group in candidates.items():
        pick = listed.get(key)
        if pick is None:
            release = uv_release.get(version_platform[key])
            same = [b for b in group if b.release == release] if release else []
            pick = min(same or group, key=uv_rank)
        by_key[key] = pick
    return UvPicks(by_key, {b.name: key for key, b in by_key.items()})


# -- resolving a request --------------------------------------------------------------------

_FLAVOR_RANK = {f: i for i, f in enumerate(FLAVOR_WORDS)}  # stripped, install_only, full
_OPTION_RANK = {
    frozenset({"pgo", "lto"}): 0,
    frozenset({"pgo"}): 1,
    frozenset({"lto"}): 2,
    frozenset({"noopt"}): 3,
    frozenset(): 4,
}


def best_match_rank(b: Build) -> tuple[int, int, int, bool, tuple[int, ...], str]:
    """For --flavor/--options requests: baseline level, smallest flavor, most optimised,
    dynamic before static, newest release, then the name."""
    if b.arch_level in ("", "v1"):
        level = 0
    elif b.arch_level[1:].isdigit():
        level = 10 - int(b.arch_level[1:])
    else:
        level = 9
    opts = frozenset(b.options - {"freethreaded", "debug", "shared", "static"})
    return (
        level,
        _FLAVOR_RANK.get(b.flavor, 9),
        _OPTION_RANK.get(opts, 8),
        "static" in b.options,
        tuple(-ord(c) for c in b.release),
        b.name,
    )


def variant_of_options(options: frozenset[str] | None) -> str:
    opts = options or frozenset()
    parts = [p for p in ("freethreaded", "debug") if p in opts]
    return "+".join(parts) or "default"


@dataclass(frozen=True)
class Platform:
    """The platform a request is for: os, arch, libc and x86-64 level ('' = baseline)."""

    os: str
    arch: str
    libc: str
    level: str = ""

    def holds(self, b: Build) -> bool:
        if (b.os, b.arch) != (self.os, self.arch):
            return False
        if self.libc and b.libc != self.libc:
            return False
        if b.arch == "x86_64":
            return (b.arch_level or "v1") == (self.level or "v1")
        return True


def platform_for(request: Request, host: Host) -> Platform:
    """The request's own platform words where given, else this host's."""
    os_name = request.os or host.os
    arch = request.arch or host.arch
    if request.libc:
        libc = request.libc
    elif os_name == host.os and arch == host.arch:
        libc = host.libc
    else:
        libc = {"linux": "gnu", "darwin": "none", "windows": "msvc"}.get(os_name, "")
    return Platform(os_name, arch, libc, request.level)


def resolve_request(
    builds: Sequence[Build],
    request: Request,
    host: Host,
    *,
    flavor: str | None = None,
    options: frozenset[str] | None = None,
    picks: UvPicks | None = None,
) -> Build:
    """The archive an install of `request` takes on `host` (or on the request's platform).

    Without --flavor/--options that is uv's pick for the newest matching version; with them,
    the best archive that has them (`best_match_rank`). A request that names its platform
    gets it whether or not this machine runs it (as uv does); otherwise only builds this
    machine runs count. FilterError (one line) if none fits.
    """
    variant = request.variant or variant_of_options(options)
    platform = platform_for(request, host)
    filters = Filters(request=request, flavor=flavor, options=options)
    any_host = request.has_platform or (platform.os, platform.arch) != (host.os, host.arch)

    def fits(b: Build, where: Platform) -> bool:
        return (
            b.known
            and b.variant == variant
            and where.holds(b)
            and filters.match(b)
            and (any_host or incompatibility(b, host) is None)
        )

    def newest(pool: list[Build]) -> list[Build]:
        if not request.prerelease:
            pool = [b for b in pool if b.version and not b.version.is_prerelease] or pool
        if not pool:
            return []
        top = max(b.version for b in pool if b.version is not None)
        return [b for b in pool if b.version == top]

    if flavor is None and options is None:
        picks = picks if picks is not None else uv_picks(builds)
        chosen = newest([b for b in picks.by_key.values() if fits(b, platform)])
        if chosen:
            return min(chosen, key=uv_rank)
    group = newest([b for b in builds if fits(b, platform)])
    if not group and not request.libc and not any_host:
        # nothing for this system's libc: a build of another that runs here (static musl)
        anywhere = Platform(platform.os, platform.arch, "", platform.level)
        group = newest([b for b in builds if fits(b, anywhere)])
    if not group:
        wanted = request.text + (f" --flavor {flavor}" if flavor else "")
        if options is not None:
            wanted += f" --options {'+'.join(sorted(options)) or 'none'}"
        where = f"{platform.os}-{platform.arch}" + (f"-{platform.libc}" if platform.libc else "")
        raise FilterError(f"no build matches {wanted} for {where}")
    return min(group, key=best_match_rank)


def host_platform(host: Host) -> Platform:
    """The platform uv installs for on this host: its os, arch and libc, baseline x86-64."""
    return Platform(host.os, host.arch, host.libc, "")


def newest_picks(
    picks: UvPicks,
    platform: Platform,
    *,
    variants: Iterable[str] = ("default", "freethreaded"),
    prereleases: bool = True,
    request: Request | None = None,
) -> list[Build]:
    """What `uv python list` shows: uv's pick of the newest patch of each minor version, one per
    variant, for one platform. A pre-release counts only for a minor with no final release
    yet (and not at all without `prereleases`)."""
    wanted = set(variants)
    best: dict[tuple[int, int, str], Build] = {}
    finals: set[tuple[int, int, str]] = set()
    pool = [
        b
        for b in picks.by_key.values()
        if b.variant in wanted
        and b.version is not None
        and platform.holds(b)
        and (request is None or request.matches(b.version))
    ]
    for b in pool:
        assert b.version is not None
        if not b.version.is_prerelease:
            finals.add((b.version.major, b.version.minor, b.variant))
    for b in pool:
        assert b.version is not None
        key = (b.version.major, b.version.minor, b.variant)
        if b.version.is_prerelease and (key in finals or not prereleases):
            continue
        current = best.get(key)
        if current is None or (b.version, b.release) > (current.version, current.release):
            best[key] = b
    return sorted(best.values(), key=sort_key)
