"""Shared by the install and reliability tests: host-shaped archives, builds, tree snapshots,
and the `world` of a reliability test (settings, server, outside/ sentinel, one real install)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import stat
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from pybs_tui.catalog.models import Build
from pybs_tui.catalog.names import parse_name
from pybs_tui.host import detect_host
from pybs_tui.install.pipeline import InstallResult
from pybs_tui.install.receipts import iter_receipts
from pybs_tui.progress import InstallError
from pybs_tui.service.install import install_build
from pybs_tui.settings import Limits, Settings
from tests.support.archives import Archive, Member, asset_name, make_archive, pbs_members

TAG = "20240415"
#: From staging/python/ up to the test's tmp_path (home/data/pythons/.staging-x/python).
UP_TO_TMP = "../" * 5
#: Paths a refused install may touch: the download cache and the lock files.
SKIP = ("home/cache", "home/data/pythons/.locks", "home/data/pythons/.lock")


def host_triple() -> str:
    """The PBS triple of this machine (baseline x86-64), so requests pick test builds."""
    host = detect_host()
    system = {
        "linux": f"unknown-linux-{host.libc}",
        "darwin": "apple-darwin",
        "windows": "pc-windows-msvc",
    }[host.os]
    return f"{host.arch}-{system}"


def pbs_archive(
    *,
    version: str = "3.12.3",
    flavor: str = "install_only",
    options: str = "",
    debug: bool | None = None,
    freethreaded: bool | None = None,
    extra: list[Member] | None = None,
    members: list[Member] | None = None,
    config_args: str = "'--enable-optimizations' '--with-lto'",
    tag: str = TAG,
) -> tuple[str, Archive]:
    """(asset name, archive) of a PBS-shaped archive for this host; flags follow `options`."""
    opts = set(options.split("+")) if options else set()
    debug = "debug" in opts if debug is None else debug
    freethreaded = "freethreaded" in opts if freethreaded is None else freethreaded
    name = asset_name(version, tag, host_triple(), options, flavor)
    if members is None:
        prefix = "python/install" if flavor == "full" else "python"
        members = pbs_members(prefix, version, debug, freethreaded, extra, config_args)
    fmt = "tar.zst" if name.endswith(".tar.zst") else "tar.gz"
    return name, make_archive(members, fmt)


def build_for(name: str, archive: Archive, url: str) -> Build:
    build = parse_name(name)
    assert build is not None and build.known, name
    return build.with_source(url=url, sha256=archive.sha256, size=archive.size)


def serve(server: Any, name: str, archive: Archive, prefix: str = "/dl") -> Build:
    """Put the archive on the loopback server (plain and %-quoted path); its Build."""
    server.add(f"{prefix}/{TAG}/{name}", archive.data)
    url = server.add(f"{prefix}/{TAG}/{quote(name)}", archive.data)
    return build_for(name, archive, url)


def archive_gets(server: Any, name: str) -> int:
    """How many GETs the server saw for an archive (either spelling of its path)."""
    return sum(
        1
        for r in server.log
        if r.method == "GET" and r.path.endswith((f"/{name}", f"/{quote(name)}"))
    )


def tree_state(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple]:
    """Every entry under root: type, mode, content hash or link target (links not followed)."""
    state: dict[str, tuple] = {}
    if not os.path.lexists(root):
        return state
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [
            d for d in dirnames if os.path.normpath(os.path.join(rel_dir, d)) not in skip
        ]
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.relpath(path, root))
            if rel in skip:
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                state[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                state[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
                state[rel] = ("file", stat.S_IMODE(st.st_mode), digest)
    return state


def staging_left(install_dir: Path) -> list[str]:
    if not install_dir.exists():
        return []
    return [p.name for p in install_dir.iterdir() if p.name.startswith((".staging-", ".trash-"))]


def make_settings(tmp_path: Path, **limits: int) -> Settings:
    home = tmp_path / "home"
    return Settings(
        cache_dir=home / "cache",
        data_dir=home / "data",
        state_dir=home / "state",
        limits=Limits(http_timeout=5.0, **limits),
        sleep=lambda s: None,
    )


@dataclasses.dataclass
class World:
    """tmp_path with settings, a loopback server, an outside/ sentinel and one real install."""

    tmp: Path
    settings: Settings
    server: Any
    outside: Path
    existing: Path
    client: Any = None
    before: dict = dataclasses.field(default_factory=dict)
    installed: list[str] = dataclasses.field(default_factory=list)

    def serve(self, name: str, archive: Archive) -> Build:
        return serve(self.server, name, archive)

    def install(self, build: Build, **kwargs: Any) -> InstallResult:
        kwargs.setdefault("client", self.client)
        return install_build(self.settings, build, **kwargs)

    def snapshot(self) -> None:
        self.before = tree_state(self.tmp, SKIP)
        self.installed = sorted(p.name for p, _ in iter_receipts(self.settings))

    def refused(self, build: Build, match: str, **kwargs: Any) -> str:
        """Install must fail with one line containing `match`; then check the invariants."""
        kwargs.setdefault("client", self.client)
        with pytest.raises(InstallError) as info:
            install_build(self.settings, build, **kwargs)
        message = str(info.value)
        assert match.lower() in message.lower(), message
        assert "\n" not in message and len(message) < 400, message
        self.check()
        return message

    def check(self) -> None:
        """Nothing changed anywhere under tmp_path (outside/, installs), no staging left."""
        assert staging_left(self.settings.install_dir) == []
        after = tree_state(self.tmp, SKIP)
        changed = {k for k in set(after) | set(self.before) if after.get(k) != self.before.get(k)}
        assert not changed, sorted(changed)[:10]
        assert sorted(p.name for p, _ in iter_receipts(self.settings)) == self.installed
        assert self.existing.name in self.installed


def make_world(tmp_path: Path, server: Any, client: Any = None) -> World:
    """A World; pass an httpx client to share (saves building an SSL context per install)."""
    settings = make_settings(tmp_path)
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    (outside / "f").write_bytes(b"sentinel\n")
    (outside / "sub" / "g").write_bytes(b"sentinel too\n")
    name, archive = pbs_archive(version="3.11.9")
    existing = install_build(settings, serve(server, name, archive), client=client).path
    world = World(tmp_path, settings, server, outside, existing, client)
    world.snapshot()
    return world
