"""Where an archive can be downloaded from, in the order to try.

Like uv, pybs-tui downloads from releases.astral.sh's copy of the PBS releases first and falls
back to GitHub; a mirror (`--mirror`, PYBS_TUI_MIRROR, UV_PYTHON_INSTALL_MIRROR) replaces both.
"""

from __future__ import annotations

from ..catalog.models import ASTRAL_DOWNLOAD_PREFIX, PBS_DOWNLOAD_PREFIX
from ..settings import Settings

#: Prefixes a mirror or another download host replaces.
KNOWN_PREFIXES = (PBS_DOWNLOAD_PREFIX, ASTRAL_DOWNLOAD_PREFIX)


def tail_of(url: str) -> str | None:
    """'/<tag>/<name>' of a PBS download URL, or None for any other URL."""
    for prefix in KNOWN_PREFIXES:
        if url.startswith(prefix + "/"):
            return url[len(prefix) :]
    return None


def mirror_url(url: str, mirror: str | None) -> str | None:
    """`url` with its PBS download prefix replaced by `mirror`, or None if not applicable."""
    tail = tail_of(url)
    if not mirror or tail is None:
        return None
    return mirror.rstrip("/") + tail


def download_urls(url: str, settings: Settings) -> list[tuple[str, str]]:
    """(kind, URL) pairs to try for a catalog URL: the mirror alone when one is set, else each
    of settings.download_prefixes (astral's copy, then GitHub). Other URLs stay as they are."""
    tail = tail_of(url)
    if tail is None:
        return [("url", url)]
    if settings.mirror:
        return [("mirror", settings.mirror.rstrip("/") + tail)]
    return [("url", prefix.rstrip("/") + tail) for prefix in settings.download_prefixes]
