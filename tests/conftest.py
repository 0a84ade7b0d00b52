"""Shared fixtures: settings in tmp_path, a loopback server, no real dirs, no network."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pybs_tui.net.client import make_client
from pybs_tui.settings import Limits, Settings
from tests.support.server import LoopbackServer


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """Every test gets its own PYBS_TUI_HOME and no tokens, mirrors or proxies."""
    monkeypatch.setenv("PYBS_TUI_HOME", str(tmp_path / "home"))
    for var in (
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "PYBS_TUI_MIRROR",
        "UV_PYTHON_INSTALL_MIRROR",
        "PYBS_TUI_INDEX_URL",
        "PYBS_TUI_GITHUB_API",
        "PYBS_TUI_OFFLINE",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
    ):
        monkeypatch.delenv(var, raising=False)
    # a dead address: anything that forgets to use the loopback server fails fast
    monkeypatch.setenv("PYBS_TUI_INDEX_URL", "http://127.0.0.1:9/index.ndjson")
    monkeypatch.setenv("PYBS_TUI_GITHUB_API", "http://127.0.0.1:9")


@pytest.fixture
def server():
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
def settings(tmp_path, server) -> Settings:
    """Settings rooted in tmp_path and pointed at the loopback server."""
    home = tmp_path / "home"
    return Settings(
        cache_dir=home / "cache",
        data_dir=home / "data",
        state_dir=home / "state",
        index_url=server.url("/index.ndjson"),
        github_api=server.base,
        limits=Limits(http_timeout=5.0),
        sleep=lambda s: None,
    )


@pytest.fixture
def client(settings):
    """The app's configured httpx client, closed after the test."""
    with make_client(settings) as c:
        yield c


@pytest.fixture
def dest(settings) -> Path:
    """Where a download test puts its archive: the download cache, as the pipeline does."""
    name = "cpython-3.12.3+20240415-x86_64-unknown-linux-gnu-install_only.tar.gz"
    return settings.downloads_dir / name


@pytest.fixture(scope="session")
def shared_client() -> Iterator[httpx.Client]:
    """One httpx client for the in-process installs of a test session."""
    with make_client(Settings.from_env({"PYBS_TUI_HOME": "/nonexistent"})) as client:
        yield client
