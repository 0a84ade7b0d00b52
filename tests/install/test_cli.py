"""`pybs-tui install` in a subprocess: one JSON line, one-line errors, exit codes, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.install.helpers import TAG, archive_gets, pbs_archive, serve, staging_left
from tests.support.archives import Archive, Member
from tests.support.cli import cli_env, run_cli
from tests.support.server import Route


def api_catalog(path: Path, assets: list[tuple[str, Archive, str]]) -> str:
    """Write a GitHub-API-shaped catalog (name, archive, download URL) and return its path."""
    release = {
        "tag_name": TAG,
        "published_at": "2024-04-15T00:00:00Z",
        "assets": [
            {
                "name": name,
                "size": archive.size,
                "digest": f"sha256:{archive.sha256}",
                "browser_download_url": url,
            }
            for name, archive, url in assets
        ],
    }
    path.write_text(json.dumps([release]))
    return str(path)


def assert_one_error_line(proc: subprocess.CompletedProcess[str], code: int, text: str) -> None:
    assert proc.returncode == code, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("pybs-tui:")]
    assert len(lines) == 1 and text in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_install_json_then_already_installed(tmp_path: Path, server) -> None:
    home = tmp_path / "home"
    assets = []
    for flavor in ("install_only_stripped", "install_only"):
        name, archive = pbs_archive(flavor=flavor)
        build = serve(server, name, archive)
        assets.append((name, archive, build.url))
    catalog = api_catalog(tmp_path / "catalog.json", assets)

    proc = run_cli("install", "3.12", "--catalog", catalog, "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1
    out = json.loads(lines[0])
    assert set(out) == {"path", "receipt", "probe", "checks", "warnings", "already_installed"}
    assert out["already_installed"] is False and out["warnings"] == []
    checks = {c["flag"]: c for c in out["checks"]}
    assert checks["Py_DEBUG"]["promised"] == "0" and checks["Py_DEBUG"]["ok"] is True
    stripped = assets[0][0]
    assert out["receipt"]["name"] == stripped  # uv's pick: install_only_stripped
    assert out["probe"]["version"] == "3.12.3" and out["probe"]["Py_DEBUG"] == 0
    path = Path(out["path"])
    assert path.parent == home / "data" / "pythons" and (path / "bin" / "python3").exists()
    assert "Traceback" not in proc.stderr

    again = run_cli("install", stripped, "--catalog", catalog, "--json", home=home)
    assert again.returncode == 0, again.stderr
    out2 = json.loads(again.stdout)
    assert out2["already_installed"] is True and out2["path"] == out["path"]
    assert archive_gets(server, stripped) == 1
    assert staging_left(home / "data" / "pythons") == []


def test_bad_spec_exits_2_with_one_line(tmp_path: Path, server) -> None:
    name, archive = pbs_archive()
    build = serve(server, name, archive)
    catalog = api_catalog(tmp_path / "catalog.json", [(name, archive, build.url)])
    proc = run_cli("install", "3.99", "--catalog", catalog, home=tmp_path / "home")
    assert_one_error_line(proc, 2, "no build matches 3.99 for ")
    proc = run_cli(
        "install", "not-a-version", "--catalog", catalog, "--json", home=tmp_path / "home"
    )
    assert_one_error_line(proc, 2, "invalid version request 'not-a-version'")
    assert server.log == []
    assert not (tmp_path / "home" / "data" / "pythons").exists()


def test_failed_install_exits_1_and_leaves_nothing(tmp_path: Path, server) -> None:
    home = tmp_path / "home"
    name, archive = pbs_archive(options="debug", flavor="full", debug=False)
    build = serve(server, name, archive)
    catalog = api_catalog(tmp_path / "catalog.json", [(name, archive, build.url)])
    proc = run_cli("install", name, "--catalog", catalog, home=home)
    assert_one_error_line(proc, 1, "probe mismatch: archive sold as debug but Py_DEBUG=0")
    pythons = home / "data" / "pythons"
    assert [p.name for p in pythons.iterdir() if not p.name.startswith(".lock")] == []


def test_install_local_file(tmp_path: Path, server) -> None:
    home = tmp_path / "home"
    name, archive = pbs_archive(flavor="full", options="pgo+lto")
    local = tmp_path / name
    local.write_bytes(archive.data)
    catalog = api_catalog(
        tmp_path / "catalog.json", [(name, archive, server.url(f"/nowhere/{quote(name)}"))]
    )
    proc = run_cli("install", str(local), "--catalog", catalog, "--json", home=home)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["receipt"]["source"] == "file" and out["receipt"]["verified"] is True
    assert out["probe"]["PGO"] is True and server.log == []


@pytest.mark.skipif(os.name != "posix", reason="SIGINT to a child process")
def test_ctrl_c_cancels_and_cleans_up(tmp_path: Path, server) -> None:
    home = tmp_path / "home"
    name, archive = pbs_archive(extra=[Member("python/lib/blob", os.urandom(2_000_000))])
    build = serve(server, name, archive)
    for path in list(server.routes):
        server.routes[path] = Route(archive.data, rate=400_000, chunk=16384)
    catalog = api_catalog(tmp_path / "catalog.json", [(name, archive, build.url)])
    proc = subprocess.Popen(
        [sys.executable, "-m", "pybs_tui", "install", name, "--catalog", catalog],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    part = home / "cache" / "downloads" / (name + ".part")
    while not (part.exists() and part.stat().st_size > 0) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert "pybs-tui: interrupted" in err and "Traceback" not in err
    pythons = home / "data" / "pythons"
    assert staging_left(pythons) == []
    assert not (pythons / name.rsplit(".tar.", 1)[0]).exists()
