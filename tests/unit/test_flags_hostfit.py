"""Inferred flags with their sources, host fit for musl builds, and uv-style requests (pure)."""

from __future__ import annotations

import pytest

from pybs_tui.catalog.flags import FlagFacts
from pybs_tui.catalog.group import FilterError, Host, incompatibility, parse_request
from pybs_tui.catalog.models import Build
from pybs_tui.catalog.names import parse_name
from pybs_tui.catalog.select import resolve_request

X86 = "x86_64-unknown-linux-gnu"
ARM = "aarch64-unknown-linux-gnu"
MUSL = "x86_64-unknown-linux-musl"
GNU_HOST = Host("linux", "x86_64", "gnu", level=3)
GNU_HOST_WITH_LOADER = Host("linux", "x86_64", "gnu", level=3, musl_loader=True)


def build(version: str, tag: str, triple: str, rest: str) -> Build:
    ext = "tar.zst" if rest.endswith("full") else "tar.gz"
    b = parse_name(f"cpython-{version}+{tag}-{triple}-{rest}.{ext}")
    assert b is not None and b.known
    return b


def optimisation_facts(facts: FlagFacts, b: Build) -> dict[str, tuple[bool | None, str]]:
    return {f.name: (f.value, f.source) for f in facts.facts(b) if f.name in ("PGO", "LTO")}


# -- FlagFacts ---------------------------------------------------------------------------------
def test_install_only_of_a_pgo_lto_release():
    cut = build("3.12.3", "20240415", X86, "install_only")
    facts = FlagFacts(
        [
            cut,
            build("3.12.3", "20240415", X86, "pgo+lto-full"),
            build("3.12.3", "20240415", X86, "debug-full"),
            build("3.12.3", "20240415", X86, "noopt-full"),
        ]
    )
    source = "inferred: cut from this release's pgo+lto full build"
    assert optimisation_facts(facts, cut) == {"PGO": (True, source), "LTO": (True, source)}
    noopt = next(f for f in facts.facts(cut) if f.name == "noopt")
    assert noopt.value is False and noopt.inferred
    assert "PGO" in facts.badges(cut) and "LTO" in facts.badges(cut)


def test_aarch64_linux_2024_had_lto_only():
    cut = build("3.12.3", "20240415", ARM, "install_only")
    facts = FlagFacts(
        [
            cut,
            build("3.12.3", "20240415", ARM, "lto-full"),
            build("3.12.3", "20240415", ARM, "debug-full"),
        ]
    )
    got = optimisation_facts(facts, cut)
    assert got["PGO"][0] is False
    assert got["LTO"][0] is True
    assert got["LTO"][1] == "inferred: cut from this release's lto full build"
    assert "PGO" not in facts.badges(cut) and "LTO" in facts.badges(cut)


def test_a_release_without_full_builds_uses_the_nearest_earlier_one():
    cut = build("3.12.4", "20240713", ARM, "install_only_stripped")
    later_cut = build("3.12.6", "20240909", ARM, "install_only")
    facts = FlagFacts(
        [
            cut,
            later_cut,
            build("3.12.0", "20231002", ARM, "noopt-full"),
            build("3.12.1", "20240107", ARM, "lto-full"),  # the nearest earlier release
            build("3.12.5", "20240726", ARM, "pgo+lto-full"),  # later, though nearer in time
        ]
    )
    got = optimisation_facts(facts, cut)
    assert got["PGO"][0] is False and got["LTO"][0] is True
    source = got["LTO"][1]
    assert source.startswith("inferred")
    assert "release 20240107" in source and ARM in source and "was lto in" in source
    # a release after 20240726 is guided by that one
    later = optimisation_facts(facts, later_cut)
    assert later["PGO"][0] is True and "release 20240726" in later["PGO"][1]


def test_only_a_later_release_is_used_when_there_is_no_earlier_one():
    cut = build("3.12.0", "20231002", ARM, "install_only")
    facts = FlagFacts([cut, build("3.12.1", "20240107", ARM, "lto-full")])
    value, source = optimisation_facts(facts, cut)["LTO"]
    assert value is True and "release 20240107" in source


def test_a_triple_without_any_full_build_is_unknown():
    cut = build("3.12.4", "20240713", "riscv64-unknown-linux-gnu", "install_only")
    facts = FlagFacts([cut, build("3.12.4", "20240713", X86, "pgo+lto-full")])
    got = optimisation_facts(facts, cut)
    assert got["PGO"][0] is None and got["LTO"][0] is None
    assert got["PGO"][1].startswith("unknown: ")
    assert "riscv64-unknown-linux-gnu" in got["PGO"][1]
    assert "PGO" not in facts.badges(cut) and "LTO" not in facts.badges(cut)


def test_full_builds_state_their_own_flags():
    full = build("3.12.3", "20240415", ARM, "lto-full")
    got = optimisation_facts(FlagFacts([full]), full)
    assert got == {"PGO": (False, "name"), "LTO": (True, "name")}


# -- host fit: musl on a glibc system -----------------------------------------------------------
DYNAMIC_MUSL = build("3.14.0", "20251014", MUSL, "install_only")
STATIC_MUSL = build("3.14.0", "20251014", MUSL, "lto+static-full")
OLD_MUSL = build("3.12.3", "20240415", MUSL, "lto-full")


def test_dynamic_musl_needs_the_loader():
    assert not DYNAMIC_MUSL.static
    reason = incompatibility(DYNAMIC_MUSL, GNU_HOST)
    assert reason is not None
    assert "musl loader" in reason and "/lib/ld-musl-x86_64.so.1" in reason
    assert incompatibility(DYNAMIC_MUSL, GNU_HOST_WITH_LOADER) is None


def test_static_musl_runs_on_glibc():
    assert STATIC_MUSL.static and OLD_MUSL.static
    assert incompatibility(STATIC_MUSL, GNU_HOST) is None
    assert incompatibility(OLD_MUSL, GNU_HOST) is None


def test_the_musl_dynamic_era_starts_20250311():
    first = build("3.13.2", "20250311", MUSL, "install_only")
    before = build("3.13.2", "20250212", MUSL, "install_only")
    assert incompatibility(first, GNU_HOST) is not None
    assert incompatibility(before, GNU_HOST) is None


def test_other_libc_and_arch_are_still_refused():
    arm = build("3.14.0", "20251014", ARM, "install_only")
    assert "aarch64" in (incompatibility(arm, GNU_HOST_WITH_LOADER) or "")
    gnu = build("3.14.0", "20251014", X86, "install_only")
    assert incompatibility(gnu, Host("linux", "x86_64", "musl", level=3)) is not None


# -- resolve_request never hands out a build this host cannot run ------------------------------
FT_NOOPT = frozenset({"freethreaded", "noopt"})


def test_freethreaded_noopt_resolves_to_gnu_not_dynamic_musl():
    builds = [
        build("3.14.1", "20251120", MUSL, "freethreaded+noopt-full"),  # newer, but musl
        build("3.14.0", "20251014", MUSL, "freethreaded+noopt-full"),
        build("3.14.0", "20251014", X86, "freethreaded+noopt-full"),
        build("3.14.0", "20251014", X86, "freethreaded+pgo+lto-full"),
    ]
    got = resolve_request(builds, parse_request("3.14"), GNU_HOST, options=FT_NOOPT)
    assert got.libc == "gnu"
    assert (
        got.name
        == "cpython-3.14.0+20251014-x86_64-unknown-linux-gnu-freethreaded+noopt-full.tar.zst"
    )


def test_freethreaded_noopt_only_dynamic_musl_is_refused():
    builds = [build("3.14.0", "20251014", MUSL, "freethreaded+noopt-full")]
    with pytest.raises(FilterError, match=r"3\.14.*freethreaded\+noopt"):
        resolve_request(builds, parse_request("3.14"), GNU_HOST, options=FT_NOOPT)
    # the same build is fine where the musl loader is installed
    got = resolve_request(builds, parse_request("3.14"), GNU_HOST_WITH_LOADER, options=FT_NOOPT)
    assert got is builds[0]


def test_a_static_musl_build_is_a_fallback_on_glibc():
    builds = [
        build("3.14.0", "20251014", MUSL, "freethreaded+noopt-full"),
        build("3.14.0", "20251014", MUSL, "freethreaded+noopt+static-full"),
    ]
    got = resolve_request(builds, parse_request("3.14"), GNU_HOST, options=FT_NOOPT)
    assert "static" in got.options


# -- uv's request keys --------------------------------------------------------------------------
def test_parse_request_accepts_uv_keys():
    r = parse_request("cpython-3.12.3+debug-linux-aarch64-gnu")
    assert (r.parts, r.variant, r.os, r.arch, r.libc) == (
        (3, 12, 3),
        "debug",
        "linux",
        "aarch64",
        "gnu",
    )
    r = parse_request("3.13t-macos")
    assert (r.parts, r.variant, r.os, r.arch) == ((3, 13), "freethreaded", "darwin", "")
    r = parse_request("cpython-3.12-linux-x86_64_v3-gnu")
    assert (r.parts, r.os, r.arch, r.level, r.libc) == ((3, 12), "linux", "x86_64", "v3", "gnu")
    assert r.has_platform


@pytest.mark.parametrize("text", ["3.12-plan9", "cpython-3.12-linux-linux", "3.12-x86_64-arm64"])
def test_parse_request_rejects_unknown_platform_words(text):
    with pytest.raises(FilterError):
        parse_request(text)


def test_a_uv_key_resolves_to_its_platform_from_any_host():
    builds = [
        build("3.12.3", "20240415", ARM, "debug-full"),
        build("3.12.3", "20240415", ARM, "lto-full"),
        build("3.12.3", "20240415", X86, "debug-full"),
    ]
    got = resolve_request(builds, parse_request("cpython-3.12.3+debug-linux-aarch64-gnu"), GNU_HOST)
    assert got.name == "cpython-3.12.3+20240415-aarch64-unknown-linux-gnu-debug-full.tar.zst"
