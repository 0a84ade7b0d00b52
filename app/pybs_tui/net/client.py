"""One configured httpx client: timeouts, redirects, user agent, token for the API host only.

Every request runs under a `deadline`: each network read, write and connect waits at most
what is left of it, so a server dripping bytes (into the headers or the body) cannot hold a
request longer than the deadline, and each answer held in memory is read up to a byte cap.
A deadline may carry a cancel event: a read then waits in short slices and raises
`Cancelled` as soon as it is set, so a silent server never holds a cancel for the read timeout.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from .. import __version__
from ..progress import Cancelled
from ..settings import Limits, Settings

USER_AGENT = f"pybs-tui/{__version__} (+https://github.com/astral-sh/python-build-standalone)"


class NetError(Exception):
    """A network failure, worded for the user in one line."""


class RateLimited(NetError):
    """The GitHub API refused us for quota; the message says when and what to do."""


class DeadlinePassed(NetError):
    """A request took longer than its deadline."""


# -- deadlines ---------------------------------------------------------------------------------


@dataclass
class Deadline:
    """The time one request (with its redirects and body) may take in all."""

    seconds: float
    cancel: threading.Event | None = None  # a set event ends any network wait at once
    at: float = field(init=False)
    hit: bool = False  # a read stopped because the deadline, not the read timeout, ran out

    def __post_init__(self) -> None:
        self.at = time.monotonic() + self.seconds

    def left(self) -> float:
        return self.at - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.hit or self.left() <= 0

    def message(self, url: str) -> str:
        return f"{host_of(url)} did not answer in full within {self.seconds:g} s"


_CURRENT: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "pybs_tui_deadline", default=None
)


def current_deadline() -> Deadline | None:
    """The deadline of the request running in this thread, if any."""
    return _CURRENT.get()


#: Seconds a read waits at a time before it looks at the cancel event again.
CANCEL_SLICE = 0.2


@contextlib.contextmanager
def deadline(seconds: float, cancel: threading.Event | None = None) -> Iterator[Deadline]:
    """Every network wait in this block (this thread) ends by `seconds` from now; a read
    raises `Cancelled` soon after `cancel` is set."""
    current = Deadline(seconds, cancel)
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` cut to what is left of the current deadline; `error` once nothing is."""
    current = _CURRENT.get()
    if current is None:
        return timeout
    left = current.left()
    if left <= 0:
        current.hit = True
        raise error(f"the {current.seconds:g} s deadline passed")
    if timeout is None or left < timeout:
        current.hit = True  # if this wait times out, the deadline is what ran out
        return left
    current.hit = False
    return timeout


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every wait is bounded by the current deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        bounded = _bounded(timeout, httpcore.ReadTimeout)
        current = _CURRENT.get()
        cancel = current.cancel if current is not None else None
        if cancel is None:
            return self._inner.read(max_bytes, bounded)
        # in slices: a timed-out socket read consumed nothing, so it is simply asked again
        ends = None if bounded is None else time.monotonic() + bounded
        while True:
            if cancel.is_set():
                raise Cancelled()
            left = None if ends is None else ends - time.monotonic()
            if left is not None and left <= 0:  # (a zero timeout would mean non-blocking)
                raise httpcore.ReadTimeout("timed out")
            try:
                return self._inner.read(
                    max_bytes, CANCEL_SLICE if left is None else min(CANCEL_SLICE, left)
                )
            except httpcore.ReadTimeout:
                continue  # nothing was consumed: ask again, or time out above

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's network backend with every connect and stream bounded by the deadline."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._inner.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._inner.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def _bound_transports(client: httpx.Client) -> None:
    """Put the deadline backend under every transport of `client` (the direct one and the
    proxies' from the environment). httpx does not expose the backend, hence the attribute
    walk; tests/reliability/test_hardening_network.py fails if it ever stops working."""
    mounts = getattr(client, "_mounts", {})
    for transport in (getattr(client, "_transport", None), *mounts.values()):
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None and not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]


def make_client(settings: Settings, **kwargs: object) -> httpx.Client:
    """The client every request goes through (env proxies and SSL_CERT_FILE honoured)."""
    timeout = httpx.Timeout(
        settings.limits.http_timeout, connect=min(10.0, settings.limits.http_timeout)
    )
    client = httpx.Client(
        timeout=timeout,
        follow_redirects=False,  # redirects are followed by hand: scheme and auth checks
        headers={"User-Agent": USER_AGENT},
        trust_env=True,
        **kwargs,  # type: ignore[arg-type]
    )
    _bound_transports(client)
    return client


def header_int(value: str | None) -> int | None:
    """A header's non-negative integer ('1234'), else None: str.isdigit() also accepts '²',
    which int() refuses."""
    if value is None:
        return None
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def host_of(url: str) -> str:
    """'host:port' of a URL (the URL itself if it has none)."""
    try:
        return urlsplit(url).netloc or url
    except ValueError:
        return url


def hostname_of(url: str) -> str:
    """The host name of a URL, without the port."""
    try:
        return urlsplit(url).hostname or host_of(url)
    except ValueError:
        return url


def checked_url(url: str) -> str:
    """`url` if it can be requested (http(s), a host, a valid port, printable); else
    NetError. httpx alone lets port 99999 through to the socket (OverflowError)."""
    from ..settings import url_problem

    problem = url_problem(url)
    if not problem:
        try:
            httpx.URL(url)
        except (httpx.InvalidURL, ValueError) as exc:
            problem = str(exc)
    if problem:
        raise NetError(f"refused to fetch {url!r}: {problem}")
    return url


def describe(exc: Exception, url: str) -> str:
    """One line for an httpx failure on `url` (the deadline's, when it ran out)."""
    current = _CURRENT.get()
    if isinstance(exc, httpx.TimeoutException) and current is not None and current.expired:
        return current.message(url)
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out talking to {hostname_of(url)}"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach {hostname_of(url)} ({' '.join(str(exc).split())})"
    return f"network error on {url}: {' '.join(str(exc).split()) or type(exc).__name__}"


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
    reset = header_int(response.headers.get("x-ratelimit-reset"))
    if reset is not None and reset < 32_503_680_000:  # before the year 3000
        when = " until " + dt.datetime.fromtimestamp(reset).strftime("%H:%M")
    elif header_int(retry_after) is not None:
        when = f" for {header_int(retry_after)}s"
    hint = (
        ""
        if settings.github_token
        else "; set GITHUB_TOKEN or GH_TOKEN to raise the limit to 5000 requests an hour"
    )
    left, limit = header_int(remaining), header_int(response.headers.get("x-ratelimit-limit"))
    quota = f" ({left} of {limit} left)" if left is not None and limit is not None else ""
    return f"GitHub API rate limit reached{quota}{when}{hint}"


REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 10


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
    Callers run it (and read the body) inside `deadline(...)`.
    """
    checked_url(url)
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
            scheme = urlsplit(target).scheme
        except (httpx.InvalidURL, ValueError):
            raise NetError(f"invalid redirect target {location!r} from {url}") from None
        if scheme not in ("http", "https"):
            raise NetError(f"refused redirect to {target!r}: only http(s) is followed")
        try:
            checked_url(target)
        except NetError:
            raise NetError(f"invalid redirect target {location!r} from {url}") from None
        if urlsplit(url).scheme == "https" and scheme == "http":
            raise NetError(f"refused redirect from https to plain http ({target})")
        url = target
    raise NetError(f"too many redirects from {first}")


def get_following(
    client: httpx.Client,
    url: str,
    settings: Settings | None = None,
    *,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> httpx.Response:
    """`open_following`, then the body read into memory: at most `max_answer_bytes`, all
    within `request_deadline` (settings.limits; the defaults without settings). Every
    failure is a NetError with one line. Returns a complete (closed) response."""
    limits = settings.limits if settings is not None else Limits()
    max_bytes = limits.max_answer_bytes
    with deadline(limits.request_deadline) as current:
        try:
            response, _ = open_following(client, url, headers, method=method)
            try:
                length = header_int(response.headers.get("content-length"))
                if length is not None and length > max_bytes:
                    raise NetError(
                        f"{host_of(url)} announces {length} bytes, more than the "
                        f"{max_bytes} bytes this answer may have"
                    )
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise NetError(f"{host_of(url)} sent more than {max_bytes} bytes")
                    if current.left() <= 0:
                        raise DeadlinePassed(current.message(url))
            finally:
                response.close()
        except httpx.HTTPError as exc:
            raise NetError(describe(exc, url)) from None
    headers_out = [(k, v) for k, v in response.headers.multi_items() if k != "content-encoding"]
    return httpx.Response(
        response.status_code, headers=headers_out, content=bytes(body), request=response.request
    )
