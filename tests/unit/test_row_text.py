"""`list --json` writes each row's text per shape (`catalog.rows.row_texts`) and `list --all`
indexes only what it prints (`cli.listing.EveryArchive`): both must give the bytes the
straightforward way gives (row dicts from `build_row` through `json.dumps`), on the real
catalog and on odd values, so the fast writer cannot drift from the rows."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace

import pytest

from pybs_tui.catalog.group import Host, sort_key
from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.models import Build, Catalog, Version
from pybs_tui.catalog.rows import build_row, row_texts, write_json_rows
from pybs_tui.catalog.select import uv_key, uv_offers, uv_picks, uv_platform, uv_rank
from pybs_tui.cli.common import print_json_list
from pybs_tui.cli.listing import EveryArchive
from pybs_tui.service.catalog import load_snapshot
from tests.support.catalogs import ndjson_index
from tests.support.cli import run_cli

HOST = Host("linux", "x86_64", "gnu", 3)


@pytest.fixture(scope="module")
def snapshot() -> Catalog:
    parsed, generated, path = load_snapshot()
    return Catalog(parsed.builds, "snapshot", path, generated, others=parsed.others)


@pytest.fixture(scope="module")
def index(snapshot: Catalog) -> CatalogIndex:
    return CatalogIndex(snapshot, HOST)


def straightforward(
    builds: list[Build], index: CatalogIndex, installed: dict[str, str]
) -> list[str]:
    return [json.dumps(build_row(b, index, installed.get(b.name)), default=str) for b in builds]


def fast(builds: list[Build], index: CatalogIndex, installed: dict[str, str]) -> list[str]:
    return list(row_texts(builds, index.picks.key_of, index.flags, installed))


def assert_same_rows(got: list[str], expected: list[str]) -> None:
    """Equal lists of row texts; on a difference, the first differing row only (pytest's
    diff of 8k long strings takes minutes)."""
    first = next((i for i, (g, e) in enumerate(zip(got, expected, strict=False)) if g != e), None)
    if first is not None:
        assert got[first] == expected[first], f"row {first}"
    assert len(got) == len(expected)


def test_row_texts_equal_json_of_the_rows_on_the_real_catalog(index: CatalogIndex) -> None:
    """Every third archive of the snapshot (every platform, flavor, option set, release
    era, uv's picks and the rest), some installed, some with kept sizes."""
    builds = index.builds[::3]
    sources = ("GitHub API", "HEAD request", "")
    builds = [
        replace(b, size=1000 + i, size_source=sources[i % 3]) if i % 4 == 0 else b
        for i, b in enumerate(builds)
    ]
    installed = {b.name: f"/home/u/pythons/{b.name}" for b in builds[::50]}
    expected = straightforward(builds, index, installed)
    assert_same_rows(fast(builds, index, installed), expected)
    rows = [json.loads(text) for text in expected]
    # the subset is a real test: every shape of value is in it
    assert {r["flavor"] for r in rows} == {"full", "install_only", "install_only_stripped"}
    assert any(r["uv_pick"] for r in rows) and any(r["uv_pick"] is None for r in rows)
    assert any(r["installed"] for r in rows) and any(r["size"] for r in rows)
    assert any(r["flags_source"] for r in rows) and any(r["prerelease"] for r in rows)
    assert any(r["flags"]["static"] for r in rows) and any(r["derived"] for r in rows)
    assert any(r["arch_level"] for r in rows) and any(r["arch_level"] is None for r in rows)


def test_row_texts_equal_json_of_the_rows_on_odd_values(index: CatalogIndex) -> None:
    """Text from outside (names, URLs, paths, sources, problems) with quotes, backslashes,
    controls and non-ASCII; no version; a URL off GitHub; unknown sha256."""
    odd = '"q\\u\x00\x1f\x7f é\u2028\U0001f40d'
    base = index.builds[:40]
    musl = [b for b in index.builds if b.libc == "musl" and "static" not in b.options][:30:3]
    builds = [
        *(replace(b, release="20240101") for b in musl),  # static by the era: inferred
        replace(base[0], size=0, size_source=odd, sha256=None, derived=True),
        replace(base[1], name=base[1].name + odd, problem=odd, known=False),
        replace(base[2], url=f"file:///mirror/{odd}/x.tar.gz"),
        replace(base[3], url=""),
        replace(base[4], release=odd, size=2**70),
        replace(base[5], version=None, problem="no version"),
        replace(base[6], version=Version(3, 15, 0, 0, 1)),
        replace(base[7], triple=base[7].triple + odd, options_text=odd),
        replace(base[8], sha256="AB" * 32, conflict=("a" * 64, "b" * 64)),
        *base[9:],
    ]
    installed = {base[0].name: odd, base[2].name: "/p/x", base[5].name: ""}
    expected = straightforward(builds, index, installed)
    assert_same_rows(fast(builds, index, installed), expected)
    rows = [json.loads(text) for text in expected]
    assert any(r["flags_source"].get("static", "").startswith("inferred") for r in rows)
    assert len({r["flavor"] for r in rows[: len(musl)]}) > 1


def test_every_archive_lists_what_the_index_lists(snapshot: Catalog, index: CatalogIndex) -> None:
    """`list --all` skips the index's host fit and groups: its archives, their order, uv's
    picks and flags are the index's."""
    every = EveryArchive(snapshot)
    assert [b.name for b in every.builds] == [b.name for b in index.builds]
    assert every.picks.by_key == index.picks.by_key
    assert every.picks.key_of == index.picks.key_of
    for b in index.builds[::97]:
        assert every.badges(b) == index.badges(b)
        assert every.uv_request(b) == index.uv_request(b)
        assert every.flags.maps(b) == index.flags.maps(b)


def test_sort_key_orders_like_the_plain_key(snapshot: Catalog) -> None:
    """sort_key shares its tail per shape; the order is the plain tuple's."""

    def plain(b: Build) -> tuple:
        v = b.version or Version(0, 0, 0)
        return (
            -v.major,
            -v.minor,
            -v.patch,
            -v.pre_rank,
            -v.pre_num,
            -int(b.release) if b.release.isdigit() else 0,
            b.triple,
            b.variant,
            b.options_label,
            ("install_only_stripped", "install_only", "full").index(b.flavor),
            b.archive_format,
        )

    builds = snapshot.builds
    assert [sort_key(b) for b in builds[::11]] == [plain(b) for b in builds[::11]]
    assert sorted(builds, key=sort_key) == sorted(builds, key=plain)


def plain_uv_picks(builds: list[Build]) -> dict[str, Build]:
    """uv's rules written plainly (uv_key and uv_offers for every archive)."""
    candidates: dict[str, list[Build]] = {}
    listed: dict[str, Build] = {}
    uv_release: dict[tuple[str, str], str] = {}
    for b in builds:
        if not uv_offers(b):
            continue
        key = uv_key(b)
        candidates.setdefault(key, []).append(b)
        if b.uv_listed:
            listed[key] = b
            uv_release[(b.version_str, uv_platform(b))] = b.release
    by_key: dict[str, Build] = {}
    for key, group in candidates.items():
        pick = listed.get(key)
        if pick is None:
            release = uv_release.get((group[0].version_str, uv_platform(group[0])))
            same = [b for b in group if b.release == release] if release else []
            pick = min(same or group, key=uv_rank)
        by_key[key] = pick
    return by_key


def test_uv_picks_equal_the_plain_rules(index: CatalogIndex) -> None:
    """uv_picks makes each key's tail and most of uv_offers once per platform and options:
    its picks are the plain rules' picks, on the catalog and on archives uv does not offer
    (static-era musl, static Windows, before 3.8, names parsed in part)."""
    builds = index.builds
    musl = [b for b in builds if b.libc == "musl"][::5]
    windows = [b for b in builds if b.os == "windows" and b.flavor == "full"][::5]
    odd = [
        *(replace(b, release="20240101", name=b.name + ".old") for b in musl),
        *(replace(b, options=b.options | {"static"}, name=b.name + ".s") for b in windows),
        *(replace(b, known=False, name=b.name + ".k") for b in builds[::50]),
        *(replace(b, version=Version(3, 7, 9), name=b.name + ".37") for b in builds[::50]),
    ]
    for catalog in (builds, builds + odd):
        picks = uv_picks(catalog)
        assert picks.by_key == plain_uv_picks(catalog)
        assert all(uv_key(b) == key and uv_offers(b) for key, b in picks.by_key.items())
    assert not any(b.name.endswith((".k", ".37", ".s")) for b in picks.by_key.values())


@pytest.mark.parametrize("count", [0, 1, 999, 1000, 1001, 2500])
def test_write_json_rows_writes_print_json_lists_bytes(
    index: CatalogIndex, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds = (index.builds * 2)[:count]
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)  # not a terminal: compact, in batches
    print_json_list(build_row(b, index, None) for b in builds)
    written = io.StringIO()
    write_json_rows(written.write, fast(builds, index, {}))
    assert_same_rows(written.getvalue().split("}, {"), out.getvalue().split("}, {"))
    assert len(json.loads(written.getvalue())) == count


def test_list_json_end_to_end_equals_the_rows_of_the_index(tmp_path) -> None:
    """The real command (a pipe, not a terminal) against the straightforward rendering:
    --all and without, filters, an installed archive, kept sizes, and --other rows."""
    from pybs_tui.catalog import sources

    names = [
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz",
        "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-pgo+lto-full.tar.zst",
        "cpython-3.12.3+20240415-x86_64_v3-unknown-linux-gnu-debug-full.tar.zst",
        "cpython-3.12.3+20240415-aarch64-unknown-linux-musl-install_only.tar.gz",
        "cpython-3.12.3+20240415-x86_64-pc-windows-msvc-install_only_stripped.tar.gz",
        "cpython-3.13.0+20240415-x86_64-unknown-linux-gnu-freethreaded+pgo+lto-full.tar.zst",
        "cpython-3.12.3+20240415-zz80-unknown-linux-gnu-install_only.tar.gz",  # an "other"
    ]
    data = ndjson_index({"3.12.3+20240415": [(n, f"{i:x}" * 64) for i, n in enumerate(names)]})
    path = tmp_path / "index.ndjson"
    path.write_bytes(data)
    home = tmp_path / "home"
    install = home / "data" / "pythons" / names[0].removesuffix(".tar.gz")
    install.mkdir(parents=True)
    (install / ".pybs-receipt.json").write_text(
        json.dumps({"schema": "pybs-tui-receipt/1", "name": names[0]})
    )
    parsed = sources.parse_any(data)
    assert parsed.others
    catalog = Catalog(parsed.builds, "file", str(path), others=parsed.others)
    index = CatalogIndex(catalog, HOST)
    installed = {names[0]: str(install)}
    for args, builds in (
        (["--all"], index.builds),
        (["--all", "--other"], index.builds + parsed.others),
        (["--all", "--flavor", "full"], [b for b in index.builds if b.flavor == "full"]),
    ):
        out = run_cli("list", "--catalog", str(path), "--json", *args, home=home)
        assert out.returncode == 0, out.stderr
        inst = dict(installed)
        expected = [
            json.dumps(build_row(b, index, inst.get(b.name) if b in index.builds else None))
            for b in builds
        ]
        assert out.stdout.startswith("[") and out.stdout.endswith("]\n"), args
        assert_same_rows(out.stdout[1:-2].split("}, {"), ", ".join(expected).split("}, {"))


def test_flag_facts_shared_between_releases_are_each_archives_own(snapshot: Catalog) -> None:
    """FlagFacts makes the facts once per options, flavor, static and what an install_only
    archive was cut from: for every archive they are those computed for it alone."""
    from pybs_tui.catalog.flags import FlagFacts

    musl = [b for b in snapshot.builds if b.libc == "musl" and "static" not in b.options]
    old_musl = [replace(b, release="20240101") for b in musl[::7]]  # static by the era
    builds = snapshot.builds[::2] + old_musl
    facts = FlagFacts(builds)
    for b in builds:
        assert facts.facts(b) == list(facts._facts_of(b)), b.name
    assert len(facts._shared) < len(facts._facts) / 10  # shared, not one per release
    assert any(f.inferred for b in old_musl for f in facts.facts(b) if f.name == "static")
