"""Catalog benchmark: load + index the snapshot; `pybs-tui list` against `uv python list`.

Run after the README set-up plus `pip install uv`:  python bench/catalog_bench.py [--runs 5]
Prints medians measured in this one run and their ratio (machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def time_in_process(runs: int) -> dict[str, float]:
    from pybs_tui.catalog.index import CatalogIndex
    from pybs_tui.catalog.models import Catalog
    from pybs_tui.host import detect_host
    from pybs_tui.service import catalog as service

    loads, groups = [], []
    host = detect_host()
    for _ in range(runs):
        service._read_snapshot.cache_clear()  # measure the parse, not the process cache
        t0 = time.perf_counter()
        parsed, _, _ = service.load_snapshot()
        t1 = time.perf_counter()
        CatalogIndex(Catalog(parsed.builds, "snapshot", ""), host).picks  # noqa: B018
        t2 = time.perf_counter()
        loads.append(t1 - t0)
        groups.append(t2 - t1)
    return {
        "archives": len(parsed.builds),
        "load": statistics.median(loads),
        "group": statistics.median(groups),
    }


def time_command(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr.decode()[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="pybs-bench-")
    env = dict(os.environ, PYBS_TUI_HOME=home)
    print(
        f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}"
    )
    inproc = time_in_process(args.runs)
    print(
        f"snapshot: {inproc['archives']} archives; load {inproc['load'] * 1000:.0f} ms, "
        f"index (host fit, uv's picks, flags) {inproc['group'] * 1000:.0f} ms "
        f"(median of {args.runs})"
    )
    ours_cmd = [sys.executable, "-m", "pybs_tui", "list", "--offline", "--all", "--json"]
    uv = shutil.which("uv")
    uv_cmd = (
        [
            uv,
            "python",
            "list",
            "--all-versions",
            "--all-platforms",
            "--all-arches",
            "--output-format",
            "json",
            "--only-downloads",
        ]
        if uv
        else None
    )
    ours, theirs = [], []
    for _ in range(args.runs):  # alternate so both see the same machine load
        ours.append(time_command(ours_cmd, env))
        if uv_cmd:
            theirs.append(time_command(uv_cmd, dict(env, UV_PYTHON_DOWNLOADS="automatic")))
    mo = statistics.median(ours)
    print(f"pybs-tui list --offline --all --json: median {mo * 1000:.0f} ms")
    if theirs:
        mt = statistics.median(theirs)
        print(
            f"uv python list --all-versions --all-platforms --all-arches --output-format json: "
            f"median {mt * 1000:.0f} ms"
        )
        print(f"ratio pybs-tui / uv: {mo / mt:.2f}")
    else:
        print("uv not on PATH: `pip install uv` to compare")
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
