"""The layers hold: arrows only point down, and only ui/ imports textual.

ui and cli -> service -> install, net -> catalog, and the ground floor (progress, fileops,
units, settings, resources, host). Every import statement of every module is read (imports
inside functions too), and the core is also imported for real in a fresh interpreter.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import cli_env

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "app" / "pybs_tui"


def imports_of(path: Path) -> set[str]:
    """Every module an import statement in `path` names, made absolute."""
    package = "pybs_tui." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts[:-1])
    package = package.rstrip(".")
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            out.add(module)
            out.update(f"{module}.{alias.name}" for alias in node.names)
    return out


def layer_imports(layer: str) -> dict[str, set[str]]:
    folder = PACKAGE / layer
    files = [folder.with_suffix(".py")] if folder.with_suffix(".py").exists() else []
    files += sorted(folder.rglob("*.py")) if folder.is_dir() else []
    return {str(f.relative_to(PACKAGE)): imports_of(f) for f in files}


def offenders(layer: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return sorted(
        (module, name)
        for module, names in layer_imports(layer).items()
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_the_catalog_imports_nothing_outside_the_stdlib():
    allowed_own = ("pybs_tui.catalog", "pybs_tui.units")
    bad = [
        (module, name)
        for module, names in layer_imports("catalog").items()
        for name in names
        if not name.startswith(allowed_own)
        and name.split(".")[0] not in sys.stdlib_module_names
        and name != "__future__"
    ]
    assert bad == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("net", ("pybs_tui.install", "pybs_tui.service", "pybs_tui.cli", "pybs_tui.ui")),
        ("install", ("pybs_tui.net", "pybs_tui.service", "pybs_tui.cli", "pybs_tui.ui")),
        ("service", ("pybs_tui.cli", "pybs_tui.ui", "textual")),
        ("cli", ("pybs_tui.ui", "textual")),
        ("ui", ("pybs_tui.cli",)),
        ("progress", ("pybs_tui.net", "pybs_tui.install", "pybs_tui.service", "textual")),
        ("units", ("pybs_tui",)),
        ("fileops", ("pybs_tui.net", "pybs_tui.install", "pybs_tui.service", "textual")),
    ],
)
def test_arrows_point_down(layer, forbidden):
    assert offenders(layer, forbidden) == []


def test_only_ui_imports_textual():
    for layer in ("catalog", "net", "install", "service", "cli"):
        assert offenders(layer, ("textual",)) == [], layer


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The AST reader resolves relative imports (so the tests above can fail)."""
    fake = PACKAGE / "net" / "client.py"
    names = imports_of(fake)
    assert "pybs_tui.settings" in names and "httpx" in names


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
    assert "pybs_tui/install/speed_kernels.py" in names  # run by path by `pybs-tui bench`
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
    bench = subprocess.run(
        [str(venv / "bin" / "pybs-tui"), "bench", str(py), "--runs", "1", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYBS_TUI_HOME": str(tmp_path / "h")},
    )
    assert bench.returncode == 0, bench.stderr
    assert json.loads(bench.stdout)["interpreters"][0]["relative"] == 1.0
