"""The core never imports textual; the wheel carries styles/ and assets/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import cli_env

ROOT = Path(__file__).resolve().parents[2]


def test_core_does_not_import_textual(tmp_path):
    code = (
        "import sys, pkgutil, importlib, pybs_tui\n"
        "for m in pkgutil.walk_packages(pybs_tui.__path__, 'pybs_tui.'):\n"
        "    if '.ui' not in m.name and not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "from pybs_tui.__main__ import main\n"
        "main(['list', '--offline', '--json'])\n"
        "loaded = sorted(k for k in sys.modules if 'textual' in k)\n"
        "assert not loaded, loaded\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=cli_env(tmp_path),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]


@pytest.mark.timeout(600)
def test_wheel_installs_and_finds_its_data(tmp_path):
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = dist.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pybs_tui/_data/assets/catalog-snapshot.json" in names
    assert any(n.startswith("pybs_tui/_data/styles/") and n.endswith(".tcss") for n in names)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    # dependencies come from the package registry, like a user's `pip install`
    inst = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(wheel)],
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert inst.returncode == 0, inst.stderr[-2000:]
    probe = (
        "import pybs_tui.resources as r; print(r.snapshot_path()); "
        "print(sorted(p.name for p in r.styles_dir().glob('*.tcss')))"
    )
    out = subprocess.run(
        [str(py), "-c", probe],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert str(venv) in out.stdout and "_data/assets/catalog-snapshot.json" in out.stdout
    assert ".tcss" in out.stdout
    listing = subprocess.run(
        [str(venv / "bin" / "pybs-tui"), "list", "--offline", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYBS_TUI_HOME": str(tmp_path / "h")},
    )
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.lstrip().startswith("[")
