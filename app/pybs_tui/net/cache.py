"""The catalog cache: last good answers with their ETag, written atomically, checked on read.

Each entry is one file: a JSON header line (url, etag, fetched_at, sha256 and length of the body)
followed by the body bytes. An entry whose header or body does not check out is deleted and
treated as absent, so the next fetch is unconditional.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from ..catalog import jsonsafe
from ..fileops import atomic_write

SCHEMA = "pybs-tui-cache/1"
#: The cache entry of PBS's release index.
INDEX_KEY = "release-index"


@dataclass
class CacheEntry:
    url: str
    etag: str | None
    fetched_at: float
    body: bytes


def _key_path(root: Path, key: str) -> Path:
    return root / (re.sub(r"[^A-Za-z0-9._-]", "_", key) + ".cache")


def read_entry(root: Path, key: str) -> CacheEntry | None:
    """The cached entry, or None (a corrupt entry is deleted)."""
    path = _key_path(root, key)
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    head, sep, body = raw.partition(b"\n")
    try:
        meta = jsonsafe.loads(head)
        ok = (
            sep
            and meta.get("schema") == SCHEMA
            and meta.get("length") == len(body)
            and meta.get("sha256") == hashlib.sha256(body).hexdigest()
        )
    except (ValueError, AttributeError):
        ok = False
    if not ok:
        path.unlink(missing_ok=True)
        return None
    return CacheEntry(meta["url"], meta.get("etag"), float(meta["fetched_at"]), body)


def write_entry(root: Path, key: str, entry: CacheEntry) -> None:
    meta = {
        "schema": SCHEMA,
        "url": entry.url,
        "etag": entry.etag,
        "fetched_at": entry.fetched_at,
        "length": len(entry.body),
        "sha256": hashlib.sha256(entry.body).hexdigest(),
    }
    atomic_write(_key_path(root, key), json.dumps(meta).encode() + b"\n" + entry.body)


def drop_entry(root: Path, key: str) -> None:
    _key_path(root, key).unlink(missing_ok=True)


#: One lock per sizes file for the threads of this process; a file lock for other processes.
_SIZE_LOCKS: dict[str, threading.Lock] = {}
_SIZE_LOCKS_GUARD = threading.Lock()
SIZES_SCHEMA = "pybs-tui-sizes/2"
MAX_SIZES_FILE = 64 * 1024 * 1024  # bytes read at most


class SizeCache:
    """Archive sizes by '<release tag>/<asset name>', kept forever (a published asset never
    changes), with where each came from ('GitHub API', 'HEAD request').

    Safe with several writers: threads of one process take a lock, processes a file lock;
    every update re-reads the file, merges and replaces it in one rename. A file of the older
    shape (sizes by sha256) is still read.
    """

    def __init__(self, root: Path) -> None:
        self.path = root / "sizes.json"
        self._sizes: dict[str, tuple[int, str]] | None = None
        self._by_sha: dict[str, int] = {}
        with _SIZE_LOCKS_GUARD:
            self._lock = _SIZE_LOCKS.setdefault(str(self.path), threading.Lock())

    def _read(self) -> tuple[dict[str, tuple[int, str]], dict[str, int]]:
        try:
            with self.path.open("rb") as fh:
                data = jsonsafe.loads(fh.read(MAX_SIZES_FILE + 1)[:MAX_SIZES_FILE])
        except (OSError, ValueError):
            return {}, {}
        if not isinstance(data, dict):
            return {}, {}
        sizes: dict[str, tuple[int, str]] = {}
        by_sha: dict[str, int] = {}
        if data.get("schema") == SIZES_SCHEMA and isinstance(data.get("sizes"), dict):
            for key, value in data["sizes"].items():
                if (
                    isinstance(key, str)
                    and isinstance(value, list)
                    and len(value) == 2
                    and isinstance(value[0], int)
                    and value[0] >= 0
                    and isinstance(value[1], str)
                ):
                    sizes[key] = (value[0], value[1])
            legacy = data.get("by_sha256")
        else:
            legacy = data  # the first shape: {sha256: size}
        if isinstance(legacy, dict):
            by_sha = {
                k: v
                for k, v in legacy.items()
                if isinstance(k, str) and len(k) == 64 and isinstance(v, int) and v >= 0
            }
        return sizes, by_sha

    def load(self) -> dict[str, tuple[int, str]]:
        if self._sizes is None:
            self._sizes, self._by_sha = self._read()
        return self._sizes

    @property
    def empty(self) -> bool:
        return not self.load() and not self._by_sha

    def get(self, key: str, sha256: str | None = None) -> tuple[int, str] | None:
        """(size, source) of '<tag>/<name>', else of the sha256 in an old file, else None."""
        found = self.load().get(key)
        if found is None and sha256 and sha256 in self._by_sha:
            return self._by_sha[sha256], "GitHub API"
        return found

    def update(self, sizes: dict[str, tuple[int, str]]) -> int:
        """Merge sizes in and save; returns how many were new. Never loses a writer's entries.
        A folder that cannot be written keeps nothing (the sizes are asked again next run)."""
        if not sizes:
            return 0
        import filelock  # only for writing sizes (list and --help start without it)

        try:
            return self._update(sizes)
        except (OSError, filelock.Timeout):
            return 0

    def _update(self, sizes: dict[str, tuple[int, str]]) -> int:
        import filelock

        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with filelock.FileLock(str(self.path) + ".lock", timeout=30):
                current, by_sha = self._read()
                new = {k: v for k, v in sizes.items() if current.get(k) != v}
                if new:
                    current.update(new)
                    payload = {
                        "schema": SIZES_SCHEMA,
                        "sizes": {k: list(v) for k, v in sorted(current.items())},
                        "by_sha256": by_sha,
                    }
                    atomic_write(self.path, json.dumps(payload, separators=(",", ":")).encode())
                self._sizes, self._by_sha = current, by_sha
        return len(new)
