"""`pybs-tui list` end to end: the real entry point, offline, in a subprocess."""

from __future__ import annotations

import collections
import json

import pytest

from pybs_tui.catalog.group import Filters, Host, parse_request, sort_key
from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.cli.listing import select
from tests.support.catalogs import ndjson_index
from tests.support.cli import run_cli


@pytest.fixture(scope="module")
def all_rows(tmp_path_factory):
    out = run_cli("list", "--offline", "--all", "--json", home=tmp_path_factory.mktemp("h"))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_all_lists_every_snapshot_archive(all_rows):
    assert len(all_rows) > 7000
    tags = sorted({r["release"] for r in all_rows})
    assert tags[0].startswith("2018") and tags[-1].startswith("2026")
    by_version = collections.defaultdict(set)
    for r in all_rows:
        by_version[(r["version"], r["triple"], r["release"])].add(
            (r["flavor"], "+".join(r["build_options"]))
        )
    wanted = {
        ("full", "debug"),
        ("full", "lto+pgo"),
        ("install_only", ""),
        ("install_only_stripped", ""),
    }
    assert any(wanted <= kinds for kinds in by_version.values())


def test_json_rows_are_a_superset_of_uv_fields(all_rows):
    uv_fields = {
        "key",
        "version",
        "version_parts",
        "path",
        "symlink",
        "url",
        "os",
        "variant",
        "implementation",
        "arch",
        "libc",
    }
    ours = {"size", "sha256", "release", "flavor", "build_options", "flags", "url"}
    assert uv_fields | ours <= set(all_rows[0])
    row = next(
        r
        for r in all_rows
        if r["name"] == "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu-debug-full.tar.zst"
    )
    assert row["key"] == "cpython-3.12.3+debug-linux-aarch64-gnu"
    assert row["flags"]["Py_DEBUG"] is True and row["flags"]["PGO"] is False
    assert row["sha256"] and len(row["sha256"]) == 64


def test_filters_narrow(tmp_path):
    out = run_cli(
        "list",
        "--offline",
        "--all",
        "--json",
        "--version",
        "3.12.3",
        "--os",
        "macos",
        "--arch",
        "arm64",
        "--options",
        "debug",
        home=tmp_path,
    )
    rows = json.loads(out.stdout)
    assert rows and all(
        r["version"] == "3.12.3"
        and r["os"] == "macos"
        and r["arch"] == "aarch64"
        and r["flags"]["Py_DEBUG"]
        for r in rows
    )


def test_table_on_terminal(tmp_path):
    out = run_cli(
        "list",
        "--offline",
        "--all",
        "--version",
        "3.12.3",
        "--os",
        "linux",
        "--arch",
        "aarch64",
        "--libc",
        "gnu",
        "--flavor",
        "full",
        home=tmp_path,
    )
    assert out.returncode == 0
    assert out.stdout.splitlines()[0].split()[:3] == ["version", "variant", "platform"]
    assert "Py_DEBUG" in out.stdout and "embedded snapshot" in out.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--os", "plan9"],
        ["--version", "three"],
        ["--arch", "z80"],
        ["--flavor", "tiny"],
        ["--options", "turbo"],
        ["--catalog", "/nonexistent/catalog.json"],
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, args):
    out = run_cli("list", "--offline", *args, home=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) <= 2 and "error:" in out.stderr


def test_catalog_file_is_the_catalog(tmp_path):
    name = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
    path = tmp_path / "index.ndjson"
    path.write_bytes(ndjson_index({"3.12.3+20240415": [(name, "f" * 64)]}))
    out = run_cli("list", "--all", "--json", "--catalog", str(path), home=tmp_path)
    assert [r["name"] for r in json.loads(out.stdout)] == [name]


def _b(name):
    return parse_name(name)


def test_default_view_is_uv_like():
    host = Host("linux", "x86_64", "gnu", 3)
    names = [
        "cpython-3.12.2+20240224-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz",
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz",
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-debug-full.tar.zst",
        "cpython-3.12.3+20240415-x86_64_v3-unknown-linux-gnu-install_only_stripped.tar.gz",
        "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu-install_only_stripped.tar.gz",
        "cpython-3.13.0+20241016-x86_64-unknown-linux-gnu-freethreaded-install_only_stripped.tar.gz",
        "cpython-3.13.0+20241016-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz",
        "cpython-3.14.0a1+20241016-x86_64-unknown-linux-gnu-install_only_stripped.tar.gz",
    ]
    index = CatalogIndex(Catalog([_b(n) for n in names], "file", "test"), host)
    rows = sorted(select(index, Filters(), host, show_all=False), key=sort_key)
    assert [r.name for r in rows] == [names[8], names[7], names[6], names[1]]
    debug = select(index, Filters(request=parse_request("3.12.3+debug")), host, show_all=False)
    assert [r.name for r in debug] == [names[3]]
