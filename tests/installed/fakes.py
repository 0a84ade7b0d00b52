"""Fake interpreter trees for the Installed tests: own installs (dir + receipt, independent of
the install pipeline) and the layouts of uv, pdm, rye, hatch, mise and pyenv, all in tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pybs_tui.catalog.names import parse_name
from pybs_tui.install.receipts import RECEIPT_NAME, RECEIPT_SCHEMA, install_dir_name
from pybs_tui.settings import Settings

APP_DIR = str(Path(__file__).resolve().parents[2] / "app")
#: Environment variables that point discovery somewhere; stripped from every child process.
MANAGER_VARS = (
    "UV_PYTHON_INSTALL_DIR",
    "UV_TOOL_DIR",
    "UV_TOOL_BIN_DIR",
    "UV_PYTHON_BIN_DIR",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_BIN_HOME",
    "PYENV_ROOT",
    "RYE_HOME",
    "HATCH_DATA_DIR",
    "MISE_DATA_DIR",
    "PDM_CONFIG_FILE",
    "PYBS_TUI_VENV_ROOTS",
    "PIPX_HOME",
    "UV_CONFIG_DIR",
    "VIRTUAL_ENV",
)


def make_settings(tmp_path: Path) -> Settings:
    """Settings under tmp_path/home: the same dirs PYBS_TUI_HOME=tmp_path/home gives."""
    home = tmp_path / "home"
    return Settings(
        cache_dir=home / "cache", data_dir=home / "data", state_dir=home / "state", offline=True
    )


def write(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def make_python_tree(
    path: Path, version: str = "3.12.3", abiflags: str = "", payload: int = 1000
) -> int:
    """A small CPython-shaped tree; returns its exact disk use (files + symlink targets)."""
    minor = ".".join(version.split(".")[:2])
    total = 0
    total += write(
        path / "bin" / f"python{minor}{abiflags}",
        b"#!/bin/sh\necho fake python " + version.encode() + b"\n",
    )
    (path / "bin" / "python3").symlink_to(f"python{minor}{abiflags}")
    total += len(f"python{minor}{abiflags}")
    total += write(path / "lib" / f"python{minor}{abiflags}" / "os.py", b"x" * payload)
    total += write(
        path / "lib" / f"python{minor}{abiflags}" / "site-packages" / "README.txt", b"site\n"
    )
    total += write(
        path / "include" / f"python{minor}{abiflags}" / "patchlevel.h",
        f'/* fake */\n#define PY_VERSION "{version}"\n'.encode(),
    )
    return total


def receipt_for(asset_name: str, **extra: object) -> dict:
    build = parse_name(asset_name)
    assert build is not None and build.version is not None
    receipt = {
        "schema": RECEIPT_SCHEMA,
        "name": asset_name,
        "url": f"https://example.invalid/{build.release}/{asset_name}",
        "sha256": "0" * 64,
        "size": 1234,
        "release": build.release,
        "version": str(build.version),
        "flavor": build.flavor,
        "build_options": sorted(build.options),
        "triple": build.triple,
        "installed_at": "2025-01-01T00:00:00+00:00",
        "source": "test",
        "verified": True,
        "probe": {
            "version": str(build.version),
            "Py_DEBUG": build.py_debug,
            "Py_GIL_DISABLED": build.gil_disabled,
            "abiflags": ("t" if build.gil_disabled else "") + ("d" if build.py_debug else ""),
            "CONFIG_ARGS": "",
        },
    }
    receipt.update(extra)
    return receipt


def make_own_install(settings: Settings, asset_name: str, payload: int = 1000) -> tuple[Path, int]:
    """An own install written directly (tree + receipt); returns (dir, exact disk use)."""
    build = parse_name(asset_name)
    assert build is not None
    path = settings.install_dir / install_dir_name(asset_name)
    abiflags = ("t" if build.gil_disabled else "") + ("d" if build.py_debug else "")
    size = make_python_tree(path, str(build.version), abiflags, payload)
    size += write(path / RECEIPT_NAME, json.dumps(receipt_for(asset_name)).encode())
    return path, size


def asset(
    version: str,
    release: str,
    options: str = "",
    triple: str = "x86_64-unknown-linux-gnu",
    flavor: str = "install_only",
) -> str:
    opts = f"-{options}" if options else ""
    ext = "tar.zst" if flavor == "full" else "tar.gz"
    return f"cpython-{version}+{release}-{triple}{opts}-{flavor}.{ext}"


def snapshot(root: Path) -> dict[str, tuple]:
    """Every entry under root: kind, bytes or link target, mode. Byte-for-byte comparable."""
    out: dict[str, tuple] = {}
    if not os.path.lexists(root):
        return out
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir", st.st_mode)
            else:
                out[rel] = ("file", p.read_bytes(), st.st_mode)
    return out


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """Env for `python -m pybs_tui`: PYBS_TUI_HOME and HOME inside tmp_path, no manager vars."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in MANAGER_VARS
        and k not in ("GITHUB_TOKEN", "GH_TOKEN", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    }
    env["PYBS_TUI_HOME"] = str(tmp_path / "home")
    env["HOME"] = str(tmp_path / "user")
    env["PYBS_TUI_OFFLINE"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [APP_DIR, os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


def run_cli(
    tmp_path: Path, *args: str, stdin: str | None = None, cwd: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    """`python -m pybs_tui ARGS`, in `cwd` (default: the fake home, so the walk up from the
    working dir stays inside tmp_path)."""
    if cwd is None:
        cwd = tmp_path / "user"
        cwd.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "pybs_tui", *args],
        capture_output=True,
        text=True,
        env=child_env(tmp_path, **extra),
        timeout=60,
        input=stdin if stdin is not None else "",
        cwd=cwd,
    )


def isolate_home(monkeypatch, tmp_path: Path) -> Path:
    """For in-process CLI calls: HOME (and the working dir) in tmp_path, no manager variables."""
    user = tmp_path / "user"
    user.mkdir(exist_ok=True)
    monkeypatch.chdir(user)
    monkeypatch.setenv("HOME", str(user))
    monkeypatch.setenv("PYBS_TUI_OFFLINE", "1")
    for var in MANAGER_VARS:
        monkeypatch.delenv(var, raising=False)
    return user
