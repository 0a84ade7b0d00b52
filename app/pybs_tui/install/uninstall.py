"""Safe removal of pybs-tui's own installs, and the prune plan (no textual).

Rules (reliability case 37): only dirs directly under ``settings.install_dir`` that hold a
receipt; names with a path separator, ``..``, absolute paths, the root itself, symlinked
install dirs and unknown names are refused before anything changes. Under the install lock
the install is renamed into ``.trash-<random>`` (it disappears in one step), then the trash is
deleted without ever following a symlink: a link inside an install is removed, its target is
never touched. Read-only files and dirs are made writable first.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..settings import Settings
from .diskuse import tree_size
from .receipts import RECEIPT_NAME, install_dir_name, read_receipt
from .registry import Interpreter
from .root import (
    LockBusy,
    install_root_lock,
    move_to_trash,
    remove_tree,
    sweep_stale,
)

LOCK_TIMEOUT = 10.0


class UninstallError(Exception):
    """A removal was refused or failed; str() is one line for the user."""


@dataclass(frozen=True)
class Removed:
    """One finished removal."""

    name: str
    path: Path
    bytes_freed: int
    leftover: Path | None = None  # trash that could not be fully deleted (swept next time)


@contextlib.contextmanager
def install_lock(settings: Settings, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """The install root's lock (the pipeline's own); UninstallError when another process keeps
    it past `timeout`."""
    try:
        with install_root_lock(settings, timeout=timeout):
            yield
    except LockBusy as exc:
        raise UninstallError(str(exc)) from None


def validate_name(name: str) -> str:
    """The install dir name for `name` (a dir name or an asset file name), or refuse."""
    if not name or not name.strip():
        raise UninstallError("refusing to remove: empty install name")
    if "\0" in name:
        raise UninstallError("refusing to remove: the name contains a NUL character")
    if os.path.isabs(name) or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UninstallError(
            f"refusing to remove {name!r}: give an install name from "
            "`pybs-tui installed`, not a path"
        )
    if "/" in name or "\\" in name or (os.altsep and os.altsep in name):
        raise UninstallError(f"refusing to remove {name!r}: an install name has no path separators")
    if name == ".":
        raise UninstallError("refusing to remove '.': that is the install root itself")
    if name == "..":
        raise UninstallError("refusing to remove '..': that is outside the install root")
    dirname = install_dir_name(name)
    if dirname.startswith("."):
        raise UninstallError(
            f"refusing to remove {name!r}: not an install (pybs-tui's own bookkeeping)"
        )
    return dirname


def resolve_own(settings: Settings, name: str) -> Path:
    """The install dir of an own install, after every check of case 37; refuse otherwise."""
    dirname = validate_name(name)
    root = settings.install_dir
    path = root / dirname
    if os.path.realpath(path.parent) != os.path.realpath(root) or os.path.abspath(
        path
    ) == os.path.abspath(root):
        raise UninstallError(f"refusing to remove {name!r}: not inside the install root")
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise UninstallError(
            f"no install named {name!r}; `pybs-tui installed --own` lists them"
        ) from None
    except OSError as exc:
        raise UninstallError(f"cannot read {path}: {exc.strerror or exc}") from None
    if stat.S_ISLNK(st.st_mode):
        raise UninstallError(
            f"refusing to remove {name!r}: it is a symbolic link, not an "
            "install made by pybs-tui; left as it is"
        )
    if not stat.S_ISDIR(st.st_mode):
        raise UninstallError(f"refusing to remove {name!r}: not a directory made by pybs-tui")
    try:
        rst = os.lstat(path / RECEIPT_NAME)
    except OSError:
        rst = None
    if rst is None or not stat.S_ISREG(rst.st_mode) or read_receipt(path) is None:
        raise UninstallError(
            f"refusing to remove {name!r}: it has no pybs-tui receipt "
            f"({RECEIPT_NAME}), so pybs-tui did not install it"
        )
    return path


def _remove_locked(settings: Settings, name: str, path: Path) -> Removed:
    try:
        trash = move_to_trash(settings, path)  # one step: the install is gone from every listing
    except OSError as exc:
        raise UninstallError(f"cannot remove {name!r}: {exc.strerror or exc}") from None
    freed = tree_size(trash)
    try:
        remove_tree(trash)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return Removed(name, path, freed)
        return Removed(name, path, freed - tree_size(trash), leftover=trash)
    return Removed(name, path, freed)


def uninstall_many(
    settings: Settings, names: Sequence[str], timeout: float = LOCK_TIMEOUT
) -> list[Removed]:
    """Remove several own installs; every name is checked before any is removed."""
    if not names:
        raise UninstallError("no install named; `pybs-tui installed --own` lists them")
    for name in names:
        validate_name(name)
    if not settings.install_dir.is_dir():
        raise UninstallError(f"no install named {names[0]!r}: nothing is installed yet")
    with install_lock(settings, timeout):
        sweep_stale(settings)
        paths: dict[str, Path] = {}
        for name in names:
            path = resolve_own(settings, name)
            paths.setdefault(path.name, path)
        return [_remove_locked(settings, name, path) for name, path in paths.items()]


def uninstall(settings: Settings, name: str, timeout: float = LOCK_TIMEOUT) -> Removed:
    """Remove one own install; UninstallError (one line) when refused."""
    return uninstall_many(settings, [name], timeout)[0]


def refusal_for_other(interp: Interpreter) -> str:
    """The one line shown instead of deleting another tool's interpreter."""
    return (
        f"{interp.name} is managed by {interp.manager}; pybs-tui never deletes another "
        f"tool's interpreters: run `{interp.remove_command}`"
    )
