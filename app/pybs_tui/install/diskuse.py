"""Exact disk use of a tree, never following symlinks, with a small on-disk cache (no textual).

Bytes are the sum of ``st_size`` (from ``lstat``) of every regular file and symlink under a
directory; directories themselves count zero; a file with several hard links counts once,
keyed by ``(st_dev, st_ino)``. This is the "apparent size" that ``du -sb`` prints minus
directory entries, stable across file systems and exact enough to show what a removal frees.
"""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from ..fileops import read_json_file
from .root import FD_WALK, parent_of, walk_folders

CACHE_NAME = "diskuse.json"
CACHE_SCHEMA = "pybs-tui-diskuse/1"
CACHE_LIMIT = 16 << 20  # far more than any number of installs needs
_CACHE_LIMIT = 500  # entries kept; the oldest are dropped first


def tree_size(path: str | os.PathLike[str], seen: set[tuple[int, int]] | None = None) -> int:
    """Bytes under `path`: files and symlinks by lstat, hard links once, links never followed;
    any depth and path length (folder descriptors, no recursion).

    `seen` collects (st_dev, st_ino) of multiply-linked files; pass one set to several calls
    to count a file shared between trees once. Unreadable entries are skipped.
    """
    seen = set() if seen is None else seen
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return _count(st, seen)
    if not FD_WALK:
        return _tree_size_by_path(os.fspath(path), seen)
    total = 0
    try:
        with parent_of(os.fspath(path)) as (parent_fd, name):
            for event, _fd, entries in walk_folders(parent_fd, name):
                if event == "enter":
                    total += _count_entries(entries, seen)
    except OSError:
        pass  # what could be read is counted
    return total


def _count_entries(entries: list[os.DirEntry[str]], seen: set[tuple[int, int]]) -> int:
    total = 0
    for entry in entries:
        try:
            est = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISDIR(est.st_mode):
            total += _count(est, seen)
    return total


def _tree_size_by_path(top: str, seen: set[tuple[int, int]]) -> int:
    """tree_size where folder descriptors are not available (Windows)."""
    total = 0
    stack = [top]
    while stack:
        current = stack.pop()
        try:
            with os.scandir(current) as it:
                entries = list(it)
        except OSError:
            continue
        total += _count_entries(entries, seen)
        stack.extend(e.path for e in entries if e.is_dir(follow_symlinks=False))
    return total


def _count(st: os.stat_result, seen: set[tuple[int, int]]) -> int:
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        return 0  # sockets, FIFOs, devices: no data blocks worth reporting
    if st.st_nlink > 1 and stat.S_ISREG(st.st_mode):
        key = (st.st_dev, st.st_ino)
        if key in seen:
            return 0
        seen.add(key)
    return st.st_size


def _watched_dirs(path: Path) -> Iterator[Path]:
    """The dirs whose mtime changes when an install is altered: root, its children, lib/*/*."""
    yield path
    try:
        children = [c for c in path.iterdir() if c.is_dir() and not c.is_symlink()]
    except OSError:
        return
    yield from sorted(children)
    lib = path / "lib"
    if lib.is_dir() and not lib.is_symlink():
        try:
            for sub in sorted(lib.iterdir()):
                if sub.name.startswith("python") and sub.is_dir() and not sub.is_symlink():
                    yield sub
                    site = sub / "site-packages"
                    if site.is_dir() and not site.is_symlink():
                        yield site
        except OSError:
            return


def fingerprint(path: Path) -> str:
    """A cheap signature of a tree (device, inode and mtime of its top directories)."""
    parts = []
    for d in _watched_dirs(path):
        try:
            st = os.lstat(d)
        except OSError:
            continue
        parts.append(f"{st.st_dev}:{st.st_ino}:{st.st_mtime_ns}")
    return "|".join(parts)


class DiskUseCache:
    """Sizes of trees keyed by absolute path and fingerprint, kept in cache_dir/diskuse.json.

    Thread-safe within a process; the file is replaced atomically, so concurrent writers
    lose at most an entry, never the file.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.path = cache_dir / CACHE_NAME
        self._lock = threading.Lock()
        self._entries: dict[str, dict] | None = None

    def _load(self) -> dict[str, dict]:
        if self._entries is None:
            data = read_json_file(self.path, CACHE_LIMIT)
            ours = isinstance(data, dict) and data.get("schema") == CACHE_SCHEMA
            entries = data.get("entries") if isinstance(data, dict) and ours else None
            self._entries = entries if isinstance(entries, dict) else {}
        return self._entries

    def lookup(self, path: Path, signature: str) -> int | None:
        """The cached size of `path` if its fingerprint still matches."""
        with self._lock:
            entry = self._load().get(str(path))
        if (
            isinstance(entry, dict)
            and entry.get("fp") == signature
            and isinstance(entry.get("bytes"), int)
        ):
            return entry["bytes"]
        return None

    def store(self, path: Path, signature: str, size: int) -> None:
        with self._lock:
            entries = self._load()
            entries[str(path)] = {"fp": signature, "bytes": size, "at": time.time()}
            if len(entries) > _CACHE_LIMIT:
                for key in sorted(entries, key=lambda k: entries[k].get("at", 0))[
                    : len(entries) - _CACHE_LIMIT
                ]:
                    del entries[key]
            self._save(entries)

    def forget(self, path: Path) -> None:
        with self._lock:
            entries = self._load()
            if entries.pop(str(path), None) is not None:
                self._save(entries)

    def _save(self, entries: dict[str, dict]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(json.dumps({"schema": CACHE_SCHEMA, "entries": entries}))
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs time


def disk_use(path: Path, cache: DiskUseCache | None = None) -> int:
    """Exact bytes under `path`, from the cache when the tree has not changed."""
    path = Path(os.path.abspath(path))
    if cache is None:
        return tree_size(path)
    signature = fingerprint(path)
    cached = cache.lookup(path, signature)
    if cached is not None:
        return cached
    size = tree_size(path)
    cache.store(path, signature, size)
    return size
