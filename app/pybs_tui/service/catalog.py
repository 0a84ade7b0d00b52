"""Decide where the catalog comes from for this run and load it (no textual).

Order: `--catalog` file/URL; else live (NDJSON index + newest API page), falling back to the
cache and then the embedded snapshot; offline goes straight to the cache, then the snapshot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..catalog import jsonsafe, packed, sources
from ..catalog.models import Build, Catalog
from ..fileops import atomic_write, read_bounded
from ..net.cache import INDEX_KEY, SizeCache, drop_entry, read_entry
from ..resources import packed_snapshot_path, snapshot_path
from ..settings import Settings

if TYPE_CHECKING:  # httpx and the request code load only when the network is used
    import httpx


class CatalogUnavailable(Exception):
    """The catalog named by the user could not be read; one line for the user."""


def _catalog(
    parsed: sources.Parsed,
    source: str,
    origin: str,
    fetched_at: float | None,
    settings: Settings,
    notes: list[str],
) -> Catalog:
    conflicts = sum(1 for b in parsed.builds if b.conflict)
    if conflicts:
        notes = [
            *notes,
            f"{conflicts} archive(s) with two different sha256 in the sources: installed "
            "only when the release's SHA256SUMS confirms one",
        ]
    return Catalog(
        with_kept_sizes(parsed.builds, settings),
        source,
        origin,
        fetched_at,
        notes,
        parsed.others,
        parsed.published,
    )


def with_kept_sizes(builds: list[Build], settings: Settings) -> list[Build]:
    """Builds with the sizes kept in the cache filled in (by release tag and asset name)."""
    cache = SizeCache(settings.catalog_cache_dir)
    if cache.empty:
        return builds
    out = []
    for b in builds:
        if b.size is None:
            kept = cache.get(b.size_key, b.sha256)
            if kept is not None:
                b = b.with_source(size=kept[0], size_source=kept[1])
        out.append(b)
    return out


def load_snapshot() -> tuple[sources.Parsed, float | None, str]:
    """The embedded snapshot: (parsed, generated time, path); read once per process."""
    path = snapshot_path()
    stat = path.stat()
    parsed, generated, _ = _read_snapshot(str(path), stat.st_mtime_ns, stat.st_size)
    copy = sources.Parsed(list(parsed.builds), list(parsed.others), dict(parsed.published))
    return copy, generated, str(path)


def snapshot_digest() -> str:
    """sha256 of the embedded snapshot's bytes (what packed forms are tied to); read once."""
    path = snapshot_path()
    stat = path.stat()
    return _digest_of(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=2)
def _digest_of(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@functools.lru_cache(maxsize=2)
def _read_snapshot(path: str, mtime_ns: int, size: int) -> tuple[sources.Parsed, float | None, str]:
    """The snapshot from its packed form (assets/catalog-snapshot.packed.json) when that was
    made from these very bytes, else by parsing every name (a checkout whose snapshot was
    edited without `scripts/build_snapshot.py --repack`)."""
    digest = _digest_of(path, mtime_ns, size)
    try:
        payload = json.loads(packed_snapshot_path().read_bytes())  # ours, shipped with the code
        parsed = packed.unpack(payload, digest)
    except (OSError, ValueError):  # PackedError and JSONDecodeError are ValueErrors
        payload = jsonsafe.loads(Path(path).read_bytes())
        parsed = sources.parse_snapshot(payload)
    return parsed, _generated(payload), digest


def _generated(payload: dict) -> float | None:
    """The snapshot's (or its packed form's) generation time."""
    with contextlib.suppress(ValueError, TypeError, AttributeError):
        return (
            dt.datetime.fromisoformat(payload.get("generated", ""))
            .replace(tzinfo=dt.UTC)
            .timestamp()
        )
    return None


#: The cached index merged over the snapshot, packed: read instead of parsing the index.
PARSED_INDEX_FILE = "release-index.packed.json"


def _index_key(body: bytes) -> str:
    """What the packed form of a cached index is tied to: the schema, the snapshot, its bytes."""
    return hashlib.sha256(
        f"{packed.PACKED_SCHEMA}\n{snapshot_digest()}\n".encode() + body
    ).hexdigest()


def _cached_index(settings: Settings, body: bytes, notes: list[str]) -> sources.Parsed:
    """The cached release index merged over the embedded snapshot. From the packed form kept
    beside it when that was made from these bytes and this snapshot; else parsed, and the
    packed form (re)written. The packed file is read like anything from outside: bounded,
    depth-checked, every field checked (`catalog.packed`); one that does not check out is
    ignored with a note and replaced."""
    key = _index_key(body)
    path = settings.catalog_cache_dir / PARSED_INDEX_FILE
    limit = settings.limits.max_answer_bytes
    data = read_bounded(path, limit + 1)
    if data is not None:
        try:
            if len(data) > limit:
                raise packed.PackedError(f"more than {limit} bytes")
            return packed.unpack(jsonsafe.loads(data), key)
        except packed.PackedStale:
            pass  # the index or the snapshot changed since: parse again
        except ValueError as exc:  # PackedError, JSONRefused
            notes.append(f"the parsed catalog in the cache was unusable ({exc}): parsed again")
    merged = sources.merge(sources.parse_ndjson_index(body), fallback=load_snapshot()[0])
    form = json.dumps(packed.pack(merged, key), separators=(",", ":")).encode()
    with contextlib.suppress(OSError):
        atomic_write(path, form)
    return merged


def read_catalog_arg(arg: str, settings: Settings) -> Catalog:
    """`--catalog PATH_OR_URL`: a file or URL in either live shape, or a snapshot. Read like
    every answer from outside: at most limits.max_answer_bytes, a URL within the request
    deadline; CatalogUnavailable (one line) for anything that cannot be used."""
    from ..net.client import NetError

    try:
        scheme = urlsplit(arg).scheme.lower()
    except ValueError:
        scheme = "http" if arg.lower().startswith(("http:", "https:")) else ""
    try:
        if scheme in ("http", "https"):
            data = _fetch_catalog_url(arg, settings)
        else:
            data = _read_catalog_file(arg, settings.limits.max_answer_bytes)
        parsed = sources.parse_any(data)
    except (OSError, NetError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise CatalogUnavailable(f"cannot read catalog {arg!r}: {reason}") from None
    except sources.CatalogFormatError as exc:
        raise CatalogUnavailable(f"cannot read catalog {arg!r}: {exc}") from None
    return _catalog(parsed, "file", arg, settings.clock(), settings, [])


def _fetch_catalog_url(url: str, settings: Settings) -> bytes:
    from ..net.client import NetError, get_following, make_client

    with make_client(settings) as client:
        response = get_following(client, url, settings)
    if response.status_code != 200:
        raise NetError(f"{url} answered HTTP {response.status_code}")
    return response.content


def _read_catalog_file(arg: str, max_bytes: int) -> bytes:
    """A catalog file (or pipe), at most `max_bytes`."""
    path = Path(arg[7:] if arg.startswith("file://") else arg).expanduser()
    with path.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise OSError(0, f"more than {max_bytes} bytes")
    return data


def load_offline(settings: Settings, notes: list[str] | None = None) -> Catalog:
    """The cached index if it checks out, else the embedded snapshot."""
    notes = list(notes or [])
    entry = read_entry(settings.catalog_cache_dir, INDEX_KEY)
    if entry is not None:
        try:
            merged = _cached_index(settings, entry.body, notes)
        except sources.CatalogFormatError:
            drop_entry(settings.catalog_cache_dir, INDEX_KEY)
            notes.append("the cached catalog was corrupt and has been dropped")
        else:
            return _catalog(merged, "cache", entry.url, entry.fetched_at, settings, notes)
    parsed, generated, path = load_snapshot()
    return _catalog(parsed, "snapshot", path, generated, settings, notes)


def load_catalog(
    settings: Settings, catalog_arg: str | None = None, client: httpx.Client | None = None
) -> Catalog:
    """The catalog for this run, never raising for network trouble (it falls back)."""
    if catalog_arg:
        return read_catalog_arg(catalog_arg, settings)
    if settings.offline:
        return load_offline(settings)
    from ..net.client import NetError, make_client  # httpx: only when the network is used
    from ..net.releases import fetch_index, fetch_recent_releases

    own = client is None
    client = client or make_client(settings)
    notes: list[str] = []
    try:
        try:
            index, entry = fetch_index(client, settings)
        except NetError as exc:
            return load_offline(settings, [f"live catalog unavailable: {exc}"])
        parts = [index]
        if settings.uses_github_api:
            try:
                parts.append(fetch_recent_releases(client, settings))
            except NetError as exc:
                notes.append(str(exc))
        snap, _, _ = load_snapshot()
        merged = sources.merge(*parts, fallback=snap)
        return _catalog(merged, "live", settings.index_url, entry.fetched_at, settings, notes)
    finally:
        if own:
            client.close()


def describe_source(catalog: Catalog, now: float) -> str:
    """'live', 'cached (3 h old)' or 'embedded snapshot (2026-11-27)' for status lines."""
    if catalog.source == "live":
        return "live catalog"
    if catalog.source == "file":
        return f"catalog file {catalog.origin}"
    when = catalog.fetched_at
    if catalog.source == "cache":
        import humanize  # 10-40 ms of imports: only when a cached catalog is shown

        age = humanize.naturaldelta(dt.timedelta(seconds=max(0.0, now - (when or now))))
        return f"cached catalog ({age} old)"
    day = dt.datetime.fromtimestamp(when, dt.UTC).date().isoformat() if when else "unknown date"
    newest = max(catalog.releases, default="none")
    return f"embedded snapshot of {day}, newest release {newest}"


def with_release(
    settings: Settings, catalog: Catalog, tag: str, client: httpx.Client | None = None
) -> Catalog:
    """The catalog with one release's own API listing merged in: every archive of the release,
    with sizes and digests. One API request (a 304 when unchanged costs none); on failure the
    catalog is returned as it was, with a note."""
    from ..catalog.sources import CatalogFormatError, merge
    from ..net.client import NetError, make_client
    from ..net.releases import fetch_release

    if not settings.uses_github_api:  # a mirror is set: sizes come from its files
        return catalog
    own = client is None
    http = client or make_client(settings)
    try:
        listing = fetch_release(http, settings, tag)
    except (NetError, CatalogFormatError) as exc:
        notes = [*catalog.notes, f"release {tag}: its own listing is unavailable ({exc})"]
        return Catalog(
            catalog.builds,
            catalog.source,
            catalog.origin,
            catalog.fetched_at,
            notes,
            catalog.others,
            catalog.published,
        )
    finally:
        if own:
            http.close()
    merged = merge(sources.Parsed(catalog.builds, catalog.others, catalog.published), listing)
    return Catalog(
        with_kept_sizes(merged.builds, settings),
        catalog.source,
        catalog.origin,
        catalog.fetched_at,
        list(catalog.notes),
        merged.others,
        merged.published,
    )


@dataclass
class FamilyCatalog(Catalog):
    """The archives of one host family of the catalog a quick step reads (the TUI's first
    rows, `load_family`); its count of archives and its releases are the whole catalog's.
    Its notes come with the whole catalog."""

    archives: int = 0
    whole_releases: list[str] = field(default_factory=list)

    @property
    def releases(self) -> list[str]:
        return self.whole_releases


def load_family(
    settings: Settings, step: str, keep: packed.Keep, catalog_arg: str | None = None
) -> FamilyCatalog | None:
    """The archives `keep(os, arch, libc)` accepts of what the quick step `step` reads (the
    cached index's or the embedded snapshot's packed form), made before the rest: each one
    equal to the step's own. None when the step reads something else (--catalog, the
    network) or the packed form does not serve: `load_step` then answers (and notes why)."""
    if catalog_arg or step not in ("offline", "catalog") or (
        step == "catalog" and not settings.offline
    ):  # fmt: skip
        return None
    entry = read_entry(settings.catalog_cache_dir, INDEX_KEY)
    when: float | None
    try:
        if entry is not None:
            limit = settings.limits.max_answer_bytes
            data = read_bounded(settings.catalog_cache_dir / PARSED_INDEX_FILE, limit + 1)
            if data is None or len(data) > limit:
                return None
            family = packed.unpack_family(jsonsafe.loads(data), _index_key(entry.body), keep)
            source, origin, when = "cache", entry.url, entry.fetched_at
        else:
            path = snapshot_path()
            payload = json.loads(packed_snapshot_path().read_bytes())  # ours, shipped
            family = packed.unpack_family(payload, snapshot_digest(), keep)
            source, origin, when = "snapshot", str(path), _generated(payload)
    except (OSError, ValueError):  # not there, stale, malformed: the step's load tells
        return None
    parsed = family.parsed
    return FamilyCatalog(
        with_kept_sizes(parsed.builds, settings), source, origin, when, [], [],
        parsed.published, archives=family.archives, whole_releases=family.releases,
    )  # fmt: skip


def load_step(
    settings: Settings, step: str, catalog_arg: str | None = None, given: Catalog | None = None
) -> Catalog:
    """One step of the TUI's start: 'given' (tests), 'offline' (cache or snapshot, quick)
    or 'catalog' (live, or --catalog)."""
    if step == "given" and given is not None:
        return given
    if step == "offline":
        return load_offline(settings)
    return load_catalog(settings, catalog_arg)


def release_update(
    settings: Settings, catalog: Catalog, tag: str, client: httpx.Client | None = None
) -> Catalog | None:
    """`with_release`, or None when the release's listing added nothing (no new archive,
    size, note)."""
    merged = with_release(settings, catalog, tag, client)
    if len(merged.builds) != len(catalog.builds) or merged.notes != catalog.notes:
        return merged
    if any(a.size != b.size for a, b in zip(merged.builds, catalog.builds, strict=False)):
        return merged
    return None
