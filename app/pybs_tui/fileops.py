"""Small file operations every layer uses: write in one step, hash a file (stdlib only)."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from .progress import check_cancel

HASH_CHUNK = 1 << 20


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temp file in the same dir, fsync, then one rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def hash_file(
    path: Path,
    cancel: threading.Event | None = None,
    on_chunk: Callable[[int], None] | None = None,
    hasher: hashlib._Hash | None = None,
) -> tuple[str, int]:
    """(sha256 hex digest, size) of a file, read in chunks; `cancel` is checked between them,
    `on_chunk` gets the bytes done so far. A given `hasher` is fed (and returned digested)."""
    hasher = hasher if hasher is not None else hashlib.sha256()
    done = 0
    with path.open("rb") as fh:
        while chunk := fh.read(HASH_CHUNK):
            check_cancel(cancel)
            hasher.update(chunk)
            done += len(chunk)
            if on_chunk is not None:
                on_chunk(done)
    return hasher.hexdigest(), done


class NotARegularFile(OSError):
    """The path names a FIFO, a device, a socket or a folder, where a file was expected."""


def open_regular(path: str | os.PathLike[str], extra_flags: int = 0) -> tuple[int, os.stat_result]:
    """(descriptor, its stat) of a regular file, opened for reading without blocking on a
    FIFO or device put in its place (NotARegularFile then), blocking again once checked.
    The caller closes the descriptor."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | extra_flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotARegularFile(f"{os.fspath(path)} is not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes | None:
    """The first `limit` bytes of a regular file; None for anything else or an error (a FIFO
    or a device never blocks: see open_regular)."""
    try:
        fd, _ = open_regular(path)
    except (OSError, ValueError):
        return None
    try:
        chunks, left = [], limit
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def read_json_file(path: str | os.PathLike[str], limit: int) -> object | None:
    """A small JSON file from outside (a receipt, another tool's metadata): None when it is
    missing, not a regular file, over `limit` bytes, not JSON or nested too deep."""
    from .catalog import jsonsafe

    data = read_bounded(path, limit + 1)
    if data is None or len(data) > limit:
        return None
    try:
        return jsonsafe.loads(data)
    except ValueError:
        return None
