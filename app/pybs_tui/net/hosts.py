"""Where an archive can be downloaded from, in the order to try.

Like uv, pybs-tui downloads from releases.astral.sh's copy of the PBS releases first and falls
back to GitHub; a mirror (`--mirror`, PYBS_TUI_MIRROR, UV_PYTHON_INSTALL_MIRROR) replaces both.
"""

from __future__ import annotations

import re

from ..settings import Settings

#: Any spelling of a PBS release download a mirror or another download host replaces:
#: PBS_DOWNLOAD_PREFIX, ASTRAL_DOWNLOAD_PREFIX and the repository's first home
#: (github.com/indygreg/..., which old releases' URLs still name); http or https, www or not,
#: any case of the host; then exactly '/<tag>/<name>'.
_PBS_URL = re.compile(
    r"https?://(?:(?:www\.)?github\.com/(?:astral-sh|indygreg)|releases\.astral\.sh/github)"
    r"/python-build-standalone/releases/download(/[^/?#]+/[^/?#]+)",
    re.IGNORECASE,
)


def tail_of(url: str) -> str | None:
    """'/<tag>/<name>' of a PBS download URL (every host and spelling PBS's assets have been
    listed under), or None for any other URL."""
    m = _PBS_URL.fullmatch(url)
    return m.group(1) if m else None


def mirror_url(url: str, mirror: str | None) -> str | None:
    """`url` with its PBS download prefix replaced by `mirror`, or None if not applicable."""
    tail = tail_of(url)
    if not mirror or tail is None:
        return None
    return mirror.rstrip("/") + tail


def download_urls(url: str, settings: Settings) -> list[tuple[str, str]]:
    """(kind, URL) pairs to try for a catalog URL: the mirror alone when one is set, else each
    of settings.download_prefixes (astral's copy, then GitHub). Other URLs (a test server, a
    catalog file's own host) stay as they are. Downloads and size lookups both come here."""
    tail = tail_of(url)
    if tail is None:
        return [("url", url)]
    if settings.mirror:
        return [("mirror", settings.mirror.rstrip("/") + tail)]
    return [("url", prefix.rstrip("/") + tail) for prefix in settings.download_prefixes]
