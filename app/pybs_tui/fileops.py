"""Small file operations every layer uses: write in one step, hash a file (stdlib only)."""

from __future__ import annotations

import hashlib
import os
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
