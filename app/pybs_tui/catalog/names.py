"""Parse PBS asset file names into Build records (pure: no I/O).

Shapes seen since 2018:
  cpython-3.12.3+20240415-x86_64_v3-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst
  cpython-3.12.3+20240415-x86_64-pc-windows-msvc-shared-install_only.tar.gz
  cpython-3.10.0-x86_64-apple-darwin-pgo+lto-20211017T1616.tar.zst      (timestamped)
  cpython-3.7.1-linux64-20181218T1905.tar.zst                           (oldest aliases)
Anything else that starts with ``cpython-`` becomes an "other" Build (known=False) holding
what could be read; other implementations (pypy, graalpy) are recognised and return None.
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache
from urllib.parse import unquote

from .models import Build, Version

KNOWN_ARCHES = frozenset({"x86_64", "aarch64", "i686", "armv7", "ppc64le", "s390x", "riscv64"})
KNOWN_LEVELS = frozenset({"v1", "v2", "v3", "v4"})
KNOWN_OPTIONS = frozenset({"pgo", "lto", "debug", "noopt", "freethreaded", "static", "shared"})
#: vendor-os-libc tails of the triples PBS has published.
KNOWN_SYSTEMS = {
    "unknown-linux-gnu": ("linux", "gnu"),
    "unknown-linux-musl": ("linux", "musl"),
    "unknown-linux-gnueabi": ("linux", "gnueabi"),
    "unknown-linux-gnueabihf": ("linux", "gnueabihf"),
    "apple-darwin": ("darwin", "none"),
    "pc-windows-msvc": ("windows", "msvc"),
}
#: The 2018-2019 short platform words and the triple they stand for.
LEGACY_PLATFORMS = {
    "linux64": "x86_64-unknown-linux-gnu",
    "linux64-musl": "x86_64-unknown-linux-musl",
    "macos": "x86_64-apple-darwin",
    "windows-x86": "i686-pc-windows-msvc",
    "windows-amd64": "x86_64-pc-windows-msvc",
}
FLAVOR_WORDS = ("install_only_stripped", "install_only", "full")
OTHER_IMPLEMENTATIONS = ("pypy", "graalpy", "jython", "ironpython")

_VERSION = r"(?P<version>\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?)"
_NEW = re.compile(
    rf"^cpython-{_VERSION}\+(?P<tag>\d{{8}})-(?P<body>.+)\.(?P<fmt>tar\.zst|tar\.gz)\Z"
)
_OLD = re.compile(
    rf"^cpython-{_VERSION}-(?P<body>.+)-(?P<stamp>\d{{8}}T\d{{4}})\.(?P<fmt>tar\.zst|tar\.gz)\Z"
)
_VERSION_PARTS = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:(a|b|rc)(\d+))?\Z")
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}
_SAFE_NAME = re.compile(r"^[A-Za-z0-9._+\-]+\Z")


@lru_cache(maxsize=4096)
def parse_version(text: str) -> Version | None:
    """'3.14.0rc3' -> Version(3, 14, 0, 2, 3); None if it is not of that shape."""
    m = _VERSION_PARTS.match(text)
    if not m:
        return None
    major, minor, patch, pre, num = m.groups()
    if pre:
        return Version(int(major), int(minor), int(patch), _PRE_RANK[pre], int(num))
    return Version(int(major), int(minor), int(patch))


def implementation_of(name: str) -> str:
    """The interpreter a file name is for: 'cpython', 'pypy', ... or '' if unknown."""
    head = name.split("-", 1)[0].lower()
    if head == "cpython" or head in OTHER_IMPLEMENTATIONS:
        return head
    return ""


def parse_name(
    name: str,
    *,
    today: _dt.date | None = None,
    url: str = "",
    sha256: str | None = None,
    size: int | None = None,
    release: str = "",
    derived: bool = False,
    uv_listed: bool = False,
) -> Build | None:
    """Parse one asset file name (URL-quoted or not).

    Returns None for names that are not CPython archives (pypy, graalpy, checksums, junk
    without the ``cpython-`` prefix). CPython names that do not fully parse come back with
    ``known=False`` and the reason in ``problem``. url/sha256/size are stored as given;
    ``release`` (the tag from a download URL) overrides what an old timestamped name implies.
    """
    if "%" in name:
        name = unquote(name)
    if implementation_of(name) != "cpython":
        return None
    if not _SAFE_NAME.match(name) or len(name) > 255:
        return None  # path characters, spaces, control characters: not an asset name
    fmt = "tar.zst" if name.endswith(".tar.zst") else "tar.gz" if name.endswith(".tar.gz") else ""
    if not fmt:
        return None  # .sha256, .zip, SHA256SUMS and friends are not archives

    m = _NEW.match(name)
    stamp = ""
    if m:
        tag = m["tag"]
        body = m["body"]
    else:
        m = _OLD.match(name)
        if not m:
            return _other(name, fmt, "unrecognised file name")
        stamp = m["stamp"]
        tag = release or stamp[:8]
        body = m["body"] + "-full" if "install_only" not in m["body"] else m["body"]
    version = parse_version(m["version"])
    shape = _parse_body(body)
    if shape is None:
        return _other(name, fmt, f"unknown platform in {body!r}", version=version, tag=tag)
    triple, arch, level, os_name, libc, options, flavor, options_text, problem = shape
    if not _plausible_tag(tag, today or _today()):
        problem = "; ".join(filter(None, [problem, f"implausible release tag {tag}"]))
    return Build(
        name=name,
        version=version,
        release=tag,
        triple=triple,
        arch=arch,
        arch_level=level,
        os=os_name,
        libc=libc,
        options=options,
        flavor=flavor or "?",
        archive_format=fmt,
        known=not problem,
        problem=problem,
        legacy_timestamp=stamp,
        url=url,
        sha256=sha256,
        size=size,
        options_text=options_text,
        derived=derived,
        uv_listed=uv_listed,
    )


_Shape = tuple[str, str, str, str, str, frozenset[str], str, str, str]


@lru_cache(maxsize=8192)
def _parse_body(body: str) -> _Shape | None:
    """'x86_64_v3-unknown-linux-gnu-freethreaded+pgo+lto-full' -> triple, arch, level, os,
    libc, options, flavor, options as written, problems ('' if none). Bodies repeat across
    versions and releases, so this is computed once per shape."""
    triple, rest = _split_triple(body)
    if triple is None:
        return None
    arch, level, os_name, libc = _split_parts(triple)
    tokens = rest.split("-") if rest else []
    flavor = tokens.pop() if tokens and tokens[-1] in FLAVOR_WORDS else ""
    options_text = "-".join(tokens)
    options = frozenset(opt for token in tokens for opt in token.split("+") if opt)
    problems = []
    if not flavor:
        problems.append(f"unknown flavor in {rest!r}")
    unknown_opts = sorted(options - KNOWN_OPTIONS)
    if unknown_opts:
        problems.append("unknown build option " + "+".join(unknown_opts))
    if arch not in KNOWN_ARCHES:
        problems.append(f"unknown architecture {arch}")
    if level and level not in KNOWN_LEVELS:
        problems.append(f"unknown x86-64 level {level}")
    return (triple, arch, level, os_name, libc, options, flavor, options_text, "; ".join(problems))


@lru_cache(maxsize=8192)
def _split_triple(body: str) -> tuple[str | None, str]:
    """Split 'x86_64-unknown-linux-gnu-pgo+lto-full' into the triple and the rest."""
    for legacy, triple in LEGACY_PLATFORMS.items():
        if body == legacy or body.startswith(legacy + "-"):
            # 'linux64-musl' must win over 'linux64': check the longer spelling first
            longer = [k for k in LEGACY_PLATFORMS if k.startswith(legacy + "-")]
            if any(body == k or body.startswith(k + "-") for k in longer):
                continue
            return triple, body[len(legacy) + 1 :]
    arch, _, tail = body.partition("-")
    if not arch or not tail:
        return None, ""
    for system in sorted(KNOWN_SYSTEMS, key=len, reverse=True):
        if tail == system or tail.startswith(system + "-"):
            return f"{arch}-{system}", tail[len(system) + 1 :]
    # Unknown vendor/os: accept '<arch>-<vendor>-<os>[-<env>]' when os is a word we know.
    parts = tail.split("-")
    if len(parts) >= 2 and parts[1] in {
        "linux",
        "darwin",
        "windows",
        "freebsd",
        "netbsd",
        "openbsd",
        "wasi",
        "emscripten",
        "android",
        "ios",
    }:
        take = 2
        if (
            len(parts) > 2
            and parts[2] not in FLAVOR_WORDS
            and "+" not in parts[2]
            and parts[2] not in KNOWN_OPTIONS
        ):
            take = 3
        return "-".join([arch, *parts[:take]]), "-".join(parts[take:])
    return None, ""


@lru_cache(maxsize=1024)
def _split_parts(triple: str) -> tuple[str, str, str, str]:
    """'x86_64_v3-unknown-linux-gnu' -> ('x86_64', 'v3', 'linux', 'gnu')."""
    arch_word, _, system = triple.partition("-")
    arch, level = arch_word, ""
    m = re.match(r"^(x86_64)_(v\d+)\Z", arch_word)
    if m:
        arch, level = m.groups()
    elif arch_word == "x86_64":
        level = "v1"
    if system in KNOWN_SYSTEMS:
        os_name, libc = KNOWN_SYSTEMS[system]
    else:
        bits = system.split("-")
        os_name = bits[1] if len(bits) > 1 else bits[0]
        libc = bits[2] if len(bits) > 2 else "none"
    return arch, level, os_name, libc


def _today() -> _dt.date:
    return _dt.date.today()


@lru_cache(maxsize=4096)
def _plausible_tag(tag: str, today: _dt.date) -> bool:
    try:
        day = _dt.date(int(tag[:4]), int(tag[4:6]), int(tag[6:8]))
    except ValueError:
        return False
    return _dt.date(2018, 1, 1) <= day <= today + _dt.timedelta(days=2)


def _other(
    name: str, fmt: str, problem: str, *, version: Version | None = None, tag: str = ""
) -> Build:
    return Build(
        name=name,
        version=version,
        release=tag,
        triple="?",
        arch="?",
        arch_level="",
        os="?",
        libc="?",
        options=frozenset(),
        flavor="?",
        archive_format=fmt,
        known=False,
        problem=problem,
    )
