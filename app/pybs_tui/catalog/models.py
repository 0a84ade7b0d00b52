"""Frozen data types of the catalog: one Build per archive, grouped into a Catalog."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

PBS_DOWNLOAD_PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download"
#: Astral's copy of the release downloads: where uv downloads from by default.
ASTRAL_DOWNLOAD_PREFIX = (
    "https://releases.astral.sh/github/python-build-standalone/releases/download"
)
#: From this release on, musl builds are dynamically linked unless the name says +static;
#: before it every musl build was static (and uv offers none of those).
MUSL_DYNAMIC_SINCE = "20250311"

FLAVORS = ("install_only_stripped", "install_only", "full")

#: One line per flag, shown in detail panes and `--help`.
FLAG_MEANINGS = {
    "Py_DEBUG": "debug interpreter: assertions and refcount checks on, several times slower",
    "no-GIL": "free-threaded (PEP 703): Py_GIL_DISABLED=1, needs extensions built for 3.xt",
    "PGO": "profile-guided optimisation: compiled twice, tuned on a benchmark run",
    "LTO": "link-time optimisation: whole-program inlining across object files",
    "stripped": "debug symbols stripped from binaries: smaller, no native tracebacks",
    "noopt": "built without PGO or LTO: slowest release build",
    "static": "statically linked: runs without the system's libc loader, cannot load C extensions",
}


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """A CPython version such as 3.14.0rc3, ordered like PEP 440."""

    major: int
    minor: int
    patch: int
    pre_rank: int = 3  # a=0, b=1, rc=2, final=3
    pre_num: int = 0
    text: str = field(default="", compare=False, repr=False)  # '3.14.0rc3', computed once

    def __post_init__(self) -> None:
        pre = "" if self.pre_rank == 3 else ("a", "b", "rc")[self.pre_rank] + str(self.pre_num)
        object.__setattr__(self, "text", f"{self.major}.{self.minor}.{self.patch}{pre}")

    @property
    def prerelease(self) -> str:
        if self.pre_rank == 3:
            return ""
        return ("a", "b", "rc")[self.pre_rank] + str(self.pre_num)

    @property
    def is_prerelease(self) -> bool:
        return self.pre_rank != 3

    @property
    def minor_str(self) -> str:
        return f"{self.major}.{self.minor}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Build:
    """One PBS archive, as far as its file name and the catalog tell."""

    name: str
    version: Version | None
    release: str  # release tag, e.g. "20240415"; "" when unknown
    triple: str  # as published, e.g. "x86_64_v3-unknown-linux-gnu"
    arch: str  # x86_64, aarch64, i686, armv7, ppc64le, s390x, riscv64, ...
    arch_level: str  # "v1".."v4" for x86_64, "" elsewhere
    os: str  # linux, darwin, windows
    libc: str  # gnu, musl, gnueabi, gnueabihf, msvc, none
    options: frozenset[str]
    flavor: str  # full, install_only, install_only_stripped
    archive_format: str  # tar.zst, tar.gz
    known: bool = True  # False: an "other" name, parsed only in part
    problem: str = ""  # why it is "other"
    legacy_timestamp: str = ""  # old names: "20211017T1616"
    url: str = ""
    sha256: str | None = None
    size: int | None = None
    size_source: str = ""  # where the size comes from: 'GitHub API', 'HEAD request', ...
    options_text: str = ""  # the build options as the name writes them: 'freethreaded+pgo+lto'
    derived: bool = False  # the name was inferred from PBS's rules, no source lists it yet
    uv_listed: bool = False  # `uv python list` names it: it is one of uv's downloads
    #: the different sha256 sources gave for this name (then `sha256` is None: no source is
    #: believed over another; an install needs the release's SHA256SUMS to confirm one)
    conflict: tuple[str, ...] = ()

    # -- derived -------------------------------------------------------------------------
    @property
    def py_debug(self) -> bool:
        return "debug" in self.options

    @property
    def gil_disabled(self) -> bool:
        return "freethreaded" in self.options

    @property
    def pgo(self) -> bool:
        return "pgo" in self.options

    @property
    def lto(self) -> bool:
        return "lto" in self.options

    @property
    def stripped(self) -> bool:
        return self.flavor == "install_only_stripped"

    @property
    def static(self) -> bool:
        """Statically linked: '+static' in the name, or a musl build of the static era."""
        return "static" in self.options or (
            self.libc == "musl" and bool(self.release) and self.release < MUSL_DYNAMIC_SINCE
        )

    @property
    def variant(self) -> str:
        """default, freethreaded, debug or freethreaded+debug (uv's variant words)."""
        return _VARIANT[("freethreaded" in self.options, "debug" in self.options)]

    @property
    def options_label(self) -> str:
        """Build options as PBS writes them, e.g. 'freethreaded+pgo+lto'; '-' if none."""
        if self.options_text:
            return self.options_text
        return "+".join(sorted(self.options, key=_option_order)) or "-"

    @property
    def flags(self) -> tuple[str, ...]:
        """Badges the name itself proves: Py_DEBUG, no-GIL, PGO, LTO, noopt, static, stripped.

        install_only archives carry no options in their name; `catalog.flags` infers theirs.
        """
        out = []
        if self.py_debug:
            out.append("Py_DEBUG")
        if self.gil_disabled:
            out.append("no-GIL")
        if self.pgo:
            out.append("PGO")
        if self.lto:
            out.append("LTO")
        if "noopt" in self.options:
            out.append("noopt")
        if self.static:
            out.append("static")
        if self.stripped:
            out.append("stripped")
        return tuple(out)

    @property
    def platform_key(self) -> str:
        """uv-like platform words: 'linux-x86_64-gnu'."""
        level = f"_{self.arch_level}" if self.arch_level not in ("", "v1") else ""
        return f"{self.os}-{self.arch}{level}-{self.libc}"

    @property
    def version_str(self) -> str:
        return str(self.version) if self.version else "?"

    @property
    def size_key(self) -> str:
        """'<tag>/<name>': what a size is kept under (an asset never changes once published)."""
        return f"{self.release}/{self.name}"

    @property
    def astral_url(self) -> str:
        """The same file on releases.astral.sh, uv's default download host ('' if unknown)."""
        if self.url.startswith(PBS_DOWNLOAD_PREFIX + "/"):
            return ASTRAL_DOWNLOAD_PREFIX + self.url[len(PBS_DOWNLOAD_PREFIX) :]
        return ""

    def with_source(
        self,
        *,
        url: str | None = None,
        sha256: str | None = None,
        size: int | None = None,
        size_source: str = "",
    ) -> Build:
        """A copy with url/sha256/size (and where the size comes from) filled in where given."""
        return replace(
            self,
            url=url or self.url,
            sha256=(sha256.lower() if sha256 else self.sha256),
            size=size if size is not None else self.size,
            size_source=size_source if size is not None else self.size_source,
        )


_VARIANT = {
    (False, False): "default",
    (True, False): "freethreaded",
    (False, True): "debug",
    (True, True): "freethreaded+debug",
}

#: PBS's order of options in a name: freethreaded+pgo+lto, freethreaded+debug, lto+static.
_OPTION_ORDER = {
    "freethreaded": 0,
    "shared": 1,
    "pgo": 2,
    "lto": 3,
    "noopt": 4,
    "debug": 5,
    "static": 6,
}


def _option_order(option: str) -> tuple[int, str]:
    return (_OPTION_ORDER.get(option, 50), option)


@dataclass(frozen=True, slots=True)
class Release:
    """A PBS release tag and when it was published (ISO date, may be empty)."""

    tag: str
    published: str = ""


@dataclass
class Catalog:
    """Every known build, plus where the list came from and how old it is."""

    builds: list[Build]
    source: str  # "live", "cache", "snapshot", "file"
    origin: str  # URL or path
    fetched_at: float | None = None  # unix time the data was obtained
    notes: list[str] = field(default_factory=list)  # warnings to show once
    others: list[Build] = field(default_factory=list)  # names we could only partly parse
    published: dict[str, str] = field(default_factory=dict)  # release tag -> ISO date

    @cached_property
    def by_name(self) -> dict[str, Build]:
        return {b.name: b for b in self.builds}

    @property
    def releases(self) -> list[str]:
        return sorted({b.release for b in self.builds if b.release})
