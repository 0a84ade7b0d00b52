"""End-to-end installs through the loopback server: flavors, mirror, local file, probe, cancel,
sha256 mismatch, lock contention, force, and SPEC resolution."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import threading
from pathlib import Path

import filelock
import pytest

from pybs_tui.catalog.group import Host
from pybs_tui.catalog.models import PBS_DOWNLOAD_PREFIX, Catalog
from pybs_tui.catalog.names import parse_name
from pybs_tui.install.receipts import RECEIPT_NAME, RECEIPT_SCHEMA, iter_receipts
from pybs_tui.net.hosts import mirror_url
from pybs_tui.progress import Cancelled, InstallError, Progress
from pybs_tui.service.install import SpecError, install_build, resolve_spec
from pybs_tui.settings import Settings
from tests.install.helpers import (
    TAG,
    archive_gets,
    build_for,
    pbs_archive,
    serve,
    staging_left,
    tree_state,
)
from tests.support.archives import Member
from tests.support.server import Route


def phases(seen: list[Progress]) -> list[str]:
    """The phases in the order they first appeared."""
    out: list[str] = []
    for p in seen:
        if not out or out[-1] != p.phase:
            out.append(p.phase)
    return out


@pytest.mark.parametrize(
    "flavor, options, fmt",
    [
        ("install_only", "", "tar.gz"),
        ("install_only_stripped", "", "tar.gz"),
        ("full", "pgo+lto", "tar.zst"),
        ("full", "debug", "tar.zst"),
        ("install_only", "freethreaded", "tar.gz"),
    ],
)
def test_install_each_flavor(
    settings: Settings,
    server,
    shared_client,
    flavor: str,
    options: str,
    fmt: str,
) -> None:
    version = "3.13.1" if "freethreaded" in options else "3.12.3"
    name, archive = pbs_archive(version=version, flavor=flavor, options=options)
    assert name.endswith(fmt)
    build = serve(server, name, archive)
    seen: list[Progress] = []
    result = install_build(settings, build, progress=seen.append, client=shared_client)

    assert not result.already_installed
    path = settings.install_dir / name.rsplit(".tar.", 1)[0]
    assert result.path == path
    minor = (
        version.rsplit(".", 1)[0]
        + ("t" if "freethreaded" in options else "")
        + ("d" if "debug" in options else "")
    )
    assert (path / "bin" / f"python{minor}").is_file()
    assert os.access(path / "bin" / f"python{minor}", os.X_OK)
    assert os.readlink(path / "bin" / "python3") == f"python{minor}"
    assert os.readlink(path / "bin" / "python") == f"python{minor}"  # fix-up link
    assert (path / "lib" / f"python{minor}" / "os.py").is_file()
    if flavor == "full":
        assert (path / ".pbs-full" / "PYTHON.json").is_file()  # the rest of python/ is kept
        assert not (path / "install").exists()
    receipt = json.loads((path / RECEIPT_NAME).read_text())
    assert receipt == result.receipt
    assert receipt["schema"] == RECEIPT_SCHEMA
    assert receipt["name"] == name and receipt["sha256"] == archive.sha256
    assert receipt["size"] == archive.size and receipt["verified"] is True
    assert receipt["source"] == "url" and receipt["url"] == build.url
    assert receipt["version"] == version and receipt["release"] == TAG
    assert receipt["flavor"] == flavor and receipt["build_options"] == sorted(build.options)
    assert receipt["prefix"] == "." and receipt["executable"] == "bin/python3"
    assert receipt["installed_at"].startswith("20")
    assert receipt["probe"] == result.probe
    probe = result.probe
    assert probe["version"] == version
    assert probe["Py_DEBUG"] == int("debug" in options)
    assert probe["Py_GIL_DISABLED"] == int("freethreaded" in options)
    assert probe["PGO"] and probe["LTO"]
    assert phases(seen) == ["download", "verify", "extract", "finish", "probe", "done"]
    assert [p for p in seen if p.phase == "download"][-1].done == archive.size
    assert [p for p in seen if p.phase == "extract"][-1].done > 0
    assert staging_left(settings.install_dir) == []
    assert not (settings.downloads_dir / name).exists()  # the archive is not kept
    assert [p.name for p, _ in iter_receipts(settings)] == [path.name]


def test_second_install_is_already_installed(settings: Settings, server, shared_client) -> None:
    name, archive = pbs_archive()
    build = serve(server, name, archive)
    first = install_build(settings, build, client=shared_client)
    seen: list[Progress] = []
    again = install_build(settings, build, progress=seen.append, client=shared_client)
    assert again.already_installed and again.path == first.path
    assert again.receipt == first.receipt and again.probe == first.probe
    assert archive_gets(server, name) == 1
    assert [p.phase for p in seen] == ["done"]
    # --force reinstalls in place (one install, a fresh receipt)
    forced = install_build(settings, build, force=True, client=shared_client)
    assert not forced.already_installed and archive_gets(server, name) == 2
    assert [p.name for p, _ in iter_receipts(settings)] == [first.path.name]
    assert staging_left(settings.install_dir) == []


@pytest.mark.parametrize(
    "prefix",
    [
        PBS_DOWNLOAD_PREFIX,
        "https://releases.astral.sh/github/python-build-standalone/releases/download",
    ],
)
def test_mirror_replaces_the_download_prefix(
    settings: Settings,
    server,
    shared_client,
    prefix: str,
) -> None:
    name, archive = pbs_archive()
    serve(server, name, archive, prefix="/mirror")
    build = build_for(name, archive, f"{prefix}/{TAG}/{name}")
    settings.mirror = server.url("/mirror/")
    result = install_build(settings, build, client=shared_client)
    assert result.receipt["source"] == "mirror"
    assert result.receipt["origin"] == server.url(f"/mirror/{TAG}/{name}")
    assert result.receipt["url"] == build.url
    assert archive_gets(server, name) == 1


def test_mirror_url_leaves_other_urls_alone() -> None:
    assert mirror_url("https://example.org/x/cpython.tar.gz", "https://m") is None
    assert mirror_url(f"{PBS_DOWNLOAD_PREFIX}/{TAG}/a.tar.gz", None) is None
    assert (
        mirror_url(f"{PBS_DOWNLOAD_PREFIX}/{TAG}/a.tar.gz", "https://m/pbs/")
        == f"https://m/pbs/{TAG}/a.tar.gz"
    )


def test_local_archive_file(settings: Settings, server, tmp_path: Path) -> None:
    name, archive = pbs_archive(flavor="full", options="pgo+lto")
    local = tmp_path / "elsewhere" / name
    local.parent.mkdir()
    local.write_bytes(archive.data)
    build = build_for(name, archive, f"{PBS_DOWNLOAD_PREFIX}/{TAG}/{name}")
    seen: list[Progress] = []
    result = install_build(settings, build, source=str(local), progress=seen.append)
    assert result.receipt["source"] == "file" and result.receipt["origin"] == str(local)
    assert result.receipt["verified"] is True
    assert server.log == []  # nothing downloaded
    assert local.read_bytes() == archive.data  # the user's file is left alone
    assert phases(seen) == ["verify", "extract", "finish", "probe", "done"]


def test_local_archive_with_wrong_sha256(settings: Settings, tmp_path: Path) -> None:
    name, archive = pbs_archive()
    local = tmp_path / name
    local.write_bytes(archive.data)
    build = parse_name(name).with_source(sha256="0" * 64, size=archive.size)  # type: ignore[union-attr]
    with pytest.raises(InstallError, match=re.escape(f"sha256 mismatch for {name}: expected 00")):
        install_build(settings, build, source=str(local))
    assert list(iter_receipts(settings)) == [] and staging_left(settings.install_dir) == []


def test_local_archive_without_checksum(settings: Settings, tmp_path: Path) -> None:
    name, archive = pbs_archive()
    local = tmp_path / name
    local.write_bytes(archive.data)
    build = parse_name(name)
    assert build is not None
    with pytest.raises(InstallError, match="--allow-unverified"):
        install_build(settings, build, source=str(local))
    result = install_build(settings, build, source=str(local), allow_unverified=True)
    assert result.receipt["verified"] is False and result.receipt["sha256"] == archive.sha256


@pytest.mark.parametrize(
    "options, says, expected",
    [
        ("debug", {"debug": False}, ["archive sold as debug but Py_DEBUG=0"]),
        ("", {"debug": True}, ["archive sold as non-debug but Py_DEBUG=1"]),
        (
            "freethreaded",
            {"freethreaded": False},
            ["archive sold as freethreaded but Py_GIL_DISABLED=0"],
        ),
        (
            "pgo+lto",
            {"config_args": "--enable-shared"},
            [
                "archive sold as pgo but CONFIG_ARGS lacks --enable-optimizations",
                "archive sold as lto but CONFIG_ARGS lacks --with-lto",
            ],
        ),
        (
            "debug",
            {"debug": False, "freethreaded": True},
            [
                "archive sold as debug but Py_DEBUG=0",
                "archive sold with the GIL but Py_GIL_DISABLED=1",
            ],
        ),
    ],
)
def test_probe_mismatch_fails_and_publishes_nothing(
    settings: Settings,
    server,
    shared_client,
    options: str,
    says: dict,
    expected: list[str],
) -> None:
    name, archive = pbs_archive(flavor="full", options=options, **says)
    build = serve(server, name, archive)
    with pytest.raises(InstallError) as info:
        install_build(settings, build, client=shared_client)
    message = str(info.value)
    assert message.startswith("probe mismatch: ")
    for problem in expected:
        assert problem in message
    assert "\n" not in message
    assert list(iter_receipts(settings)) == []
    assert staging_left(settings.install_dir) == []
    assert not (settings.install_dir / name.rsplit(".tar.", 1)[0]).exists()


def test_probe_version_mismatch(settings: Settings, server, shared_client) -> None:
    name, _ = pbs_archive(version="3.12.3")
    _, archive = pbs_archive(version="3.12.2")  # the interpreter inside says 3.12.2
    build = serve(server, name, archive)
    with pytest.raises(
        InstallError,
        match=r"archive sold as 3\.12\.3 but the interpreter "
        r"is 3\.12\.2",
    ):
        install_build(settings, build, client=shared_client)


def test_interpreter_that_does_not_start(settings: Settings, server, shared_client) -> None:
    members = [
        Member("python", kind="dir"),
        Member("python/bin", kind="dir"),
        Member("python/bin/python3.12", b"#!/bin/sh\necho broken >&2\nexit 3\n", mode=0o755),
        Member("python/bin/python3", kind="symlink", target="python3.12"),
    ]
    name, archive = pbs_archive(members=members)
    build = serve(server, name, archive)
    with pytest.raises(InstallError, match="failed to start: broken"):
        install_build(settings, build, client=shared_client)
    assert staging_left(settings.install_dir) == []


def test_sha256_mismatch_leaves_nothing(settings: Settings, server, shared_client) -> None:
    name, archive = pbs_archive()
    build = serve(server, name, archive).with_source(sha256="ab" * 32)
    with pytest.raises(InstallError) as info:
        install_build(settings, build, client=shared_client)
    assert "sha256 mismatch" in str(info.value) and archive.sha256 in str(info.value)
    assert list(iter_receipts(settings)) == []
    assert staging_left(settings.install_dir) == []
    assert not settings.downloads_dir.exists() or not any(settings.downloads_dir.iterdir())


def test_cancel_during_download_then_install_again(
    settings: Settings, server, shared_client
) -> None:
    name, archive = pbs_archive(extra=[Member("python/lib/blob", os.urandom(400_000))])
    build = serve(server, name, archive)
    for path in list(server.routes):
        server.routes[path] = Route(archive.data, rate=2_000_000, chunk=16384)
    cancel = threading.Event()

    def progress(p: Progress) -> None:
        if p.phase == "download" and p.done > 0:
            cancel.set()

    settings.install_dir.mkdir(parents=True)
    skip = ("pythons/.locks", "pythons/.lock")
    before = tree_state(settings.data_dir, skip)
    with pytest.raises(Cancelled):
        install_build(settings, build, progress=progress, cancel=cancel, client=shared_client)
    assert tree_state(settings.data_dir, skip) == before
    assert staging_left(settings.install_dir) == []
    result = install_build(settings, build, client=shared_client)
    assert result.path.is_dir() and not result.already_installed


def test_cancel_during_extract_then_install_again(
    settings: Settings, server, shared_client
) -> None:
    name, archive = pbs_archive(
        extra=[Member(f"python/lib/m{i}.py", b"x" * 1000) for i in range(50)]
    )
    build = serve(server, name, archive)
    cancel = threading.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.phase == "extract":
            cancel.set()

    with pytest.raises(Cancelled):
        install_build(settings, build, progress=progress, cancel=cancel, client=shared_client)
    assert phases(seen)[-1] == "extract"
    assert staging_left(settings.install_dir) == []
    assert list(iter_receipts(settings)) == []
    # the verified download was kept: installing again does not fetch it again
    result = install_build(settings, build, client=shared_client)
    assert result.path.is_dir() and archive_gets(server, name) == 1


def test_cancel_before_publish_leaves_nothing(settings: Settings, server, shared_client) -> None:
    name, archive = pbs_archive()
    build = serve(server, name, archive)
    cancel = threading.Event()

    def progress(p: Progress) -> None:
        if p.phase == "probe":
            cancel.set()

    with pytest.raises(Cancelled):
        install_build(settings, build, progress=progress, cancel=cancel, client=shared_client)
    assert list(iter_receipts(settings)) == [] and staging_left(settings.install_dir) == []


def test_lock_contention_gives_a_clear_message(settings: Settings, server, shared_client) -> None:
    name, archive = pbs_archive()
    build = serve(server, name, archive)
    settings.install_dir.mkdir(parents=True)
    seen: list[Progress] = []
    held = filelock.FileLock(settings.install_dir / ".lock")
    with held, pytest.raises(InstallError) as info:
        install_build(settings, build, lock_timeout=0.3, progress=seen.append, client=shared_client)
    assert str(info.value) == (
        f"another pybs-tui is installing or removing interpreters in {settings.install_dir}; "
        "try again when it finishes"
    )
    assert "lock" in [p.phase for p in seen]
    assert list(iter_receipts(settings)) == [] and staging_left(settings.install_dir) == []
    assert install_build(settings, build, client=shared_client).path.is_dir()


def test_waiting_for_the_same_build_finds_it_installed(
    settings: Settings, server, shared_client
) -> None:
    """A second install of a build being installed waits for it, then finds it installed."""
    name, archive = pbs_archive(extra=[Member("python/lib/blob", os.urandom(300_000))])
    build = serve(server, name, archive)
    for path in list(server.routes):
        server.routes[path] = Route(archive.data, rate=1_000_000, chunk=16384)
    downloading = threading.Event()
    results: dict = {}

    def first() -> None:
        def progress(p: Progress) -> None:
            if p.phase == "download" and p.done > 0:
                downloading.set()

        results["first"] = install_build(settings, build, progress=progress, client=shared_client)

    thread = threading.Thread(target=first)
    thread.start()
    assert downloading.wait(10)
    seen: list[Progress] = []
    second = install_build(settings, build, progress=seen.append, client=shared_client)
    thread.join(10)
    assert not results["first"].already_installed
    assert second.already_installed and second.path == results["first"].path
    assert [p.phase for p in seen] == ["lock", "done"]
    assert "waiting for another pybs-tui installing" in seen[0].message
    assert archive_gets(server, name) == 1


def test_unsafe_names_are_refused(settings: Settings) -> None:
    build = parse_name(f"cpython-3.12.3+{TAG}-x86_64-unknown-linux-gnu-install_only.tar.gz")
    assert build is not None
    for name in ("../cpython-x.tar.gz", "a/b.tar.gz", ".hidden.tar.gz"):
        with pytest.raises(InstallError, match="unsafe archive name"):
            install_build(settings, dataclasses.replace(build, name=name))
    assert not settings.install_dir.exists() or not any(settings.install_dir.iterdir())


def test_existing_folder_without_receipt_is_not_overwritten(
    settings: Settings, server, shared_client
) -> None:
    name, archive = pbs_archive()
    build = serve(server, name, archive)
    target = settings.install_dir / name.rsplit(".tar.", 1)[0]
    (target / "mine").mkdir(parents=True)
    with pytest.raises(InstallError, match="not a pybs-tui install"):
        install_build(settings, build, client=shared_client)
    assert (target / "mine").is_dir() and server.log == []
    result = install_build(settings, build, force=True, client=shared_client)
    assert not (target / "mine").exists() and result.receipt["name"] == name
    assert staging_left(settings.install_dir) == []


def test_stale_staging_of_dead_process_is_swept(settings: Settings, server, shared_client) -> None:
    stale = settings.install_dir / ".staging-999999999-deadbeef"
    (stale / "python").mkdir(parents=True)
    live = settings.install_dir / f".staging-{os.getpid()}-cafe0001"
    live.mkdir()
    name, archive = pbs_archive()
    install_build(settings, serve(server, name, archive), client=shared_client)
    assert not stale.exists()
    assert live.exists()  # a live process's staging is never touched


# -- SPEC -> Build --------------------------------------------------------------------------------

HOST = Host("linux", "x86_64", "gnu", 3)
TRIPLE = "x86_64-unknown-linux-gnu"


def _catalog(*names: str) -> Catalog:
    builds = []
    for name in names:
        build = parse_name(name)
        assert build is not None and build.known, name
        builds.append(
            build.with_source(
                url=f"{PBS_DOWNLOAD_PREFIX}/{build.release}/{name}", sha256="a" * 64, size=100
            )
        )
    return Catalog(builds, "file", "test")


def _names(version: str, tag: str = TAG, triple: str = TRIPLE) -> list[str]:
    base = f"cpython-{version}+{tag}-{triple}"
    return [
        f"{base}-install_only.tar.gz",
        f"{base}-install_only_stripped.tar.gz",
        f"{base}-pgo+lto-full.tar.zst",
        f"{base}-lto-full.tar.zst",
        f"{base}-debug-full.tar.zst",
        f"{base}-noopt-full.tar.zst",
        f"{base}-freethreaded+pgo+lto-full.tar.zst",
        f"{base}-freethreaded-install_only.tar.gz",
        f"{base}-freethreaded+debug-full.tar.zst",
    ]


CATALOG = _catalog(
    *_names("3.12.3"),
    *_names("3.12.2"),
    *_names("3.13.1"),
    *_names("3.14.0rc1"),
    *_names("3.12.3", triple="aarch64-unknown-linux-gnu"),
    *_names("3.12.4", triple="x86_64_v4-unknown-linux-gnu"),
    *_names("3.12.4", triple="x86_64-apple-darwin"),
    *_names("3.11.9", triple="x86_64-unknown-linux-musl"),
)


@pytest.mark.parametrize(
    "spec, flavor, options, expected",
    [
        ("3.12", None, None, "3.12.3+20240415-x86_64-unknown-linux-gnu-install_only_stripped"),
        ("3.12.2", None, None, "3.12.2+20240415-x86_64-unknown-linux-gnu-install_only_stripped"),
        ("3.12.3+debug", None, None, "3.12.3+20240415-x86_64-unknown-linux-gnu-debug-full"),
        ("3.13t", None, None, "3.13.1+20240415-x86_64-unknown-linux-gnu-freethreaded-install_only"),
        (
            "3.13t+debug",
            None,
            None,
            "3.13.1+20240415-x86_64-unknown-linux-gnu-freethreaded+debug-full",
        ),
        ("3.12", "full", None, "3.12.3+20240415-x86_64-unknown-linux-gnu-pgo+lto-full"),
        ("3.12", "install_only", None, "3.12.3+20240415-x86_64-unknown-linux-gnu-install_only"),
        ("3.12", None, frozenset({"lto"}), "3.12.3+20240415-x86_64-unknown-linux-gnu-pgo+lto-full"),
        ("3.12", None, frozenset({"noopt"}), "3.12.3+20240415-x86_64-unknown-linux-gnu-noopt-full"),
        ("3.12", None, frozenset({"debug"}), "3.12.3+20240415-x86_64-unknown-linux-gnu-debug-full"),
        ("3.14", None, None, "3.14.0rc1+20240415-x86_64-unknown-linux-gnu-install_only_stripped"),
        ("3.11", None, None, "3.11.9+20240415-x86_64-unknown-linux-musl-install_only_stripped"),
    ],
)
def test_resolve_request(
    spec: str, flavor: str | None, options: frozenset[str] | None, expected: str
) -> None:
    resolved = resolve_spec(CATALOG, spec, flavor=flavor, options=options, host=HOST)
    assert resolved.build.name.removeprefix("cpython-").rsplit(".tar.", 1)[0] == expected
    assert resolved.source is None


def test_resolve_names_urls_and_paths(tmp_path: Path) -> None:
    name = _names("3.12.3")[0]
    assert resolve_spec(CATALOG, name, host=HOST).build is CATALOG.by_name[name]
    url = f"https://mirror.example/pbs/{TAG}/{name.replace('+', '%2B')}"
    resolved = resolve_spec(CATALOG, url, host=HOST)
    assert resolved.build is CATALOG.by_name[name] and resolved.source == url
    local = tmp_path / name
    local.write_bytes(b"x")
    resolved = resolve_spec(CATALOG, str(local), host=HOST)
    assert resolved.build.sha256 == "a" * 64 and resolved.source == str(local)
    # a file the catalog does not know: parsed from its name, no checksum
    other = tmp_path / f"cpython-3.10.1+{TAG}-{TRIPLE}-install_only.tar.gz"
    other.write_bytes(b"x")
    resolved = resolve_spec(CATALOG, str(other), host=HOST)
    assert resolved.build.sha256 is None and resolved.build.version_str == "3.10.1"


@pytest.mark.parametrize(
    "spec, kw, message",
    [
        ("3.99", {}, "no build matches 3.99 for linux-x86_64-gnu"),
        (
            "3.12",
            {"flavor": "install_only", "options": frozenset({"debug"})},
            "no build matches 3.12 --flavor install_only --options debug for linux-x86_64-gnu",
        ),
        ("banana", {}, "invalid version request 'banana'"),
        ("", {}, "empty SPEC"),
        (
            "cpython-3.99.0+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz",
            {},
            "no build named",
        ),
        ("./missing/cpython.tar.gz", {}, "no such archive file"),
        ("https://example.org/x/readme.txt", {}, "is not a PBS archive name"),
    ],
)
def test_resolve_errors(spec: str, kw: dict, message: str) -> None:
    with pytest.raises(SpecError) as info:
        resolve_spec(CATALOG, spec, host=HOST, **kw)
    assert message in str(info.value)


def test_missing_checksum_is_fetched_from_the_release_api(
    settings: Settings, server, shared_client
) -> None:
    """A snapshot name without sha256 (derived install_only) gets its digest from the API."""
    name, archive = pbs_archive()
    build = dataclasses.replace(serve(server, name, archive), sha256=None, size=None)
    server.add(
        f"/repos/astral-sh/python-build-standalone/releases/tags/{TAG}",
        json.dumps(
            {
                "tag_name": TAG,
                "assets": [
                    {
                        "name": name,
                        "size": archive.size,
                        "digest": f"sha256:{archive.sha256}",
                        "browser_download_url": build.url,
                    }
                ],
            }
        ).encode(),
    )
    result = install_build(settings, build, client=shared_client)
    assert result.receipt["sha256"] == archive.sha256 and result.receipt["verified"] is True
    # and a digest that disagrees with the archive still fails the install
    other, bad = pbs_archive(version="3.12.4")
    build = dataclasses.replace(serve(server, other, bad), sha256=None, size=None)
    server.add(
        f"/repos/astral-sh/python-build-standalone/releases/tags/{TAG}",
        json.dumps(
            {
                "tag_name": TAG,
                "assets": [
                    {
                        "name": other,
                        "size": bad.size,
                        "digest": "sha256:" + "0" * 64,
                        "browser_download_url": build.url,
                    }
                ],
            }
        ).encode(),
    )
    with pytest.raises(InstallError, match="sha256"):
        install_build(settings, build, client=shared_client)
    assert not (settings.install_dir / other.removesuffix(".tar.gz")).exists()


def test_missing_checksum_falls_back_to_sha256sums(
    settings: Settings, server, shared_client
) -> None:
    """No digest in the API answer: the release's SHA256SUMS (on the mirror) supplies it."""
    name, archive = pbs_archive(version="3.12.5")
    serve(server, name, archive, prefix="/mirror")
    build = build_for(name, archive, f"{PBS_DOWNLOAD_PREFIX}/{TAG}/{name}")
    build = dataclasses.replace(build, sha256=None)
    settings.mirror = server.url("/mirror")
    server.add(
        f"/mirror/{TAG}/SHA256SUMS",
        f"{archive.sha256.upper()}  {name}\n{'0' * 63}  junk\n".encode(),
    )
    result = install_build(settings, build, client=shared_client)
    assert result.receipt["sha256"] == archive.sha256 and result.receipt["verified"] is True
    assert any(r.path == f"/mirror/{TAG}/SHA256SUMS" for r in server.log)
