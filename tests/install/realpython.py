"""Pack the Python running the tests into a PBS-shaped install_only archive (a real interpreter)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import sysconfig
import tarfile
from dataclasses import dataclass
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
    shared = bool(sysconfig.get_config_var("Py_ENABLE_SHARED"))
    return pack_python(Path(sys.base_prefix), minor, shared)


@dataclass(frozen=True)
class OtherPython:
    """Another real interpreter of this machine, described by itself."""

    base: Path
    version: str  # '3.12.1'
    minor: str  # '3.12'
    shared: bool


_DESCRIBE = (
    "import json, sys, sysconfig; print(json.dumps([sys.base_prefix, "
    "'%d.%d.%d' % sys.version_info[:3], sys.version_info.releaselevel, "
    "bool(sysconfig.get_config_var('Py_ENABLE_SHARED')), "
    "bool(sysconfig.get_config_var('Py_DEBUG') or sysconfig.get_config_var('Py_GIL_DISABLED'))]))"
)


def find_python(minor: str) -> OtherPython | None:
    """A packable CPython `minor` (e.g. '3.12'): the runner's own, else one named by
    PYBS_TEST_PYTHON_<major><minor> or found under ~/.pyenv/versions; None if none is."""
    candidates = [sys.executable]
    env = os.environ.get("PYBS_TEST_PYTHON_" + minor.replace(".", ""))
    if env:
        candidates.append(env)
    candidates += sorted(
        str(p) for p in Path("~/.pyenv/versions").expanduser().glob(f"{minor}.*/bin/python{minor}")
    )
    for exe in candidates:
        try:
            out = subprocess.run(
                [exe, "-I", "-c", _DESCRIBE], capture_output=True, text=True, timeout=30
            )
            base, version, level, shared, odd = json.loads(out.stdout)
        except (OSError, ValueError, subprocess.SubprocessError):
            continue
        found_minor = version.rsplit(".", 1)[0]
        if found_minor != minor or level != "final" or odd:
            continue
        base_path = Path(base)
        if (base_path / "bin" / f"python{minor}").is_file() and (
            base_path / "lib" / f"python{minor}" / "os.py"
        ).is_file():
            return OtherPython(base_path, version, minor, shared)
    return None


def pack_python(base: Path, minor: str, shared: bool) -> bytes:
    """install_only tar.gz bytes of the CPython `minor` installed under `base`."""
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
        if shared:
            for path in sorted((base / "lib").glob("libpython*")):
                _add(tar, path, f"python/lib/{path.name}")
        include = base / "include" / f"python{minor}"
        if include.is_dir():
            _walk(tar, include, f"python/include/python{minor}")
        pkgconfig = base / "lib" / "pkgconfig"
        if pkgconfig.is_dir():
            _walk(tar, pkgconfig, "python/lib/pkgconfig")
    return buf.getvalue()
