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


def get_following(
    client: httpx.Client,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_redirects: int = 10,
    method: str = "GET",
) -> httpx.Response:
    """GET (or HEAD) following redirects by hand: https/http only, no auth across origins."""
    seen: set[str] = set()
    headers = dict(headers or {})
    for _ in range(max_redirects + 1):
        if url in seen:
            raise NetError(f"redirect loop at {url}")
        seen.add(url)
        response = client.request(method, url, headers=headers)
        if response.status_code not in (301, 302, 303, 307, 308):
            return response
        location = response.headers.get("location")
        response.close()
        if not location:
            raise NetError(f"redirect without a Location from {url}")
        target = str(httpx.URL(url).join(location))
        if urlsplit(target).scheme not in ("http", "https"):
            raise NetError(f"refused redirect to {target!r}: only http(s) is followed")
        if urlsplit(url).scheme == "https" and urlsplit(target).scheme == "http":
            raise NetError(f"refused redirect from https to plain http ({target})")
        if not same_origin(url, target):
            headers.pop("Authorization", None)
        url = target
    raise NetError(f"too many redirects from {url}")
