"""The extraction follows the download (install.streaming): staged while the bytes arrive,
never visible, never run, never kept unless the bytes it read are the verified file."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pybs_tui.install import extract, pipeline, streaming
from pybs_tui.install.receipts import iter_receipts
from pybs_tui.progress import Cancelled, InstallError
from pybs_tui.service.install import install_build
from pybs_tui.settings import Settings
from tests.install.helpers import build_for, pbs_archive, serve, staging_left
from tests.support.archives import Member
from tests.support.server import Route


def wait_for(predicate: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def blobs(count: int, size: int) -> list[Member]:
    """Incompressible files, so the archive's bytes arrive in step with the members."""
    return [Member(f"python/lib/blob{i:02d}", os.urandom(size)) for i in range(count)]


def set_routes(server: Any, name: str, route: Route | Callable[[Any], Route]) -> None:
    for path in list(server.routes):
        if path.endswith((name, name.replace("+", "%2B"))):
            server.routes[path] = route


def staged_files(install_dir: Path) -> list[str]:
    """Regular files written so far in any staging folder."""
    found = []
    for stage in staging_left(install_dir):
        for _dir, _subdirs, files in os.walk(install_dir / stage):
            found.extend(files)
    return found


def visible(install_dir: Path) -> list[str]:
    """What a listing of the install folder shows (dot-folders are private)."""
    return sorted(p.name for p in install_dir.iterdir() if not p.name.startswith("."))


def install_in_thread(
    settings: Settings, build: Any, client: Any, **kwargs: Any
) -> tuple[threading.Thread, dict[str, Any]]:
    """`install_build` started in a thread; its outcome ("result" or "error") is in the dict
    once the thread has ended."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = install_build(settings, build, client=client, **kwargs)
        except BaseException as exc:  # reported by the test
            outcome["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    return worker, outcome


class Calls:
    """Records which extraction ran (streamed, or the verified file afterwards) and when the
    probe ran relative to the verified download."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, settings: Settings, name: str) -> None:
        self.streamed = 0
        self.from_file = 0
        self.probes: list[tuple[bool, bool]] = []  # (verified file in place, part gone)
        real_extract = extract.extract_archive
        real_probe = pipeline.run_probe
        dest = settings.downloads_dir / name
        part = settings.downloads_dir / (name + ".part")

        def streamed(*args: Any, **kwargs: Any) -> Any:
            self.streamed += 1
            return real_extract(*args, **kwargs)

        def from_file(*args: Any, **kwargs: Any) -> Any:
            self.from_file += 1
            return real_extract(*args, **kwargs)

        def probe(*args: Any, **kwargs: Any) -> Any:
            self.probes.append((dest.is_file(), not part.exists()))
            return real_probe(*args, **kwargs)

        monkeypatch.setattr(streaming, "extract_archive", streamed)
        monkeypatch.setattr(pipeline, "extract_archive", from_file)
        monkeypatch.setattr(pipeline, "run_probe", probe)


def test_extraction_runs_during_the_download_and_nothing_shows_before_the_check(
    settings: Settings, server: Any, shared_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = blobs(24, 64_000)
    name, archive = pbs_archive(extra=extra)
    build = serve(server, name, archive)
    gate = threading.Event()
    set_routes(server, name, Route(archive.data, gate=gate, gate_after=archive.size * 2 // 3))
    calls = Calls(monkeypatch, settings, name)
    settings.install_dir.mkdir(parents=True)
    before = visible(settings.install_dir)
    worker, outcome = install_in_thread(settings, build, shared_client)
    try:
        # the server holds back the last third: members already arrived are being staged
        wait_for(lambda: sum(f.startswith("blob") for f in staged_files(settings.install_dir)) >= 4)
        part = settings.downloads_dir / (name + ".part")
        assert part.is_file() and part.stat().st_size < archive.size
        assert not (settings.downloads_dir / name).exists()  # not verified yet
        assert visible(settings.install_dir) == before
        assert list(iter_receipts(settings)) == []
        assert not pipeline.target_of(settings, build).exists()
        assert calls.probes == []  # nothing from the archive has run
    finally:
        gate.set()
        worker.join(30)
    assert "error" not in outcome, outcome.get("error")
    result = outcome["result"]
    assert (result.path / "lib" / "blob23").read_bytes() == extra[23].data
    assert calls.streamed == 1 and calls.from_file == 0  # the staged tree was used
    assert calls.probes == [(True, True)]  # ran once the verified archive was in place
    assert visible(settings.install_dir) == sorted([*before, result.path.name])
    assert staging_left(settings.install_dir) == []


def test_a_wrong_archive_being_staged_is_thrown_away_and_never_run(
    settings: Settings, server: Any, shared_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server sends a valid archive that is not the one the catalog hashes: what was
    staged from it while it arrived is removed by the sha256 check, and nothing of it ran."""
    name, good = pbs_archive(extra=blobs(8, 50_000))
    _, other = pbs_archive(extra=blobs(8, 50_000))
    gate = threading.Event()
    url = server.add(f"/dl/x/{name}", Route(other.data, gate=gate, gate_after=other.size * 3 // 4))
    build = dataclasses.replace(build_for(name, good, url), size=None)
    calls = Calls(monkeypatch, settings, name)
    worker, outcome = install_in_thread(settings, build, shared_client)
    try:
        wait_for(lambda: sum(f.startswith("blob") for f in staged_files(settings.install_dir)) >= 2)
    finally:
        gate.set()
        worker.join(30)
    assert isinstance(outcome.get("error"), InstallError)
    assert "sha256 mismatch" in str(outcome["error"])
    assert calls.streamed == 1 and calls.probes == []
    assert staging_left(settings.install_dir) == []
    assert list(iter_receipts(settings)) == []
    assert sorted(os.listdir(settings.downloads_dir)) == []  # no part, no archive


def test_a_resumed_download_streams_the_kept_part_from_disk(
    settings: Settings, server: Any, shared_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = blobs(8, 50_000)
    name, archive = pbs_archive(extra=extra)
    build = serve(server, name, archive)
    kept = archive.size // 2
    settings.downloads_dir.mkdir(parents=True)
    (settings.downloads_dir / (name + ".part")).write_bytes(archive.data[:kept])
    sidecar = {"url": build.url, "etag": None, "last_modified": None, "sha256": archive.sha256}
    (settings.downloads_dir / (name + ".part.json")).write_text(json.dumps(sidecar))
    calls = Calls(monkeypatch, settings, name)
    result = install_build(settings, build, client=shared_client)
    gets = [r for r in server.log if r.method == "GET"]
    assert [r.headers.get("range") for r in gets] == [f"bytes={kept}-"]
    assert calls.streamed == 1 and calls.from_file == 0
    assert (result.path / "lib" / "blob07").read_bytes() == extra[7].data


def test_a_download_that_starts_over_is_extracted_from_the_verified_file(
    settings: Settings, server: Any, shared_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept part is thrown away (the server ignores Range): the stream of the old part
    is dropped and the verified file is extracted instead."""
    extra = blobs(8, 50_000)
    name, archive = pbs_archive(extra=extra)
    build = serve(server, name, archive)

    def once_the_old_part_is_being_staged(_request: Any) -> Route:
        # answer only after the extractor has read the kept part (otherwise it would simply
        # stream the new download, which is correct too but not what this test is about)
        wait_for(lambda: any(f.startswith("blob") for f in staged_files(settings.install_dir)))
        return Route(archive.data, honour_range=False)

    set_routes(server, name, once_the_old_part_is_being_staged)
    settings.downloads_dir.mkdir(parents=True)
    (settings.downloads_dir / (name + ".part")).write_bytes(archive.data[: archive.size // 2])
    sidecar = {"url": build.url, "etag": None, "last_modified": None, "sha256": archive.sha256}
    (settings.downloads_dir / (name + ".part.json")).write_text(json.dumps(sidecar))
    calls = Calls(monkeypatch, settings, name)
    result = install_build(settings, build, client=shared_client)
    assert calls.streamed == 1 and calls.from_file == 1
    assert (result.path / "lib" / "blob07").read_bytes() == extra[7].data
    assert staging_left(settings.install_dir) == []


def test_cancel_while_streaming_leaves_nothing(
    settings: Settings, server: Any, shared_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, archive = pbs_archive(extra=blobs(12, 64_000))
    build = serve(server, name, archive)
    gate = threading.Event()
    set_routes(server, name, Route(archive.data, gate=gate, gate_after=archive.size // 2))
    cancel = threading.Event()
    worker, outcome = install_in_thread(settings, build, shared_client, cancel=cancel)
    try:
        wait_for(lambda: any(f.startswith("blob") for f in staged_files(settings.install_dir)))
        cancel.set()
        worker.join(20)
        assert not worker.is_alive(), "the cancel waited for the held-back bytes"
    finally:
        gate.set()
        worker.join(30)
    assert isinstance(outcome.get("error"), Cancelled)
    assert staging_left(settings.install_dir) == []
    assert list(iter_receipts(settings)) == []
    assert os.listdir(settings.downloads_dir) == []


def test_a_refused_archive_is_reported_once_its_bytes_are_verified(
    settings: Settings, server: Any, shared_client: Any
) -> None:
    """A hostile member met while streaming is the archive's fault only if the verified file
    holds it: the refusal is the one line, nothing is left."""
    name, archive = pbs_archive(extra=[*blobs(3, 50_000), Member("python/../escape", b"x")])
    build = serve(server, name, archive)
    with pytest.raises(InstallError, match="escape"):
        install_build(settings, build, client=shared_client)
    assert staging_left(settings.install_dir) == []
    assert list(iter_receipts(settings)) == []


def test_the_staged_tree_is_kept_only_for_the_bytes_that_were_verified(
    settings: Settings, tmp_path: Path
) -> None:
    """`result` compares the hash of what the extractor read with the verified sha256."""
    name, archive = pbs_archive(extra=blobs(2, 10_000))
    part = tmp_path / (name + ".part")
    for digest, kept in ((archive.sha256, True), ("0" * 64, False)):
        part.write_bytes(b"")
        with streaming.StreamedExtraction(
            settings, tmp_path / name, flavor="install_only", progress=None, cancel=None
        ) as streamed:
            streamed.feed.started(part, 0)
            with part.open("ab") as fh:
                for start in range(0, archive.size, 7000):  # arrives in pieces
                    fh.write(archive.data[start : start + 7000])
                    fh.flush()
                    streamed.feed.grew(min(archive.size, start + 7000))
            streamed.feed.finished(lambda: None, part, archive.size)
            staged = streamed.result(digest, archive.size)
        assert (staged is not None) == kept
        if staged is not None:
            assert (staged.root / "lib" / "blob01").is_file()
            pipeline.remove_tree(staged.staging)
        assert staging_left(settings.install_dir) == []


def test_a_part_the_extraction_cannot_read_is_the_streams_fault_not_the_archives(
    settings: Settings, tmp_path: Path
) -> None:
    """The reader could not open the part (renamed away under it, say): that error is never
    reported as the archive's; the verified file is extracted instead."""
    name, archive = pbs_archive(extra=blobs(2, 10_000))
    gone = tmp_path / (name + ".part")  # never created
    dest = tmp_path / name
    with streaming.StreamedExtraction(
        settings, dest, flavor="install_only", progress=None, cancel=None
    ) as streamed:
        streamed.feed.started(gone, archive.size)
        wait_for(lambda: streamed.ended.is_set())  # the extraction failed to read
        streamed.feed.finished(lambda: dest.write_bytes(archive.data), dest, archive.size)
        assert streamed.result(archive.sha256, archive.size) is None
    assert staging_left(settings.install_dir) == []
