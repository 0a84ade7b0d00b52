"""Stream a PBS archive (.tar.zst or .tar.gz) into a staging folder, refusing anything hostile.

Every member passes our own checks before a byte of it is written (names, link targets resolved
through the links seen so far, types, duplicates, caps), then tarfile's ``data`` filter, then a
walk of the finished tree. Files are created with O_EXCL|O_NOFOLLOW, so nothing is ever written
through a link. Any failure or cancel removes the staging folder; nothing outside it is touched.

Staging folders live beside the installs (``<install_dir>/.staging-<pid>-<random>``) so that
publishing is one rename on one file system; ``sweep_stale`` removes those of dead processes.
"""

from __future__ import annotations

import contextlib
import errno
import gzip
import os
import re
import secrets
import shutil
import stat
import tarfile
import threading
import time
import zlib
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from ..settings import Settings
from .progress import Cancelled, InstallError, Progress, ProgressCallback, check_cancel

STAGING_PREFIX = ".staging-"
TRASH_PREFIX = ".trash-"
TOP = "python"
FULL_SUBDIR = "install"
#: Where the rest of a full archive (PYTHON.json, build/, licenses/) goes inside the install.
FULL_EXTRAS = ".pbs-full"
MAX_PATH = 4096
MAX_COMPONENT = 255
MAX_LINK_HOPS = 40
#: Bytes tarfile may read between two members beyond their data (headers, pax records).
HEADER_BUDGET = 1 << 20
CHUNK = 1 << 20
PROGRESS_INTERVAL = 0.1
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"
_DRIVE = re.compile(r"^[A-Za-z]:")
_STAGING_NAME = re.compile(r"^\.(?:staging|trash)-(\d+)-[0-9a-f]+$")


class ArchiveRefused(InstallError):
    """The archive holds something we will not extract; str() names the member and why."""


@dataclass
class ExtractResult:
    """A finished extraction: the staging folder and the interpreter tree inside it."""

    staging: Path  # the folder to remove once published (or on failure)
    root: Path  # the interpreter tree: staging/python or staging/python/install
    layout: str  # "install_only" or "full"
    executable: Path  # root/bin/python3 or root/python.exe
    members: int
    unpacked_bytes: int


# -- staging folders ---------------------------------------------------------------------------


def make_staging(settings: Settings, prefix: str = STAGING_PREFIX) -> Path:
    """A fresh, empty staging folder beside the installs, named after this process."""
    root = settings.install_dir
    root.mkdir(parents=True, exist_ok=True)
    for _ in range(10):
        path = root / f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return path
    raise InstallError(f"cannot create a staging folder in {root}")


def _pid_alive(pid: int) -> bool:
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
    """Remove staging and trash folders left by processes that no longer run."""
    removed: list[Path] = []
    try:
        entries = list(settings.install_dir.iterdir())
    except OSError:
        return removed
    for path in entries:
        m = _STAGING_NAME.match(path.name)
        if m is None or _pid_alive(int(m.group(1))):
            continue
        remove_tree(path)
        removed.append(path)
    return removed


def remove_tree(path: Path) -> None:
    """Delete a folder we created (links are removed, never followed); quiet if gone."""
    def onerror(func, failed, _exc):  # type: ignore[no-untyped-def]
        with contextlib.suppress(OSError):
            parent = os.path.dirname(failed)
            os.chmod(parent, stat.S_IRWXU)
            if not os.path.islink(failed) and os.path.isdir(failed):
                os.chmod(failed, stat.S_IRWXU)
            func(failed)

    if os.path.islink(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    if path.exists():
        shutil.rmtree(path, onerror=onerror)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)


# -- reading -------------------------------------------------------------------------------------


class _Guard:
    """A read-only view of the decompressed tar stream that caps what tarfile may read.

    `window_limit` bounds the bytes read since `open_window` (one member's data plus a header
    budget), so a pax header claiming gigabytes is refused instead of buffered; `total_limit`
    bounds the whole stream.
    """

    def __init__(self, raw: BinaryIO, total_limit: int) -> None:
        self.raw = raw
        self.total = 0
        self.total_limit = total_limit
        self.window = 0
        self.window_limit = HEADER_BUDGET

    def open_window(self, data_bytes: int = 0) -> None:
        self.window = 0
        self.window_limit = data_bytes + HEADER_BUDGET

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = CHUNK
        try:
            data = self.raw.read(size)
        except zstandard.ZstdError as exc:
            raise _decompress_error(exc) from None
        except (OSError, EOFError, zlib.error) as exc:
            raise ArchiveRefused(f"the archive is corrupt: {_one_line(exc)}") from None
        self.total += len(data)
        self.window += len(data)
        if self.window > self.window_limit:
            raise ArchiveRefused("refused archive: a tar header carries more than "
                                 f"{HEADER_BUDGET // 1024} KiB of metadata")
        if self.total > self.total_limit:
            raise ArchiveRefused(f"refused archive: it unpacks to more than "
                                 f"{_size(self.total_limit)} (limit)")
        return data


def _one_line(exc: BaseException | str) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def _decompress_error(exc: zstandard.ZstdError) -> ArchiveRefused:
    text = _one_line(exc)
    if "memory" in text.lower() or "window" in text.lower():
        return ArchiveRefused("refused archive: its zstd frame needs a decompression window "
                              "larger than the 128 MiB limit")
    return ArchiveRefused(f"the archive is corrupt: {text}")


def _open_stream(fh: BinaryIO, settings: Settings, archive: Path) -> BinaryIO:
    magic = fh.read(4)
    fh.seek(0)
    if magic.startswith(_ZSTD_MAGIC):
        dctx = zstandard.ZstdDecompressor(max_window_size=settings.limits.max_zstd_window)
        return dctx.stream_reader(fh, read_size=CHUNK, read_across_frames=True)  # type: ignore[return-value]
    if magic.startswith(_GZIP_MAGIC):
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    raise ArchiveRefused(f"{archive.name} is neither a zstd nor a gzip archive")


# -- member checks -------------------------------------------------------------------------------


def check_name(name: str) -> tuple[str, ...]:
    """The normalised parts of a member name; ArchiveRefused for anything odd or escaping."""
    shown = repr(name[:80] + ("..." if len(name) > 80 else ""))
    if not name:
        raise ArchiveRefused("refused member with an empty name")
    if "\x00" in name:
        raise ArchiveRefused(f"refused member {shown}: NUL in its name")
    if "\\" in name:
        raise ArchiveRefused(f"refused member {shown}: backslash in its name")
    if name.startswith("/"):
        raise ArchiveRefused(f"refused member {shown}: absolute path")
    if _DRIVE.match(name):
        raise ArchiveRefused(f"refused member {shown}: drive letter in its name")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_PATH:
        raise ArchiveRefused(f"refused member {shown}: path longer than {MAX_PATH} bytes")
    parts = tuple(p for p in name.split("/") if p not in ("", "."))
    if not parts:
        raise ArchiveRefused(f"refused member {shown}: empty name")
    for part in parts:
        if part == "..":
            raise ArchiveRefused(f"refused member {shown}: '..' in its path")
        if len(part.encode("utf-8", "surrogateescape")) > MAX_COMPONENT:
            raise ArchiveRefused(f"refused member {shown}: a path component longer than "
                                 f"{MAX_COMPONENT} bytes")
    return parts


def _check_link_target(shown: str, target: str) -> None:
    if not target:
        raise ArchiveRefused(f"refused link {shown}: empty target")
    if "\x00" in target or "\\" in target:
        raise ArchiveRefused(f"refused link {shown}: odd characters in its target")
    if target.startswith("/") or _DRIVE.match(target):
        raise ArchiveRefused(f"refused link {shown}: absolute target {target!r}")
    if len(target.encode("utf-8", "surrogateescape")) > MAX_PATH:
        raise ArchiveRefused(f"refused link {shown}: target longer than {MAX_PATH} bytes")


class _Tree:
    """What has been extracted so far, as the archive described it."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, ...]] = set()
        self.dirs: set[tuple[str, ...]] = set()
        self.files: set[tuple[str, ...]] = set()  # regular files (hardlink targets)
        self.links: dict[tuple[str, ...], str] = {}  # symlink -> target
        self.used_as_dir: set[tuple[str, ...]] = set()  # paths something was put below

    def confinement(self, parts: tuple[str, ...]) -> tuple[str, ...]:
        """The subtree a link at `parts` must stay in: python/install/ for full, else python/."""
        if len(parts) > 2 and parts[1] == FULL_SUBDIR:
            return parts[:2]
        return parts[:1]

    def resolve(self, link: tuple[str, ...], target: str) -> tuple[str, ...]:
        """Where a symlink at `link` points, following the links seen so far like the kernel."""
        shown = "/".join(link)
        jail = self.confinement(link)
        cur = list(link[:-1])
        queue = deque(target.split("/"))
        hops = 0
        while queue:
            part = queue.popleft()
            if part in ("", "."):
                continue
            if part == "..":
                if len(cur) <= len(jail):
                    raise ArchiveRefused(f"refused link {shown!r} -> {target!r}: it points "
                                         f"outside {'/'.join(jail)}/")
                cur.pop()
                continue
            cur.append(part)
            key = tuple(cur)
            if key in self.links:
                hops += 1
                if hops > MAX_LINK_HOPS:
                    raise ArchiveRefused(f"refused link {shown!r}: symlink loop")
                cur.pop()
                queue.extendleft(reversed(self.links[key].split("/")))
            elif any(p not in ("", ".") for p in queue):
                if key in self.files:
                    raise ArchiveRefused(f"refused link {shown!r} -> {target!r}: it goes "
                                         "through a file")
                self.used_as_dir.add(key)
        return tuple(cur)


# -- extraction ----------------------------------------------------------------------------------


class _Reporter:
    def __init__(self, callback: ProgressCallback | None) -> None:
        self.callback = callback
        self.last = 0.0

    def report(self, done: int, *, force: bool = False, message: str = "") -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            self.callback(Progress("extract", done, None, None, message))


def _write_chunk(fd: int, data: bytes) -> None:
    """Write all of `data` to `fd` (one place to fail, e.g. ENOSPC)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class _Extractor:
    def __init__(self, settings: Settings, archive: Path, staging: Path,
                 progress: ProgressCallback | None, cancel: threading.Event | None) -> None:
        self.settings = settings
        self.archive = archive
        self.staging = staging
        self.cancel = cancel
        self.reporter = _Reporter(progress)
        self.tree = _Tree()
        self.members = 0
        self.declared = 0  # bytes of regular files announced so far
        self.written = 0
        self.dir_modes: dict[Path, int] = {}

    def run(self) -> None:
        limits = self.settings.limits
        total_limit = limits.max_unpacked_bytes + 1024 * limits.max_members + 4 * HEADER_BUDGET
        with self.archive.open("rb") as fh:
            stream = _open_stream(fh, self.settings, self.archive)
            guard = _Guard(stream, total_limit)
            try:
                tar = tarfile.open(fileobj=guard, mode="r|")  # type: ignore  # noqa: SIM115
            except tarfile.TarError as exc:
                raise ArchiveRefused(f"{self.archive.name} is not a tar archive (empty, "
                                     f"truncated or corrupt: {_one_line(exc)})") from None
            with tar:
                while True:
                    check_cancel(self.cancel)
                    guard.open_window()
                    try:
                        member = tar.next()
                    except tarfile.TarError as exc:
                        raise ArchiveRefused(f"the archive is corrupt: {_one_line(exc)}") from None
                    if member is None:
                        break
                    guard.open_window(member.size if member.isreg() else 0)
                    self._member(tar, member)
        if self.members == 0:
            raise InstallError("unexpected archive layout: the archive is empty")
        for path, mode in sorted(self.dir_modes.items(), reverse=True):
            os.chmod(path, mode)
        self.reporter.report(self.written, force=True, message=f"{self.members} members")

    # -- one member --------------------------------------------------------------------------
    def _member(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        limits = self.settings.limits
        self.members += 1
        if self.members > limits.max_members:
            raise ArchiveRefused(f"refused archive: more than {limits.max_members} members "
                                 "(limit)")
        parts = check_name(member.name)
        shown = "/".join(parts)
        tree = self.tree
        if parts[0] != TOP:
            raise InstallError(f"unexpected archive layout: top-level entry {parts[0]!r} "
                               f"(PBS archives hold a single {TOP}/ folder)")
        if parts in tree.seen:
            raise ArchiveRefused(f"refused member {shown!r}: duplicate name")
        for i in range(1, len(parts)):
            prefix = parts[:i]
            if prefix in tree.links:
                raise ArchiveRefused(f"refused member {shown!r}: written through the symlink "
                                     f"{'/'.join(prefix)!r}")
            if prefix in tree.files:
                raise ArchiveRefused(f"refused member {shown!r}: below the file "
                                     f"{'/'.join(prefix)!r}")
        if len(parts) == 1 and not member.isdir():
            raise InstallError(f"unexpected archive layout: {TOP} is not a folder")

        if member.isdir():
            kind = "dir"
        elif member.issym():
            kind = "symlink"
            _check_link_target(repr(shown), member.linkname)
            if parts in tree.used_as_dir:
                raise ArchiveRefused(f"refused link {shown!r}: it replaces a folder used "
                                     "earlier")
            tree.links[parts] = member.linkname  # so that a loop through itself is seen
            tree.resolve(parts, member.linkname)
        elif member.islnk():
            kind = "hardlink"
            _check_link_target(repr(shown), member.linkname)
            try:
                target = check_name(member.linkname)
            except ArchiveRefused:
                target = ()
            if target not in tree.files:
                raise ArchiveRefused(f"refused hardlink {shown!r} -> {member.linkname!r}: only "
                                     "links to regular files extracted earlier are allowed")
        elif member.isreg() and not member.issparse():
            kind = "file"
            self.declared += member.size
            if self.declared > limits.max_unpacked_bytes:
                raise ArchiveRefused(f"refused archive: it unpacks to more than "
                                     f"{_size(limits.max_unpacked_bytes)} (limit)")
        else:
            what = ("device" if member.ischr() or member.isblk() else
                    "FIFO" if member.isfifo() else "sparse file" if member.issparse()
                    else "special member")
            raise ArchiveRefused(f"refused member {shown!r}: {what}")

        member = member.replace(name=shown, deep=False)
        try:
            filtered = tarfile.data_filter(member, str(self.staging))
        except tarfile.FilterError as exc:
            raise ArchiveRefused(f"refused member {shown!r}: {_one_line(exc)}") from None

        path = self.staging.joinpath(*parts)
        self._make_parents(parts)
        if kind == "dir":
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                raise ArchiveRefused(f"refused member {shown!r}: duplicate name")
            path.mkdir(exist_ok=True)
            self.dir_modes[path] = 0o755
            tree.dirs.add(parts)
        elif kind == "symlink":
            os.symlink(member.linkname, path)
        elif kind == "hardlink":
            source = self.staging.joinpath(*check_name(member.linkname))
            try:
                os.link(source, path, follow_symlinks=False)
            except OSError:
                shutil.copy2(source, path, follow_symlinks=False)
            tree.files.add(parts)
        else:
            self._write_file(tar, member, path, filtered.mode or 0o644)
            tree.files.add(parts)
        tree.seen.add(parts)
        self.reporter.report(self.written)

    def _make_parents(self, parts: tuple[str, ...]) -> None:
        tree = self.tree
        for i in range(1, len(parts)):
            prefix = parts[:i]
            tree.used_as_dir.add(prefix)
            if prefix in tree.dirs:
                continue
            path = self.staging.joinpath(*prefix)
            if path.is_symlink() or (path.exists() and not path.is_dir()):
                raise ArchiveRefused(f"refused member {'/'.join(parts)!r}: its parent is not "
                                     "a folder")
            path.mkdir(exist_ok=True)
            self.dir_modes.setdefault(path, 0o755)
            tree.dirs.add(prefix)
            tree.seen.add(prefix)

    def _write_file(self, tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path,
                    mode: int) -> None:
        source = tar.extractfile(member)
        if source is None:
            raise ArchiveRefused(f"refused member {member.name!r}: unreadable")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | \
            getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o600)
        try:
            remaining = member.size
            while remaining > 0:
                check_cancel(self.cancel)
                chunk = source.read(min(CHUNK, remaining))
                if not chunk:
                    raise ArchiveRefused(f"the archive is truncated inside {member.name!r}")
                _write_chunk(fd, chunk)
                remaining -= len(chunk)
                self.written += len(chunk)
                self.reporter.report(self.written)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, (mode & 0o755) | 0o600)
            if os.utime in os.supports_fd and member.mtime is not None:
                with contextlib.suppress(OSError, OverflowError, ValueError):
                    os.utime(fd, (member.mtime, member.mtime))
        finally:
            os.close(fd)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _check_tree_links(root: Path) -> None:
    """After extraction: every symlink under `root` resolves inside `root`."""
    real_root = os.path.realpath(root)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                target = os.path.realpath(path)
                if not _inside(target, real_root):
                    rel = os.path.relpath(path, root)
                    raise ArchiveRefused(f"refused link {rel!r}: it points outside the "
                                         "installed tree")


def _find_executable(root: Path) -> Path | None:
    real_root = os.path.realpath(root)
    for candidate in (root / "bin" / "python3", root / "python.exe"):
        if os.path.lexists(candidate):
            real = os.path.realpath(candidate)
            if _inside(real, real_root) and os.path.isfile(real):
                return candidate
    return None


def _layout(staging: Path, flavor: str | None) -> tuple[str, Path, Path]:
    """(layout, interpreter root, executable) of an extracted tree, or an InstallError."""
    top = staging / TOP
    if top.is_symlink() or not top.is_dir():
        raise InstallError(f"unexpected archive layout: no top-level {TOP}/ folder")
    full_root = top / FULL_SUBDIR
    if full_root.is_dir() and not full_root.is_symlink():
        layout, root = "full", full_root
    else:
        layout, root = "install_only", top
    shown = f"{TOP}/{FULL_SUBDIR}" if layout == "full" else TOP
    if flavor == "full" and layout != "full":
        raise InstallError(f"unexpected archive layout: a full archive without "
                           f"{TOP}/{FULL_SUBDIR}/")
    if flavor in ("install_only", "install_only_stripped") and layout == "full":
        raise InstallError(f"unexpected archive layout: an {flavor} archive with "
                           f"{TOP}/{FULL_SUBDIR}/")
    exe = _find_executable(root)
    if exe is None:
        raise InstallError(f"unexpected archive layout: no {shown}/bin/python3 "
                           f"(or {shown}/python.exe)")
    return layout, root, exe


def _fold_full_extras(staging: Path) -> None:
    """Move python/* other than install/ into python/install/.pbs-full/ (kept, out of the way)."""
    top = staging / TOP
    extras = [p for p in top.iterdir() if p.name != FULL_SUBDIR]
    if not extras:
        return
    dest = top / FULL_SUBDIR / FULL_EXTRAS
    if os.path.lexists(dest):
        raise InstallError(f"unexpected archive layout: {TOP}/{FULL_SUBDIR}/{FULL_EXTRAS} "
                           "already exists")
    dest.mkdir()
    for path in extras:
        os.rename(path, dest / path.name)


def extract_archive(settings: Settings, archive: Path, *, flavor: str | None = None,
                    progress: ProgressCallback | None = None,
                    cancel: threading.Event | None = None) -> ExtractResult:
    """Extract `archive` into a new staging folder and check its layout.

    `flavor` ('full', 'install_only', ...) makes the layout check strict. For full archives the
    interpreter tree python/install/ becomes the root and the rest of python/ is kept in
    ``<root>/.pbs-full/``. On any failure or cancel the staging folder is removed and the error
    (ArchiveRefused, InstallError or Cancelled) propagates; on success the caller owns it.
    """
    staging = make_staging(settings)
    try:
        extractor = _Extractor(settings, Path(archive), staging, progress, cancel)
        try:
            extractor.run()
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise InstallError(f"no space left on device while extracting into "
                                   f"{settings.install_dir}") from None
            where = exc.filename or staging
            raise InstallError(f"cannot extract into {where}: "
                               f"{_one_line(exc.strerror or exc)}") from None
        layout, root, exe = _layout(staging, flavor)
        if layout == "full":
            _fold_full_extras(staging)
        _check_tree_links(root)
        check_cancel(cancel)
        return ExtractResult(staging, root, layout, exe, extractor.members, extractor.written)
    except BaseException:
        remove_tree(staging)
        raise


__all__ = [
    "ArchiveRefused",
    "Cancelled",
    "ExtractResult",
    "check_name",
    "extract_archive",
    "make_staging",
    "remove_tree",
    "sweep_stale",
]
