"""Make an extracted tree usable where it will live (like uv): links, sysconfig prefix, receipt.

PBS builds with ``--prefix=/install``; the interpreter itself is relocatable, but the recorded
build variables (``_sysconfigdata_*.py``, ``lib/pkgconfig/*.pc``, ``python3.X-config``, the
config Makefile) still name ``/install``, which breaks building C extensions. We replace that
prefix, as a whole path only (``/usr/bin/install`` stays), by the real install prefix.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from ..catalog.models import Build
from .receipts import RECEIPT_NAME, RECEIPT_SCHEMA

PBS_BUILD_PREFIX = "/install"
_PREFIX_VAR = re.compile(r"""['"]prefix['"]\s*:\s*['"]([^'"]+)['"]""")
_VERSIONED = re.compile(r"^python(\d+)\.(\d+)([a-z]*)\Z")


#: What may stand right before the prefix (besides the start, whitespace and -I/-L/-R), and
#: right after it (besides the end and whitespace).
_BEFORE = "'\"=,:"
_AFTER = "/'\",:;)"
_FLAGS = ("-I", "-L", "-R")


def replace_prefix(text: str, old: str, new: str) -> str:
    """Replace the build prefix `old` by `new` wherever it stands as a whole path: at a
    start, after whitespace, a quote, '=', ',', ':' or -I/-L/-R; before the end, whitespace,
    '/', a quote, ',', ':', ';' or ')'. (A scan with str.find: a regular expression that
    begins with look-behinds tries them at every character, 20 ms over the Makefile and
    sysconfigdata of one install.)"""
    old = old.rstrip("/") or "/"
    pieces: list[str] = []
    done = 0
    at = text.find(old)
    while at != -1:
        end = at + len(old)
        before = text[at - 1] if at else ""
        after = text[end] if end < len(text) else ""
        starts = (
            not before
            or before.isspace()
            or before in _BEFORE
            or (at >= 2 and text[at - 2 : at] in _FLAGS)
        )
        ends = not after or after.isspace() or after in _AFTER
        if starts and ends:
            pieces += (text[done:at], new)
            done = end
            at = text.find(old, end)
        else:
            at = text.find(old, at + 1)
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


def build_prefix(sysconfigdata: str) -> str:
    """The prefix a _sysconfigdata file was built with ('/install' for PBS)."""
    m = _PREFIX_VAR.search(sysconfigdata)
    return m.group(1) if m else PBS_BUILD_PREFIX


def ensure_python_links(root: Path, build: Build | None = None) -> list[str]:
    """Create bin/python3 and bin/python (-> python3.X) where missing; the names created."""
    bindir = root / "bin"
    if not bindir.is_dir() or bindir.is_symlink():
        return []  # Windows layout: python.exe at the root
    versioned = sorted(
        (p.name for p in bindir.iterdir() if _VERSIONED.match(p.name) and p.is_file()),
        key=lambda n: (
            not (build and build.version and n.startswith(f"python{build.version.minor_str}")),
            len(n),
            n,
        ),
    )
    created: list[str] = []
    if not versioned:
        return created
    target = versioned[0]
    for name in ("python3", "python"):
        link = bindir / name
        if not os.path.lexists(link):
            os.symlink(target, link)
            created.append(name)
    return created


def replace_with(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Put `data` at `path` in one step, writing only a new file of our own: a temporary
    name created with O_EXCL|O_NOFOLLOW (never an entry the archive shipped, never through a
    link), then renamed over `path` (a link there is replaced, not followed)."""
    fd, tmp = tempfile.mkstemp(prefix=".pybs-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            if hasattr(os, "fchmod"):
                os.fchmod(fh.fileno(), mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _rewrite(path: Path, old: str, new: str) -> bool:
    """Replace the prefix in one text file, atomically, keeping its mode; True if changed."""
    try:
        raw = path.read_bytes()
    except OSError:
        return False
    if b"\x00" in raw[:8192]:
        return False  # a binary, not a script
    text = raw.decode("utf-8", "surrogateescape")
    patched = replace_prefix(text, old, new)
    if patched == text:
        return False
    replace_with(path, patched.encode("utf-8", "surrogateescape"), path.lstat().st_mode)
    return True


def sysconfig_files(root: Path) -> list[Path]:
    """Files recording the build prefix: sysconfigdata, pkg-config, python-config, Makefile."""
    files: list[Path] = []
    lib = root / "lib"
    for libdir in sorted(lib.glob("python3*")):
        if libdir.is_symlink() or not libdir.is_dir():
            continue
        files += sorted(libdir.glob("_sysconfigdata_*.py"))
        files += sorted(p for p in libdir.glob("config-*/Makefile") if not p.is_symlink())
    files += sorted(p for p in (lib / "pkgconfig").glob("*.pc") if not p.is_symlink())
    bindir = root / "bin"
    if bindir.is_dir():
        files += sorted(
            p for p in bindir.glob("python*-config") if p.is_file() and not p.is_symlink()
        )
    return [p for p in files if p.is_file() and not p.is_symlink()]


def patch_sysconfig(root: Path, prefix: Path) -> list[Path]:
    """Point the recorded build prefix at `prefix` (the final install path); files changed."""
    files = sysconfig_files(root)
    old = PBS_BUILD_PREFIX
    for path in files:
        if path.name.startswith("_sysconfigdata_"):
            with contextlib.suppress(OSError):
                old = build_prefix(path.read_text("utf-8", "replace"))
            break
    new = os.fspath(prefix)
    if old.rstrip("/") == new.rstrip("/"):
        return []
    changed = [p for p in files if _rewrite(p, old, new)]
    for path in changed:
        if path.name.startswith("_sysconfigdata_"):  # stale bytecode would still say /install
            for pyc in (path.parent / "__pycache__").glob(path.stem + ".*.pyc"):
                with contextlib.suppress(OSError):
                    pyc.unlink()
    return changed


def make_receipt(
    build: Build,
    *,
    url: str,
    origin: str,
    sha256: str,
    size: int,
    source: str,
    verified: bool,
    probe: dict[str, Any],
    executable: str,
    installed_at: float,
    layout: str,
) -> dict[str, Any]:
    """The receipt of one install (schema pybs-tui-receipt/1).

    ``prefix`` is the interpreter root relative to the install folder: always "." because
    the folder holds the interpreter tree itself (python/ of install_only archives,
    python/install/ of full ones); ``executable`` is relative to it.
    """
    return {
        "schema": RECEIPT_SCHEMA,
        "name": build.name,
        "url": url,
        "origin": origin,
        "sha256": sha256,
        "size": size,
        "release": build.release,
        "version": build.version_str,
        "flavor": build.flavor,
        "build_options": sorted(build.options),
        "triple": build.triple,
        "installed_at": dt.datetime.fromtimestamp(installed_at, dt.UTC).isoformat(
            timespec="seconds"
        ),
        "source": source,
        "verified": verified,
        "probe": probe,
        "prefix": ".",
        "executable": executable,
        "layout": layout,
    }


def write_receipt(root: Path, receipt: dict[str, Any]) -> Path:
    """Write the receipt into the (staged) install folder, never through a link."""
    path = root / RECEIPT_NAME
    replace_with(path, (json.dumps(receipt, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return path
