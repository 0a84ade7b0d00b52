"""Filtering, grouping and picking over builds (pure).

- requests such as '3.12', '3.12.3+debug', '3.13t' -> Request
- filters (version, os, arch, libc, flavor, options, release) -> Filters.match
- host fit: which builds a machine can run, and why not
- uv's pick for a version and platform; what an install_only archive was repackaged from
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .models import Build, Version
from .names import FLAVOR_WORDS, KNOWN_ARCHES, KNOWN_OPTIONS, KNOWN_SYSTEMS

OS_ALIASES = {
    "linux": "linux",
    "darwin": "darwin",
    "macos": "darwin",
    "osx": "darwin",
    "windows": "windows",
    "win": "windows",
}
ARCH_ALIASES = {
    "amd64": "x86_64",
    "x64": "x86_64",
    "x86-64": "x86_64",
    "arm64": "aarch64",
    "x86": "i686",
    "i386": "i686",
    "powerpc64le": "ppc64le",
    "riscv64gc": "riscv64",
    "armv7l": "armv7",
}
LIBCS = sorted({libc for _, libc in KNOWN_SYSTEMS.values()})
VARIANTS = ("default", "freethreaded", "debug", "freethreaded+debug")
#: Full builds an install_only archive may be cut from, best first (PBS release.rs order).
INSTALL_ONLY_SOURCES = (("pgo", "lto"), ("pgo",), ("lto",), ("noopt",), ())


class FilterError(ValueError):
    """A filter or request value that names nothing we know."""


def normalise_os(value: str) -> str:
    try:
        return OS_ALIASES[value.lower()]
    except KeyError:
        raise FilterError(f"unknown os {value!r}: use linux, macos or windows") from None


def normalise_arch(value: str) -> str:
    arch = ARCH_ALIASES.get(value.lower(), value.lower())
    if arch not in KNOWN_ARCHES:
        raise FilterError(f"unknown arch {value!r}: use one of {', '.join(sorted(KNOWN_ARCHES))}")
    return arch


def normalise_libc(value: str) -> str:
    if value.lower() not in LIBCS:
        raise FilterError(f"unknown libc {value!r}: use one of {', '.join(LIBCS)}")
    return value.lower()


def normalise_flavor(value: str) -> str:
    if value not in FLAVOR_WORDS:
        raise FilterError(f"unknown flavor {value!r}: use one of {', '.join(FLAVOR_WORDS)}")
    return value


def parse_options(value: str) -> frozenset[str]:
    """'pgo+lto' or 'pgo,lto' -> {'pgo', 'lto'}; 'none' -> empty set."""
    if value.lower() in ("none", "-", ""):
        return frozenset()
    opts = frozenset(o for o in re.split(r"[+,]", value.lower()) if o)
    unknown = opts - KNOWN_OPTIONS
    if unknown:
        raise FilterError(
            f"unknown build option {'+'.join(sorted(unknown))!r}: "
            f"use {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    return opts


@dataclass(frozen=True)
class Request:
    """A version request, as uv writes them: '3.12' (prefix), '3.12.3+debug', '3.13t',
    optionally for a platform: 'cpython-3.12.3+debug-linux-aarch64-gnu', '3.13t-macos'."""

    parts: tuple[int, ...] = ()
    prerelease: str = ""  # 'rc3' when asked for exactly
    variant: str | None = None  # None: any; else one of VARIANTS
    os: str = ""  # '' = this host's
    arch: str = ""
    libc: str = ""  # '' = the platform's own (none on macOS and Windows)
    level: str = ""  # x86-64 level 'v2'..'v4'; '' = baseline
    text: str = ""  # as the user wrote it

    def matches(self, version: Version | None) -> bool:
        if version is None:
            return not self.parts
        got = (version.major, version.minor, version.patch)
        if got[: len(self.parts)] != self.parts:
            return False
        return not self.prerelease or version.prerelease == self.prerelease

    @property
    def exact(self) -> bool:
        return len(self.parts) == 3

    @property
    def has_platform(self) -> bool:
        return bool(self.os or self.arch or self.libc or self.level)


_REQUEST = re.compile(
    r"^(?:cpython[-@]?)?(?P<nums>\d+(?:\.\d+){0,2})(?P<pre>(?:a|b|rc)\d+)?(?P<t>t)?"
    r"(?:\+(?P<variant>[a-z+]+))?(?P<platform>(?:-[a-z0-9_]+)*)\Z"
)
_LEVEL_ARCH = re.compile(r"^x86_64_(v[2-4])\Z")


def _platform_words(words: list[str], text: str) -> dict[str, str]:
    """'linux', 'x86_64_v3', 'gnu' (any order, each kind once) -> Request fields."""
    out: dict[str, str] = {}

    def put(kind: str, value: str, word: str) -> None:
        if kind in out:
            raise FilterError(f"invalid version request {text!r}: two {kind} words ({word!r})")
        out[kind] = value

    for word in words:
        level = _LEVEL_ARCH.match(word)
        if word in OS_ALIASES:
            put("os", OS_ALIASES[word], word)
        elif level:
            put("arch", "x86_64", word)
            out["level"] = level.group(1)
        elif word in ARCH_ALIASES or word in KNOWN_ARCHES:
            put("arch", ARCH_ALIASES.get(word, word), word)
        elif word in LIBCS or word == "none":
            put("libc", "" if word == "none" else word, word)
        else:
            raise FilterError(
                f"invalid version request {text!r}: {word!r} is not an os, arch or libc"
            )
    return out


def parse_request(text: str) -> Request:
    """Parse a version request; FilterError on anything else."""
    m = _REQUEST.match(text.strip().lower())
    if not m:
        raise FilterError(
            f"invalid version request {text!r}: try 3.12, 3.12.3, 3.13t, 3.12.3+debug or "
            "cpython-3.12-linux-aarch64-gnu"
        )
    parts = tuple(int(n) for n in m["nums"].split("."))
    if m["pre"] and len(parts) != 3:
        raise FilterError(f"invalid version request {text!r}: a pre-release needs x.y.z")
    variant = m["variant"]
    if m["t"]:
        variant = "freethreaded" + ("+debug" if variant == "debug" else "")
        if m["variant"] not in (None, "debug", "freethreaded"):
            raise FilterError(f"unknown variant {m['variant']!r} in {text!r}")
    if variant == "debug+freethreaded":
        variant = "freethreaded+debug"
    if variant is not None and variant not in VARIANTS:
        raise FilterError(f"unknown variant {variant!r}: use one of {', '.join(VARIANTS)}")
    words = [w for w in m["platform"].split("-") if w]
    platform = _platform_words(words, text)
    return Request(parts, m["pre"] or "", variant, text=text.strip(), **platform)


@dataclass(frozen=True)
class Host:
    """What this machine is: os, arch, libc, x86-64 level (1..4), and whether the musl
    loader is installed (a glibc system can still run dynamically linked musl builds then)."""

    os: str
    arch: str
    libc: str
    level: int = 1
    musl_loader: bool = False

    @property
    def triple_words(self) -> str:
        return (
            f"{self.os}-{self.arch}"
            + (f"-v{self.level}" if self.arch == "x86_64" else "")
            + f"-{self.libc}"
        )


def incompatibility(build: Build, host: Host) -> str | None:
    """Why this host cannot run the build, or None if it can."""
    if build.os != host.os:
        return f"built for {build.os}, this is {host.os}"
    if build.arch != host.arch and not (
        host.arch == "x86_64" and build.arch == "i686" and host.os == "windows"
    ):
        return f"built for {build.arch}, this CPU is {host.arch}"
    if build.arch_level and build.arch_level.startswith("v") and build.arch_level[1:].isdigit():
        level = int(build.arch_level[1:])
        if level > host.level:
            return f"needs x86-64-{build.arch_level}, this CPU has x86-64-v{host.level}"
    if host.os == "linux" and build.libc != host.libc:
        if build.libc == "musl":
            if build.static or host.musl_loader:
                return None  # static musl runs on any Linux
            return (
                f"a dynamically linked musl build: needs the musl loader "
                f"(/lib/ld-musl-{build.arch}.so.1), which this {host.libc} system lacks"
            )
        return f"built for {build.libc}, this system uses {host.libc}"
    return None


@dataclass
class Filters:
    """What `list` and the browser narrow the catalog by. Empty fields match everything."""

    request: Request | None = None
    os: str | None = None
    arch: str | None = None
    libc: str | None = None
    level: str | None = None
    flavor: str | None = None
    options: frozenset[str] | None = None
    release: str | None = None
    prereleases: bool = True
    text: str = ""
    names: frozenset[str] = field(default_factory=frozenset)  # restrict to these, if given

    def match(self, b: Build) -> bool:
        request = self.request
        if request is not None:
            if not request.matches(b.version):
                return False
            if request.variant is not None and b.variant != request.variant:
                return False
            if request.has_platform and not (
                (not request.os or b.os == request.os)
                and (not request.arch or b.arch == request.arch)
                and (not request.libc or b.libc == request.libc)
                and (not request.level or b.arch_level == request.level)
            ):
                return False
        if self.os and b.os != self.os:
            return False
        if self.arch and b.arch != self.arch:
            return False
        if self.libc and b.libc != self.libc:
            return False
        if self.level and b.arch_level != self.level:
            return False
        if self.flavor and b.flavor != self.flavor:
            return False
        if self.options is not None and not self.options <= b.options:
            return False
        if self.options == frozenset() and b.options - {"shared", "static"}:
            return False  # 'none' means plain builds only
        if self.release and b.release != self.release:
            return False
        if not self.prereleases and b.version and b.version.is_prerelease:
            return False
        if self.names and b.name not in self.names:
            return False
        return not self.text or all(word in b.name.lower() for word in self.text.lower().split())


def sort_key(b: Build) -> tuple:
    """Newest version first, then newest release, then platform, options, flavor.

    What follows the release (triple, variant, options, flavor, format) is the same for every
    archive of one platform, options, flavor and format: made once for each (the index sorts
    23k archives)."""
    v = b.version or _ZERO
    release = b.release
    shape = (b.triple, b.options, b.options_text, b.flavor, b.archive_format)
    tail = _SORT_TAILS.get(shape)
    if tail is None:
        if len(_SORT_TAILS) >= _SORT_TAILS_MAX:
            _SORT_TAILS.clear()
        tail = _SORT_TAILS[shape] = (
            b.triple,
            b.variant,
            b.options_label,
            _FLAVOR_ORDER.get(b.flavor, 9),
            b.archive_format,
        )
    return (
        -v.major,
        -v.minor,
        -v.patch,
        -v.pre_rank,
        -v.pre_num,
        -int(release) if release.isdigit() else 0,
        *tail,
    )


#: sort_key's tail by (triple, options, options text, flavor, format); a few hundred in a
#: catalog, emptied when a catalog of made-up names grows it past the bound
_SORT_TAILS: dict[tuple, tuple] = {}
_SORT_TAILS_MAX = 4096
_ZERO = Version(0, 0, 0)
_FLAVOR_ORDER = {f: i for i, f in enumerate(FLAVOR_WORDS)}


def newest_per_minor(
    builds: Iterable[Build], *, include_prereleases: bool = True
) -> dict[tuple[int, int], tuple[Version, str]]:
    """(major, minor) -> (newest version, newest release tag of that version).

    Pre-releases only count for a minor with no final release yet (like uv's default list).
    """
    best: dict[tuple[int, int], tuple[Version, str]] = {}
    finals = {
        (b.version.major, b.version.minor)
        for b in builds
        if b.version and not b.version.is_prerelease
    }
    for b in builds:
        v = b.version
        if v is None:
            continue
        key = (v.major, v.minor)
        if v.is_prerelease and (key in finals or not include_prereleases):
            continue
        cur = best.get(key)
        if cur is None or (v, b.release) > cur:
            best[key] = (v, b.release)
    return best


def uv_pick(builds: Sequence[Build], variant: str = "default") -> Build | None:
    """The archive uv would install among builds of one version+release+platform.

    uv takes install_only_stripped, else install_only, for the default and freethreaded
    variants; debug variants exist only as full archives. Baseline x86-64 (v1) only.
    """
    wanted = {"default": frozenset(), "freethreaded": frozenset({"freethreaded"})}.get(variant)
    candidates = [b for b in builds if b.variant == variant and b.arch_level in ("", "v1")]
    if wanted is not None:
        for flavor in ("install_only_stripped", "install_only"):
            for b in candidates:
                if b.flavor == flavor and b.options - {"shared"} == wanted:
                    return b
        return None
    fulls = [b for b in candidates if b.flavor == "full"]
    return _best_full(fulls)


def _best_full(fulls: Sequence[Build]) -> Build | None:
    for wanted in INSTALL_ONLY_SOURCES:
        for b in fulls:
            if (b.options - {"freethreaded", "debug", "shared", "static"}) == set(wanted):
                return b
    return fulls[0] if fulls else None


def install_only_source(build: Build, same_release: Iterable[Build]) -> Build | None:
    """The full build an install_only archive was repackaged from, if the catalog tells.

    PBS cuts install_only from the best full build of the same triple and release:
    pgo+lto where it exists, else pgo, else lto, else noopt.
    """
    if build.flavor == "full":
        return None
    want_ft = build.gil_disabled
    fulls = [
        b
        for b in same_release
        if b.flavor == "full"
        and b.triple == build.triple
        and b.release == build.release
        and b.version == build.version
        and b.gil_disabled == want_ft
        and not b.py_debug
    ]
    return _best_full(fulls)


def describe_source(build: Build, same_release: Iterable[Build]) -> str:
    """One line: what an install_only archive is made of."""
    if build.flavor == "full":
        return "full archive: the build plus its artifacts (object files, build info)"
    source = install_only_source(build, same_release)
    strip = " with debug symbols stripped" if build.stripped else ""
    if source is None:
        return (
            f"{build.flavor} = a repackaged full build{strip}; the catalog has no full build "
            "of this release and platform to say which"
        )
    return f"{build.flavor} = the {source.options_label} build without build artifacts{strip}"


def tree(builds: Iterable[Build]) -> dict[str, dict[str, dict[str, list[Build]]]]:
    """minor ('3.12') -> patch ('3.12.3') -> variant -> builds, newest first at each level."""
    out: dict[str, dict[str, dict[str, list[Build]]]] = {}
    for b in sorted(builds, key=sort_key):
        if b.version is None:
            continue
        out.setdefault(b.version.minor_str, {}).setdefault(str(b.version), {}).setdefault(
            b.variant, []
        ).append(b)
    return out
