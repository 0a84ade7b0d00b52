"""Catalog benchmark: load + index the snapshot; `pybs-tui list` against `uv python list
--only-downloads`, the default list and the list of every archive.

Run after the README set-up plus `pip install uv`:  python bench/catalog_bench.py [--runs 5]
Prints medians measured in this one run and their ratio (machines are noisy: compare ratios).
"""

from __future__ import annotations

import argparse
import json
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


def time_command(cmd: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time of the whole process, and how many rows its JSON holds."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - t0
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr.decode()[-500:]}")
    return elapsed, len(json.loads(out.stdout))


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
    uv = shutil.which("uv")
    uv_env = dict(env, UV_PYTHON_DOWNLOADS="automatic")
    pairs = [
        (
            "default list (this host, newest patch per minor)",
            [sys.executable, "-m", "pybs_tui", "list", "--offline", "--json"],
            [uv, "python", "list", "--only-downloads", "--output-format", "json"],
        ),
        (
            "every archive of every platform",
            [sys.executable, "-m", "pybs_tui", "list", "--offline", "--all", "--json"],
            [
                uv,
                "python",
                "list",
                "--all-versions",
                "--all-platforms",
                "--all-arches",
                "--only-downloads",
                "--output-format",
                "json",
            ],
        ),
    ]
    if not uv:
        print("uv not on PATH: `pip install uv` to compare")
    for label, ours_cmd, uv_cmd in pairs:
        ours, theirs, rows = [], [], (0, 0)
        for _ in range(args.runs):  # alternate so both see the same machine load
            elapsed, ours_rows = time_command(ours_cmd, env)
            ours.append(elapsed)
            if uv:
                elapsed, uv_rows = time_command(uv_cmd, uv_env)
                theirs.append(elapsed)
                rows = (ours_rows, uv_rows)
        mo = statistics.median(ours)
        print(f"{label}:")
        print(f"  {' '.join(ours_cmd[1:])}: median {mo * 1000:.0f} ms, {rows[0]} rows")
        if theirs:
            mt = statistics.median(theirs)
            print(f"  uv {' '.join(uv_cmd[1:])}: median {mt * 1000:.0f} ms, {rows[1]} rows")
            per_row = (mo / max(rows[0], 1)) / (mt / max(rows[1], 1))
            print(f"  ratio pybs-tui / uv: {mo / mt:.2f} (time per row: {per_row:.2f})")
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
