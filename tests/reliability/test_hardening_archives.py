"""Issue 13, holes 1, 4, 9, 10 and 15 (part): hardlinks and the unpacked cap, deep folder chains,
Ctrl-C and SIGTERM during extraction, names the installer writes, leftovers of other types, and
what follows the tar's end.

Every case checks the shared invariants: the outside/ sentinel and the existing install are
unchanged (`world.check`), no staging or trash is left, a refusal is one clear line."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pybs_tui.install import extract
from pybs_tui.install.diskuse import tree_size
from pybs_tui.install.receipts import RECEIPT_NAME
from pybs_tui.install.root import remove_tree
from pybs_tui.install.uninstall import uninstall
from pybs_tui.progress import InstallError
from tests.install.helpers import (
    World,
    build_for,
    host_triple,
    make_world,
    pbs_archive,
    staging_left,
    tree_state,
)
from tests.install.test_cli import api_catalog
from tests.support.archives import Archive, Member, asset_name, compress, pbs_members, tar_bytes
from tests.support.cli import cli_env

posix_only = pytest.mark.skipif(os.name != "posix", reason="signals, dir fds and PATH_MAX")


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, server: object, shared_client: object) -> World:
    return make_world(tmp_path, server, shared_client)


def archive_of(data: bytes) -> Archive:
    return Archive(data, hashlib.sha256(data).hexdigest(), len(data))


def outside_state(world: World) -> dict[str, tuple]:
    """The outside/ sentinel as tree_state(tmp) names it."""
    return {f"outside/{k}": v for k, v in tree_state(world.outside).items()} | {
        "outside": world.before["outside"]
    }


def dead_pid() -> int:
    """A pid no process has now (counting down from the top of the pid range)."""
    pid = int(Path("/proc/sys/kernel/pid_max").read_text()) if os.path.exists("/proc") else 99999
    while True:
        pid -= 1
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            continue


def make_chain(top: Path, depth: int, name: str) -> None:
    """`depth` nested folders called `name` under `top`, made through folder descriptors (the
    path soon passes PATH_MAX), with a file at the bottom."""
    fd = os.open(top, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(name, dir_fd=fd)
            below = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = below
        leaf = os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
        os.write(leaf, b"x" * 10)
        os.close(leaf)
    finally:
        os.close(fd)


def refused_extra(world: World, extra: list[Member], match: str) -> str:
    name, archive = pbs_archive(version="3.12.4", extra=extra)
    return world.refused(world.serve(name, archive), match)


# -- hole 1: hardlinks count toward the unpacked cap ----------------------------------------------


def hardlink_archive(links: int, size: int = 64 << 10) -> tuple[str, Archive]:
    return pbs_archive(
        version="3.12.5",
        extra=[
            Member("python/lib/big", bytes(range(256)) * (size // 256)),
            *[
                Member(f"python/lib/l{i}", kind="hardlink", target="python/lib/big")
                for i in range(links)
            ],
        ],
    )


def test_hole01_hardlinks_count_toward_the_unpacked_cap(world: World) -> None:
    world.settings.limits.max_unpacked_bytes = 1 << 20
    name, archive = hardlink_archive(40)  # 64 KiB + 40 links to it: 2.6 MiB once unpacked
    msg = world.refused(world.serve(name, archive), "unpacks to more than 1.0 MiB")
    assert msg.startswith("refused archive"), msg
    # a few links stay under the cap and install as links
    name, archive = hardlink_archive(4)
    result = world.install(world.serve(name, archive))
    big = result.path / "lib" / "big"
    assert os.stat(result.path / "lib" / "l3").st_ino == os.stat(big).st_ino


def test_hole01_failed_link_is_never_a_silent_copy(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.link failing (EMLINK at 65,000 links on ext4) gives a copy counted against the cap."""
    world.settings.limits.max_unpacked_bytes = 1 << 20
    written: list[int] = []
    real_write = extract._write_chunk

    def counted(fd: int, data: bytes) -> None:
        written.append(len(data))
        real_write(fd, data)

    def emlink(*_args: object, **_kw: object) -> None:
        raise OSError(errno.EMLINK, "Too many links")

    monkeypatch.setattr(extract, "_write_chunk", counted)
    monkeypatch.setattr(os, "link", emlink)
    name, archive = hardlink_archive(40)
    world.refused(world.serve(name, archive), "unpacks to more than 1.0 MiB")
    assert sum(written) <= 1 << 20, sum(written)
    # under the cap the copies are made, whole and counted
    name, archive = hardlink_archive(4)
    result = world.install(world.serve(name, archive))
    big = (result.path / "lib" / "big").read_bytes()
    for i in range(4):
        copy = result.path / "lib" / f"l{i}"
        assert copy.read_bytes() == big and not copy.is_symlink()
        assert os.stat(copy).st_ino != os.stat(result.path / "lib" / "big").st_ino


# -- hole 4: deep folder chains, walked without recursion limits ----------------------------------


def test_hole04_chain_deeper_than_the_recursion_limit(world: World) -> None:
    depth = sys.getrecursionlimit() + 200
    deep = "python/" + "d/" * depth + "f"
    assert len(deep) < extract.MAX_PATH
    name, archive = pbs_archive(version="3.12.6", extra=[Member(deep, b"deep\n")])
    result = world.install(world.serve(name, archive))
    assert staging_left(world.settings.install_dir) == []
    assert tree_size(result.path) > 0
    removed = uninstall(world.settings, result.path.name)
    assert removed.bytes_freed > 0 and not result.path.exists()
    world.check()
    # and the next install into that home works
    name, archive = pbs_archive(version="3.12.7")
    assert world.install(world.serve(name, archive)).path.is_dir()


def test_hole04_path_too_long_once_extracted_is_one_short_line(world: World) -> None:
    """A name under the 4 kB member cap whose path in staging passes PATH_MAX."""
    long_name = "python/" + ("a" * 200 + "/") * 20 + "f"
    assert len(long_name) < extract.MAX_PATH
    msg = refused_extra(world, [Member(long_name, b"x")], "longer than")
    assert msg.startswith("refused member"), msg


@posix_only
def test_hole04_stale_staging_past_path_max_is_swept(world: World) -> None:
    """A dead process's staging deeper than the recursion limit and longer than PATH_MAX."""
    install_dir = world.settings.install_dir
    for prefix in (".staging", ".trash"):
        stale = install_dir / f"{prefix}-{dead_pid()}-abcdef01"
        stale.mkdir()
        make_chain(stale, 1200, "d" * 6)  # 8.4 kB of path, 1,200 levels
    name, archive = pbs_archive(version="3.12.8")
    assert world.install(world.serve(name, archive)).path.is_dir()
    assert staging_left(install_dir) == []
    world.snapshot()
    world.check()


@posix_only
def test_hole04_walkers_keep_few_descriptors_and_no_recursion(tmp_path: Path) -> None:
    """remove_tree and tree_size on 1,500 levels with 64 descriptors allowed."""
    top = tmp_path / "tree"
    top.mkdir()
    make_chain(top, 1500, "level")
    os.chmod(top, 0o500)  # a read-only folder is made writable first
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
    try:
        assert tree_size(top) == 10
        remove_tree(top)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    assert not os.path.lexists(top)


# -- hole 9: Ctrl-C and SIGTERM during extraction -------------------------------------------------

HOLD_IN_EXTRACT = """
import os, sys
from pybs_tui.install import extract

_real = extract._create_file
_told = []


def _held(path, data, mode, mtime, umask, cancel):
    # the first file waits until the install is cancelled: extraction is surely under way
    if not _told:
        _told.append(True)
        sys.stderr.write("HOLDING IN EXTRACT\\n")
        sys.stderr.flush()
        while not cancel.is_set():
            cancel.wait(0.05)
    _real(path, data, mode, mtime, umask, cancel)


extract._create_file = _held
"""


@posix_only
@pytest.mark.parametrize(
    "signum, code, word", [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_hole09_signal_during_extraction_cleans_up(
    world: World, tmp_path: Path, signum: int, code: int, word: str
) -> None:
    name, archive = pbs_archive(
        version="3.12.9", extra=[Member(f"python/lib/m{i}.py", b"x" * 100) for i in range(50)]
    )
    build = world.serve(name, archive)
    catalog = api_catalog(tmp_path / "catalog.json", [(name, archive, build.url)])
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(HOLD_IN_EXTRACT)
    env = cli_env(tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join([str(hook), env["PYTHONPATH"]])
    world.snapshot()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pybs_tui", "install", name, "--catalog", catalog],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if line.startswith("HOLDING IN EXTRACT"):
            break
    assert staging_left(world.settings.install_dir), lines
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, (proc.returncode, err)
    errors = [line for line in err.splitlines() if line.startswith("pybs-tui:")]
    assert errors == [f"pybs-tui: {word}"], err
    assert "Traceback" not in err and out == ""
    world.check()  # no staging, nothing changed, no new install
    assert world.install(build).path.is_dir()  # the next install works


# -- hole 10: names the installer writes never follow a link --------------------------------------


@pytest.mark.parametrize("reserved", [f"python/{RECEIPT_NAME}.tmp", f"python/{RECEIPT_NAME}"])
def test_hole10_reserved_names_as_symlinks(world: World, reserved: str) -> None:
    victim = b"victim inside the tree\n"
    name, archive = pbs_archive(
        version="3.13.0",
        extra=[
            Member("python/lib/victim", victim),
            Member(
                reserved,
                kind="symlink",
                target=os.path.relpath("python/lib/victim", os.path.dirname(reserved)),
            ),
        ],
    )
    build = world.serve(name, archive)
    try:
        result = world.install(build)
    except InstallError as exc:  # refused: one line, nothing changed
        message = str(exc)
        assert "\n" not in message and len(message) < 400, message
        world.check()
        return
    assert (result.path / "lib" / "victim").read_bytes() == victim
    receipt = result.path / RECEIPT_NAME
    assert receipt.is_file() and not receipt.is_symlink()
    assert json.loads(receipt.read_text())["name"] == name
    uninstall(world.settings, result.path.name)
    assert not result.path.exists()
    world.check()


def test_hole10_sysconfig_temp_name_as_symlink(world: World) -> None:
    """The prefix rewrite of _sysconfigdata writes a fresh temp file, never through a link."""
    lib = "python/lib/python3.12"
    sysconfig = f"{lib}/_sysconfigdata__linux_x86_64-linux-gnu.py"
    name, archive = pbs_archive(
        version="3.12.10",
        extra=[
            Member(sysconfig, b"build_time_vars = {'prefix': '/install'}\n"),
            Member(f"{sysconfig}.pybs-tmp", kind="symlink", target="os.py"),
        ],
    )
    result = world.install(world.serve(name, archive))
    assert (result.path / "lib/python3.12/os.py").read_bytes() == b"# os\n"
    patched = (result.path / "lib/python3.12" / Path(sysconfig).name).read_text()
    assert str(result.path) in patched
    uninstall(world.settings, result.path.name)
    world.check()


# -- hole 15: leftovers that are not folders; what follows the tar's end --------------------------


@posix_only
def test_hole15_leftovers_of_any_type_are_swept(world: World) -> None:
    install_dir = world.settings.install_dir
    pid = dead_pid()
    (install_dir / f".trash-{pid}-00000001").write_text("a replaced file")
    (install_dir / f".staging-{pid}-00000002").write_text("x")
    os.symlink(world.outside, install_dir / f".trash-{pid}-00000003")
    name, archive = pbs_archive(version="3.12.11")
    assert world.install(world.serve(name, archive)).path.is_dir()
    assert staging_left(install_dir) == []
    assert (world.outside / "f").read_bytes() == b"sentinel\n"
    world.snapshot()
    world.check()


def test_hole15_force_over_a_regular_file(world: World) -> None:
    name, archive = pbs_archive(version="3.12.12")
    build = world.serve(name, archive)
    target = world.settings.install_dir / name.removesuffix(".tar.gz")
    target.write_text("not an install")
    result = world.install(build, force=True)
    assert (result.path / RECEIPT_NAME).is_file()
    assert staging_left(world.settings.install_dir) == []


def garbage_kinds(fmt: str) -> dict[str, bytes]:
    """What may follow the compressed tar: junk, zeros, another member holding more files."""
    more = tar_bytes([Member("python/evil", b"not extracted")])
    return {
        "junk": b"this is not a compressed stream" * 10,
        "zeros": b"\0" * 1000,
        "another member": compress(more, fmt),
    }


@pytest.mark.parametrize("fmt", ["tar.gz", "tar.zst"])
def test_hole15_data_after_the_tar_end_is_ignored_by_both_formats(world: World, fmt: str) -> None:
    """The rule, uv's: nothing after the end-of-archive marker is read; the sha256 covers it."""
    flavor = "full" if fmt == "tar.zst" else "install_only"
    prefix = "python/install" if flavor == "full" else "python"
    raw = tar_bytes(pbs_members(prefix))
    name = asset_name("3.12.3", "20240415", host_triple(), "", flavor)
    for i, (why, garbage) in enumerate(garbage_kinds(fmt).items()):
        archive = archive_of(compress(raw, fmt) + garbage)
        path = f"/garbage{i}/{name}"
        world.server.add(path, archive.data)
        result = world.install(build_for(name, archive, world.server.url(path)), force=True)
        assert result.path.is_dir(), why
        assert not (result.path / "evil").exists() and not (result.path.parent / "evil").exists()
    assert staging_left(world.settings.install_dir) == []
    assert outside_state(world) == {
        k: v for k, v in world.before.items() if k.startswith("outside")
    }


@pytest.mark.parametrize(
    "name",
    [
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz\n",
        "python3.12\n",
    ],
)
def test_hole15_validators_do_not_take_a_trailing_newline(name: str) -> None:
    """`$` matches before a final newline: every validator of outside names ends at \\Z."""
    from pybs_tui.install import fixups, registry, root

    if name.endswith(".tar.gz\n"):
        with pytest.raises(InstallError):
            root.check_asset_name(name)
        assert root._LEFTOVER.match(".staging-12-ab\n") is None
    else:
        assert fixups._VERSIONED.match(name) is None
        assert registry._INCLUDE.match(name) is None
        assert registry._PLAIN_DIR.match("3.12.3\n") is None
        assert registry._AT_DIR.match("cpython@3.12.3\n") is None
        assert registry._UV_DIR.match("cpython-3.12.3-linux-x86_64-gnu\n") is None
