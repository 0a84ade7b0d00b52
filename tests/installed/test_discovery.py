"""Discovery of own installs and of uv, pdm, rye, hatch, mise and pyenv trees (all fake, in
tmp_path; the real home dir is never read)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pybs_tui.catalog.names import parse_version
from pybs_tui.install.registry import Roots, discover, fill_sizes
from tests.installed.fakes import asset, make_own_install, make_python_tree, make_settings, write


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "user"
    h.mkdir()
    return h


@pytest.fixture
def roots(home: Path) -> Roots:
    return Roots(env={}, home=home, platform="linux", venv_roots=(home,))


def _only(interps, manager):
    found = [i for i in interps if i.manager == manager]
    return found


def test_uv_tree_found_with_release_from_build_file(tmp_path, home, roots):
    root = home / ".local/share/uv/python"
    size = make_python_tree(root / "cpython-3.12.3-linux-x86_64-gnu", "3.12.3")
    size += write(root / "cpython-3.12.3-linux-x86_64-gnu" / "BUILD", b"20240415\n")
    ft = make_python_tree(root / "cpython-3.13.1+freethreaded-linux-x86_64-gnu", "3.13.1", "t")
    # newer uv: a minor-version link dir, a lock file and a cache dir: none is an interpreter
    (root / "cpython-3.12-linux-x86_64-gnu").symlink_to(root / "cpython-3.12.3-linux-x86_64-gnu")
    write(root / ".lock", b"")
    (root / ".cache").mkdir()
    interps = discover(make_settings(tmp_path), roots)
    fill_sizes(interps)
    uv = _only(interps, "uv")
    assert [(i.name, str(i.version), i.variant, i.release) for i in uv] == [
        ("cpython-3.13.1+freethreaded-linux-x86_64-gnu", "3.13.1", "freethreaded", ""),
        ("cpython-3.12.3-linux-x86_64-gnu", "3.12.3", "default", "20240415"),
    ]
    assert [i.size for i in uv] == [ft, size]
    assert uv[1].platform == ("linux", "x86_64", "gnu")
    assert uv[1].executable == root / "cpython-3.12.3-linux-x86_64-gnu" / "bin" / "python3"
    assert uv[1].remove_command == "uv python uninstall 3.12.3"
    assert uv[0].flags == ("no-GIL",)


def test_uv_install_dir_env_wins(tmp_path, home):
    custom = tmp_path / "elsewhere"
    make_python_tree(custom / "cpython-3.11.9-linux-aarch64-gnu", "3.11.9")
    make_python_tree(home / ".local/share/uv/python/cpython-3.10.1-linux-x86_64-gnu", "3.10.1")
    roots = Roots(env={"UV_PYTHON_INSTALL_DIR": str(custom)}, home=home, platform="linux")
    uv = _only(discover(make_settings(tmp_path), roots), "uv")
    assert [(str(i.version), i.platform) for i in uv] == [("3.11.9", ("linux", "aarch64", "gnu"))]


def test_uv_xdg_data_home(tmp_path, home):
    xdg = tmp_path / "xdg"
    make_python_tree(xdg / "uv/python/cpython-3.9.20-linux-x86_64-gnu", "3.9.20")
    roots = Roots(env={"XDG_DATA_HOME": str(xdg)}, home=home, platform="linux")
    assert [str(i.version) for i in _only(discover(make_settings(tmp_path), roots), "uv")] == [
        "3.9.20"
    ]


def test_pdm_tree_found(tmp_path, home, roots):
    root = home / ".local/share/pdm/python"
    size = make_python_tree(root / "cpython@3.12.3", "3.12.3")
    make_python_tree(root / "cpython@3.13.0t", "3.13.0", "t")
    write(root / "pypy@3.10.14" / "bin" / "pypy3", b"pypy")  # not CPython
    interps = discover(make_settings(tmp_path), roots)
    fill_sizes(interps)
    pdm = _only(interps, "pdm")
    assert [(i.name, str(i.version), i.variant) for i in pdm] == [
        ("cpython@3.13.0t", "3.13.0", "freethreaded"),
        ("cpython@3.12.3", "3.12.3", "default"),
    ]
    assert pdm[1].size == size
    assert pdm[1].remove_command == "pdm python remove cpython@3.12.3"


def test_pdm_install_root_from_config(tmp_path, home):
    custom = tmp_path / "pdm-pythons"
    make_python_tree(custom / "cpython@3.11.4", "3.11.4")
    write(home / ".config/pdm/config.toml", f'[python]\ninstall_root = "{custom}"\n'.encode())
    roots = Roots(env={}, home=home, platform="linux")
    assert [i.path for i in _only(discover(make_settings(tmp_path), roots), "pdm")] == [
        custom / "cpython@3.11.4"
    ]


def test_rye_tree_found(tmp_path, home, roots):
    root = home / ".rye/py"
    size = make_python_tree(root / "cpython@3.12.3", "3.12.3")
    interps = discover(make_settings(tmp_path), roots)
    fill_sizes(interps)
    rye = _only(interps, "rye")
    assert [(str(i.version), i.size) for i in rye] == [("3.12.3", size)]
    assert rye[0].remove_command == "rye toolchain remove cpython@3.12.3"


def test_hatch_tree_found_with_release_from_source(tmp_path, home, roots):
    root = home / ".local/share/hatch/pythons"
    name = asset("3.12.7", "20241016", triple="x86_64_v3-unknown-linux-gnu")
    size = make_python_tree(root / "3.12" / "python", "3.12.7")
    size += write(
        root / "3.12" / "hatch-dist.json",
        json.dumps(
            {
                "source": f"https://github.com/indygreg/python-build-standalone/releases/download/"
                f"20241016/{name}",
                "python_path": "python/bin/python3",
            }
        ).encode(),
    )
    write(root / "3.11" / "python" / "bin" / "python3", b"no metadata: not hatch's")
    interps = discover(make_settings(tmp_path), roots)
    fill_sizes(interps)
    hatch = _only(interps, "hatch")
    assert [(i.name, str(i.version), i.release, i.size) for i in hatch] == [
        ("3.12", "3.12.7", "20241016", size)
    ]
    assert hatch[0].executable == root / "3.12" / "python" / "bin" / "python3"
    assert hatch[0].remove_command == "hatch python remove 3.12"


def test_mise_tree_found_links_skipped(tmp_path, home, roots):
    root = home / ".local/share/mise/installs/python"
    size = make_python_tree(root / "3.12.3", "3.12.3")
    (root / "3.12").symlink_to("3.12.3")
    (root / "latest").symlink_to("3.12.3")
    interps = discover(make_settings(tmp_path), roots)
    fill_sizes(interps)
    mise = _only(interps, "mise")
    assert [(i.name, str(i.version), i.size) for i in mise] == [("3.12.3", "3.12.3", size)]
    assert mise[0].remove_command == "mise uninstall python@3.12.3"


def test_pyenv_tree_found_venvs_skipped(tmp_path, home):
    root = tmp_path / "pyenv-root"
    size = make_python_tree(root / "versions/3.12.3", "3.12.3")
    make_python_tree(root / "versions/3.13.0t", "3.13.0", "t")
    make_python_tree(root / "versions/3.14-dev", "3.14.0a1")  # version from patchlevel.h
    write(root / "versions/myenv/pyvenv.cfg", b"home = /x/bin\n")  # pyenv-virtualenv env
    make_python_tree(root / "versions/3.11-project", "3.11.9")
    write(root / "versions/3.11-project/pyvenv.cfg", b"home = /x/bin\n")  # a venv, too
    write(root / "versions/miniconda3-latest/bin/python3", b"conda")
    roots = Roots(env={"PYENV_ROOT": str(root)}, home=home, platform="linux")
    interps = discover(make_settings(tmp_path), roots)
    fill_sizes(interps)
    pyenv = _only(interps, "pyenv")
    assert [(i.name, str(i.version), i.variant) for i in pyenv] == [
        ("3.14-dev", "3.14.0a1", "default"),
        ("3.13.0t", "3.13.0", "freethreaded"),
        ("3.12.3", "3.12.3", "default"),
    ]
    assert pyenv[2].size == size
    assert pyenv[1].remove_command == "pyenv uninstall 3.13.0t"


def test_own_installs_from_receipts(tmp_path, roots):
    settings = make_settings(tmp_path)
    path, size = make_own_install(settings, asset("3.12.3", "20240415"))
    dbg, _ = make_own_install(
        settings, asset("3.13.1", "20250106", "freethreaded+debug", flavor="full")
    )
    (settings.install_dir / "no-receipt").mkdir(parents=True)
    (settings.install_dir / ".staging-abc").mkdir()
    interps = discover(settings, roots, others=False)
    fill_sizes(interps)
    assert [(i.manager, i.name, i.label, i.release) for i in interps] == [
        ("pybs-tui", dbg.name, "3.13.1t+debug", "20250106"),
        ("pybs-tui", path.name, "3.12.3", "20240415"),
    ]
    assert interps[1].size == size
    assert interps[0].flags == ("Py_DEBUG", "no-GIL")
    assert interps[1].platform == ("linux", "x86_64", "gnu")
    assert interps[1].to_json()["size"] == size


def test_discovery_reads_nothing_outside_roots(tmp_path, home, roots):
    """A broken tree (unreadable BUILD, junk json) is skipped or degraded, never a crash."""
    root = home / ".local/share/hatch/pythons"
    write(root / "3.12" / "hatch-dist.json", b"{not json")
    write(home / ".local/share/uv/python/cpython-3.12.3-linux-x86_64-gnu/BUILD", b"garbage")
    uv = _only(discover(make_settings(tmp_path), roots), "uv")
    assert [(str(i.version), i.release) for i in uv] == [("3.12.3", "")]
    assert parse_version("3.12.3") == uv[0].version
