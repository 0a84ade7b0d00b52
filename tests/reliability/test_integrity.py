"""Reliability cases 19 and 21: truncated archives, malformed SHA256SUMS lines."""

from __future__ import annotations

import dataclasses

import pytest

from pybs_tui.catalog.sources import parse_sha256sums
from pybs_tui.progress import InstallError
from pybs_tui.service.install import install_build
from tests.install.helpers import pbs_archive, serve, staging_left, tree_state
from tests.support.archives import Archive
from tests.support.server import sha256

GOOD = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"


@pytest.mark.parametrize("flavor", ["install_only", "full"])
def test_case19_truncated_archive_is_refused_before_publish(settings, server, tmp_path, flavor):
    """A truncated .tar.gz / .tar.zst whose catalog entry matches the truncated bytes (so the
    checksum passes) is still refused: the decompressor or the tar reader must notice."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_bytes(b"sentinel")
    before = tree_state(outside)
    name, archive = pbs_archive(flavor=flavor, options="pgo+lto" if flavor == "full" else "")
    cut = archive.data[: len(archive.data) * 2 // 3]
    truncated = Archive(cut, sha256(cut), len(cut))
    build = serve(server, name, truncated)
    with pytest.raises(InstallError) as err:
        install_build(settings, build)
    message = str(err.value)
    assert "\n" not in message and ("truncated" in message or "corrupt" in message), message
    assert not (settings.install_dir / name.rsplit(".tar", 1)[0]).exists()
    assert not staging_left(settings.install_dir)
    assert tree_state(outside) == before


def test_case19_wrong_size_from_catalog_is_caught(settings, server):
    name, archive = pbs_archive()
    build = serve(server, name, archive)
    build = dataclasses.replace(build, size=archive.size + 1)
    with pytest.raises(InstallError, match="size"):
        install_build(settings, build)
    assert not staging_left(settings.install_dir)


def test_case21_malformed_sha256sums_lines_are_ignored():
    good = "ab" * 32
    text = "\n".join(
        [
            f"{good}  {GOOD}",
            f"{'c' * 63}  short.tar.gz",  # 63 hex digits
            f"{'d' * 64}  dup.tar.gz",
            f"{'e' * 64}  dup.tar.gz",  # conflicting duplicates
            f"{'f' * 64}  same.tar.gz",
            f"{'f' * 64}  same.tar.gz",  # agreeing duplicates: fine
            f"{'1' * 64}  ../evil.tar.gz",
            f"{'2' * 64}  dir/evil.tar.gz",
            f"{'3' * 64}  ..",
            f"{'4' * 64}",
            "garbage line",
            "",
            f"{'A' * 64}  upper.tar.gz",  # upper-case hex accepted
            f"{'5' * 64} *binary-mode.tar.gz",
        ]
    )
    assert parse_sha256sums(text) == {
        GOOD: good,
        "same.tar.gz": "f" * 64,
        "upper.tar.gz": "a" * 64,
        "binary-mode.tar.gz": "5" * 64,
    }


def test_case21_sha256sums_fetched_from_the_release(settings, server):
    from pybs_tui.net.client import make_client
    from pybs_tui.net.releases import fetch_sha256sums

    body = f"{'AB' * 32}  {GOOD}\n{'c' * 63}  bad.tar.gz\n".encode()
    server.add("/dl/20240415/SHA256SUMS", body)
    with make_client(settings) as client:
        assert fetch_sha256sums(client, settings, "20240415", server.url("/dl")) == {
            GOOD: "ab" * 32
        }
