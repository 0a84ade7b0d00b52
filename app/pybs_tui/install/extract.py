"""Stream a PBS archive (.tar.zst or .tar.gz) into a staging folder, refusing anything hostile.

Every member passes our own checks before a byte of it is written (names, link targets resolved
through the links seen so far, types, duplicates, caps), then tarfile's ``data`` filter (for
files and folders, its checks done with the real path of each parent folder computed once: see
`_Extractor._data_filter`), then a walk of the finished tree. Files are created with
O_EXCL|O_NOFOLLOW, so nothing is ever written through a link. Any failure or cancel removes the
staging folder; nothing outside it is touched.

Speed: a reader thread decompresses (zlib and zstd release the GIL; gzip is read with big
inputs, see `_GzipStream`); the main thread parses (tarfile in "r:" mode over a forward-only
view) and checks; the files and folders of members that passed every check are created by a few
writer threads (creating entries is the slow part on most file systems, and os.open/write/mkdir
release the GIL). Every thread is joined before `extract_archive` returns or raises, so nothing
is written after that.

Staging folders (see `install.root`) live beside the installs, so publishing is one rename.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import queue
import re
import stat
import struct
import tarfile
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import zstandard

from ..progress import InstallError, Progress, ProgressCallback, check_cancel
from ..settings import Settings
from ..units import shorten
from .receipts import RECEIPT_NAME
from .root import make_staging, remove_tree

TOP = "python"
FULL_SUBDIR = "install"
#: Where the rest of a full archive (PYTHON.json, build/, licenses/) goes inside the install.
FULL_EXTRAS = ".pbs-full"
MAX_PATH = 4096
MAX_COMPONENT = 255
MAX_LINK_HOPS = 40
#: Bytes tarfile may read between two members beyond their data (headers, pax records).
HEADER_BUDGET = 1 << 20
CHUNK = 1 << 20
#: Files up to this size are read whole and handed to a writer thread; bigger ones are
#: streamed by the main thread in CHUNK pieces.
WRITER_FILE_MAX = 4 << 20
#: Bytes read but not yet written that the writer threads may hold (bounds memory).
WRITER_BUDGET = 8 << 20
#: Writer threads at most: more than the CPUs only adds contention (the main thread and the
#: reader thread need CPU too), and creating entries in different folders scales to a few.
WRITER_THREADS = min(
    4,
    max(
        2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 2
    ),
)
#: Queued files per writer thread that make another one start (when several folders wait).
WRITER_BACKLOG = 16
#: Files of one folder a writer takes at a time.
WRITER_BATCH = 8
#: Compressed bytes given to zlib per call (see _GzipStream).
GZIP_INPUT = 1 << 20
#: Decompressed bytes per piece of the reader thread, and pieces it may hold ahead.
READ_PIECE = 2 << 20
READ_AHEAD = 2
PROGRESS_INTERVAL = 0.1
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"
_DRIVE = re.compile(r"^[A-Za-z]:")
#: What a path may grow by after extraction: the folding of a full archive's extras moves
#: python/X to python/install/.pbs-full/X. Paths stay under PATH_MAX, so the walks that
#: check the finished tree by path never meet one they cannot open.
_FOLD_GROWTH = len(f"/{FULL_SUBDIR}/{FULL_EXTRAS}/")


#: Longest message of a refusal: a member name may be 4 kB, the line for the user is not.
#: os.link failures after which a hard link is made as a copy (counted like any file).
_NO_LINK = {errno.EMLINK, errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP}


class ArchiveRefused(InstallError):
    """The archive holds something we will not extract; str() names the member and why
    (a long name is cut in its middle so the reason at the end stays)."""

    def __init__(self, message: str) -> None:
        super().__init__(shorten(message))


@dataclass
class ExtractResult:
    """A finished extraction: the staging folder and the interpreter tree inside it."""

    staging: Path  # the folder to remove once published (or on failure)
    root: Path  # the interpreter tree: staging/python or staging/python/install
    layout: str  # "install_only" or "full"
    executable: Path  # root/bin/python3 or root/python.exe
    members: int
    unpacked_bytes: int


# -- reading -------------------------------------------------------------------------------------


def _inflater() -> Any:
    """ISA-L's zlib interface (python-isal: inflate and crc32 in about half the CPU of zlib
    1.2's, same raw deflate, same checks), or the standard library's zlib where isal is not
    installed (a platform without its wheel)."""
    try:
        from isal import isal_zlib
    except ImportError:
        return zlib
    return isal_zlib


_inflate: Any = _inflater()
#: What inflating a corrupt deflate stream raises (zlib.error, or isal's IsalError).
_INFLATE_ERRORS: tuple[type[Exception], ...] = tuple({zlib.error, _inflate.error})

_GZIP_EOF = "Compressed file ended before the end-of-stream marker was reached"
_FHCRC, _FEXTRA, _FNAME, _FCOMMENT = 2, 4, 8, 16


class _GzipStream:
    """What gzip.GzipFile reads, for a stream read front to back in big pieces.

    GzipFile inflates 8 KiB of input per call; this gives the inflater up to GZIP_INPUT at a
    time (one GIL release per several milliseconds of work, which lets the reader thread run
    beside the parsing). Same checks and the same errors: header (BadGzipFile), CRC and length
    of each member (BadGzipFile), early end (EOFError), several members, zero padding between
    them. The inflater and the CRC are ISA-L's (python-isal) where it is installed, else zlib's:
    the same raw deflate with the same output bound per call, one of `_INFLATE_ERRORS` on a
    corrupt stream.
    """

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.buf = b""  # input read from fh, consumed up to pos
        self.pos = 0
        self.dec: Any = None  # this member's decompressor; None: a header comes next
        self.tail = b""  # input the decompressor left for its next call
        self.crc = 0
        self.size = 0
        self.ended = False

    def _fill(self) -> bool:
        if self.pos >= len(self.buf):
            self.buf, self.pos = self.fh.read(GZIP_INPUT), 0
        return self.pos < len(self.buf)

    def _bytes(self, n: int) -> bytes:
        """Up to `n` input bytes (fewer only at the end of the input)."""
        pieces = []
        while n > 0 and self._fill():
            piece = self.buf[self.pos : self.pos + n]
            self.pos += len(piece)
            n -= len(piece)
            pieces.append(piece)
        return b"".join(pieces)

    def _exact(self, n: int) -> bytes:
        data = self._bytes(n)
        if len(data) < n:
            raise EOFError(_GZIP_EOF)
        return data

    def _header(self) -> bool:
        """Read a member header (gzip._read_gzip_header); False at the end of the input."""
        magic = self._bytes(2)
        if magic == b"":
            return False
        if magic != _GZIP_MAGIC:
            raise gzip.BadGzipFile(f"Not a gzipped file ({magic!r})")
        method, flag, _mtime = struct.unpack("<BBIxx", self._exact(8))
        if method != 8:
            raise gzip.BadGzipFile("Unknown compression method")
        if flag & _FEXTRA:
            (extra,) = struct.unpack("<H", self._exact(2))
            self._exact(extra)
        for field in (_FNAME, _FCOMMENT):
            if flag & field:
                while True:
                    c = self._bytes(1)
                    if not c or c == b"\x00":
                        break
        if flag & _FHCRC:
            self._exact(2)
        return True

    def _end_member(self) -> None:
        """Check the trailer (gzip._GzipReader._read_eof), skip zero padding."""
        crc, isize = struct.unpack("<II", self._exact(8))
        if crc != self.crc:
            raise gzip.BadGzipFile(f"CRC check failed {hex(crc)} != {hex(self.crc)}")
        if isize != (self.size & 0xFFFFFFFF):
            raise gzip.BadGzipFile("Incorrect length of data produced")
        c = b"\x00"
        while c == b"\x00":
            c = self._bytes(1)
        if c:
            self.pos -= 1
        self.dec = None

    def read(self, size: int) -> bytes:
        """Up to `size` decompressed bytes; b"" at the end."""
        while not self.ended:
            if self.dec is None:
                if not self._header():
                    self.ended = True
                    break
                self.dec = _inflate.decompressobj(-zlib.MAX_WBITS)
                self.crc = self.size = 0
                self.tail = b""
            if self.dec.eof:
                self._end_member()
                continue
            if self.tail:
                data = self.tail
            else:
                self._fill()
                data = self.buf[self.pos :] if self.pos else self.buf
                self.buf, self.pos = b"", 0
            out = self.dec.decompress(data, size)
            self.tail = self.dec.unconsumed_tail
            if self.dec.eof:
                self.buf, self.pos = self.dec.unused_data, 0
            if out:
                self.crc = _inflate.crc32(out, self.crc)
                self.size += len(out)
                return out
            if not data:
                raise EOFError(_GZIP_EOF)
        return b""


class _Reader:
    """Decompresses ahead in a thread (zlib and zstd release the GIL), a few pieces at most.

    `read` returns the next piece (b"" at the end) or raises what the decompressor raised;
    `close` stops and joins the thread.

    Both formats hand over every byte decompressed before an error, and the error only when
    that is read (zstd's ``read1`` returns the end of a frame before it looks at what
    follows, as `_GzipStream.read` does at the end of a member): what follows the tar's end
    is never read by tarfile, so it is ignored alike for gzip and zstd, like uv does.
    """

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.read_piece = getattr(raw, "read1", raw.read)
        self.queue: queue.Queue[bytes | BaseException] = queue.Queue(READ_AHEAD)
        self.stop = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pybs-extract-reader", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                data = self.read_piece(READ_PIECE)
                self._put(data)
                if not data:
                    return
        except BaseException as exc:  # handed to the reading thread
            self._put(exc)
        finally:
            self.done.set()

    def _put(self, item: bytes | BaseException) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def read(self, _size: int = -1) -> bytes:
        item = self.queue.get()
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        self.stop.set()
        wait_for_threads([self.done])


def wait_for_threads(done: list[threading.Event]) -> None:
    """Wait until every thread has set its `done` event, whatever interrupts the wait.

    Thread.join interrupted by KeyboardInterrupt (a signal handler raising in the main thread)
    marks a live thread stopped on Python 3.11 and 3.12, after which join returns at once; an
    Event wait has no such flaw. A KeyboardInterrupt arriving meanwhile is raised once the
    threads have ended, so their cleanup is never cut short.
    """
    interrupted: BaseException | None = None
    for event in done:
        while not event.is_set():
            try:
                event.wait(0.5)
            except KeyboardInterrupt as exc:
                interrupted = exc
    if interrupted is not None:
        raise interrupted


class _Guard:
    """A read-only, forward-only view of the decompressed tar stream that caps what tarfile
    may read (tarfile reads it in "r:" mode: only read, tell and forward seeks are used).

    `window_limit` bounds the bytes read since `open_window` (one member's data plus a header
    budget), so a pax header claiming gigabytes is refused instead of buffered; `total_limit`
    bounds the whole stream.
    """

    def __init__(self, raw: _Reader, total_limit: int) -> None:
        self.raw = raw
        self.buf = b""
        self.pos = 0
        self.eof = False
        self.total = 0
        self.total_limit = total_limit
        self.window = 0
        self.window_limit = HEADER_BUDGET

    def open_window(self, data_bytes: int = 0) -> None:
        self.window = 0
        self.window_limit = data_bytes + HEADER_BUDGET

    def _fill(self) -> bool:
        """The next decompressed chunk into `buf`; False at the end of the stream."""
        if self.eof:
            return False
        try:
            data = self.raw.read(CHUNK)
        except zstandard.ZstdError as exc:
            raise _decompress_error(exc) from None
        except (OSError, EOFError) as exc:
            raise ArchiveRefused(f"the archive is corrupt: {_one_line(exc)}") from None
        except _INFLATE_ERRORS as exc:
            raise ArchiveRefused(f"the archive is corrupt: {_one_line(exc)}") from None
        if not data:
            self.eof = True
            return False
        self.buf, self.pos = data, 0
        return True

    def tell(self) -> int:
        return self.total

    def _count(self, n: int) -> None:
        self.total += n
        self.window += n
        if self.window > self.window_limit:
            raise ArchiveRefused(
                "refused archive: a tar header carries more than "
                f"{HEADER_BUDGET // 1024} KiB of metadata"
            )
        if self.total > self.total_limit:
            raise ArchiveRefused(
                f"refused archive: it unpacks to more than {_size(self.total_limit)} (limit)"
            )

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence != 0 or offset < self.total:
            raise tarfile.StreamError("seeking backwards is not allowed")
        skip = offset - self.total
        while skip > 0 and (self.pos < len(self.buf) or self._fill()):
            take = min(skip, len(self.buf) - self.pos)
            self._count(take)
            self.pos += take
            skip -= take
        return self.total

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK
        pos = self.pos
        if pos + size <= len(self.buf):  # most reads: within the current chunk
            self._count(size)
            self.pos = pos + size
            return self.buf[pos : pos + size]
        pieces = []
        while size > 0:
            if self.pos >= len(self.buf) and not self._fill():
                break
            take = min(size, len(self.buf) - self.pos)
            self._count(take)
            if take == len(self.buf):
                pieces.append(self.buf)
            else:
                pieces.append(self.buf[self.pos : self.pos + take])
            self.pos += take
            size -= take
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _decompress_error(exc: zstandard.ZstdError) -> ArchiveRefused:
    text = _one_line(exc)
    if "memory" in text.lower() or "window" in text.lower():
        return ArchiveRefused(
            "refused archive: its zstd frame needs a decompression window "
            "larger than the 128 MiB limit"
        )
    return ArchiveRefused(f"the archive is corrupt: {text}")


def _open_stream(fh: BinaryIO, settings: Settings, archive: Path) -> BinaryIO:
    magic = fh.read(4)
    fh.seek(0)
    if magic.startswith(_ZSTD_MAGIC):
        dctx = zstandard.ZstdDecompressor(max_window_size=settings.limits.max_zstd_window)
        return dctx.stream_reader(fh, read_size=CHUNK, read_across_frames=True)
    if magic.startswith(_GZIP_MAGIC):
        return _GzipStream(fh)  # type: ignore[return-value]
    raise ArchiveRefused(f"{archive.name} is neither a zstd nor a gzip archive")


# -- member checks -------------------------------------------------------------------------------


def check_name(name: str) -> tuple[str, ...]:
    """The normalised parts of a member name; ArchiveRefused for anything odd or escaping."""
    shown = repr(name[:80] + ("..." if len(name) > 80 else ""))
    if not name:
        raise ArchiveRefused("refused member with an empty name")
    if "\x00" in name:
        raise ArchiveRefused(f"refused member {shown}: NUL in its name")
    if "\\" in name:
        raise ArchiveRefused(f"refused member {shown}: backslash in its name")
    if name.startswith("/"):
        raise ArchiveRefused(f"refused member {shown}: absolute path")
    if _DRIVE.match(name):
        raise ArchiveRefused(f"refused member {shown}: drive letter in its name")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_PATH:
        raise ArchiveRefused(f"refused member {shown}: path longer than {MAX_PATH} bytes")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if not parts:
        raise ArchiveRefused(f"refused member {shown}: empty name")
    for part in parts:
        if part == "..":
            raise ArchiveRefused(f"refused member {shown}: '..' in its path")
        if len(part.encode("utf-8", "surrogateescape")) > MAX_COMPONENT:
            raise ArchiveRefused(
                f"refused member {shown}: a path component longer than {MAX_COMPONENT} bytes"
            )
    return parts


def _check_link_target(shown: str, target: str) -> None:
    if not target:
        raise ArchiveRefused(f"refused link {shown}: empty target")
    if "\x00" in target or "\\" in target:
        raise ArchiveRefused(f"refused link {shown}: odd characters in its target")
    if target.startswith("/") or _DRIVE.match(target):
        raise ArchiveRefused(f"refused link {shown}: absolute target {target!r}")
    if len(target.encode("utf-8", "surrogateescape")) > MAX_PATH:
        raise ArchiveRefused(f"refused link {shown}: target longer than {MAX_PATH} bytes")


class _Tree:
    """What has been extracted so far, as the archive described it."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, ...]] = set()
        self.dirs: set[tuple[str, ...]] = set()
        #: regular files (hardlink targets) and their sizes
        self.files: dict[tuple[str, ...], int] = {}
        self.links: dict[tuple[str, ...], str] = {}  # symlink -> target
        self.used_as_dir: set[tuple[str, ...]] = set()  # paths something was put below

    def confinement(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        """The subtree a link at `parts` must stay in: python/install/ for full, else python/."""
        if len(parts) > 2 and parts[1] == FULL_SUBDIR:
            return parts[:2]
        return parts[:1]

    def resolve(self, link: tuple[str, ...], target: str) -> tuple[str, ...]:
        """Where a symlink at `link` points, following the links seen so far like the kernel."""
        shown = "/".join(link)
        jail = self.confinement(link)
        cur = list(link[:-1])
        queue = deque(target.split("/"))
        hops = 0
        while queue:
            part = queue.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if len(cur) <= len(jail):
                    raise ArchiveRefused(
                        f"refused link {shown!r} -> {target!r}: it points outside {'/'.join(jail)}/"
                    )
                cur.pop()
                continue
            cur.append(part)
            key = tuple(cur)
            if key in self.links:
                hops += 1
                if hops > MAX_LINK_HOPS:
                    raise ArchiveRefused(f"refused link {shown!r}: symlink loop")
                cur.pop()
                queue.extendleft(reversed(self.links[key].split("/")))
            elif any(p not in ("", ".") for p in queue):
                if key in self.files:
                    raise ArchiveRefused(
                        f"refused link {shown!r} -> {target!r}: it goes through a file"
                    )
                self.used_as_dir.add(key)
        return tuple(cur)


# -- extraction ----------------------------------------------------------------------------------


class _Reporter:
    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.last = 0.0

    def report(self, done: int, *, force: bool = False, message: str = "") -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            self.callback(Progress("extract", done, None, None, message))


def _write_chunk(fd: int, data: bytes) -> None:
    """Write all of `data` to `fd` (one place to fail, e.g. ENOSPC)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


_CREATE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)
_FCHMOD = hasattr(os, "fchmod")
_UTIME_FD = os.utime in os.supports_fd


def _process_umask() -> int | None:
    """The umask, read without changing it (os.umask would race other threads); None if
    this system does not tell (then every file gets an fchmod)."""
    try:
        with open("/proc/self/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


class _NewFile:
    """A file being created at `path`: never an existing one, never through a link.

    It ends up with `mode` (as tarfile's data filter left it, owner read/write added) whatever
    the umask, and with `mtime`. When the umask would not change that mode the file is
    created with it, saving an fchmod per file; otherwise it is created 0600 and fchmod'ed.
    """

    __slots__ = ("chmod", "fd", "mode", "mtime")

    def __init__(self, path: str, mode: int, mtime: float | None, umask: int | None) -> None:
        self.mode = (mode & 0o755) | 0o600
        self.mtime = mtime
        self.chmod = _FCHMOD and (umask is None or bool(self.mode & umask))
        self.fd = os.open(path, _CREATE_FLAGS, 0o600 if self.chmod or not _FCHMOD else self.mode)

    def finish(self) -> None:
        """Set the mode and mtime (after the data is written)."""
        if self.chmod:
            os.fchmod(self.fd, self.mode)
        if _UTIME_FD and self.mtime is not None:
            with contextlib.suppress(OSError, OverflowError, ValueError):
                os.utime(self.fd, (self.mtime, self.mtime))

    def close(self) -> None:
        os.close(self.fd)


def _create_file(
    path: str,
    data: bytes,
    mode: int,
    mtime: float | None,
    umask: int | None,
    cancel: threading.Event | None,
) -> None:
    """Create `path` holding `data` (the job of a writer thread)."""
    check_cancel(cancel)
    new = _NewFile(path, mode, mtime, umask)
    try:
        if data:
            _write_chunk(new.fd, data)
        new.finish()
    finally:
        new.close()


def _make_folder(path: str, refusal: str) -> None:
    """A real folder at `path`: made now, or one already there (never a link)."""
    try:
        os.mkdir(path)
    except FileExistsError:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            raise ArchiveRefused(refusal) from None


#: A writer's job: (path, data, mode, mtime) creates a file; (path, None, 0, refusal) a folder.
_Job = tuple[str, "bytes | None", int, "float | str | None"]


class _Writers:
    """A few threads that create the files and folders whose members passed every check.

    Jobs are queued by the folder they create an entry in; a folder's jobs run once the
    folder exists (its own creation is a job in its parent's queue), in any order otherwise,
    but never two folders' worth at once by two writers in the same folder: creating an entry
    locks its folder, so writers working in one folder would only wait for each other
    (spinning, on Linux). Writers start one at a time, when jobs wait in more folders than
    there are writers. The bytes held by queued jobs are bounded by `budget`. The first
    failure (ENOSPC, a refusal, Cancelled, ...) stops the writers and is raised in the main
    thread by the next `submit`, `wait_for` or `drain`; `close` discards what is queued and
    joins every thread.
    """

    def __init__(
        self, root: str, threads: int, budget: int, cancel: threading.Event | None
    ) -> None:
        self.cond = threading.Condition()
        #: queued jobs by folder, folders in the order they were first queued
        self.queued: dict[str, deque[_Job]] = {}
        self.ready: set[str] = {root}  # folders that exist
        self.busy: set[str] = set()  # folders a writer is working in
        self.pending = 0  # jobs queued or running
        self.held = 0  # bytes of those jobs
        self.budget = budget
        self.error: BaseException | None = None
        self.closing = False
        self.cancel = cancel
        self.umask = _process_umask()
        self.wanted = threads
        self.threads: list[threading.Thread] = []
        self.done: list[threading.Event] = []  # set by each thread as it ends

    def _check(self) -> None:
        """Raise the first writer failure, or Cancelled (called with `cond` held)."""
        if self.error is not None:
            raise self.error
        check_cancel(self.cancel)

    def _drop(self) -> None:
        """Forget the queued jobs (called with `cond` held)."""
        for jobs in self.queued.values():
            for job in jobs:
                self.held -= len(job[1] or b"")
            self.pending -= len(jobs)
        self.queued.clear()

    def _queue(self, folder: str, job: _Job, size: int) -> None:
        with self.cond:
            while self.held and self.held + size > self.budget:
                self._check()
                self.cond.wait(0.1)
            self._check()
            jobs = self.queued.get(folder)
            if jobs is None:
                jobs = self.queued[folder] = deque()
            jobs.append(job)
            self.pending += 1
            self.held += size
            self.cond.notify()
            started = len(self.threads)
            more = started < self.wanted and (
                not started
                or (self.pending > WRITER_BACKLOG * started and len(self.queued) > started)
            )
        if more:
            done = threading.Event()
            thread = threading.Thread(
                target=self._work, args=(done,), name="pybs-extract-writer", daemon=True
            )
            thread.start()
            self.threads.append(thread)
            self.done.append(done)

    def submit(self, folder: str, path: str, data: bytes, mode: int, mtime: float | None) -> None:
        """Queue the creation of the file `path` (in `folder`) holding `data`; waits while
        the budget is spent."""
        self._queue(folder, (path, data, mode, mtime), len(data))

    def make_folder(self, folder: str, path: str, refusal: str) -> None:
        """Queue the creation of the folder `path` (in `folder`); ArchiveRefused(`refusal`)
        if something else is there."""
        self._queue(folder, (path, None, 0, refusal), 0)

    def wait_for(self, folder: str) -> None:
        """Wait until `folder` exists (for what the main thread creates itself)."""
        with self.cond:
            while folder not in self.ready:
                self._check()
                self.cond.wait(0.1)
            self._check()

    def drain(self) -> None:
        """Wait until every queued job is done; raise the first failure."""
        with self.cond:
            while self.pending:
                self._check()
                self.cond.wait(0.1)
            self._check()

    def close(self) -> None:
        """Drop what is still queued and join the threads: nothing is written afterwards."""
        with self.cond:
            self.closing = True
            self._drop()
            self.cond.notify_all()
        wait_for_threads(self.done)

    def _take(self) -> tuple[str, list[_Job]] | None:
        """Up to WRITER_BATCH jobs of an existing folder no writer is in (`cond` held)."""
        for folder, jobs in self.queued.items():
            if folder not in self.busy and folder in self.ready:
                batch = [jobs.popleft() for _ in range(min(len(jobs), WRITER_BATCH))]
                if not jobs:
                    del self.queued[folder]
                self.busy.add(folder)
                return folder, batch
        return None

    def _work(self, done: threading.Event) -> None:
        try:
            self._work_until_closed()
        finally:
            done.set()

    def _work_until_closed(self) -> None:
        cond = self.cond
        while True:
            with cond:
                while (taken := self._take()) is None:
                    if self.closing:
                        return
                    cond.wait()
            folder, batch = taken
            error = None
            made: list[str] = []
            try:
                for path, data, mode, extra in batch:
                    if data is None:
                        check_cancel(self.cancel)
                        _make_folder(path, extra)  # type: ignore[arg-type]
                        made.append(path)
                    else:
                        _create_file(
                            path,
                            data,
                            mode,
                            extra,  # type: ignore[arg-type]
                            self.umask,
                            self.cancel,
                        )
            except BaseException as exc:  # handed to the main thread
                error = exc
            with cond:
                self.busy.discard(folder)
                self.ready.update(made)
                self.pending -= len(batch)
                self.held -= sum(len(job[1] or b"") for job in batch)
                if error is not None and self.error is None:
                    self.error = error
                    self._drop()  # the extraction fails: stop writing
                cond.notify_all()


def _filtered_mode(member: tarfile.TarInfo) -> int | None:
    """The mode tarfile's data filter gives a regular file or a folder (None: ignored)."""
    mode = member.mode
    if mode is None:
        return None
    mode &= 0o755
    if member.isreg() or member.islnk():
        if not mode & 0o100:
            mode &= ~0o111
        mode |= 0o600
        return mode
    return None


class _Extractor:
    def __init__(
        self,
        settings: Settings,
        archive: Path,
        staging: Path,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
        stream: BinaryIO | None = None,
    ) -> None:
        self.settings = settings
        self.archive = archive
        self.stream = stream
        self.staging = staging
        self.root = os.fspath(staging)
        self.real_root = os.path.realpath(self.root)
        self.real_dirs: dict[tuple[str, ...], str] = {(): self.real_root}
        self.cancel = cancel
        self.reporter = _Reporter(progress)
        self.tree = _Tree()
        self.members = 0
        self.declared = 0  # bytes of the members so far (a hard link: its file's size)
        self.path_max = _path_max(self.root)
        self.written = 0
        self.dir_modes: dict[str, int] = {}
        self.writers = _Writers(self.root, WRITER_THREADS, WRITER_BUDGET, cancel)

    def run(self) -> None:
        try:
            self._run()
            self.writers.drain()
        finally:
            self.writers.close()
        for path, mode in sorted(self.dir_modes.items(), reverse=True):
            os.chmod(path, mode)
        self.reporter.report(self.written, force=True, message=f"{self.members} members")

    def _run(self) -> None:
        limits = self.settings.limits
        total_limit = limits.max_unpacked_bytes + 1024 * limits.max_members + 4 * HEADER_BUDGET
        source = self.stream
        with self.archive.open("rb") if source is None else contextlib.nullcontext(source) as fh:
            reader = _Reader(_open_stream(fh, self.settings, self.archive))
            try:
                self._read_members(_Guard(reader, total_limit))
            finally:
                interrupt = getattr(source, "interrupt", None)
                if interrupt is not None:  # a streamed archive may block the reader thread
                    interrupt()
                reader.close()
        if self.members == 0:
            raise InstallError("unexpected archive layout: the archive is empty")

    def _read_members(self, guard: _Guard) -> None:
        try:
            tar = tarfile.open(fileobj=guard, mode="r:")  # type: ignore  # noqa: SIM115
        except tarfile.TarError as exc:
            raise ArchiveRefused(
                f"{self.archive.name} is not a tar archive (empty, "
                f"truncated or corrupt: {_one_line(exc)})"
            ) from None
        with tar:
            while True:
                check_cancel(self.cancel)
                guard.open_window()
                try:
                    member = tar.next()
                except tarfile.TarError as exc:
                    raise ArchiveRefused(f"the archive is corrupt: {_one_line(exc)}") from None
                if member is None:
                    break
                guard.open_window(member.size if member.isreg() else 0)
                self._member(tar, member)

    # -- one member --------------------------------------------------------------------------
    def _member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        limits = self.settings.limits
        self.members += 1
        if self.members > limits.max_members:
            raise ArchiveRefused(f"refused archive: more than {limits.max_members} members (limit)")
        parts = check_name(member.name)
        shown = "/".join(parts)
        tree = self.tree
        if parts[0] != TOP:
            raise InstallError(
                f"unexpected archive layout: top-level entry {parts[0]!r} "
                f"(PBS archives hold a single {TOP}/ folder)"
            )
        if parts in tree.seen:
            raise ArchiveRefused(f"refused member {shown!r}: duplicate name")
        for i in range(1, len(parts)):
            prefix = parts[:i]
            if prefix in tree.links:
                raise ArchiveRefused(
                    f"refused member {shown!r}: written through the symlink {'/'.join(prefix)!r}"
                )
            if prefix in tree.files:
                raise ArchiveRefused(
                    f"refused member {shown!r}: below the file {'/'.join(prefix)!r}"
                )
        if len(parts) == 1 and not member.isdir():
            raise InstallError(f"unexpected archive layout: {TOP} is not a folder")
        if len(self.root) + _FOLD_GROWTH + len(shown.encode("utf-8", "surrogateescape")) >= (
            self.path_max
        ):
            raise ArchiveRefused(
                f"refused member {shown!r}: its path would be longer than "
                f"{self.path_max} bytes once extracted"
            )
        if _reserved(parts):
            raise ArchiveRefused(f"refused member {shown!r}: pybs-tui writes that name itself")

        if member.isdir():
            kind = "dir"
        elif member.issym():
            kind = "symlink"
            _check_link_target(repr(shown), member.linkname)
            if parts in tree.used_as_dir:
                raise ArchiveRefused(f"refused link {shown!r}: it replaces a folder used earlier")
            tree.links[parts] = member.linkname  # so that a loop through itself is seen
            tree.resolve(parts, member.linkname)
            self._count(len(member.linkname.encode("utf-8", "surrogateescape")))
        elif member.islnk():
            kind = "hardlink"
            _check_link_target(repr(shown), member.linkname)
            try:
                target = check_name(member.linkname)
            except ArchiveRefused:
                target = ()
            if target not in tree.files:
                raise ArchiveRefused(
                    f"refused hardlink {shown!r} -> {member.linkname!r}: only "
                    "links to regular files extracted earlier are allowed"
                )
            # counted like the file it names: a link that cannot be made becomes a copy
            self._count(tree.files[target])
        elif member.isreg() and not member.issparse():
            kind = "file"
            self._count(member.size)
        else:
            what = (
                "device"
                if member.ischr() or member.isblk()
                else "FIFO"
                if member.isfifo()
                else "sparse file"
                if member.issparse()
                else "special member"
            )
            raise ArchiveRefused(f"refused member {shown!r}: {what}")

        mode = self._data_filter(member, parts, shown, kind)
        folder = self._path(parts[:-1])
        path = folder + os.sep + parts[-1]
        self._make_parents(parts)
        if kind == "dir":
            self.writers.make_folder(folder, path, f"refused member {shown!r}: duplicate name")
            self.dir_modes[path] = 0o755
            tree.dirs.add(parts)
        elif kind == "symlink":
            self.writers.wait_for(folder)
            os.symlink(member.linkname, path)
        elif kind == "hardlink":
            target = check_name(member.linkname)
            source = self._path(target)
            self.writers.drain()  # the source may still be in a writer's queue
            try:
                os.link(source, path, follow_symlinks=False)
            except OSError as exc:
                if exc.errno not in _NO_LINK:
                    raise
                self._copy_file(source, path)  # EMLINK, or no hard links on this file system
            tree.files[parts] = tree.files[target]
        else:
            self._write_file(tar, member, folder, path, mode or 0o644)
            tree.files[parts] = member.size
        tree.seen.add(parts)
        self.reporter.report(self.written)

    def _count(self, size: int) -> None:
        """Add a member's bytes to the unpacked total; refuse past the cap."""
        self.declared += size
        limit = self.settings.limits.max_unpacked_bytes
        if self.declared > limit:
            raise ArchiveRefused(f"refused archive: it unpacks to more than {_size(limit)} (limit)")

    def _copy_file(self, source: str, path: str) -> None:
        """A copy of the extracted file `source` at `path` (created new, never through a link);
        its bytes were counted when the link was checked."""
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        src = os.open(source, flags)
        try:
            st = os.fstat(src)
            new = _NewFile(path, stat.S_IMODE(st.st_mode), st.st_mtime, self.writers.umask)
            try:
                while chunk := os.read(src, CHUNK):
                    check_cancel(self.cancel)
                    _write_chunk(new.fd, chunk)
                    self.written += len(chunk)
                new.finish()
            finally:
                new.close()
        finally:
            os.close(src)

    def _data_filter(
        self, member: tarfile.TarInfo, parts: tuple[str, ...], shown: str, kind: str
    ) -> int | None:
        """tarfile's ``data`` filter on `member` (named `shown`); the mode it leaves.

        Links go through ``tarfile.data_filter`` itself. For files and folders its checks
        (a relative name whose real path stays in the destination; the mode kept) are done
        here with the real path of each parent folder computed once: our own checks above
        refuse any member below a link, and a folder used as a parent can never become a
        link later, so that real path cannot change during the extraction.
        """
        if kind not in ("file", "dir"):
            try:
                filtered = tarfile.data_filter(member.replace(name=shown, deep=False), self.root)
            except tarfile.FilterError as exc:
                raise ArchiveRefused(f"refused member {shown!r}: {_one_line(exc)}") from None
            return filtered.mode
        target = self._real_dir(parts[:-1]) + os.sep + parts[-1]
        if parts in self.tree.links:  # never true (a duplicate is refused first); realpath
            target = os.path.realpath(target)  # would follow a link there
        if not _inside(target, self.real_root):
            outside = tarfile.OutsideDestinationError(
                member.replace(name=shown, deep=False), target
            )
            raise ArchiveRefused(f"refused member {shown!r}: {_one_line(outside)}")
        return _filtered_mode(member)

    def _real_dir(self, parts: tuple[str, ...]) -> str:
        """os.path.realpath of the folder `parts`, computed once per folder and component by
        component: the real path of its parent plus its name, resolved if that is a link."""
        known = len(parts)
        while parts[:known] not in self.real_dirs:  # no recursion: folders may nest deeply
            known -= 1
        real = self.real_dirs[parts[:known]]
        for i in range(known, len(parts)):
            real = real + os.sep + parts[i]
            if os.path.islink(real):
                real = os.path.realpath(real)
            self.real_dirs[parts[: i + 1]] = real
        return real

    def _path(self, parts: tuple[str, ...]) -> str:
        """os.path.join(staging, *parts) (the parts are checked names: no separators)."""
        return os.sep.join((self.root, *parts))

    def _make_parents(self, parts: tuple[str, ...]) -> None:
        tree = self.tree
        for i in range(1, len(parts)):
            prefix = parts[:i]
            tree.used_as_dir.add(prefix)
            if prefix in tree.dirs:
                continue
            path = self._path(prefix)
            self.writers.make_folder(
                path.rpartition(os.sep)[0],
                path,
                f"refused member {'/'.join(parts)!r}: its parent is not a folder",
            )
            self.dir_modes.setdefault(path, 0o755)
            tree.dirs.add(prefix)
            tree.seen.add(prefix)

    def _read(self, tar: tarfile.TarFile, member: tarfile.TarInfo, size: int) -> bytes:
        """The next `size` bytes of `member`'s data (tarfile's stream is positioned there)."""
        data = tar.fileobj.read(size)
        if len(data) != size:
            raise ArchiveRefused(f"the archive is truncated inside {member.name!r}")
        return data

    def _write_file(
        self, tar: tarfile.TarFile, member: tarfile.TarInfo, folder: str, path: str, mode: int
    ) -> None:
        if tar.fileobj.tell() != member.offset_data:
            raise ArchiveRefused(f"refused member {member.name!r}: unreadable")
        if member.size <= WRITER_FILE_MAX:
            data = self._read(tar, member, member.size)
            self.writers.submit(folder, path, data, mode, member.mtime)
            self.written += len(data)
            return
        self.writers.wait_for(folder)
        new = _NewFile(path, mode, member.mtime, self.writers.umask)
        try:
            remaining = member.size
            while remaining > 0:
                check_cancel(self.cancel)
                chunk = self._read(tar, member, min(CHUNK, remaining))
                _write_chunk(new.fd, chunk)
                remaining -= len(chunk)
                self.written += len(chunk)
                self.reporter.report(self.written)
            new.finish()
        finally:
            new.close()


def _path_max(folder: str) -> int:
    """The longest path the system takes (PATH_MAX; 4096 on Linux, 1024 on macOS)."""
    try:
        return max(256, os.pathconf(folder, "PC_PATH_MAX"))
    except (OSError, ValueError, AttributeError):
        return MAX_PATH


def _reserved(parts: tuple[str, ...]) -> bool:
    """Whether a member takes a name the installer writes at the interpreter root (the
    receipt and its temporary files), for either layout."""
    for depth in (2, 3):
        if len(parts) == depth and parts[-1].startswith(RECEIPT_NAME):
            return depth == 2 or parts[1] == FULL_SUBDIR
    return False


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_tree_links(root: Path) -> None:
    """After extraction: every symlink under `root` resolves inside `root`.

    Walks like ``os.walk`` (same order, unreadable folders skipped) but asks the directory
    entries, not one lstat per path, which of them are links.
    """
    real_root = os.path.realpath(root)
    pending = [os.fspath(root)]
    while pending:
        try:
            with os.scandir(pending.pop()) as it:
                entries = list(it)
        except OSError:
            continue
        dirs: list[os.DirEntry[str]] = []
        files: list[os.DirEntry[str]] = []
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            (dirs if is_dir else files).append(entry)
        for entry in dirs + files:
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if not _inside(target, real_root):
                    rel = os.path.relpath(entry.path, root)
                    raise ArchiveRefused(
                        f"refused link {rel!r}: it points outside the installed tree"
                    )
        pending.extend(reversed([e.path for e in dirs if not e.is_symlink()]))


def _find_executable(root: Path) -> Path | None:
    real_root = os.path.realpath(root)
    for candidate in (root / "bin" / "python3", root / "python.exe"):
        if os.path.lexists(candidate):
            real = os.path.realpath(candidate)
            if _inside(real, real_root) and os.path.isfile(real):
                return candidate
    return None


def _layout(staging: Path, flavor: str | None) -> tuple[str, Path, Path]:
    """(layout, interpreter root, executable) of an extracted tree, or an InstallError."""
    top = staging / TOP
    if top.is_symlink() or not top.is_dir():
        raise InstallError(f"unexpected archive layout: no top-level {TOP}/ folder")
    full_root = top / FULL_SUBDIR
    if full_root.is_dir() and not full_root.is_symlink():
        layout, root = "full", full_root
    else:
        layout, root = "install_only", top
    shown = f"{TOP}/{FULL_SUBDIR}" if layout == "full" else TOP
    if flavor == "full" and layout != "full":
        raise InstallError(
            f"unexpected archive layout: a full archive without {TOP}/{FULL_SUBDIR}/"
        )
    if flavor in ("install_only", "install_only_stripped") and layout == "full":
        raise InstallError(
            f"unexpected archive layout: an {flavor} archive with {TOP}/{FULL_SUBDIR}/"
        )
    exe = _find_executable(root)
    if exe is None:
        raise InstallError(
            f"unexpected archive layout: no {shown}/bin/python3 (or {shown}/python.exe)"
        )
    return layout, root, exe


def _fold_full_extras(staging: Path) -> None:
    """Move python/* other than install/ into python/install/.pbs-full/ (kept, out of the way)."""
    top = staging / TOP
    extras = [p for p in top.iterdir() if p.name != FULL_SUBDIR]
    if not extras:
        return
    dest = top / FULL_SUBDIR / FULL_EXTRAS
    if os.path.lexists(dest):
        raise InstallError(
            f"unexpected archive layout: {TOP}/{FULL_SUBDIR}/{FULL_EXTRAS} already exists"
        )
    dest.mkdir()
    for path in extras:
        os.rename(path, dest / path.name)


def extract_archive(
    settings: Settings,
    archive: Path,
    *,
    flavor: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    stream: BinaryIO | None = None,
) -> ExtractResult:
    """Extract `archive` into a new staging folder and check its layout.

    `stream`, if given, is read instead of the file (a `feed.FeedReader` over a download in
    progress); `archive` then only names it in messages.

    `flavor` ('full', 'install_only', ...) makes the layout check strict. For full archives the
    interpreter tree python/install/ becomes the root and the rest of python/ is kept in
    ``<root>/.pbs-full/``. On any failure or cancel the staging folder is removed and the error
    (ArchiveRefused, InstallError or Cancelled) propagates; on success the caller owns it.
    """
    staging = make_staging(settings)
    try:
        extractor = _Extractor(settings, Path(archive), staging, progress, cancel, stream)
        try:
            extractor.run()
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise InstallError(
                    f"no space left on device while extracting into {settings.install_dir}"
                ) from None
            where = shorten(os.fspath(exc.filename or staging), 160)
            raise InstallError(
                f"cannot extract into {where}: {_one_line(exc.strerror or exc)}"
            ) from None
        layout, root, exe = _layout(staging, flavor)
        if layout == "full":
            _fold_full_extras(staging)
        _check_tree_links(root)
        check_cancel(cancel)
        return ExtractResult(staging, root, layout, exe, extractor.members, extractor.written)
    except BaseException:
        with contextlib.suppress(OSError):
            remove_tree(staging)
        raise
