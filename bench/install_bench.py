"""Install benchmark: `pybs-tui install` against `uv python install`, same archive, same server,
same rate.

The archive is a real CPython packed in PBS's install_only layout (python/bin, python/lib with
libpython and the standard library without its tests, python/include), as .tar.gz (and
.tar.zst with --formats). By default the interpreter is pyenv's 3.12.1 when this machine has it
(about 1.2k members, 66 MB unpacked, 24.5 MB as .tar.gz: the archive of issue 14), else the one
running this script. It is served from a loopback HTTP server whose token bucket sends at most
RATE bytes a second (--rates, in MB/s = 10^6 bytes/s; 0 is unthrottled). uv fetches it through
UV_PYTHON_INSTALL_MIRROR and UV_PYTHON_DOWNLOADS_JSON_URL, pybs-tui through --mirror and a
--catalog file: the same bytes from the same server at the same rate.

For each rate the tools run in turn (the order rotates every run), each through a small
launcher that reports its wall time, user and system CPU and peak RSS. Printed per rate: the
floor (archive bytes / rate: the transfer alone), each tool's median wall time, the ratio to
uv, the medians of CPU time, and the peak RSS over the runs. --baseline APP_DIR adds a
"before" tool: the same pybs-tui command with PYTHONPATH=APP_DIR (e.g. an export of an older
commit's app/ folder), measured in the same run.

Run after the README set-up plus `pip install uv`:
    python bench/install_bench.py [--runs 5] [--rates 5,10,50,0] [--baseline /tmp/old/app]
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import hashlib
import io
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GITHUB = "https://github.com/astral-sh/python-build-standalone/releases/download"
TAG = "20260101"
PYENV_312 = Path("/root/.pyenv/versions/3.12.1")
#: Parts of the standard library left out of the archive: tests, installed packages, caches.
#: No bytecode, as in PBS's own archives: its build script deletes every __pycache__ before
#: packing ("Downstream consumers don't require bytecode files. So remove them.",
#: cpython-unix/build-cpython.sh), so the new interpreter compiles what the probe imports.
SKIP_PARTS = {"site-packages", "__pycache__", "test", "tests", "idle_test"}
#: The one mtime of every member (PBS's packer sets a constant too).
PBS_MTIME = 946_684_800
#: Bytes the server writes at a time (and the token bucket's burst).
SEND_CHUNK = 64 * 1024


# -- the archive -----------------------------------------------------------------------------


def _python_version(prefix: Path) -> str:
    for exe in sorted((prefix / "bin").glob("python3.*")):
        if exe.name.count(".") == 1 and exe.name[len("python3.") :].isdigit():
            out = subprocess.run(
                [str(exe), "-c", "import platform; print(platform.python_version())"],
                capture_output=True,
                text=True,
                check=True,
            )
            return out.stdout.strip()
    raise SystemExit(f"no bin/python3.N in {prefix}")


def pack_install_only(prefix: Path, ver: str) -> bytes:
    """`prefix` as python/... (PBS's install_only layout), as an uncompressed tar.

    Kept: bin/pythonX.Y (+ python3 link), lib/libpython*, lib/pythonX.Y without tests,
    site-packages, caches and static libraries, include/. Members are sorted and normalised
    as PBS's own packer does (owner root, one whole-second mtime, so no pax header per
    member; group read/write), so the same prefix always gives the same archive.
    """
    short = ".".join(ver.split(".")[:2])
    stdlib = prefix / "lib" / f"python{short}"
    raw = io.BytesIO()

    def reset(info: tarfile.TarInfo) -> tarfile.TarInfo:  # as PBS's normalize_tarinfo
        info.pax_headers = {}
        info.mtime = PBS_MTIME
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode |= 0o660 | (0o010 if info.mode & 0o100 else 0)
        return info

    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(path: Path, arc: str) -> None:
            tar.add(str(path), arcname=arc, recursive=False, filter=reset)

        add(prefix, "python")
        for sub in ("bin", "lib", "include"):
            if (prefix / sub).exists():
                add(prefix / sub, f"python/{sub}")
        add(prefix / "bin" / f"python{short}", f"python/bin/python{short}")
        link = reset(tarfile.TarInfo("python/bin/python3"))
        link.type, link.linkname, link.mode = tarfile.SYMTYPE, f"python{short}", 0o777
        tar.addfile(link)
        for lib in sorted((prefix / "lib").glob("libpython*")):
            add(lib, f"python/lib/{lib.name}")
        for path in sorted(stdlib.rglob("*")):
            rel = path.relative_to(stdlib)
            if SKIP_PARTS & set(rel.parts) or path.suffix == ".a":
                continue
            add(path, f"python/lib/python{short}/{rel}")
        include = prefix / "include"
        for path in sorted(include.rglob("*")):
            add(path, f"python/include/{path.relative_to(include)}")
    return raw.getvalue()


def compress(data: bytes, fmt: str) -> bytes:
    if fmt == "tar.gz":
        import gzip

        return gzip.compress(data, compresslevel=9, mtime=0)
    import zstandard

    return zstandard.ZstdCompressor(level=19).compress(data)


# -- the server ------------------------------------------------------------------------------


@dataclass
class Served:
    """What the throttled server sends: files by path, and the rate (bytes/s; 0: no limit).
    `bodies` records each body sent: (wall-clock time the request arrived, time its last byte
    was written)."""

    files: dict[str, bytes] = field(default_factory=dict)
    rate: float = 0.0
    bodies: list[tuple[float, float]] = field(default_factory=list)


class ThrottledServer:
    """A loopback HTTP server (127.0.0.1 only) sending GET/HEAD answers through a token bucket.

    Each answer's body goes out in SEND_CHUNK pieces; before each piece the sender sleeps
    until the bytes sent so far fit the rate since the body started (a bucket refilled at
    `rate`, one piece deep). The rate is read per request, so one server serves every rate.
    """

    def __init__(self) -> None:
        served = self.served = Served()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                data = served.files.get(self.path.split("?")[0])
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                if not body:
                    return
                arrived = time.time()
                rate, start, sent = served.rate, time.perf_counter(), 0
                view = memoryview(data)
                try:
                    while sent < len(data):
                        if rate:
                            wait = start + sent / rate - time.perf_counter()
                            if wait > 0:
                                time.sleep(wait)
                        piece = view[sent : sent + SEND_CHUNK]
                        self.wfile.write(piece)
                        sent += len(piece)
                    self.wfile.flush()
                    served.bodies.append((arrived, time.time()))
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> ThrottledServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- measuring -------------------------------------------------------------------------------

#: Runs the command and prints its wall time, CPU times and peak RSS. A small launcher process
#: is needed: Linux carries the parent's RSS high-water mark across fork+exec, and this bench
#: process holds the archives in memory, so measuring its direct children would report its own
#: peak.
_LAUNCHER = """
import os, subprocess, sys, time
started = time.time()
t0 = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
err = proc.stderr.read()
_pid, status, usage = os.wait4(proc.pid, 0)
wall = time.perf_counter() - t0
code = os.waitstatus_to_exitcode(status)
if code:
    sys.stderr.buffer.write(err[-800:])
    sys.exit(code if code > 0 else 1)
import resource
total = resource.getrusage(resource.RUSAGE_CHILDREN)  # with the probe and other grandchildren
print(wall, total.ru_utime, total.ru_stime, total.ru_maxrss, started)
"""


@dataclass
class Sample:
    wall: float
    user: float
    sys: float
    rss_mb: int
    first_request: float = float("nan")  # from the start to the archive's request arriving
    after_last_byte: float = float("nan")  # from the archive's last byte sent to the end


def _load() -> str:
    """The 1-, 5- and 15-minute load averages (other jobs on the machine make runs noisy)."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def run_measured(cmd: list[str], env: dict[str, str], served: Served | None = None) -> Sample:
    """One run of `cmd` through the launcher; with `served`, also when the archive's request
    arrived and its last byte left (the server's clock and the launcher's are the same)."""
    if served is not None:
        served.bodies.clear()
    out = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *cmd], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed: {out.stderr[-800:]}")
    wall, user, system, rss_kb, started = out.stdout.split()
    sample = Sample(float(wall), float(user), float(system), int(rss_kb) // 1024)
    if served is not None and served.bodies:
        sample.first_request = served.bodies[0][0] - float(started)
        sample.after_last_byte = float(started) + sample.wall - served.bodies[-1][1]
    return sample


@dataclass
class Tool:
    name: str
    command: list[str]
    env: dict[str, str]
    home_vars: tuple[str, ...]  # variables naming folders to remove after each run
    samples: dict[float, list[Sample]] = field(default_factory=dict)


def _isal_version() -> str:
    try:
        from importlib.metadata import version

        return version("isal")
    except Exception:
        return "not installed (zlib inflates)"


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and rate")
    parser.add_argument(
        "--rates",
        default="5,10,50,0",
        help="server rates in MB/s (10^6 bytes/s), comma-separated; 0 is unthrottled",
    )
    parser.add_argument("--formats", default="tar.gz", help="tar.gz and/or tar.zst")
    parser.add_argument(
        "--python",
        metavar="PREFIX",
        help=f"interpreter prefix to pack (default: {PYENV_312} if present, else this one's)",
    )
    parser.add_argument(
        "--baseline",
        metavar="APP_DIR",
        help="also run pybs-tui with PYTHONPATH=APP_DIR (an older version's app/), as 'before'",
    )
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="do not compile pybs-tui's modules to bytecode first (as pip does when it "
        "installs a wheel); with PYTHONDONTWRITEBYTECODE set, every start then compiles them",
    )
    parser.add_argument(
        "--remove-between-runs",
        action="store_true",
        help="remove each install right after its run (default: all at the end; on ext4 "
        "without a journal, inodes freed seconds earlier are skipped by every create, which "
        "adds about 1 s of system time to each install of either tool)",
    )
    parser.add_argument(
        "--workdir",
        metavar="DIR",
        help="where the tools install (default: the temp dir); e.g. /dev/shm "
        "to take file-system costs out and compare CPU overheads",
    )
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    uv = shutil.which("uv")
    if not uv:
        raise SystemExit("uv is not on PATH: pip install uv")
    uv_version = subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.strip()
    prefix = Path(args.python or (PYENV_312 if PYENV_312.is_dir() else sys.base_prefix))
    ver = _python_version(prefix)
    work = Path(tempfile.mkdtemp(prefix="pybs-install-bench-", dir=args.workdir))
    triple = {"x86_64": "x86_64-unknown-linux-gnu", "aarch64": "aarch64-unknown-linux-gnu"}[
        platform.machine()
    ]
    print(f"date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"command: {shlex.join([os.path.relpath(sys.executable), *sys.argv])}")
    print(
        f"machine: {platform.machine()} {platform.system()} {platform.release()}, "
        f"{os.cpu_count()} cpus; bench Python {platform.python_version()}; {uv_version}"
    )
    when = "after each run" if args.remove_between_runs else "at the end"
    print(f"installs in {work} (removed {when}); load average at start: {_load()}")
    apps = [Path(__import__("pybs_tui").__file__).parent]
    if args.baseline:
        apps.append(Path(args.baseline) / "pybs_tui")
    if not args.no_compile:
        for app in apps:
            compileall.compile_dir(app, quiet=1)
    print(
        f"pybs-tui modules: {', '.join(map(str, apps))}, "
        f"{'not ' if args.no_compile else ''}compiled to bytecode first (PYTHONDONTWRITEBYTECODE="
        f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r}); python-isal "
        f"{_isal_version()}"
    )
    raw_tar = pack_install_only(prefix, ver)
    with tarfile.open(fileobj=io.BytesIO(raw_tar)) as tar:
        members = tar.getmembers()
    files = sum(m.isfile() for m in members)
    unpacked = sum(m.size for m in members if m.isfile())
    print(
        f"archive: CPython {ver} from {prefix}, install_only layout, {len(members)} members "
        f"({files} files), {unpacked / 1e6:.1f} MB unpacked"
    )
    with ThrottledServer() as server:
        for fmt in args.formats.split(","):
            name = f"cpython-{ver}+{TAG}-{triple}-install_only.{fmt}"
            data = compress(raw_tar, fmt)
            sha = hashlib.sha256(data).hexdigest()
            quoted = name.replace("+", "%2B")
            server.served.files = {f"/{TAG}/{quoted}": data, f"/{TAG}/{name}": data}
            catalog = work / f"catalog-{fmt}.json"
            catalog.write_text(
                json.dumps(
                    [
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
                )
            )
            major, minor, patch = (int(x) for x in ver.split("."))
            uv_json = work / f"uv-downloads-{fmt}.json"
            uv_json.write_text(
                json.dumps(
                    {
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
                )
            )
            print(f"{fmt}: {len(data) / 1e6:.1f} MB, sha256 {sha[:12]}")
            ours = [
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
            ]
            tools = [Tool("pybs-tui", ours, {"PYBS_TUI_HOME": ""}, ("PYBS_TUI_HOME",))]
            if args.baseline:
                tools.append(
                    Tool(
                        "before",
                        ours,
                        {
                            "PYBS_TUI_HOME": "",
                            "PYTHONPATH": os.path.abspath(args.baseline),
                        },
                        ("PYBS_TUI_HOME",),
                    )
                )
            tools.append(
                Tool(
                    "uv",
                    [uv, "python", "install", ver, "--no-bin"],
                    {
                        "UV_PYTHON_INSTALL_DIR": "",
                        "UV_CACHE_DIR": "",
                        "UV_NO_CONFIG": "1",
                        "UV_PYTHON_INSTALL_MIRROR": server.base,
                        "UV_PYTHON_DOWNLOADS_JSON_URL": str(uv_json),
                    },
                    ("UV_PYTHON_INSTALL_DIR", "UV_CACHE_DIR"),
                )
            )
            for rate in rates:
                server.served.rate = rate * 1e6
                for run in range(args.runs):
                    order = tools[run % len(tools) :] + tools[: run % len(tools)]
                    for tool in order:
                        env = dict(os.environ, **tool.env)
                        for var in tool.home_vars:
                            env[var] = str(work / f"{tool.name}-{fmt}-{rate:g}-{run}-{var.lower()}")
                        try:
                            sample = run_measured(tool.command, env, server.served)
                        finally:
                            if args.remove_between_runs:
                                for var in tool.home_vars:
                                    shutil.rmtree(env[var], ignore_errors=True)
                        tool.samples.setdefault(rate, []).append(sample)
                report(fmt, rate, len(data), tools, args.runs)
    print(f"load average at end: {_load()}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


def report(fmt: str, rate: float, size: int, tools: list[Tool], runs: int) -> None:
    floor = size / (rate * 1e6) if rate else 0.0
    label = f"{rate:g} MB/s" if rate else "unthrottled"
    uv_wall = _median([s.wall for s in tools[-1].samples[rate]])
    print(
        f"  {fmt} {label}: floor {floor:.2f} s (transfer at that rate); medians of {runs}; "
        f"load average {_load()}"
    )
    for tool in tools:
        samples = tool.samples[rate]
        wall = _median([s.wall for s in samples])
        print(
            f"    {tool.name:9} wall {wall:5.2f} s  ratio to uv {wall / uv_wall:4.2f}  "
            f"over floor {wall - floor:+5.2f} s  "
            f"user {_median([s.user for s in samples]):4.2f} s  "
            f"sys {_median([s.sys for s in samples]):4.2f} s  "
            f"peak RSS {max(s.rss_mb for s in samples)} MB  "
            f"first request {_median([s.first_request for s in samples]):4.2f} s  "
            f"after the last byte {_median([s.after_last_byte for s in samples]):4.2f} s  "
            f"runs {' '.join(f'{s.wall:.2f}' for s in samples)}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
