"""The install root's housekeeping, in one place: locks, staging, trash, tree removal, sweep.

- `install_root_lock`: ``<install_dir>/.lock``, held briefly to sweep stale folders and to
  publish or remove an install (installs and uninstalls alike). Cancellable; gives up after a
  timeout with a clear one-line error (LockBusy).
- `build_lock`: ``<install_dir>/.locks/<asset>.lock``, held from the "already installed?" check
  through download and publish of one archive, so two processes installing the same build do
  not download it twice: the second waits (cancellable), then finds it installed.
- staging (``.staging-<pid>-<hex>``) and trash (``.trash-<pid>-<hex>``) folders sit beside the
  installs, so publishing and removing are single renames on one file system; `sweep_stale`
  deletes those whose process has died.
- `remove_tree` deletes bottom-up without ever following a symlink (a link is unlinked, its
  target untouched) and makes read-only folders writable first; like every walk of a tree
  (`walk_folders`), it goes through folder descriptors without recursion, so no depth or path
  length stops it.
File locks are released by the OS if a process dies.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import filelock

from ..progress import InstallError, Progress, ProgressCallback, check_cancel
from ..settings import Settings

LOCK_NAME = ".lock"
LOCKS_DIR = ".locks"
STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
ROOT_LOCK_TIMEOUT = 10.0
POLL = 0.1
_SAFE = re.compile(r"^[A-Za-z0-9._+\-]+\Z")
_LEFTOVER = re.compile(r"^\.(?:staging|trash)-(\d+)-[0-9a-f]+\Z")


class LockBusy(InstallError):
    """Another process holds the lock for longer than we wait."""


def check_asset_name(name: str) -> None:
    """Refuse archive names that could be a path (they name files and folders of ours)."""
    if not _SAFE.match(name) or name.startswith(".") or len(name) > 255:
        raise InstallError(f"unsafe archive name {name!r}")


def root_lock_path(settings: Settings) -> Path:
    return settings.install_dir / LOCK_NAME


def _acquire(
    lock: filelock.FileLock,
    timeout: float | None,
    cancel: threading.Event | None,
    on_wait: ProgressCallback | None,
    waiting: Progress,
) -> bool:
    """Poll for the lock, checking cancel; False when `timeout` passed without it."""
    deadline = None if timeout is None else time.monotonic() + timeout
    told = False
    while True:
        check_cancel(cancel)
        try:
            lock.acquire(timeout=0 if not told else POLL)
            return True
        except filelock.Timeout:
            pass
        if not told and on_wait is not None:
            on_wait(waiting)
        told = True
        if deadline is not None and time.monotonic() >= deadline:
            return False


@contextlib.contextmanager
def install_root_lock(
    settings: Settings,
    *,
    timeout: float = ROOT_LOCK_TIMEOUT,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[None]:
    """Hold the install root's lock; LockBusy after `timeout` seconds of waiting."""
    root = settings.install_dir
    root.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(root_lock_path(settings))
    waiting = Progress("lock", message=f"waiting for another pybs-tui working in {root}")
    busy = f"another pybs-tui is installing or removing interpreters in {root}"
    with _holding(lock, timeout, cancel, progress, waiting, busy):
        yield


@contextlib.contextmanager
def _holding(
    lock: filelock.FileLock,
    timeout: float | None,
    cancel: threading.Event | None,
    progress: ProgressCallback | None,
    waiting: Progress,
    busy: str,
) -> Iterator[None]:
    """Hold `lock` for the block; LockBusy ("<busy>; try again when it finishes") if it
    could not be had within `timeout`."""
    if not _acquire(lock, timeout, cancel, progress, waiting):
        raise LockBusy(f"{busy}; try again when it finishes")
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def build_lock(
    settings: Settings,
    name: str,
    *,
    timeout: float | None = None,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> Iterator[None]:
    """Hold the lock of one archive name; waits (cancellable) while another process has it."""
    check_asset_name(name)
    folder = settings.install_dir / LOCKS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(folder / f"{name}.lock")
    waiting = Progress("lock", message=f"waiting for another pybs-tui installing {name}")
    busy = f"another pybs-tui is installing {name} into {settings.install_dir}"
    with _holding(lock, timeout, cancel, progress, waiting, busy):
        yield


# -- staging and trash ---------------------------------------------------------------------------


def _fresh_name(settings: Settings, prefix: str) -> Path:
    return settings.install_dir / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"


def make_staging(settings: Settings) -> Path:
    """A fresh, empty staging folder beside the installs, named after this process."""
    root = settings.install_dir
    root.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        path = _fresh_name(settings, STAGING_PREFIX)
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return path
    raise InstallError(f"cannot create a staging folder in {root}")


def move_to_trash(settings: Settings, path: Path) -> Path:
    """Rename `path` into a trash folder name beside it (one step: gone from every listing).
    The caller holds the root lock and deletes the trash (`remove_tree`) afterwards."""
    trash = _fresh_name(settings, TRASH_PREFIX)
    os.rename(path, trash)
    return trash


def pid_alive(pid: int) -> bool:
    """Whether a process may still own a staging or trash folder named after its pid."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but not ours, or we cannot tell: keep it
    return True


def sweep_stale(settings: Settings) -> list[Path]:
    """Delete staging and trash left by processes that no longer run (root lock held):
    folders, and files or links too (a replaced file goes to trash as it is; a link is
    unlinked, never followed)."""
    removed: list[Path] = []
    try:
        entries = list(settings.install_dir.iterdir())
    except OSError:
        return removed
    for path in entries:
        m = _LEFTOVER.match(path.name)
        if m is None or pid_alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            remove_tree(path)
            removed.append(path)
    return removed


# -- walking and removal ---------------------------------------------------------------------------

#: Folder descriptors can be used for every step of a walk (not on Windows: paths there).
FD_WALK = {os.open, os.stat, os.unlink, os.rmdir, os.chmod} <= os.supports_dir_fd and (
    os.scandir in os.supports_fd
)
_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _ident(fd: int) -> tuple[int, int]:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _open_dir(parent_fd: int, name: str, writable: bool) -> int:
    """The folder `name` in `parent_fd`, opened without following a link; with `writable`
    the owner gets rwx on it first (so that it can be emptied)."""
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    except PermissionError:
        if not writable:
            raise
        st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
        if not stat.S_ISDIR(st.st_mode):
            raise
        os.chmod(name, stat.S_IMODE(st.st_mode) | stat.S_IRWXU, dir_fd=parent_fd)
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent_fd)
    if writable:
        try:
            _make_writable_dir_fd(fd)
        except BaseException:
            os.close(fd)
            raise
    return fd


def _make_writable_dir_fd(fd: int) -> None:
    mode = os.fstat(fd).st_mode
    if mode & stat.S_IRWXU != stat.S_IRWXU:
        os.fchmod(fd, stat.S_IMODE(mode) | stat.S_IRWXU)


def walk_folders(
    parent_fd: int, name: str, *, writable: bool = False
) -> Iterator[tuple[str, int, Any]]:
    """Walk the folder `name` of `parent_fd` depth first through folder descriptors: no
    recursion, two descriptors open at a time, any depth and any path length, links never
    followed (a link is an entry like a file).

    Yields ("enter", fd, entries) when a folder is opened (its entries listed; the consumer
    may unlink the ones that are not folders), then its subfolders, then ("leave", parent fd,
    folder name). Going up is ``..`` checked against the folder it must be (a folder moved
    meanwhile raises OSError). Without `writable`, subfolders that cannot be opened are
    skipped; with it, each folder gets owner rwx first and failures raise.
    """
    fd = _open_dir(parent_fd, name, writable)
    # per open level: its name, its (st_dev, st_ino), its subfolders still to walk
    levels: list[tuple[str, tuple[int, int], list[str] | None]] = [(name, _ident(fd), None)]
    try:
        while levels:
            here, ident, todo = levels[-1]
            if todo is None:
                with os.scandir(fd) as it:
                    entries = list(it)
                todo = [e.name for e in reversed(entries) if _is_dir(e)]
                levels[-1] = (here, ident, todo)
                yield "enter", fd, entries
            if todo:
                child = todo.pop()
                try:
                    below = _open_dir(fd, child, writable)
                except OSError as exc:
                    if writable and exc.errno not in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
                        raise
                    continue  # gone, replaced by a non-folder, or unreadable (size only)
                os.close(fd)
                fd = below
                levels.append((child, _ident(fd), None))
                continue
            levels.pop()
            if not levels:
                os.close(fd)
                fd = -1
                yield "leave", parent_fd, here
                break
            up = os.open("..", _DIR_FLAGS, dir_fd=fd)
            if _ident(up) != levels[-1][1]:
                os.close(up)
                raise OSError(errno.EBUSY, "a folder was moved during the walk", here)
            os.close(fd)
            fd = up
            yield "leave", fd, here
    finally:
        if fd >= 0:
            os.close(fd)


@contextlib.contextmanager
def parent_of(path: str) -> Iterator[tuple[int, str]]:
    """(descriptor of the folder holding `path`, its last name), closed afterwards."""
    parent, name = os.path.split(os.path.abspath(path))
    fd = os.open(parent or os.sep, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC)
    try:
        yield fd, name
    finally:
        os.close(fd)


def _make_writable_dir(path: str, mode: int) -> None:
    """Give the owner rwx on a dir (known to be a real dir by lstat) so it can be emptied."""
    if mode & stat.S_IRWXU != stat.S_IRWXU:
        os.chmod(path, stat.S_IMODE(mode) | stat.S_IRWXU)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except PermissionError:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            raise
        os.chmod(path, stat.S_IMODE(st.st_mode) | stat.S_IWUSR)  # Windows read-only files
        os.unlink(path)


def remove_tree(top: Path | str) -> None:
    """Delete a tree bottom-up without following symlinks (links are unlinked, never entered);
    read-only folders are made writable first. Any depth and path length (folder
    descriptors, no recursion). Nothing there: nothing to do. OSError when something cannot
    be deleted."""
    top_s = os.fspath(top)
    try:
        st = os.lstat(top_s)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        _unlink(top_s)
        return
    if not FD_WALK:
        _remove_tree_by_path(top_s)
        return
    with parent_of(top_s) as (parent_fd, name):
        for event, fd, what in walk_folders(parent_fd, name, writable=True):
            if event == "enter":
                for entry in what:
                    if not _is_dir(entry):
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(entry.name, dir_fd=fd)
            else:
                with contextlib.suppress(FileNotFoundError):
                    os.rmdir(what, dir_fd=fd)


def _remove_tree_by_path(top_s: str) -> None:
    """remove_tree where folder descriptors are not available (Windows)."""
    stack: list[tuple[str, bool]] = [(top_s, False)]
    while stack:
        current, emptied = stack.pop()
        try:
            if emptied:
                os.rmdir(current)
                continue
            _make_writable_dir(current, os.lstat(current).st_mode)
            stack.append((current, True))
            with os.scandir(current) as it:
                entries = list(it)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                continue  # someone else removed it meanwhile
            raise
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, False))
            else:
                with contextlib.suppress(FileNotFoundError):
                    _unlink(entry.path)
