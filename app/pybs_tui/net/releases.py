"""The two live catalog sources: PBS's NDJSON release index and the GitHub releases API.

Both go through `conditional_get`: the last good answer is cached with its ETag and sent back
as If-None-Match, so an unchanged catalog costs one 304. Rate limits become RateLimited.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from ..catalog import sources
from ..settings import PBS_REPO, Settings
from .cache import INDEX_KEY, CacheEntry, SizeCache, read_entry, write_entry
from .client import (
    NetError,
    RateLimited,
    api_headers,
    get_following,
    open_following,
    rate_limit_message,
)


def _describe(exc: Exception, url: str) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {httpx.URL(url).host}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach {httpx.URL(url).host} ({exc})"
    return f"network error on {url}: {exc}"


def _get(
    client: httpx.Client,
    settings: Settings,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    ok: tuple[int, ...] = (200,),
) -> httpx.Response:
    """GET following redirects; network errors, rate limits and bad statuses -> NetError."""
    try:
        response = get_following(client, url, headers=headers)
    except httpx.HTTPError as exc:
        raise NetError(_describe(exc, url)) from None
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
    headers: dict[str, str] | None = None,
) -> tuple[CacheEntry, bool]:
    """GET with If-None-Match from the cache. Returns (entry, changed)."""
    root = settings.catalog_cache_dir
    cached = read_entry(root, key)
    headers = dict(headers or {})
    if cached and cached.etag and cached.url == url:
        headers["If-None-Match"] = cached.etag
    response = _get(client, settings, url, headers, ok=(200, 304) if cached else (200,))
    if response.status_code == 304 and cached:
        cached.fetched_at = settings.clock()
        write_entry(root, key, cached)
        return cached, False
    if response.status_code != 200:
        raise NetError(f"{url} answered HTTP {response.status_code}")
    entry = CacheEntry(url, response.headers.get("etag"), settings.clock(), response.content)
    write_entry(root, key, entry)
    return entry, True


def fetch_index(client: httpx.Client, settings: Settings) -> tuple[sources.Parsed, CacheEntry]:
    """The NDJSON release index (every archive name and sha256 of every release)."""
    entry, _ = conditional_get(client, settings, INDEX_KEY, settings.index_url)
    try:
        return sources.parse_ndjson_index(entry.body), entry
    except sources.CatalogFormatError as exc:
        from .cache import drop_entry

        drop_entry(settings.catalog_cache_dir, INDEX_KEY)
        raise NetError(f"the release index at {settings.index_url} is malformed: {exc}") from None


def _releases_url(settings: Settings, per_page: int) -> str:
    return f"{settings.github_api}/repos/{PBS_REPO}/releases?per_page={per_page}"


def _parse_json(entry: CacheEntry, key: str, settings: Settings) -> object:
    try:
        return json.loads(entry.body)
    except ValueError:
        from .cache import drop_entry

        drop_entry(settings.catalog_cache_dir, key)
        raise NetError(f"the GitHub API sent invalid JSON for {entry.url}") from None


def fetch_recent_releases(
    client: httpx.Client, settings: Settings, per_page: int = 3
) -> sources.Parsed:
    """The newest few releases from the API (one request), sizes remembered."""
    url = _releases_url(settings, per_page)
    key = f"api-releases-{per_page}"
    entry, _ = conditional_get(client, settings, key, url, api_headers(settings, url))
    parsed = sources.parse_api_releases(_parse_json(entry, key, settings))
    remember_sizes(settings, parsed)
    return parsed


def fetch_release(client: httpx.Client, settings: Settings, tag: str) -> sources.Parsed:
    """One release by tag (sizes and digests of all its assets), ETag-cached."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", tag):
        raise NetError(f"invalid release tag {tag!r}")
    url = f"{settings.github_api}/repos/{PBS_REPO}/releases/tags/{quote(tag)}"
    key = f"api-release-{tag}"
    entry, _ = conditional_get(client, settings, key, url, api_headers(settings, url))
    parsed = sources.parse_api_releases(_parse_json(entry, key, settings))
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
        values = [headers.get(f"x-ratelimit-{k}", "") for k in ("limit", "remaining", "reset")]
        if not all(v.isdigit() for v in values):
            return None
        return cls(*(int(v) for v in values))

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
    """Every page of /releases, newest first, following Link rel=next (bounded, loop-safe).
    Sizes are kept as they arrive; `on_rate` hears the quota after each page."""
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
            payload = response.json()
        except ValueError:
            raise NetError(f"the GitHub API sent invalid JSON for {url}") from None
        parsed = sources.parse_api_releases(payload)
        remember_sizes(settings, parsed)
        yield parsed
        m = _LINK_NEXT.search(response.headers.get("link", ""))
        url = str(httpx.URL(url).join(m.group(1))) if m else None


def remember_sizes(settings: Settings, parsed: sources.Parsed) -> None:
    """Keep every size an API answer lists, by release tag and asset name."""
    SizeCache(settings.catalog_cache_dir).update(
        {
            b.size_key: (b.size, "GitHub API")
            for b in parsed.builds + parsed.others
            if b.size is not None and b.release
        }
    )


def head_size(client: httpx.Client, url: str) -> tuple[int | None, str]:
    """(Content-Length of an asset by HEAD, redirects followed; or None and why)."""
    try:
        response, _ = open_following(client, url, {"Accept-Encoding": "identity"}, method="HEAD")
    except httpx.HTTPError as exc:
        return None, _describe(exc, url)
    except NetError as exc:
        return None, str(exc)
    response.close()
    length = response.headers.get("content-length", "")
    if response.status_code == 200 and length.isdigit():
        return int(length), ""
    if response.status_code in (404, 410):
        return None, f"{httpx.URL(url).host} has no such file (HTTP {response.status_code})"
    if response.status_code != 200:
        return None, f"{httpx.URL(url).host} answered HTTP {response.status_code}"
    return None, f"{httpx.URL(url).host} did not say the size"


def fetch_sha256sums(
    client: httpx.Client, settings: Settings, tag: str, download_prefix: str
) -> dict[str, str]:
    """A release's SHA256SUMS file ({name: sha256}); malformed lines are ignored."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", tag):
        raise NetError(f"invalid release tag {tag!r}")
    url = f"{download_prefix.rstrip('/')}/{tag}/SHA256SUMS"
    return sources.parse_sha256sums(_get(client, settings, url).text)
