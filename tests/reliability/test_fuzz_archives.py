"""Issue 13: a bounded fuzz of the archive path (fixed seed, fixed count).

A small valid PBS-shaped archive (files, folders, a symlink, a hard link) is mutated: bytes of
its tar headers (with the header checksum fixed up half of the time, so the mutation reaches
the member checks), names swapped for hostile ones, and the gzip and zstd frames around it
(header, flags, window, blocks, trailer, truncation, what follows). Each mutant goes through
the real install pipeline (extract, fix-ups, probe, publish). Every outcome must be a success
or an InstallError of one short line: no other exception, no staging or trash left, and
nothing written outside the install root.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import tarfile
from pathlib import Path

import pytest

from pybs_tui.install.pipeline import Fetched, install_archive
from pybs_tui.progress import InstallError
from tests.install.helpers import (
    UP_TO_TMP,
    build_for,
    host_triple,
    make_settings,
    staging_left,
    tree_state,
)
from tests.support.archives import Archive, Member, asset_name, compress, pbs_members, tar_bytes

SEED = 13
CASES = 360
BLOCK = 512
HOSTILE_NAMES = [
    f"python/{UP_TO_TMP}outside/pwned",
    "/tmp/pwned-absolute",
    "python/bin/python3/through-link",
    "python/../../pwned",
    "python/lib\\..\\..\\pwned",
    "",
    "python/" + "d/" * 300,
    "python/.pybs-receipt.json",
    "python",
]


def base_members() -> list[Member]:
    return [
        *pbs_members("python", "3.12.3"),
        Member("python/lib/python3.12/json", kind="dir", mode=0o755),
        Member("python/lib/python3.12/json/__init__.py", b"# json\n" * 40),
        Member("python/lib/python3.12/json/link.py", kind="symlink", target="__init__.py"),
        Member(
            "python/lib/python3.12/json/hard.py",
            kind="hardlink",
            target="python/lib/python3.12/json/__init__.py",
        ),
        Member("python/share/data.bin", bytes(range(256)) * 8),
    ]


def header_spans(raw: bytes) -> list[tuple[int, int]]:
    """(start, end) of each member's header blocks (pax records included)."""
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return [(m.offset, m.offset_data) for m in tar.getmembers()]


def fix_checksum(data: bytearray, start: int) -> None:
    block = data[start : start + BLOCK]
    block[148:156] = b" " * 8
    data[start + 148 : start + 156] = b"%06o\x00 " % sum(block)


def mutate_header(rng: random.Random, raw: bytes) -> bytes:
    data = bytearray(raw)
    start, end = rng.choice(header_spans(raw))
    block = end - BLOCK  # the member's own ustar header (after any pax records)
    action = rng.random()
    if action < 0.2:  # a hostile name or link target, the checksum made right
        field, size = rng.choice([(0, 100), (157, 100)])
        name = rng.choice(HOSTILE_NAMES).encode()[:size]
        data[block + field : block + field + size] = name.ljust(size, b"\0")
        fix_checksum(data, block)
    elif action < 0.35:  # a type flag
        data[block + 156] = rng.choice(b"0123456789gxLKSDV\0\xff")
        fix_checksum(data, block)
    elif action < 0.5:  # a number field: mode, size, mtime, uid
        field, size = rng.choice([(100, 8), (124, 12), (136, 12), (108, 8)])
        text = rng.choice([b"77777777777", b"0", b"-1", b"\x80" + b"\xff" * 11, b"9" * 11, b""])
        data[block + field : block + field + size] = text[:size].ljust(size, b"\0")
        fix_checksum(data, block)
    else:  # a few random bytes anywhere in the header blocks (pax records too)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(start, end)] = rng.randrange(256)
        if rng.random() < 0.5:
            fix_checksum(data, block)
    return bytes(data)


def mutate_gzip(rng: random.Random, packed: bytes) -> bytes:
    data = bytearray(packed)
    action = rng.random()
    if action < 0.25:  # header: magic, method, flags, mtime, xfl, os
        data[rng.randrange(10)] = rng.randrange(256)
    elif action < 0.4:  # trailer: crc32, size
        data[len(data) - 1 - rng.randrange(8)] ^= 1 << rng.randrange(8)
    elif action < 0.6:  # the deflate stream
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(10, len(data) - 8)] = rng.randrange(256)
    elif action < 0.75:
        del data[rng.randrange(1, len(data)) :]
    elif action < 0.9:  # what follows: junk, zeros, another member
        data += rng.choice([b"junk" * 50, b"\0" * 700, packed, b"\x1f\x8b\x08"])
    else:  # flags that announce fields the header does not carry
        data[3] = rng.choice([2, 4, 8, 16, 0xE0])
    return bytes(data)


def mutate_zstd(rng: random.Random, packed: bytes) -> bytes:
    data = bytearray(packed)
    action = rng.random()
    if action < 0.25:  # frame header: descriptor, window, content size
        data[4 + rng.randrange(min(10, len(data) - 4))] = rng.randrange(256)
    elif action < 0.35:  # a window far above the limit
        data[4] &= ~0x20  # not single-segment: the window descriptor follows
        data[5:5] = bytes([0xF8])
    elif action < 0.6:  # blocks
        for _ in range(rng.randint(1, 3)):
            data[rng.randrange(6, len(data))] = rng.randrange(256)
    elif action < 0.75:
        del data[rng.randrange(1, len(data)) :]
    elif action < 0.9:  # what follows: junk, a skippable frame, another frame
        skippable = struct.pack("<II", 0x184D2A5E, 16) + b"s" * 16
        data += rng.choice([b"junk" * 50, skippable, packed, b"\x28\xb5\x2f\xfd"])
    else:  # skippable frame in front, claiming more than there is
        data[0:0] = struct.pack("<II", 0x184D2A50, rng.choice([4, 1 << 30]))
    return bytes(data)


def mutants(rng: random.Random, raw: bytes) -> list[tuple[str, str, bytes]]:
    """(kind, format, archive bytes) for CASES mutants."""
    out = []
    for i in range(CASES):
        fmt = "tar.gz" if i % 2 else "tar.zst"
        kind = ("header", "frame")[i % 3 == 0]
        if kind == "header":
            out.append((kind, fmt, compress(mutate_header(rng, raw), fmt)))
        elif fmt == "tar.gz":
            out.append((kind, fmt, mutate_gzip(rng, compress(raw, fmt))))
        else:
            out.append((kind, fmt, mutate_zstd(rng, compress(raw, fmt))))
    return out


def test_fuzz_tar_headers_and_compressed_frames(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, max_unpacked_bytes=4 << 20, max_members=500)
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "f").write_bytes(b"sentinel\n")
    archives = tmp_path / "home" / "archives"
    archives.mkdir(parents=True)
    skip = ("home/data", "home/cache", "home/archives")
    before = tree_state(tmp_path, skip)
    raw = tar_bytes(base_members())
    rng = random.Random(SEED)
    outcomes: dict[str, int] = {}
    for i, (kind, fmt, data) in enumerate(mutants(rng, raw)):
        name = asset_name("3.12.3", "20240415", host_triple(), "", "install_only")
        name = name.removesuffix(".tar.gz") + "." + fmt
        path = archives / f"{i}-{name}"
        path.write_bytes(data)
        sha = hashlib.sha256(data).hexdigest()
        build = build_for(name, Archive(data, sha, len(data)), f"file://{path}")
        fetched = Fetched(path, sha, len(data), True, "file", str(path), False)
        try:
            install_archive(settings, build, fetched, force=True, probe_timeout=10)
            outcome = "installed"
        except InstallError as exc:
            message = str(exc)
            assert message and "\n" not in message and len(message) < 400, (i, kind, message)
            outcome = type(exc).__name__
        except Exception as exc:  # the failure this test looks for
            pytest.fail(f"mutant {i} ({kind}, {fmt}) raised {type(exc).__name__}: {exc}")
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert staging_left(settings.install_dir) == [], (i, kind, fmt)
        path.unlink()
    assert tree_state(tmp_path, skip) == before  # nothing written outside the install root
    assert sum(outcomes.values()) == CASES
    # the fuzz reached both ends: some mutants install, most are refused
    print(outcomes)
    assert outcomes.get("installed", 0) > 0 and outcomes.get("ArchiveRefused", 0) > 0, outcomes
