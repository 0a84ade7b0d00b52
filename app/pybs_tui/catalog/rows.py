"""Machine-readable rows for builds: a superset of `uv python list --output-format json`.

The fields uv prints carry uv's values (its key, arch and libc words, and the URL on
releases.astral.sh, where uv downloads from by default); the rest say what uv does not: the
archive, its size and sha256, flags with where each comes from, and uv's pick.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from .flags import facts_key
from .index import CatalogIndex
from .models import Build
from .select import VARIANT_SUFFIX, uv_words


def build_row(build: Build, index: CatalogIndex, installed: str | None = None) -> dict[str, Any]:
    """uv's fields (key, version, version_parts, path, symlink, url, os, variant,
    implementation, arch, libc), then name, release, flavor, options, flags (with the source of
    each that is not read from the file name), size, sha256, uv_pick (the `uv python install`
    request this archive answers, or null).

    What is the same for many archives (uv's platform words, the flags of one release,
    platform, options and flavor) is computed once and shared between rows: 23k rows are
    written by `list --all`."""
    v = build.version
    os_word, arch_word, libc_word, platform = uv_words(
        build.os, build.arch, build.arch_level, build.libc
    )
    variant = build.variant
    flags, flags_source = _flag_maps(index, build)
    options_label = build.options_label
    return {
        "key": f"cpython-{build.version_str}{VARIANT_SUFFIX[variant]}-{platform}",
        "version": build.version_str,
        "version_parts": {"major": v.major, "minor": v.minor, "patch": v.patch} if v else None,
        "path": installed,
        "symlink": None,
        "url": build.astral_url or build.url,
        "os": os_word,
        "variant": variant,
        "implementation": "cpython",
        "arch": arch_word,
        "libc": libc_word,
        "name": build.name,
        "github_url": build.url,
        "release": build.release,
        "triple": build.triple,
        "arch_level": build.arch_level or None,
        "flavor": build.flavor,
        "archive_format": build.archive_format,
        "options": options_label if options_label != "-" else "",
        "build_options": _sorted_options(build.options),
        "flags": flags,
        # where a flag does not come from the file name: inferred, or unknown and why
        "flags_source": flags_source,
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


@lru_cache(maxsize=512)
def _sorted_options(options: frozenset[str]) -> list[str]:
    return sorted(options)


def _flag_maps(index: CatalogIndex, build: Build) -> tuple[dict[str, Any], dict[str, str]]:
    """The row's "flags" and "flags_source", shared by the archives whose facts are the same
    (FlagFacts computes them once per release, platform, options and flavor)."""
    cache = index.flag_maps
    key = facts_key(build)
    found = cache.get(key)
    if found is None:
        facts = index.flag_facts(build)
        found = cache[key] = (
            {f.name: f.value for f in facts},
            {f.name: f.source for f in facts if f.source != "name"},
        )
    return found
