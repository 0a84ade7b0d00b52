"""`pybs-tui bench` with real interpreters: the runner's own and the same one made slower for
real (every allocation traced); the slow one must rank lower, the results must be kept and
shown; broken interpreters are one line within the deadline. No time is ever asserted: only
orderings, and that a hung interpreter does not hang the run."""

from __future__ import annotations

import ast
import json
import os
import subprocess
from pathlib import Path

import pytest

from pybs_tui.install.probe import ProbeLimits
from pybs_tui.install.speed import KERNELS, KERNELS_SCRIPT, MEASUREMENTS, measure, parse_step
from pybs_tui.progress import Cancelled, InstallError
from pybs_tui.service.speed import (
    SpeedStore,
    Target,
    bar,
    bench_one,
    load_speeds,
    resolve_targets,
    speed_for,
)
from pybs_tui.settings import Settings
from tests.bench_speed.conftest import broken, slow_python
from tests.support.cli import run_cli

posix_only = pytest.mark.skipif(os.name != "posix", reason="shell-script interpreters")


def settings_in(tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    return Settings(
        cache_dir=home / "cache", data_dir=home / "data", state_dir=home / "state", offline=True
    )


def test_kernel_script_is_python_3_8_and_stdlib_only() -> None:
    tree = ast.parse(KERNELS_SCRIPT.read_text(), feature_version=(3, 8))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert imported <= {"json", "subprocess", "sys", "time", "re"}


def test_the_runner_measures_every_step(fast: Path) -> None:
    steps: list[str] = []
    measured = measure(fast, runs=2, on_step=lambda step, done, total: steps.append(step))
    assert steps[0] == "probe" and steps[-1] == "done"
    assert set(measured.measurements) == set(MEASUREMENTS)
    assert all(len(m.times) == 2 for m in measured.measurements.values())
    assert all(m.median > 0 and m.spread >= 0 for m in measured.measurements.values())
    assert measured.score is not None and measured.score > 0


@posix_only
def test_slower_interpreter_ranks_lower_and_both_are_kept(tmp_path: Path, fast: Path) -> None:
    settings = settings_in(tmp_path)
    slow = slow_python(tmp_path / "pythons")
    for exe in (slow, fast):
        bench_one(settings, Target(exe, str(exe)), runs=1, steps=KERNELS)
    table, problem = load_speeds(settings)
    assert problem == ""
    quick, sluggish = speed_for(table, fast), speed_for(table, slow)
    assert quick.relative == 1.0 and quick.fastest is not None
    assert sluggish.relative is not None and sluggish.relative < 1.0
    assert sluggish.fastest is quick.fastest or sluggish.fastest == quick.fastest
    assert sluggish.result is not None and quick.result is not None
    assert (sluggish.result.score or 0) > (quick.result.score or 0)
    assert sluggish.text.startswith("release ") and sluggish.text.endswith("x")
    assert bar(sluggish.relative).count("█") < bar(quick.relative).count("█") == 8


def test_cancel_stops_a_run_at_once(fast: Path) -> None:
    import threading

    cancel = threading.Event()

    def on_step(step: str, done: int, total: int) -> None:
        if step == "calls":
            cancel.set()

    with pytest.raises(Cancelled):
        measure(fast, runs=1, cancel=cancel, on_step=on_step)


# -- broken interpreters: one line each ---------------------------------------------------------
@posix_only
@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "echo 'Fatal Python error: boom' >&2\nexit 1", "Fatal Python error: boom", id="exits-1"
        ),
        pytest.param("exec sleep 600", "did not answer within 2 s", id="hangs"),
        pytest.param("exec yes flood", "wrote more than", id="floods"),
        pytest.param("echo 'not json'", "did not answer with JSON", id="babbles"),
        pytest.param("kill -9 $$", "killed by SIGKILL", id="killed"),
    ],
)
def test_broken_interpreter_is_one_line(tmp_path: Path, body: str, expected: str) -> None:
    exe = broken(tmp_path, "broken", body)
    limits = ProbeLimits(timeout=2.0, output=64 << 10, processes=None)
    with pytest.raises(InstallError) as caught:
        measure(exe, runs=1, limits=limits)
    message = str(caught.value)
    assert expected in message and "\n" not in message and len(message) < 300


@posix_only
def test_interpreter_that_does_not_start_is_one_line(tmp_path: Path) -> None:
    exe = broken(tmp_path, "dead", "exit 0")
    exe.write_text("#!/bin/sh\necho 'cannot load libpython3.12.so' >&2\nexit 127\n")
    with pytest.raises(InstallError) as caught:
        measure(exe, runs=1)
    assert "cannot load libpython3.12.so" in str(caught.value)


def test_step_answers_that_are_not_measurements_are_refused() -> None:
    good = b'{"schema": "pybs-tui-bench/1", "step": "calls", "times": {"calls": [0.01]}}\n'
    assert parse_step("calls", good, 1)["calls"].median == 0.01
    for bad in (
        b'{"schema": "pybs-tui-bench/1", "step": "calls", "times": {"calls": [-1]}}',
        b'{"schema": "pybs-tui-bench/1", "step": "calls", "times": {"rm -rf": [0.1]}}',
        b'{"schema": "pybs-tui-bench/1", "step": "calls", "times": {"calls": [0.1, 0.1]}}',
        b'{"schema": "pybs-tui-bench/1", "step": "regex", "times": {"regex": [0.1]}}',
        b"[" * 100_000,
    ):
        with pytest.raises(InstallError):
            parse_step("calls", bad, 1)


# -- the store ----------------------------------------------------------------------------------
def test_corrupt_store_is_one_note_and_the_next_result_replaces_it(
    tmp_path: Path, fast: Path
) -> None:
    settings = settings_in(tmp_path)
    store = SpeedStore(settings)
    store.path.parent.mkdir(parents=True)
    store.path.write_bytes(b'{"schema": "pybs-tui-speed/1", "results": {"x": [')
    table, problem = load_speeds(settings)
    assert table == {} and "corrupt" in problem
    bench_one(settings, Target(fast, "fast"), runs=1, steps=KERNELS)
    table, problem = load_speeds(settings)
    assert problem == "" and speed_for(table, fast).relative == 1.0
    assert not list(store.path.parent.glob("*.tmp"))


@posix_only
def test_a_replaced_interpreter_does_not_keep_the_old_result(tmp_path: Path, fast: Path) -> None:
    settings = settings_in(tmp_path)
    exe = broken(tmp_path, "wrapper", f'exec "{fast}" "$@"')
    exe.write_text(f'#!/bin/sh\nexec "{fast}" "$@"\n')
    bench_one(settings, Target(exe, "wrapper"), runs=1, steps=("calls",))
    table, _ = load_speeds(settings)
    assert speed_for(table, exe).why == "incomplete result: benchmark again"
    bench_one(settings, Target(exe, "wrapper"), runs=1, steps=KERNELS)
    table, _ = load_speeds(settings)
    assert speed_for(table, exe).relative == 1.0
    exe.write_text(f'#!/bin/sh\n# a new build\nexec "{fast}" "$@"\n')
    table, _ = load_speeds(settings)
    speed = speed_for(table, exe)
    assert speed.relative is None and speed.why == "the interpreter changed since it was measured"
    assert speed.text == "?"


def test_names_resolve_to_installs_paths_and_commands(tmp_path: Path, fast: Path) -> None:
    from pybs_tui.service.speed import BenchError
    from tests.installed.fakes import make_own_install

    settings = settings_in(tmp_path)
    assert resolve_targets(settings, []) == []
    path, _ = make_own_install(settings, "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu"
                               "-install_only.tar.gz")  # fmt: skip
    own = resolve_targets(settings, [])
    assert [t.interp.name for t in own if t.interp] == [path.name]
    assert resolve_targets(settings, [path.name])[0].interp is not None
    assert resolve_targets(settings, [str(fast)])[0].executable == fast
    assert resolve_targets(settings, ["sh"])[0].executable.name == "sh"
    with pytest.raises(BenchError, match="no-such-python"):
        resolve_targets(settings, ["no-such-python"])
    with pytest.raises(BenchError, match="not executable"):
        (tmp_path / "plain").write_text("x")
        resolve_targets(settings, [str(tmp_path / "plain")])


# -- the command --------------------------------------------------------------------------------
@posix_only
def test_cli_bench_two_real_interpreters_table_json_and_store(tmp_path: Path, fast: Path) -> None:
    slow = slow_python(tmp_path / "pythons")
    home = tmp_path / "home"
    done = run_cli("bench", str(fast), str(slow), "--runs", "1", home=home, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:3] == ["interpreter", "is", "start"]
    fast_line = next(line for line in lines if line.startswith(str(fast)))
    slow_line = next(line for line in lines if line.startswith(str(slow)))
    assert "████████ release 1.00x" in fast_line
    slow_ratio = float(slow_line.split("release ")[-1].split("x")[0])
    assert slow_ratio < 1.0 and "░" in slow_line
    assert "geometric mean" in done.stderr
    shown = run_cli("bench", str(slow), str(fast), "--show", "--json", home=home)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    by_target = {row["target"]: row for row in data["interpreters"]}
    assert by_target[str(fast)]["relative"] == 1.0
    assert by_target[str(slow)]["relative"] == pytest.approx(slow_ratio, abs=0.006)
    result = by_target[str(slow)]["result"]
    assert set(result["measurements"]) == set(MEASUREMENTS)
    assert result["host"] and result["pybs_tui"] and result["measured_at"]
    assert result["variant"] == "default" and result["fingerprint"]
    kept = json.loads((home / "state" / "bench" / "speed.json").read_text())
    assert len(kept["results"]) == 2


@posix_only
def test_cli_broken_interpreter_is_one_line_and_exit_1(tmp_path: Path, fast: Path) -> None:
    from tests.installed.fakes import make_own_install

    exe = broken(tmp_path, "broken", "echo 'Fatal Python error: boom' >&2\nexit 1")
    home = tmp_path / "home"
    own, _ = make_own_install(settings_in(tmp_path), "cpython-3.12.3+20240415-x86_64-unknown-"
                              "linux-gnu-install_only.tar.gz")  # fmt: skip
    (own / "bin" / "python3.12").write_text(f'#!/bin/sh\nexec "{fast}" "$@"\n')
    (own / "bin" / "python3.12").chmod(0o755)
    done = run_cli("bench", str(exe), own.name, "--runs", "1", home=home, HOME=str(tmp_path))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert [line for line in done.stderr.splitlines() if "boom" in line] == [
        f"bench: {exe}: step startup failed: Fatal Python error: boom"
    ]
    (row,) = [line for line in done.stdout.splitlines() if "release" in line]
    assert row.startswith("pybs-tui 3.12.3 ") and "1.00x" in row
    as_json = run_cli("bench", str(exe), "--json", home=home)
    assert as_json.returncode == 1 and as_json.stderr == ""
    assert "boom" in json.loads(as_json.stdout)["failed"][0]["error"]


def test_cli_unknown_name_and_nothing_to_measure_are_one_line(tmp_path: Path) -> None:
    done = run_cli("bench", "no-such-python", home=tmp_path / "home")
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no-such-python" in done.stderr
    done = run_cli("bench", home=tmp_path / "home")
    assert done.returncode == 1 and "nothing to measure" in done.stderr


@posix_only
def test_cli_sigint_during_a_step_cleans_up(tmp_path: Path) -> None:
    import signal
    import time

    marker = tmp_path / "started"
    exe = broken(tmp_path, "slowstep", f"touch '{marker}'\nexec sleep 600")
    from tests.support.cli import cli_env

    proc = subprocess.Popen(
        [os.sys.executable, "-m", "pybs_tui", "bench", str(exe)],  # type: ignore[attr-defined]
        env=cli_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):
            if marker.exists():
                break
            time.sleep(0.05)
        assert marker.exists()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err
    left = subprocess.run(["pgrep", "-f", str(exe)], capture_output=True, text=True)
    assert left.stdout.strip() == ""


def test_cli_table_on_a_narrow_terminal_is_a_summary_and_a_column_per_interpreter(
    tmp_path: Path, fast: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import sys

    from pybs_tui.cli import bench as bench_cli

    settings = settings_in(tmp_path)
    bench_one(settings, Target(fast, str(fast)), runs=1)
    table, _ = load_speeds(settings)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(bench_cli, "_width", lambda: 80)
    monkeypatch.setenv("COLUMNS", "80")
    bench_cli.print_results([Target(fast, str(fast))], table)
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("#1") and "release 1.00x" in line for line in out)
    medians = {line.split()[0]: line.split()[-1] for line in out if line[:1].isalpha()}
    assert set(medians) >= {"start", "imports", "calls", "numeric"}
    assert float(medians["calls"]) > 0
