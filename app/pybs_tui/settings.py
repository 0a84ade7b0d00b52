"""One Settings object: directories, sources, limits and injectable hooks.

Everything that touches the outside world receives a Settings; tests build one pointing at
tmp_path and a loopback server. ``PYBS_TUI_HOME`` relocates every directory the app uses.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from .catalog.models import ASTRAL_DOWNLOAD_PREFIX, PBS_DOWNLOAD_PREFIX

APP_NAME = "pybs-tui"
DEFAULT_INDEX_URL = (
    "https://releases.astral.sh/github/versions/main/v1/python-build-standalone.ndjson"
)
DEFAULT_GITHUB_API = "https://api.github.com"
PBS_REPO = "astral-sh/python-build-standalone"


@dataclass
class Limits:
    """Caps that protect the machine; tests lower them to trigger the guards."""

    max_unpacked_bytes: int = 4 * 1024**3
    max_members: int = 200_000
    max_zstd_window: int = 1 << 27
    download_retries: int = 4
    http_timeout: float = 30.0
    max_api_pages: int = 50
    max_concurrent_installs: int = 2


@dataclass
class Settings:
    """Where things live and how the outside world is reached."""

    cache_dir: Path
    data_dir: Path
    state_dir: Path
    index_url: str = DEFAULT_INDEX_URL
    github_api: str = DEFAULT_GITHUB_API
    github_token: str | None = None
    mirror: str | None = None
    #: where archives are downloaded from, in order (a mirror replaces them all)
    download_prefixes: tuple[str, ...] = (ASTRAL_DOWNLOAD_PREFIX, PBS_DOWNLOAD_PREFIX)
    offline: bool = False
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    disk_usage: Callable[[str | os.PathLike[str]], shutil._ntuple_diskusage] = shutil.disk_usage

    @property
    def install_dir(self) -> Path:
        """Root of pybs-tui's own interpreters."""
        return self.data_dir / "pythons"

    @property
    def downloads_dir(self) -> Path:
        return self.cache_dir / "downloads"

    @property
    def catalog_cache_dir(self) -> Path:
        return self.cache_dir / "catalog"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from environment variables (PYBS_TUI_*, GITHUB_TOKEN, uv's mirror)."""
        env = os.environ if env is None else env
        home = env.get("PYBS_TUI_HOME")
        if home:
            base = Path(home).expanduser()
            dirs = {
                "cache_dir": base / "cache",
                "data_dir": base / "data",
                "state_dir": base / "state",
            }
        else:
            dirs = {
                "cache_dir": Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
                "data_dir": Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
                "state_dir": Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
            }
        values: dict[str, object] = dict(
            dirs,
            index_url=env.get("PYBS_TUI_INDEX_URL") or DEFAULT_INDEX_URL,
            github_api=(env.get("PYBS_TUI_GITHUB_API") or DEFAULT_GITHUB_API).rstrip("/"),
            github_token=env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None,
            mirror=env.get("PYBS_TUI_MIRROR") or env.get("UV_PYTHON_INSTALL_MIRROR") or None,
            offline=env.get("PYBS_TUI_OFFLINE", "") not in ("", "0", "false"),
        )
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
