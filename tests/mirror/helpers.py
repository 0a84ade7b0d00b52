"""Shared by the mirror tests: a loopback 'release downloads' server and a catalog of it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.archives import Archive
from tests.support.catalogs import api_release
from tests.support.server import LoopbackServer

PREFIX = "/dl"


def serve_release(server: LoopbackServer, tag: str, archives: dict[str, Archive]) -> dict:
    """Put archives on the server at /dl/<tag>/<name> (plain and quoted); their API release."""
    from urllib.parse import quote

    for name, archive in archives.items():
        server.add(f"{PREFIX}/{tag}/{name}", archive.data)
        server.add(f"{PREFIX}/{tag}/{quote(name)}", archive.data)
    assets = [(name, a.sha256, a.size) for name, a in archives.items()]
    return api_release(tag, assets, base=server.url(PREFIX))


def write_catalog(path: Path, releases: list[dict]) -> Path:
    path.write_text(json.dumps(releases))
    return path


def sums_of(folder: Path, tag: str) -> list[tuple[str, str]]:
    """(sha256, name) lines of DIR/<tag>/SHA256SUMS, as written."""
    lines = (folder / tag / "SHA256SUMS").read_text().splitlines()
    return [tuple(line.split("  ", 1)) for line in lines]  # type: ignore[misc]


def final_files(folder: Path) -> list[str]:
    """Every '<tag>/<name>' archive file with its final name in DIR."""
    return sorted(
        f"{p.parent.name}/{p.name}"
        for p in folder.glob("*/*")
        if p.name.endswith((".tar.gz", ".tar.zst"))
    )
