"""A loopback stand-in for GitHub (REST API, github.com downloads, the asset file host) and for
releases.astral.sh's copy of the PBS downloads, for tests (127.0.0.1 only).

`with FakeGitHub(releases) as gh:` runs four ThreadingHTTPServer hosts:

- `gh.api`: the REST API (release list with Link pagination, release by tag, rate limit
  headers and 403 on exhaustion, strong ETags and free 304s);
- `gh.web`: github.com, whose download URLs answer 302 to a signed URL on `gh.objects`;
- `gh.objects`: release-assets.githubusercontent.com, which streams the asset bytes (a cheap
  deterministic pattern, see `pattern_bytes`) and honours Range;
- `gh.astral`: releases.astral.sh, which answers the same downloads directly (200), unless
  `gh.astral_status` says otherwise.

Every request is logged in `gh.requests`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

OWNER = "astral-sh"
REPO = "python-build-standalone"
FULL_NAME = f"{OWNER}/{REPO}"
REPO_ID = 162585541
DIGEST_SINCE = datetime(2025, 6, 1, tzinfo=UTC)  # GitHub added asset digests in June 2025
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
RATE_WINDOW = 3600
ANON_LIMIT = 60
AUTH_LIMIT = 5000

_RATE_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
_ANON_EXCEEDED = (
    "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests "
    "get a higher rate limit. Check out the documentation for more details.)"
)
_AUTH_EXCEEDED = "API rate limit exceeded for user ID 1."

_PERIOD = 251  # the content pattern repeats every 251 bytes (a prime, so chunks don't align)
_CHUNK = 64 * 1024
_BLOCK = bytes(i % _PERIOD for i in range(_CHUNK + _PERIOD))
_QUIET_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


# -- input model ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FakeAsset:
    """One release asset: its name, size in bytes and sha256 (hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class FakeRelease:
    """One release: tag, ISO 8601 publication time ("2024-04-15T12:00:00Z") and assets."""

    tag: str
    published_at: str
    assets: list[FakeAsset] = field(default_factory=list)

    @property
    def published(self) -> datetime:
        return _parse_time(self.published_at)


def default_size(name: str) -> int:
    """A deterministic small size (1,000 to 50,999 bytes) derived from an asset name."""
    return 1000 + zlib.crc32(name.encode()) % 50_000


def default_sha256(tag: str, name: str) -> str:
    """The default sha256 of an asset: that of the text f"{tag}/{name}" (not of its bytes)."""
    return hashlib.sha256(f"{tag}/{name}".encode()).hexdigest()


def release_from_names(
    tag: str,
    names: Iterable[str],
    *,
    published_at: str | None = None,
    size_of: Callable[[str], int] | None = None,
    sha256_of: Callable[[str], str] | None = None,
) -> FakeRelease:
    """A release from asset names; published_at defaults to noon UTC of a YYYYMMDD tag."""
    if published_at is None:
        if not re.fullmatch(r"\d{8}", tag):
            raise ValueError(f"tag {tag!r} is not YYYYMMDD: pass published_at")
        published_at = f"{tag[:4]}-{tag[4:6]}-{tag[6:]}T12:00:00Z"
    size_of = size_of or default_size
    assets = [
        FakeAsset(
            name,
            size_of(name),
            sha256_of(name) if sha256_of else default_sha256(tag, name),
        )
        for name in names
    ]
    return FakeRelease(tag, published_at, assets)


def pattern_bytes(offset: int, length: int) -> bytes:
    """The bytes the fake file hosts serve at [offset, offset + length) of any asset."""
    out = bytearray()
    while len(out) < length:
        start = (offset + len(out)) % _PERIOD
        n = min(_CHUNK, length - len(out))
        out += _BLOCK[start : start + n]
    return bytes(out)


def content_sha256(size: int) -> str:
    """The sha256 of the bytes served for an asset of this size (to make digests match)."""
    h = hashlib.sha256()
    done = 0
    while done < size:
        n = min(_CHUNK, size - done)
        h.update(_BLOCK[done % _PERIOD : done % _PERIOD + n])
        done += n
    return h.hexdigest()


def _parse_time(text: str) -> datetime:
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# -- request log -----------------------------------------------------------------------------
@dataclass
class FakeRequest:
    """One request as it arrived: method, host role, path (with query), lower-cased headers."""

    method: str
    role: str  # 'api', 'web', 'objects' or 'astral'
    path: str
    headers: dict[str, str]
    counted: bool = False  # an API request that used up quota
    status: int | None = None  # the status answered (set once decided)


# -- the servers ----------------------------------------------------------------------------
class _QuietServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that stays silent when clients hang up and can drop open sockets."""

    daemon_threads = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        with self._open_lock:
            self._open.add(sock)
        return sock, addr

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, _QUIET_ERRORS):
            return
        super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        with self._open_lock:
            socks = list(self._open)
        for s in socks:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


@dataclass
class _Bucket:
    """One rate-limit bucket (anonymous or authenticated)."""

    limit: int
    used: int = 0
    reset: int | None = None  # epoch seconds; None until the first counted request

    def roll(self, now: float) -> None:
        if self.reset is not None and now >= self.reset:
            self.used, self.reset = 0, None


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    stream: tuple[int, int] | None = None  # (start, end exclusive) of the pattern to stream


class FakeGitHub:
    """GitHub (api, web, objects) plus releases.astral.sh on loopback; use as a context manager."""

    def __init__(
        self,
        releases: Iterable[FakeRelease] = (),
        *,
        limit: int = ANON_LIMIT,
        auth_limit: int = AUTH_LIMIT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._lock = threading.Lock()
        self._log: list[FakeRequest] = []
        self._clock = clock
        self._buckets = {False: _Bucket(limit), True: _Bucket(auth_limit)}
        self.astral_status = 200
        self.objects_saw_authorization = False
        self._servers: dict[str, _QuietServer] = {}
        self._threads: list[threading.Thread] = []
        for role in ("api", "web", "objects", "astral"):
            self._servers[role] = _QuietServer(self._handler_for(role))
        self.api = self._base("api")
        self.web = self._base("web")
        self.objects = self._base("objects")
        self.astral = self._base("astral")
        self.set_releases(releases)

    # -- lifecycle --------------------------------------------------------------------------
    def __enter__(self) -> FakeGitHub:
        for srv in self._servers.values():
            t = threading.Thread(
                target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            t.start()
            self._threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        stoppers = [threading.Thread(target=srv.shutdown) for srv in self._servers.values()]
        for t in stoppers:  # all four at once: one poll interval, not four
            t.start()
        for t in stoppers:
            t.join()
        for srv in self._servers.values():
            srv.server_close()
            srv.close_open_connections()
        for t in self._threads:
            t.join(timeout=1)

    def _base(self, role: str) -> str:
        return f"http://127.0.0.1:{self._servers[role].server_address[1]}"

    # -- configuration ----------------------------------------------------------------------
    def set_releases(self, releases: Iterable[FakeRelease]) -> None:
        """Replace the releases served (newest first by published_at; ids stay per tag)."""
        rels = list(releases)
        ordered = sorted(rels, key=lambda r: r.published, reverse=True)
        assets: dict[tuple[str, str], tuple[FakeRelease, FakeAsset, int]] = {}
        for r in ordered:
            for a in r.assets:
                assets[(r.tag, a.name)] = (r, a, self._asset_id(r.tag, a.name))
        with self._lock:
            self._releases = ordered
            self._assets = assets
            self._by_id = {aid: (r, a) for r, a, aid in assets.values()}

    def set_remaining(self, remaining: int, *, authenticated: bool = False) -> None:
        """Set the quota left in the anonymous (or authenticated) bucket right now."""
        with self._lock:
            b = self._buckets[authenticated]
            b.roll(self._clock())
            b.used = max(0, b.limit - remaining)
            if b.reset is None:
                b.reset = int(self._clock()) + RATE_WINDOW

    @property
    def releases(self) -> list[FakeRelease]:
        """The releases served, newest first."""
        with self._lock:
            return list(self._releases)

    # -- inspection -------------------------------------------------------------------------
    @property
    def requests(self) -> list[FakeRequest]:
        """A snapshot of the request log (all four hosts, in arrival order)."""
        with self._lock:
            return list(self._log)

    def api_calls(self) -> int:
        """How many API requests were counted against a quota (not 304s, not refusals)."""
        with self._lock:
            return sum(1 for r in self._log if r.role == "api" and r.counted)

    def head_calls(self) -> int:
        """How many HEAD requests reached web or astral."""
        with self._lock:
            return sum(1 for r in self._log if r.method == "HEAD" and r.role in ("web", "astral"))

    def remaining(self, *, authenticated: bool = False) -> int:
        """The quota left in a bucket."""
        with self._lock:
            b = self._buckets[authenticated]
            b.roll(self._clock())
            return max(0, b.limit - b.used)

    # -- URLs -------------------------------------------------------------------------------
    def download_url(self, tag: str, name: str) -> str:
        """An asset's browser_download_url on the web host ('+' quoted as %2B)."""
        return f"{self.web}/{FULL_NAME}/releases/download/{tag}/{quote(name)}"

    def astral_url(self, tag: str, name: str) -> str:
        """The same asset on the astral host."""
        return f"{self.astral}/github/{REPO}/releases/download/{tag}/{quote(name)}"

    def object_url(self, tag: str, name: str) -> str:
        """The signed objects URL that the web host redirects this asset's download to."""
        with self._lock:
            entry = self._assets.get((tag, name))
        if entry is None:
            raise KeyError((tag, name))
        return self._signed_url(entry[2], name)

    @staticmethod
    def _asset_id(tag: str, name: str) -> int:
        return 100_000_000 + zlib.crc32(f"{tag}/{name}".encode()) % 900_000_000

    @staticmethod
    def _release_id(tag: str) -> int:
        return 10_000_000 + zlib.crc32(tag.encode()) % 90_000_000

    @staticmethod
    def _sig(asset_id: int) -> str:
        return hashlib.sha256(f"fake-sig-{asset_id}".encode()).hexdigest()[:43]

    def _signed_url(self, asset_id: int, name: str) -> str:
        key = hashlib.sha1(str(asset_id).encode()).hexdigest()
        uid = f"{key[:8]}-{key[8:12]}-{key[12:16]}-{key[16:20]}-{key[20:32]}"
        expiry = datetime.fromtimestamp(self._clock() + 300, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        query = urlencode(
            {
                "sp": "r",
                "sv": "2018-11-09",
                "sr": "b",
                "spr": "https",
                "se": expiry,
                "rscd": f"attachment; filename={name}",
                "rsct": "application/octet-stream",
                "aid": str(asset_id),
                "sig": self._sig(asset_id),
            }
        )
        return f"{self.objects}/github-production-release-asset/{REPO_ID}/{uid}?{query}"

    # -- JSON shapes ------------------------------------------------------------------------
    def _asset_json(self, r: FakeRelease, a: FakeAsset) -> dict[str, Any]:
        aid = self._asset_id(r.tag, a.name)
        return {
            "url": f"{self.api}/repos/{FULL_NAME}/releases/assets/{aid}",
            "id": aid,
            "node_id": f"RA_{aid}",
            "name": a.name,
            "label": None,
            "content_type": "application/octet-stream",
            "state": "uploaded",
            "size": a.size,
            "digest": f"sha256:{a.sha256}" if r.published >= DIGEST_SINCE else None,
            "download_count": zlib.crc32(a.name.encode()) % 1000,
            "created_at": r.published_at,
            "updated_at": r.published_at,
            "browser_download_url": self.download_url(r.tag, a.name),
        }

    def _release_json(self, r: FakeRelease) -> dict[str, Any]:
        rid = self._release_id(r.tag)
        return {
            "url": f"{self.api}/repos/{FULL_NAME}/releases/{rid}",
            "assets_url": f"{self.api}/repos/{FULL_NAME}/releases/{rid}/assets",
            "html_url": f"{self.web}/{FULL_NAME}/releases/tag/{r.tag}",
            "id": rid,
            "node_id": f"RE_{rid}",
            "tag_name": r.tag,
            "target_commitish": "main",
            "name": r.tag,
            "draft": False,
            "prerelease": False,
            "created_at": r.published_at,
            "published_at": r.published_at,
            "assets": [self._asset_json(r, a) for a in r.assets],
            "tarball_url": f"{self.api}/repos/{FULL_NAME}/tarball/{r.tag}",
            "zipball_url": f"{self.api}/repos/{FULL_NAME}/zipball/{r.tag}",
            "body": "",
        }

    # -- handler plumbing -------------------------------------------------------------------
    def _handler_for(self, role: str) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30  # idle keep-alive connections end eventually
            disable_nagle_algorithm = True  # headers and body are separate writes

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._serve(self, role, "GET")

            def do_HEAD(self) -> None:
                fake._serve(self, role, "HEAD")

        return Handler

    def _serve(self, h: BaseHTTPRequestHandler, role: str, method: str) -> None:
        headers = {k.lower(): v for k, v in h.headers.items()}
        req = FakeRequest(method, role, h.path, headers)
        with self._lock:
            self._log.append(req)
            if role == "objects" and "authorization" in headers:
                self.objects_saw_authorization = True
        route = {
            "api": self._api,
            "web": self._web,
            "objects": self._objects,
            "astral": self._astral,
        }[role]
        answer = route(req)
        req.status = answer.status
        self._send(h, method, answer)

    def _send(self, h: BaseHTTPRequestHandler, method: str, answer: _Answer) -> None:
        try:
            h.send_response(answer.status)
            for k, v in answer.headers.items():
                h.send_header(k, v)
            if answer.stream is not None:
                length = answer.stream[1] - answer.stream[0]
            else:
                length = len(answer.body)
            h.send_header("Content-Length", str(length))
            h.end_headers()
            if method == "HEAD":
                h.wfile.flush()
                return
            if answer.stream is None:
                h.wfile.write(answer.body)
            else:
                pos, end = answer.stream
                while pos < end:
                    n = min(_CHUNK, end - pos)
                    off = pos % _PERIOD
                    h.wfile.write(_BLOCK[off : off + n])
                    pos += n
            h.wfile.flush()
        except OSError:  # the client hung up (reset, broken pipe, timeout): stay quiet
            h.close_connection = True

    # -- api --------------------------------------------------------------------------------
    def _api(self, req: FakeRequest) -> _Answer:
        parts = urlsplit(req.path)
        path = unquote(parts.path).rstrip("/")
        query = dict(parse_qsl(parts.query))
        authenticated = bool(req.headers.get("authorization", "").strip())
        base = f"/repos/{FULL_NAME}"
        status, payload, link = 404, _not_found(), None
        if path == f"{base}/releases":
            status, payload, link = self._list(parts.query, query)
        elif path.startswith(f"{base}/releases/tags/"):
            rel = self._find(path.removeprefix(f"{base}/releases/tags/"))
            if rel is not None:
                status, payload = 200, self._release_json(rel)
        elif path == f"{base}/releases/latest":
            rels = self.releases
            if rels:
                status, payload = 200, self._release_json(rels[0])
        elif path.startswith(f"{base}/releases/assets/"):
            status, payload = self._asset_by_id(path.removeprefix(f"{base}/releases/assets/"))
            if status == 200 and "octet-stream" in req.headers.get("accept", ""):
                return self._counted(req, authenticated, self._redirect_by_id(payload))
        body = (json.dumps(payload, indent=2) + "\n").encode()
        answer = _Answer(status, {"Content-Type": "application/json; charset=utf-8"}, body)
        if status == 200:
            etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
            answer.headers["ETag"] = etag
            answer.headers["Last-Modified"] = "Mon, 15 Apr 2024 12:00:00 GMT"
            if link:
                answer.headers["Link"] = link
            if _etag_matches(req.headers.get("if-none-match"), etag):
                not_modified = _Answer(304, {"ETag": etag})
                if link:
                    not_modified.headers["Link"] = link
                return self._free(authenticated, not_modified)
        return self._counted(req, authenticated, answer)

    def _counted(self, req: FakeRequest, authenticated: bool, answer: _Answer) -> _Answer:
        """Charge one request to the bucket, or refuse it with GitHub's 403 if it is empty."""
        with self._lock:
            b = self._buckets[authenticated]
            now = self._clock()
            b.roll(now)
            if b.reset is None:
                b.reset = int(now) + RATE_WINDOW
            if b.used >= b.limit:
                message = _AUTH_EXCEEDED if authenticated else _ANON_EXCEEDED
                body = json.dumps({"message": message, "documentation_url": _RATE_DOCS})
                answer = _Answer(
                    403,
                    {"Content-Type": "application/json; charset=utf-8"},
                    (body + "\n").encode(),
                )
            else:
                b.used += 1
                req.counted = True
            answer.headers.update(_rate_headers(b))
        answer.headers.update(_api_common())
        return answer

    def _free(self, authenticated: bool, answer: _Answer) -> _Answer:
        """Answer without charging the quota (304s), still with the rate limit headers."""
        with self._lock:
            b = self._buckets[authenticated]
            b.roll(self._clock())
            answer.headers.update(_rate_headers(b, self._clock()))
        answer.headers.update(_api_common())
        return answer

    def _list(
        self, raw_query: str, query: dict[str, str]
    ) -> tuple[int, list[dict[str, Any]], str | None]:
        per_page = _int_or(query.get("per_page"), DEFAULT_PER_PAGE)
        per_page = DEFAULT_PER_PAGE if per_page < 1 else min(per_page, MAX_PER_PAGE)
        page = max(1, _int_or(query.get("page"), 1))
        rels = self.releases
        last = max(1, -(-len(rels) // per_page))
        chunk = rels[(page - 1) * per_page : page * per_page]
        payload = [self._release_json(r) for r in chunk]
        return 200, payload, self._link(raw_query, page, last)

    def _link(self, raw_query: str, page: int, last: int) -> str | None:
        """GitHub's Link header: prev, next, last, first (as they apply); None for one page."""
        if last <= 1 and page <= 1:
            return None
        pairs = [(k, v) for k, v in parse_qsl(raw_query, keep_blank_values=True) if k != "page"]

        def url(p: int) -> str:
            q = urlencode([*pairs, ("page", str(p))])
            return f"{self.api}/repos/{FULL_NAME}/releases?{q}"

        links = []
        if page > 1:
            links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
        if page < last:
            links.append(f'<{url(page + 1)}>; rel="next"')
            links.append(f'<{url(last)}>; rel="last"')
        if page > 1:
            links.append(f'<{url(1)}>; rel="first"')
        return ", ".join(links)

    def _find(self, tag: str) -> FakeRelease | None:
        return next((r for r in self.releases if r.tag == tag), None)

    def _asset_by_id(self, text: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            entry = self._by_id.get(_int_or(text, -1))
        if entry is None:
            return 404, _not_found()
        return 200, self._asset_json(*entry)

    def _redirect_by_id(self, asset: dict[str, Any]) -> _Answer:
        return _Answer(302, {"Location": self._signed_url(asset["id"], asset["name"])})

    # -- web (github.com) ------------------------------------------------------------------
    def _lookup_download(self, path: str, prefix: str) -> tuple[FakeAsset, int] | None:
        raw = urlsplit(path).path
        if not raw.startswith(prefix):
            return None
        tag, sep, name = raw.removeprefix(prefix).partition("/")
        if not sep or "/" in name:
            return None
        with self._lock:
            entry = self._assets.get((unquote(tag), unquote(name)))
        return None if entry is None else (entry[1], entry[2])

    def _web(self, req: FakeRequest) -> _Answer:
        found = self._lookup_download(req.path, f"/{FULL_NAME}/releases/download/")
        if found is None:
            return _text(404, "Not Found")
        asset, aid = found
        return _Answer(
            302,
            {"Location": self._signed_url(aid, asset.name), "Cache-Control": "no-cache"},
        )

    # -- objects (release-assets.githubusercontent.com) -------------------------------------
    def _objects(self, req: FakeRequest) -> _Answer:
        parts = urlsplit(req.path)
        query = dict(parse_qsl(parts.query))
        if not parts.path.startswith(f"/github-production-release-asset/{REPO_ID}/"):
            return _text(404, "The specified resource does not exist.")
        aid = _int_or(query.get("aid"), -1)
        with self._lock:
            entry = self._by_id.get(aid)
        if entry is None or query.get("sig") != self._sig(aid):
            return _text(403, "Server failed to authenticate the request.")
        return _bytes_answer(req, entry[1], aid)

    # -- astral (releases.astral.sh) --------------------------------------------------------
    def _astral(self, req: FakeRequest) -> _Answer:
        status = self.astral_status
        if status != 200:
            return _text(status, "Not Found" if status == 404 else "Internal Server Error")
        found = self._lookup_download(req.path, f"/github/{REPO}/releases/download/")
        if found is None:
            return _text(404, "Not Found")
        return _bytes_answer(req, *found)


# -- helpers ------------------------------------------------------------------------------
def _not_found() -> dict[str, str]:
    return {
        "message": "Not Found",
        "documentation_url": "https://docs.github.com/rest",
        "status": "404",
    }


def _int_or(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags or "*" in tags


def _rate_headers(b: _Bucket, now: float | None = None) -> dict[str, str]:
    if b.reset is not None:
        reset = b.reset
    else:
        reset = int(time.time() if now is None else now) + RATE_WINDOW
    return {
        "x-ratelimit-limit": str(b.limit),
        "x-ratelimit-remaining": str(max(0, b.limit - b.used)),
        "x-ratelimit-used": str(min(b.used, b.limit)),
        "x-ratelimit-reset": str(reset),
        "x-ratelimit-resource": "core",
    }


def _api_common() -> dict[str, str]:
    return {
        "X-GitHub-Media-Type": "github.v3; format=json",
        "Vary": "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding",
        "X-GitHub-Request-Id": "0000:FAKE:0000000:0000000:00000000",
    }


def _text(status: int, text: str) -> _Answer:
    return _Answer(status, {"Content-Type": "text/plain; charset=utf-8"}, text.encode())


def _bytes_answer(req: FakeRequest, asset: FakeAsset, aid: int) -> _Answer:
    """200 (or 206 for Range: bytes=N- / N-M, 416 past the end) with the pattern bytes."""
    size = asset.size
    etag = f'"0x8DC{aid:012X}"'
    headers = {
        "Content-Type": "application/octet-stream",
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Last-Modified": "Mon, 15 Apr 2024 12:00:00 GMT",
    }
    rng = req.headers.get("range")
    if_range = req.headers.get("if-range")
    m = re.fullmatch(r"\s*bytes=(\d+)-(\d*)\s*", rng or "")
    if m and (if_range is None or if_range == etag):
        start = int(m.group(1))
        end = min(size, int(m.group(2)) + 1) if m.group(2) else size
        if start >= size or end <= start:
            headers["Content-Range"] = f"bytes */{size}"
            return _Answer(416, headers)
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
        return _Answer(206, headers, stream=(start, end))
    return _Answer(200, headers, stream=(0, size))
