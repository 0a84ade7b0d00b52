"""Machine-readable rows for builds: a superset of `uv python list --output-format json`.

The fields uv prints carry uv's values (its key, arch and libc words, and the URL on
releases.astral.sh, where uv downloads from by default); the rest say what uv does not: the
archive, its size and sha256, flags with where each comes from, and uv's pick.
"""

from __future__ import annotations

from typing import Any

from .index import CatalogIndex
from .models import Build
from .select import uv_arch, uv_key, uv_libc, uv_os


def build_row(build: Build, index: CatalogIndex, installed: str | None = None) -> dict[str, Any]:
    """uv's fields (key, version, version_parts, path, symlink, url, os, variant,
    implementation, arch, libc), then name, release, flavor, options, flags (with the source of
    each that is not read from the file name), size, sha256, uv_pick (the `uv python install`
    request this archive answers, or null)."""
    v = build.version
    facts = index.flag_facts(build)
    return {
        "key": uv_key(build),
        "version": build.version_str,
        "version_parts": {"major": v.major, "minor": v.minor, "patch": v.patch} if v else None,
        "path": installed,
        "symlink": None,
        "url": build.astral_url or build.url,
        "os": uv_os(build),
        "variant": build.variant,
        "implementation": "cpython",
        "arch": uv_arch(build),
        "libc": uv_libc(build),
        "name": build.name,
        "github_url": build.url,
        "release": build.release,
        "triple": build.triple,
        "arch_level": build.arch_level or None,
        "flavor": build.flavor,
        "archive_format": build.archive_format,
        "options": build.options_label if build.options_label != "-" else "",
        "build_options": sorted(build.options),
        "flags": {f.name: f.value for f in facts},
        # where a flag does not come from the file name: inferred, or unknown and why
        "flags_source": {f.name: f.source for f in facts if f.source != "name"},
        "prerelease": bool(v and v.is_prerelease),
        "size": build.size,
        "size_source": build.size_source or None,
        "sha256": build.sha256,
        "uv_pick": index.uv_request(build),
        "installed": installed is not None,
        "derived": build.derived,
        "known": build.known,
        "problem": build.problem or None,
    }
