"""Interpreter speed for the CLI and the TUI alike (no textual): which interpreters to measure,
measuring them (install.speed), keeping the results, and how fast each is relative to the
fastest of its minor version.

Results are kept in `<state>/bench/speed.json`, one per interpreter, keyed by the file its
executable resolves to, with the date, host, pybs-tui version, what the probe said it is and
the file's fingerprint (a result of an interpreter since replaced is not shown as its own).
The file is written atomically under a lock, read bounded; a corrupt one is one note and is
replaced by the next result.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..catalog.names import parse_version
from ..fileops import atomic_write, read_bounded
from ..install.registry import Interpreter, Roots, discover, find_executable
from ..install.speed import (
    DEFAULT_RUNS,
    KERNELS,
    MEASUREMENTS,
    Measured,
    Measurement,
    StepCallback,
    fingerprint,
    measure,
    score_of,
    score_spread_of,
)
from ..settings import Settings

STORE_SCHEMA = "pybs-tui-speed/1"
#: Bytes the results file may have (a result is about 2 kB).
STORE_LIMIT = 4 << 20
#: Results kept at most (the oldest go first).
STORE_KEEP = 500
LOCK_TIMEOUT = 10.0
#: Short names of the measurements (tables, the detail pane).
SHORT = {
    "startup_nosite": "start -S",
    "startup_site": "start",
    "import_json": "import json",
    "import_typing": "import typing",
    "import_argparse": "import argparse",
    "import_asyncio": "import asyncio",
    "calls": "calls",
    "attrs": "attrs",
    "dicts_strings": "dicts",
    "regex": "regex",
    "json": "json",
    "numeric": "numeric",
}
VARIANT_WORDS = {
    "default": "release",
    "debug": "debug",
    "freethreaded": "free-threaded",
    "freethreaded+debug": "free-threaded debug",
}


class BenchError(Exception):
    """A name or path that names no interpreter; one line."""


# -- what is measured ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One interpreter to measure: its executable and, when the inventory knows it, its row."""

    executable: Path
    label: str  # 'pyenv 3.12.1', '/usr/bin/python3.11-dbg'
    interp: Interpreter | None = None

    @property
    def key(self) -> str:
        return result_key(self.executable)


def result_key(executable: Path | str) -> str:
    """The key results are kept under: the file the executable resolves to."""
    try:
        return os.fspath(Path(executable).resolve())
    except (OSError, RuntimeError):
        return os.path.abspath(executable)


def target_of(interp: Interpreter) -> Target | None:
    if interp.executable is None:
        return None
    return Target(interp.executable, f"{interp.manager} {interp.label}", interp)


def resolve_targets(
    settings: Settings,
    names: Sequence[str],
    *,
    roots: Roots | None = None,
    all_managers: bool = False,
) -> list[Target]:
    """The interpreters `pybs-tui bench` measures.

    No name: pybs-tui's own installs (every interpreter the inventory finds with
    `all_managers`). A name is an install the inventory knows (its folder name, a version
    label like 3.12.1 or 3.13.0t, or its path), or the path of any interpreter (a file, or a
    folder with bin/python3), or a command found on PATH. BenchError when a name matches
    nothing; a name matching several installs measures them all."""
    inventory = discover(settings, roots, others=all_managers or bool(names))
    if not names:
        chosen = inventory if all_managers else [i for i in inventory if i.own]
        return _unique(t for i in chosen if (t := target_of(i)) is not None)
    out: list[Target] = []
    for name in names:
        matches = [
            i
            for i in inventory
            if name in (i.name, i.label, i.version_str, str(i.path))
            or (i.executable is not None and name == str(i.executable))
        ]
        if matches:
            found = [t for i in matches if (t := target_of(i)) is not None]
            if not found:
                raise BenchError(f"{name}: no python executable found in {matches[0].path}")
            out.extend(found)
            continue
        out.append(_path_target(name))
    return _unique(out)


def _path_target(name: str) -> Target:
    path = Path(name).expanduser()
    if os.sep not in name and not path.exists():
        which = shutil.which(name)
        if which is None:
            raise BenchError(
                f"{name}: not an installed interpreter, a path or a command "
                "(see `pybs-tui installed`)"
            )
        path = Path(which)
    if path.is_dir():
        exe = find_executable(path)
        if exe is None:
            raise BenchError(f"{name}: a folder without bin/python3 (or python.exe)")
        path = exe
    if not path.is_file():
        raise BenchError(f"{name}: no such interpreter")
    if not os.access(path, os.X_OK):
        raise BenchError(f"{name}: not executable")
    return Target(Path(os.path.abspath(path)), name)


def _unique(targets: Iterable[Target]) -> list[Target]:
    seen: set[str] = set()
    out = []
    for t in targets:
        if t.key not in seen:
            seen.add(t.key)
            out.append(t)
    return out


# -- one result ---------------------------------------------------------------------------------
@dataclass
class SpeedResult:
    """One interpreter's measured speed, as kept."""

    key: str
    executable: str
    label: str
    version: str
    variant: str
    measured_at: str
    host: str
    pybs_tui: str
    runs: int
    fingerprint: str | None
    measurements: dict[str, Measurement] = field(default_factory=dict)
    load: tuple[float, ...] | None = None
    probe: dict[str, Any] = field(default_factory=dict)

    @property
    def minor(self) -> str:
        v = parse_version(self.version)
        return f"{v.major}.{v.minor}" if v is not None else self.version

    @property
    def score(self) -> float | None:
        return score_of(self.measurements)

    @property
    def score_spread(self) -> float | None:
        return score_spread_of(self.measurements)

    @property
    def variant_word(self) -> str:
        return VARIANT_WORDS.get(self.variant, self.variant)

    def current(self) -> bool:
        """Whether the interpreter is still the file that was measured."""
        return self.fingerprint is not None and fingerprint(Path(self.key)) == self.fingerprint

    def to_json(self) -> dict[str, Any]:
        return {
            "executable": self.executable,
            "label": self.label,
            "version": self.version,
            "variant": self.variant,
            "measured_at": self.measured_at,
            "host": self.host,
            "pybs_tui": self.pybs_tui,
            "runs": self.runs,
            "fingerprint": self.fingerprint,
            "load_average": list(self.load) if self.load is not None else None,
            "probe": {k: self.probe.get(k) for k in ("Py_DEBUG", "Py_GIL_DISABLED", "abiflags")},
            "score": self.score,
            "score_spread": self.score_spread,
            "measurements": {k: m.to_json() for k, m in self.measurements.items()},
        }

    @classmethod
    def from_json(cls, key: str, data: object) -> SpeedResult | None:
        """A kept result, or None when it is not one (a hand-edited or foreign entry)."""
        if not isinstance(data, dict):
            return None
        text = {k: data.get(k) for k in ("executable", "label", "version", "variant",
                                         "measured_at", "host", "pybs_tui")}  # fmt: skip
        if not all(isinstance(v, str) for v in text.values()):
            return None
        measurements = {}
        raw = data.get("measurements")
        for name, value in (raw if isinstance(raw, dict) else {}).items():
            times = value.get("times") if isinstance(value, dict) else None
            if (
                name in MEASUREMENTS
                and isinstance(times, list)
                and 0 < len(times) <= 50
                and all(isinstance(t, int | float) and t > 0 for t in times)
            ):
                measurements[name] = Measurement(name, tuple(float(t) for t in times))
        runs = data.get("runs")
        fp = data.get("fingerprint")
        load = data.get("load_average")
        probe = data.get("probe")
        return cls(
            key=key,
            runs=runs if isinstance(runs, int) else 0,
            fingerprint=fp if isinstance(fp, str) else None,
            measurements=measurements,
            load=tuple(float(x) for x in load)
            if isinstance(load, list) and all(isinstance(x, int | float) for x in load)
            else None,
            probe=probe if isinstance(probe, dict) else {},
            **text,  # type: ignore[arg-type]
        )


def result_of(target: Target, measured: Measured, clock: float) -> SpeedResult:
    probe = measured.probe
    debug, ft = bool(probe.get("Py_DEBUG")), bool(probe.get("Py_GIL_DISABLED"))
    variant = "freethreaded+debug" if debug and ft else "debug" if debug else (
        "freethreaded" if ft else "default"
    )  # fmt: skip
    try:
        load: tuple[float, ...] | None = tuple(round(x, 2) for x in os.getloadavg())
    except (OSError, AttributeError):
        load = None
    return SpeedResult(
        key=target.key,
        executable=os.fspath(target.executable),
        label=target.label,
        version=str(probe.get("version") or "?"),
        variant=variant,
        measured_at=dt.datetime.fromtimestamp(clock, dt.UTC).isoformat(timespec="seconds"),
        host=platform.node() or "?",
        pybs_tui=__version__,
        runs=measured.runs,
        fingerprint=fingerprint(Path(target.key)),
        measurements=dict(measured.measurements),
        load=load,
        probe=dict(probe),
    )


# -- the store ----------------------------------------------------------------------------------
class SpeedStore:
    """The kept results: `load()` reads (tolerant), `add()` writes one (atomic, locked)."""

    def __init__(self, settings: Settings) -> None:
        self.path = settings.state_dir / "bench" / "speed.json"

    def load(self) -> tuple[dict[str, SpeedResult], str]:
        """(key -> result, a note when the file could not be used: '' otherwise)."""
        from ..catalog import jsonsafe

        if not os.path.lexists(self.path):
            return {}, ""
        data = read_bounded(self.path, STORE_LIMIT + 1)
        if data is None:
            return {}, f"speed results unreadable ({self.path}): benchmark again"
        if len(data) > STORE_LIMIT:
            return {}, f"speed results over {STORE_LIMIT >> 20} MiB ignored ({self.path})"
        try:
            doc = jsonsafe.loads(data)
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or doc.get("schema") != STORE_SCHEMA:
            return {}, f"speed results corrupt ({self.path}): the next benchmark replaces them"
        results = doc.get("results")
        out = {}
        for key, value in (results if isinstance(results, dict) else {}).items():
            result = SpeedResult.from_json(str(key), value)
            if result is not None:
                out[result.key] = result
        return out, ""

    def add(self, result: SpeedResult) -> None:
        """Keep `result` (replacing the interpreter's previous one)."""
        import json

        from filelock import FileLock

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT):
            results, _ = self.load()
            results.pop(result.key, None)
            results[result.key] = result
            kept = sorted(results.values(), key=lambda r: r.measured_at)[-STORE_KEEP:]
            doc = {"schema": STORE_SCHEMA, "results": {r.key: r.to_json() for r in kept}}
            atomic_write(self.path, (json.dumps(doc, indent=1) + "\n").encode("utf-8"))


# -- relative speed -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Speed:
    """What is shown for one interpreter: its result (if any and still its own), how fast it
    is relative to the fastest current result of the same minor on this host, and why not."""

    result: SpeedResult | None
    relative: float | None = None  # 1.0 for the fastest of its minor
    fastest: SpeedResult | None = None
    why: str = ""  # when relative is None: 'not benchmarked yet', ...

    @property
    def text(self) -> str:
        """'debug 0.31x', or '?' when unknown."""
        if self.relative is None or self.result is None:
            return "?"
        return f"{self.result.variant_word} {self.relative:.2f}x"

    def to_json(self) -> dict[str, Any]:
        return {
            "relative": round(self.relative, 3) if self.relative is not None else None,
            "relative_to": self.fastest.executable if self.fastest is not None else None,
            "why_unknown": self.why or None,
            "result": self.result.to_json() if self.result is not None else None,
        }


def speeds(results: dict[str, SpeedResult], host: str | None = None) -> dict[str, Speed]:
    """Key -> Speed for every kept result: relative to the fastest current result of the same
    minor measured on this host (`host`: platform.node())."""
    host = platform.node() if host is None else host
    valid = {k: r for k, r in results.items() if r.score is not None}
    here = {k: r for k, r in valid.items() if r.host == host and r.current()}
    fastest: dict[str, SpeedResult] = {}
    for r in here.values():
        best = fastest.get(r.minor)
        if best is None or (r.score or 0) < (best.score or 0):
            fastest[r.minor] = r
    out = {}
    for key, r in results.items():
        if key in here:
            best = fastest[r.minor]
            out[key] = Speed(r, (best.score or 0) / (r.score or 1), best)
        elif key not in valid:
            out[key] = Speed(r, why="incomplete result: benchmark again")
        elif r.host != host:
            out[key] = Speed(r, why=f"measured on another host ({r.host})")
        else:
            out[key] = Speed(r, why="the interpreter changed since it was measured")
    return out


def speed_for(table: dict[str, Speed], executable: Path | str | None) -> Speed:
    """The Speed of an interpreter by its executable; '?' with why when there is none."""
    if executable is None:
        return Speed(None, why="no python executable found")
    found = table.get(result_key(executable))
    return found if found is not None else Speed(None, why="not benchmarked yet")


def bar(relative: float | None, width: int = 8) -> str:
    """'██████▌░' for 0.81 (eighths of a cell); '' when unknown."""
    if relative is None:
        return ""
    eighths = round(max(0.0, min(1.0, relative)) * width * 8)
    full, part = divmod(eighths, 8)
    out = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    return out + "░" * (width - len(out))


def load_speeds(settings: Settings) -> tuple[dict[str, Speed], str]:
    """Every kept result's Speed, and the store's note ('' when fine)."""
    results, problem = SpeedStore(settings).load()
    return speeds(results), problem


# -- measuring ----------------------------------------------------------------------------------
def bench_one(
    settings: Settings,
    target: Target,
    *,
    runs: int = DEFAULT_RUNS,
    cancel: threading.Event | None = None,
    on_step: StepCallback | None = None,
    store: SpeedStore | None = None,
    **measure_options: Any,
) -> SpeedResult:
    """Measure one interpreter and keep the result. InstallError (one line) or Cancelled."""
    measured = measure(
        target.executable, runs=runs, cancel=cancel, on_step=on_step, **measure_options
    )
    result = result_of(target, measured, settings.clock())
    (store or SpeedStore(settings)).add(result)
    return result


def bench_each(
    settings: Settings,
    interps: Sequence[Interpreter],
    *,
    cancel: threading.Event | None = None,
    on_step: Callable[[int, str, str, int, int], None] | None = None,
    runs: int = DEFAULT_RUNS,
    **measure_options: Any,
) -> tuple[list[str], bool]:
    """Measure each interpreter in turn, keeping each result as it comes; (one line per
    failure, whether it was cancelled). `on_step(index, label, step, done, total)`."""
    from ..progress import Cancelled, InstallError

    failures: list[str] = []
    store = SpeedStore(settings)
    for n, interp in enumerate(interps):
        target = target_of(interp)
        label = f"{interp.manager} {interp.label}"
        if target is None:
            failures.append(f"{label}: no python executable found in {interp.path}")
            continue

        def step(name: str, done: int, total: int, n: int = n, label: str = label) -> None:
            if on_step is not None:
                on_step(n, label, name, done, total)

        try:
            bench_one(settings, target, runs=runs, cancel=cancel, on_step=step, store=store,
                      **measure_options)  # fmt: skip
        except Cancelled:
            return failures, True
        except (InstallError, OSError) as exc:
            failures.append(f"{label}: {exc}")
    return failures, False


def build_speeds(
    settings: Settings, installed: dict[str, str]
) -> Callable[[Any], tuple[str, Any] | None]:
    """For the comparison: an installed build's (text, JSON) speed by its archive name
    (`installed`: archive name -> install folder, as the receipts say); None when the build
    is not installed."""
    table, problem = load_speeds(settings)

    def speed(build: Any) -> tuple[str, Any] | None:
        folder = installed.get(build.name)
        if not folder:
            return None
        found = speed_for(table, find_executable(Path(folder)))
        if found.result is None and problem:
            found = Speed(None, why="the kept results are unreadable")
        text = found.text if found.relative is not None else f"? {found.why}"
        return text, found.to_json()

    return speed


def attach_speeds(interps: Iterable[Interpreter], table: dict[str, Speed]) -> dict[str, Speed]:
    """str(interp.path) -> Speed for each interpreter (what the Installed views show)."""
    return {str(i.path): speed_for(table, i.executable) for i in interps}


__all__ = ["KERNELS", "MEASUREMENTS", "BenchError", "Speed", "SpeedResult", "SpeedStore"]
