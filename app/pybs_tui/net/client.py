"""One configured httpx client: timeouts, redirects, user agent, token for the API host only."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import httpx

from .. import __version__
from ..settings import Settings

USER_AGENT = f"pybs-tui/{__version__} (+https://github.com/astral-sh/python-build-standalone)"


class NetError(Exception):
    """A network failure, worded for the user in one line."""


class RateLimited(NetError):
    """The GitHub API refused us for quota; the message says when and what to do."""


def make_client(settings: Settings, **kwargs: object) -> httpx.Client:
    """The client every request goes through (env proxies and SSL_CERT_FILE honoured)."""
    timeout = httpx.Timeout(
        settings.limits.http_timeout, connect=min(10.0, settings.limits.http_timeout)
    )
    return httpx.Client(
        timeout=timeout,
        follow_redirects=False,  # redirects are followed by hand: scheme and auth checks
        headers={"User-Agent": USER_AGENT},
        trust_env=True,
        **kwargs,  # type: ignore[arg-type]
    )


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def api_headers(settings: Settings, url: str) -> dict[str, str]:
    """Headers for a request to the GitHub API; the token only goes to the API host."""
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    if settings.github_token and same_origin(url, settings.github_api):
        headers["Authorization"] = f"Bearer {settings.github_token}"
    return headers


def rate_limit_message(response: httpx.Response, settings: Settings) -> str | None:
    """A one-line message if this response is a rate-limit refusal, else None."""
    if response.status_code not in (403, 429):
        return None
    remaining = response.headers.get("x-ratelimit-remaining")
    retry_after = response.headers.get("retry-after")
    if remaining != "0" and retry_after is None and response.status_code == 403:
        return None
    when = ""
    reset = response.headers.get("x-ratelimit-reset")
    if reset and reset.isdigit():
        when = " until " + dt.datetime.fromtimestamp(int(reset)).strftime("%H:%M")
    elif retry_after:
        when = f" for {retry_after}s"
    hint = (
        ""
        if settings.github_token
        else "; set GITHUB_TOKEN or GH_TOKEN to raise the limit to 5000 requests an hour"
    )
    limit = response.headers.get("x-ratelimit-limit")
    quota = f" ({remaining} of {limit} left)" if remaining and limit else ""
    return f"GitHub API rate limit reached{quota}{when}{hint}"


REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10
#: Bytes read at most from an answer held in memory (catalog pages, release lists, checksums).
MAX_BODY = 64 * 1024 * 1024


def open_following(
    client: httpx.Client,
    url: str,
    headers: dict[str, str] | None = None,
    *,
    method: str = "GET",
    max_redirects: int = MAX_REDIRECTS,
) -> tuple[httpx.Response, int]:
    """Send `method` and follow redirects by hand; returns (open streaming response, hops).

    The one redirect follower: only http(s), never https -> http, loops and too many hops are
    errors (NetError), and once a redirect leaves the first URL's origin no Authorization is
    sent (header or client auth). The caller closes the response. httpx errors propagate.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise NetError(f"refused to fetch {url!r}: only http(s) URLs are fetched")
    seen: set[str] = set()
    crossed = False
    first = url
    for hops in range(max_redirects + 1):
        if url in seen:
            raise NetError(f"redirect loop at {url}")
        seen.add(url)
        crossed = crossed or not same_origin(first, url)
        request = client.build_request(method, url, headers=headers)
        if crossed:
            request.headers.pop("Authorization", None)
        response = client.send(
            request,
            stream=True,
            follow_redirects=False,
            **({"auth": httpx.Auth()} if crossed else {}),
        )
        if response.status_code not in REDIRECT_CODES:
            return response, hops
        location = response.headers.get("location")
        response.close()
        if not location:
            raise NetError(f"redirect without a Location from {url}")
        try:
            target = str(httpx.URL(url).join(location))
        except httpx.InvalidURL:
            raise NetError(f"invalid redirect target {location!r} from {url}") from None
        scheme = urlsplit(target).scheme
        if scheme not in ("http", "https"):
            raise NetError(f"refused redirect to {target!r}: only http(s) is followed")
        if urlsplit(url).scheme == "https" and scheme == "http":
            raise NetError(f"refused redirect from https to plain http ({target})")
        url = target
    raise NetError(f"too many redirects from {first}")


def get_following(
    client: httpx.Client,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    max_bytes: int = MAX_BODY,
) -> httpx.Response:
    """`open_following`, then the body read into memory, at most `max_bytes` (NetError past it).
    Returns a complete (closed) response holding the body."""
    response, _ = open_following(client, url, headers, method=method)
    try:
        length = response.headers.get("content-length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise NetError(
                f"{urlsplit(url).netloc} sent {int(length)} bytes, more than the {max_bytes} "
                "this answer may have"
            )
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > max_bytes:
                raise NetError(f"{urlsplit(url).netloc} sent more than {max_bytes} bytes")
    finally:
        response.close()
    headers_out = [(k, v) for k, v in response.headers.multi_items() if k != "content-encoding"]
    return httpx.Response(
        response.status_code, headers=headers_out, content=bytes(body), request=response.request
    )
