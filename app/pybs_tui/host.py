"""Detect the running machine: os, arch, libc and x86-64 microarchitecture level."""

from __future__ import annotations

import glob
import platform
import sys
from pathlib import Path

from .catalog.group import ARCH_ALIASES, Host

_LEVEL_FLAGS = {
    2: {"cx16", "lahf_lm", "popcnt", "sse4_1", "sse4_2", "ssse3"},
    3: {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"},
    4: {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
}


def x86_64_level(cpuinfo: str) -> int:
    """The highest x86-64 level whose CPU flags all appear in /proc/cpuinfo text."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            break
    level = 1
    for candidate in (2, 3, 4):
        if _LEVEL_FLAGS[candidate] <= flags:
            level = candidate
        else:
            break
    return level


def detect_host() -> Host:
    """The Host this process runs on."""
    os_name = {"linux": "linux", "darwin": "darwin", "win32": "windows"}.get(
        sys.platform, sys.platform
    )
    machine = platform.machine().lower()
    arch = ARCH_ALIASES.get(machine, machine)
    if arch.startswith("armv7"):
        arch = "armv7"
    musl_loader = False
    if os_name == "linux":
        # a glibc system may have the musl loader too (Debian's musl package): ask the C library
        musl_loader = bool(glob.glob("/lib/ld-musl-*"))
        libc = "gnu" if platform.libc_ver()[0] == "glibc" or not musl_loader else "musl"
        if arch == "armv7" and libc == "gnu":
            libc = "gnueabihf"
    elif os_name == "windows":
        libc = "msvc"
    else:
        libc = "none"
    level = 1
    if arch == "x86_64" and os_name == "linux":
        try:
            level = x86_64_level(Path("/proc/cpuinfo").read_text(errors="replace"))
        except OSError:
            level = 1
    return Host(os_name, arch, libc, level, musl_loader)
