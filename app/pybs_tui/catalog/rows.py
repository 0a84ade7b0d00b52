"""Machine-readable rows for builds: a superset of `uv python list --output-format json`."""

from __future__ import annotations

from typing import Any

from .models import Build

_UV_OS = {"darwin": "macos"}
_UV_ARCH = {"i686": "x86", "ppc64le": "powerpc64le", "riscv64": "riscv64gc"}


def uv_arch(build: Build) -> str:
    if build.arch == "x86_64" and build.arch_level not in ("", "v1"):
        return f"x86_64_{build.arch_level}"
    return _UV_ARCH.get(build.arch, build.arch)


def uv_key(build: Build) -> str:
    variant = "" if build.variant == "default" else f"+{build.variant}"
    return (
        f"cpython-{build.version_str}{variant}-{_UV_OS.get(build.os, build.os)}-"
        f"{uv_arch(build)}-{build.libc}"
    )


def build_row(
    build: Build, *, uv_pick: bool = False, installed: str | None = None
) -> dict[str, Any]:
    """uv's fields (key, version, version_parts, path, symlink, url, os, variant,
    implementation, arch, libc) plus name, size, sha256, release, flavor, build_options, flags."""
    v = build.version
    return {
        "key": uv_key(build),
        "version": build.version_str,
        "version_parts": {"major": v.major, "minor": v.minor, "patch": v.patch} if v else None,
        "path": installed,
        "symlink": None,
        "url": build.url,
        "os": _UV_OS.get(build.os, build.os),
        "variant": build.variant,
        "implementation": "cpython",
        "arch": uv_arch(build),
        "libc": build.libc,
        "name": build.name,
        "release": build.release,
        "triple": build.triple,
        "arch_level": build.arch_level or None,
        "flavor": build.flavor,
        "archive_format": build.archive_format,
        "build_options": sorted(build.options),
        "flags": {
            "Py_DEBUG": build.py_debug,
            "Py_GIL_DISABLED": build.gil_disabled,
            "PGO": build.pgo,
            "LTO": build.lto,
            "stripped": build.stripped,
        },
        "prerelease": bool(v and v.is_prerelease),
        "size": build.size,
        "sha256": build.sha256,
        "uv_pick": uv_pick,
        "installed": installed is not None,
        "known": build.known,
        "problem": build.problem or None,
    }
