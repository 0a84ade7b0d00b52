"""Measure an interpreter's speed: start-up, a few imports and six small CPU kernels.

The kernels are `speed_kernels.py` beside this module, run BY PATH in the interpreter being
measured (`-I -B`: isolated, nothing written), one step per process, each contained exactly
like the install probe (`probe.run_contained`: own session and process group, the probe's
clean environment with a scratch HOME, rlimits, bounded output, a deadline that kills the
group, cancel). The probe itself runs first: it says what the interpreter is (version,
Py_DEBUG, Py_GIL_DISABLED) and that it starts at all. A broken interpreter is one line
(InstallError), never a hang.

Each step runs once unmeasured, then `runs` times; a measurement is the median of its runs
with the spread (half the range, relative to the median). The score is the geometric mean of
the six kernels' medians (seconds; lower is faster); start-up and import times are shown
beside it but are not part of it.
"""

from __future__ import annotations

import math
import os
import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..progress import InstallError, check_cancel
from ..units import printable
from .probe import ProbeLimits, json_objects_from_end, run_contained, run_probe, why_it_ended

KERNELS_SCRIPT = Path(__file__).with_name("speed_kernels.py")
SCHEMA = "pybs-tui-bench/1"
#: The steps, in the order they run (the script's STEPS).
STEPS = ("startup", "imports", "calls", "attrs", "dicts_strings", "regex", "json", "numeric")
#: The CPU kernels: the score is the geometric mean of their medians.
KERNELS = ("calls", "attrs", "dicts_strings", "regex", "json", "numeric")
#: Every measurement a complete run has, in display order.
MEASUREMENTS = (
    "startup_nosite",
    "startup_site",
    "import_json",
    "import_typing",
    "import_argparse",
    "import_asyncio",
    *KERNELS,
)
DEFAULT_RUNS = 5
#: A step writes one line of JSON of well under a kilobyte.
BENCH_OUTPUT_CAP = 64 << 10
BENCH_OUTPUT_HINT = "a real CPython writes one short line of JSON per step"
#: Seconds one step may take: a release build needs well under one, a debug build a few.
STEP_TIMEOUT = 60.0
#: The steps' bounds: the probe's, but a step may start children (the start-up and import
#: measurements start the interpreter again, one at a time), so the process count is left as
#: it is: RLIMIT_NPROC counts all of the user's processes and threads, and a busy desktop
#: has more than the probe's 128. The group is still killed at the deadline and on cancel.
BENCH_LIMITS = ProbeLimits(timeout=STEP_TIMEOUT, output=BENCH_OUTPUT_CAP, processes=None)

#: (step, steps done, steps in all) as a run goes on.
StepCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Measurement:
    """One measurement's runs (seconds), with their median and relative spread."""

    name: str
    times: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def spread(self) -> float:
        """Half the range of the runs, relative to the median (0.03: ±3%)."""
        median = self.median
        return (max(self.times) - min(self.times)) / 2 / median if median > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "median": self.median,
            "spread": round(self.spread, 4),
            "times": list(self.times),
        }


@dataclass
class Measured:
    """What one run of every step found, with what the probe said the interpreter is."""

    executable: Path
    probe: dict[str, Any]
    runs: int
    measurements: dict[str, Measurement] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        return score_of(self.measurements)

    @property
    def score_spread(self) -> float | None:
        return score_spread_of(self.measurements)


def score_of(measurements: dict[str, Measurement]) -> float | None:
    """Geometric mean of the CPU kernels' medians (seconds); None unless all six are there."""
    medians = [measurements[k].median for k in KERNELS if k in measurements]
    if len(medians) != len(KERNELS) or any(m <= 0 for m in medians):
        return None
    return math.exp(sum(math.log(m) for m in medians) / len(medians))


def score_spread_of(measurements: dict[str, Measurement]) -> float | None:
    """The kernels' mean relative spread: how far the score's parts moved between runs."""
    spreads = [measurements[k].spread for k in KERNELS if k in measurements]
    return sum(spreads) / len(spreads) if len(spreads) == len(KERNELS) else None


def fingerprint(executable: Path) -> str | None:
    """Who the interpreter file is: device, inode, size and mtime of the file it resolves to.
    A result whose fingerprint differs was measured on an interpreter since replaced."""
    try:
        info = os.stat(executable)
    except (OSError, ValueError):
        return None
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


def parse_step(step: str, stdout: bytes, runs: int) -> dict[str, Measurement]:
    """The measurements of one step's answer (its last JSON line); InstallError if there is
    none, or if it is not what the step measures."""
    for data in json_objects_from_end(stdout.decode("utf-8", "replace")):
        if data.get("schema") != SCHEMA or data.get("step") != step:
            continue
        times = data.get("times")
        if not isinstance(times, dict):
            break
        out = {}
        for name, values in times.items():
            if (
                name not in MEASUREMENTS
                or not isinstance(values, list)
                or not 1 <= len(values) <= max(runs, 1)
                or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) and 0 < v < 3600
                    for v in values
                )
            ):
                raise InstallError(f"step {step}: the interpreter's answer is not a measurement")
            out[name] = Measurement(name, tuple(float(v) for v in values))
        if out:
            return out
        break
    raise InstallError(f"step {step}: the interpreter did not answer with JSON")


def _failure(step: str, returncode: int | None, stderr: bytes) -> InstallError:
    """One printable line: why a step did not answer."""
    ended = why_it_ended(returncode, stderr.decode("utf-8", "replace"))
    last = printable(" ".join(ended.split()))
    if len(last) > 200:
        last = last[:199] + "…"
    return InstallError(f"step {step} failed: {last}")


def run_step(
    executable: Path,
    step: str,
    runs: int,
    *,
    cancel: threading.Event | None = None,
    limits: ProbeLimits = BENCH_LIMITS,
) -> dict[str, Measurement]:
    """One step of the kernel script in `executable`, contained; its measurements."""
    ran = run_contained(
        executable,
        ["-I", "-B", os.fspath(KERNELS_SCRIPT), step, str(runs), os.fspath(executable)],
        limits=limits,
        cancel=cancel,
        too_much=BENCH_OUTPUT_HINT,
    )
    if ran.returncode != 0:
        raise _failure(step, ran.returncode, ran.stderr)
    return parse_step(step, ran.stdout, runs)


def measure(
    executable: Path,
    *,
    runs: int = DEFAULT_RUNS,
    cancel: threading.Event | None = None,
    on_step: StepCallback | None = None,
    limits: ProbeLimits = BENCH_LIMITS,
    steps: tuple[str, ...] = STEPS,
) -> Measured:
    """Probe `executable`, then run every step in it. InstallError (one line) when it does not
    start, fails a step, writes too much or takes too long; Cancelled on cancel."""
    executable = Path(os.path.abspath(executable))  # the steps run in a scratch folder
    total = len(steps) + 1
    if on_step is not None:
        on_step("probe", 0, total)
    probe = run_probe(executable, cancel=cancel, limits=replace_timeout(limits))
    measured = Measured(executable, probe, runs)
    for n, step in enumerate(steps, start=1):
        check_cancel(cancel)
        if on_step is not None:
            on_step(step, n, total)
        measured.measurements.update(run_step(executable, step, runs, cancel=cancel, limits=limits))
    if on_step is not None:
        on_step("done", total, total)
    return measured


def replace_timeout(limits: ProbeLimits) -> ProbeLimits:
    """The probe's own bounds, but never a longer deadline than the steps'."""
    from dataclasses import replace

    probe = ProbeLimits()
    return replace(probe, timeout=min(probe.timeout, limits.timeout))
