"""A file one thread writes (a download's ``.part``) and another reads as it grows.

The writer (net.download) tells a `PartFeed` what it did: a part was started or adopted
(`started`), bytes reached the disk (`grew`), the part was thrown away (`discarded`), the
verified file is in place (`finished`), or nothing more will come (`failed`). A `FeedReader`
(the extractor's input) reads those bytes from the file as they arrive, from one open
descriptor, and hashes what it hands out, so the caller can prove afterwards that what was
read is, byte for byte, the file that was verified.

Every start or discard of the part is a new *generation*: a reader holding the file of an
older one raises `StreamRestarted` instead of mixing bytes of two downloads.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

from .progress import InstallError

#: Seconds a waiting reader sleeps between looks at its stop flag.
WAIT_SLICE = 0.1
#: A read waits for this many bytes (or the end) before it returns: fewer GIL hand-offs, and a
#: short read of a few header bytes never happens.
MIN_READ = 64 * 1024


class StreamRestarted(InstallError):
    """The part the reader was reading was discarded or replaced."""

    def __init__(self) -> None:
        super().__init__("the download started over")


class StreamInterrupted(InstallError):
    """The reader was told to stop (the extraction is being abandoned)."""

    def __init__(self) -> None:
        super().__init__("the streamed extraction was stopped")


class StreamFailed(InstallError):
    """The download ended without a verified file."""


class StreamBroken(InstallError):
    """The part could not be read (a fault of the stream, never of the archive)."""


class PartFeed:
    """What the downloader did to the part file, for a reader in another thread."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.generation = 0
        self.path: Path | None = None
        self.size = 0
        self.final = False  # the file at `path` is complete and verified
        self.failure: str | None = None

    # -- the writer's side -----------------------------------------------------------------
    def started(self, path: Path, size: int) -> None:
        """A part (new, or adopted from an earlier run) at `path`, holding `size` bytes."""
        with self.cond:
            self.generation += 1
            self.path, self.size, self.final = path, size, False
            self.cond.notify_all()

    def grew(self, size: int) -> None:
        """The part holds `size` bytes on disk (written, not in a user-space buffer)."""
        with self.cond:
            self.size = size
            self.cond.notify_all()

    def discarded(self) -> None:
        """The part is about to be deleted; called before it is."""
        with self.cond:
            self.generation += 1
            self.path, self.size, self.final = None, 0, False
            self.cond.notify_all()

    def finished(self, rename: Callable[[], object], path: Path, size: int) -> None:
        """The part was verified: `rename` moves it to `path` (the same file; generation
        kept). Done under the lock, so a reader never opens the old name once it is gone."""
        with self.cond:
            rename()
            self.path, self.size, self.final = path, size, True
            self.cond.notify_all()

    def failed(self, reason: str) -> None:
        """No verified file will come."""
        with self.cond:
            self.failure = reason
            self.cond.notify_all()

    @property
    def done(self) -> bool:
        """Whether the download has ended (verified or failed)."""
        with self.cond:
            return self.final or self.failure is not None


class FeedReader:
    """A forward reader (with `seek(0)` before the data) over the feed's current part.

    Blocks until bytes arrive; returns b"" only at the end of the verified file. Raises
    `StreamRestarted`, `StreamFailed` or, once `interrupt` was called, `StreamInterrupted`.
    """

    def __init__(self, feed: PartFeed) -> None:
        self.feed = feed
        self.fd: int | None = None
        self.generation = 0
        self.pos = 0
        self.hashed = 0  # bytes [0, hashed) went through the hasher
        self.hasher = hashlib.sha256()
        self.stop = False

    def _available(self, want: int, stoppable: bool) -> int:
        """Bytes readable at `pos` (at least min(want, MIN_READ) unless at the end); 0 at the
        end of the verified file."""
        feed = self.feed
        with feed.cond:
            while True:
                if stoppable and self.stop:
                    raise StreamInterrupted()
                if self.fd is not None and feed.generation != self.generation:
                    raise StreamRestarted()
                if self.fd is None and feed.path is not None:
                    # opened under the lock: the file is the one of this generation
                    try:
                        self.fd = os.open(feed.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
                    except OSError as exc:
                        raise StreamBroken(f"cannot read {feed.path}: {exc.strerror}") from None
                    self.generation = feed.generation
                if self.fd is not None:
                    ready = feed.size - self.pos
                    if ready >= min(want, MIN_READ) or (feed.final and ready >= 0):
                        return max(0, min(want, ready))
                if feed.failure is not None:
                    raise StreamFailed(feed.failure)
                feed.cond.wait(WAIT_SLICE)

    def _read(self, size: int, stoppable: bool) -> bytes:
        want = size if size is not None and size >= 0 else 1 << 20
        count = self._available(want, stoppable)
        if count == 0:
            return b""
        assert self.fd is not None
        try:
            data = os.pread(self.fd, count, self.pos)
        except OSError as exc:
            raise StreamBroken(f"cannot read the download: {exc.strerror}") from None
        if len(data) != count:  # the file shrank under us: not the file the feed describes
            raise StreamRestarted()
        end = self.pos + len(data)
        if end > self.hashed:
            self.hasher.update(memoryview(data)[self.hashed - self.pos :])
            self.hashed = end
        self.pos = end
        return data

    def read(self, size: int = -1) -> bytes:
        return self._read(size, stoppable=True)

    read1 = read  # what zstandard's stream reader prefers

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        """Only back to a byte already read (how a format is sniffed): the hash stays whole."""
        if whence != 0 or not 0 <= offset <= self.hashed:
            raise OSError("a streamed archive can only be re-read from a byte already read")
        self.pos = offset
        return offset

    def interrupt(self) -> None:
        """Make a blocked or later `read` raise StreamInterrupted (from any thread)."""
        with self.feed.cond:
            self.stop = True
            self.feed.cond.notify_all()

    def finish(self) -> tuple[str, int, int]:
        """Once the feed is done: read (and hash) what the extraction left unread. Returns
        (sha256 of everything, bytes in all, generation read). Raises what `read` raises."""
        self.pos = self.hashed
        while self._read(1 << 20, stoppable=False):
            pass
        return self.hasher.hexdigest(), self.hashed, self.generation

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
