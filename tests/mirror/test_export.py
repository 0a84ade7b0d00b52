"""`mirror export` in process and through the CLI: what DIR holds after each export, adding
to an existing DIR, interrupted and corrupt downloads, unverified archives, errors."""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import threading
from pathlib import Path

import pytest

from pybs_tui.catalog import sources
from pybs_tui.catalog.group import Host
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.host import detect_host
from pybs_tui.net.download import ChecksumMismatch, DownloadError
from pybs_tui.progress import Cancelled, Progress
from pybs_tui.service.install import SpecError
from pybs_tui.service.mirror import (
    CATALOG_NAME,
    LOCK_NAME,
    UV_METADATA_NAME,
    MirrorError,
    export,
    platform_host,
    resolve_exports,
    uv_entry,
)
from pybs_tui.settings import Limits, Settings
from tests.install.helpers import pbs_archive
from tests.mirror.helpers import PREFIX, final_files, serve_release, sums_of, write_catalog
from tests.support.archives import Archive, asset_name
from tests.support.catalogs import api_release
from tests.support.cli import run_cli
from tests.support.server import Route

T1, T2 = "20240415", "20240726"
DATA = Path(__file__).resolve().parents[1] / "data"


def _catalog(releases: list[dict]) -> Catalog:
    parsed = sources.parse_api_releases(releases)
    return Catalog(parsed.builds, "file", "test", None, [], parsed.others, parsed.published)


def _three(server) -> tuple[Catalog, dict[str, tuple[str, Archive]]]:
    """3.12.3 and 3.11.9 of release T1, 3.13.1 of T2, for this host, served and catalogued."""
    a = pbs_archive(version="3.12.3", tag=T1)
    b = pbs_archive(version="3.11.9", tag=T1)
    c = pbs_archive(version="3.13.1", tag=T2)
    releases = [serve_release(server, T1, dict([a, b])), serve_release(server, T2, dict([c]))]
    return _catalog(releases), {"a": a, "b": b, "c": c}


def _export(settings: Settings, folder: Path, catalog: Catalog, *specs: str, **kw):
    builds = resolve_exports(catalog, specs, [detect_host()])
    return export(settings, folder, builds, known=catalog.by_name, **kw)


def _listed(folder: Path) -> dict[str, str]:
    """name -> sha256 as DIR's catalog file lists them (read back by the app's parser)."""
    parsed = sources.parse_any((folder / CATALOG_NAME).read_bytes())
    for b in parsed.builds:
        assert b.size is not None and b.size_source == "file size in the mirror"
    return {b.name: b.sha256 or "" for b in parsed.builds}


def _uv_names(folder: Path) -> set[str]:
    entries = json.loads((folder / UV_METADATA_NAME).read_text())
    return {e["url"].rsplit("/", 1)[-1].replace("%2B", "+") for e in entries.values()}


def test_uv_keys_are_uvs_own() -> None:
    """Every key of uv's real download-metadata.json (1,254 in the window kept in tests/data)
    is the key uv_entry writes for that archive."""
    window = json.loads((DATA / "uv-metadata-window.json").read_text())["entries"]
    wrong = {}
    for key, name in window.items():
        build = parse_name(name)
        assert build is not None
        build = build.with_source(sha256="0" * 64)
        made, entry = uv_entry(build)
        if made != key:
            wrong[key] = made
        assert entry["build"] == build.release and entry["url"].endswith(name.replace("+", "%2B"))
    assert wrong == {}


def test_export_adds_to_dir_and_keeps_it_consistent(settings, server, tmp_path) -> None:
    catalog, arch = _three(server)
    (name_a, a), (name_b, b), (name_c, c) = arch["a"], arch["b"], arch["c"]
    folder = tmp_path / "mirror"

    first = _export(settings, folder, catalog, "3.12")
    assert [(e.build.name, e.action, e.verified) for e in first.exported] == [
        (name_a, "downloaded", True)
    ]
    assert sums_of(folder, T1) == [(a.sha256, name_a)]
    assert _listed(folder) == {name_a: a.sha256}

    second = _export(settings, folder, catalog, "3.11", "3.13", "3.12")
    actions = {e.build.name: e.action for e in second.exported}
    assert actions == {name_b: "downloaded", name_c: "downloaded", name_a: "kept"}
    assert sums_of(folder, T1) == sorted(
        [(a.sha256, name_a), (b.sha256, name_b)], key=lambda x: x[1]
    )
    assert sums_of(folder, T2) == [(c.sha256, name_c)]
    assert _listed(folder) == {name_a: a.sha256, name_b: b.sha256, name_c: c.sha256}
    assert _uv_names(folder) == {name_a, name_b, name_c}
    assert final_files(folder) == sorted([f"{T1}/{name_a}", f"{T1}/{name_b}", f"{T2}/{name_c}"])

    # the folder changes behind our back: A corrupted, C deleted, a stray archive dropped in
    (folder / T1 / name_a).write_bytes(b"not the archive")
    (folder / T2 / name_c).unlink()
    stray = asset_name("3.10.14", T1, "x86_64-unknown-linux-gnu")
    (folder / T1 / stray).write_bytes(b"nobody vouches for this")
    third = _export(settings, folder, catalog, "3.11")
    assert [e.action for e in third.exported] == ["kept"]
    assert _listed(folder) == {name_b: b.sha256}  # never a file whose hash is not recorded
    assert sums_of(folder, T1) == [(b.sha256, name_b)]
    assert (folder / T2 / "SHA256SUMS").read_text() == ""
    assert _uv_names(folder) == {name_b}
    assert third.listing.skipped == {
        f"{T1}/{name_a}": "its sha256 no longer matches the one recorded",
        f"{T1}/{stray}": "no sha256 is recorded for it anywhere",
    }

    # exporting A again replaces the corrupt file and lists it again
    fourth = _export(settings, folder, catalog, "3.12")
    assert [e.action for e in fourth.exported] == ["downloaded"]
    assert (folder / T1 / name_a).read_bytes() == a.data
    assert _listed(folder) == {name_a: a.sha256, name_b: b.sha256}
    assert not list(folder.glob("*/.*.tmp")) and not list(folder.glob(".*.tmp"))


def test_an_interrupted_export_leaves_no_trusted_file_and_resumes(server, tmp_path) -> None:
    settings = Settings(
        cache_dir=tmp_path / "c",
        data_dir=tmp_path / "d",
        state_dir=tmp_path / "s",
        limits=Limits(http_timeout=5.0, download_retries=0),
        sleep=lambda s: None,
    )
    catalog, arch = _three(server)
    (name_a, a), (name_b, b) = arch["a"], arch["b"]
    folder = tmp_path / "mirror"
    _export(settings, folder, catalog, "3.11")
    half = a.size // 2
    for path in (f"{PREFIX}/{T1}/{name_a}", f"{PREFIX}/{T1}/{name_a.replace('+', '%2B')}"):
        server.add(path, Route(a.data, drop_after=half))

    with pytest.raises(DownloadError) as info:
        _export(settings, folder, catalog, "3.12")
    assert "\n" not in str(info.value)
    assert final_files(folder) == [f"{T1}/{name_b}"]  # no final-named A
    part = folder / T1 / (name_a + ".part")
    assert part.is_file() and part.stat().st_size <= half
    assert sums_of(folder, T1) == [(b.sha256, name_b)]
    assert _listed(folder) == {name_b: b.sha256}
    assert _uv_names(folder) == {name_b}

    for path in (f"{PREFIX}/{T1}/{name_a}", f"{PREFIX}/{T1}/{name_a.replace('+', '%2B')}"):
        server.add(path, Route(a.data))
    again = _export(settings, folder, catalog, "3.12")
    assert [e.action for e in again.exported] == ["downloaded"]
    ranges = [r.headers.get("range") for r in server.log if name_a.split("+")[0] in r.path]
    offset = int(str(ranges[-1]).removeprefix("bytes=").rstrip("-"))  # resumed, not restarted
    assert 0 < offset <= half
    assert (folder / T1 / name_a).read_bytes() == a.data
    assert not part.exists()
    assert _listed(folder) == {name_a: a.sha256, name_b: b.sha256}


def test_a_checksum_mismatch_leaves_nothing(settings, server, tmp_path) -> None:
    name, good = pbs_archive(version="3.12.3", tag=T1)
    _, evil = pbs_archive(version="3.12.3", tag=T1, config_args="'--evil'")
    release = serve_release(server, T1, {name: evil})
    release["assets"][0]["digest"] = f"sha256:{good.sha256}"
    release["assets"][0]["size"] = evil.size
    catalog = _catalog([release])
    folder = tmp_path / "mirror"
    with pytest.raises(ChecksumMismatch):
        _export(settings, folder, catalog, "3.12")
    assert final_files(folder) == []
    assert [p.name for p in folder.glob(f"{T1}/*")] == []
    assert not (folder / CATALOG_NAME).exists()  # nothing was ever listed


def test_unverified_archives_need_the_flag_and_record_what_was_downloaded(
    settings, server, tmp_path
) -> None:
    name, archive = pbs_archive(version="3.12.3", tag=T1)
    release = serve_release(server, T1, {name: archive})
    del release["assets"][0]["digest"]
    catalog = _catalog([release])
    folder = tmp_path / "mirror"
    with pytest.raises(MirrorError, match=r"no sha256 is known for .*allow-unverified"):
        _export(settings, folder, catalog, "3.12")
    assert final_files(folder) == []

    result = _export(settings, folder, catalog, "3.12", allow_unverified=True)
    (item,) = result.exported
    assert item.verified is False and item.sha256 == archive.sha256
    assert sums_of(folder, T1) == [(archive.sha256, name)]


def test_one_export_at_a_time(settings, server, tmp_path) -> None:
    catalog, _ = _three(server)
    folder = tmp_path / "mirror"
    folder.mkdir()
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(MirrorError, match="another export"):
            _export(settings, folder, catalog, "3.12")
    finally:
        os.close(fd)
    assert final_files(folder) == []


def test_specs_resolve_for_other_platforms() -> None:
    names = [
        asset_name("3.12.3", T1, "x86_64-unknown-linux-gnu"),
        asset_name("3.12.3", T1, "aarch64-apple-darwin"),
        asset_name("3.12.3", T1, "aarch64-unknown-linux-musl"),
        asset_name("3.12.3", T1, "x86_64-pc-windows-msvc"),
    ]
    catalog = _catalog([api_release(T1, [(n, "1" * 64, 10) for n in names])])
    linux = Host("linux", "x86_64", "gnu")
    mac = platform_host("macos", "aarch64", None, linux)
    assert (mac.os, mac.arch, mac.libc) == ("darwin", "aarch64", "none")
    musl = platform_host(None, "arm64", "musl", linux)
    assert (musl.os, musl.arch, musl.libc) == ("linux", "aarch64", "musl")
    got = resolve_exports(catalog, ["3.12"], [mac, musl])
    assert sorted(b.name for b, _ in got) == sorted([names[1], names[2]])
    with pytest.raises(SpecError):
        platform_host("plan9", None, None, linux)
    with pytest.raises(SpecError, match=r"no build matches 3\.9"):
        resolve_exports(catalog, ["3.9"], [linux])


# -- through the CLI ---------------------------------------------------------------------------


def test_cli_text_output_and_errors(server, tmp_path) -> None:
    name, archive = pbs_archive(version="3.12.3", tag=T1)
    catalog = write_catalog(tmp_path / "cat.json", [serve_release(server, T1, {name: archive})])
    folder = tmp_path / "mirror"
    home = tmp_path / "home"
    out = run_cli("--catalog", str(catalog), "mirror", "export", str(folder), "3.12", home=home)
    assert out.returncode == 0, out.stderr
    assert f"downloaded  {T1}/{name}" in out.stdout
    assert f"{folder} lists 1 archive(s) in 1 release(s)" in out.stdout
    assert f"UV_PYTHON_INSTALL_MIRROR={folder.as_uri()}" in out.stderr

    a_file = tmp_path / "file"
    a_file.write_text("x")
    for args, expected in [
        ((str(a_file), "3.12"), "is not a folder"),
        ((str(a_file / "sub"), "3.12"), "is not a folder"),
        ((str(folder), "3.99"), "no build matches 3.99"),
        ((str(folder), "not-a-version"), "invalid version request"),
        ((str(folder), "3.12", "--os", "plan9"), "not an os, arch or libc"),
        ((str(folder), "./nothing.tar.gz"), "no such archive file"),
    ]:
        bad = run_cli("--catalog", str(catalog), "mirror", "export", *args, home=home)
        assert bad.returncode == 2, (args, bad.stderr)
        lines = [line for line in bad.stderr.splitlines() if line.strip()]
        assert len(lines) <= 2 and expected in lines[-1], (args, bad.stderr)
        assert "Traceback" not in bad.stderr
    assert sums_of(folder, T1) == [(archive.sha256, name)]  # untouched by the failures


def test_not_enough_disk_space_is_said_before_anything_is_downloaded(
    settings, server, tmp_path
) -> None:
    catalog, _ = _three(server)
    small = dataclasses.replace(
        settings, disk_usage=lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 100, 100)
    )
    folder = tmp_path / "mirror"
    with pytest.raises(MirrorError, match=r"not enough disk space in .*mirror: need"):
        _export(small, folder, catalog, "3.12")
    assert final_files(folder) == []
    assert not any(r.method == "GET" for r in server.log)


def test_cli_dry_run_lists_and_writes_nothing(server, tmp_path) -> None:
    name, archive = pbs_archive(version="3.12.3", tag=T1)
    catalog = write_catalog(tmp_path / "cat.json", [serve_release(server, T1, {name: archive})])
    folder = tmp_path / "mirror"
    home = tmp_path / "home"
    args = ("--catalog", str(catalog), "mirror", "export", str(folder), "3.12", "-n")
    out = run_cli(*args, home=home)
    assert out.returncode == 0, out.stderr
    assert f"{T1}/{name}" in out.stdout and "sha256 known" in out.stdout
    data = json.loads(run_cli(*args, "--json", home=home).stdout)
    assert data["archives"][0]["size"] == archive.size
    assert data["archives"][0]["target"] == str(folder / T1 / name)
    assert not folder.exists()
    assert not any(r.method == "GET" for r in server.log)


def test_uvs_file_holds_uvs_pick_of_each_key_the_catalog_holds_all(
    settings, server, tmp_path
) -> None:
    stripped = pbs_archive(version="3.12.3", tag=T1, flavor="install_only_stripped")
    plain = pbs_archive(version="3.12.3", tag=T1, flavor="install_only")
    catalog = _catalog([serve_release(server, T1, dict([stripped, plain]))])
    folder = tmp_path / "mirror"
    result = export(
        settings,
        folder,
        [(catalog.by_name[stripped[0]], None), (catalog.by_name[plain[0]], None)],
    )
    assert set(_listed(folder)) == {stripped[0], plain[0]}
    assert _uv_names(folder) == {stripped[0]}  # uv prefers install_only_stripped
    assert result.uv_names == [stripped[0]]
    (key,) = json.loads((folder / UV_METADATA_NAME).read_text())
    assert key.startswith("cpython-3.12.3-") and "+" not in key
    assert result.to_json()["uv_lists"] == [stripped[0]]


def test_a_cancelled_export_leaves_no_final_file_and_the_indexes_as_they_were(
    settings, server, tmp_path
) -> None:
    catalog, arch = _three(server)
    (name_a, a), (name_b, _) = arch["a"], arch["b"]
    folder = tmp_path / "mirror"
    _export(settings, folder, catalog, "3.11")
    before = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    for path in (f"{PREFIX}/{T1}/{name_a}", f"{PREFIX}/{T1}/{name_a.replace('+', '%2B')}"):
        server.add(path, Route(a.data, chunk=32, rate=200))  # slow: cancel lands mid-file
    cancel = threading.Event()
    seen: list[int] = []

    def progress(p: Progress) -> None:
        if p.phase == "download" and p.done:
            seen.append(p.done)
            cancel.set()

    with pytest.raises(Cancelled):
        _export(settings, folder, catalog, "3.12", progress=progress, cancel=cancel)
    assert seen and seen[0] < a.size
    assert final_files(folder) == [f"{T1}/{name_b}"]
    after = {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert after == before  # no part, no index touched


def test_an_archive_file_on_disk_is_copied_in_checked_against_the_catalog(
    settings, server, tmp_path
) -> None:
    catalog, arch = _three(server)
    name_a, a = arch["a"]
    name_b, b = arch["b"]
    folder = tmp_path / "mirror"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    (downloads / name_a).write_bytes(a.data)
    (downloads / name_b).write_bytes(b.data[:-1] + b"!")  # same size, other bytes
    hosts = [detect_host()]

    builds = resolve_exports(catalog, [str(downloads / name_a)], hosts)
    assert builds == [(catalog.by_name[name_a], str(downloads / name_a))]
    result = export(settings, folder, builds, known=catalog.by_name)
    assert [(e.action, e.verified, e.source) for e in result.exported] == [
        ("copied", True, str(downloads / name_a))
    ]
    assert (folder / T1 / name_a).read_bytes() == a.data
    assert not any(r.method == "GET" for r in server.log)  # nothing was downloaded

    with pytest.raises(MirrorError, match="sha256 mismatch"):
        export(settings, folder, resolve_exports(catalog, [str(downloads / name_b)], hosts))
    assert final_files(folder) == [f"{T1}/{name_a}"]
    assert not (folder / T1 / (name_b + ".part")).exists()

    # a file put into DIR by hand, then exported by its path: checked in place, then listed
    (folder / T1 / name_b).write_bytes(b.data)
    again = export(settings, folder, resolve_exports(catalog, [str(folder / T1 / name_b)], hosts))
    assert _listed(folder) == {name_a: a.sha256, name_b: b.sha256}
    assert [e.action for e in again.exported] == ["checked"]
