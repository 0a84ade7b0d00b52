"""Pack the Python running the tests into a PBS-shaped install_only archive (a real interpreter)."""

from __future__ import annotations

import io
import os
import sys
import sysconfig
import tarfile
from pathlib import Path

SKIP_DIRS = {
    "site-packages",
    "dist-packages",
    "test",
    "tests",
    "idle_test",
    "__pycache__",
    "idlelib",
    "tkinter",
    "turtledemo",
    "ensurepip",
    "lib2to3",
    "pydoc_data",
}


def real_python_version() -> str:
    return "{}.{}.{}".format(*sys.version_info[:3])


def can_pack() -> str | None:
    """Why this runner's Python cannot be packed, or None if it can."""
    if os.name != "posix":
        return "needs a POSIX Python"
    if sys.version_info.releaselevel != "final":
        return "a pre-release runner has no matching archive name"
    minor = "{}.{}".format(*sys.version_info[:2])
    base = Path(sys.base_prefix)
    if not (base / "bin" / f"python{minor}").is_file():
        return f"no {base}/bin/python{minor}"
    if not (base / "lib" / f"python{minor}" / "os.py").is_file():
        return "the stdlib is not at lib/pythonX.Y"
    if sysconfig.get_config_var("Py_DEBUG") or sysconfig.get_config_var("Py_GIL_DISABLED"):
        return "the runner is a debug or free-threaded build"
    return None


def _add(tar: tarfile.TarFile, path: Path, arcname: str) -> None:
    info = tar.gettarinfo(str(path), arcname)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    if info.isreg():
        with path.open("rb") as fh:
            tar.addfile(info, fh)
    elif info.isdir() or info.issym():
        tar.addfile(info)


def _walk(tar: tarfile.TarFile, src: Path, arc: str) -> None:
    _add(tar, src, arc)
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIP_DIRS and not d.startswith("config-")
        )
        rel = os.path.relpath(dirpath, src)
        base = arc if rel == "." else f"{arc}/{rel}"
        for name in dirnames:
            _add(tar, Path(dirpath) / name, f"{base}/{name}")
        for name in sorted(filenames):
            if name.endswith((".pyc", ".a", ".exe")):
                continue
            _add(tar, Path(dirpath) / name, f"{base}/{name}")


def pack_real_python() -> bytes:
    """install_only tar.gz bytes: python/bin/python3.X, python/lib (stdlib, libpython), include."""
    minor = "{}.{}".format(*sys.version_info[:2])
    base = Path(sys.base_prefix)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz", compresslevel=1, format=tarfile.PAX_FORMAT) as tar:
        for d in ("python", "python/bin", "python/lib"):
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        _add(tar, base / "bin" / f"python{minor}", f"python/bin/python{minor}")
        link = tarfile.TarInfo("python/bin/python3")
        link.type, link.linkname = tarfile.SYMTYPE, f"python{minor}"
        tar.addfile(link)
        _walk(tar, base / "lib" / f"python{minor}", f"python/lib/python{minor}")
        config = next((base / "lib" / f"python{minor}").glob("config-*"), None)
        if config is not None:  # the Makefile and friends, without the static library
            _add(tar, config, f"python/lib/python{minor}/{config.name}")
            for path in sorted(config.iterdir()):
                if path.is_file() and not path.name.endswith(".a"):
                    _add(tar, path, f"python/lib/python{minor}/{config.name}/{path.name}")
        if sysconfig.get_config_var("Py_ENABLE_SHARED"):
            for path in sorted((base / "lib").glob("libpython*")):
                _add(tar, path, f"python/lib/{path.name}")
        include = base / "include" / f"python{minor}"
        if include.is_dir():
            _walk(tar, include, f"python/include/python{minor}")
        pkgconfig = base / "lib" / "pkgconfig"
        if pkgconfig.is_dir():
            _walk(tar, pkgconfig, "python/lib/pkgconfig")
    return buf.getvalue()
