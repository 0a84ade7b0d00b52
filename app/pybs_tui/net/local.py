"""`file://` mirrors, as uv reads them: a folder laid out like the release downloads,
``<mirror>/<release tag>/<asset name>``.

A file is read only from inside the configured mirror folder: the path is resolved (links
followed) and must still be inside the mirror's own resolved folder; the last step is opened
without following a link, and only a regular file is read (a FIFO would block for ever).
Every failure is a NetError with one line.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ..fileops import NotARegularFile, open_regular
from ..settings import Settings
from .client import NetError


def is_file_url(url: str) -> bool:
    return url[:5].lower() == "file:"


def mirror_root(settings: Settings) -> Path | None:
    """The folder of a file:// mirror, or None when the mirror is not one."""
    if not settings.mirror or not is_file_url(settings.mirror):
        return None
    return Path(unquote(urlsplit(settings.mirror).path))


def resolve(settings: Settings, url: str) -> Path:
    """The real path of a file:// URL under the configured file:// mirror."""
    root = mirror_root(settings)
    base = (settings.mirror or "").rstrip("/")
    if root is None or not url.startswith(base + "/"):
        raise NetError(
            f"refused to read {url!r}: only http(s) URLs are fetched, and file:// ones from "
            "a file:// mirror"
        )
    parts = unquote(url[len(base) + 1 :]).split("/")
    if any(p in ("", ".", "..") or "\0" in p for p in parts):
        raise NetError(
            f"refused to read {url!r}: the path reaches outside the mirror or is not plain"
        )
    real_root = os.path.realpath(root)
    real = os.path.realpath(os.path.join(real_root, *parts))
    if os.path.commonpath([real_root, real]) != real_root or real == real_root:
        raise NetError(f"{'/'.join(parts)} in the mirror links to {real}, outside the mirror")
    return Path(real)


def open_file(settings: Settings, url: str) -> tuple[int, int]:
    """(open descriptor, size) of a regular file in the file:// mirror; the caller closes."""
    path = resolve(settings, url)
    try:
        fd, info = open_regular(path, getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise NetError(f"{path.name} is not in the mirror {mirror_root(settings)}") from None
    except NotARegularFile:
        raise NetError(f"{path} in the mirror is not a regular file") from None
    except OSError as exc:
        raise NetError(f"cannot read {path} from the mirror: {exc.strerror or exc}") from None
    return fd, info.st_size


def file_size(settings: Settings, url: str) -> int:
    """The size of a file in the file:// mirror (the HEAD request of a folder)."""
    fd, size = open_file(settings, url)
    os.close(fd)
    return size


def read_file(settings: Settings, url: str, max_bytes: int) -> bytes:
    """A small file of the file:// mirror (SHA256SUMS), at most `max_bytes`."""
    fd, size = open_file(settings, url)
    try:
        if size > max_bytes:
            raise NetError(f"{url} has {size} bytes, more than the {max_bytes} allowed")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise NetError(f"{url} has more than {max_bytes} bytes")
    return data
