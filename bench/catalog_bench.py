"""Catalog and start-up benchmark: `pybs-tui --help`, `list --offline --json` and
`list --offline --all --json` against `uv python list --only-downloads` (the same work: list
the downloadable builds, no interpreter probed), with and without PYTHONDONTWRITEBYTECODE;
the snapshot's load (packed form against parsing every name) and index in-process; and where
the time of `list --all` goes (phases and a cProfile summary).

Run after the README set-up plus `pip install uv`:  python bench/catalog_bench.py [--runs 5]
[--before <export of another commit>]
Prints the date, load average, every command and medians measured in this one run (wall and
CPU time, peak RSS); machines are noisy: compare ratios, and CPU time when the load is high.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

#: The issue's goal (issue 14), printed next to the figures.
GOAL_PER_ROW = "at most uv's time per row (ratio <= 1)"


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


#: Runs a command and reports its wall time and resources. Measured from a small process:
#: a child forked from this one (tens of MB after the in-process part) would count this
#: process's memory in its peak RSS (Linux keeps the pre-exec high-water mark).
LAUNCHER = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status, ru = os.wait4(pid, 0)
wall = time.perf_counter() - t0
code = os.waitstatus_to_exitcode(status)
with open(sys.argv[1], "w") as fh:
    fh.write(f"{wall} {ru.ru_utime + ru.ru_stime} {ru.ru_maxrss} {code}")
"""


def run_child(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, bytes]:
    """(wall seconds, CPU seconds, peak RSS in KB, stdout) of one process."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "usage")
        out = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, report, *cmd], capture_output=True, env=env
        )
        with open(report) as fh:
            wall, cpu, peak, code = fh.read().split()
    if int(code) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {out.stderr.decode()[-500:]}")
    return float(wall), float(cpu), int(peak), out.stdout


def measure(commands: list[tuple[list[str], dict[str, str]]], runs: int) -> list[dict]:
    """Each command `runs` times, taking turns (so all see the same machine load): medians
    of wall and CPU time, the largest peak RSS, the rows of its JSON."""
    walls: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    peaks: list[list[int]] = [[] for _ in commands]
    rows: list[int | None] = [None for _ in commands]
    for _ in range(runs):
        for i, (cmd, env) in enumerate(commands):
            wall, cpu, peak, out = run_child(cmd, env)
            walls[i].append(wall)
            cpus[i].append(cpu)
            peaks[i].append(peak)
            if out.lstrip().startswith(b"["):
                rows[i] = len(json.loads(out))
    return [
        {
            "wall": statistics.median(walls[i]),
            "cpu": statistics.median(cpus[i]),
            "rss": max(peaks[i]),
            "rows": rows[i],
        }
        for i in range(len(commands))
    ]


def in_process(runs: int) -> dict[str, float]:
    """The snapshot read from its packed form and by parsing every name; the index."""
    from pybs_tui.catalog import sources
    from pybs_tui.catalog.index import CatalogIndex
    from pybs_tui.catalog.models import Catalog
    from pybs_tui.host import detect_host
    from pybs_tui.resources import snapshot_path
    from pybs_tui.service import catalog as service

    host = detect_host()
    packed, parsed_names, index = [], [], []
    payload = json.loads(snapshot_path().read_bytes())
    for _ in range(runs):
        service._read_snapshot.cache_clear()  # measure the read, not the process cache
        t0 = time.perf_counter()
        parsed, _, _ = service.load_snapshot()
        t1 = time.perf_counter()
        CatalogIndex(Catalog(parsed.builds, "snapshot", ""), host).picks  # noqa: B018
        t2 = time.perf_counter()
        sources.parse_snapshot(payload)
        t3 = time.perf_counter()
        packed.append(t1 - t0)
        index.append(t2 - t1)
        parsed_names.append(t3 - t2)
    return {
        "archives": len(parsed.builds),
        "packed": statistics.median(packed),
        "names": statistics.median(parsed_names),
        "index": statistics.median(index),
    }


def phases_of_list_all() -> list[tuple[str, float]]:
    """Where `list --offline --all --json` spends its time, in this process (imports are
    already done here: see the `--help` line for those)."""
    from pybs_tui.catalog.rows import row_texts, write_json_rows
    from pybs_tui.cli.listing import EveryArchive
    from pybs_tui.service import catalog as service
    from pybs_tui.settings import Settings

    service._read_snapshot.cache_clear()
    settings = Settings.from_env(offline=True)
    t0 = time.perf_counter()
    catalog = service.load_catalog(settings)
    t1 = time.perf_counter()
    every = EveryArchive(catalog)
    t2 = time.perf_counter()
    texts = list(row_texts(every.builds, every.picks.key_of, every.flags, {}))
    t3 = time.perf_counter()
    size = 0
    with open(os.devnull, "w") as sink:

        def write(text: str) -> None:
            nonlocal size
            size += len(text)
            sink.write(text)

        write_json_rows(write, texts)
    t4 = time.perf_counter()
    return [
        ("load the catalog (packed snapshot, kept sizes)", t1 - t0),
        ("order, uv's picks, flags (cli.listing.EveryArchive)", t2 - t1),
        (f"{len(texts)} JSON rows, their text made per shape (catalog.rows.row_texts)", t3 - t2),
        (f"joined and written, {size / 1e6:.0f} MB, 1,000 rows a write", t4 - t3),
    ]


def profile_list_all(top: int) -> str:
    """cProfile of the whole command in this process, top functions by own time."""
    from pybs_tui.__main__ import main
    from pybs_tui.service import catalog as service

    service._read_snapshot.cache_clear()
    profiler = cProfile.Profile()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        profiler.runcall(main, ["list", "--offline", "--all", "--json"])
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).strip_dirs().sort_stats("tottime").print_stats(top)
    lines = out.getvalue().splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join(lines[start : start + top + 1])


def per_row(ours: dict, theirs: dict, what: str) -> float:
    """Our time per row over theirs ("wall" or "cpu")."""
    return (ours[what] / ours["rows"]) / (theirs[what] / theirs["rows"])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=15, help="functions in the profile")
    parser.add_argument(
        "--before",
        metavar="DIR",
        help="an export of another commit (its app/ is put on PYTHONPATH): its commands run "
        "taking turns with these, under the same load",
    )
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="pybs-bench-")
    env = dict(os.environ, PYBS_TUI_HOME=home)
    print(f"date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    print(f"load average at start: {load_average()}")
    print(
        f"machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cpus, "
        f"Python {platform.python_version()}; "
        f"PYTHONDONTWRITEBYTECODE={os.environ.get('PYTHONDONTWRITEBYTECODE', '(unset)')}"
    )
    print(f"command: {' '.join([sys.executable, *sys.argv])}")

    inproc = in_process(args.runs)
    print(
        f"\nsnapshot: {inproc['archives']} archives; read from the packed form "
        f"{ms(inproc['packed'])}, by parsing every name {ms(inproc['names'])}; "
        f"index (host fit, uv's picks, flags) {ms(inproc['index'])} (medians of {args.runs})"
    )

    uv = shutil.which("uv")
    uv_env = dict(env, UV_PYTHON_DOWNLOADS="automatic")
    ours = [sys.executable, "-m", "pybs_tui"]
    uv_list = [uv or "uv", "python", "list", "--only-downloads", "--output-format", "json"]
    uv_all = [*uv_list[:3], "--all-versions", "--all-platforms", "--all-arches", *uv_list[3:]]
    compiled = dict(env)
    compiled.pop("PYTHONDONTWRITEBYTECODE", None)
    cases = [
        ("--help", [*ours, "--help"], [uv or "uv", "python", "list", "--help"], "-"),
        ("default list", [*ours, "list", "--offline", "--json"], uv_list, GOAL_PER_ROW),
        ("every archive", [*ours, "list", "--offline", "--all", "--json"], uv_all, GOAL_PER_ROW),
    ]
    if not uv:
        print("uv not on PATH: `pip install uv` to compare")
    print(f"\nmedians of {args.runs} runs; cpu = user + sys; rss = peak resident set")
    before_env = None
    if args.before:
        app = os.path.join(os.path.abspath(args.before), "app")
        path = os.pathsep.join(filter(None, [app, env.get("PYTHONPATH")]))
        before_env = dict(compiled, PYTHONPATH=path)
        subprocess.run([sys.executable, "-m", "compileall", "-q", app], check=False)
    for label, our_cmd, uv_cmd, goal in cases:
        subprocess.run(our_cmd, capture_output=True, env=compiled, check=False)  # .pyc written
        commands = [(our_cmd, env), (our_cmd, compiled)] + ([(uv_cmd, uv_env)] if uv else [])
        labels = ["[no .pyc written]", "[.pyc kept]", ""]
        if before_env is not None:
            commands.append((our_cmd, before_env))
            labels.append(f"[before: {args.before}, .pyc kept]")
        results = measure(commands, args.runs)
        print(f"{label}:")
        for (cmd, _), m, what in zip(commands, results, labels, strict=False):
            rows = f", {m['rows']} rows" if m["rows"] is not None else ""
            name = " ".join(cmd[1:] if cmd[0] == sys.executable else cmd)
            print(
                f"  {name} {what}: wall {ms(m['wall'])}, cpu {ms(m['cpu'])}, "
                f"peak rss {m['rss'] / 1024:.0f} MB{rows}"
            )
        mine = results[0]
        if uv and mine["rows"] and results[2]["rows"]:
            theirs = results[2]
            print(
                f"  pybs-tui / uv: wall {mine['wall'] / theirs['wall']:.2f}, time per row "
                f"{per_row(mine, theirs, 'wall'):.2f} (cpu per row "
                f"{per_row(mine, theirs, 'cpu'):.2f}); goal: {goal}"
            )
            if before_env is not None and results[-1]["rows"]:
                old = results[-1]
                print(
                    f"  before / uv: time per row {per_row(old, theirs, 'wall'):.2f} "
                    f"(cpu per row {per_row(old, theirs, 'cpu'):.2f})"
                )

    print("\nwhere `list --offline --all --json` spends its time (in-process, imports done):")
    for what, seconds in phases_of_list_all():
        print(f"  {ms(seconds):>8}  {what}")
    print(f"\nprofile of the same command (cProfile, top {args.top} by own time):")
    print(profile_list_all(args.top))
    print(f"\nload average at end: {load_average()}")
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
