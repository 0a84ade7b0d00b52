"""Where an install downloads from: releases.astral.sh first, then GitHub (like uv); a mirror
instead of both; a dead host fails at once; no checksum offline says what to do."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import quote

import pytest

from pybs_tui.catalog.models import PBS_DOWNLOAD_PREFIX
from pybs_tui.progress import InstallError
from pybs_tui.service.install import install_build
from pybs_tui.settings import Settings
from tests.install.helpers import TAG, build_for, pbs_archive
from tests.support.server import Route


def canonical(name: str) -> str:
    return f"{PBS_DOWNLOAD_PREFIX}/{TAG}/{quote(name)}"


def test_astral_first_then_github(server, settings: Settings) -> None:
    name, archive = pbs_archive()
    server.add(f"/astral/{TAG}/{quote(name)}", Route(b"no", status=500))
    server.add(f"/github/{TAG}/{quote(name)}", archive.data)
    settings = dataclasses.replace(
        settings, download_prefixes=(server.url("/astral"), server.url("/github"))
    )
    build = build_for(name, archive, canonical(name))
    result = install_build(settings, build)
    assert (result.path / "bin" / "python3").exists()
    asked = [r.path for r in server.log if r.method == "GET"]
    assert asked[0].startswith("/astral/") and asked[-1].startswith("/github/")
    assert result.receipt["origin"].startswith(server.url("/github"))


def test_astral_answering_is_all_it_takes(server, settings: Settings) -> None:
    name, archive = pbs_archive()
    server.add(f"/astral/{TAG}/{quote(name)}", archive.data)
    settings = dataclasses.replace(
        settings, download_prefixes=(server.url("/astral"), server.url("/github"))
    )
    install_build(settings, build_for(name, archive, canonical(name)))
    assert not [r for r in server.log if r.path.startswith("/github/")]


def test_a_mirror_replaces_both_hosts(server, settings: Settings) -> None:
    name, archive = pbs_archive()
    server.add(f"/mirror/{TAG}/{quote(name)}", archive.data)
    settings = dataclasses.replace(
        settings,
        mirror=server.url("/mirror"),
        download_prefixes=(server.url("/astral"), server.url("/github")),
    )
    result = install_build(settings, build_for(name, archive, canonical(name)))
    assert result.receipt["source"] == "mirror"
    assert {r.path.split("/")[1] for r in server.log} == {"mirror"}


def test_a_dead_mirror_fails_at_once_with_one_line(settings: Settings) -> None:
    name, archive = pbs_archive()
    sleeps: list[float] = []
    settings = dataclasses.replace(settings, mirror="http://127.0.0.1:9/pbs", sleep=sleeps.append)
    start = time.monotonic()
    with pytest.raises(InstallError) as info:
        install_build(settings, build_for(name, archive, canonical(name)))
    message = str(info.value)
    assert "cannot reach 127.0.0.1:9 (connection refused)" in message and "\n" not in message
    assert sleeps == [] and time.monotonic() - start < 5  # no retry waits at all
    assert not list(settings.install_dir.glob(".staging-*"))


def test_no_checksum_offline_says_where_one_comes_from(settings: Settings) -> None:
    name, archive = pbs_archive()
    build = dataclasses.replace(build_for(name, archive, canonical(name)), sha256=None)
    settings = dataclasses.replace(settings, offline=True)
    with pytest.raises(InstallError) as info:
        install_build(settings, build)
    message = str(info.value)
    assert "offline" in message and "--mirror" in message and "archive file" in message
    assert "--allow-unverified" not in message  # it would only lead to 'cannot download'
