"""The extractor on its own: names, tree walk, truncation, cancel, progress, stale staging."""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

import pytest

from pybs_tui.install import extract
from pybs_tui.install.extract import ArchiveRefused, check_name, extract_archive
from pybs_tui.install.root import make_staging, remove_tree, sweep_stale
from pybs_tui.progress import Cancelled, InstallError, Progress
from pybs_tui.settings import Settings
from tests.install.helpers import make_settings, staging_left
from tests.support.archives import Member, make_archive, pbs_members


@pytest.fixture
def local_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


def write(tmp_path: Path, data: bytes, name: str = "a.tar.gz") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_check_name_normalises_and_refuses() -> None:
    assert check_name("python/./bin//python3") == ("python", "bin", "python3")
    assert check_name("./python/") == ("python",)
    for bad in ("", ".", "/python", "python/../x", "a\\b", "C:x", "x\x00", "p/" + "a" * 256):
        with pytest.raises(ArchiveRefused):
            check_name(bad)


def test_tree_walk_refuses_links_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "lib").mkdir(parents=True)
    os.symlink("../bin", root / "lib" / "ok-dangling")
    extract._check_tree_links(root)
    os.symlink("../..", root / "lib" / "up")
    with pytest.raises(ArchiveRefused, match="points outside the installed tree"):
        extract._check_tree_links(root)


@pytest.mark.parametrize("fmt", ["tar.gz", "tar.zst"])
def test_truncated_archives_are_refused(local_settings: Settings, tmp_path: Path, fmt: str) -> None:
    members = [*pbs_members(), Member("python/lib/blob", os.urandom(200_000))]
    data = make_archive(members, fmt).data
    path = write(tmp_path, data[: len(data) // 2], "a." + fmt)
    with pytest.raises(InstallError) as info:
        extract_archive(local_settings, path)
    assert any(word in str(info.value) for word in ("corrupt", "truncated", "layout")), str(
        info.value
    )
    assert staging_left(local_settings.install_dir) == []


def test_not_an_archive(local_settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(ArchiveRefused, match="neither a zstd nor a gzip archive"):
        extract_archive(local_settings, write(tmp_path, b"PK\x03\x04 zip, not tar"))
    with pytest.raises(ArchiveRefused, match=r"not a tar archive|corrupt"):
        extract_archive(local_settings, write(tmp_path, gzip.compress(b"x" * 1000)))
    assert staging_left(local_settings.install_dir) == []


def test_progress_and_cancel_between_members(
    local_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = [*pbs_members(), *[Member(f"python/lib/m{i}", b"x" * 4096) for i in range(200)]]
    path = write(tmp_path, make_archive(members).data)
    seen: list[Progress] = []
    result = extract_archive(local_settings, path, progress=seen.append)
    assert result.members == len(members) and result.unpacked_bytes >= 200 * 4096
    assert all(p.phase == "extract" for p in seen) and len(seen) < 20  # throttled
    assert seen[-1].done == result.unpacked_bytes
    remove_tree(result.staging)

    cancel = threading.Event()
    count = []
    real = extract._Extractor._member

    def counting(self, tar, member):  # type: ignore[no-untyped-def]
        count.append(member.name)
        if len(count) == 50:
            cancel.set()
        return real(self, tar, member)

    monkeypatch.setattr(extract._Extractor, "_member", counting)
    with pytest.raises(Cancelled):
        extract_archive(local_settings, path, cancel=cancel)
    assert len(count) == 50  # stopped at the next member
    assert staging_left(local_settings.install_dir) == []


def test_sweep_stale(local_settings: Settings) -> None:
    mine = make_staging(local_settings)
    root = local_settings.install_dir
    dead = root / ".staging-999999999-00aa"
    (dead / "python" / "bin").mkdir(parents=True)
    (dead / "python" / "bin" / "ro").write_text("x")
    (dead / "python" / "bin").chmod(0o500)
    trash = root / ".trash-999999998-00bb"
    trash.mkdir()
    other = root / ".staging-notapid"
    other.mkdir()
    assert sorted(p.name for p in sweep_stale(local_settings)) == [dead.name, trash.name]
    assert mine.is_dir() and other.is_dir()
    assert not dead.exists() and not trash.exists()
