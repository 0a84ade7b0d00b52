"""Install benchmark: `pybs-tui install` against `uv python install`, same archive, same server.

The archive is this machine's own Python packed in PBS's install_only layout (real interpreter
content, >= 40 MB compressed), in .tar.gz and .tar.zst, served from a loopback HTTP server.
uv is pointed at it with UV_PYTHON_INSTALL_MIRROR and UV_PYTHON_DOWNLOADS_JSON_URL; pybs-tui
with --mirror and a --catalog file. Runs alternate; medians of wall time and peak RSS.

Run after the README set-up plus `pip install uv`:  python bench/install_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.server import LoopbackServer, Route  # noqa: E402

GITHUB = "https://github.com/astral-sh/python-build-standalone/releases/download"
TAG = "20260101"


def pack_own_python(fmt: str, min_bytes: int = 40 * 1024 * 1024) -> bytes:
    """This interpreter's prefix as python/... (install_only layout), compressed."""
    prefix = Path(sys.base_prefix)
    ver = f"{sys.version_info.major}.{sys.version_info.minor}"
    stdlib = prefix / "lib" / f"python{ver}"
    skip = {"site-packages", "__pycache__"}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:

        def add(path: Path, arc: str) -> None:
            tar.add(str(path), arcname=arc, recursive=False)

        add(prefix, "python")
        for sub in ("bin", "lib", "include"):
            if (prefix / sub).exists():
                add(prefix / sub, f"python/{sub}")
        add(prefix / "bin" / f"python{ver}", f"python/bin/python{ver}")
        link = tarfile.TarInfo("python/bin/python3")
        link.type, link.linkname = tarfile.SYMTYPE, f"python{ver}"
        tar.addfile(link)
        for lib in sorted((prefix / "lib").glob("libpython*")):
            add(lib, f"python/lib/{lib.name}")
        for path in sorted(stdlib.rglob("*")):
            rel = path.relative_to(stdlib)
            if skip & set(rel.parts):
                continue
            add(path, f"python/lib/python{ver}/{rel}")
        include = prefix / "include"
        for path in sorted(include.rglob("*")):
            add(path, f"python/include/{path.relative_to(include)}")
    data = raw.getvalue()
    if fmt == "tar.gz":
        import gzip

        out = gzip.compress(data, compresslevel=6)
    else:
        import zstandard

        out = zstandard.ZstdCompressor(level=3).compress(data)
    if len(out) < min_bytes:  # pad with incompressible bytes so the download is realistic
        pad = os.urandom(min_bytes - len(out) + 1024)
        return pack_with_pad(data, pad, fmt)
    return out


def pack_with_pad(raw_tar: bytes, pad: bytes, fmt: str) -> bytes:
    """Re-pack with an extra incompressible file (python/share/pad.bin)."""
    out_raw = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(raw_tar)) as src,
        tarfile.open(fileobj=out_raw, mode="w") as dst,
    ):
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        info = tarfile.TarInfo("python/share/pad.bin")
        info.size = len(pad)
        dst.addfile(info, io.BytesIO(pad))
    if fmt == "tar.gz":
        import gzip

        return gzip.compress(out_raw.getvalue(), compresslevel=6)
    import zstandard

    return zstandard.ZstdCompressor(level=3).compress(out_raw.getvalue())


#: Runs the command and prints its wall time and peak RSS. A small launcher process is needed:
#: Linux carries the parent's RSS high-water mark across fork+exec, and this bench process
#: holds the archives in memory, so measuring its direct children would report its own peak.
_LAUNCHER = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t0
if code.returncode:
    sys.stderr.buffer.write(code.stderr[-800:])
    sys.exit(code.returncode)
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def _load() -> str:
    """The 1-minute load average (other jobs on the machine make the runs noisy)."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """(wall seconds, peak RSS in MB) of one command."""
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *cmd], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {out.stderr[-800:]}")
    wall, rss_kb = out.stdout.split()
    return float(wall), int(rss_kb) // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--formats", default="tar.gz,tar.zst")
    parser.add_argument(
        "--workdir",
        metavar="DIR",
        help="where both tools install (default: the temp dir); e.g. /dev/shm "
        "to take file-system costs out and compare CPU overheads",
    )
    args = parser.parse_args()
    uv = shutil.which("uv")
    if not uv:
        raise SystemExit("uv is not on PATH: pip install uv")
    work = Path(tempfile.mkdtemp(prefix="pybs-install-bench-", dir=args.workdir))
    ver = platform.python_version()
    triple = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}[
        platform.machine()
    ]
    print(
        f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cpus; "
        f"archive: Python {ver} from {sys.base_prefix} (Py_ENABLE_SHARED="
        f"{sysconfig.get_config_var('Py_ENABLE_SHARED')})"
    )
    print(f"installs in {work}")
    print(
        f"load average at start: {_load()}; PYTHONDONTWRITEBYTECODE="
        f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r} (pybs-tui's own modules are "
        f"compiled at every start when set)"
    )
    results = {}
    with LoopbackServer() as server:
        for fmt in args.formats.split(","):
            flavor = "install_only"
            name = f"cpython-{ver}+{TAG}-{triple}-{flavor}.{fmt}"
            data = pack_own_python(fmt)
            sha = hashlib.sha256(data).hexdigest()
            quoted = name.replace("+", "%2B")
            server.add(f"/{TAG}/{quoted}", Route(data))
            server.add(f"/{TAG}/{name}", Route(data))
            api = [
                {
                    "tag_name": TAG,
                    "assets": [
                        {
                            "name": name,
                            "size": len(data),
                            "digest": f"sha256:{sha}",
                            "browser_download_url": f"{GITHUB}/{TAG}/{quoted}",
                        }
                    ],
                }
            ]
            catalog = work / f"catalog-{fmt}.json"
            catalog.write_text(json.dumps(api))
            major, minor, patch = (int(x) for x in ver.split("."))
            uv_meta = {
                f"cpython-{ver}-linux-{platform.machine()}-gnu": {
                    "name": "cpython",
                    "arch": {"family": platform.machine(), "variant": None},
                    "os": "linux",
                    "libc": "gnu",
                    "major": major,
                    "minor": minor,
                    "patch": patch,
                    "prerelease": "",
                    "url": f"{GITHUB}/{TAG}/{quoted}",
                    "sha256": sha,
                    "variant": None,
                    "build": TAG,
                }
            }
            uv_json = work / f"uv-downloads-{fmt}.json"
            uv_json.write_text(json.dumps(uv_meta))
            print(f"{fmt}: {len(data) / 1e6:.1f} MB, sha256 {sha[:12]}")
            ours_t, ours_m, uv_t, uv_m = [], [], [], []
            for i in range(args.runs):
                home = work / f"home-{fmt}-{i}"
                env = dict(os.environ, PYBS_TUI_HOME=str(home))
                t, m = run_measured(
                    [
                        sys.executable,
                        "-m",
                        "pybs_tui",
                        "install",
                        name,
                        "--catalog",
                        str(catalog),
                        "--mirror",
                        server.base,
                        "--json",
                    ],
                    env,
                )
                ours_t.append(t)
                ours_m.append(m)
                shutil.rmtree(home, ignore_errors=True)
                uv_home = work / f"uv-{fmt}-{i}"
                uv_env = dict(
                    os.environ,
                    UV_PYTHON_INSTALL_DIR=str(uv_home / "py"),
                    UV_CACHE_DIR=str(uv_home / "cache"),
                    UV_NO_CONFIG="1",
                    UV_PYTHON_INSTALL_MIRROR=server.base,
                    UV_PYTHON_DOWNLOADS_JSON_URL=str(uv_json),
                )
                t, m = run_measured([uv, "python", "install", ver, "--no-bin"], uv_env)
                uv_t.append(t)
                uv_m.append(m)
                shutil.rmtree(uv_home, ignore_errors=True)
            results[fmt] = (
                statistics.median(ours_t),
                statistics.median(uv_t),
                max(ours_m),
                max(uv_m),
            )
            print(
                f"  pybs-tui install: median {results[fmt][0]:.2f} s, peak RSS {results[fmt][2]} MB"
            )
            print(
                f"  uv python install: median {results[fmt][1]:.2f} s, peak RSS "
                f"{results[fmt][3]} MB"
            )
            print(
                f"  wall-time ratio pybs-tui / uv: {results[fmt][0] / results[fmt][1]:.2f} "
                f"(median of {args.runs}, alternating)"
            )
            print(
                f"  runs (s): pybs-tui {' '.join(f'{t:.2f}' for t in ours_t)}; "
                f"uv {' '.join(f'{t:.2f}' for t in uv_t)}; load average now {_load()}"
            )
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
