"""Run the real `pybs-tui` entry point in a subprocess, isolated in a temp home."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

APP_DIR = str(Path(__file__).resolve().parents[2] / "app")


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment with PYBS_TUI_HOME=home, the checkout importable, no tokens/proxies."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "UV_PYTHON_INSTALL_MIRROR",
            "PYBS_TUI_MIRROR",
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
        )
    }
    env["PYBS_TUI_HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [APP_DIR, env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_cli(
    *args: str, home: Path, timeout: float = 120, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pybs_tui", *args],
        capture_output=True,
        text=True,
        env=cli_env(home, **extra),
        timeout=timeout,
    )
