"""Unit tests of net.download: the happy path, partial files, redirects, errors, progress."""

from __future__ import annotations

import hashlib
import json
import os
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest

from pybs_tui.net.client import RateLimited, make_client
from pybs_tui.net.download import (
    PROGRESS_INTERVAL,
    ChecksumMismatch,
    DownloadError,
    DownloadNotFound,
    DownloadRateLimited,
    DownloadResult,
    _retry_after,
    _tls_problem,
    _wait,
    download,
    open_following,
)
from pybs_tui.progress import Cancelled, InstallError, Progress
from tests.support.server import LoopbackServer, Route, sha256

BODY = bytes(range(256)) * 4096  # 1 MiB, not compressible by accident of zeros
SHA = sha256(BODY)
NAME = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"


def part_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def sidecar_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


def leftovers(dest: Path) -> list[str]:
    return sorted(p.name for p in dest.parent.iterdir()) if dest.parent.exists() else []


def write_part(
    dest: Path,
    url: str,
    data: bytes,
    *,
    etag: str | None = '"v1"',
    sha: str | None = SHA,
    last_modified: str | None = None,
) -> None:
    """Leave a part and sidecar as an interrupted earlier run would."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part_of(dest).write_bytes(data)
    sidecar_of(dest).write_text(
        json.dumps({"url": url, "etag": etag, "sha256": sha, "last_modified": last_modified})
    )


# -- happy path ------------------------------------------------------------------------------


def test_plain_download_verifies_and_publishes(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    result = download(client, settings, url, dest, expected_sha256=SHA, expected_size=len(BODY))
    assert result == DownloadResult(dest, SHA, len(BODY), True, False, 1)
    assert dest.read_bytes() == BODY
    assert leftovers(dest) == [NAME]
    (req,) = server.requests_for("/a.tar.gz")
    assert req.headers["accept-encoding"] == "identity"
    assert "range" not in req.headers and "authorization" not in req.headers


def test_uppercase_expected_sha_accepted(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    result = download(client, settings, url, dest, expected_sha256=SHA.upper())
    assert result.sha256 == SHA and result.verified


def test_existing_good_dest_returns_without_a_request(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(BODY)
    result = download(client, settings, url, dest, expected_sha256=SHA)
    assert result.attempts == 0 and result.verified and result.size == len(BODY)
    assert server.log == []


def test_existing_bad_dest_is_replaced(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    dest.parent.mkdir(parents=True)
    dest.write_bytes(b"stale")
    result = download(client, settings, url, dest, expected_sha256=SHA)
    assert result.attempts == 1 and dest.read_bytes() == BODY


def test_invalid_expected_sha_refused(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    with pytest.raises(DownloadError, match="invalid expected sha256"):
        download(client, settings, url, dest, expected_sha256="abc")
    assert server.log == []


def test_offline_refuses_to_download(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    settings.offline = True
    with pytest.raises(DownloadError, match="offline"):
        download(client, settings, url, dest, expected_sha256=SHA)
    assert server.log == []


# -- partial files ---------------------------------------------------------------------------


def test_part_from_earlier_run_is_rehashed_and_resumed(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    write_part(dest, url, BODY[:300_000])
    result = download(client, settings, url, dest, expected_sha256=SHA)
    assert result.resumed and result.sha256 == SHA and dest.read_bytes() == BODY
    (req,) = server.requests_for("/a.tar.gz")
    assert req.headers["range"] == "bytes=300000-" and req.headers["if-range"] == '"v1"'
    assert leftovers(dest) == [NAME]


def test_corrupt_part_gets_one_clean_download(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    write_part(dest, url, b"\0" * 300_000)  # right length, wrong bytes
    result = download(client, settings, url, dest, expected_sha256=SHA)
    assert result.sha256 == SHA and not result.resumed
    ranges = [r.headers.get("range") for r in server.requests_for("/a.tar.gz")]
    assert ranges == ["bytes=300000-", None]


def test_part_for_another_url_or_sha_is_discarded(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    write_part(dest, server.url("/other.tar.gz"), BODY[:1000])
    download(client, settings, url, dest, expected_sha256=SHA)
    write_part(dest, url, BODY[:1000], sha="0" * 64)
    dest.unlink()
    download(client, settings, url, dest, expected_sha256=SHA)
    assert [r.headers.get("range") for r in server.log] == [None, None]


def test_part_without_validator_resumes_without_if_range(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    write_part(dest, url, BODY[:5000], etag=None)
    result = download(client, settings, url, dest, expected_sha256=SHA)
    assert result.resumed
    (req,) = server.log
    assert req.headers["range"] == "bytes=5000-" and "if-range" not in req.headers


def test_last_modified_used_when_etag_is_weak(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    lm = "Mon, 15 Apr 2024 10:00:00 GMT"
    write_part(dest, url, BODY[:5000], etag='W/"weak"', last_modified=lm)
    download(client, settings, url, dest, expected_sha256=SHA)
    assert server.log[0].headers["if-range"] == lm


def test_unverified_part_without_validator_is_not_resumed(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    write_part(dest, url, BODY[:5000], etag=None, sha=None)
    result = download(client, settings, url, dest, expected_sha256=None, allow_unverified=True)
    assert not result.resumed and not result.verified
    assert "range" not in server.log[0].headers


def test_416_on_a_complete_part_verifies_it(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    write_part(dest, url, BODY)
    result = download(client, settings, url, dest, expected_sha256=SHA, expected_size=len(BODY))
    assert result.resumed and dest.read_bytes() == BODY
    assert leftovers(dest) == [NAME]


def test_part_longer_than_the_file_restarts(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(BODY, etag='"v1"'))
    write_part(dest, url, BODY + b"junk")
    result = download(client, settings, url, dest, expected_sha256=SHA)
    assert dest.read_bytes() == BODY and not result.resumed
    assert [r.headers.get("range") for r in server.log] == [f"bytes={len(BODY) + 4}-", None]


# -- errors ----------------------------------------------------------------------------------


def test_size_mismatch_from_content_length(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    reports: list[Progress] = []
    with pytest.raises(ChecksumMismatch) as info:
        download(
            client,
            settings,
            url,
            dest,
            expected_sha256=SHA,
            expected_size=len(BODY) + 1,
            progress=reports.append,
        )
    assert str(len(BODY) + 1) in str(info.value) and str(len(BODY)) in str(info.value)
    assert all(p.done == 0 for p in reports)  # refused from the headers, body never read
    assert leftovers(dest) == []


def test_other_4xx_is_a_hard_error_and_removes_the_part(server, settings, client, dest):
    url = server.add("/a.tar.gz", Route(b"no", status=401))
    write_part(dest, url, BODY[:1000])
    with pytest.raises(DownloadError, match="HTTP 401"):
        download(client, settings, url, dest, expected_sha256=SHA)
    assert len(server.log) == 1 and leftovers(dest) == []


def test_404_is_not_found_subclass(server, settings, client, dest):
    with pytest.raises(DownloadNotFound, match="refresh the catalog"):
        download(client, settings, server.url("/missing"), dest, expected_sha256=SHA)


def test_non_http_url_refused(settings, client, dest):
    with pytest.raises(DownloadError, match="only http"):
        download(client, settings, "file:///etc/passwd", dest, expected_sha256=SHA)


def test_connection_refused_fails_at_once_with_one_line(settings, client, dest):
    """Nothing listens there: retrying cannot help (a dead mirror cost 8 s before)."""
    sleeps: list[float] = []
    settings.sleep = sleeps.append
    settings.limits.download_retries = 4
    with pytest.raises(DownloadError) as info:
        download(client, settings, "http://127.0.0.1:9/a.tar.gz", dest, expected_sha256=SHA)
    msg = str(info.value)
    assert "cannot reach 127.0.0.1:9" in msg and "refused" in msg and "\n" not in msg
    assert "attempts" not in msg and sleeps == []


def test_a_dropped_connection_is_still_retried(server, settings, client, dest):
    """Resets, short bodies and 5xx are what retries are for."""
    sleeps: list[float] = []
    settings.sleep = sleeps.append
    server.add("/a", Route(BODY, drop_after=1000, honour_range=False))
    settings.limits.download_retries = 2
    with pytest.raises(DownloadError, match="after 3 attempts"):
        download(client, settings, server.url("/a"), dest, expected_sha256=SHA)
    assert len(sleeps) >= 2


def test_503_retry_after_is_honoured(server, settings, client, dest):
    sleeps: list[float] = []
    settings.sleep = sleeps.append
    calls = iter([Route(b"", status=503, headers={"Retry-After": "3"})])
    server.add("/a.tar.gz", lambda req: next(calls, Route(BODY)))
    result = download(client, settings, server.url("/a.tar.gz"), dest, expected_sha256=SHA)
    assert result.attempts == 2 and sum(sleeps) == pytest.approx(3.0)


def test_huge_retry_after_is_a_rate_limit_error(server, settings, client, dest):
    sleeps: list[float] = []
    settings.sleep = sleeps.append
    url = server.add("/a.tar.gz", Route(b"", status=429, headers={"Retry-After": "3600"}))
    with pytest.raises(DownloadRateLimited, match="3600s"):
        download(client, settings, url, dest, expected_sha256=SHA)
    assert sleeps == [] and len(server.log) == 1


def test_rate_limit_error_is_both_install_error_and_rate_limited():
    assert issubclass(DownloadRateLimited, InstallError)
    assert issubclass(DownloadRateLimited, RateLimited)


def test_retry_after_forms(settings):
    settings.clock = lambda: 1_700_000_000.0
    at = httpx.Response(429, headers={"Retry-After": "Tue, 14 Nov 2023 22:13:40 GMT"})
    assert _retry_after(at, settings) == pytest.approx(20.0)
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "7"}), settings) == 7.0
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "soon"}), settings) is None
    assert _retry_after(httpx.Response(429), settings) is None


def test_wait_slices_and_stops_on_cancel(settings):
    cancel = threading.Event()
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        if len(slept) == 3:
            cancel.set()

    settings.sleep = sleep
    with pytest.raises(Cancelled):
        _wait(settings, 100.0, cancel)
    assert len(slept) == 3 and max(slept) <= 0.25


def test_tls_problem_detection():
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
    cause.verify_message = "self-signed certificate"
    exc = httpx.ConnectError("boom")
    exc.__cause__ = cause
    assert _tls_problem(exc) == "certificate not trusted (self-signed certificate)"
    assert _tls_problem(httpx.ConnectError("[Errno 111] Connection refused")) is None


# -- redirects -------------------------------------------------------------------------------


def test_open_following_drops_authorization_across_origins(server, settings, client):
    with LoopbackServer() as other:
        other.add("/blob", BODY)
        server.add("/a", Route(redirect_to=other.url("/blob")))
        response, hops = open_following(
            client, server.url("/a"), {"Authorization": "Bearer secret"}
        )
        response.close()
        assert hops == 1
        assert server.log[0].headers["authorization"] == "Bearer secret"
        assert "authorization" not in other.log[0].headers


def test_open_following_drops_client_auth_across_origins(server, settings):
    with LoopbackServer() as other, make_client(settings, auth=("user", "pw")) as client:
        other.add("/blob", BODY)
        server.add("/a", Route(redirect_to=other.url("/blob")))
        response, _ = open_following(client, server.url("/a"))
        response.close()
        assert server.log[0].headers["authorization"].startswith("Basic ")
        assert "authorization" not in other.log[0].headers


def test_open_following_keeps_authorization_same_origin(server, client):
    server.add("/a", Route(redirect_to="/b", status=307))
    server.add("/b", BODY)
    response, hops = open_following(client, server.url("/a"), {"Authorization": "token x"})
    response.close()
    assert hops == 1 and server.log[1].headers["authorization"] == "token x"


def test_too_many_redirects(server, settings, client, dest):
    for i in range(15):
        server.add(f"/r{i}", Route(redirect_to=f"/r{i + 1}"))
    with pytest.raises(DownloadError, match="too many redirects"):
        download(client, settings, server.url("/r0"), dest, expected_sha256=SHA)
    assert len(server.log) == 11


def test_redirect_without_location(server, settings, client, dest):
    url = server.add("/a", Route(status=302))
    with pytest.raises(DownloadError, match="without a Location"):
        download(client, settings, url, dest, expected_sha256=SHA)


# -- progress --------------------------------------------------------------------------------


def test_progress_is_throttled_and_ends_with_verify(server, settings, client, dest):
    # ~0.5 s of 4 KiB chunks: hundreds of chunks, but only ~10 reports a second
    url = server.add("/a.tar.gz", Route(BODY, chunk=4096, rate=2 * 1024 * 1024))
    reports: list[Progress] = []
    started = time.monotonic()
    download(client, settings, url, dest, expected_sha256=SHA, progress=reports.append)
    took = time.monotonic() - started  # a loaded machine stretches it: the bound follows
    downloads = [p for p in reports if p.phase == "download"]
    # one report per PROGRESS_INTERVAL at most, plus the forced first and last ones
    assert 2 <= len(downloads) <= took / PROGRESS_INTERVAL + 3
    assert [p.done for p in downloads] == sorted(p.done for p in downloads)
    assert downloads[-1].done == downloads[-1].total == len(BODY)
    assert downloads[-1].rate and downloads[-1].rate > 0
    assert reports[-1].phase == "verify"


def test_cancel_before_start_leaves_nothing(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    write_part(dest, url, BODY[:1000])
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        download(client, settings, url, dest, expected_sha256=SHA, cancel=cancel)
    assert server.log == [] and leftovers(dest) == []


def test_write_error_is_one_line_install_error(server, settings, client, dest):
    url = server.add("/a.tar.gz", BODY)
    dest.parent.mkdir(parents=True)
    part_of(dest).mkdir()  # the part path is a directory: cannot be written
    sidecar_of(dest).write_text(json.dumps({"url": url, "sha256": SHA, "etag": '"x"'}))
    with pytest.raises(InstallError) as info:
        download(client, settings, url, dest, expected_sha256=SHA)
    assert "\n" not in str(info.value)


def test_hash_matches_hashlib(server, settings, client, dest):
    data = os.urandom(70_000)
    url = server.add("/r.bin", data)
    result = download(client, settings, url, dest, expected_sha256=hashlib.sha256(data).hexdigest())
    assert result.sha256 == hashlib.sha256(dest.read_bytes()).hexdigest()
