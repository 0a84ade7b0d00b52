"""uv itself reads the download-metadata.json an export writes, for every kind of entry:
debug and free-threaded variants, x86-64 levels, musl, armv7, macOS and Windows. uv is pointed
at an empty file:// mirror, so it names the archive it would fetch and stops."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from pybs_tui.catalog.names import parse_name
from pybs_tui.service.mirror import uv_metadata
from tests.support.uv_oracle import uv_binary

DATA = Path(__file__).resolve().parents[1] / "data"
#: (what to pick from uv's real file) -> one entry of each kind
KINDS = [
    "+debug-linux-x86_64-gnu",
    "+freethreaded+debug-linux-x86_64-gnu",
    "+freethreaded-linux-x86_64_v3-gnu",
    "-linux-x86_64-musl",
    "+debug-linux-armv7-gnueabi",
    "-linux-powerpc64le-gnu",
    "+freethreaded+debug-darwin-aarch64-none",
    "+freethreaded-windows-aarch64-none",
    "-windows-i686-none",
]


def test_uv_installs_from_each_kind_of_entry_we_write(tmp_path: Path) -> None:
    window = json.loads((DATA / "uv-metadata-window.json").read_text())["entries"]
    builds = []
    for name in window.values():
        build = parse_name(name)
        assert build is not None
        builds.append(build.with_source(sha256="a" * 64))
    meta = uv_metadata(builds)
    assert set(meta) == set(window)  # one entry per uv key, the same keys as uv's own file
    path = tmp_path / "download-metadata.json"
    path.write_text(json.dumps(meta))
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("UV_")}
    env.update(
        HOME=str(tmp_path / "home"),
        UV_NO_CONFIG="1",
        UV_OFFLINE="1",
        UV_PYTHON_DOWNLOADS_JSON_URL=str(path),
        UV_PYTHON_INSTALL_MIRROR=empty.as_uri(),
        UV_PYTHON_INSTALL_DIR=str(tmp_path / "py"),
        UV_CACHE_DIR=str(tmp_path / "cache"),
        UV_PYTHON_INSTALL_BIN="0",
    )
    for kind in KINDS:
        key = next((k for k in sorted(meta) if k.endswith(kind)), None)
        if key is None:
            pytest.fail(f"the window of uv's file has no {kind} entry")
        name = window[key]
        out = subprocess.run(
            [uv_binary(), "python", "install", key],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=tmp_path,
        )
        assert out.returncode != 0  # the mirror is empty
        assert f"{empty}/{meta[key]['build']}/{name}" in out.stderr, (key, out.stderr[-400:])
