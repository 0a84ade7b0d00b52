"""`pybs-tui installed / uninstall / prune`, headless, in a subprocess with PYBS_TUI_HOME=tmp."""

from __future__ import annotations

import json

import pytest

from pybs_tui.install.root import TRASH_PREFIX
from tests.installed.fakes import (
    asset,
    make_own_install,
    make_python_tree,
    make_settings,
    run_cli,
    snapshot,
    write,
)


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path)


def _no_traceback(proc) -> None:
    assert "Traceback" not in proc.stderr


def test_installed_json_lists_own_and_other_managers(tmp_path, settings):
    own, size = make_own_install(settings, asset("3.12.3", "20240415"))
    user = tmp_path / "user"
    uv_size = make_python_tree(
        user / ".local/share/uv/python/cpython-3.11.9-linux-x86_64-gnu", "3.11.9"
    )
    write(user / "proj/.venv/pyvenv.cfg", f"home = {own}/bin\n".encode())
    proc = run_cli(tmp_path, "installed", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    rows = {r["manager"]: r for r in data["interpreters"]}
    assert set(rows) == {"pybs-tui", "uv"}
    assert rows["pybs-tui"]["size"] == size and rows["uv"]["size"] == uv_size
    assert rows["pybs-tui"]["release"] == "20240415"
    assert rows["pybs-tui"]["used_by"] == [f"venv {user / 'proj/.venv'}"]
    assert rows["uv"]["remove_command"] == "uv python uninstall 3.11.9"
    assert data["total_bytes"] == size + uv_size and data["count"] == 2
    own_only = json.loads(run_cli(tmp_path, "installed", "--json", "--own").stdout)
    assert [r["manager"] for r in own_only["interpreters"]] == ["pybs-tui"]


def test_installed_table(tmp_path, settings):
    make_own_install(settings, asset("3.12.3", "20240415"))
    proc = run_cli(tmp_path, "installed", "--own")
    assert proc.returncode == 0, proc.stderr
    header, _rule, row, summary = proc.stdout.splitlines()
    words = ("manager", "version", "flavor", "options", "release", "size", "newer", "used by")
    for word in (*words, "path"):
        assert word in header
    assert row.split()[:5] == ["pybs-tui", "3.12.3", "install_only", "-", "20240415"]
    assert "1 interpreters (1 pybs-tui)" in summary


def test_installed_with_a_broken_catalog_still_lists(tmp_path, settings):
    make_own_install(settings, asset("3.12.3", "20240415"))
    proc = run_cli(tmp_path, "installed", "--own", "--catalog", str(tmp_path / "missing.json"))
    assert proc.returncode == 0
    assert "3.12.3" in proc.stdout and "note: no catalog" in proc.stderr
    _no_traceback(proc)


def test_uninstall_yes_removes_and_reports_bytes(tmp_path, settings):
    keep, _ = make_own_install(settings, asset("3.12.8", "20250106"))
    gone, size = make_own_install(settings, asset("3.12.3", "20240415"))
    before = snapshot(keep)
    proc = run_cli(tmp_path, "uninstall", gone.name, "--yes")
    assert proc.returncode == 0, proc.stderr
    assert not gone.exists() and snapshot(keep) == before
    assert f"removed {gone.name}" in proc.stdout
    assert not [p for p in settings.install_dir.iterdir() if p.name.startswith(TRASH_PREFIX)]
    # the asset file name works as well as the dir name
    proc = run_cli(tmp_path, "uninstall", asset("3.12.8", "20250106"), "--yes")
    assert proc.returncode == 0 and not keep.exists()
    assert size > 1000


def test_uninstall_without_yes_on_a_pipe_refuses(tmp_path, settings):
    path, _ = make_own_install(settings, asset("3.12.3", "20240415"))
    proc = run_cli(tmp_path, "uninstall", path.name)
    assert proc.returncode != 0 and path.is_dir()
    assert "--yes" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    _no_traceback(proc)


def test_uninstall_other_managers_interpreter_names_its_command(tmp_path, settings):
    user = tmp_path / "user"
    uv_dir = user / ".local/share/uv/python/cpython-3.12.3-linux-x86_64-gnu"
    make_python_tree(uv_dir, "3.12.3")
    before = snapshot(uv_dir)
    for name in ("cpython-3.12.3-linux-x86_64-gnu", "3.12.3"):
        proc = run_cli(tmp_path, "uninstall", name, "--yes")
        assert proc.returncode != 0
        assert "uv python uninstall 3.12.3" in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
    assert snapshot(uv_dir) == before


@pytest.mark.parametrize(
    "manager,path,command",
    [
        ("pyenv", ".pyenv/versions/3.12.3", "pyenv uninstall 3.12.3"),
        ("rye", ".rye/py/cpython@3.12.3", "rye toolchain remove cpython@3.12.3"),
        ("mise", ".local/share/mise/installs/python/3.12.3", "mise uninstall python@3.12.3"),
        ("pdm", ".local/share/pdm/python/cpython@3.12.3", "pdm python remove cpython@3.12.3"),
    ],
)
def test_uninstall_refusal_names_each_tool(tmp_path, manager, path, command):
    make_python_tree(tmp_path / "user" / path, "3.12.3")
    proc = run_cli(tmp_path, "uninstall", path.rsplit("/", 1)[1], "--yes")
    assert proc.returncode != 0 and command in proc.stderr and manager in proc.stderr
    assert (tmp_path / "user" / path / "bin/python3").exists()


def test_prune_dry_run_then_yes(tmp_path, settings):
    old, old_size = make_own_install(settings, asset("3.12.3", "20240415"))
    rebuilt, rebuilt_size = make_own_install(settings, asset("3.12.8", "20250106"))
    newest, _ = make_own_install(settings, asset("3.12.8", "20250205"))
    ft, _ = make_own_install(
        settings, asset("3.13.1", "20250106", "freethreaded+pgo+lto", flavor="full")
    )
    plain, _ = make_own_install(settings, asset("3.13.0", "20241008"))

    dry = run_cli(tmp_path, "prune", "--dry-run", "--json")
    plan = json.loads(dry.stdout)
    assert sorted(r["name"] for r in plan["remove"]) == sorted([old.name, rebuilt.name])
    assert sorted(r["name"] for r in plan["keep"]) == sorted([newest.name, ft.name, plain.name])
    assert plan["reclaimable"] == old_size + rebuilt_size
    assert old.exists() and rebuilt.exists()

    text = run_cli(tmp_path, "prune", "--dry-run")
    assert "reclaimable" in text.stdout and old.name in text.stdout and old.exists()

    refused = run_cli(tmp_path, "prune")
    assert refused.returncode != 0 and "--yes" in refused.stderr and old.exists()

    done = run_cli(tmp_path, "prune", "--yes")
    assert done.returncode == 0, done.stderr
    assert not old.exists() and not rebuilt.exists()
    assert newest.exists() and ft.exists() and plain.exists()
    again = run_cli(tmp_path, "prune", "--yes")
    assert again.returncode == 0 and "nothing to prune" in again.stdout


def test_prune_keeps_a_used_install_and_says_why(tmp_path, settings):
    user = tmp_path / "user"
    used, _ = make_own_install(settings, asset("3.12.3", "20240415"))
    unused, unused_size = make_own_install(settings, asset("3.12.5", "20240726"))
    newest, _ = make_own_install(settings, asset("3.12.8", "20250106"))
    write(user / "proj/.venv/pyvenv.cfg", f"home = {used}/bin\n".encode())
    write(user / "work/app/.python-version", b"3.12.3\n")
    before = snapshot(used)

    plan = json.loads(run_cli(tmp_path, "prune", "--dry-run", "--json").stdout)
    assert [r["name"] for r in plan["remove"]] == [unused.name]
    assert plan["reclaimable"] == unused_size
    [kept] = plan["kept_because_used"]
    assert kept["name"] == used.name
    assert kept["reason"] == "older patch: 3.12.8 is installed"
    assert kept["used_by"] == [
        f"venv {user / 'proj/.venv'}",
        f"pin {user / 'work/app/.python-version'} (3.12.3)",
    ]

    done = run_cli(tmp_path, "prune", "--yes")
    assert done.returncode == 0, done.stderr
    assert not unused.exists() and newest.is_dir()
    assert snapshot(used) == before  # the venv's interpreter is still there
    out = done.stdout
    assert "kept because in use" in out and used.name in out
    assert "used by venv ~/proj/.venv" in out
    assert "used by pin ~/work/app/.python-version (3.12.3)" in out
    assert "--include-used" in out

    again = run_cli(tmp_path, "prune", "--yes", "--keep-used")  # the old flag: now the default
    assert again.returncode == 0 and "nothing to prune" in again.stdout
    assert "used by venv ~/proj/.venv" in again.stdout and used.is_dir()


def test_prune_include_used_removes_it_and_warns(tmp_path, settings):
    user = tmp_path / "user"
    used, _ = make_own_install(settings, asset("3.12.3", "20240415"))
    make_own_install(settings, asset("3.12.8", "20250106"))
    write(user / "proj/.venv/pyvenv.cfg", f"home = {used}/bin\n".encode())
    plan = json.loads(run_cli(tmp_path, "prune", "--dry-run", "--json", "--include-used").stdout)
    assert [r["name"] for r in plan["remove"]] == [used.name]
    assert plan["kept_because_used"] == []
    refused = run_cli(tmp_path, "prune", "--include-used")
    assert refused.returncode != 0 and used.is_dir()
    done = run_cli(tmp_path, "prune", "--include-used", "--yes")
    assert done.returncode == 0, done.stderr
    assert not used.exists()
    assert "in use" in done.stderr and "used by venv ~/proj/.venv" in done.stdout
    _no_traceback(done)


def test_uninstall_of_a_used_install_names_every_user(tmp_path, settings):
    user = tmp_path / "user"
    path, _ = make_own_install(settings, asset("3.12.3", "20240415"))
    write(user / "proj/.venv/pyvenv.cfg", f"home = {path}/bin\n".encode())
    write(user / ".local/share/pipx/venvs/black/pyvenv.cfg", f"home = {path}/bin\n".encode())
    (user / ".local/bin").mkdir(parents=True)
    (user / ".local/bin/python3.12").symlink_to(path / "bin/python3")
    cwd = user / "code/app"
    write(cwd / ".python-version", b"3.12\n")
    proc = run_cli(tmp_path, "uninstall", path.name, cwd=cwd)
    assert proc.returncode != 0 and path.is_dir()  # a pipe, no --yes: refused as before
    for line in (
        "used by venv ~/proj/.venv",
        "used by pipx black",
        "used by link ~/.local/bin/python3.12",
        "used by pin ~/code/app/.python-version (3.12)",
    ):
        assert line in proc.stdout
    assert "--yes" in proc.stderr and "in use" in proc.stderr
    _no_traceback(proc)
    assert run_cli(tmp_path, "uninstall", path.name, "--yes", cwd=cwd).returncode == 0
    assert not path.exists()
    assert (user / "proj/.venv/pyvenv.cfg").is_file()  # the venv itself is never touched
