"""Reliability cases 1-15: malicious archives with a correct sha256; only the extractor stands
in the way. Each case checks the common invariants through `world.refused`/`world.check`:
nothing under tmp_path changed (outside/ sentinel, the existing install), no staging left,
one clear line."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import zstandard

from tests.install.helpers import (
    UP_TO_TMP,
    World,
    build_for,
    host_triple,
    make_world,
    pbs_archive,
)
from tests.support.archives import (
    Archive,
    Member,
    asset_name,
    compress,
    pbs_members,
    tar_bytes,
)

MINOR_BIN = "python/bin/python3.12"


@pytest.fixture(name="world")
def world_fixture(tmp_path: Path, server: object, shared_client: object) -> World:
    return make_world(tmp_path, server, shared_client)


def pax_archive(entries: list[tuple[str, dict[str, str], bytes]], fmt: str = "tar.gz") -> Archive:
    """A PBS tree plus members whose pax 'path' says what the ustar name cannot (NUL, empty)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        raw = tar_bytes(pbs_members())
        with tarfile.open(fileobj=io.BytesIO(raw)) as src:
            for member in src.getmembers():
                tar.addfile(member, src.extractfile(member) if member.isreg() else None)
        for name, pax, data in entries:
            info = tarfile.TarInfo(name)
            info.pax_headers = pax
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    data = compress(buf.getvalue(), fmt)
    return Archive(data, hashlib.sha256(data).hexdigest(), len(data))


def serve_raw(world: World, archive: Archive, flavor: str = "install_only"):
    """Serve an archive built by hand under a host-shaped asset name; its Build."""
    name = asset_name("3.12.3", "20240415", host_triple(), "", flavor)
    path = f"/raw{len(world.server.routes)}/{name}"
    world.server.add(path, archive.data)
    return build_for(name, archive, world.server.url(path))


def archive_of(data: bytes) -> Archive:
    return Archive(data, hashlib.sha256(data).hexdigest(), len(data))


def refused_extra(world: World, extra: list[Member], match: str, **kw: object) -> str:
    name, archive = pbs_archive(extra=extra, **kw)  # type: ignore[arg-type]
    return world.refused(world.serve(name, archive), match)


def test_case01_absolute_member_name(world: World) -> None:
    target = world.outside / "abs-pwned"
    msg = refused_extra(world, [Member(str(target), b"pwned")], "absolute path")
    assert "refused member" in msg
    assert not target.exists()
    # the data filter alone would have stripped the '/' and extracted it into the tree
    refused_extra(world, [Member("/python/lib/x.py", b"x")], "absolute path")


@pytest.mark.parametrize("depth", ["../../", UP_TO_TMP])
def test_case02_dotdot_member(world: World, depth: str) -> None:
    msg = refused_extra(world, [Member(f"python/{depth}outside/x", b"pwned")], "'..'")
    assert "before" not in msg
    assert not (world.outside / "x").exists()


def test_case02_dotdot_refused_before_anything_is_written(world: World) -> None:
    # the bad member comes first: not even python/ may have been created
    name, archive = pbs_archive(
        members=[Member(f"python/{UP_TO_TMP}outside/x", b"pwned"), *pbs_members()]
    )
    world.refused(world.serve(name, archive), "'..'")


def test_case03_symlink_absolute_target(world: World) -> None:
    refused_extra(
        world,
        [
            Member("python/evil", kind="symlink", target=str(world.outside)),
            Member("python/evil/pwn", b"x"),
        ],
        "absolute target",
    )


def test_case04_relative_symlink_escaping(world: World) -> None:
    refused_extra(
        world,
        [Member("python/lib/evil", kind="symlink", target=f"../{UP_TO_TMP}outside")],
        "points outside",
    )
    # escapes python/ but stays in staging: after publish it would point at the install root
    refused_extra(world, [Member("python/up", kind="symlink", target="..")], "points outside")
    # through an earlier symlink: python/l -> . then python/e -> l/../.. (kernel: escapes)
    refused_extra(
        world,
        [
            Member("python/l", kind="symlink", target="bin/.."),
            Member("python/e", kind="symlink", target="l/../../x"),
        ],
        "points outside",
    )
    # a later link turns a folder an earlier link went through into an escape hatch
    refused_extra(
        world,
        [
            Member("python/x", kind="symlink", target="d/../lib"),
            Member("python/d", kind="symlink", target=".."),
        ],
        "replaces a folder used earlier",
    )
    # full archives: links inside python/install/ must stay inside it
    msg = refused_extra(
        world,
        [Member("python/install/lib/j", kind="symlink", target="../../PYTHON.json")],
        "points outside python/install/",
        flavor="full",
    )
    assert "refused link" in msg


def test_case05_member_written_through_symlink(world: World) -> None:
    refused_extra(
        world,
        [Member("python/s", kind="symlink", target="../outside"), Member("python/s/pwn", b"x")],
        "points outside",
    )
    # an in-tree link does not make writing through it acceptable
    refused_extra(
        world,
        [Member("python/s", kind="symlink", target="lib"), Member("python/s/pwn", b"x")],
        "written through the symlink",
    )
    assert not (world.outside / "pwn").exists()


def test_case06_symlink_loops_and_empty_names(world: World) -> None:
    start = time.monotonic()
    refused_extra(
        world,
        [
            Member("python/a", kind="symlink", target="b"),
            Member("python/b", kind="symlink", target="a"),
        ],
        "symlink loop",
    )
    refused_extra(world, [Member("python/self", kind="symlink", target="self")], "symlink loop")
    refused_extra(world, [Member("python/grow", kind="symlink", target="grow/x")], "symlink loop")
    refused_extra(
        world,
        [
            Member("python/c", kind="symlink", target="d"),
            Member("python/d", kind="symlink", target="e"),
            Member("python/e", kind="symlink", target="c"),
        ],
        "symlink loop",
    )
    refused_extra(world, [Member("python/empty", kind="symlink", target="")], "empty target")
    archive = pax_archive([("python/placeholder", {"path": ""}, b"")])
    world.refused(serve_raw(world, archive), "empty name")
    assert time.monotonic() - start < 10


def test_case07_hardlinks(world: World) -> None:
    refused_extra(
        world, [Member("python/passwd", kind="hardlink", target="/etc/passwd")], "absolute target"
    )
    (world.outside / "f").chmod(0o644)
    world.snapshot()
    refused_extra(
        world,
        [Member("python/f", kind="hardlink", target=f"python/{UP_TO_TMP}outside/f")],
        "only links to regular files",
    )
    refused_extra(
        world,
        [Member("python/py", kind="hardlink", target="python/bin/python3")],
        "only links to regular files",
    )  # python/bin/python3 is a symlink
    refused_extra(
        world,
        [
            Member("python/early", kind="hardlink", target="python/later"),
            Member("python/later", b"x"),
        ],
        "only links to regular files",
    )
    # a hard link to a regular file extracted earlier is fine
    name, archive = pbs_archive(
        version="3.12.4",
        extra=[Member("python/bin/python-copy", kind="hardlink", target="python/bin/python3.12")],
    )
    result = world.install(world.serve(name, archive))
    copy = result.path / "bin" / "python-copy"
    assert copy.read_bytes() == (result.path / "bin" / "python3.12").read_bytes()


@pytest.mark.parametrize("kind, word", [("chardev", "device"), ("fifo", "FIFO")])
def test_case08_devices_and_fifos(world: World, kind: str, word: str) -> None:
    refused_extra(world, [Member("python/dev", kind=kind)], word)


def test_case09_mode_bits(world: World) -> None:
    members = pbs_members()
    for m in members:
        if m.name == MINOR_BIN:
            m.mode = 0o6755  # setuid + setgid
    members += [
        Member("python/lib/shared.txt", b"x", mode=0o666),
        Member("python/tmp", kind="dir", mode=0o1777),
        Member("python/lib/script.sh", b"#!/bin/sh\n", mode=0o4777),
    ]
    name, archive = pbs_archive(members=members)
    result = world.install(world.serve(name, archive))
    mode = stat.S_IMODE(os.stat(result.path / "bin" / "python3.12").st_mode)
    assert mode == 0o755
    assert stat.S_IMODE(os.stat(result.path / "lib" / "shared.txt").st_mode) == 0o644
    assert stat.S_IMODE(os.stat(result.path / "tmp").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(result.path / "lib" / "script.sh").st_mode) == 0o755
    for dirpath, dirnames, filenames in os.walk(result.path):
        for entry in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, entry))
            if not stat.S_ISLNK(st.st_mode):
                assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | 0o002)


def test_case10_duplicate_names(world: World) -> None:
    refused_extra(
        world,
        [Member("python/lib/x", b"x"), Member("python/lib/x", kind="symlink", target="os.py")],
        "duplicate name",
    )
    refused_extra(
        world,
        [Member("python/lib/d", kind="dir"), Member("python/lib/d", kind="symlink", target="..")],
        "duplicate name",
    )
    refused_extra(
        world, [Member("python/lib/x", b"x"), Member("python/lib/x", b"y")], "duplicate name"
    )
    # 'python/lib' was created implicitly by earlier members: a link there is a duplicate too
    refused_extra(world, [Member("python/lib", kind="symlink", target="bin")], "duplicate name")


@pytest.mark.parametrize(
    "member_name, pax, match",
    [
        ("python/nul", {"path": "python/a\x00b"}, "NUL"),
        ("python\\evil", {}, "backslash"),
        ("C:/python/x", {}, "drive letter"),
        ("C:python", {}, "drive letter"),
        ("python/" + "a/" * 2500 + "f", {}, "path longer than 4096"),
        ("python/" + "b" * 300, {}, "component longer than 255"),
        ("python/empty", {"path": ""}, "empty name"),
        ("python/dot", {"path": "./"}, "empty name"),
    ],
)
def test_case11_odd_names(world: World, member_name: str, pax: dict[str, str], match: str) -> None:
    archive = pax_archive([(member_name, pax, b"x")])
    world.refused(serve_raw(world, archive), match)


def test_case12_layouts(world: World) -> None:
    for flavor in ("install_only", "full"):
        name, archive = pbs_archive(version="3.12.5", flavor=flavor)
        result = world.install(world.serve(name, archive))
        assert (result.path / "bin" / "python3").exists()
    world.snapshot()
    layouts = {
        "two top dirs": [*pbs_members(), Member("other", kind="dir"), Member("other/x", b"x")],
        "none": [Member("bin", kind="dir"), Member("bin/python3", b"#!/bin/sh\n", mode=0o755)],
        "no bin/python3": [m for m in pbs_members() if "bin/python3" not in m.name],
        "python is a file": [Member("python", b"x")],
        "python is a link": [Member("python", kind="symlink", target="lib")],
        "dangling python3": [*[m for m in pbs_members() if m.name != MINOR_BIN]],
    }
    for why, members in layouts.items():
        name, archive = pbs_archive(members=members)
        msg = world.refused(world.serve(name, archive), "unexpected archive layout")
        assert msg.startswith("unexpected archive layout"), (why, msg)
    # the name says full but the tree is install_only (and the other way round)
    name, archive = pbs_archive(flavor="full", members=pbs_members("python"))
    world.refused(world.serve(name, archive), "unexpected archive layout")
    name, archive = pbs_archive(members=pbs_members("python/install"))
    world.refused(world.serve(name, archive), "unexpected archive layout")


@pytest.mark.parametrize("flavor", ["install_only", "full"])
def test_case13_decompression_bomb(world: World, flavor: str) -> None:
    world.settings.limits.max_unpacked_bytes = 1 << 20
    prefix = "python/install" if flavor == "full" else "python"
    bomb = Member(f"{prefix}/lib/bomb", b"\0" * (8 << 20))
    name, archive = pbs_archive(flavor=flavor, extra=[bomb])
    assert archive.size < 64 << 10  # a small download that unpacks to 8 MiB
    world.refused(world.serve(name, archive), "unpacks to more than 1.0 MiB")
    # many small files that add up
    many = [Member(f"{prefix}/lib/f{i}", b"\0" * (100 << 10)) for i in range(12)]
    name, archive = pbs_archive(flavor=flavor, extra=many)
    world.refused(world.serve(name, archive), "unpacks to more than")


def test_case13_pax_header_bomb(world: World) -> None:
    """A pax header claiming megabytes of metadata is refused, not buffered."""
    archive = pax_archive([("python/lib/x", {"comment": "A" * (4 << 20)}, b"x")])
    world.refused(serve_raw(world, archive), "metadata")


def _window_bomb(path: Path, content: int) -> None:
    """A .tar.zst whose single frame asks for a 256 MiB window (no content size)."""
    top = tarfile.TarInfo("python")
    top.type, top.mode = tarfile.DIRTYPE, 0o755
    info = tarfile.TarInfo("python/big")
    info.size = content
    params = zstandard.ZstdCompressionParameters.from_level(1, window_log=28, write_content_size=0)
    cctx = zstandard.ZstdCompressor(compression_params=params)
    with path.open("wb") as fh, cctx.stream_writer(fh) as out:
        out.write(top.tobuf(tarfile.PAX_FORMAT))
        out.write(info.tobuf(tarfile.PAX_FORMAT))
        zeros = bytes(1 << 20)
        for _ in range(content >> 20):
            out.write(zeros)
        out.write(bytes(2 * tarfile.RECORDSIZE))
    frame = zstandard.get_frame_parameters(path.read_bytes()[:18])
    assert frame.window_size == 1 << 28
    assert frame.content_size == zstandard.CONTENTSIZE_UNKNOWN


_MEASURE = """
import sys
sys.path[:0] = sys.argv[3:]
from pathlib import Path
from pybs_tui.install.extract import extract_archive
from pybs_tui.progress import InstallError
from pybs_tui.settings import Limits, Settings

def peak_kib():  # VmHWM: the peak RSS of this process image (ru_maxrss survives exec)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

root = Path(sys.argv[1])
s = Settings(cache_dir=root / "c", data_dir=root / "d", state_dir=root / "s",
             limits=Limits(max_zstd_window=int(sys.argv[2])))
before = peak_kib()
try:
    extract_archive(s, root / "bomb.tar.zst")
    outcome = "extracted"
except InstallError as exc:
    outcome = str(exc)
print((peak_kib() - before) // 1024, outcome)
"""


def test_case14_zstd_window_bomb(world: World, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.tar.zst"
    _window_bomb(bomb, 160 << 20)
    world.snapshot()
    msg = world.refused(
        serve_raw(world, archive_of(bomb.read_bytes()), "full"), "decompression window"
    )
    assert "128 MiB" in msg
    if not Path("/proc/self/status").exists():
        return
    # memory stays low: a child extracting it grows by far less than the 256 MiB window
    app = str(Path(__file__).resolve().parents[2] / "app")

    def measure(window: int) -> tuple[int, str]:
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(tmp_path), str(window), app],
            capture_output=True,
            text=True,
            timeout=60,
        )
        grown, _, outcome = out.stdout.strip().partition(" ")
        assert grown.isdigit(), out.stdout + out.stderr
        return int(grown), outcome

    grown, outcome = measure(1 << 27)
    assert "decompression window" in outcome and grown < 48, (grown, outcome)
    # control: with the limit raised the same archive does cost the memory (the check works)
    grown, outcome = measure(1 << 29)
    assert "decompression window" not in outcome and grown > 100, (grown, outcome)


def test_case15_member_count_cap(world: World) -> None:
    world.settings.limits.max_members = 30
    many = [Member(f"python/lib/m{i}.py", b"") for i in range(40)]
    msg = refused_extra(world, many, "more than 30 members")
    assert "limit" in msg
    # under the cap installs fine
    world.settings.limits.max_members = 100
    name, archive = pbs_archive(version="3.12.6", extra=many)
    assert world.install(world.serve(name, archive)).path.is_dir()
