"""Streaming, resumable, verified download of one archive.

`download()` writes to ``<dest>.part`` (with a small ``<dest>.part.json`` sidecar holding the URL,
the validators for If-Range and the expected sha256), hashes the raw wire bytes (never decoded:
``Accept-Encoding: identity`` and ``iter_raw``), and renames to ``dest`` only once size and sha256
check out. Dropped connections, short bodies, read timeouts, 5xx and 429 are retried (bounded by
``settings.limits.download_retries``) and resume with ``Range``/``If-Range``; the whole file is
rehashed before a resume so the digest always covers every byte. Redirects are followed by hand:
http(s) only, never https -> http, loops detected, no Authorization across origins.

Every download is bounded: by the expected size when it is known (exactly), else by the
server's Content-Length checked against ``limits.max_download_bytes``, else by that cap itself;
each attempt by ``limits.download_deadline``. A ``file://`` mirror's file is copied with the
same checks (net.local: no link out of the mirror, regular files only).

Every failure is an `InstallError` (usually a `DownloadError`) with a one-line message.
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import json
import os
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import httpx

from ..catalog import jsonsafe
from ..feed import PartFeed
from ..fileops import hash_file
from ..progress import Cancelled, InstallError, Progress, ProgressCallback, check_cancel
from ..settings import Settings
from . import local
from .client import (
    NetError,
    RateLimited,
    current_deadline,
    deadline,
    header_int,
    open_following,
    rate_limit_message,
)

MAX_RETRY_AFTER = 300.0  # seconds; a server asking for longer gets a clear error instead
MAX_RESTARTS = 2  # full restarts forced by a lying server or a corrupt partial file
PROGRESS_INTERVAL = 0.1  # seconds between download progress reports
SLEEP_SLICE = 0.25  # cancel is checked at least this often while waiting
_SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
_CONTENT_RANGE_RE = re.compile(r"bytes\s+([0-9]{1,18})-([0-9]{1,18})/([0-9]{1,18}|\*)")
_UNSATISFIED_RE = re.compile(r"bytes\s+\*/([0-9]{1,18})")


class DownloadError(InstallError):
    """A download failed; str() is one line for the user."""


class DownloadNotFound(DownloadError):
    """The server says the archive does not exist (404/410): the catalog is stale."""


class ChecksumMismatch(DownloadError):
    """The downloaded bytes are not the ones the catalog promised (sha256 or size)."""


class DownloadRateLimited(DownloadError, RateLimited):
    """A rate-limit refusal (403 with x-ratelimit-remaining: 0, or too long a Retry-After)."""


class TooBig(DownloadError):
    """More bytes than a download of unknown size may have (limits.max_download_bytes)."""


@dataclass
class DownloadResult:
    """What `download` produced."""

    path: Path
    sha256: str
    size: int
    verified: bool  # False only when no checksum was known and the caller allowed that
    resumed: bool  # some bytes came from an earlier attempt or an earlier run
    attempts: int  # GET attempts made (redirect hops not counted); 0 if dest was already good


class _Retry(Exception):
    """A transient failure: retry (with resume) after `wait` seconds, or backoff if None."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class _Restart(Exception):
    """Throw the partial file away and start again from byte 0 (not a network failure)."""


class _Refetch(Exception):
    """Ask again from the canonical URL (a redirect target refused an expired signed link)."""


class _Keep(Exception):
    """Carries a DownloadError out of `run` while telling `download` to keep the part."""

    def __init__(self, error: DownloadError) -> None:
        super().__init__(str(error))
        self.error = error


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _host(url: str) -> str:
    parts = urlsplit(url)
    return parts.netloc or url


# -- the partial file and its sidecar -------------------------------------------------------


@dataclass
class _Part:
    """The ``.part`` file, its sidecar, and the running hash of what it holds."""

    path: Path
    sidecar: Path
    url: str
    expected_sha256: str | None
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    hasher: Any = None
    feed: PartFeed | None = None  # told what happens to the part, for a streaming reader

    def __post_init__(self) -> None:
        self.hasher = hashlib.sha256()

    @property
    def validator(self) -> str | None:
        """The If-Range value: a strong ETag, else Last-Modified (weak ETags are not allowed)."""
        if self.etag and not self.etag.startswith("W/"):
            return self.etag
        return self.last_modified

    def discard(self) -> None:
        """Delete the part and the sidecar; the next attempt starts from byte 0."""
        if self.feed is not None:
            self.feed.discarded()
        for path in (self.path, self.sidecar):
            with contextlib.suppress(OSError):  # best effort; a later open reports real trouble
                path.unlink()
        self.size = 0
        self.etag = self.last_modified = None
        self.hasher = hashlib.sha256()

    def load(self, cancel: threading.Event | None) -> None:
        """Adopt a part left by an earlier run if its sidecar matches; rehash it. Else drop it."""
        try:
            meta = jsonsafe.loads(self.sidecar.read_bytes())
            ok = (
                isinstance(meta, dict)
                and meta.get("url") == self.url
                and meta.get("sha256") == self.expected_sha256
                and self.path.is_file()
            )
        except (OSError, ValueError):
            ok = False
        # without a checksum and without a validator nothing could catch a mixed-up file
        if (
            ok
            and self.expected_sha256 is None
            and not (meta.get("etag") or meta.get("last_modified"))
        ):
            ok = False
        if not ok:
            self.discard()
            return
        self.etag, self.last_modified = meta.get("etag"), meta.get("last_modified")
        self.hasher = hashlib.sha256()
        _, self.size = hash_file(self.path, cancel, hasher=self.hasher)
        if self.feed is not None:
            self.feed.started(self.path, self.size)

    def wrote(self, fh: Any, chunk: bytes) -> None:
        """Account for `chunk`, just written to the part through `fh`."""
        self.hasher.update(chunk)
        self.size += len(chunk)
        if self.feed is not None:
            fh.flush()  # the reader reads the file, not our buffer
            self.feed.grew(self.size)

    def save_sidecar(self) -> None:
        meta = {
            "url": self.url,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "sha256": self.expected_sha256,
        }
        tmp = self.sidecar.with_name(self.sidecar.name + ".tmp")
        tmp.write_text(json.dumps(meta), "utf-8")
        os.replace(tmp, self.sidecar)


# -- helpers for answers ----------------------------------------------------------------------


def _retry_after(response: httpx.Response, settings: Settings) -> float | None:
    """Seconds asked for by Retry-After (delta or HTTP date), or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    value = value.strip()
    seconds = header_int(value)
    if seconds is not None:
        return float(seconds)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - settings.clock())


def _tls_problem(exc: BaseException) -> str | None:
    """A one-line description if `exc` was caused by a TLS handshake failure, else None."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            reason = getattr(cur, "verify_message", None) or "verification failed"
            return f"certificate not trusted ({reason})"
        if isinstance(cur, ssl.SSLError):
            return f"TLS handshake failed ({cur.reason or cur})"
        cur = cur.__cause__ or cur.__context__
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return "certificate not trusted"
    return None


def _unreachable(exc: BaseException) -> str | None:
    """'connection refused' or 'no such host' when that is what `exc` comes from, else None.
    Timeouts, resets and 5xx are worth a retry; these are not."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, socket.gaierror):
            return "no such host"
        cur = cur.__cause__ or cur.__context__
    text = str(exc).lower()
    if "connection refused" in text:
        return "connection refused"
    if "name or service not known" in text or "nodename nor servname" in text:
        return "no such host"
    return None


def _describe(exc: httpx.HTTPError, url: str, have: int, total: int | None) -> str:
    host = _host(url)
    limit = current_deadline()
    if isinstance(exc, httpx.TimeoutException) and limit is not None and limit.expired:
        return f"{host} did not send it all within {limit.seconds:g} s ({have} bytes so far)"
    if isinstance(exc, httpx.ConnectTimeout):
        return f"timed out connecting to {host}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out reading from {host} after {have} bytes"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot reach {host} ({_one_line(str(exc)) or type(exc).__name__})"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        of = f" of {total}" if total is not None else ""
        return f"connection to {host} dropped after {have}{of} bytes"
    return f"network error talking to {host} ({_one_line(str(exc)) or type(exc).__name__})"


class _Reporter:
    """Throttled download progress (~10/s, plus forced reports)."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.start = time.monotonic()
        self.last = 0.0
        self.fresh = 0  # bytes received in this call (for the rate)

    def report(
        self, done: int, total: int | None, *, force: bool = False, message: str = ""
    ) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        elapsed = now - self.start
        rate = self.fresh / elapsed if elapsed > 0 and self.fresh else None
        self.callback(Progress("download", done, total, rate, message))


def _wait(settings: Settings, seconds: float, cancel: threading.Event | None) -> None:
    """Sleep through settings.sleep in small slices, so a cancel stops the wait quickly."""
    remaining = seconds
    while remaining > 0:
        check_cancel(cancel)
        step = min(SLEEP_SLICE, remaining)
        settings.sleep(step)
        remaining -= step
    check_cancel(cancel)


# -- the download ---------------------------------------------------------------------------


def download(
    client: httpx.Client,
    settings: Settings,
    url: str,
    dest: Path,
    *,
    expected_sha256: str | None,
    expected_size: int | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    canonical_url: str | None = None,
    allow_unverified: bool = False,
    feed: PartFeed | None = None,
) -> DownloadResult:
    """Download `url` to `dest`, resuming a partial file and verifying size and sha256.

    `canonical_url` is re-requested once if a redirect target answers 403 (an expired signed
    URL). Without `expected_sha256` the download is refused unless `allow_unverified`.
    `feed`, if given, is told of every byte that reaches the part (see `feed.PartFeed`), so
    another thread can read the archive while it arrives.
    Raises `Cancelled` if `cancel` is set, `DownloadError` (an `InstallError`) otherwise.
    """
    dest = Path(dest)
    name = dest.name
    if expected_sha256 is None:
        if not allow_unverified:
            raise DownloadError(
                f"no checksum is known for {name}; refusing to install it "
                "unverified (use --allow-unverified to override)"
            )
        expected = None
    else:
        if not _SHA256_RE.fullmatch(expected_sha256):
            raise DownloadError(f"invalid expected sha256 for {name}: {expected_sha256!r}")
        expected = expected_sha256.lower()

    part = _Part(dest.with_name(name + ".part"), dest.with_name(name + ".part.json"), url, expected)
    part.feed = feed
    try:
        check_cancel(cancel)
        if expected is not None and dest.is_file():
            digest, size = hash_file(dest, cancel)
            if digest == expected and (expected_size is None or size == expected_size):
                if feed is not None:
                    feed.started(dest, size)
                    feed.finished(lambda: None, dest, size)
                return DownloadResult(dest, digest, size, True, False, 0)
            dest.unlink()  # a stale or corrupt copy: never left looking valid
        folder = local.is_file_url(url)
        if settings.offline and not folder:
            raise _Keep(DownloadError(f"offline: cannot download {name}"))
        dest.parent.mkdir(parents=True, exist_ok=True)
        if folder:
            return _copy_from_mirror(
                settings, url, dest, part, expected, expected_size, progress, cancel
            )
        part.load(cancel)
        return _Downloader(
            client,
            settings,
            url,
            dest,
            part,
            expected,
            expected_size,
            progress,
            cancel,
            canonical_url,
        ).run()
    except Cancelled:
        part.discard()
        raise
    except _Keep as kept:  # a transient failure: the part stays so a rerun resumes
        raise kept.error from None
    except InstallError:
        part.discard()
        raise
    except OSError as exc:
        part.discard()
        raise DownloadError(
            f"cannot write {part.path}: {_one_line(exc.strerror or str(exc))}"
        ) from None
    except httpx.HTTPError as exc:  # defensive: every known path converts these already
        part.discard()
        raise DownloadError(f"download of {name} failed: {_one_line(str(exc))}") from None


def _copy_from_mirror(
    settings: Settings,
    url: str,
    dest: Path,
    part: _Part,
    expected: str | None,
    expected_size: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> DownloadResult:
    """A file:// mirror's file copied to the part (hashed on the way, from one open
    descriptor), then checked and published like a download."""
    name = dest.name
    try:
        fd, size = local.open_file(settings, url)
    except NetError as exc:
        raise DownloadError(str(exc)) from None
    reporter = _Reporter(progress)
    part.discard()
    try:
        if expected_size is not None and size != expected_size:
            raise ChecksumMismatch(
                f"size mismatch for {name}: expected {expected_size} bytes, "
                f"the mirror's file has {size}"
            )
        cap = expected_size if expected_size is not None else settings.limits.max_download_bytes
        with os.fdopen(os.dup(fd), "rb") as src, part.path.open("wb") as out:
            if part.feed is not None:
                part.feed.started(part.path, 0)
            while chunk := src.read(1 << 20):
                check_cancel(cancel)
                if part.size + len(chunk) > cap:
                    raise _too_big(name, "the mirror's file", cap, expected_size)
                out.write(chunk)
                part.wrote(out, chunk)
                reporter.fresh += len(chunk)
                reporter.report(part.size, size)
    finally:
        os.close(fd)
    reporter.report(part.size, size, force=True)
    if progress is not None:
        progress(Progress("verify", part.size, size))
    return _publish(part, dest, expected, expected_size, resumed=False, attempts=1)


def _too_big(name: str, where: str, cap: int, expected_size: int | None) -> DownloadError:
    """The error for a body past its bound: the known size, else the cap."""
    if expected_size is not None:
        return ChecksumMismatch(
            f"size mismatch for {name}: {where} sent more than {expected_size} bytes"
        )
    return TooBig(
        f"download of {name} stopped: {where} sent more than {cap} bytes, the most a "
        "download of unknown size may have"
    )


def _publish(
    part: _Part,
    dest: Path,
    expected: str | None,
    expected_size: int | None,
    *,
    resumed: bool,
    attempts: int,
) -> DownloadResult:
    """Check the part's size and sha256, then rename it to `dest` (one step)."""
    name = dest.name
    digest = part.hasher.hexdigest()
    if expected_size is not None and part.size != expected_size:
        raise ChecksumMismatch(
            f"size mismatch for {name}: expected {expected_size} bytes, got {part.size}"
        )
    if expected is not None and digest != expected:
        raise ChecksumMismatch(
            f"sha256 mismatch for {name}: expected {expected}, "
            f"got {digest}; the download was deleted"
        )
    with part.path.open("rb+") as fh:
        os.fsync(fh.fileno())
    if part.feed is not None:  # a reader following the part learns of the rename atomically
        part.feed.finished(lambda: os.replace(part.path, dest), dest, part.size)
    else:
        os.replace(part.path, dest)
    with contextlib.suppress(FileNotFoundError):
        part.sidecar.unlink()
    return DownloadResult(dest, digest, part.size, expected is not None, resumed, attempts)


class _Downloader:
    """The retry loop of one `download` call."""

    def __init__(
        self,
        client: httpx.Client,
        settings: Settings,
        url: str,
        dest: Path,
        part: _Part,
        expected: str | None,
        expected_size: int | None,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
        canonical_url: str | None,
    ) -> None:
        self.client, self.settings, self.url, self.dest = client, settings, url, dest
        self.part, self.expected, self.expected_size = part, expected, expected_size
        self.progress, self.cancel = progress, cancel
        self.canonical_url = canonical_url
        self.reporter = _Reporter(progress)
        self.total: int | None = expected_size
        self.attempts = 0
        self.failures = 0
        self.restarts = 0
        self.resumed = False
        self.refetched = False  # the one re-request after an expired signed URL was used

    # -- loop ------------------------------------------------------------------------------
    def run(self) -> DownloadResult:
        request_url = self.url
        while True:
            check_cancel(self.cancel)
            self.attempts += 1
            try:
                self._attempt(request_url)
                return self._finish()
            except _Restart:
                self.restarts += 1
                self.part.discard()
                if self.restarts > MAX_RESTARTS:
                    raise DownloadError(
                        f"{_host(self.url)} keeps sending inconsistent data "
                        f"for {self.dest.name}; try again later"
                    ) from None
                continue
            except _Refetch:
                request_url = self.canonical_url or self.url
                continue
            except _Retry as retry:
                self.failures += 1
                limit = self.settings.limits.download_retries
                if self.failures > limit:
                    resume = "; run again to resume" if self.part.size else ""
                    raise _Keep(
                        DownloadError(
                            f"download of {self.dest.name} failed after {self.attempts} attempts: "
                            f"{retry.reason}{resume}"
                        )
                    ) from None
                wait = retry.wait
                if wait is None:
                    wait = min(0.5 * 2 ** (self.failures - 1), 10.0)
                self.reporter.report(
                    self.part.size,
                    self.total,
                    force=True,
                    message=f"{retry.reason}; retry {self.failures}/{limit} in {wait:g}s",
                )
                _wait(self.settings, wait, self.cancel)

    # -- one GET ---------------------------------------------------------------------------
    def _attempt(self, request_url: str) -> None:
        """One GET (redirects included); returns when the part holds the whole body."""
        part = self.part
        headers = {"Accept-Encoding": "identity"}
        offset = part.size
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if part.validator:
                headers["If-Range"] = part.validator
        with deadline(self.settings.limits.download_deadline, self.cancel):
            try:
                response, hops = open_following(self.client, request_url, headers)
            except httpx.HTTPError as exc:
                self._raise_transport(exc, request_url)
            except NetError as exc:  # refused redirects, loops: not worth a retry
                raise DownloadError(str(exc)) from None
            try:  # httpx.Response is not a context manager
                start = self._accept(response, hops, offset)
                if start is None:
                    return  # 416 on a part that already holds the whole file
                try:
                    self._stream(response, start)
                except httpx.HTTPError as exc:
                    self._raise_transport(exc, str(response.url))
            finally:
                response.close()

    def _raise_transport(self, exc: httpx.HTTPError, url: str) -> NoReturn:
        tls = _tls_problem(exc) if isinstance(exc, httpx.ConnectError) else None
        if tls:
            raise DownloadError(
                f"TLS error talking to {_host(url)}: {tls}; if you use a "
                "private CA, point SSL_CERT_FILE at its bundle"
            ) from None
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
            raise DownloadError(f"cannot download {url}: {_one_line(str(exc))}") from None
        unreachable = _unreachable(exc) if isinstance(exc, httpx.ConnectError) else None
        if unreachable:  # nobody listens there, or no such host: a retry cannot help
            raise _Keep(DownloadError(f"cannot reach {_host(url)} ({unreachable})")) from None
        raise _Retry(_describe(exc, url, self.part.size, self.total)) from None

    def _accept(self, response: httpx.Response, hops: int, offset: int) -> int | None:
        """Check the status; return the byte offset the body starts at (None: already done)."""
        status = response.status_code
        url = str(response.url)
        name = self.dest.name
        if status == 200:  # also the answer when Range was ignored or If-Range failed:
            # _stream then starts the part over from byte 0
            length = header_int(response.headers.get("content-length"))
            if length is not None:
                self._set_total(length)
            return 0
        if status == 206:
            m = _CONTENT_RANGE_RE.fullmatch(response.headers.get("content-range", "").strip())
            if not m or int(m.group(1)) != offset:
                raise _Restart()
            if m.group(3) != "*":
                self._set_total(int(m.group(3)))
            if offset:
                self.resumed = True
            return offset
        if status == 416 and offset:
            m = _UNSATISFIED_RE.fullmatch(response.headers.get("content-range", "").strip())
            whole = int(m.group(1)) if m else self.expected_size
            if whole is not None and whole == offset:
                self.resumed = True
                return None
            raise _Restart()
        if status in (404, 410):
            raise DownloadNotFound(
                f"{name} is gone from {_host(url)} (HTTP {status}); "
                "refresh the catalog and try again"
            )
        if status == 429 or (
            status == 403
            and "retry-after" in response.headers
            and response.headers.get("x-ratelimit-remaining") != "0"
        ):
            wait = _retry_after(response, self.settings)
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise _Keep(
                    DownloadRateLimited(
                        f"{_host(url)} asks to wait {wait:.0f}s before downloading {name}; "
                        "try again later"
                    )
                )
            raise _Retry(f"{_host(url)} is rate limiting (HTTP {status})", wait)
        if status == 403:
            limited = rate_limit_message(response, self.settings)
            if limited:
                raise _Keep(DownloadRateLimited(f"download of {name} refused: {limited}"))
            again = bool(hops) or self.canonical_url not in (None, str(response.url))
            if again and not self.refetched:
                self.refetched = True
                raise _Refetch()
            if again:
                raise DownloadError(
                    f"download link for {name} refused by {_host(url)} "
                    "(HTTP 403) even after asking for a fresh one"
                )
            raise DownloadError(f"{_host(url)} refused {name} (HTTP 403)")
        if status >= 500:
            wait = _retry_after(response, self.settings)
            raise _Retry(
                f"{_host(url)} answered HTTP {status}", None if wait is None else min(wait, 60.0)
            )
        raise DownloadError(f"{_host(url)} answered HTTP {status} for {name}")

    def _adopt_validators(self, response: httpx.Response) -> None:
        self.part.etag = response.headers.get("etag")
        self.part.last_modified = response.headers.get("last-modified")

    def _set_total(self, total: int) -> None:
        """The size the server announces: the expected one exactly, else within the cap."""
        if self.expected_size is not None and total != self.expected_size:
            raise ChecksumMismatch(
                f"size mismatch for {self.dest.name}: expected "
                f"{self.expected_size} bytes, server has {total}"
            )
        cap = self.settings.limits.max_download_bytes
        if self.expected_size is None and total > cap:
            raise TooBig(
                f"{_host(self.url)} announces {total} bytes for {self.dest.name}, more than "
                f"the {cap} bytes a download of unknown size may have"
            )
        self.total = total

    def _stream(self, response: httpx.Response, start: int) -> None:
        """Append the raw body to the part, hashing as it goes."""
        part = self.part
        if start == 0:
            part.discard()
            self._adopt_validators(response)
        part.save_sidecar()
        cap = self.settings.limits.max_download_bytes
        limit = self.total if self.total is not None else cap
        with part.path.open("ab" if start else "wb") as fh:
            if fh.tell() != start:  # the part changed under us
                raise _Restart()
            if start == 0 and part.feed is not None:
                part.feed.started(part.path, 0)
            self.reporter.report(part.size, self.total, force=True)
            for chunk in response.iter_raw():
                check_cancel(self.cancel)
                if part.size + len(chunk) > limit:
                    if self.expected_size is None and self.total is not None:
                        raise ChecksumMismatch(
                            f"size mismatch for {self.dest.name}: "
                            f"{_host(str(response.url))} sent more than the {limit} bytes "
                            "it announced"
                        )
                    raise _too_big(
                        self.dest.name, _host(str(response.url)), cap, self.expected_size
                    )
                fh.write(chunk)
                part.wrote(fh, chunk)
                self.reporter.fresh += len(chunk)
                self.reporter.report(part.size, self.total)
            check_cancel(self.cancel)
        if self.total is not None and part.size < self.total:
            raise _Retry(
                f"connection to {_host(str(response.url))} ended after {part.size} "
                f"of {self.total} bytes"
            )

    # -- verify and publish ----------------------------------------------------------------
    def _finish(self) -> DownloadResult:
        part = self.part
        self.reporter.report(part.size, self.total, force=True)
        if self.progress is not None:
            self.progress(Progress("verify", part.size, self.total))
        check_cancel(self.cancel)
        digest = part.hasher.hexdigest()
        size_ok = self.expected_size is None or part.size == self.expected_size
        wrong = size_ok and self.expected is not None and digest != self.expected
        if wrong and self.resumed and self.restarts < MAX_RESTARTS:
            # the kept part may be what is wrong: one clean download before giving up
            self.resumed = False
            raise _Restart()
        return _publish(
            part,
            self.dest,
            self.expected,
            self.expected_size,
            resumed=self.resumed,
            attempts=self.attempts,
        )
