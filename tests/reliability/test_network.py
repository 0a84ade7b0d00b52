"""Reliability cases 16-32 (and the download parts of 34-35) of reliability-cases.md.

Each test drives net.download.download against loopback servers that misbehave on purpose and
checks the outcome, what reached the server, and what is left next to the destination.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest
import trustme

from pybs_tui.net.client import RateLimited, make_client
from pybs_tui.net.download import ChecksumMismatch, DownloadError, DownloadNotFound, download
from pybs_tui.progress import Cancelled, InstallError
from tests.support.archives import make_archive, pbs_members, tar_bytes
from tests.support.server import LoopbackServer, Request, Route, sha256

BODY = bytes(range(256)) * 4096  # 1 MiB
SHA = sha256(BODY)
NAME = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"


@pytest.fixture
def sleeps(settings) -> list[float]:
    """Every sleep the download asks for, recorded instead of slept."""
    recorded: list[float] = []
    settings.sleep = recorded.append
    return recorded


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.iterdir()) if dest.parent.exists() else []


def first_then(first: Route, rest: Route):
    """A route answering `first` to the first request and `rest` afterwards."""
    calls: list[Request] = []

    def route(req: Request) -> Route:
        calls.append(req)
        return first if len(calls) == 1 else rest

    return route


# -- integrity -------------------------------------------------------------------------------


def test_case16_sha_mismatch_shows_both_and_deletes(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    wrong = "ab" * 32
    with pytest.raises(ChecksumMismatch) as info:
        download(client, settings, url, dest, expected_sha256=wrong)
    msg = str(info.value)
    assert wrong in msg and SHA in msg and "\n" not in msg
    assert leftovers(dest) == []


def test_case17_short_body_is_resumed(server, settings, client, dest, sleeps):
    server.add(
        "/a.tar.gz",
        first_then(Route(BODY, etag='"v1"', drop_after=400_000), Route(BODY, etag='"v1"')),
    )
    result = download(client, settings, server.url("/a.tar.gz"), dest, expected_sha256=SHA)
    assert result.resumed and result.attempts == 2 and dest.read_bytes() == BODY
    assert server.log[1].headers["range"] == "bytes=400000-"
    assert len(sleeps) >= 1  # a backoff before the retry


def test_case17_repeated_drops_give_up_after_n_tries(server, settings, client, dest, sleeps):
    settings.limits.download_retries = 3
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"', honour_range=False, drop_after=100_000))
    with pytest.raises(DownloadError) as info:
        download(client, settings, url, dest, expected_sha256=SHA)
    msg = str(info.value)
    assert "after 4 attempts" in msg and "dropped" in msg and "run again to resume" in msg
    assert len(server.log) == 4
    # a network drop keeps the part so a rerun resumes
    assert leftovers(dest) == [NAME + ".part", NAME + ".part.json"]
    assert dest.with_name(NAME + ".part").stat().st_size == 100_000


def test_case18_truncated_archive_with_matching_length(server, settings, client, dest):
    archive = make_archive(pbs_members())
    raw = tar_bytes(pbs_members())
    cut = archive.data[: len(archive.data) // 2]  # served with its own, matching Content-Length
    url = server.add("/a.tar.gz", cut)
    with pytest.raises(ChecksumMismatch, match="size mismatch"):
        download(
            client, settings, url, dest, expected_sha256=archive.sha256, expected_size=archive.size
        )
    with pytest.raises(ChecksumMismatch, match="sha256 mismatch"):
        download(client, settings, url, dest, expected_sha256=archive.sha256)
    uncompressed_cut = raw[:1024]  # a tar cut at a member boundary
    server.add("/b.tar", uncompressed_cut)
    with pytest.raises(ChecksumMismatch):
        download(client, settings, server.url("/b.tar"), dest, expected_sha256=sha256(raw))
    assert leftovers(dest) == []


def test_case20_no_checksum_refused(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    with pytest.raises(InstallError, match=r"no checksum.*--allow-unverified"):
        download(client, settings, url, dest, expected_sha256=None)
    assert server.log == [] and leftovers(dest) == []


def test_case20_no_checksum_allowed_with_override(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    result = download(client, settings, url, dest, expected_sha256=None, allow_unverified=True)
    assert not result.verified and result.sha256 == SHA and dest.read_bytes() == BODY


def test_case22_gzip_content_encoding_stored_byte_exact(server, settings, client, dest):
    archive = make_archive(pbs_members())
    url = server.add("/a.tar.gz", Route(archive.data, headers={"Content-Encoding": "gzip"}))
    result = download(
        client, settings, url, dest, expected_sha256=archive.sha256, expected_size=archive.size
    )
    assert dest.read_bytes() == archive.data and result.verified
    assert server.log[0].headers["accept-encoding"] == "identity"


def test_case22_gzip_encoding_resume_uses_raw_offsets(server, settings, client, dest):
    archive = make_archive(pbs_members(extra=None))
    half = len(archive.data) // 2
    server.add(
        "/a.tar.gz",
        first_then(
            Route(archive.data, headers={"Content-Encoding": "gzip"}, etag='"g"', drop_after=half),
            Route(archive.data, headers={"Content-Encoding": "gzip"}, etag='"g"'),
        ),
    )
    result = download(
        client, settings, server.url("/a.tar.gz"), dest, expected_sha256=archive.sha256
    )
    assert result.resumed and dest.read_bytes() == archive.data
    assert server.log[1].headers["range"] == f"bytes={half}-"


# -- network ---------------------------------------------------------------------------------


def test_case23_resume_after_drop(server, settings, client, dest):
    server.add(
        "/a.tar.gz",
        first_then(Route(BODY, etag='"v1"', drop_after=300_000), Route(BODY, etag='"v1"')),
    )
    result = download(client, settings, server.url("/a.tar.gz"), dest, expected_sha256=SHA)
    assert result.resumed and result.sha256 == SHA and dest.read_bytes() == BODY
    second = server.log[1].headers
    assert second["range"] == "bytes=300000-" and second["if-range"] == '"v1"'
    assert leftovers(dest) == [NAME]


def test_case24_server_ignores_range(server, settings, client, dest):
    server.add(
        "/a.tar.gz", first_then(Route(BODY, drop_after=300_000), Route(BODY, honour_range=False))
    )
    result = download(client, settings, server.url("/a.tar.gz"), dest, expected_sha256=SHA)
    assert not result.resumed and dest.read_bytes() == BODY
    assert server.log[1].headers["range"] == "bytes=300000-"  # asked, got a 200: restarted


def test_case25_wrong_content_range_start(server, settings, client, dest):
    server.add(
        "/a.tar.gz",
        first_then(
            Route(BODY, etag='"v1"', drop_after=300_000),
            Route(BODY, etag='"v1"', bad_content_range_start=1000),
        ),
    )
    result = download(client, settings, server.url("/a.tar.gz"), dest, expected_sha256=SHA)
    assert dest.read_bytes() == BODY and not result.resumed
    ranges = [r.headers.get("range") for r in server.log]
    assert ranges == [None, "bytes=300000-", None]  # lie discarded, full restart


def test_case26_429_retry_after_waits_then_succeeds(server, settings, client, dest, sleeps):
    server.add(
        "/a.tar.gz", first_then(Route(status=429, headers={"Retry-After": "2"}), Route(BODY))
    )
    result = download(client, settings, server.url("/a.tar.gz"), dest, expected_sha256=SHA)
    assert result.attempts == 2 and dest.read_bytes() == BODY
    assert sum(sleeps) == pytest.approx(2.0) and max(sleeps) <= 0.25


def test_case26_cancel_during_retry_after_wait(server, settings, client, dest):
    settings.sleep = time.sleep  # really wait, to prove cancel cuts the wait short
    url = server.add("/a.tar.gz", Route(status=429, headers={"Retry-After": "30"}))
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        download(client, settings, url, dest, expected_sha256=SHA, cancel=cancel)
    assert time.monotonic() - started < 15  # cut short: Retry-After asked for 30 s
    assert len(server.log) == 1 and leftovers(dest) == []


def test_case27_403_rate_limit_one_request(server, settings, client, dest, sleeps):
    url = server.add(
        "/a.tar.gz",
        Route(
            status=403,
            headers={
                "x-ratelimit-remaining": "0",
                "x-ratelimit-limit": "60",
                "x-ratelimit-reset": str(int(time.time()) + 600),
            },
        ),
    )
    with pytest.raises(RateLimited) as info:
        download(client, settings, url, dest, expected_sha256=SHA)
    assert isinstance(info.value, InstallError)
    assert "GITHUB_TOKEN" in str(info.value)
    assert len(server.log) == 1 and sleeps == []


def test_case28_expired_signed_url_refetched_once_then_error(server, settings, client, dest):
    server.add("/release/a.tar.gz", Route(redirect_to="/signed?sig=old"))
    server.add("/signed", Route(b"expired", status=403))
    url = server.url("/release/a.tar.gz")
    with pytest.raises(DownloadError, match="403") as info:
        download(client, settings, url, dest, expected_sha256=SHA, canonical_url=url)
    assert "fresh" in str(info.value)
    assert [r.path for r in server.log] == ["/release/a.tar.gz", "/signed?sig=old"] * 2
    assert leftovers(dest) == []


def test_case28_expired_signed_url_fresh_link_works(server, settings, client, dest):
    server.add("/old/a.tar.gz", Route(redirect_to="/signed-old"))
    server.add("/signed-old", Route(status=403))
    server.add("/release/a.tar.gz", Route(redirect_to="/signed-new"))
    server.add("/signed-new", BODY)
    result = download(
        client,
        settings,
        server.url("/old/a.tar.gz"),
        dest,
        expected_sha256=SHA,
        canonical_url=server.url("/release/a.tar.gz"),
    )
    assert result.sha256 == SHA and result.attempts == 2
    assert [r.path for r in server.log] == [
        "/old/a.tar.gz",
        "/signed-old",
        "/release/a.tar.gz",
        "/signed-new",
    ]


def test_case29_404_fails_fast_with_hint(server, settings, client, dest, sleeps):
    url = server.url("/gone.tar.gz")
    dest.parent.mkdir(parents=True)
    dest.with_name(NAME + ".part").write_bytes(b"x" * 10)
    dest.with_name(NAME + ".part.json").write_text(
        json.dumps({"url": url, "sha256": SHA, "etag": '"v1"'})
    )
    with pytest.raises(DownloadNotFound, match="refresh the catalog"):
        download(client, settings, url, dest, expected_sha256=SHA)
    assert len(server.log) == 1 and sleeps == [] and leftovers(dest) == []


def test_case29_5xx_storm_bounded(server, settings, client, dest, sleeps):
    settings.limits.download_retries = 4
    url = server.add("/a.tar.gz", Route(b"oops", status=503))
    with pytest.raises(DownloadError, match="HTTP 503") as info:
        download(client, settings, url, dest, expected_sha256=SHA)
    assert "after 5 attempts" in str(info.value)
    assert len(server.log) == 5
    assert sum(sleeps) == pytest.approx(0.5 + 1 + 2 + 4)  # exponential backoff


@pytest.mark.parametrize("cancellable", [False, True], ids=["plain", "with a cancel event"])
def test_case30_stall_read_timeout_retried(server, settings, dest, sleeps, cancellable):
    """With a cancel event (every install has one) the read waits in slices: the read
    timeout still ends the stalled answer after the same 0.5 s."""
    settings.limits.http_timeout = 0.5
    server.add(
        "/a.tar.gz",
        first_then(
            Route(BODY, etag='"v1"', stall_after=200_000, stall_seconds=3), Route(BODY, etag='"v1"')
        ),
    )
    cancel = threading.Event() if cancellable else None
    with make_client(settings) as client:
        result = download(
            client, settings, server.url("/a.tar.gz"), dest, expected_sha256=SHA, cancel=cancel
        )
    # a second attempt: the stalled read timed out (waiting out the 3 s stall would have
    # finished the first answer)
    assert result.resumed and result.attempts == 2 and dest.read_bytes() == BODY
    assert server.log[1].headers["range"] == "bytes=200000-"


def test_case31_cross_origin_redirect_sends_no_authorization(server, settings, client, dest):
    settings.github_token = "ghp_secret"  # downloads never carry it, not even to the API host
    with LoopbackServer() as cdn:
        cdn.add("/blob", BODY)
        url = server.add("/a.tar.gz", Route(redirect_to=cdn.url("/blob")))
        result = download(client, settings, url, dest, expected_sha256=SHA)
        assert result.sha256 == SHA
        assert len(cdn.log) == 1 and "authorization" not in cdn.log[0].headers
    assert "authorization" not in server.log[0].headers


def test_case31_redirect_loop(server, settings, client, dest):
    server.add("/a", Route(redirect_to="/b"))
    server.add("/b", Route(redirect_to="/a"))
    with pytest.raises(DownloadError, match="redirect loop"):
        download(client, settings, server.url("/a"), dest, expected_sha256=SHA)
    assert len(server.log) == 2 and leftovers(dest) == []


def test_case31_redirect_to_file_refused(server, settings, client, dest):
    url = server.add("/a", Route(redirect_to="file:///etc/passwd"))
    with pytest.raises(DownloadError, match="refused redirect"):
        download(client, settings, url, dest, expected_sha256=SHA)
    assert leftovers(dest) == []


# -- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    with LoopbackServer(ssl_context=ctx) as srv:
        yield srv


@pytest.fixture
def trust_ca(ca, tmp_path, monkeypatch) -> None:
    """Point SSL_CERT_FILE at the test CA (read when the client is made)."""
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    monkeypatch.setenv("SSL_CERT_FILE", str(path))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


def test_case32_self_signed_fails_clearly_without_retry(tls_server, settings, dest, sleeps):
    url = tls_server.add("/a.tar.gz", BODY)
    sent: list[str] = []
    with (
        make_client(
            settings, event_hooks={"request": [lambda r: sent.append(str(r.url))]}
        ) as client,
        pytest.raises(DownloadError) as info,
    ):
        download(client, settings, url, dest, expected_sha256=SHA)
    msg = str(info.value)
    assert "certificate" in msg and "SSL_CERT_FILE" in msg and "\n" not in msg
    assert len(sent) == 1 and sleeps == [] and leftovers(dest) == []


def test_case32_ssl_cert_file_with_test_ca_works(tls_server, settings, dest, trust_ca):
    url = tls_server.add("/a.tar.gz", BODY)
    with make_client(settings) as client:
        result = download(client, settings, url, dest, expected_sha256=SHA)
    assert result.sha256 == SHA and len(tls_server.log) == 1


def test_case31_https_to_http_redirect_refused(tls_server, server, settings, dest, trust_ca):
    target = server.add("/blob", BODY)
    url = tls_server.add("/a.tar.gz", Route(redirect_to=target))
    with make_client(settings) as client, pytest.raises(DownloadError, match="plain http"):
        download(client, settings, url, dest, expected_sha256=SHA)
    assert server.log == []


class ConnectProxy:
    """A minimal loopback HTTP CONNECT proxy that records the tunnels it opens."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.tunnels: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(conn,), daemon=True).start()

    def _tunnel(self, conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            data = conn.recv(4096)
            if not data:
                conn.close()
                return
            head += data
        method, target, _ = head.split(b"\r\n", 1)[0].decode().split(" ", 2)
        if method != "CONNECT":
            conn.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            conn.close()
            return
        self.tunnels.append(target)
        host, port = target.rsplit(":", 1)
        upstream = socket.create_connection((host, int(port)))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")

        def pipe(a: socket.socket, b: socket.socket) -> None:
            try:
                while data := a.recv(65536):
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

        threading.Thread(target=pipe, args=(upstream, conn), daemon=True).start()
        pipe(conn, upstream)

    def close(self) -> None:
        self.sock.close()


def test_case32_https_proxy_connect_is_used(tls_server, settings, dest, trust_ca, monkeypatch):
    url = tls_server.add("/a.tar.gz", BODY)
    proxy = ConnectProxy()
    try:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        for var in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(var, raising=False)
        with make_client(settings) as client:
            result = download(client, settings, url, dest, expected_sha256=SHA)
    finally:
        proxy.close()
    assert result.sha256 == SHA
    assert proxy.tunnels == [f"127.0.0.1:{tls_server.port}"]


# -- lifecycle (download side of cases 34 and 35) --------------------------------------------


def test_case34_rerun_after_kill_resumes_the_part(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    # what a killed run leaves: a part and its sidecar, no dest
    dest.parent.mkdir(parents=True)
    dest.with_name(NAME + ".part").write_bytes(BODY[:123_456])
    dest.with_name(NAME + ".part.json").write_text(
        json.dumps({"url": url, "sha256": SHA, "etag": '"v1"', "last_modified": None})
    )
    result = download(client, settings, url, dest, expected_sha256=SHA)
    assert result.resumed and result.sha256 == SHA and dest.read_bytes() == BODY
    assert server.log[0].headers["range"] == "bytes=123456-"
    assert leftovers(dest) == [NAME]


def test_case35_cancel_mid_download_leaves_nothing(server, settings, client, dest):
    big = BODY * 4
    # the first answer trickles (~1 s in full), the next one is quick
    server.add("/a.tar.gz", first_then(Route(big, rate=4 * 1024 * 1024), Route(big)))
    url = server.url("/a.tar.gz")
    cancel = threading.Event()
    seen: list[int] = []

    def progress(p) -> None:
        if p.phase == "download":
            seen.append(p.done)
            if p.done > 256 * 1024:
                cancel.set()

    with pytest.raises(Cancelled):
        download(
            client,
            settings,
            url,
            dest,
            expected_sha256=sha256(big),
            progress=progress,
            cancel=cancel,
        )
    assert cancel.is_set() and max(seen) < len(big)  # stopped mid-body, not at its end
    assert leftovers(dest) == []
    # the same build downloads at once afterwards
    result = download(client, settings, url, dest, expected_sha256=sha256(big))
    assert result.size == len(big) and not result.resumed


@pytest.mark.parametrize("where", ["before the headers", "mid-body"])
def test_case35_cancel_while_the_server_sends_nothing(server, settings, dest, where):
    """A server gone silent (no headers yet, or a body stopped half-way) does not hold a
    cancel for the read timeout: the download stops while the server is still silent."""
    settings.limits.http_timeout = 60.0  # far longer than this test waits for the cancel
    silent = threading.Event()  # the server has sent what it will before going quiet
    resume = threading.Event()  # set only once the test is over

    def route(_req: Request) -> Route:
        if where == "before the headers":
            silent.set()
            resume.wait(60)
            return Route(BODY)
        return Route(BODY, gate=resume, gate_after=200_000)

    server.add("/a.tar.gz", route)
    cancel = threading.Event()
    outcome: dict[str, BaseException] = {}

    def run() -> None:
        try:
            with make_client(settings) as client:
                download(
                    client,
                    settings,
                    server.url("/a.tar.gz"),
                    dest,
                    expected_sha256=SHA,
                    cancel=cancel,
                )
        except BaseException as exc:
            outcome["error"] = exc

    def went_quiet() -> bool:
        if where == "before the headers":
            return silent.wait(20)
        part = dest.with_name(NAME + ".part")
        ends = time.monotonic() + 20
        # most of the 200,000 bytes sent (the last few KiB may sit in the file's buffer)
        while not (part.is_file() and part.stat().st_size >= 150_000):
            if time.monotonic() > ends:
                return False
            time.sleep(0.02)
        return True

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        assert went_quiet()
        cancel.set()
        worker.join(20)  # the server stays silent all this time
        assert not worker.is_alive(), "the cancel waited for the server"
        assert not resume.is_set()
    finally:
        resume.set()
        worker.join(30)
    assert isinstance(outcome.get("error"), Cancelled)
    assert leftovers(dest) == []
