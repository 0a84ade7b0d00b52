"""Export archives into a folder that works as a mirror where there is no network.

The folder is laid out like the release downloads, ``DIR/<tag>/<name>``, and holds three
kinds of index, all rebuilt from what the folder really holds after every archive:

- ``DIR/<tag>/SHA256SUMS``: ``<sha256>  <name>`` for every archive of that release in DIR;
- ``DIR/pybs-catalog.json``: a pybs-tui snapshot (sha256 and size per archive) for
  ``pybs-tui --catalog DIR/pybs-catalog.json ... --mirror file://DIR``;
- ``DIR/download-metadata.json``: uv's download-metadata.json format (one archive per uv key,
  picked by uv's rules) for ``UV_PYTHON_DOWNLOADS_JSON_URL=DIR/download-metadata.json
  UV_PYTHON_INSTALL_MIRROR=file://DIR uv python install ...``.

An archive is downloaded with `net.download.download` straight into its place: bytes go to
``<name>.part`` (resumable by a later export into the same DIR) and become ``<name>`` only once
size and sha256 check out. An archive is listed only if its file is there, is a regular file,
and hashes to a sha256 recorded for it (by the earlier indexes of DIR, the catalog, or this
export); anything else in DIR is left alone and reported, never listed. Index files are
written atomically, after the archive is in place. One export at a time per DIR (a lock file).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import filelock
import httpx

from ..catalog import jsonsafe, sources
from ..catalog.group import FilterError, Host, parse_request
from ..catalog.models import Build, Catalog
from ..catalog.names import parse_name
from ..catalog.select import UvPicks, uv_picks
from ..fileops import atomic_write, hash_file
from ..host import detect_host
from ..install.root import check_asset_name
from ..net.client import NetError, make_client
from ..net.hosts import download_urls, tail_of
from ..net.releases import fetch_sha256sums
from ..progress import InstallError, Progress, ProgressCallback, check_cancel
from ..settings import Settings
from ..units import format_size
from .install import SpecError, copy_hashing, download_build, resolve_spec

CATALOG_NAME = "pybs-catalog.json"
UV_METADATA_NAME = "download-metadata.json"
SUMS_NAME = "SHA256SUMS"
LOCK_NAME = ".pybs-export.lock"
#: Bytes any index file of DIR may have when it is read back.
MAX_INDEX_BYTES = 64 * 1024**2
_TAG = re.compile(r"\d{8}\Z")
#: uv's arch family words where PBS's triple says otherwise.
_UV_FAMILY = {"ppc64le": "powerpc64le"}


class MirrorError(InstallError):
    """An export that cannot go on; str() is one line for the user."""


@dataclass(frozen=True)
class Exported:
    """One archive this export was asked for, and what became of it."""

    build: Build
    path: Path
    sha256: str
    size: int
    #: "downloaded", "copied" (an archive file on disk), "checked" (a file put into DIR by
    #: hand, now verified) or "kept" (listed in DIR already with the right sha256)
    action: str
    verified: bool  # False: no published sha256; the one recorded was computed here
    source: str  # the URL it came from ('' when kept)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.build.name,
            "release": self.build.release,
            "path": str(self.path),
            "sha256": self.sha256,
            "size": self.size,
            "action": self.action,
            "verified": self.verified,
            "source": self.source or None,
        }


@dataclass
class Listing:
    """What DIR holds and may be trusted: archives by name, and files set aside (and why)."""

    builds: dict[str, Build] = field(default_factory=dict)  # with sha256 and size
    skipped: dict[str, str] = field(default_factory=dict)  # '<tag>/<name>' -> why not listed
    published: dict[str, str] = field(default_factory=dict)  # tag -> ISO date, where known

    def add(self, build: Build) -> None:
        self.builds[build.name] = build
        self.skipped.pop(f"{build.release}/{build.name}", None)

    def by_tag(self) -> dict[str, list[Build]]:
        out: dict[str, list[Build]] = {}
        for build in sorted(self.builds.values(), key=lambda b: b.name):
            out.setdefault(build.release, []).append(build)
        return dict(sorted(out.items()))


@dataclass
class ExportResult:
    folder: Path
    exported: list[Exported]
    listing: Listing
    written: list[Path]  # index files written (each SHA256SUMS, the catalog, uv's file)

    @property
    def catalog_path(self) -> Path:
        return self.folder / CATALOG_NAME

    @property
    def uv_path(self) -> Path:
        return self.folder / UV_METADATA_NAME

    @property
    def uv_names(self) -> list[str]:
        """The archives uv's file lists (one per uv key; uv offers some builds not at all)."""
        picks = uv_picks(self.listing.builds.values()).by_key.values()
        return sorted(b.name for b in picks)

    def to_json(self) -> dict[str, Any]:
        return {
            "folder": str(self.folder),
            "uv_lists": self.uv_names,
            "exported": [e.to_json() for e in self.exported],
            "written": [str(p) for p in self.written],
            "catalog": str(self.catalog_path),
            "uv_downloads_json": str(self.uv_path),
            "listed": [
                {"name": b.name, "release": b.release, "sha256": b.sha256, "size": b.size}
                for tag_builds in self.listing.by_tag().values()
                for b in tag_builds
            ],
            "skipped": [
                {"path": path, "reason": why} for path, why in sorted(self.listing.skipped.items())
            ],
        }


# -- which archives ----------------------------------------------------------------------------


def platform_host(
    os_name: str | None, arch: str | None, libc: str | None, base: Host | None = None
) -> Host:
    """The machine an export is for: this one's words where none are given. Another os or
    arch takes that platform's usual libc (gnu on Linux, none on macOS, msvc on Windows)."""
    base = base or detect_host()
    words = [w.lower() for w in (os_name, arch, libc) if w]
    try:
        request = parse_request("3-" + "-".join(words)) if words else None
    except FilterError as exc:
        raise SpecError(str(exc).replace("'3-", "'")) from None
    if request is None:
        return base
    target_os = request.os or base.os
    target_arch = request.arch or base.arch
    same = (target_os, target_arch) == (base.os, base.arch)
    default_libc = {"linux": "gnu", "darwin": "none", "windows": "msvc"}.get(target_os, "none")
    target_libc = request.libc or (base.libc if same else default_libc)
    level = int(request.level[1:]) if request.level else (base.level if same else 1)
    return Host(target_os, target_arch, target_libc, level, musl_loader=False)


def catalog_platforms(catalog: Catalog) -> list[Host]:
    """Every (os, arch, libc) the catalog has a build for, as baseline machines."""
    seen = {(b.os, b.arch, b.libc) for b in catalog.builds if b.known}
    return [Host(o, a, c) for o, a, c in sorted(seen)]


def resolve_exports(
    catalog: Catalog,
    specs: Sequence[str],
    hosts: Sequence[Host],
    *,
    flavor: str | None = None,
    options: frozenset[str] | None = None,
    picks: UvPicks | None = None,
) -> list[tuple[Build, str | None]]:
    """Each SPEC resolved as `install` resolves it, for each of `hosts`; (build, source): the
    source is None (the catalog's URL), a URL, or the path of an archive file on disk.

    A SPEC that has no build for some of `hosts` is skipped there, and is an error only when
    none has one.
    """
    picks = picks if picks is not None else uv_picks(catalog.builds)
    out: dict[str, tuple[Build, str | None]] = {}
    for spec in specs:
        found = 0
        errors: list[str] = []
        for host in hosts:
            try:
                resolved = resolve_spec(
                    catalog, spec, flavor=flavor, options=options, host=host, picks=picks
                )
            except SpecError as exc:
                errors.append(str(exc))
                continue
            found += 1
            out.setdefault(resolved.build.name, (resolved.build, resolved.source))
        if not found:
            raise SpecError(errors[0] if len(errors) == 1 else f"no build matches {spec} on any "
                            "platform of the catalog")  # fmt: skip
    return list(out.values())


# -- the folder --------------------------------------------------------------------------------


def check_folder(folder: Path) -> Path:
    """The export folder, absolute; MirrorError if it is not a folder or cannot be made."""
    folder = Path(folder).expanduser().absolute()
    probe = folder
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    if not probe.is_dir():
        raise MirrorError(f"cannot export into {folder}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise MirrorError(f"cannot export into {folder}: {probe} is not writable")
    return folder


@contextlib.contextmanager
def _export_lock(folder: Path) -> Iterator[None]:
    """One export at a time into a folder (a second one is refused, not queued)."""
    lock = filelock.FileLock(folder / LOCK_NAME)
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        raise MirrorError(f"another export into {folder} is running") from None
    try:
        yield
    finally:
        lock.release()


def _read_small(path: Path) -> bytes | None:
    """An index file of DIR (a regular file, not a link, at most MAX_INDEX_BYTES); None if
    there is none or it cannot be used."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return None
        data = fh.read(MAX_INDEX_BYTES + 1)
    return None if len(data) > MAX_INDEX_BYTES else data


def _recorded(folder: Path) -> tuple[dict[str, set[str]], dict[str, Build], dict[str, str]]:
    """The sha256 DIR's own indexes record per name (SHA256SUMS, the catalog, uv's file),
    the catalog's builds (their marks), and its release dates."""
    digests: dict[str, set[str]] = {}
    catalog_builds: dict[str, Build] = {}
    published: dict[str, str] = {}
    data = _read_small(folder / CATALOG_NAME)
    if data is not None:
        with contextlib.suppress(sources.CatalogFormatError, ValueError):
            parsed = sources.parse_any(data)
            published.update(parsed.published)
            for b in parsed.builds:
                catalog_builds[b.name] = b
                if b.sha256:
                    digests.setdefault(b.name, set()).add(b.sha256)
    data = _read_small(folder / UV_METADATA_NAME)
    if data is not None:
        with contextlib.suppress(ValueError):
            entries = jsonsafe.loads(data)
            for entry in entries.values() if isinstance(entries, dict) else ():
                if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                    continue
                tail = tail_of(entry["url"])
                sha = sources.clean_sha256(entry.get("sha256"))
                if tail and sha:
                    digests.setdefault(unquote(tail.rsplit("/", 1)[-1]), set()).add(sha)
    for tag_dir in _tag_dirs(folder):
        data = _read_small(tag_dir / SUMS_NAME)
        if data is not None:
            for name, sha in sources.parse_sha256sums(data.decode("utf-8", "replace")).items():
                digests.setdefault(name, set()).add(sha)
    return digests, catalog_builds, published


def _tag_dirs(folder: Path) -> list[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return sorted(
        Path(e.path) for e in entries if _TAG.match(e.name) and e.is_dir(follow_symlinks=False)
    )


def _archive_of(name: str, tag: str) -> Build | None:
    """The build a file name in DIR/<tag>/ stands for, or None (not an archive of ours)."""
    if name.startswith(".") or not name.endswith((".tar.gz", ".tar.zst")):
        return None
    build = parse_name(name, release=tag)
    if build is None or not build.known:
        return None
    if not build.release:
        build = replace(build, release=tag)
    return build if build.release == tag else None


def scan(
    folder: Path,
    known: dict[str, Build] | None = None,
    cancel: threading.Event | None = None,
    progress: ProgressCallback | None = None,
) -> Listing:
    """What DIR holds that may be listed: every archive file whose sha256 matches one
    recorded for it (DIR's own indexes, or `known`: the catalog's builds by name)."""
    digests, catalog_builds, published = _recorded(folder)
    listing = Listing(published=published)
    for tag_dir in _tag_dirs(folder):
        try:
            names = sorted(os.listdir(tag_dir))
        except OSError:
            continue
        for name in names:
            build = _archive_of(name, tag_dir.name)
            if build is None:
                continue
            where = f"{tag_dir.name}/{name}"
            recorded = set(digests.get(name, ()))
            if known and name in known and known[name].sha256:
                recorded.add(known[name].sha256 or "")
            if not recorded:
                listing.skipped[where] = "no sha256 is recorded for it anywhere"
                continue
            path = tag_dir / name
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    listing.skipped[where] = "not a regular file"
                    continue
                if progress is not None:
                    progress(Progress("check", message=f"checking {where}"))
                digest, size = hash_file(path, cancel)
            except OSError as exc:
                listing.skipped[where] = f"cannot read it: {exc.strerror or exc}"
                continue
            if digest not in recorded:
                listing.skipped[where] = "its sha256 no longer matches the one recorded"
                continue
            old = catalog_builds.get(name) or (known or {}).get(name)
            uv_listed = bool(old and old.uv_listed)
            listing.add(
                replace(
                    build,
                    url=sources.asset_url(tag_dir.name, name),
                    sha256=digest,
                    size=size,
                    size_source="file size in the mirror",
                    uv_listed=uv_listed,
                )
            )
    return listing


# -- the index files ---------------------------------------------------------------------------


def uv_entry(build: Build) -> tuple[str, dict[str, Any]]:
    """(key, entry) of uv's download-metadata.json for one archive."""
    assert build.version is not None
    level = build.arch_level if build.arch_level not in ("", "v1") else None
    family = _UV_FAMILY.get(build.arch, build.arch)
    libc = build.libc if build.os == "linux" else "none"
    variant = None if build.variant == "default" else build.variant
    suffix = f"+{variant}" if variant else ""
    arch_word = family + (f"_{level}" if level else "")
    key = f"cpython-{build.version}{suffix}-{build.os}-{arch_word}-{libc}"
    return key, {
        "name": "cpython",
        "arch": {"family": family, "variant": level},
        "os": build.os,
        "libc": libc,
        "major": build.version.major,
        "minor": build.version.minor,
        "patch": build.version.patch,
        "prerelease": build.version.prerelease,
        "url": sources.asset_url(build.release, build.name),
        "sha256": build.sha256,
        "variant": variant,
        "build": build.release,
    }


def uv_metadata(builds: Iterable[Build]) -> dict[str, dict[str, Any]]:
    """uv's download-metadata.json for these archives: uv's own pick for each of its keys
    (one archive per version, platform and variant), newest version first."""
    picks = uv_picks(builds).by_key.values()
    entries = dict(uv_entry(b) for b in picks if b.version is not None)
    order = sorted(
        entries.items(),
        key=lambda kv: (
            -kv[1]["major"],
            -kv[1]["minor"],
            -kv[1]["patch"],
            kv[1]["prerelease"] == "",
            kv[0],
        ),
    )
    return dict(order)


def sums_text(builds: Iterable[Build]) -> str:
    return "".join(f"{b.sha256}  {b.name}\n" for b in sorted(builds, key=lambda b: b.name))


def write_indexes(folder: Path, listing: Listing, now: dt.datetime | None = None) -> list[Path]:
    """Rewrite DIR's indexes from `listing`, each in one step: SHA256SUMS of every release
    folder (emptied where nothing is listed any more), uv's file, then the catalog."""
    written = []
    by_tag = listing.by_tag()
    for tag_dir in _tag_dirs(folder):
        if tag_dir.name not in by_tag and (tag_dir / SUMS_NAME).exists():
            atomic_write(tag_dir / SUMS_NAME, b"")
            written.append(tag_dir / SUMS_NAME)
    for tag, builds in by_tag.items():
        path = folder / tag / SUMS_NAME
        atomic_write(path, sums_text(builds).encode())
        written.append(path)
    uv = uv_metadata(listing.builds.values())
    atomic_write(folder / UV_METADATA_NAME, (json.dumps(uv, indent=2) + "\n").encode())
    written.append(folder / UV_METADATA_NAME)
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S")
    parsed = sources.Parsed(list(listing.builds.values()), [], dict(listing.published))
    payload = sources.snapshot_payload(parsed, when, ["pybs-tui mirror export"])
    payload["sizes"] = sources.MIRROR_SIZES
    atomic_write(folder / CATALOG_NAME, (json.dumps(payload, indent=1) + "\n").encode())
    written.append(folder / CATALOG_NAME)
    return written


# -- the export --------------------------------------------------------------------------------


def _complete_checksums(
    settings: Settings, builds: list[tuple[Build, str | None]], http: httpx.Client
) -> list[tuple[Build, str | None]]:
    """A missing sha256 from the SHA256SUMS beside the archive where it downloads from
    (the mirror's, astral's copy, or the folder of the URL given)."""
    sums: dict[str, dict[str, str]] = {}
    out: list[tuple[Build, str | None]] = []
    for build, source in builds:
        if source is not None and not _is_url(source):
            out.append((build, source))  # a file on disk: its sha256 comes from the catalog
            continue
        urls = [source] if source else [u for _, u in download_urls(build.url, settings)]
        folder_url, _, _ = (urls[0] if urls else "").rpartition("/")
        prefix, _, tag = folder_url.rpartition("/")
        if build.sha256 is None and tag == build.release and prefix and not settings.offline:
            if folder_url not in sums:
                try:
                    sums[folder_url] = fetch_sha256sums(http, settings, tag, prefix)
                except NetError:
                    sums[folder_url] = {}
            confirmed = sums[folder_url].get(build.name)
            if confirmed and (not build.conflict or confirmed in build.conflict):
                build = build.with_source(sha256=confirmed)
        out.append((build, source))
    return out


def _fetch_one(
    settings: Settings,
    http: httpx.Client,
    build: Build,
    source: str | None,
    dest: Path,
    allow_unverified: bool,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> tuple[Path, str, int, bool, str, str]:
    """Download into `dest` from each host in turn (or copy the archive file `source`);
    (path, sha256, size, verified, where from, what was done)."""
    if source is not None and not _is_url(source):
        return _copy_file(Path(source), dest, build, progress, cancel)
    fetched = download_build(
        settings,
        build,
        source,
        client=http,
        progress=progress,
        cancel=cancel,
        allow_unverified=allow_unverified,
        dest=dest,
    )
    return (
        fetched.path,
        fetched.sha256,
        fetched.size,
        fetched.verified,
        fetched.origin,
        "downloaded",
    )


def _check_space(
    settings: Settings,
    folder: Path,
    todo: Sequence[tuple[Build, str | None]],
    listing: Listing,
) -> None:
    """MirrorError when the archives still to download (of known size) do not fit in DIR."""
    need = 0
    for build, _ in todo:
        listed = listing.builds.get(build.name)
        if build.size is None or (listed is not None and listed.sha256 == build.sha256):
            continue
        part = folder / build.release / (build.name + ".part")
        with contextlib.suppress(OSError):
            need -= min(part.stat().st_size, build.size)  # a resumed part needs the rest
        need += build.size
    try:
        free = int(settings.disk_usage(folder).free)
    except OSError:
        return
    if need > free:
        raise MirrorError(
            f"not enough disk space in {folder}: need {format_size(need)}, free {format_size(free)}"
        )


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://", "file:"))


def _copy_file(
    path: Path,
    dest: Path,
    build: Build,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> tuple[Path, str, int, bool, str, str]:
    """An archive file on disk into `dest` like a download: read once through one
    descriptor into ``<name>.part`` while hashed, checked against the catalog's size and
    sha256, then renamed. A file already at `dest` is only checked."""
    expected = build.sha256
    part = dest.with_name(dest.name + ".part")
    with contextlib.suppress(OSError):
        if dest.exists() and os.path.samefile(path, dest):
            digest, size = hash_file(dest, cancel)
            _check_copy(build, digest, size)
            return dest, digest, size, expected is not None, str(path), "checked"
    dest.parent.mkdir(parents=True, exist_ok=True)
    part.unlink(missing_ok=True)
    try:
        digest, size = copy_hashing(path, part, build.size, progress, cancel)
        with part.open("rb+") as out:
            os.fsync(out.fileno())
        _check_copy(build, digest, size)
        os.replace(part, dest)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise MirrorError(f"cannot copy {path} to {dest}: {exc.strerror or exc}") from None
        raise
    return dest, digest, size, expected is not None, str(path), "copied"


def _check_copy(build: Build, digest: str, size: int) -> None:
    if build.size is not None and size != build.size:
        raise MirrorError(
            f"size mismatch for {build.name}: expected {build.size} bytes, got {size}"
        )
    if build.sha256 is not None and digest != build.sha256:
        raise MirrorError(
            f"sha256 mismatch for {build.name}: expected {build.sha256}, got {digest}"
        )


def _labelled(callback: ProgressCallback | None, label: str) -> ProgressCallback | None:
    if callback is None:
        return None

    def report(p: Progress) -> None:
        callback(replace(p, message=f"{label} {p.message}".strip()))

    return report


def export(
    settings: Settings,
    folder: Path,
    builds: Sequence[tuple[Build, str | None]],
    *,
    known: dict[str, Build] | None = None,
    published: dict[str, str] | None = None,
    allow_unverified: bool = False,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    client: httpx.Client | None = None,
) -> ExportResult:
    """Download `builds` ((build, source URL or None) pairs) into `folder` and rewrite its
    indexes after each one. `known`: the catalog's builds by name (a file in DIR with their
    sha256 is listed too); `published`: release dates for the catalog file.

    MirrorError/DownloadError (one line) or Cancelled on failure: archives finished before
    stay listed; the one in progress never gets its final name (its ``.part`` file is kept
    after a dropped connection, for the next export to resume, and removed otherwise)."""
    folder = check_folder(folder)
    for build, _ in builds:
        check_asset_name(build.name)
        if not _TAG.match(build.release):
            raise MirrorError(f"{build.name}: no release tag is known, so it has no place in DIR")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MirrorError(f"cannot create {folder}: {exc.strerror or exc}") from None
    http = client or make_client(settings)
    try:
        with _export_lock(folder):
            todo = _complete_checksums(settings, list(builds), http)
            missing = [b.name for b, _ in todo if b.sha256 is None]
            if missing and not allow_unverified:
                raise MirrorError(
                    f"no sha256 is known for {missing[0]}"
                    + (f" and {len(missing) - 1} more" if len(missing) > 1 else "")
                    + "; refusing to export unverified archives (--allow-unverified records the "
                    "sha256 of what is downloaded)"
                )
            listing = scan(folder, known, cancel, progress)
            for tag, when in (published or {}).items():
                if any(b.release == tag for b, _ in todo):
                    listing.published.setdefault(tag, when)
            _check_space(settings, folder, todo, listing)
            now = dt.datetime.fromtimestamp(settings.clock(), dt.UTC)
            written: set[Path] = set()
            exported: list[Exported] = []
            for n, (build, source) in enumerate(todo, 1):
                check_cancel(cancel)
                dest = folder / build.release / build.name
                if dest.parent.is_symlink() or (dest.parent.exists() and not dest.parent.is_dir()):
                    raise MirrorError(f"{dest.parent} is not a folder of DIR (a link or a file)")
                label = f"[{n}/{len(todo)}] {build.name}"
                listed = listing.builds.get(build.name)
                if listed is not None and build.sha256 in (None, listed.sha256):
                    exported.append(
                        Exported(
                            listed,
                            dest,
                            listed.sha256 or "",
                            listed.size or 0,
                            "kept",
                            build.sha256 is not None,
                            "",
                        )
                    )
                    continue
                path, digest, size, verified, url, action = _fetch_one(
                    settings,
                    http,
                    build,
                    source,
                    dest,
                    allow_unverified,
                    _labelled(progress, label),
                    cancel,
                )
                entry = replace(
                    build,
                    url=sources.asset_url(build.release, build.name),
                    sha256=digest,
                    size=size,
                    size_source="file size in the mirror",
                    conflict=(),
                    derived=False,
                )
                listing.add(entry)
                written.update(write_indexes(folder, listing, now))
                exported.append(Exported(entry, path, digest, size, action, verified, url))
            written.update(write_indexes(folder, listing, now))
    finally:
        if client is None:
            http.close()
    return ExportResult(folder, exported, listing, sorted(written))
