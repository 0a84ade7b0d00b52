"""Interpreters for the speed tests: the runner's own, the same one made slower for real, and
broken stand-ins (shell scripts) that answer the probe and then misbehave in a step."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

GOOD_PROBE = (
    '{"version": "3.12.3", "Py_DEBUG": 0, "Py_GIL_DISABLED": 0, "abiflags": "", "CONFIG_ARGS": ""}'
)


def script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def slow_python(folder: Path) -> Path:
    """The runner's own interpreter with every allocation traced (-X tracemalloc=1): real
    CPU work in every kernel and every start-up, nothing faked. Children the kernel script
    starts (start-up, imports) go through the wrapper too: it is the executable named."""
    return script(
        folder / "slow" / "python3",
        f'exec "{os.path.realpath(sys.executable)}" -X tracemalloc=1 "$@"\n',
    )


def broken(folder: Path, name: str, step_body: str) -> Path:
    """Answers the probe like a CPython 3.12.3, then runs `step_body` for every step."""
    return script(
        folder / name / "python3",
        'if [ "$1" = "-I" ] && [ "$2" = "-c" ]; then\n'
        f"  echo '{GOOD_PROBE}'\n  exit 0\nfi\n{step_body}\n",
    )


@pytest.fixture
def fast() -> Path:
    return Path(os.path.realpath(sys.executable))


@pytest.fixture
def slow(tmp_path: Path) -> Path:
    return slow_python(tmp_path / "pythons")
