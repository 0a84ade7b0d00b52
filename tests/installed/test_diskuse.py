"""Disk use exact to the byte: lstat sizes, symlinks never followed, hard links once; cache."""

from __future__ import annotations

import os
from pathlib import Path

from pybs_tui.install import diskuse
from pybs_tui.install.diskuse import DiskUseCache, disk_use, tree_size
from tests.installed.fakes import write


def _tree(tmp_path: Path) -> tuple[Path, int]:
    root = tmp_path / "tree"
    expected = write(root / "a.bin", b"a" * 1000)
    expected += write(root / "sub" / "deep" / "b.txt", b"hello world")
    expected += write(root / "empty", b"")
    os.link(root / "a.bin", root / "sub" / "a-hardlink.bin")  # same inode: counted once
    outside = tmp_path / "outside"
    write(outside / "huge.bin", b"z" * 50_000)
    (root / "sub" / "to-outside").symlink_to(outside)  # never followed
    expected += len(str(outside))
    (root / "rel-link").symlink_to("sub/deep/b.txt")
    expected += len("sub/deep/b.txt")
    (root / "dangling").symlink_to("nowhere/at/all")
    expected += len("nowhere/at/all")
    return root, expected


def test_tree_size_exact(tmp_path):
    root, expected = _tree(tmp_path)
    assert tree_size(root) == expected == 1000 + 11 + 0 + len(str(tmp_path / "outside")) + 14 + 14


def test_hardlink_shared_between_trees_counted_once_with_one_seen_set(tmp_path):
    write(tmp_path / "x" / "f", b"q" * 300)
    (tmp_path / "y").mkdir()
    os.link(tmp_path / "x" / "f", tmp_path / "y" / "f")
    seen: set = set()
    assert tree_size(tmp_path / "x", seen) + tree_size(tmp_path / "y", seen) == 300
    assert tree_size(tmp_path / "y") == 300  # alone, the tree owns its bytes


def test_root_symlink_counts_only_the_link(tmp_path):
    write(tmp_path / "real" / "f", b"r" * 500)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert tree_size(tmp_path / "link") == len(str(tmp_path / "real"))
    assert tree_size(tmp_path / "missing") == 0


def test_cache_hit_and_invalidation(tmp_path, monkeypatch):
    root, expected = _tree(tmp_path)
    cache = DiskUseCache(tmp_path / "cache")
    assert disk_use(root, cache) == expected
    assert (tmp_path / "cache" / diskuse.CACHE_NAME).is_file()

    def boom(*a, **k):
        raise AssertionError("should have come from the cache")

    monkeypatch.setattr(diskuse, "tree_size", boom)
    assert disk_use(root, DiskUseCache(tmp_path / "cache")) == expected  # a new process
    monkeypatch.undo()
    write(root / "sub" / "new.bin", b"n" * 77)  # changes sub's mtime: fingerprint differs
    assert disk_use(root, cache) == expected + 77


def test_corrupt_cache_is_ignored(tmp_path):
    root, expected = _tree(tmp_path)
    write(tmp_path / "cache" / diskuse.CACHE_NAME, b"{broken")
    assert disk_use(root, DiskUseCache(tmp_path / "cache")) == expected
