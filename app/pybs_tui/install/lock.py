"""Cross-process locks for the install root (file locks: released by the OS if a process dies).

- `install_root_lock`: ``<install_dir>/.lock``, held briefly to sweep stale staging folders
  and to publish or remove an install. Waits up to a timeout, then a clear one-line error.
- `build_lock`: ``<install_dir>/.locks/<asset>.lock``, held from the "already installed?" check
  through download and publish of one archive, so two processes installing the same build do
  not download it twice: the second waits (cancellable), then finds it installed.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import filelock

from ..settings import Settings
from .progress import InstallError, Progress, ProgressCallback, check_cancel

LOCK_NAME = ".lock"
LOCKS_DIR = ".locks"
ROOT_LOCK_TIMEOUT = 10.0
POLL = 0.1
_SAFE = re.compile(r"^[A-Za-z0-9._+\-]+$")


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


@contextmanager
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
    if not _acquire(lock, timeout, cancel, progress, waiting):
        raise LockBusy(f"another pybs-tui is installing into {root}; try again when it finishes")
    try:
        yield
    finally:
        lock.release()


@contextmanager
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
    if not _acquire(lock, timeout, cancel, progress, waiting):
        raise LockBusy(
            f"another pybs-tui is installing {name} into {settings.install_dir}; "
            "try again when it finishes"
        )
    try:
        yield
    finally:
        lock.release()
