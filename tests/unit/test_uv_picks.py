"""uv's pick, exactly: pybs-tui's choice for a request is the archive uv itself downloads.

The ground truth is real uv (from PyPI, the test extras): `uv python install SPEC` is pointed at
a loopback mirror that logs the path and answers 404 (tests/support/uv_oracle.py). pybs-tui
answers the same SPEC with `install SPEC --dry-run --json --offline` on the embedded snapshot.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pybs_tui.__main__ import main
from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.catalog.select import uv_key
from pybs_tui.host import detect_host
from pybs_tui.service.catalog import load_snapshot
from tests.support.uv_oracle import uv_downloads

DATA = Path(__file__).parent.parent / "data"

#: Requests across eras (2019 timestamped names to 2026), variants, patch levels, platforms
#: and x86-64 levels. Bare versions resolve for this machine, as uv's do.
SPECS = [
    # timestamped names of 2019-2021 (uv reads them all as full builds)
    "cpython-3.8.2-linux-x86_64-gnu",
    "cpython-3.8.6-windows-x86_64-none",
    "cpython-3.9.7-macos-x86_64-none",
    "cpython-3.10.0+debug-linux-x86_64-gnu",
    "cpython-3.9.5-macos-aarch64-none",
    # 2022-2024
    "cpython-3.10.4-linux-x86_64-gnu",
    "cpython-3.11.4-linux-aarch64-gnu",
    "cpython-3.12.3-linux-x86_64-gnu",
    "cpython-3.12.3+debug-linux-x86_64-gnu",
    "cpython-3.12.3+debug-linux-aarch64-gnu",
    "cpython-3.12.3-linux-x86_64_v3-gnu",
    "cpython-3.11.9-windows-x86-none",
    "cpython-3.12.3-macos-aarch64-none",
    "cpython-3.13.0+freethreaded-linux-x86_64-gnu",
    # 2025: dynamic musl, free-threaded full builds, x86-64 levels
    "cpython-3.13.5+freethreaded-linux-x86_64-gnu",
    "cpython-3.13.5+freethreaded-linux-x86_64_v2-gnu",
    "cpython-3.13.2-linux-x86_64-musl",
    "cpython-3.13.2+debug-linux-x86_64-musl",
    "cpython-3.13.5+freethreaded+debug-linux-x86_64-gnu",
    # the release index's window (20250818..20260127)
    "cpython-3.14.0-linux-x86_64-gnu",
    "cpython-3.14.2+debug-linux-x86_64-gnu",
    "cpython-3.13.11-linux-armv7-gnueabihf",
    "cpython-3.12.12-windows-aarch64-none",
    "cpython-3.10.19-linux-riscv64gc-gnu",
    "cpython-3.9.25+debug-linux-aarch64-musl",
    "cpython-3.15.0a5-linux-x86_64-gnu",
    # after it: names uv lists, debug builds of the same releases
    "cpython-3.14.7+debug-linux-x86_64-gnu",
    "cpython-3.15.0+debug-linux-x86_64-gnu",
    "cpython-3.15.0-linux-powerpc64le-gnu",
    "cpython-3.14.10-linux-aarch64-musl",
    "cpython-3.15.2+freethreaded-macos-aarch64-none",
    # bare requests, for this machine
    "3.12",
    "3.13t",
    "3.14",
    "3.11.9",
    "3.12.3+debug",
    "3.16",
    "3.15.0rc1",
]


@pytest.fixture(scope="module")
def uv_answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    return uv_downloads(SPECS, tmp_path_factory.mktemp("uv"))


def test_at_least_thirty_specs() -> None:
    assert len(SPECS) >= 30 and len(set(SPECS)) == len(SPECS)


@pytest.mark.parametrize("spec", SPECS)
def test_dry_run_names_what_uv_downloads(spec: str, uv_answers, capsys) -> None:
    expected = uv_answers[spec]
    assert expected, f"uv downloads nothing for {spec}: pick another spec"
    assert main(["install", spec, "--dry-run", "--json", "--offline"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["name"] == expected
    assert plan["uv_pick"] == expected and plan["same_as_uv"] is True


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    parsed, _, _ = load_snapshot()
    return CatalogIndex(Catalog(parsed.builds, "snapshot", "test"), detect_host())


def test_every_uv_metadata_entry_of_the_index_window_is_the_pick(index: CatalogIndex) -> None:
    entries = json.loads((DATA / "uv-metadata-window.json").read_text())["entries"]
    assert len(entries) > 1200
    wrong = []
    for key, name in entries.items():
        build = parse_name(name)
        assert build is not None
        pick = index.picks.by_key.get(uv_key(build))
        if pick is None or pick.name != name:
            wrong.append((key, name, pick.name if pick else None))
    assert wrong == []


def test_no_debug_archive_carries_a_plain_pick(index: CatalogIndex) -> None:
    picks = [(b, index.uv_request(b)) for b in index.builds if index.uv_request(b)]
    assert len(picks) > 5000
    for build, request in picks:
        assert ("+debug" in request) == build.py_debug, (build.name, request)
        assert ("freethreaded" in request) == build.gil_disabled, (build.name, request)


def test_every_platform_and_level_has_picks_in_every_era(index: CatalogIndex) -> None:
    """x86-64 v2..v4, free-threaded full-only eras and the 2020-21 full-only releases too."""
    keys = set(index.picks.by_key)
    for key in (
        "cpython-3.13.5+freethreaded-linux-x86_64_v4-gnu",
        "cpython-3.12.3-linux-x86_64_v2-gnu",
        "cpython-3.8.2-linux-x86_64-gnu",
        "cpython-3.9.1-macos-x86_64-none",
        "cpython-3.13.5+freethreaded+debug-linux-x86_64-gnu",
    ):
        assert key in keys, key
    pick = index.picks.by_key["cpython-3.8.2-linux-x86_64-gnu"]
    assert pick.name == "cpython-3.8.2-x86_64-unknown-linux-gnu-pgo-20200418T2243.tar.zst"


@pytest.mark.parametrize("spec", ["3.7", "cpython-3.7.9-macos-x86_64-none"])
def test_where_uv_downloads_nothing_no_archive_is_marked(spec: str, tmp_path, capsys) -> None:
    """uv offers nothing older than 3.8: no archive of those carries its mark."""
    assert uv_downloads([spec], tmp_path)[spec] is None
    assert main(["install", spec, "--dry-run", "--json", "--offline"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["uv_pick"] is None and plan["same_as_uv"] is False
