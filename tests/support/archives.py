"""Build PBS-shaped (and hostile) archives in memory: raw TarInfo, gzip or zstandard."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from dataclasses import dataclass

import zstandard


@dataclass
class Member:
    """One tar member. kind: file, dir, symlink, hardlink, fifo, chardev."""

    name: str
    data: bytes = b""
    kind: str = "file"
    target: str = ""  # link target
    mode: int = 0o644


@dataclass
class Archive:
    data: bytes
    sha256: str
    size: int


FAKE_PYTHON = b"""#!/bin/sh
# a stand-in interpreter for tests: answers the probe with canned values
echo '{"version": "%(version)s", "Py_DEBUG": %(debug)s, "Py_GIL_DISABLED": %(ft)s, "abiflags": "%(abiflags)s", "CONFIG_ARGS": "%(config)s"}'
"""  # noqa: E501  (the probe's JSON keys, on one line like the real probe prints them)


def fake_python_script(
    version: str = "3.12.3",
    debug: bool = False,
    freethreaded: bool = False,
    config_args: str = "'--enable-optimizations' '--with-lto'",
) -> bytes:
    """A shell script standing in for bin/python3 (prints what the probe asks as JSON)."""
    abiflags = ("t" if freethreaded else "") + ("d" if debug else "")
    return FAKE_PYTHON % {
        b"version": version.encode(),
        b"debug": b"1" if debug else b"0",
        b"ft": b"1" if freethreaded else b"0",
        b"abiflags": abiflags.encode(),
        b"config": config_args.encode(),
    }


def pbs_members(
    prefix: str = "python",
    version: str = "3.12.3",
    debug: bool = False,
    freethreaded: bool = False,
    extra: list[Member] | None = None,
    config_args: str = "'--enable-optimizations' '--with-lto'",
) -> list[Member]:
    """A minimal PBS install tree under `prefix` ('python' or 'python/install')."""
    minor = ".".join(version.split(".")[:2])
    abiflags = ("t" if freethreaded else "") + ("d" if debug else "")
    py = fake_python_script(version, debug, freethreaded, config_args)
    members = [
        Member(f"{prefix}", kind="dir", mode=0o755),
        Member(f"{prefix}/bin", kind="dir", mode=0o755),
        Member(f"{prefix}/bin/python{minor}{abiflags}", py, mode=0o755),
        Member(f"{prefix}/bin/python3", kind="symlink", target=f"python{minor}{abiflags}"),
        Member(f"{prefix}/lib", kind="dir", mode=0o755),
        Member(f"{prefix}/lib/python{minor}{abiflags}", kind="dir", mode=0o755),
        Member(f"{prefix}/lib/python{minor}{abiflags}/os.py", b"# os\n"),
        Member(f"{prefix}/include/python{minor}{abiflags}/Python.h", b"/* header */\n"),
    ]
    if prefix != "python":
        top = prefix.split("/")[0]
        members.insert(0, Member(top, kind="dir", mode=0o755))
        members.append(Member(f"{top}/PYTHON.json", b'{"version": "7"}'))
    return members + list(extra or [])


def tar_bytes(members: list[Member]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for m in members:
            info = tarfile.TarInfo(m.name)
            info.mode = m.mode
            info.mtime = 1_700_000_000
            if m.kind == "file":
                info.size = len(m.data)
                tar.addfile(info, io.BytesIO(m.data))
                continue
            info.type = {
                "dir": tarfile.DIRTYPE,
                "symlink": tarfile.SYMTYPE,
                "hardlink": tarfile.LNKTYPE,
                "fifo": tarfile.FIFOTYPE,
                "chardev": tarfile.CHRTYPE,
            }[m.kind]
            info.linkname = m.target
            tar.addfile(info)
    return buf.getvalue()


def compress(raw: bytes, fmt: str = "tar.gz", **zstd_params: int) -> bytes:
    if fmt == "tar.gz":
        return gzip.compress(raw, mtime=0)
    if zstd_params:
        params = zstandard.ZstdCompressionParameters.from_level(3, **zstd_params)
        return zstandard.ZstdCompressor(compression_params=params).compress(raw)
    return zstandard.ZstdCompressor(level=3).compress(raw)


def make_archive(members: list[Member], fmt: str = "tar.gz") -> Archive:
    data = compress(tar_bytes(members), fmt)
    return Archive(data, hashlib.sha256(data).hexdigest(), len(data))


def asset_name(
    version: str = "3.12.3",
    tag: str = "20240415",
    triple: str = "x86_64-unknown-linux-gnu",
    options: str = "",
    flavor: str = "install_only",
) -> str:
    fmt = "tar.zst" if flavor == "full" else "tar.gz"
    opts = f"-{options}" if options else ""
    return f"cpython-{version}+{tag}-{triple}{opts}-{flavor}.{fmt}"
