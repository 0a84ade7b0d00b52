"""The two live catalog sources: PBS's NDJSON release index and the GitHub releases API.

Both go through `conditional_get`: the last good answer is cached with its ETag and sent back
as If-None-Match, so an unchanged catalog costs one 304; an answer is cached only once it
parsed. Rate limits become RateLimited. Every request is bounded in bytes and in time
(`get_following`), every JSON answer in depth (`catalog.jsonsafe`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

import httpx

from ..catalog import jsonsafe, sources
from ..settings import PBS_REPO, Limits, Settings
from . import local
from .cache import INDEX_KEY, CacheEntry, SizeCache, drop_entry, read_entry, write_entry
from .client import (
    NetError,
    RateLimited,
    api_headers,
    deadline,
    describe,
    get_following,
    header_int,
    host_of,
    hostname_of,
    open_following,
    rate_limit_message,
    same_origin,
)

T = TypeVar("T")


def _get(
    client: httpx.Client,
    settings: Settings,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    ok: tuple[int, ...] = (200,),
) -> httpx.Response:
    """GET following redirects, bounded (settings.limits); network errors, rate limits and
    bad statuses -> NetError."""
    response = get_following(client, url, settings, headers=headers)
    limited = rate_limit_message(response, settings)
    if limited:
        raise RateLimited(limited)
    if response.status_code not in ok:
        raise NetError(f"{url} answered HTTP {response.status_code}")
    return response


def conditional_get(
    client: httpx.Client,
    settings: Settings,
    key: str,
    url: str,
    parse: Callable[[bytes], T],
    headers: dict[str, str] | None = None,
) -> tuple[CacheEntry, T, bool]:
    """GET with If-None-Match from the cache, the body parsed by `parse`. Returns (entry,
    parsed, changed). An answer is cached only once it parsed: a malformed one (parse
    raised CatalogFormatError -> NetError) leaves the last good answer in the cache; a cached
    body that no longer parses is dropped. A cache that cannot be written is not an error."""
    root = settings.catalog_cache_dir
    cached = read_entry(root, key)
    headers = dict(headers or {})
    if cached and cached.etag and cached.url == url:
        headers["If-None-Match"] = cached.etag
    response = _get(client, settings, url, headers, ok=(200, 304) if cached else (200,))
    if response.status_code == 304 and cached:
        entry, changed = cached, False
        entry.fetched_at = settings.clock()
    elif response.status_code == 200:
        entry = CacheEntry(url, response.headers.get("etag"), settings.clock(), response.content)
        changed = True
    else:
        raise NetError(f"{url} answered HTTP {response.status_code}")
    try:
        parsed = parse(entry.body)
    except sources.CatalogFormatError as exc:
        if not changed:
            drop_entry(root, key)
        raise NetError(f"{host_of(url)} sent a malformed answer for {url}: {exc}") from None
    with contextlib.suppress(OSError):  # an unwritable cache costs a full fetch, no more
        write_entry(root, key, entry)
    return entry, parsed, changed


def fetch_index(client: httpx.Client, settings: Settings) -> tuple[sources.Parsed, CacheEntry]:
    """The NDJSON release index (every archive name and sha256 of every release)."""
    entry, parsed, _ = conditional_get(
        client, settings, INDEX_KEY, settings.index_url, sources.parse_ndjson_index
    )
    return parsed, entry


def _releases_url(settings: Settings, per_page: int) -> str:
    return f"{settings.github_api}/repos/{PBS_REPO}/releases?per_page={per_page}"


def parse_api_json(body: bytes) -> sources.Parsed:
    """An API answer (a release or a list of them): JSON within bounds, in a known shape;
    CatalogFormatError with one line otherwise."""
    try:
        payload = jsonsafe.loads(body)
    except jsonsafe.JSONRefused as exc:
        raise sources.CatalogFormatError(str(exc)) from None
    return sources.parse_api_releases(payload)


def check_api(settings: Settings) -> None:
    """NetError when the GitHub API is not to be asked (a mirror is set; see
    Settings.uses_github_api)."""
    if not settings.uses_github_api:
        raise NetError(
            "the GitHub API is not asked while a mirror is set (PYBS_TUI_GITHUB_API names "
            "an API host to use with it)"
        )


def fetch_recent_releases(
    client: httpx.Client, settings: Settings, per_page: int = 3
) -> sources.Parsed:
    """The newest few releases from the API (one request), sizes remembered."""
    check_api(settings)
    url = _releases_url(settings, per_page)
    key = f"api-releases-{per_page}"
    headers = api_headers(settings, url)
    _, parsed, _ = conditional_get(client, settings, key, url, parse_api_json, headers)
    remember_sizes(settings, parsed)
    return parsed


def fetch_release(client: httpx.Client, settings: Settings, tag: str) -> sources.Parsed:
    """One release by tag (sizes and digests of all its assets), ETag-cached."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", tag):
        raise NetError(f"invalid release tag {tag!r}")
    check_api(settings)
    url = f"{settings.github_api}/repos/{PBS_REPO}/releases/tags/{quote(tag)}"
    key = f"api-release-{tag}"
    headers = api_headers(settings, url)
    _, parsed, _ = conditional_get(client, settings, key, url, parse_api_json, headers)
    remember_sizes(settings, parsed)
    return parsed


_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


@dataclass(frozen=True)
class RateInfo:
    """The GitHub API quota as its last answer stated it."""

    limit: int
    remaining: int
    reset: int  # unix time the quota refills

    @classmethod
    def from_headers(cls, headers: httpx.Headers) -> RateInfo | None:
        values = [
            header_int(headers.get(f"x-ratelimit-{k}")) for k in ("limit", "remaining", "reset")
        ]
        if any(v is None for v in values) or (values[2] or 0) >= 32_503_680_000:
            return None
        return cls(*(v or 0 for v in values))

    def describe(self) -> str:
        when = dt.datetime.fromtimestamp(self.reset).strftime("%H:%M")
        return (
            f"{self.remaining} of {self.limit} GitHub API requests left this hour (resets {when})"
        )


def release_page_url(settings: Settings, per_page: int, page: int = 1) -> str:
    return f"{_releases_url(settings, per_page)}&page={page}"


def iter_release_pages(
    client: httpx.Client,
    settings: Settings,
    per_page: int = 100,
    on_rate: Callable[[RateInfo], None] | None = None,
) -> Iterator[sources.Parsed]:
    """Every page of /releases, newest first, following Link rel=next (bounded, loop-safe,
    on the configured API host only). Sizes are kept as they arrive; `on_rate` hears the
    quota after each page."""
    check_api(settings)
    url: str | None = _releases_url(settings, per_page)
    seen: set[str] = set()
    pages = 0
    while url and url not in seen and pages < settings.limits.max_api_pages:
        seen.add(url)
        pages += 1
        response = _get(client, settings, url, api_headers(settings, url))
        rate = RateInfo.from_headers(response.headers)
        if rate is not None and on_rate is not None:
            on_rate(rate)
        try:
            parsed = parse_api_json(response.content)
        except sources.CatalogFormatError as exc:
            raise NetError(f"the GitHub API sent a malformed page {url}: {exc}") from None
        remember_sizes(settings, parsed)
        yield parsed
        m = _LINK_NEXT.search(response.headers.get("link", ""))
        url = _next_page(settings, url, m.group(1)) if m else None


def _next_page(settings: Settings, url: str, link: str) -> str | None:
    """The next page's URL if it is on the configured API host, else None (not followed)."""
    try:
        target = str(httpx.URL(url).join(link))
    except (httpx.InvalidURL, ValueError):
        return None
    try:
        return target if same_origin(target, settings.github_api) else None
    except ValueError:  # a port out of range
        return None


def remember_sizes(settings: Settings, parsed: sources.Parsed) -> None:
    """Keep every size an API answer lists, by release tag and asset name."""
    SizeCache(settings.catalog_cache_dir).update(
        {
            b.size_key: (b.size, "GitHub API")
            for b in parsed.builds + parsed.others
            if b.size is not None and b.release
        }
    )


def head_size(
    client: httpx.Client, url: str, settings: Settings | None = None
) -> tuple[int | None, str]:
    """(Content-Length of an asset by HEAD, redirects followed; or None and why). Within
    the request deadline (settings.limits; the default without settings). A file:// URL
    of the configured mirror: the file's size."""
    limits = settings.limits if settings is not None else Limits()
    if local.is_file_url(url):
        try:
            if settings is None:
                raise NetError("a file:// URL is read only from a file:// mirror")
            return local.file_size(settings, url), ""
        except NetError as exc:
            return None, str(exc)
    with deadline(limits.request_deadline):
        try:
            response, _ = open_following(
                client, url, {"Accept-Encoding": "identity"}, method="HEAD"
            )
        except httpx.HTTPError as exc:
            return None, describe(exc, url)
        except NetError as exc:
            return None, str(exc)
    response.close()
    host = hostname_of(url)
    length = header_int(response.headers.get("content-length"))
    if response.status_code == 200 and length is not None:
        return length, ""
    if response.status_code in (404, 410):
        return None, f"{host} has no such file (HTTP {response.status_code})"
    if response.status_code != 200:
        return None, f"{host} answered HTTP {response.status_code}"
    return None, f"{host} did not say the size"


def fetch_sha256sums(
    client: httpx.Client, settings: Settings, tag: str, download_prefix: str
) -> dict[str, str]:
    """A release's SHA256SUMS file ({name: sha256}); malformed lines are ignored. Read from a
    file:// mirror's folder too; bounded like every answer."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", tag):
        raise NetError(f"invalid release tag {tag!r}")
    url = f"{download_prefix.rstrip('/')}/{tag}/SHA256SUMS"
    if local.is_file_url(url):
        data = local.read_file(settings, url, settings.limits.max_answer_bytes)
        return sources.parse_sha256sums(data.decode("utf-8", "replace"))
    return sources.parse_sha256sums(_get(client, settings, url).text)
