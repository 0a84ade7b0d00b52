"""A scriptable loopback HTTP server for tests (127.0.0.1 only), with a request log.

Routes map a path to a Route: a body plus behaviour (status, headers, Range honoured or not,
drop after N bytes, stall, bad Content-Range, gzip Content-Encoding, redirect, ETag, delay).
A route may also be a callable(request) -> Route for per-request answers (pagination, 429 once).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

#: A client that hangs up early is normal in these tests (cancel, redirects, HEAD-only); the
#: server stays quiet about it instead of printing a traceback into the test output.
QUIET_ERRORS = (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)


class QuietHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that does not print tracebacks for clients that hung up."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], QUIET_ERRORS):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    honour_range: bool = True
    drop_after: int | None = None  # close the connection after this many body bytes
    stall_after: int | None = None  # stop sending (but keep open) after this many bytes
    stall_seconds: float = 30.0
    bad_content_range_start: int | None = None  # lie in 206 Content-Range
    gzip_encoding: bool = False  # send Content-Encoding: gzip (body gzipped on the wire)
    redirect_to: str | None = None
    etag: str | None = None
    delay: float = 0.0  # seconds before answering
    chunk: int = 64 * 1024
    rate: float | None = None  # bytes per second, to make downloads take time
    gate: threading.Event | None = None  # after `gate_after` bytes, wait (30 s at most) for it
    gate_after: int = 0


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]


class LoopbackServer:
    """Start with `with LoopbackServer() as srv:`; `srv.url(path)` gives a full URL."""

    def __init__(self, host: str = "127.0.0.1", ssl_context=None) -> None:
        self.routes: dict[str, Route | Callable[[Request], Route]] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                server._handle(self, "GET")

            def do_HEAD(self) -> None:
                server._handle(self, "HEAD")

        self.httpd = QuietHTTPServer((host, 0), Handler)
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.scheme = "https" if ssl_context is not None else "http"
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True, kwargs={"poll_interval": 0.05}
        )  # quick shutdown

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, route: Route | Callable[[Request], Route] | bytes) -> str:
        self.routes[path] = Route(route) if isinstance(route, bytes) else route
        return self.url(path)

    def requests_for(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.log if r.path == path]

    # -- serving -------------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        path = h.path
        req = Request(method, path, {k.lower(): v for k, v in h.headers.items()})
        with self._lock:
            self.log.append(req)
        route = self.routes.get(path) or self.routes.get(urlsplit(path).path)
        if callable(route):
            route = route(req)
        if route is None:
            self._send_simple(h, 404, b"not found")
            return
        if route.delay:
            time.sleep(route.delay)
        if route.redirect_to:
            h.send_response(route.status if 300 <= route.status < 400 else 302)
            h.send_header("Location", route.redirect_to)
            h.send_header("Content-Length", "0")
            for k, v in route.headers.items():
                h.send_header(k, v)
            h.end_headers()
            return
        if route.etag and req.headers.get("if-none-match") == route.etag:
            h.send_response(304)
            h.send_header("ETag", route.etag)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        body = gzip.compress(route.body) if route.gzip_encoding else route.body
        status, start = route.status, 0
        headers = dict(route.headers)
        if route.etag:
            headers["ETag"] = route.etag
        rng = req.headers.get("range")
        if rng and route.honour_range and status == 200:
            m = re.match(r"bytes=(\d+)-$", rng)
            if_range = req.headers.get("if-range")
            if m and (if_range is None or if_range == route.etag or route.etag is None):
                start = int(m.group(1))
                if start >= len(body):
                    self._send_simple(h, 416, b"")
                    return
                status = 206
                claimed = route.bad_content_range_start
                first = start if claimed is None else claimed
                headers["Content-Range"] = f"bytes {first}-{len(body) - 1}/{len(body)}"
        payload = body[start:]
        h.send_response(status)
        if route.gzip_encoding:
            headers["Content-Encoding"] = "gzip"
        headers.setdefault("Accept-Ranges", "bytes")
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(payload)))
        h.end_headers()
        if method == "HEAD":
            return
        self._write_body(h, route, payload)

    def _write_body(self, h: BaseHTTPRequestHandler, route: Route, payload: bytes) -> None:
        sent = 0
        limit = len(payload)
        if route.drop_after is not None:
            limit = min(limit, route.drop_after)
        if route.stall_after is not None:
            limit = min(limit, route.stall_after)
        try:
            while sent < limit:
                piece = payload[sent : min(limit, sent + route.chunk)]
                if route.gate is not None and sent < route.gate_after <= sent + len(piece):
                    piece = piece[: route.gate_after - sent]
                h.wfile.write(piece)
                sent += len(piece)
                if route.gate is not None and sent == route.gate_after:
                    h.wfile.flush()
                    route.gate.wait(30)
                if route.rate:
                    time.sleep(len(piece) / route.rate)
            h.wfile.flush()
            if route.stall_after is not None and sent < len(payload):
                time.sleep(route.stall_seconds)
            if sent < len(payload):
                h.close_connection = True
                h.connection.shutdown(2)
        except (BrokenPipeError, ConnectionResetError, OSError):
            h.close_connection = True

    @staticmethod
    def _send_simple(h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
        h.send_response(status)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
