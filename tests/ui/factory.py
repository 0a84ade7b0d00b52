"""A small deterministic catalog, host and settings for UI and snapshot tests."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from urllib.parse import quote

from pybs_tui.catalog.group import Host
from pybs_tui.catalog.models import Build, Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.settings import Limits, Settings

HOST = Host("linux", "x86_64", "gnu", 3)
FIXED_NOW = 1_764_000_000.0  # 2025-11-24
SNAPSHOT_TIME = 1_763_900_000.0
PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download"

_LINUX = "x86_64-unknown-linux-gnu"
_ARCHIVES_313 = [
    "install_only_stripped.tar.gz",
    "install_only.tar.gz",
    "pgo+lto-full.tar.zst",
    "pgo-full.tar.zst",
    "lto-full.tar.zst",
    "noopt-full.tar.zst",
    "debug-full.tar.zst",
    "freethreaded-install_only_stripped.tar.gz",
    "freethreaded-install_only.tar.gz",
    "freethreaded+pgo+lto-full.tar.zst",
    "freethreaded+debug-full.tar.zst",
]
_ARCHIVES_312 = [
    "install_only_stripped.tar.gz",
    "install_only.tar.gz",
    "pgo+lto-full.tar.zst",
    "debug-full.tar.zst",
]

NAMES: list[str] = (
    [f"cpython-3.13.1+20241206-{_LINUX}-{tail}" for tail in _ARCHIVES_313]
    + [f"cpython-3.12.8+20241206-{_LINUX}-{tail}" for tail in _ARCHIVES_312]
    + [f"cpython-3.12.3+20240415-{_LINUX}-{tail}" for tail in _ARCHIVES_312]
    + [
        "cpython-3.13.1+20241206-x86_64_v3-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.13.1+20241206-x86_64_v4-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.13.1+20241206-x86_64-unknown-linux-musl-install_only.tar.gz",
        "cpython-3.13.1+20241206-aarch64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.13.1+20241206-aarch64-apple-darwin-install_only.tar.gz",
        "cpython-3.13.1+20241206-aarch64-apple-darwin-pgo+lto-full.tar.zst",
        "cpython-3.13.1+20241206-x86_64-pc-windows-msvc-shared-install_only.tar.gz",
        "cpython-3.14.0rc3+20250918-x86_64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.14.0rc3+20250918-x86_64-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst",
    ]
)


def fake_sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def fake_size(name: str) -> int:
    """Plausible, deterministic sizes: full archives big, debug bigger, stripped small."""
    if "install_only_stripped" in name:
        base = 18_200_000
    elif "install_only" in name:
        base = 31_400_000
    elif "debug" in name:
        base = 102_000_000
    elif "noopt" in name:
        base = 66_000_000
    else:
        base = 78_000_000
    return base + int(fake_sha(name)[:4], 16) * 100


def url_for(name: str, base: str = PREFIX) -> str:
    tag = name.split("+", 1)[1][:8]
    return f"{base}/{tag}/{quote(name)}"


def builds(*, sizes: bool = True, url_base: str = PREFIX) -> list[Build]:
    out = []
    for name in NAMES:
        b = parse_name(name)
        assert b is not None and b.known, name
        out.append(
            b.with_source(
                url=url_for(name, url_base),
                sha256=fake_sha(name),
                size=fake_size(name) if sizes else None,
            )
        )
    return out


def catalog(*, sizes: bool = True, url_base: str = PREFIX, source: str = "snapshot") -> Catalog:
    return Catalog(builds(sizes=sizes, url_base=url_base), source, "tests", SNAPSHOT_TIME)


class FakeDisk:
    """settings.disk_usage stand-in: a fixed 60 GB free, and the paths asked about."""

    def __init__(self, free: int = 60_000_000_000) -> None:
        self.free = free
        self.asked: list[str] = []

    def __call__(self, path):
        self.asked.append(str(path))
        return shutil._ntuple_diskusage(200_000_000_000, 200_000_000_000 - self.free, self.free)


def make_settings(
    root: Path,
    *,
    offline: bool = True,
    api: str = "http://127.0.0.1:9",
    index_url: str = "http://127.0.0.1:9/index.ndjson",
) -> Settings:
    return Settings(
        cache_dir=root / "cache",
        data_dir=root / "data",
        state_dir=root / "state",
        index_url=index_url,
        github_api=api,
        offline=offline,
        limits=Limits(http_timeout=5.0),
        sleep=lambda s: None,
        clock=lambda: FIXED_NOW,
        disk_usage=FakeDisk(),
    )


def api_release_json(
    tag: str, names: list[str], url_base: str = PREFIX, sizes: dict[str, int] | None = None
) -> bytes:
    """GitHub's /releases/tags/{tag} answer listing these assets with sizes (`sizes` overrides
    the fake ones by name)."""
    sizes = sizes or {}
    return json.dumps(
        {
            "tag_name": tag,
            "published_at": f"{tag[:4]}-{tag[4:6]}-{tag[6:]}T00:00:00Z",
            "assets": [
                {
                    "name": n,
                    "size": sizes.get(n, fake_size(n)),
                    "digest": f"sha256:{fake_sha(n)}",
                    "browser_download_url": url_for(n, url_base),
                }
                for n in names
            ],
        }
    ).encode()


def ndjson_index(names: list[str], url_base: str = PREFIX) -> bytes:
    """The NDJSON release index for these names (one line per version+release)."""
    by_version: dict[str, list[str]] = {}
    for n in names:
        by_version.setdefault(n.split("-")[1], []).append(n)
    lines = [
        json.dumps(
            {
                "version": v,
                "artifacts": [{"url": url_for(n, url_base), "sha256": fake_sha(n)} for n in ns],
            }
        )
        for v, ns in by_version.items()
    ]
    return ("\n".join(lines) + "\n").encode()


# -- the seed's case: one release of 3.12.3 for linux-aarch64-gnu, three archives -------------

SEED_TAG = "20240415"
SEED_HOST = Host("linux", "aarch64", "gnu")
_SEED = "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu"
SEED_DEBUG = f"{_SEED}-debug-full.tar.zst"
SEED_LTO = f"{_SEED}-lto-full.tar.zst"
SEED_INSTALL_ONLY = f"{_SEED}-install_only.tar.gz"
SEED_SIZES = {SEED_DEBUG: 48_000_000, SEED_LTO: 178_000_000, SEED_INSTALL_ONLY: 24_400_000}
SEED_NAMES = list(SEED_SIZES)


def seed_catalog(
    names: list[str] | None = None,
    *,
    sizes: bool = True,
    url_base: str = PREFIX,
    source: str = "snapshot",
) -> Catalog:
    """A catalog of the seed's archives (or `names`), with the seed's sizes where known."""
    out = []
    for name in SEED_NAMES if names is None else names:
        b = parse_name(name)
        assert b is not None and b.known, name
        size = SEED_SIZES.get(name, fake_size(name)) if sizes else None
        out.append(b.with_source(url=url_for(name, url_base), sha256=fake_sha(name), size=size))
    return Catalog(out, source, "tests", SNAPSHOT_TIME)
