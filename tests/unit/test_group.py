"""Requests, filters, host fit, uv's pick and install_only provenance (pure functions)."""

from __future__ import annotations

import pytest

from pybs_tui.catalog.group import (
    FilterError,
    Filters,
    Host,
    describe_source,
    incompatibility,
    install_only_source,
    parse_options,
    parse_request,
    tree,
    uv_pick,
)
from pybs_tui.catalog.names import parse_name
from pybs_tui.host import x86_64_level

T = "x86_64-unknown-linux-gnu"


def b(rest: str, version: str = "3.12.3", tag: str = "20240415", triple: str = T):
    ext = "tar.zst" if rest.endswith("full") else "tar.gz"
    build = parse_name(f"cpython-{version}+{tag}-{triple}-{rest}.{ext}")
    assert build is not None and build.known
    return build


@pytest.mark.parametrize(
    ("text", "parts", "pre", "variant"),
    [
        ("3.12", (3, 12), "", None),
        ("3.12.3", (3, 12, 3), "", None),
        ("3.14.0rc3", (3, 14, 0), "rc3", None),
        ("3.13t", (3, 13), "", "freethreaded"),
        ("3.12.3+debug", (3, 12, 3), "", "debug"),
        ("cpython-3.11", (3, 11), "", None),
        ("3.13t+debug", (3, 13), "", "freethreaded+debug"),
    ],
)
def test_requests(text, parts, pre, variant):
    r = parse_request(text)
    assert (r.parts, r.prerelease, r.variant) == (parts, pre, variant)


@pytest.mark.parametrize("text", ["three", "3.12.x", "3.12+turbo", "3.12rc1", "", "3.12.3.4.5"])
def test_bad_requests(text):
    with pytest.raises(FilterError):
        parse_request(text)


def test_request_matches_prefix_not_substring():
    r = parse_request("3.1")
    assert r.matches(b("install_only", "3.10.4").version) is False
    assert parse_request("3.10").matches(b("install_only", "3.10.4").version)


def test_options_filter():
    assert parse_options("pgo+lto") == {"pgo", "lto"}
    assert parse_options("none") == frozenset()
    with pytest.raises(FilterError):
        parse_options("turbo")
    f = Filters(options=frozenset({"debug"}))
    assert f.match(b("debug-full")) and not f.match(b("pgo+lto-full"))
    plain = Filters(options=frozenset())
    assert plain.match(b("install_only")) and not plain.match(b("debug-full"))


def test_text_filter_needs_every_word():
    f = Filters(text="debug aarch64")
    assert f.match(b("debug-full", triple="aarch64-unknown-linux-gnu"))
    assert not f.match(b("debug-full"))


def test_host_fit():
    host = Host("linux", "x86_64", "gnu", 2)
    assert incompatibility(b("install_only"), host) is None
    assert "x86-64-v3" in incompatibility(
        b("install_only", triple="x86_64_v3-unknown-linux-gnu"), host
    )
    assert incompatibility(b("install_only", triple="x86_64_v2-unknown-linux-gnu"), host) is None
    assert "aarch64" in incompatibility(b("install_only", triple="aarch64-unknown-linux-gnu"), host)
    assert "darwin" in incompatibility(b("install_only", triple="x86_64-apple-darwin"), host)
    assert incompatibility(b("install_only", triple="x86_64-unknown-linux-musl"), host) is None
    musl_host = Host("linux", "x86_64", "musl", 1)
    assert "gnu" in incompatibility(b("install_only"), musl_host)


def test_cpu_level_from_cpuinfo():
    v2 = "flags : fpu cx16 lahf_lm popcnt sse4_1 sse4_2 ssse3"
    v3 = v2 + " avx avx2 bmi1 bmi2 f16c fma abm movbe xsave"
    v4 = v3 + " avx512f avx512bw avx512cd avx512dq avx512vl"
    assert [x86_64_level(t) for t in ("flags : fpu sse2", v2, v3, v4)] == [1, 2, 3, 4]
    assert x86_64_level("flags : avx512f avx512bw avx512cd avx512dq avx512vl") == 1


def test_uv_pick_prefers_stripped_then_install_only():
    builds = [
        b("pgo+lto-full"),
        b("debug-full"),
        b("install_only"),
        b("install_only_stripped"),
        b("freethreaded-install_only"),
        b("freethreaded+debug-full"),
        b("install_only_stripped", triple="x86_64_v3-unknown-linux-gnu"),
    ]
    assert uv_pick(builds).flavor == "install_only_stripped"
    assert uv_pick(builds).arch_level == "v1"
    assert uv_pick(builds[:3]).flavor == "install_only"
    assert uv_pick(builds, "freethreaded").name == builds[4].name
    assert uv_pick(builds, "debug").name == builds[1].name
    assert uv_pick(builds[:1]) is None


def test_install_only_provenance():
    same = [b("pgo+lto-full"), b("lto-full"), b("debug-full"), b("install_only")]
    assert install_only_source(same[3], same).name == same[0].name
    assert "the pgo+lto build without build artifacts" in describe_source(same[3], same)
    windows = "x86_64-pc-windows-msvc"
    win = [b("pgo-full", triple=windows), b("install_only_stripped", triple=windows)]
    assert "the pgo build without build artifacts with debug symbols stripped" in describe_source(
        win[1], win
    )
    assert "the catalog has no full build" in describe_source(same[3], same[3:])


def test_tree_groups_by_minor_patch_variant():
    builds = [
        b("install_only"),
        b("debug-full"),
        b("install_only", "3.12.2", "20240224"),
        b("freethreaded-install_only", "3.13.0", "20241016"),
    ]
    t = tree(builds)
    assert list(t) == ["3.13", "3.12"]
    assert list(t["3.12"]) == ["3.12.3", "3.12.2"]
    assert set(t["3.12"]["3.12.3"]) == {"default", "debug"}
    assert list(t["3.13"]["3.13.0"]) == ["freethreaded"]
