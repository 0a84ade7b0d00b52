"""Reproduce bench/RESULTS.md's "Interpreter speed" table: `pybs-tui bench --json` on the given
interpreters, several rounds (the order reversed every other round), in a scratch home.

    python bench/speed_bench.py --runs 7 --rounds 2 /usr/bin/python3.11 /usr/bin/python3.11-dbg ...

Prints the load average before and after, then a Markdown table: per measurement, each
interpreter's median (ms, the median over the rounds of each round's median) and its ratio to
the FIRST interpreter named (higher = slower); and the score's ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
from pybs_tui.install.speed import MEASUREMENTS as ORDER  # noqa: E402  (after the path)


def one_round(exes: list[str], runs: int, home: str) -> dict[str, dict]:
    env = dict(os.environ, PYBS_TUI_HOME=home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "app"), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "pybs_tui", "bench", "--runs", str(runs), "--json", *exes],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    data = json.loads(done.stdout)
    if data["failed"]:
        sys.exit(f"failed: {data['failed']}")
    return {row["target"]: row["result"] for row in data["interpreters"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("exes", nargs="+")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    rounds = []
    with tempfile.TemporaryDirectory(prefix="speed-bench-") as home:
        for n in range(args.rounds):
            exes = args.exes if n % 2 == 0 else list(reversed(args.exes))
            rounds.append(one_round(exes, args.runs, home))
    print(f"load average after: {os.getloadavg()}")
    medians: dict[str, dict[str, float]] = {}
    versions = {}
    for exe in args.exes:
        results = [r[exe] for r in rounds]
        versions[exe] = f"{results[0]['version']} {results[0]['variant']}"
        medians[exe] = {
            name: statistics.median(r["measurements"][name]["median"] for r in results)
            for name in ORDER
        }
        medians[exe]["score"] = statistics.median(r["score"] for r in results)
    base = args.exes[0]
    print()
    print("| measurement | " + " | ".join(f"`{e}` ({versions[e]})" for e in args.exes) + " |")
    print("|---" * (len(args.exes) + 1) + "|")
    for name in (*ORDER, "score"):
        cells = []
        for exe in args.exes:
            ms = medians[exe][name] * 1000
            ratio = medians[exe][name] / medians[base][name]
            cells.append(f"{ms:.1f} ms" + ("" if exe == base else f" (**{ratio:.2f}x**)"))
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
