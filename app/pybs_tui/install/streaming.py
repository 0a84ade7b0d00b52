"""Extract an archive while it downloads: the bytes go from the ``.part`` file into staging
as they arrive, so an install costs the transfer plus the tail of the work, not the transfer
plus all of it.

`StreamedExtraction` runs `extract_archive` in a thread over a `feed.FeedReader` while the
caller downloads with the same `feed.PartFeed`. Nothing it makes is visible: staging is a
private ``.staging-`` folder, and nothing in it runs. `result` is called once the download has
been verified; it hands the staged tree over only if the bytes the extractor read hash to the
verified sha256 (so the tree comes from exactly the file that was verified). Otherwise (the
download started over, or anything else went wrong with the stream) it returns None and the
caller extracts the verified file as before. A genuine refusal of the archive (read from the
verified bytes) is raised as it is; a failed download leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from types import TracebackType

from ..feed import (
    FeedReader,
    PartFeed,
    StreamBroken,
    StreamFailed,
    StreamInterrupted,
    StreamRestarted,
)
from ..progress import Cancelled, InstallError, Progress, ProgressCallback
from ..settings import Settings
from .extract import ExtractResult, extract_archive, wait_for_threads
from .root import remove_tree

#: Failures of the stream itself: the verified file is extracted instead.
_STREAM_FAULTS = (StreamRestarted, StreamInterrupted, StreamFailed, StreamBroken)


class StreamedExtraction:
    """An extraction that follows a download (use as a context manager around it)."""

    def __init__(
        self,
        settings: Settings,
        archive: Path,
        *,
        flavor: str | None,
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> None:
        self.feed = PartFeed()
        self.reader = FeedReader(self.feed)
        self.archive = archive
        self.flavor = flavor
        self.settings = settings
        self.progress = progress
        self.cancel = cancel
        self.extracted: ExtractResult | None = None
        self.error: BaseException | None = None
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._run, name="pybs-streamed-extract", daemon=True)

    def __enter__(self) -> StreamedExtraction:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:  # the download failed or was cancelled: nothing may stay
            self.abandon(str(exc) or "the download failed")

    def _report(self, progress: Progress) -> None:
        """Extraction progress only once the download is over (one bar at a time)."""
        if self.progress is not None and self.feed.done:
            self.progress(progress)

    def _run(self) -> None:
        try:
            self.extracted = extract_archive(
                self.settings,
                self.archive,
                flavor=self.flavor,
                progress=self._report,
                cancel=self.cancel,
                stream=self.reader,  # type: ignore[arg-type]  # read/read1/seek/tell
            )
        except BaseException as exc:  # handed to the caller's thread by `result`
            self.error = exc
        finally:
            self.ended.set()

    def _wait(self) -> None:
        wait_for_threads([self.ended])

    def abandon(self, reason: str) -> None:
        """Stop the extraction and remove whatever it staged (the download failed)."""
        self.feed.failed(reason)
        self.reader.interrupt()
        self._wait()
        self._discard()
        self.reader.close()

    def _discard(self) -> None:
        if self.extracted is not None:
            with contextlib.suppress(OSError):
                remove_tree(self.extracted.staging)
            self.extracted = None

    def result(self, sha256: str, size: int) -> ExtractResult | None:
        """Once the download is verified (`sha256`, `size`): the staged tree, or None if the
        verified file must be extracted instead. Raises Cancelled, or the archive's refusal."""
        try:
            self._wait()
        except BaseException:
            self.abandon("interrupted")
            raise
        try:
            if isinstance(self.error, Cancelled):
                raise self.error
            if self.error is not None and not isinstance(self.error, InstallError):
                raise self.error  # a bug, not a property of the archive: never hidden
            # the generation the extraction was reading (None: it never opened the part)
            reading = self.reader.generation if self.reader.fd is not None else None
            try:
                digest, total, generation = self.reader.finish()
            except InstallError:
                self._discard()
                return None
            same_bytes = digest == sha256 and total == size
            if self.error is None and same_bytes:
                return self.extracted
            self._discard()
            error = self.error  # by now None or an InstallError: the archive's or the stream's
            from_verified_bytes = same_bytes and reading == generation == self.feed.generation
            if error is not None and not isinstance(error, _STREAM_FAULTS) and from_verified_bytes:
                raise error  # the archive's own refusal
            return None
        finally:
            self.reader.close()
