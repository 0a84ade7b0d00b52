"""Ask real uv which archive it downloads for a request, without downloading anything.

`uv python install SPEC` is pointed (UV_PYTHON_INSTALL_MIRROR) at a loopback server that logs
the path asked and answers 404; the archive name is the last part of that path. uv comes from
PyPI (the `uv` package in the test extras); its own Python downloads are never reached.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote

from tests.support.server import LoopbackServer


def uv_binary() -> str:
    """The uv executable of the `uv` package installed with the test extras (it lands beside
    this interpreter's scripts), else uv on PATH."""
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        candidate = Path(folder) / ("uv.exe" if os.name == "nt" else "uv")
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("uv")
    if found is None:
        raise RuntimeError("uv is not installed: pip install '.[test]' brings it")
    return found


def uv_version() -> str:
    out = subprocess.run([uv_binary(), "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def uv_downloads(specs: Iterable[str], workdir: Path) -> dict[str, str | None]:
    """SPEC -> the archive file name uv asks its mirror for (None: uv asked for nothing)."""
    specs = list(specs)
    seen: dict[str, list[str]] = {}

    with LoopbackServer() as server:  # no routes: every path is logged and answers 404

        def ask(index_spec: tuple[int, str]) -> tuple[str, list[str]]:
            index, spec = index_spec
            prefix = f"/m{index}"
            env = dict(os.environ)
            env.update(
                UV_PYTHON_INSTALL_MIRROR=server.url(prefix),
                UV_PYTHON_INSTALL_DIR=str(workdir / f"py{index}"),
                UV_CACHE_DIR=str(workdir / f"cache{index}"),
                UV_NO_CONFIG="1",
                UV_PYTHON_DOWNLOADS="automatic",
                UV_NO_PROGRESS="1",
            )
            for var in ("UV_PYTHON_DOWNLOADS_JSON_URL", "UV_OFFLINE", "UV_PYTHON"):
                env.pop(var, None)
            subprocess.run(
                [uv_binary(), "python", "install", spec],
                capture_output=True,
                text=True,
                timeout=120,
                env=env,
                cwd=workdir,
            )
            paths = [r.path for r in server.log if r.path.startswith(prefix + "/")]
            return spec, paths

        with ThreadPoolExecutor(max_workers=4) as pool:
            for spec, paths in pool.map(ask, enumerate(specs)):
                seen[spec] = paths
    return {
        spec: (unquote(paths[0].rsplit("/", 1)[-1]) if paths else None)
        for spec, paths in seen.items()
    }
