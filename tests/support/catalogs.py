"""Small catalogs in the live shapes (NDJSON index, GitHub API releases) for tests."""

from __future__ import annotations

import json
from urllib.parse import quote

PREFIX = "https://github.com/astral-sh/python-build-standalone/releases/download"


def ndjson_index(entries: dict[str, list[tuple[str, str]]]) -> bytes:
    """{'3.12.3+20240415': [(asset name, sha256), ...]} -> NDJSON bytes."""
    lines = []
    for version, assets in entries.items():
        tag = version.split("+")[1]
        lines.append(
            json.dumps(
                {
                    "version": version,
                    "artifacts": [
                        {
                            "platform": name.split("-", 2)[2],
                            "variant": "",
                            "archive_format": "",
                            "url": f"{PREFIX}/{tag}/{quote(name)}",
                            "sha256": sha,
                        }
                        for name, sha in assets
                    ],
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


def api_release(tag: str, assets: list[tuple[str, str, int]], base: str = PREFIX) -> dict:
    """One release as GitHub's API returns it: assets with name, size, digest, url."""
    return {
        "tag_name": tag,
        "published_at": f"{tag[:4]}-{tag[4:6]}-{tag[6:]}T00:00:00Z",
        "assets": [
            {
                "name": name,
                "size": size,
                "digest": f"sha256:{sha}",
                "browser_download_url": f"{base}/{tag}/{quote(name)}",
            }
            for name, sha, size in assets
        ],
    }


def api_releases_json(releases: list[dict]) -> bytes:
    return json.dumps(releases).encode()
