"""The embedded snapshot holds what the README says, and `list --json` shows it as promised.

The counts are computed from assets/catalog-snapshot.json directly (names, sha256, marks), not
through the app's parser, so the README, the file and the app's rows are held against each
other.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pybs_tui.catalog.group import parse_request
from tests.support.catalogs import ndjson_index
from tests.support.cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "assets" / "catalog-snapshot.json"
INDEX_WINDOW = ROOT / "tests" / "data" / "pbs-index-20250818-20260127.txt.gz"
ASTRAL = "https://releases.astral.sh/github/python-build-standalone/releases/download/"
GITHUB = "https://github.com/astral-sh/python-build-standalone/releases/download/"
FLAG_KEYS = {"Py_DEBUG", "Py_GIL_DISABLED", "PGO", "LTO", "noopt", "static", "stripped"}
SEED = "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu"


# -- the README's table ----------------------------------------------------------------------
def readme_snapshot_table() -> dict[str, str]:
    """The `| label | value |` rows of the first table after "The embedded snapshot"."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if "The embedded snapshot" in line)
    table: dict[str, str] = {}
    for line in lines[start + 1 :]:
        if not line.startswith("|"):
            if table:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[1].replace(",", "").isdigit():
            continue  # the header and the separator row
        table[cells[0]] = cells[1].replace(",", "")
    return table


def flavor_of(name: str) -> str:
    """The flavor a PBS file name states (old names put a build time after it:
    '...-install_only-20211017T1616.tar.gz'); everything else is a full build."""
    m = re.search(r"-(install_only_stripped|install_only)[.-]", name)
    return m.group(1) if m else "full"


def snapshot_counts() -> dict[str, str]:
    payload = json.loads(SNAPSHOT.read_text())
    releases = payload["releases"]
    assets = [asset for rel in releases for asset in rel["assets"]]
    marks = [asset[3] if len(asset) > 3 else "" for asset in assets]
    flavors = Counter(flavor_of(asset[0]) for asset in assets)
    tags = sorted(rel["tag"] for rel in releases)
    counts = {
        "archives": len(assets),
        "releases": len(releases),
        "first release": tags[0],
        "newest release": tags[-1],
        "with sha256": sum(1 for asset in assets if asset[1]),
        "derived names": sum(1 for m in marks if "d" in m),
        "uv's downloads": sum(1 for m in marks if "u" in m),
        "full": flavors["full"],
        "install_only": flavors["install_only"],
        "install_only_stripped": flavors["install_only_stripped"],
        "with a size": sum(1 for asset in assets if asset[2] is not None),
    }
    return {k: str(v) for k, v in counts.items()}


def test_readme_table_matches_the_snapshot_file():
    readme = readme_snapshot_table()
    assert readme, "README has no table under 'The embedded snapshot'"
    assert readme == snapshot_counts()


# -- `list --offline --all --json` -----------------------------------------------------------
@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> list[dict]:
    out = run_cli("list", "--offline", "--all", "--json", home=tmp_path_factory.mktemp("home"))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def by_name(rows) -> dict[str, dict]:
    return {r["name"]: r for r in rows}


def index_window() -> list[tuple[str, str]]:
    """(name, sha256) of every archive PBS's release index lists for 20250818..20260127."""
    with gzip.open(INDEX_WINDOW, "rt") as fh:
        return [
            (parts[0], parts[1])
            for line in fh
            if line.strip() and not line.startswith("#")
            for parts in [line.split()]
        ]


def test_every_index_archive_is_listed_with_its_sha256(by_name):
    window = index_window()
    assert len(window) == 11_841
    missing = [name for name, _ in window if name not in by_name]
    assert missing == []
    wrong = [name for name, sha in window if by_name[name]["sha256"] != sha]
    assert wrong == []


def test_the_17_releases_of_the_window_are_complete(rows, by_name):
    window = index_window()
    by_tag: dict[str, set[str]] = {}
    for name, _ in window:
        by_tag.setdefault(re.search(r"\+(\d{8})-", name).group(1), set()).add(name)
    assert len(by_tag) == 17
    listed: dict[str, set[str]] = {}
    for r in rows:
        if r["release"] in by_tag:
            listed.setdefault(r["release"], set()).add(r["name"])
    for tag, names in by_tag.items():
        # every archive of the release, and nothing the release does not have
        assert listed.get(tag) == names, tag
        assert not any(by_name[name]["derived"] for name in names), tag


def test_rows_carry_uvs_values(rows, by_name):
    windows = [r for r in rows if r["os"] == "windows"]
    assert windows and {r["libc"] for r in windows} == {"none"}
    row = by_name["cpython-3.12.3+20240415-x86_64-pc-windows-msvc-install_only.tar.gz"]
    assert row["key"] == "cpython-3.12.3-windows-x86_64-none"
    assert row["arch"] == "x86_64" and row["os"] == "windows"
    mac = by_name["cpython-3.12.3+20240415-aarch64-apple-darwin-install_only.tar.gz"]
    assert (mac["os"], mac["libc"], mac["key"]) == (
        "macos",
        "none",
        "cpython-3.12.3-macos-aarch64-none",
    )
    for r in rows:
        assert r["url"].startswith(ASTRAL), r["name"]
        assert r["github_url"].startswith(GITHUB), r["name"]
        assert r["url"].removeprefix(ASTRAL) == r["github_url"].removeprefix(GITHUB)
        assert set(r["flags"]) == FLAG_KEYS
        # only flags that do not come from the file name say where they come from
        assert set(r["flags_source"]) <= FLAG_KEYS
        assert all(v.startswith(("inferred", "unknown")) for v in r["flags_source"].values())


def test_install_only_flags_are_inferred_and_say_so(rows):
    cut = [r for r in rows if r["flavor"] in ("install_only", "install_only_stripped")]
    assert len(cut) > 8000
    for r in cut:
        for flag in ("PGO", "LTO"):
            assert r["flags_source"][flag].startswith("inferred"), (r["name"], flag)
            assert isinstance(r["flags"][flag], bool)
    for r in rows:
        if r["flavor"] == "full":
            assert "PGO" not in r["flags_source"]  # read from the name
            assert r["flags"]["PGO"] == ("pgo" in r["build_options"])
            assert r["flags"]["LTO"] == ("lto" in r["build_options"])


def test_static_flag_from_the_name(rows):
    static_musl = [
        r
        for r in rows
        if r["libc"] == "musl" and r["flavor"] == "full" and "static" in r["build_options"]
    ]
    assert static_musl
    for r in static_musl:
        assert r["flags"]["static"] is True and "static" not in r["flags_source"]
    dynamic_musl = [r for r in rows if r["libc"] == "musl" and "static" not in r["build_options"]]
    assert dynamic_musl
    for r in dynamic_musl:
        assert r["release"] >= "20250311"
        assert r["flags"]["static"] is False, r["name"]


def test_static_flag_inferred_for_old_musl_builds(tmp_path):
    # the snapshot holds no musl build of the static era (none of its sources lists one), so a
    # catalog file of the live shape stands in: a 2024 musl build is static without '+static'
    name = "cpython-3.12.3+20240415-x86_64-unknown-linux-musl-lto-full.tar.zst"
    path = tmp_path / "index.ndjson"
    path.write_bytes(ndjson_index({"3.12.3+20240415": [(name, "ab" * 32)]}))
    out = run_cli("list", "--catalog", str(path), "--all", "--json", home=tmp_path / "home")
    assert out.returncode == 0, out.stderr
    (row,) = json.loads(out.stdout)
    assert row["name"] == name
    assert row["flags"]["static"] is True
    assert row["flags_source"]["static"].startswith("inferred")
    assert "20250311" in row["flags_source"]["static"]
    assert row["uv_pick"] is None  # uv offers no static-era musl build


def test_debug_rows_have_debug_picks(rows):
    picked_debug = [r for r in rows if r["flags"]["Py_DEBUG"] and r["uv_pick"]]
    assert picked_debug
    for r in picked_debug:
        assert re.fullmatch(
            r"cpython-[0-9a-z.]+\+(freethreaded\+)?debug-[a-z0-9_]+-[a-z0-9_]+-[a-z]+", r["uv_pick"]
        ), r["uv_pick"]
    for r in rows:
        if r["uv_pick"] and "+debug" not in r["uv_pick"]:
            assert r["flags"]["Py_DEBUG"] is False, r["name"]
        if r["uv_pick"] and "+debug" in r["uv_pick"]:
            assert r["flags"]["Py_DEBUG"] is True, r["name"]


def test_every_uv_pick_is_a_request_for_its_own_row(rows):
    picked = [r for r in rows if r["uv_pick"]]
    assert len(picked) > 5000
    for r in picked:
        q = parse_request(r["uv_pick"])
        parts = r["version_parts"]
        pre = re.search(r"(a|b|rc)\d+$", r["version"])
        assert q.parts == (parts["major"], parts["minor"], parts["patch"]), r["uv_pick"]
        assert q.prerelease == (pre.group(0) if pre else ""), r["uv_pick"]
        assert q.variant == (None if r["variant"] == "default" else r["variant"]), r["uv_pick"]
        assert q.os == {"macos": "darwin"}.get(r["os"], r["os"]), r["uv_pick"]
        assert q.arch == re.sub(r"_v\d$", "", r["triple"].split("-")[0]), r["uv_pick"]
        assert q.level == ("" if r["arch_level"] in (None, "v1") else r["arch_level"])
        assert q.libc == ("" if r["libc"] == "none" else r["libc"]), r["uv_pick"]


def test_seed_archives_are_in_the_snapshot(by_name):
    names = {
        f"{SEED}-install_only.tar.gz": "install_only",
        f"{SEED}-lto-full.tar.zst": "full",
        f"{SEED}-debug-full.tar.zst": "full",
    }
    for name, flavor in names.items():
        assert name in by_name, name
        row = by_name[name]
        assert row["flavor"] == flavor and row["release"] == "20240415"
        assert row["sha256"] and len(row["sha256"]) == 64
    assert by_name[f"{SEED}-debug-full.tar.zst"]["key"] == "cpython-3.12.3+debug-linux-aarch64-gnu"
    install_only = by_name[f"{SEED}-install_only.tar.gz"]
    # aarch64 Linux had no PGO in 2024: install_only was cut from the lto full build
    assert install_only["flags"]["LTO"] is True and install_only["flags"]["PGO"] is False
    assert "lto full build" in install_only["flags_source"]["LTO"]
