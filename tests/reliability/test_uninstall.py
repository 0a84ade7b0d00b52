"""Reliability case 37: uninstall refuses everything that is not exactly one of pybs-tui's own
installs, never follows a symlink out of the install root, and removes read-only trees.

Every test checks: the outside/ sentinel is byte-for-byte unchanged, nothing but the target
was removed, and the user got one clear line (non-zero exit, no traceback) when refused.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import filelock
import pytest

from pybs_tui.__main__ import main
from pybs_tui.install import uninstall as uninstall_mod
from pybs_tui.install.receipts import RECEIPT_NAME
from pybs_tui.install.registry import own_installs
from pybs_tui.install.root import TRASH_PREFIX
from pybs_tui.install.uninstall import UninstallError, uninstall_many
from tests.installed.fakes import (
    asset,
    isolate_home,
    make_own_install,
    make_python_tree,
    make_settings,
    receipt_for,
    snapshot,
    write,
)


class World:
    """An install root with a victim and a bystander install, and an outside/ sentinel."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = make_settings(tmp_path)
        self.root = self.settings.install_dir
        self.victim, _ = make_own_install(self.settings, asset("3.12.3", "20240415"))
        self.bystander, _ = make_own_install(self.settings, asset("3.11.9", "20240814"))
        self.outside = tmp_path / "outside"
        write(self.outside / "precious.txt", b"do not touch\n")
        write(self.outside / "nested" / "deep.bin", b"\x00\x01" * 100)
        write(self.outside / RECEIPT_NAME, b"{}")
        self.outside_before = snapshot(self.outside)
        self.root_before = self.root_snapshot()

    def root_snapshot(self) -> dict:
        return {k: v for k, v in snapshot(self.root).items() if k != ".lock"}

    def assert_outside_unchanged(self) -> None:
        assert snapshot(self.outside) == self.outside_before

    def assert_root_unchanged(self) -> None:
        self.assert_outside_unchanged()
        assert self.root_snapshot() == self.root_before


@pytest.fixture
def world(tmp_path, monkeypatch) -> World:
    isolate_home(monkeypatch, tmp_path)
    return World(tmp_path)


def refused(capsys, *names: str) -> str:
    """Run `pybs-tui uninstall NAMES --yes`; assert one line on stderr and a non-zero exit."""
    code = main(["uninstall", *names, "--yes"])
    out, err = capsys.readouterr()
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("pybs-tui: error: ")
    assert "Traceback" not in err
    assert "removed" not in out
    return lines[0]


def test_case37_install_dir_symlink_to_outside_refused(world, capsys):
    link = world.root / "cpython-3.12.9+20250205-x86_64-unknown-linux-gnu-install_only"
    link.symlink_to(world.outside, target_is_directory=True)
    write(world.outside / RECEIPT_NAME, b"")  # a receipt-looking file behind the link
    world.outside_before = snapshot(world.outside)
    world.root_before = world.root_snapshot()
    line = refused(capsys, link.name)
    assert "symbolic link" in line
    assert link.is_symlink()
    world.assert_root_unchanged()


def test_case37_symlinks_inside_install_removed_targets_untouched(world, capsys):
    os.symlink(world.outside, world.victim / "lib" / "evil")  # absolute, to a dir
    os.symlink("../../../../../outside", world.victim / "lib" / "evil-relative")
    assert (world.victim / "lib" / "evil-relative").resolve() == world.outside.resolve()
    os.symlink(world.outside / "precious.txt", world.victim / "bin" / "python-evil")  # to a file
    bystander = snapshot(world.bystander)
    code = main(["uninstall", world.victim.name, "--yes"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"removed {world.victim.name}" in out
    assert not os.path.lexists(world.victim)
    world.assert_outside_unchanged()
    assert snapshot(world.bystander) == bystander
    assert not [p for p in world.root.iterdir() if p.name.startswith(TRASH_PREFIX)]


@pytest.mark.parametrize("name", ["../outside", "..", "../pythons/" + "x", "..\\outside"])
def test_case37_dotdot_names_refused(world, capsys, name):
    line = refused(capsys, name)
    assert "refusing" in line
    world.assert_root_unchanged()


@pytest.mark.parametrize("name", [".", "", "./"])
def test_case37_root_itself_refused(world, capsys, name):
    refused(capsys, name)
    world.assert_root_unchanged()
    assert world.victim.is_dir() and world.bystander.is_dir()


def test_case37_dotdot_refused_before_anything_is_installed(tmp_path):
    settings = make_settings(tmp_path / "fresh")
    with pytest.raises(UninstallError, match="outside the install root"):
        uninstall_many(settings, [".."])
    assert not settings.install_dir.exists()


def test_case37_root_path_refused(world, capsys):
    line = refused(capsys, str(world.root))
    assert "not a path" in line
    world.assert_root_unchanged()


def test_case37_absolute_paths_refused(world, capsys):
    refused(capsys, str(world.victim))  # even the absolute path of a real install
    refused(capsys, str(world.outside))
    world.assert_root_unchanged()


def test_case37_name_with_slash_refused(world, capsys):
    line = refused(capsys, f"{world.victim.name}/lib")
    assert "path separators" in line
    world.assert_root_unchanged()


def test_case37_dir_without_receipt_refused(world, capsys):
    handmade = world.root / "cpython-3.10.0-handmade"
    make_python_tree(handmade, "3.10.0")
    world.root_before = world.root_snapshot()
    line = refused(capsys, handmade.name)
    assert "no pybs-tui receipt" in line
    world.assert_root_unchanged()


def test_case37_receipt_that_is_a_symlink_refused(world, capsys):
    sneaky = world.root / "cpython-3.10.1-sneaky"
    make_python_tree(sneaky, "3.10.1")
    write(
        world.outside / "receipt.json",
        json.dumps(receipt_for(asset("3.10.1", "20240101"))).encode(),
    )
    world.outside_before = snapshot(world.outside)
    (sneaky / RECEIPT_NAME).symlink_to(world.outside / "receipt.json")
    world.root_before = world.root_snapshot()
    refused(capsys, sneaky.name)
    world.assert_root_unchanged()


def test_case37_unknown_name_refused(world, capsys):
    line = refused(capsys, "cpython-9.9.9+20990101-x86_64-unknown-linux-gnu-install_only")
    assert "no install named" in line
    world.assert_root_unchanged()


def test_case37_bookkeeping_names_refused(world, capsys):
    write(world.root / ".lock", b"")
    (world.root / f"{TRASH_PREFIX}abc").mkdir()
    world.root_before = world.root_snapshot()
    refused(capsys, ".lock")
    refused(capsys, f"{TRASH_PREFIX}abc")
    world.assert_root_unchanged()


def test_case37_one_bad_name_removes_nothing(world, capsys):
    refused(capsys, world.victim.name, "../outside")
    world.assert_root_unchanged()


def test_case37_other_managers_install_refused(world, capsys, tmp_path):
    uv_dir = tmp_path / "user/.local/share/uv/python/cpython-3.12.3-linux-x86_64-gnu"
    make_python_tree(uv_dir, "3.12.3")
    before = snapshot(uv_dir)
    line = refused(capsys, uv_dir.name)
    assert "uv python uninstall 3.12.3" in line
    assert snapshot(uv_dir) == before
    world.assert_root_unchanged()


def test_case37_without_yes_on_a_pipe_refused(world, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", open(os.devnull))  # noqa: SIM115 - not a terminal
    code = main(["uninstall", world.victim.name])
    _, err = capsys.readouterr()
    assert code != 0 and "--yes" in err and len(err.strip().splitlines()) == 1
    world.assert_root_unchanged()


def test_case37_read_only_files_and_dirs_removed(world, capsys):
    for dirpath, _dirs, filenames in os.walk(world.victim):
        for f in filenames:
            p = Path(dirpath) / f
            if not p.is_symlink():
                p.chmod(0o444)
    for dirpath, dirnames, _ in os.walk(world.victim, topdown=False):
        for d in dirnames:
            (Path(dirpath) / d).chmod(0o555)
    os.symlink(world.outside / "precious.txt", world.victim / "lib" / "to-outside")
    world.victim.chmod(0o555)
    assert not os.access(world.victim / "bin", os.W_OK) or os.geteuid() == 0
    bystander = snapshot(world.bystander)
    code = main(["uninstall", world.victim.name, "--yes"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert not os.path.lexists(world.victim)
    assert snapshot(world.bystander) == bystander
    world.assert_outside_unchanged()


def test_case37_remove_tree_makes_read_only_dirs_writable(world, monkeypatch):
    """Directly: a 0o555 dir gets owner rwx before it is emptied (what non-root needs)."""
    d = world.victim / "lib"
    d.chmod(0o555)
    seen = []
    real_chmod = os.chmod

    def spy(path, mode, *a, **k):
        seen.append((str(path), mode))
        return real_chmod(path, mode, *a, **k)

    real_fchmod = os.fchmod

    def fd_spy(fd, mode):  # remove_tree works through folder descriptors (any path length)
        seen.append((os.readlink(f"/proc/self/fd/{fd}"), mode))
        return real_fchmod(fd, mode)

    monkeypatch.setattr(os, "chmod", spy)
    monkeypatch.setattr(os, "fchmod", fd_spy)
    uninstall_mod.remove_tree(world.victim)
    assert (str(d), 0o755) in seen
    assert not world.victim.exists()
    world.assert_outside_unchanged()


def test_case37_lock_held_refused(world):
    lock = filelock.FileLock(str(world.root / ".lock"))
    with lock, pytest.raises(UninstallError, match="another pybs-tui is installing or removing"):
        uninstall_many(world.settings, [world.victim.name], timeout=0.2)
    world.assert_root_unchanged()


def test_case37_install_disappears_in_one_rename(world, monkeypatch):
    calls = []

    def failing_remove(path):
        calls.append(path)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(uninstall_mod, "remove_tree", failing_remove)
    (removed,) = uninstall_many(world.settings, [world.victim.name])
    assert not os.path.lexists(world.victim)  # gone from its place at once
    assert removed.leftover is not None
    assert removed.leftover.name.startswith(f"{TRASH_PREFIX}{os.getpid()}-")
    assert calls == [removed.leftover]
    assert [i.name for i in own_installs(world.settings)] == [world.bystander.name]
    world.assert_outside_unchanged()


def test_case37_dead_process_trash_swept_without_following_links(world):
    dead = world.root / f"{TRASH_PREFIX}999999999-abcdef"  # above any pid_max: not running
    make_python_tree(dead, "3.10.0")
    os.symlink(world.outside, dead / "lib" / "evil")  # a trap in the trash
    live = world.root / f"{TRASH_PREFIX}{os.getpid()}-abcdef"  # a live process's: kept
    make_python_tree(live, "3.10.0")
    uninstall_many(world.settings, [world.bystander.name])
    assert not os.path.lexists(dead) and live.is_dir()
    assert world.victim.is_dir()
    world.assert_outside_unchanged()
