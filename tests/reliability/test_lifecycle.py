"""Reliability cases 33, 34 and 36: disk full, kill -9 mid-way, two installers at once."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pybs_tui.install import extract
from pybs_tui.install.receipts import iter_receipts
from pybs_tui.service.install import install_build
from tests.install.helpers import (
    World,
    archive_gets,
    make_world,
    pbs_archive,
    staging_left,
    tree_state,
)
from tests.install.test_cli import api_catalog
from tests.support.archives import Member
from tests.support.cli import APP_DIR, cli_env
from tests.support.server import Route

REPO = str(Path(__file__).resolve().parents[2])
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals and fork semantics")


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, server: object, shared_client: object) -> World:
    return make_world(tmp_path, server, shared_client)


def slow_routes(world: World, name: str, rate: int) -> None:
    """Serve the archive at `rate` bytes/s (both spellings of its path)."""
    for path in list(world.server.routes):
        if path.endswith(name) or path.endswith(name.replace("+", "%2B")):
            body = world.server.routes[path].body
            world.server.routes[path] = Route(body, rate=rate, chunk=16384)


def wait_for(predicate, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


# -- 33: disk full -----------------------------------------------------------------------------


def test_case33_not_enough_disk_is_refused_before_download(world: World) -> None:
    name, archive = pbs_archive(extra=[Member("python/lib/blob", os.urandom(100_000))])
    build = world.serve(name, archive)
    asked: list[str] = []

    def full_disk(path):  # type: ignore[no-untyped-def]
        asked.append(str(path))
        return shutil._ntuple_diskusage(10**12, 10**12 - 50_000, 50_000)

    world.settings.disk_usage = full_disk
    msg = world.refused(build, "not enough disk space")
    assert "need 4" in msg and "free 50.0 kB" in msg, msg  # ~4x the archive: download + unpack
    assert archive_gets(world.server, name) == 0  # refused before any download
    assert asked
    # with room enough it installs
    world.settings.disk_usage = shutil.disk_usage
    assert world.install(build).path.is_dir()


def test_case33_enospc_midway_through_extraction(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, archive = pbs_archive(
        extra=[Member(f"python/lib/m{i}.py", b"x" * 5000) for i in range(20)]
    )
    build = world.serve(name, archive)
    written = []
    real = extract._write_chunk

    def filling_up(fd: int, data: bytes) -> None:
        if sum(written) > 20_000:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(len(data))
        real(fd, data)

    monkeypatch.setattr(extract, "_write_chunk", filling_up)
    msg = world.refused(build, "no space left on device while extracting")
    assert str(world.settings.install_dir) in msg
    assert written  # it did fail midway, after writing some files
    monkeypatch.setattr(extract, "_write_chunk", real)
    assert world.install(build).path.is_dir()


# -- 34: kill -9 -------------------------------------------------------------------------------


@posix_only
def test_case34_kill_during_download_then_resume(world: World, tmp_path: Path) -> None:
    name, archive = pbs_archive(extra=[Member("python/lib/blob", os.urandom(1_500_000))])
    build = world.serve(name, archive)
    slow_routes(world, name, 300_000)
    catalog = api_catalog(tmp_path / "catalog.json", [(name, archive, build.url)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "pybs_tui", "install", name, "--catalog", catalog, "--json"],
        env=cli_env(tmp_path / "home"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    part = world.settings.downloads_dir / (name + ".part")
    wait_for(lambda: part.exists() and part.stat().st_size > 100_000)
    proc.kill()
    proc.wait(10)
    kept = part.stat().st_size
    assert 0 < kept < archive.size
    # no half install is listed; what the extraction following the download had staged is
    # a private folder named after the dead process (swept by the next install)
    assert [p.name for p, _ in iter_receipts(world.settings)] == world.installed
    assert all(
        s.startswith(f".staging-{proc.pid}-") for s in staging_left(world.settings.install_dir)
    )

    slow_routes(world, name, 50_000_000)
    result = install_build(world.settings, build)
    assert result.path.is_dir() and not result.already_installed
    last = [
        r
        for r in world.server.log
        if r.method == "GET" and r.path.endswith(name.replace("+", "%2B"))
    ][-1]
    assert last.headers.get("range") == f"bytes={kept}-"  # resumed, not restarted
    assert staging_left(world.settings.install_dir) == []
    assert not part.exists()


KILLED_DURING_EXTRACT = """
import sys, time
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from pybs_tui.install import extract
from pybs_tui.service.install import install_build
from pybs_tui.catalog.names import parse_name
from pybs_tui.settings import Settings

real = extract._write_chunk
def slow_disk(fd, data):
    time.sleep(0.2)
    real(fd, data)
extract._write_chunk = slow_disk

def progress(p):
    if p.phase == "extract":
        print("EXTRACTING", flush=True)

build = parse_name(sys.argv[3]).with_source(url=sys.argv[4], sha256=sys.argv[5],
                                              size=int(sys.argv[6]))
install_build(Settings.from_env(), build, progress=progress)
print("FINISHED", flush=True)
"""


@posix_only
def test_case34_kill_during_extraction_then_reinstall(world: World, tmp_path: Path) -> None:
    name, archive = pbs_archive(
        extra=[Member(f"python/lib/m{i}.py", b"x" * 1000) for i in range(100)]
    )
    build = world.serve(name, archive)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_DURING_EXTRACT,
            APP_DIR,
            REPO,
            name,
            build.url,
            archive.sha256,
            str(archive.size),
        ],
        env=cli_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "EXTRACTING"
    time.sleep(0.3)
    proc.kill()
    proc.wait(10)
    stale = staging_left(world.settings.install_dir)
    assert len(stale) == 1 and stale[0].startswith(f".staging-{proc.pid}-")
    assert [p.name for p, _ in iter_receipts(world.settings)] == world.installed
    existing = tree_state(world.existing)

    result = install_build(world.settings, build)  # sweeps the dead process's staging
    assert result.path.is_dir() and not result.already_installed
    assert staging_left(world.settings.install_dir) == []
    assert (result.path / "lib" / "m99.py").read_bytes() == b"x" * 1000
    assert tree_state(world.existing) == existing
    # the verified download of the killed run was reused
    assert archive_gets(world.server, name) == 1


# -- 36: two processes at once ------------------------------------------------------------------


@posix_only
def test_case36_two_processes_install_the_same_build(world: World, tmp_path: Path) -> None:
    name, archive = pbs_archive(extra=[Member("python/lib/blob", os.urandom(400_000))])
    build = world.serve(name, archive)
    slow_routes(world, name, 800_000)  # half a second of download: they overlap
    catalog = api_catalog(tmp_path / "catalog.json", [(name, archive, build.url)])
    existing = tree_state(world.existing)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "pybs_tui", "install", name, "--catalog", catalog, "--json"],
            env=cli_env(tmp_path / "home"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    results = [json.loads(out) for out, _ in outputs]
    assert sorted(r["already_installed"] for r in results) == [False, True]
    assert results[0]["path"] == results[1]["path"]
    assert archive_gets(world.server, name) == 1  # one download on the server
    receipts = [p.name for p, r in iter_receipts(world.settings) if r["name"] == name]
    assert receipts == [name.rsplit(".tar.", 1)[0]]
    assert staging_left(world.settings.install_dir) == []
    assert tree_state(world.existing) == existing
    assert tree_state(world.outside) == {
        k.removeprefix("outside/"): v for k, v in world.before.items() if k.startswith("outside/")
    }
