"""Used-by (venvs, uv tools, links in ~/.local/bin) and 'newer available' against a Catalog."""

from __future__ import annotations

import os
from pathlib import Path

from pybs_tui.catalog.group import Host
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.install.registry import Roots, attach_usage, discover, find_usage
from pybs_tui.service.inventory import mark_newer, newer_available
from tests.installed.fakes import asset, make_own_install, make_python_tree, make_settings, write


def _venv(path: Path, home: Path) -> None:
    write(
        path / "pyvenv.cfg",
        f"home = {home}\ninclude-system-site-packages = false\nversion = 3.12.3\n".encode(),
    )


def test_used_by_venvs_tools_and_links(tmp_path):
    home = tmp_path / "user"
    settings = make_settings(tmp_path)
    own, _ = make_own_install(settings, asset("3.12.3", "20240415"))
    uv_root = home / ".local/share/uv/python"
    uv_dir = uv_root / "cpython-3.12.3-linux-x86_64-gnu"
    make_python_tree(uv_dir, "3.12.3")
    (uv_root / "cpython-3.12-linux-x86_64-gnu").symlink_to(uv_dir)  # uv's minor link
    pyenv = tmp_path / "pyenv"
    make_python_tree(pyenv / "versions/3.11.9", "3.11.9")
    unused = pyenv / "versions/3.10.4"
    make_python_tree(unused, "3.10.4")

    _venv(home / "proj/.venv", own / "bin")
    _venv(home / "work/app/.venv", uv_root / "cpython-3.12-linux-x86_64-gnu" / "bin")  # via link
    _venv(home / "a/b/c/d/e/.venv", pyenv / "versions/3.10.4/bin")  # deeper than 4: not seen
    _venv(home / ".local/share/uv/tools/ruff", pyenv / "versions/3.11.9/bin")
    (home / ".local/bin").mkdir(parents=True)
    (home / ".local/bin/python3.12").symlink_to(uv_dir / "bin/python3")
    (home / "linked-proj").symlink_to(home / "proj")  # a dir link: not followed (no duplicate)

    roots = Roots(env={"PYENV_ROOT": str(pyenv)}, home=home, platform="linux")
    interps = discover(settings, roots)
    usage = find_usage(roots, [i.path for i in interps])
    attach_usage(interps, usage)
    by_path = {i.path: i.used_by for i in interps}
    assert usage.complete
    assert by_path[own] == [f"venv {home / 'proj/.venv'}"]
    assert by_path[uv_dir] == [
        f"venv {home / 'work/app/.venv'}",
        f"link {home / '.local/bin/python3.12'}",
    ]
    assert by_path[pyenv / "versions/3.11.9"] == ["uv tool ruff"]
    assert by_path[unused] == []


def test_used_by_scan_bounded_in_time(tmp_path):
    home = tmp_path / "user"
    _venv(home / "proj/.venv", tmp_path / "x/bin")
    roots = Roots(env={}, home=home, platform="linux", scan_seconds=0.0)
    usage = find_usage(roots)
    assert not usage.complete


def test_used_by_venv_roots_add_to_the_home_scan(tmp_path):
    home = tmp_path / "user"
    elsewhere, other = tmp_path / "srv", tmp_path / "data"
    _venv(elsewhere / "site/.venv", tmp_path / "py/bin")
    _venv(other / "a/b/env", tmp_path / "py/bin")
    _venv(home / "proj/.venv", tmp_path / "py/bin")
    env = {"PYBS_TUI_VENV_ROOTS": os.pathsep.join([str(elsewhere), "", str(other)])}
    usage = find_usage(Roots(env=env, home=home, platform="linux"))
    assert [v for v, _ in usage.venvs] == [
        elsewhere / "site/.venv",
        other / "a/b/env",
        home / "proj/.venv",
    ]
    assert usage.users_of(tmp_path / "py") == [
        f"venv {elsewhere / 'site/.venv'}",
        f"venv {other / 'a/b/env'}",
        f"venv {home / 'proj/.venv'}",
    ]
    assert usage.users_of(tmp_path / "py-other") == []  # a prefix of the name is not inside


NAMES = [
    asset("3.12.3", "20240415"),
    asset("3.12.8", "20250106"),
    asset("3.12.9", "20250205", triple="aarch64-apple-darwin"),
    asset("3.13.0", "20241008", "freethreaded+pgo+lto", flavor="full"),
    asset("3.13.1", "20250106", "freethreaded+pgo+lto", flavor="full"),
    asset("3.13.1", "20250106"),
    asset("3.13.1", "20250205"),
    asset("3.14.0rc3", "20250923"),
    asset("3.14.0a1", "20241016"),
    asset("3.12.9rc1", "20250205"),  # a pre-release never beats an installed final
    asset("3.12.10", "20250408", "debug", flavor="full"),  # another variant's line
]
LINUX = Host("linux", "x86_64", "gnu", 3)


def _catalog() -> Catalog:
    builds = [parse_name(n) for n in NAMES]
    assert all(b is not None and b.known for b in builds)
    return Catalog(builds, "file", "test")  # type: ignore[arg-type]


def test_newer_patch_and_newer_build(tmp_path):
    settings = make_settings(tmp_path)
    make_own_install(settings, asset("3.12.3", "20240415"))
    make_own_install(settings, asset("3.12.8", "20250106"))
    make_own_install(settings, asset("3.13.1", "20250106"))
    make_own_install(settings, asset("3.13.0", "20241008", "freethreaded+pgo+lto", flavor="full"))
    home = tmp_path / "user"
    make_python_tree(home / ".local/share/uv/python/cpython-3.14.0a1-linux-x86_64-gnu", "3.14.0a1")
    make_python_tree(home / ".local/share/mise/installs/python/3.12.3", "3.12.3")
    interps = discover(settings, Roots(env={}, home=home, platform="linux"))
    mark_newer(interps, _catalog(), LINUX)
    got = {(i.manager, i.label): i.newer for i in interps}
    assert got == {
        ("pybs-tui", "3.13.1"): "3.13.1+20250205",  # same patch, newer build
        ("pybs-tui", "3.13.0t"): "3.13.1",  # the freethreaded line moves on its own
        ("pybs-tui", "3.12.8"): "",  # newest: nothing
        ("pybs-tui", "3.12.3"): "3.12.8",  # darwin's 3.12.9 does not count
        ("uv", "3.14.0a1"): "3.14.0rc3",  # pre-releases compare to pre-releases
        ("mise", "3.12.3"): "3.12.8",  # no platform known: the host's
    }


def test_newer_uses_host_for_unknown_platform_and_none_without_catalog(tmp_path):
    home = tmp_path / "user"
    make_python_tree(home / ".rye/py/cpython@3.12.3", "3.12.3")
    rye = discover(make_settings(tmp_path), Roots(env={}, home=home, platform="linux"))[0]
    assert newer_available(rye, _catalog(), Host("darwin", "aarch64", "none")) == "3.12.9"
    assert newer_available(rye, None, LINUX) == ""
    assert newer_available(rye, _catalog(), None) == ""
