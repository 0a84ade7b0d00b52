"""A parsed catalog in a form that is cheap to read back (pure: JSON values in and out).

Parsing 23k asset names with regular expressions costs a fifth of a second at every start.
Names repeat their parts: a few hundred version texts, release tags and bodies
('x86_64_v3-unknown-linux-gnu-freethreaded+pgo+lto-full') make up every name. The packed
form keeps those parts once, in tables, and one column per field:

    {"schema": "pybs-tui-packed/1", "source_sha256": <digest of what was parsed>,
     "generated": ..., "published": {tag: date}, "size_sources": ["", ...],
     "versions": ["3.12.3", ...], "tags": ["20240415", ...],
     "bodies": ["x86_64-unknown-linux-gnu-install_only", ...],
     "columns": {"version": [index, ...], "tag": [...], "body": [...], "format": [0 or 1],
                 "sha256": [...], "size": [...], "marks": [...], "size_source": [index]},
     "extras": {"<row>": {"url": ..., "conflict": [...]}},
     "raw": [[name, sha256, size, url, marks, release, size_source, conflict], ...]}

`format` 0 is tar.zst, 1 tar.gz; `extras` hold a URL that is not the canonical one and the
digests sources disagree on. Names that do not have the modern shape, or that parse with a
problem, are kept `raw` and parsed again on read. Reading is mostly whole-column work in C
(map, set, join); 23k Build objects are still made, which is most of what it costs.

Nothing in it is trusted: reading it parses each distinct version and body with
`catalog.names` (so every derived field is ours, never the file's), rebuilds every name from
its parts, and checks every tag, digest, size and mark. Anything out of place raises
`PackedError`; the caller then parses the source again. `source_sha256` ties the form to
the bytes it was made from: a form of other bytes is never used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, fields
from itertools import repeat
from typing import Any

from .models import PBS_DOWNLOAD_PREFIX, Build, Version
from .names import _parse_body, _plausible_tag, parse_name, parse_version
from .sources import MARK_DERIVED, MARK_UV, Parsed, asset_url, clean_sha256, marks_of

PACKED_SCHEMA = "pybs-tui-packed/1"
FORMATS = ("tar.zst", "tar.gz")
COLUMNS = ("version", "tag", "body", "format", "sha256", "size", "marks", "size_source")
_NAME = "cpython-{}+{}-{}.{}"
_URL = PBS_DOWNLOAD_PREFIX + "/{}/{}"
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX_RUN = re.compile(r"[0-9a-f]*")
_TAG = re.compile(r"\d{8}\Z")
_PART = re.compile(r"[A-Za-z0-9._+\-]+\Z")
_MARKS = frozenset({"", MARK_DERIVED, MARK_UV, MARK_DERIVED + MARK_UV})
_DERIVED = frozenset({MARK_DERIVED, MARK_DERIVED + MARK_UV})
_UV = frozenset({MARK_UV, MARK_DERIVED + MARK_UV})
_MAX_URL = 2048


class PackedError(ValueError):
    """The packed form is not one we wrote for this source; parse the source instead."""


class PackedStale(PackedError):
    """A packed form made from other bytes (the source changed since): not an error."""


def pack(parsed: Parsed, source_sha256: str, generated: str = "") -> dict[str, Any]:
    """The packed form of `parsed` (its builds, then the names set aside)."""
    tables: dict[str, dict[str, int]] = {"versions": {}, "tags": {}, "bodies": {}}
    size_sources: dict[str, int] = {"": 0}
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    extras: dict[str, dict[str, Any]] = {}
    raw: list[list[Any]] = []
    for b in [*parsed.builds, *parsed.others]:
        body = _modern_body(b)
        if body is None:
            fields_kept = [b.name, b.sha256, b.size, b.url, marks_of(b), b.release]
            raw.append([*fields_kept, b.size_source, list(b.conflict)])
            continue
        assert b.version is not None  # _modern_body checked it
        for column, table, value in (
            ("version", "versions", b.version.text),
            ("tag", "tags", b.release),
            ("body", "bodies", body),
        ):
            columns[column].append(tables[table].setdefault(value, len(tables[table])))
        columns["format"].append(FORMATS.index(b.archive_format))
        columns["sha256"].append(b.sha256)
        columns["size"].append(b.size)
        columns["marks"].append(marks_of(b))
        columns["size_source"].append(size_sources.setdefault(b.size_source, len(size_sources)))
        extra: dict[str, Any] = {}
        if b.url != _canonical_url(b.release, b.name):
            extra["url"] = b.url
        if b.conflict:
            extra["conflict"] = list(b.conflict)
        if extra:
            extras[str(len(columns["format"]) - 1)] = extra
    return {
        "schema": PACKED_SCHEMA,
        "source_sha256": source_sha256,
        "generated": generated,
        "published": dict(parsed.published),
        "size_sources": list(size_sources),
        **{table: list(values) for table, values in tables.items()},
        "columns": columns,
        "extras": extras,
        "raw": raw,
    }


def _modern_body(b: Build) -> str | None:
    """The body of a modern, fully parsed name ('cpython-V+TAG-BODY.FMT'), or None when the
    name is kept raw (old timestamped shape, a problem, not rebuilt exactly from its parts)."""
    if not b.known or b.problem or b.legacy_timestamp or b.version is None:
        return None
    if b.archive_format not in FORMATS or not _TAG.match(b.release):
        return None
    head = f"cpython-{b.version.text}+{b.release}-"
    tail = "." + b.archive_format
    if not (b.name.startswith(head) and b.name.endswith(tail)):
        return None
    body = b.name[len(head) : -len(tail)]
    return body if _PART.match(body) else None


def _canonical_url(tag: str, name: str) -> str:
    return f"{PBS_DOWNLOAD_PREFIX}/{tag}/{name.replace('+', '%2B')}"


#: keep(os, arch, libc) of a family read first: True for the archives wanted
Keep = Callable[[str, str, str], bool]


@dataclass
class Family:
    """The archives of one family of a packed form (`unpack_family`), and what the whole
    form holds that a partial catalog must still tell: its count and its releases."""

    parsed: Parsed  # the family's archives (`others` left out)
    archives: int  # archives with a version in the whole form (CatalogIndex.total)
    releases: list[str]  # every release tag of an archive in the whole form, sorted


def unpack(payload: object, source_sha256: str, today: dt.date | None = None) -> Parsed:
    """The Parsed catalog held by a packed form made from the bytes with this digest.
    PackedError for anything else (another source, another schema, a field out of place)."""
    result = _guarded(payload, source_sha256, today, None)
    assert isinstance(result, Parsed)
    return result


def unpack_family(
    payload: object, source_sha256: str, keep: Keep, today: dt.date | None = None
) -> Family:
    """Only the archives whose (os, arch, libc) `keep` accepts, made as `unpack` makes them
    (each one equal to `unpack`'s): a fifth of the catalog for one host's family, a fifth of
    the time. Every row of that family is checked as `unpack` checks it; rows of other
    families are not made (`unpack` of the same form reads and checks them later)."""
    result = _guarded(payload, source_sha256, today, keep)
    assert isinstance(result, Family)
    return result


def _guarded(
    payload: object, source_sha256: str, today: dt.date | None, keep: Keep | None
) -> Parsed | Family:
    try:
        return _unpack(payload, source_sha256, today or dt.date.today(), keep)
    except PackedError:
        raise
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise PackedError(f"malformed packed catalog ({type(exc).__name__})") from None


def _select(columns: dict[str, list[Any]], rows: list[int]) -> dict[str, list[Any]]:
    """The columns' values at these rows only."""
    return {name: [columns[name][i] for i in rows] for name in COLUMNS}


def _unpack(payload: Any, source_sha256: str, today: dt.date, keep: Keep | None) -> Parsed | Family:
    if not isinstance(payload, dict) or payload.get("schema") != PACKED_SCHEMA:
        raise PackedError("not a packed catalog of this version")
    if payload.get("source_sha256") != source_sha256:
        raise PackedStale("made from other bytes")
    versions = [_version(text) for text in payload["versions"]]
    bodies = [_body(text) for text in payload["bodies"]]
    tags = [_tag(tag, today) for tag in payload["tags"]]
    size_sources = [_text(s, 200) for s in payload["size_sources"]]
    published = {_tag(tag, today): _text(day, 64) for tag, day in payload["published"].items()}
    columns = payload["columns"]
    count = len(columns["format"])
    if any(len(columns[name]) != count for name in COLUMNS):
        raise PackedError("columns of different lengths")
    extras: dict[str, Any] = payload["extras"]
    if keep is not None:  # one family: its rows only, numbered anew (extras too)
        archives = count  # every modern row has a version
        used_tags = set(columns["tag"])
        if used_tags and (set(map(type, used_tags)) != {int} or min(used_tags) < 0):
            raise PackedError("a malformed tag index")
        releases = {tags[i] for i in used_tags}
        body_col = columns["body"]
        if count and (
            set(map(type, body_col)) != {int} or min(body_col) < 0 or max(body_col) >= len(bodies)
        ):
            raise PackedError("a malformed body index")  # no row may drop out unseen
        wanted = {i for i, (_, shape) in enumerate(bodies) if keep(shape[3], shape[1], shape[4])}
        rows = [i for i, body in enumerate(columns["body"]) if body in wanted]
        renumbered = {str(old): str(new) for new, old in enumerate(rows)}
        columns = _select(columns, rows)
        count = len(rows)
        extras = {renumbered[k]: v for k, v in extras.items() if k in renumbered}
    # Whole columns at once, in C where it can be: indices in range, types exact.
    for name in ("version", "tag", "body", "format", "size_source"):
        if count and (set(map(type, columns[name])) != {int} or min(columns[name]) < 0):
            raise PackedError(f"a malformed {name} index")
    version_col = list(map(versions.__getitem__, columns["version"]))
    vtexts = [v[0] for v in version_col]
    tag_col = list(map(tags.__getitem__, columns["tag"]))
    shapes = list(map(bodies.__getitem__, columns["body"]))
    formats = list(map(FORMATS.__getitem__, columns["format"]))
    names = list(map(_NAME.format, vtexts, tag_col, [s[0] for s in shapes], formats))
    if count and (max(map(len, names)) > 255 or len(set(names)) != count):
        raise PackedError("a name too long or listed twice")
    sha_col, size_col, marks_col = columns["sha256"], columns["size"], columns["marks"]
    if not set(map(type, sha_col)) <= {str, type(None)}:
        raise PackedError("a malformed sha256")
    digests = [d for d in sha_col if d is not None]
    if not _HEX_RUN.fullmatch("".join(digests)) or len("".join(digests)) != 64 * len(digests):
        raise PackedError("a malformed sha256")
    if not set(map(type, size_col)) <= {int, type(None)} or (
        min((n for n in size_col if n is not None), default=0) < 0
    ):
        raise PackedError("a malformed size")
    if not set(marks_col) <= _MARKS:
        raise PackedError("unknown marks")
    size_source_col = [
        size_sources[i] if n is not None else ""
        for i, n in zip(columns["size_source"], size_col, strict=True)
    ]
    urls = list(map(_URL.format, tag_col, [n.replace("+", "%2B") for n in names]))
    parts = list(zip(*[s[1] for s in shapes], strict=True)) if count else [()] * 8
    derived = list(map(_DERIVED.__contains__, marks_col))
    uv_listed = list(map(_UV.__contains__, marks_col))
    built = list(
        map(
            _new_build,
            names,
            [v[1] for v in version_col],
            tag_col,
            *parts[:7],  # triple, arch, arch_level, os, libc, options, flavor
            formats,
            repeat(True),  # known
            repeat(""),  # problem
            repeat(""),  # legacy_timestamp
            urls,
            sha_col,
            size_col,
            size_source_col,
            parts[7],  # options_text
            derived,
            uv_listed,
            repeat(()),  # conflict
        )
    )
    for key, extra in extras.items():
        i = int(key)
        if not 0 <= i < count:
            raise PackedError("extras of a row that is not there")
        url, conflict = _extra(extra, built[i].url)
        built[i] = _with(built[i], url=url, conflict=conflict)
    builds = {b.name: b for b in built}
    others: dict[str, Build] = {}
    for name, sha, size, url, marks, release, size_source, conflict in payload["raw"]:
        b = _raw(name, sha, size, url, marks, release, size_source, conflict, today)
        if b.name in builds or b.name in others:
            raise PackedError("a name listed twice")
        (builds if b.known else others)[b.name] = b
    if keep is None:
        return Parsed(list(builds.values()), list(others.values()), published)
    raw = list(builds.values())[count:]  # the raw rows that are builds, in order
    archives += sum(1 for b in raw if b.version is not None)
    releases.update(b.release for b in raw if b.release)
    family = [*built, *(b for b in raw if keep(b.os, b.arch, b.libc))]
    return Family(Parsed(family, [], published), archives, sorted(releases))


def _fast_constructor() -> Any:
    """Build(*fields) without its __init__: each slot set through its own descriptor, bound
    once (a frozen dataclass's __init__ looks up object.__setattr__ for every field). A
    third less time for 23k builds; Build has no __post_init__ to skip."""
    names = [f.name for f in fields(Build)]
    setters = ", ".join(f"_s{i}=_slots[{i}]" for i in range(len(names)))
    body = "".join(f"    _s{i}(self, {name})\n" for i, name in enumerate(names))
    source = (
        f"def new_build({', '.join(names)}, *, _new=object.__new__, _cls=Build, {setters}):\n"
        f"    self = _new(_cls)\n{body}    return self\n"
    )
    namespace: dict[str, Any] = {
        "Build": Build,
        "_slots": [getattr(Build, n).__set__ for n in names],
    }
    exec(source, namespace)
    return namespace["new_build"]


_new_build = _fast_constructor()
_FIELDS = tuple(f.name for f in fields(Build))


def _with(b: Build, **changes: Any) -> Build:
    """dataclasses.replace(b, **changes) through the fast constructor (a tenth of the time)."""
    return _new_build(*[changes[n] if n in changes else getattr(b, n) for n in _FIELDS])


def _text(value: object, limit: int) -> str:
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise PackedError("a malformed text field")
    return value


def _tag(tag: object, today: dt.date) -> str:
    if not (isinstance(tag, str) and _TAG.match(tag) and _plausible_tag(tag, today)):
        raise PackedError("a malformed release tag")
    return tag


def _version(text: object) -> tuple[str, Version]:
    version = parse_version(text) if isinstance(text, str) else None
    if version is None or version.text != text:
        raise PackedError("a malformed version")
    return text, version


_Shape = tuple[str, str, str, str, str, frozenset[str], str, str]


def _body(text: object) -> tuple[str, _Shape]:
    """A body and what the name parser makes of it; only bodies it reads without a problem."""
    if not isinstance(text, str) or len(text) > 200 or not _PART.match(text):
        raise PackedError("a malformed body")
    shape = _parse_body(text)
    if shape is None or shape[8]:
        raise PackedError("a body that does not parse cleanly")
    triple, arch, level, os_name, libc, options, flavor, options_text, _ = shape
    return text, (triple, arch, level, os_name, libc, options, flavor, options_text)


def _extra(extra: object, url: str) -> tuple[str, tuple[str, ...]]:
    if not isinstance(extra, dict):
        raise PackedError("malformed extras")
    given = extra.get("url", url)
    if not (isinstance(given, str) and given.startswith(("https://", "http://"))):
        raise PackedError("a malformed URL")
    if len(given) > _MAX_URL or not given.isprintable():
        raise PackedError("a malformed URL")
    conflict = extra.get("conflict", [])
    if not isinstance(conflict, list) or not all(
        isinstance(d, str) and _HEX64.match(d) for d in conflict
    ):
        raise PackedError("a malformed conflict")
    return given, tuple(conflict)


def _raw(
    name: object,
    sha: object,
    size: object,
    url: object,
    marks: object,
    release: object,
    size_source: object,
    conflict: object,
    today: dt.date,
) -> Build:
    """A name kept whole: parsed again, as `sources.collect` does."""
    if not isinstance(name, str) or marks not in _MARKS or not isinstance(release, str):
        raise PackedError("a malformed raw row")
    url_text = _extra({"url": url}, "")[0] if url else ""
    _, digests = _extra({"conflict": conflict}, "https://")
    assert isinstance(marks, str)
    size = size if type(size) is int and size >= 0 else None
    b = parse_name(
        name,
        today=today,
        url=url_text,
        sha256=clean_sha256(sha),
        size=size,
        release=release if "T" in name else "",
        derived=MARK_DERIVED in marks,
        uv_listed=MARK_UV in marks,
    )
    if b is None:
        raise PackedError("a raw name that is not an archive")
    return _with(
        b,
        url=url_text or (asset_url(b.release, b.name) if b.known else ""),
        size_source=_text(size_source, 200),
        conflict=digests,
    )
