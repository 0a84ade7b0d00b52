"""scripts/build_snapshot.py: merges every source, marks derived names and uv's downloads,
prints what each source gave per release, and with --live keeps the API's sizes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from pybs_tui.catalog import sources
from tests.support.catalogs import ndjson_index
from tests.support.cli import cli_env
from tests.support.github_fake import FakeGitHub, release_from_names
from tests.support.server import LoopbackServer

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build_snapshot.py"
T = "x86_64-unknown-linux-gnu"
INDEXED = "20250818"
LATER = "20260203"


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--no-uv", "--out", str(tmp_path / "snap.json"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(tmp_path / "home", **env),
    )


def window_index(tmp_path: Path) -> Path:
    names = [
        f"cpython-3.13.7+{INDEXED}-{T}-install_only.tar.gz",
        f"cpython-3.13.7+{INDEXED}-{T}-install_only_stripped.tar.gz",
        f"cpython-3.13.7+{INDEXED}-{T}-pgo+lto-full.tar.zst",
        f"cpython-3.13.7+{INDEXED}-{T}-debug-full.tar.zst",
    ]
    path = tmp_path / "index.ndjson"
    path.write_bytes(ndjson_index({f"3.13.7+{INDEXED}": [(n, "a" * 64) for n in names]}))
    return path


def uv_metadata(tmp_path: Path) -> Path:
    name = f"cpython-3.13.8+{LATER}-{T}-install_only_stripped.tar.gz"
    url = f"{sources.PBS_DOWNLOAD_PREFIX}/{LATER}/{name.replace('+', '%2B')}"
    path = tmp_path / "meta.json"
    path.write_text(
        json.dumps({"cpython-3.13.8-linux-x86_64-gnu": {"url": url, "sha256": "b" * 64}})
    )
    return path


def snapshot(tmp_path: Path) -> dict[str, list]:
    data = json.loads((tmp_path / "snap.json").read_text())
    assert data["schema"] == sources.SNAPSHOT_SCHEMA
    return {a[0]: a for r in data["releases"] for a in r["assets"]}


def test_sources_merged_names_derived_and_marked(tmp_path):
    out = run(
        tmp_path,
        "--ndjson",
        str(window_index(tmp_path)),
        "--uv-metadata",
        str(uv_metadata(tmp_path)),
    )
    assert out.returncode == 0, out.stderr
    assets = snapshot(tmp_path)
    later = f"cpython-3.13.8+{LATER}-{T}"
    # a release after the index's newest gets the full builds its pattern has, marked derived
    assert assets[f"{later}-pgo+lto-full.tar.zst"][3] == "d"
    assert assets[f"{later}-debug-full.tar.zst"][3] == "d"
    assert assets[f"{later}-install_only.tar.gz"][3] == "d"  # beside the stripped one
    assert assets[f"{later}-install_only_stripped.tar.gz"][1] == "b" * 64
    assert len(assets[f"cpython-3.13.7+{INDEXED}-{T}-install_only.tar.gz"]) == 3  # real: no mark
    # the per-release table names each source and what it gave
    header = out.stdout.splitlines()[0].split()
    assert header[0] == "release" and "archives" in header and "derived" in header
    rows = {line.split()[0]: line.split() for line in out.stdout.splitlines()[1:-1]}
    assert rows[INDEXED][1] == "4" and rows[LATER][-1] == "3"  # 3 derived names in LATER


def test_live_keeps_the_sizes_the_api_lists(tmp_path):
    names = [f"cpython-3.13.7+{INDEXED}-{T}-install_only.tar.gz"]
    release = release_from_names(
        INDEXED, names, size_of=lambda n: 31_415_926, sha256_of=lambda n: "c" * 64
    )  # the API's digest agrees with the index's (two different ones would leave none)
    with (
        FakeGitHub([release]) as gh,
        LoopbackServer() as index,
    ):
        index.add("/index.ndjson", ndjson_index({f"3.13.7+{INDEXED}": [(names[0], "c" * 64)]}))
        out = run(
            tmp_path,
            "--live",
            PYBS_TUI_INDEX_URL=index.url("/index.ndjson"),
            PYBS_TUI_GITHUB_API=gh.api,
        )
    assert out.returncode == 0, out.stderr
    assets = snapshot(tmp_path)
    assert assets[names[0]][2] == 31_415_926 and assets[names[0]][1] == "c" * 64
    assert "1 with a size" in out.stdout
    # and the app reads the size back from the snapshot format
    parsed = sources.parse_snapshot(json.loads((tmp_path / "snap.json").read_text()))
    assert {b.name: b.size for b in parsed.builds}[names[0]] == 31_415_926
