"""`pybs-tui bench [INSTALLED | PATH ...] [--json]`: measure interpreters' speed and keep it.

Each interpreter runs the shipped kernel script contained like the install probe (see
install/speed.py): start-up with and without site, four imports, six small CPU kernels;
median and spread of several runs. Results are kept per interpreter (service/speed.py) and
shown relative to the fastest of the same minor version.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING

from ..progress import Cancelled, InstallError
from ..units import printable
from .common import (
    UserError,
    add_json_option,
    note,
    print_json,
    print_table,
    settings_from_args,
    stderr_console,
    stdout_console,
)

if TYPE_CHECKING:
    from ..service.speed import Speed, SpeedResult, Target

#: The columns of the table: a measurement each (imports summed), milliseconds.
COLUMNS = (
    ("start -S", ("startup_nosite",)),
    ("start", ("startup_site",)),
    ("imports", ("import_json", "import_typing", "import_argparse", "import_asyncio")),
    ("calls", ("calls",)),
    ("attrs", ("attrs",)),
    ("dicts", ("dicts_strings",)),
    ("regex", ("regex",)),
    ("json", ("json",)),
    ("numeric", ("numeric",)),
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "bench",
        help="measure interpreters' speed (start-up, imports, small CPU kernels) and keep it",
        description="Run each interpreter through a short fixed set of measurements: start-up "
        "(-I -S -B -c pass, and with site), the import time of json, typing, argparse and asyncio, "
        "and six small pure-Python kernels shipped with pybs-tui (calls, attribute access, "
        "dicts and strings, a regex, json, a numeric loop). Each runs once unmeasured, then "
        "RUNS times: median and spread. The score is the geometric mean of the kernels' "
        "medians; 'speed' is the fastest score of the same minor version divided by this one "
        "(1.00x: the fastest). Nothing is compiled or installed into the interpreter, nothing "
        "is written (-B), no network; it runs contained like the install probe. Results are "
        "kept and shown by `installed`, `compare` and the Installed screen.",
    )
    p.add_argument(
        "targets",
        nargs="*",
        metavar="INSTALLED|PATH",
        help="an install `installed` lists (name, version like 3.12.1 or 3.13.0t, or path), "
        "or any interpreter's path or command; none: every pybs-tui install",
    )
    p.add_argument(
        "--all-managers",
        action="store_true",
        help="with no names: every interpreter the inventory finds (uv, pyenv, ... too)",
    )
    p.add_argument(
        "--runs", type=int, default=None, metavar="N", help="measured runs per step (default 5)"
    )
    p.add_argument(
        "--show", action="store_true", help="only show the kept results, measure nothing"
    )
    add_json_option(p)
    p.set_defaults(func=run)


class BenchProgress:
    """A rich bar on a terminal (steps of every interpreter), a line per interpreter otherwise,
    nothing with --json."""

    def __init__(self, count: int, steps: int, enabled: bool) -> None:
        self.enabled = enabled
        self.steps = steps
        self.bar = None
        self.task = None
        self.base = 0
        self.lock = threading.Lock()
        if enabled and sys.stderr.isatty():
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self.bar = Progress(
                TextColumn("bench"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}", markup=False),  # paths: plain
                console=stderr_console(),
                transient=True,
            )
            self.task = self.bar.add_task("", total=count * steps)
            self.bar.start()

    def start(self, n: int, count: int, target: Target) -> None:
        self.base = n * self.steps
        self.label = printable(target.label)
        if self.enabled and self.bar is None:
            note(f"bench {n + 1}/{count}: {target.label}")

    def __call__(self, step: str, done: int, total: int) -> None:
        with self.lock:
            if self.bar is not None and self.task is not None:
                self.bar.update(
                    self.task, completed=self.base + done, description=f"{self.label}: {step}"
                )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _ms(result: SpeedResult, names: tuple[str, ...]) -> str:
    if not all(n in result.measurements for n in names):
        return "?"
    return f"{sum(result.measurements[n].median for n in names) * 1000:.1f}"


def speed_text(speed: Speed) -> str:
    """'████░░░░ debug 0.31x ±3%', or '? why'."""
    from ..service.speed import bar

    if speed.relative is None or speed.result is None:
        return f"? {speed.why}" if speed.why else "?"
    spread = speed.result.score_spread
    tail = f" ±{spread * 100:.0f}%" if spread is not None else ""
    return f"{bar(speed.relative)} {speed.text}{tail}"


def print_results(targets: list[Target], table: dict[str, Speed]) -> None:
    """One row per interpreter with every median; on a terminal too narrow for that, a row
    per interpreter (score and speed) and then one per measurement, a column per #."""
    from ..service.speed import speed_for

    speeds = [speed_for(table, t.executable) for t in targets]
    summary = []
    medians = []
    for target, speed in zip(targets, speeds, strict=True):
        result = speed.result
        medians.append([_ms(result, names) if result else "?" for _, names in COLUMNS])
        score = f"{result.score * 1000:.1f}" if result and result.score else "?"
        version = f"{result.version} {result.variant_word}" if result else "?"
        summary.append([target.label, version, score, speed_text(speed)])
    headers = ["interpreter", "is", *(h for h, _ in COLUMNS), "score", "speed"]
    rows = [[s[0], s[1], *m, s[2], s[3]] for s, m in zip(summary, medians, strict=True)]
    needed = sum(max(len(h), *(len(r[i]) for r in rows)) + 2 for i, h in enumerate(headers))
    if not sys.stdout.isatty() or needed <= _width():
        print_table(headers, rows, right=list(range(2, 3 + len(COLUMNS))))
    else:
        numbered = [[f"#{n}", *row] for n, row in enumerate(summary, start=1)]
        print_table(["", "interpreter", "is", "score", "speed"], numbered, right=[3], wrap=[1])
        print_table(
            ["ms", *(f"#{n}" for n in range(1, len(targets) + 1))],
            [[h, *(m[i] for m in medians)] for i, (h, _) in enumerate(COLUMNS)],
            right=list(range(1, len(targets) + 1)),
        )
    runs = {s.result.runs for s in speeds if s.result is not None}
    runs_text = "/".join(str(r) for r in sorted(runs)) or "?"
    note(
        f"milliseconds, median of {runs_text} runs; imports: json+typing+argparse+asyncio; "
        "score: geometric mean of the six kernels; speed: the fastest score of the same "
        "minor / this one, ± the kernels' mean spread (half the range of the runs)"
    )


def _width() -> int:
    return stdout_console().width


def run(args: argparse.Namespace) -> int:
    from ..service.speed import (
        BenchError,
        SpeedStore,
        bench_one,
        load_speeds,
        resolve_targets,
        speeds,
    )

    settings = settings_from_args(args)
    runs = args.runs
    if runs is not None and not 1 <= runs <= 50:
        raise UserError("--runs: a number from 1 to 50")
    try:
        targets = resolve_targets(settings, args.targets, all_managers=args.all_managers)
    except BenchError as exc:
        raise UserError(str(exc)) from None
    if not targets:
        raise UserError(
            "nothing to measure: pybs-tui has no installs; name interpreters or paths "
            "(e.g. `pybs-tui bench python3`), or add --all-managers",
            code=1,
        )
    store = SpeedStore(settings)
    _, problem = store.load()
    if problem and not args.json:
        note(f"note: {problem}")
    failed: list[tuple[Target, str]] = []
    if not args.show:
        from ..install.speed import DEFAULT_RUNS, STEPS

        progress = BenchProgress(len(targets), len(STEPS) + 1, enabled=not args.json)
        cancel = threading.Event()
        try:
            for n, target in enumerate(targets):
                progress.start(n, len(targets), target)
                try:
                    bench_one(settings, target, runs=runs or DEFAULT_RUNS, cancel=cancel,
                              on_step=progress, store=store)  # fmt: skip
                except Cancelled:
                    raise KeyboardInterrupt from None
                except (InstallError, OSError) as exc:
                    failed.append((target, str(exc)))
                    if not args.json:
                        note(f"bench: {target.label}: {exc}")
        except KeyboardInterrupt:
            cancel.set()
            raise
        finally:
            progress.close()
    if args.show:
        table, problem = load_speeds(settings)
    else:
        results, problem = store.load()
        table = speeds(results)
    if args.json:
        from ..service.speed import speed_for

        print_json(
            {
                "interpreters": [
                    dict(
                        speed_for(table, t.executable).to_json(),
                        target=t.label,
                        executable=str(t.executable),
                    )
                    for t in targets
                ],
                "failed": [{"target": t.label, "error": why} for t, why in failed],
                "note": problem or None,
                "score": "geometric mean of the six kernels' medians, seconds",
                "relative": "fastest score of the same minor on this host / this score",
            }
        )
        return 1 if failed else 0
    broken = {t.key for t, _ in failed}
    shown = [t for t in targets if t.key not in broken]
    if shown:
        print_results(shown, table)
    return 1 if failed else 0
