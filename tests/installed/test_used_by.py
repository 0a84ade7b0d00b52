"""Where "used by" looks: the working dir and its parents' projects, PYBS_TUI_VENV_ROOTS, pipx,
.python-version pins; every read bounded, nothing followed through a symlink, nothing written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from pybs_tui.catalog.names import parse_version
from pybs_tui.install.registry import (
    Roots,
    attach_usage,
    discover,
    find_usage,
    pin_matches,
    read_pins,
    read_pyvenv_homes,
    short_user,
    users_summary,
)
from tests.installed.fakes import asset, make_own_install, make_python_tree, make_settings, write


def _venv(path: Path, home: Path) -> None:
    write(path / "pyvenv.cfg", f"home = {home}\nversion = 3.12.3\n".encode())


def _pin(folder: Path, text: str) -> Path:
    write(folder / ".python-version", text.encode())
    return folder / ".python-version"


def _roots(home: Path, **kwargs) -> Roots:
    return Roots(env=kwargs.pop("env", {}), home=home, platform="linux", **kwargs)


def test_cwd_and_its_parents_projects(tmp_path):
    """From the working dir up to home: venvs in each folder and one level below."""
    home = tmp_path / "user"
    py = tmp_path / "py"
    cwd = home / "work/proj/src"
    cwd.mkdir(parents=True)
    _venv(home / "work/proj/.venv", py / "bin")  # the project's own, beside src/
    _venv(home / "work/other/venv", py / "bin")  # a sibling project of a parent
    _venv(cwd / "pkg/env", py / "bin")  # one level of subfolders below the working dir
    _venv(cwd / "a/b/.venv", py / "bin")  # two levels: beyond the walk
    _venv(home / "x/y/z/.venv", py / "bin")  # only the home scan would reach it
    roots = _roots(home, cwd=cwd, venv_roots=())  # no home scan: only the walk up
    usage = find_usage(roots)
    assert sorted(v for v, _ in usage.venvs) == sorted(
        [home / "work/proj/.venv", home / "work/other/venv", cwd / "pkg/env"]
    )
    assert usage.complete
    # the working dir inside a venv: that venv counts too
    inside = home / "work/proj/.venv/lib/python3.12"
    inside.mkdir(parents=True)
    walk = find_usage(_roots(home, cwd=inside, venv_roots=()))
    assert home / "work/proj/.venv" in [v for v, _ in walk.venvs]


def test_cwd_walk_stops_at_home_and_is_off_without_a_cwd(tmp_path):
    home = tmp_path / "user"
    _venv(tmp_path / "beside-home/.venv", tmp_path / "py/bin")  # a sibling of home: not walked
    cwd = home / "proj"
    cwd.mkdir(parents=True)
    roots = _roots(home, cwd=cwd, venv_roots=())
    assert roots.project_dirs() == [cwd, home]
    assert find_usage(roots).venvs == []
    assert _roots(home).project_dirs() == []
    # outside home the walk goes up to /
    outside = _roots(home, cwd=tmp_path / "srv/app")
    assert outside.project_dirs()[-1] == Path("/")
    assert Roots.from_env(env={}, home=home).cwd is None  # a fake env never reads the real cwd
    assert Roots.from_env(env={}, home=home, cwd=cwd).cwd == cwd


def test_venv_roots_env_var_is_searched_deep(tmp_path):
    home = tmp_path / "user"
    srv = tmp_path / "srv"
    _venv(srv / "team/site/.venv", tmp_path / "py/bin")
    env = {"PYBS_TUI_VENV_ROOTS": f"{srv}{os.pathsep}{tmp_path / 'missing'}"}
    roots = _roots(home, env=env)
    assert roots.scan_roots() == [srv, tmp_path / "missing", home]
    assert [v for v, _ in find_usage(roots).venvs] == [srv / "team/site/.venv"]


def test_pipx_venvs_from_pipx_home_and_the_default_places(tmp_path):
    home = tmp_path / "user"
    py, old = tmp_path / "py", tmp_path / "old"
    _venv(tmp_path / "pipx-home/venvs/black", py / "bin")
    _venv(home / ".local/pipx/venvs/httpie", old / "bin")
    _venv(home / ".local/share/pipx/venvs/ruff", py / "bin")
    roots = _roots(home, env={"PIPX_HOME": str(tmp_path / "pipx-home")})
    usage = find_usage(roots)
    assert usage.users_of(py) == ["pipx black", "pipx ruff"]
    assert usage.users_of(old) == ["pipx httpie"]
    assert usage.venvs == []  # pipx's venvs are named as pipx apps, not again as venvs
    default = find_usage(_roots(home))
    assert default.users_of(py) == ["pipx ruff"]


def test_pins_in_cwd_parents_and_scanned_projects(tmp_path):
    home = tmp_path / "user"
    settings = make_settings(tmp_path)
    p3123, _ = make_own_install(settings, asset("3.12.3", "20240415"))
    p3128, _ = make_own_install(settings, asset("3.12.8", "20250106"))
    p3131t, _ = make_own_install(
        settings, asset("3.13.1", "20250106", "freethreaded+pgo+lto", flavor="full")
    )
    p3131, _ = make_own_install(settings, asset("3.13.1", "20250106"))
    uv = home / ".local/share/uv/python/cpython-3.11.9-linux-x86_64-gnu"
    make_python_tree(uv, "3.11.9")
    cwd = home / "work/proj/src"
    cwd.mkdir(parents=True)
    minor = _pin(home / "work/proj", "3.12\n")  # a parent of the working dir
    exact = _pin(home / "code/tool", "# pinned by uv\ncpython-3.12.3-linux-x86_64-gnu\n")
    ft = _pin(home / "code/ft", "3.13t")
    by_path = _pin(home / "code/old", f"{uv}/bin/python3\n")
    _pin(home / "code/pypy", "pypy3.10\nsystem\n")  # names no CPython install: nobody's
    top = _pin(home, "3.13.1")  # the home folder's own pin

    roots = _roots(home, cwd=cwd)
    interps = discover(settings, roots)
    attach_usage(interps, find_usage(roots, [i.path for i in interps]))
    got = {i.path: i.used_by for i in interps}
    assert got[p3123] == [f"pin {minor} (3.12)", f"pin {exact} (cpython-3.12.3-linux-x86_64-gnu)"]
    assert got[p3128] == [f"pin {minor} (3.12)"]
    assert got[p3131t] == [f"pin {top} (3.13.1)", f"pin {ft} (3.13t)"]  # in the order found
    assert got[p3131] == [f"pin {top} (3.13.1)"]
    assert got[uv] == [f"pin {by_path} ({uv}/bin/python3)"]
    assert short_user(got[p3128][0], home) == "pin ~/work/proj/.python-version (3.12)"
    assert users_summary(got[p3123], home) == "2: pin ~/work/proj/.python-version (3.12)"
    assert users_summary([], home) == "-"


def test_global_pins_of_pyenv_and_uv(tmp_path):
    home = tmp_path / "user"
    pyenv_global = home / ".pyenv/version"
    write(pyenv_global, b"3.12.3\n")
    uv_global = _pin(home / ".config/uv", "3.12")
    usage = find_usage(_roots(home, venv_roots=()))  # found without any folder scan
    users = usage.users_of(tmp_path / "x", parse_version("3.12.3"), manager="pybs-tui")
    # pyenv's global version names a pyenv interpreter: it does not use ours
    assert users == [f"pin {uv_global} (3.12)"]
    pyenv_users = usage.users_of(tmp_path / "x", parse_version("3.12.3"), manager="pyenv")
    assert pyenv_users == [f"pin {pyenv_global} (3.12.3)", f"pin {uv_global} (3.12)"]


@pytest.mark.parametrize(
    "request_,version,variant,hit",
    [
        ("3.12", "3.12.3", "default", True),
        ("3.12", "3.12.3", "debug", True),  # a minor pin counts for every 3.12.x
        ("3.12", "3.13.0", "default", False),
        ("3", "3.11.9", "default", True),
        ("3.12.3", "3.12.3", "default", True),
        ("3.12.3", "3.12.4", "default", False),
        ("3.13.0", "3.13.0rc3", "default", False),
        ("3.13.0rc3", "3.13.0rc3", "default", True),
        ("cpython-3.12.3", "3.12.3", "default", True),
        ("cpython@3.12.3", "3.12.3", "default", True),
        ("CPython-3.12.3-linux-x86_64-gnu", "3.12.3", "default", True),
        ("python3.12", "3.12.1", "default", True),
        ("3.13t", "3.13.1", "freethreaded", True),
        ("3.13t", "3.13.1", "default", False),
        ("3.12.3+debug", "3.12.3", "debug", True),
        ("3.12.3+debug", "3.12.3", "default", False),
        ("3.12.30", "3.12.3", "default", False),
        ("3.1", "3.12.3", "default", False),
        ("pypy3.10", "3.10.14", "default", False),
        ("system", "3.12.3", "default", False),
        ("", "3.12.3", "default", False),
    ],
)
def test_pin_matches(request_, version, variant, hit):
    assert pin_matches(request_, parse_version(version), variant) is hit


def test_reads_are_bounded_and_never_block(tmp_path):
    home = tmp_path / "user"
    huge = home / "big/.venv/pyvenv.cfg"
    write(huge, b"# padding\n" * 10_000 + b"home = /late/bin\n")  # past the 64 KiB read
    assert read_pyvenv_homes(huge) == []
    pins = _pin(home / "many", "\n".join(f"3.{n}" for n in range(50)))
    assert len(read_pins(pins)) == 8
    # a FIFO named like a pin or a config is refused, not waited on
    os.makedirs(home / "fifo-proj")
    os.mkfifo(home / "fifo-proj" / ".python-version")
    os.makedirs(home / "fifo-venv")
    os.mkfifo(home / "fifo-venv" / "pyvenv.cfg")
    start = time.monotonic()
    usage = find_usage(_roots(home))
    assert time.monotonic() - start < 5
    assert read_pins(home / "fifo-proj/.python-version") == []
    assert usage.venvs == [(home / "big/.venv", [])]  # a venv, its home past the limit unread


def test_symlinks_are_not_followed_and_nothing_is_written(tmp_path):
    home = tmp_path / "user"
    _venv(home / "proj/.venv", tmp_path / "py/bin")
    (home / "proj/loop").symlink_to(home)  # a loop back to home
    (home / "elsewhere").symlink_to(tmp_path / "outside")
    _venv(tmp_path / "outside/hidden/.venv", tmp_path / "py/bin")
    before = sorted((p, p.lstat().st_mtime_ns) for p in tmp_path.rglob("*"))
    usage = find_usage(_roots(home, cwd=home / "proj"))
    assert [v for v, _ in usage.venvs] == [home / "proj/.venv"]
    assert usage.complete
    assert sorted((p, p.lstat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


def test_time_limit_marks_the_scan_incomplete(tmp_path):
    home = tmp_path / "user"
    for n in range(30):
        (home / f"d{n}/e").mkdir(parents=True)
    usage = find_usage(_roots(home, cwd=home / "d0", scan_seconds=0.0))
    assert not usage.complete
