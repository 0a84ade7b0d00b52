"""Read the catalog shapes PBS publishes, and our own snapshot (pure: bytes in, builds out).

- the release index (NDJSON): one line per version+release with artifacts (url, sha256)
- the GitHub releases API: a list of releases (or one release) with assets (name, size, digest)
- the embedded snapshot: {"schema": "pybs-tui-snapshot/2", "releases": [{"tag", "published",
  "assets": [[name, sha256, size, marks], ...]}]}; marks: "d" = a name derived from PBS's
  release pattern that no source lists yet, "u" = one of uv's downloads (`uv python list`);
  "sizes": "mirror" when the sizes are those of a mirror folder's files (`mirror export`)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from urllib.parse import quote, unquote

from . import jsonsafe
from .models import ASTRAL_DOWNLOAD_PREFIX, PBS_DOWNLOAD_PREFIX, Build
from .names import parse_name

SNAPSHOT_SCHEMA = "pybs-tui-snapshot/2"
SNAPSHOT_SCHEMAS = ("pybs-tui-snapshot/1", SNAPSHOT_SCHEMA)
MARK_DERIVED = "d"
MARK_UV = "u"
#: A snapshot's "sizes" value saying its sizes are those of the files in a mirror folder
#: (`pybs-tui mirror export`), not the GitHub API's.
MIRROR_SIZES = "mirror"
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}\Z")
_PLAIN_NAME = re.compile(r"^[A-Za-z0-9._+-]+\Z")


class CatalogFormatError(ValueError):
    """The bytes are not any catalog shape we know."""


@dataclass
class Parsed:
    """Builds read from one source, and the names set aside."""

    builds: list[Build]
    others: list[Build]
    published: dict[str, str]  # release tag -> ISO date, where known


def asset_url(tag: str, name: str) -> str:
    """The canonical GitHub download URL of an asset ('+' quoted, as GitHub lists it)."""
    quoted = name.replace("+", "%2B") if _PLAIN_NAME.fullmatch(name) else quote(name)
    return f"{PBS_DOWNLOAD_PREFIX}/{tag}/{quoted}"


def clean_sha256(value: object) -> str | None:
    """A lower-case sha256 from '<hex>' or 'sha256:<hex>'; None for anything malformed."""
    if not isinstance(value, str):
        return None
    value = value.removeprefix("sha256:")
    return value.lower() if _SHA256.fullmatch(value) else None


Row = tuple[str, str | None, int | None, str] | tuple[str, str | None, int | None, str, str]


def combine(old: Build, new: Build, *, fallback: bool = False) -> Build:
    """`old` with what `new` adds: a sha256 or a size it lacks, never overwriting one. Two
    different sha256 for one name leave none: both go to `conflict` (no source is believed
    over another) - unless `new` is a `fallback` (the embedded snapshot: old data that
    never outvotes a live source), whose differing digest is ignored. A name any source
    lists is no longer 'derived'; uv's mark is kept."""
    merged = old
    if fallback and (old.sha256 or old.conflict) and new.sha256 not in (None, old.sha256):
        new = replace(new, sha256=None, conflict=())
    digests = {d for d in (old.sha256, new.sha256, *old.conflict, *new.conflict) if d}
    if len(digests) > 1:
        if old.sha256 is not None or set(old.conflict) != digests:
            merged = replace(merged, sha256=None, conflict=tuple(sorted(digests)))
    elif old.sha256 is None and new.sha256:
        merged = merged.with_source(sha256=new.sha256)
    if old.size is None and new.size is not None:
        merged = merged.with_source(size=new.size, size_source=new.size_source)
    if old.derived and not new.derived:
        merged = replace(merged, derived=False)
    if new.uv_listed and not old.uv_listed:
        merged = replace(merged, uv_listed=True)
    return merged


def collect(rows: Iterable[Row], size_source: str = "") -> Parsed:
    """rows of (name, sha256, size, url[, marks]) -> Parsed; a name listed twice is
    `combine`d (its first URL kept); `size_source` says where the sizes come from."""
    builds: dict[str, Build] = {}
    others: dict[str, Build] = {}
    today = dt.date.today()
    for row in rows:
        name, sha, size, url = row[:4]
        marks = row[4] if len(row) > 4 else ""
        size = size if isinstance(size, int) and not isinstance(size, bool) and size >= 0 else None
        # old timestamped names carry a build time, not the tag: the URL says which release
        tag = _tag_from_url(url) if "T" in name else ""
        build = parse_name(
            name,
            today=today,
            url=url,
            sha256=clean_sha256(sha),
            size=size,
            release=tag,
            derived=MARK_DERIVED in marks,
            uv_listed=MARK_UV in marks,
        )
        if build is None:
            continue
        if not url:
            build = replace(build, url=asset_url(build.release, build.name))
        if size is not None and size_source:
            build = replace(build, size_source=size_source)
        target = builds if build.known else others
        old = target.get(build.name)
        target[build.name] = build if old is None else combine(old, build)
    return Parsed(list(builds.values()), list(others.values()), {})


def rows_from_urls(pairs: Iterable[tuple[str | None, str | None]], marks: str = "") -> Parsed:
    """(download URL, sha256) pairs, as uv's and pbs-installer's catalogs hold them."""
    return collect(
        (_name_from_url(url), sha, None, canonical_url(url), marks) for url, sha in pairs if url
    )


def canonical_url(url: str) -> str:
    """A download URL on GitHub, whatever PBS host it names (releases.astral.sh's copy too)."""
    if url.startswith(ASTRAL_DOWNLOAD_PREFIX + "/"):
        return PBS_DOWNLOAD_PREFIX + url[len(ASTRAL_DOWNLOAD_PREFIX) :]
    return url


_URL_TAG = re.compile(r"/releases/download/(\d{8})/")


def _tag_from_url(url: str) -> str:
    m = _URL_TAG.search(url or "")
    return m.group(1) if m else ""


def _name_from_url(url: str) -> str:
    return unquote(url.rsplit("/", 1)[-1]) if isinstance(url, str) else ""


def _refused(exc: jsonsafe.JSONRefused, where: str) -> CatalogFormatError:
    return CatalogFormatError(f"{where} is {exc}" if "nested" in str(exc) else f"{where}: {exc}")


def parse_ndjson_index(data: bytes) -> Parsed:
    """The release index: one JSON object per line with 'version' and 'artifacts'."""
    if jsonsafe.nesting_depth_over(data):
        raise CatalogFormatError(f"the index is JSON nested more than {jsonsafe.MAX_DEPTH} deep")

    def rows():
        for number, line in enumerate(data.splitlines(), 1):
            if not line.strip():
                continue
            try:
                entry = jsonsafe.loads(line, checked=True)
            except jsonsafe.JSONRefused as exc:
                raise _refused(exc, f"line {number} of the index") from None
            if not isinstance(entry, dict) or not isinstance(entry.get("artifacts"), list):
                raise CatalogFormatError(f"line {number} of the index has no 'artifacts' list")
            for art in entry["artifacts"]:
                if isinstance(art, dict) and isinstance(art.get("url"), str):
                    yield _name_from_url(art["url"]), art.get("sha256"), None, art["url"]

    return collect(rows())


def parse_api_releases(payload: object) -> Parsed:
    """GitHub's /releases list (or a single /releases/tags/{tag} object)."""
    releases = [payload] if isinstance(payload, dict) else payload
    if not isinstance(releases, list):
        raise CatalogFormatError("the API answer is neither a release nor a list of releases")
    published: dict[str, str] = {}

    def rows():
        for rel in releases:
            if not isinstance(rel, dict) or not isinstance(rel.get("assets"), list):
                raise CatalogFormatError("a release in the API answer has no 'assets' list")
            tag = str(rel.get("tag_name") or "")
            if tag and rel.get("published_at"):
                published[tag] = str(rel["published_at"])
            for asset in rel["assets"]:
                if not isinstance(asset, dict) or not isinstance(asset.get("name"), str):
                    continue
                url = asset.get("browser_download_url")
                if not isinstance(url, str) or not url.startswith(("https://", "http://")):
                    url = asset_url(tag, asset["name"]) if re.fullmatch(r"\d{8}", tag) else ""
                yield asset["name"], asset.get("digest"), asset.get("size"), url

    parsed = collect(rows(), size_source="GitHub API")
    parsed.published = published
    return parsed


def parse_snapshot(payload: object) -> Parsed:
    """Our embedded snapshot (see scripts/build_snapshot.py)."""
    if not isinstance(payload, dict) or payload.get("schema") not in SNAPSHOT_SCHEMAS:
        raise CatalogFormatError("not a pybs-tui snapshot (unknown schema)")
    published = {}

    def rows() -> Iterable[Row]:
        for rel in payload.get("releases", []):
            tag = rel["tag"]
            if not isinstance(tag, str) or not re.fullmatch(r"\d{8}", tag):
                raise ValueError(f"bad release tag {tag!r}")
            if rel.get("published"):
                published[tag] = str(rel["published"])
            for asset in rel["assets"]:
                name, sha, size = asset[:3]
                marks = asset[3] if len(asset) > 3 and isinstance(asset[3], str) else ""
                yield name, sha, size, asset_url(tag, name), marks

    size_source = "GitHub API (kept in the snapshot)"
    if payload.get("sizes") == MIRROR_SIZES:
        size_source = "file size in the mirror"
    try:
        parsed = collect(rows(), size_source=size_source)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CatalogFormatError(f"malformed snapshot: {exc}") from None
    parsed.published = published
    return parsed


def parse_any(data: bytes) -> Parsed:
    """Detect the shape (NDJSON index, API JSON, snapshot) and parse it."""
    text = data.lstrip()
    if not text:
        raise CatalogFormatError("the catalog is empty")
    if jsonsafe.nesting_depth_over(text):
        raise CatalogFormatError(f"the catalog is JSON nested more than {jsonsafe.MAX_DEPTH} deep")
    try:
        payload = jsonsafe.loads(text, checked=True)
    except jsonsafe.JSONRefused as exc:
        if text[:1] == b"{":
            return parse_ndjson_index(text)  # several JSON objects, one per line
        raise _refused(exc, "the catalog") from None
    if isinstance(payload, dict) and "schema" in payload:
        return parse_snapshot(payload)
    if isinstance(payload, dict) and "artifacts" in payload:
        return parse_ndjson_index(text)  # an index of a single line
    return parse_api_releases(payload)


def merge(*sources: Parsed, fallback: Parsed | None = None) -> Parsed:
    """Union by file name: each name `combine`d over the sources in order (later ones fill
    in the sha256 and size earlier ones lack; two different sha256 leave none), then over
    `fallback` (the embedded snapshot: what the app knew when it was built), whose digests
    fill gaps but never contradict the live sources."""
    builds: dict[str, Build] = {}
    others: dict[str, Build] = {}
    published: dict[str, str] = {}
    tail = [(fallback, True)] if fallback is not None else []
    for parsed, is_fallback in [*((p, False) for p in sources), *tail]:
        published.update(parsed.published)
        for target, items in ((builds, parsed.builds), (others, parsed.others)):
            for build in items:
                old = target.get(build.name)
                target[build.name] = (
                    build if old is None else combine(old, build, fallback=is_fallback)
                )
    return Parsed(list(builds.values()), list(others.values()), published)


def marks_of(build: Build) -> str:
    return (MARK_DERIVED if build.derived else "") + (MARK_UV if build.uv_listed else "")


def snapshot_payload(parsed: Parsed, generated: str, sources: list[str]) -> dict:
    """The JSON object of a snapshot holding these builds."""
    by_tag: dict[str, list] = {}
    for build in sorted(parsed.builds + parsed.others, key=lambda b: b.name):
        row: list = [build.name, build.sha256, build.size]
        marks = marks_of(build)
        if marks:
            row.append(marks)
        by_tag.setdefault(build.release, []).append(row)
    return {
        "schema": SNAPSHOT_SCHEMA,
        "generated": generated,
        "sources": sources,
        "releases": [
            {"tag": tag, "published": parsed.published.get(tag, ""), "assets": assets}
            for tag, assets in sorted(by_tag.items(), reverse=True)
        ],
    }


_SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64})\s+\*?(\S+)\s*\Z")


def parse_sha256sums(text: str) -> dict[str, str]:
    """A release's SHA256SUMS -> {asset name: lower-case sha256}.

    Lines that do not hold exactly 64 hex digits and a plain file name are ignored, as are
    names with path characters; a name listed twice with different digests is dropped
    (neither can be trusted). Upper-case hex is accepted.
    """
    sums: dict[str, str] = {}
    conflicted: set[str] = set()
    for line in text.splitlines():
        m = _SUMS_LINE.fullmatch(line.strip())
        if not m:
            continue
        digest, name = m.group(1).lower(), m.group(2)
        if "/" in name or "\\" in name or name in (".", "..") or not _PLAIN_NAME.fullmatch(name):
            continue
        if name in sums and sums[name] != digest:
            conflicted.add(name)
        sums[name] = digest
    for name in conflicted:
        del sums[name]
    return sums
