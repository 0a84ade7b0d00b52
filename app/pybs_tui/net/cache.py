"""The catalog cache: last good answers with their ETag, written atomically, checked on read.

Each entry is one file: a JSON header line (url, etag, fetched_at, sha256 and length of the body)
followed by the body bytes. An entry whose header or body does not check out is deleted and
treated as absent, so the next fetch is unconditional.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

SCHEMA = "pybs-tui-cache/1"


@dataclass
class CacheEntry:
    url: str
    etag: str | None
    fetched_at: float
    body: bytes


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
        meta = json.loads(head)
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


class SizeCache:
    """Archive sizes by sha256 (an asset never changes, so entries never expire)."""

    def __init__(self, root: Path) -> None:
        self.path = root / "sizes.json"
        self._sizes: dict[str, int] | None = None

    def load(self) -> dict[str, int]:
        if self._sizes is None:
            try:
                data = json.loads(self.path.read_bytes())
                self._sizes = {
                    k: v
                    for k, v in data.items()
                    if isinstance(k, str) and isinstance(v, int) and v >= 0
                }
            except (OSError, ValueError, AttributeError):
                self._sizes = {}
        return self._sizes

    def get(self, sha256: str | None) -> int | None:
        return self.load().get(sha256) if sha256 else None

    def update(self, sizes: dict[str, int]) -> None:
        """Merge sizes in and save, re-reading first so concurrent writers both win."""
        if not sizes:
            return
        self._sizes = None
        current = self.load()
        new = {k: v for k, v in sizes.items() if current.get(k) != v}
        if not new:
            return
        current.update(new)
        atomic_write(self.path, json.dumps(current, sort_keys=True).encode())
