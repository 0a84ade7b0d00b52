"""The air-gapped workflow end to end: `pybs-tui mirror export` from a loopback 'release
downloads' server, the server gone, then real uv (from PyPI) and pybs-tui both install from
the exported folder with no network, and the interpreter they installed runs."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.install.helpers import host_triple
from tests.install.realpython import OtherPython, can_pack, find_python, pack_python
from tests.mirror.helpers import serve_release, sums_of, write_catalog
from tests.support.archives import Archive, asset_name
from tests.support.cli import run_cli
from tests.support.server import LoopbackServer
from tests.support.uv_oracle import uv_binary

TAG = "20240415"


def _interpreter() -> OtherPython | None:
    """CPython 3.12 as the issue asks when this machine has one, else the runner's own."""
    minor = "{}.{}".format(*sys.version_info[:2])
    return find_python("3.12") or (find_python(minor) if can_pack() is None else None)


PYTHON = _interpreter()


def _uv_env(tmp: Path, folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("UV_", "PYBS_TUI_", "HTTP", "ALL_PROXY")) and k != "VIRTUAL_ENV"
    }
    env.update(
        HOME=str(tmp / "uvhome"),
        XDG_DATA_HOME=str(tmp / "uvhome" / "data"),
        XDG_CACHE_HOME=str(tmp / "uvhome" / "cache"),
        UV_PYTHON_INSTALL_DIR=str(tmp / "uv-pythons"),
        UV_CACHE_DIR=str(tmp / "uv-cache"),
        UV_NO_CONFIG="1",
        UV_OFFLINE="1",
        UV_NO_PROGRESS="1",
        UV_PYTHON_DOWNLOADS="automatic",
        UV_PYTHON_INSTALL_BIN="0",
        UV_PYTHON_INSTALL_MIRROR=folder.as_uri(),
        UV_PYTHON_DOWNLOADS_JSON_URL=str(folder / "download-metadata.json"),
    )
    return env


def _version_of(python: Path) -> str:
    out = subprocess.run(
        [str(python), "-I", "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.skipif(PYTHON is None, reason="no packable CPython on this machine")
def test_export_then_uv_and_pybs_tui_install_offline(tmp_path: Path) -> None:
    assert PYTHON is not None
    data = pack_python(PYTHON.base, PYTHON.minor, PYTHON.shared)
    archive = Archive(data, hashlib.sha256(data).hexdigest(), len(data))
    name = asset_name(PYTHON.version, TAG, host_triple(), "", "install_only")
    folder = tmp_path / "mirror"
    with LoopbackServer() as server:
        catalog = write_catalog(
            tmp_path / "catalog.json", [serve_release(server, TAG, {name: archive})]
        )
        out = run_cli(
            "--catalog",
            str(catalog),
            "mirror",
            "export",
            str(folder),
            PYTHON.minor,
            "--json",
            home=tmp_path / "home-export",
        )
        assert out.returncode == 0, out.stderr
        gets = [r for r in server.log if r.method == "GET" and name in r.path.replace("%2B", "+")]
        assert len(gets) == 1
    report = json.loads(out.stdout)
    assert [e["name"] for e in report["exported"]] == [name]
    assert report["exported"][0]["action"] == "downloaded"
    assert report["exported"][0]["verified"] is True
    assert (folder / TAG / name).read_bytes() == data
    assert sums_of(folder, TAG) == [(archive.sha256, name)]
    uv_file = json.loads((folder / "download-metadata.json").read_text())
    (entry,) = uv_file.values()
    assert entry["sha256"] == archive.sha256 and entry["build"] == TAG

    # the server is gone: uv installs from the folder alone
    uv = subprocess.run(
        [uv_binary(), "python", "install", PYTHON.minor],
        capture_output=True,
        text=True,
        timeout=300,
        env=_uv_env(tmp_path, folder),
        cwd=tmp_path,
    )
    assert uv.returncode == 0, uv.stderr
    trees = [p for p in (tmp_path / "uv-pythons").iterdir() if not p.is_symlink()]
    (tree,) = [p for p in trees if p.name.startswith(f"cpython-{PYTHON.version}-")]
    assert _version_of(tree / "bin" / f"python{PYTHON.minor}") == PYTHON.version

    # and so does pybs-tui, from the folder's own catalog
    out = run_cli(
        "--catalog",
        str(folder / "pybs-catalog.json"),
        "install",
        PYTHON.minor,
        "--mirror",
        folder.as_uri(),
        "--json",
        home=tmp_path / "home-install",
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["receipt"]["name"] == name
    assert result["receipt"]["verified"] is True
    assert result["probe"]["version"] == PYTHON.version
    assert _version_of(Path(result["path"]) / "bin" / "python3") == PYTHON.version
