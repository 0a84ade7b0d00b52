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
from urllib.parse import urlsplit

import platformdirs

from .catalog.models import ASTRAL_DOWNLOAD_PREFIX, PBS_DOWNLOAD_PREFIX
from .units import shorten

APP_NAME = "pybs-tui"
DEFAULT_INDEX_URL = (
    "https://releases.astral.sh/github/versions/main/v1/python-build-standalone.ndjson"
)
DEFAULT_GITHUB_API = "https://api.github.com"
PBS_REPO = "astral-sh/python-build-standalone"


def _too_long(existing: Path, path: Path) -> bool:
    """Whether the folders from `existing` down to `path` cannot be made for their length
    (the file system's name and path limits hold for root too, unlike permissions)."""
    try:
        name_max = os.pathconf(existing, "PC_NAME_MAX")
        path_max = os.pathconf(existing, "PC_PATH_MAX")
    except (OSError, ValueError, AttributeError):
        name_max, path_max = 255, 4096
    parts = path.relative_to(existing).parts
    return any(len(os.fsencode(p)) > name_max for p in parts) or len(os.fsencode(path)) >= path_max


class SettingsError(ValueError):
    """A setting that cannot be used (a bad URL, a home that is a file); one line."""


@dataclass
class Limits:
    """Caps that protect the machine; tests lower them to trigger the guards."""

    max_unpacked_bytes: int = 4 * 1024**3
    max_members: int = 200_000
    max_zstd_window: int = 1 << 27
    download_retries: int = 4
    #: seconds one network read (or connect) may wait
    http_timeout: float = 30.0
    #: seconds one request may take in all, redirects, headers and body included (catalog
    #: index, API pages, SHA256SUMS, HEAD): a server dripping bytes cannot hold a run
    request_deadline: float = 120.0
    #: seconds one download attempt may take in all; a slower one is resumed by the next
    #: attempt (the partial file is kept), so a slow but honest link still gets there
    download_deadline: float = 1800.0
    #: bytes an answer held in memory may have (catalog index, API pages, SHA256SUMS)
    max_answer_bytes: int = 64 * 1024**2
    #: bytes a download may have when its size is not known: the largest PBS archive is
    #: about 200 MB (debug and full builds), so 512 MiB leaves room and still stops a
    #: server that sends for ever; a known size is always the exact bound
    max_download_bytes: int = 512 * 1024**2
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

    @property
    def uses_github_api(self) -> bool:
        """Whether the GitHub API may be asked. A mirror means "not GitHub": with one set, the
        API is asked only when PYBS_TUI_GITHUB_API points it at another host than GitHub's."""
        return not self.mirror or self.github_api.rstrip("/") != DEFAULT_GITHUB_API

    def check_folders(self, home_var: str = "PYBS_TUI_HOME") -> None:
        """SettingsError (one line) if a folder the app keeps things in is a file, sits under
        a file, or cannot be created. Nothing is created here."""
        named = {"cache": self.cache_dir, "data": self.data_dir, "state": self.state_dir}
        for what, path in named.items():
            where = f"{home_var}: " if os.environ.get(home_var) else f"the {what} folder: "
            probe = path
            while not os.path.lexists(probe) and probe.parent != probe:
                probe = probe.parent
            if not probe.is_dir():
                raise SettingsError(f"{where}{probe} is not a folder")
            if probe != path and not os.access(probe, os.W_OK | os.X_OK):
                raise SettingsError(f"{where}cannot create {path} ({probe} is not writable)")
            if probe != path and _too_long(probe, path):
                too_long = shorten(str(path), 160)
                raise SettingsError(f"{where}cannot create {too_long} (a name in it is too long)")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Build settings from environment variables (PYBS_TUI_*, GITHUB_TOKEN, uv's mirror).
        A URL that cannot be used is a SettingsError naming where it came from."""
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
        mirror_var = next(
            (v for v in ("PYBS_TUI_MIRROR", "UV_PYTHON_INSTALL_MIRROR") if env.get(v)), ""
        )
        values: dict[str, object] = dict(
            dirs,
            index_url=env.get("PYBS_TUI_INDEX_URL") or DEFAULT_INDEX_URL,
            github_api=(env.get("PYBS_TUI_GITHUB_API") or DEFAULT_GITHUB_API).rstrip("/"),
            github_token=env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None,
            mirror=env.get(mirror_var) if mirror_var else None,
            offline=env.get("PYBS_TUI_OFFLINE", "") not in ("", "0", "false"),
        )
        deadline = env.get("PYBS_TUI_REQUEST_DEADLINE")
        if deadline:
            values["limits"] = Limits(request_deadline=_seconds(deadline))
        values.update({k: v for k, v in overrides.items() if v is not None})
        origin = {
            "index_url": "PYBS_TUI_INDEX_URL",
            "github_api": "PYBS_TUI_GITHUB_API",
            "mirror": "--mirror" if overrides.get("mirror") else mirror_var,
        }
        for key, label in origin.items():
            value = values.get(key)
            if isinstance(value, str):
                problem = url_problem(value, allow_file=key == "mirror")
                if problem:
                    raise SettingsError(f"{label}: {value!r} cannot be used ({problem})")
        return cls(**values)  # type: ignore[arg-type]


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 86_400:
        raise SettingsError(f"PYBS_TUI_REQUEST_DEADLINE: {text!r} is not a number of seconds")
    return value


def url_problem(url: str, *, allow_file: bool = False) -> str:
    """Why `url` cannot be used as a server address ('' if it can): http(s) with a host and a
    valid port, no spaces or control characters; `file:///folder` too if `allow_file`."""
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        return "it holds spaces or control characters"
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError when out of range or not a number
    except ValueError as exc:
        return str(exc)
    if parts.scheme == "file" and allow_file:
        if parts.netloc not in ("", "localhost"):
            return "a file:// URL names no host: file:///path/to/folder"
        if not parts.path.startswith("/"):
            return "a file:// URL needs an absolute path"
        return ""
    if parts.scheme not in ("http", "https"):
        return "only http(s)" + (" or file://" if allow_file else "") + " URLs are used"
    if not parts.hostname:
        return "it names no host"
    return ""
