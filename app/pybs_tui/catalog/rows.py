"""Machine-readable rows for builds: a superset of `uv python list --output-format json`.

The fields uv prints carry uv's values (its key, arch and libc words, and the URL on
releases.astral.sh, where uv downloads from by default); the rest say what uv does not: the
archive, its size and sha256, flags with where each comes from, and uv's pick.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from json.encoder import encode_basestring_ascii as encode_string
from typing import Any, Protocol

from .flags import FlagFacts
from .models import ASTRAL_DOWNLOAD_PREFIX, PBS_DOWNLOAD_PREFIX, Build
from .select import VARIANT_SUFFIX, UvPicks, uv_words


class RowFacts(Protocol):
    """What a row needs besides its build: uv's picks and the flags (a CatalogIndex, or
    `cli.listing.EveryArchive`)."""

    picks: UvPicks
    flags: FlagFacts


def build_row(build: Build, index: RowFacts, installed: str | None = None) -> dict[str, Any]:
    """uv's fields (key, version, version_parts, path, symlink, url, os, variant,
    implementation, arch, libc), then name, release, flavor, options, flags (with the source of
    each that is not read from the file name), size, sha256, uv_pick (the `uv python install`
    request this archive answers, or null).

    What is the same for many archives (uv's platform words, the flags of one release,
    platform, options and flavor) is computed once and shared between rows: 23k rows are
    written by `list --all`."""
    v = build.version
    os_word, arch_word, libc_word, platform = uv_words(
        build.os, build.arch, build.arch_level, build.libc
    )
    variant = build.variant
    flags, flags_source = index.flags.maps(build)
    options_label = build.options_label
    return {
        "key": f"cpython-{build.version_str}{VARIANT_SUFFIX[variant]}-{platform}",
        "version": build.version_str,
        "version_parts": {"major": v.major, "minor": v.minor, "patch": v.patch} if v else None,
        "path": installed,
        "symlink": None,
        "url": build.astral_url or build.url,
        "os": os_word,
        "variant": variant,
        "implementation": "cpython",
        "arch": arch_word,
        "libc": libc_word,
        "name": build.name,
        "github_url": build.url,
        "release": build.release,
        "triple": build.triple,
        "arch_level": build.arch_level or None,
        "flavor": build.flavor,
        "archive_format": build.archive_format,
        "options": options_label if options_label != "-" else "",
        "build_options": _sorted_options(build.options),
        "flags": flags,
        # where a flag does not come from the file name: inferred, or unknown and why
        "flags_source": flags_source,
        "prerelease": bool(v and v.is_prerelease),
        "size": build.size,
        "size_source": build.size_source or None,
        "sha256": build.sha256,
        "uv_pick": index.picks.request_of(build),
        "installed": installed is not None,
        "derived": build.derived,
        "known": build.known,
        "problem": build.problem or None,
    }


@lru_cache(maxsize=512)
def _sorted_options(options: frozenset[str]) -> list[str]:
    return sorted(options)


# -- the same rows as JSON text, written per shape ------------------------------------------
#
# `list --all` writes 23k rows; encoding each row's dict with `json` cost more than the rest
# of the command. The rows are a few hundred shapes (platform, options, flavor, format): the
# JSON text of what a shape fixes is made once, with `json.dumps` itself, and each row fills
# in only what varies (version, URLs, name, release, flags, size, sha256, uv's pick...), each
# value encoded by json's own C string encoder. `tests/unit/test_row_text.py` holds the text
# equal to `json.dumps(build_row(...))` on the real catalog and on odd values.

_PBS_PREFIX = PBS_DOWNLOAD_PREFIX + "/"
_ASTRAL_QUOTED = '"' + ASTRAL_DOWNLOAD_PREFIX + "/"


def _dumps(value: Any) -> str:
    """One value as `json.dumps(row, default=str)` writes it inside a row."""
    return json.dumps(value, default=str)


def _text_or_null(value: Any) -> str:
    if value is None:
        return "null"
    if value.__class__ is str:
        return encode_string(value)
    return _dumps(value)


class _Shape:
    """The JSON text a row's platform, options, flavor and format fix, in pieces around
    what varies, and the text of its flags by what they depend on besides the shape."""

    __slots__ = ("after_release", "flag_texts", "flags", "key_tail", "middle", "tail")

    def __init__(self, build: Build) -> None:
        os_word, arch_word, libc_word, platform = uv_words(
            build.os, build.arch, build.arch_level, build.libc
        )
        variant = build.variant
        options_label = build.options_label
        #: the key after its version: '+freethreaded-linux-x86_64-gnu' (inside the quotes)
        self.key_tail = encode_string(f"{VARIANT_SUFFIX[variant]}-{platform}")[1:-1]
        #: from os to the name's key
        self.middle = (
            f', "os": {_dumps(os_word)}, "variant": {_dumps(variant)}, "implementation": '
            f'"cpython", "arch": {_dumps(arch_word)}, "libc": {_dumps(libc_word)}, "name": '
        )
        #: from the triple to the flags' key
        self.after_release = (
            f', "triple": {_dumps(build.triple)}, "arch_level": {_dumps(build.arch_level or None)}'
            f', "flavor": {_dumps(build.flavor)}, "archive_format": '
            f"{_dumps(build.archive_format)}, "
            f'"options": {_dumps(options_label if options_label != "-" else "")}, '
            f'"build_options": {_dumps(_sorted_options(build.options))}, "flags": '
        )
        #: from the known flag to the problem's value
        self.tail = f', "known": {_dumps(build.known)}, "problem": '
        #: release -> the text from the release's key to "flags_source"'s value
        self.flags: dict[str, str] = {}
        #: (install_only's inferred options and why, static) -> the same text
        self.flag_texts: dict[tuple[Any, bool], str] = {}

    def release_flags(self, build: Build, facts: FlagFacts) -> str:
        """The text from the release's key to the flags' sources for this shape's `build`.
        The flags depend on the shape, the options an install_only archive was cut with (per
        release, platform and kind) and whether it is static (musl before 20250311): their
        text is made once for each."""
        static = build.static
        answer = None if build.flavor == "full" else facts.source_options(build)
        key = (answer, static)
        flags = self.flag_texts.get(key)
        if flags is None:
            found = facts.facts(build)
            values = {f.name: f.value for f in found}
            sources = {f.name: f.source for f in found if f.source != "name"}
            flags = self.flag_texts[key] = f'{_dumps(values)}, "flags_source": {_dumps(sources)}'
        text = self.flags[build.release] = (
            f', "release": {_text_or_null(build.release)}{self.after_release}{flags}'
        )
        return text


def row_texts(
    builds: Iterable[Build],
    uv_requests: Mapping[str, str],
    facts: FlagFacts,
    installed: Mapping[str, str],
) -> Iterator[str]:
    """The JSON text of each build's row: `json.dumps(build_row(build, index, path),
    default=str)` to the byte, where `uv_requests` is the index's `picks.key_of`, `facts` its
    `flags` and `installed` maps names to install paths."""
    shapes: dict[tuple, _Shape] = {}
    versions: dict[str | None, tuple[str, str, str]] = {}
    source_texts: dict[str, str] = {}
    encode = encode_string
    for b in builds:
        shape_key = (
            b.triple,
            b.os,
            b.arch,
            b.arch_level,
            b.libc,
            b.options,
            b.options_text,
            b.flavor,
            b.archive_format,
            b.known,
        )
        shape = shapes.get(shape_key)
        if shape is None:
            shape = shapes[shape_key] = _Shape(b)
        v = b.version
        version_key = v.text if v is not None else None
        version = versions.get(version_key)
        if version is None:
            version = versions[version_key] = _version_texts(b)
        version_text, parts, prerelease = version
        name = b.name
        url = b.url
        github_url = encode(url)
        if url.startswith(_PBS_PREFIX):
            url_text = _ASTRAL_QUOTED + github_url[len(_PBS_PREFIX) + 1 :]
        else:
            url_text = github_url
        path = installed.get(name)
        release_flags = shape.flags.get(b.release)
        if release_flags is None:
            release_flags = shape.release_flags(b, facts)
        size = b.size
        size_text = (
            "null" if size is None else repr(size) if size.__class__ is int else _dumps(size)
        )
        size_source = b.size_source
        source_text = source_texts.get(size_source)
        if source_text is None:
            source_text = source_texts[size_source] = _text_or_null(size_source or None)
        sha256 = b.sha256
        sha256_text = encode(sha256) if sha256.__class__ is str else _text_or_null(sha256)
        pick = uv_requests.get(name)
        problem = b.problem
        derived = b.derived
        derived_text = (
            "true" if derived is True else "false" if derived is False else _dumps(derived)
        )
        yield (
            f'{{"key": "cpython-{version_text}{shape.key_tail}", "version": "{version_text}", '
            f'"version_parts": {parts}, "path": {"null" if path is None else encode(path)}, '
            f'"symlink": null, "url": {url_text}{shape.middle}{encode(name)}, '
            f'"github_url": {github_url}{release_flags}, "prerelease": {prerelease}, '
            f'"size": {size_text}, "size_source": {source_text}, "sha256": {sha256_text}, '
            f'"uv_pick": {"null" if pick is None else encode(pick)}, '
            f'"installed": {"false" if path is None else "true"}, "derived": {derived_text}'
            f"{shape.tail}{_text_or_null(problem) if problem else 'null'}}}"
        )


def _version_texts(build: Build) -> tuple[str, str, str]:
    """The version as the key and "version" write it (inside the quotes), "version_parts" and
    "prerelease"."""
    v = build.version
    parts = {"major": v.major, "minor": v.minor, "patch": v.patch} if v else None
    return (
        encode_string(build.version_str)[1:-1],
        _dumps(parts),
        _dumps(bool(v and v.is_prerelease)),
    )


def write_json_rows(
    write: Callable[[str], object], texts: Iterable[str], batch: int = 1000
) -> None:
    """A JSON list of row texts, `batch` rows a write: the bytes `print_json_list` writes in a
    pipe, without the 31 MB string of `list --all` in memory at once."""
    write("[")
    chunk: list[str] = []
    first = True
    for text in texts:
        chunk.append(text)
        if len(chunk) == batch:
            write(", ".join(chunk) if first else ", " + ", ".join(chunk))
            first = False
            chunk = []
    if chunk:
        write(", ".join(chunk) if first else ", " + ", ".join(chunk))
    write("]\n")
