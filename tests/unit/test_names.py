"""The asset-name parser against real PBS names, with fields from independent sources."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pybs_tui.catalog.names import implementation_of, parse_name, parse_version

DATA = Path(__file__).parent.parent / "data"
EXPECTED = json.loads((DATA / "real_names_expected.json").read_text())
ALL_NAMES = (DATA / "all_real_names.txt").read_text().split()
UV_ARCH = {"powerpc64le": "ppc64le"}
PBS_ARCH = {"x86": "i686"}
PBS_OS = {"macos": "darwin"}


def test_every_real_cpython_name_parses():
    cpython = [n for n in ALL_NAMES if implementation_of(n) == "cpython"]
    others = [n for n in ALL_NAMES if implementation_of(n) != "cpython"]
    assert len(cpython) > 7000
    failures = [
        (n, b.problem if b else "None")
        for n in cpython
        if (b := parse_name(n)) is None or not b.known
    ]
    assert failures == []
    assert others and all(parse_name(n) is None for n in others)  # pypy, graalpy set aside


@pytest.mark.parametrize("row", EXPECTED["uv"], ids=lambda r: r["name"])
def test_fields_match_uv_metadata(row):
    b = parse_name(row["name"])
    assert b is not None and b.known
    assert b.arch == UV_ARCH.get(row["arch"], row["arch"])
    assert b.arch_level == (row["arch_variant"] or ("v1" if row["arch"] == "x86_64" else ""))
    assert b.os == row["os"]
    assert b.libc == ("msvc" if row["os"] == "windows" else row["libc"])
    v = b.version
    assert (v.major, v.minor, v.patch) == (row["major"], row["minor"], row["patch"])
    assert v.prerelease == (row["prerelease"] or "")
    assert b.variant == (row["variant"] or "default")
    if b.legacy_timestamp:  # old names carry the build time; the tag is in the URL
        built = dt.date.fromisoformat(b.legacy_timestamp[:8])
        assert abs(built - dt.date.fromisoformat(row["build"][:8])) <= dt.timedelta(days=2)
    else:
        assert b.release == row["build"][:8]
    assert b.py_debug == ("debug" in (row["variant"] or ""))
    assert b.gil_disabled == ("freethreaded" in (row["variant"] or ""))


@pytest.mark.parametrize("row", EXPECTED["pbs_installer"], ids=lambda r: r["name"])
def test_fields_match_pbs_installer(row):
    b = parse_name(row["name"])
    assert b is not None and b.known
    assert b.arch == PBS_ARCH.get(row["arch"], row["arch"])
    assert b.os == PBS_OS.get(row["platform"], row["platform"])
    assert (b.version.major, b.version.minor, b.version.patch) == (
        row["major"],
        row["minor"],
        row["micro"],
    )
    assert (b.flavor != "full") == row["install_only"]
    assert b.gil_disabled == row["freethreaded"]


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        (
            "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu-debug-full.tar.zst",
            dict(
                arch="aarch64",
                os="linux",
                libc="gnu",
                options={"debug"},
                flavor="full",
                flags=("Py_DEBUG",),
                release="20240415",
                archive_format="tar.zst",
            ),
        ),
        (
            "cpython-3.14.0rc3+20250917-x86_64_v3-unknown-linux-musl-freethreaded+pgo+lto-full.tar.zst",
            dict(
                arch="x86_64",
                arch_level="v3",
                libc="musl",
                options={"freethreaded", "pgo", "lto"},
                flags=("no-GIL", "PGO", "LTO"),
                variant="freethreaded",
            ),
        ),
        (
            "cpython-3.12.3+20240415-x86_64-pc-windows-msvc-shared-install_only.tar.gz",
            dict(os="windows", libc="msvc", options={"shared"}, flavor="install_only"),
        ),
        (
            "cpython-3.13.1+20241205-armv7-unknown-linux-gnueabihf-install_only_stripped.tar.gz",
            dict(
                arch="armv7", libc="gnueabihf", flavor="install_only_stripped", flags=("stripped",)
            ),
        ),
        (
            "cpython-3.10.0-x86_64-apple-darwin-pgo+lto-20211017T1616.tar.zst",
            dict(
                os="darwin",
                libc="none",
                options={"pgo", "lto"},
                flavor="full",
                release="20211017",
                legacy_timestamp="20211017T1616",
            ),
        ),
        (
            "cpython-3.7.1-linux64-20181218T1905.tar.zst",
            dict(
                triple="x86_64-unknown-linux-gnu", options=set(), flavor="full", release="20181218"
            ),
        ),
        (
            "cpython-3.8.2-windows-amd64-shared-pgo-20200418T2315.tar.zst",
            dict(triple="x86_64-pc-windows-msvc", options={"shared", "pgo"}),
        ),
        (
            "cpython-3.16.0a2%2B20261110-s390x-unknown-linux-gnu-noopt-full.tar.zst",
            dict(arch="s390x", options={"noopt"}, flags=("noopt",)),
        ),
    ],
)
def test_shapes(name, fields):
    b = parse_name(name)
    assert b is not None and b.known, b and b.problem
    for key, want in fields.items():
        got = getattr(b, key)
        assert (set(got) if isinstance(want, set) else got) == want, key


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (
            "cpython-3.14.0+20251014-loongarch64-unknown-linux-gnu-install_only.tar.gz",
            "unknown architecture loongarch64",
        ),
        (
            "cpython-3.14.0+20251014-x86_64_v5-unknown-linux-gnu-install_only.tar.gz",
            "unknown x86-64 level v5",
        ),
        (
            "cpython-3.14.0+20251014-x86_64-unknown-linux-gnu-freethreaded+jit-full.tar.zst",
            "unknown build option jit",
        ),
        (
            "cpython-3.14.0+20990101-x86_64-unknown-linux-gnu-install_only.tar.gz",
            "implausible release tag 20990101",
        ),
        ("cpython-3.14.0+20251014-x86_64-unknown-plan9-install_only.tar.gz", "unknown platform"),
        ("cpython-3.14.0+20251014-x86_64-unknown-linux-gnu-tiny.tar.gz", "unknown flavor"),
        ("cpython-banana.tar.gz", "unrecognised file name"),
    ],
)
def test_never_seen_names_land_in_other(name, problem):
    b = parse_name(name, today=dt.date(2026, 11, 27))
    assert b is not None and not b.known
    assert problem in b.problem


@pytest.mark.parametrize(
    "name",
    [
        "pypy3.10-v7.3.17-linux64.tar.bz2",
        "graalpy-24.2.2-linux-aarch64.tar.gz",
        "SHA256SUMS",
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz.sha256",
        "cpython-3.12.3+20240415-../../etc-install_only.tar.gz",
        "cpython-3.12 3.tar.gz",
        "",
    ],
)
def test_non_archives_are_set_aside(name):
    assert parse_name(name) is None


def test_version_order_follows_pep440():
    order = ["3.13.0a1", "3.13.0b2", "3.13.0rc1", "3.13.0", "3.13.1", "3.14.0a1"]
    assert sorted(order, key=parse_version) == order
    assert parse_version("3.12") is None
