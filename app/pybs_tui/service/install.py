"""Installing, orchestrated: SPEC -> build, the install plan, and the install itself.

- `resolve_spec` turns what the user typed (a request such as 3.12 or
  cpython-3.12.3+debug-linux-aarch64-gnu, an asset name, a URL, an archive file) into a build.
- `plan_install` is the one plan the confirm dialog, `install --dry-run` and the install
  itself use: target folder, what is there already, size and disk space, checksum, uv's pick.
- `install_build` holds the build's lock, completes a missing checksum (the release's API
  answer, else its SHA256SUMS), downloads (releases.astral.sh first, then GitHub, like uv; a
  mirror replaces both) or copies a local archive into a private folder while hashing it, and
  hands the verified file to `install.pipeline.install_archive` (the file verified is the
  file used).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from ..catalog.group import FilterError, Host, parse_request
from ..catalog.index import CatalogIndex
from ..catalog.models import PBS_DOWNLOAD_PREFIX, Build, Catalog
from ..catalog.names import parse_name
from ..catalog.select import UvPicks, resolve_request, uv_key
from ..catalog.sources import CatalogFormatError
from ..feed import PartFeed
from ..fileops import HASH_CHUNK, NotARegularFile, open_regular
from ..install.extract import ExtractResult
from ..install.pipeline import (
    Fetched,
    InstallResult,
    already,
    archive_flavor,
    existing_install,
    install_archive,
    target_of,
    target_problem,
)
from ..install.probe import PROBE_TIMEOUT, ProbeLauncher
from ..install.receipts import read_receipt
from ..install.root import (
    ROOT_LOCK_TIMEOUT,
    build_lock,
    check_asset_name,
    make_staging,
    remove_tree,
)
from ..install.streaming import StreamedExtraction
from ..net.client import NetError, make_client
from ..net.download import DownloadError, download
from ..net.hosts import download_urls
from ..net.releases import fetch_release, fetch_sha256sums
from ..progress import InstallError, Progress, ProgressCallback, check_cancel
from ..settings import Settings
from ..units import format_size

#: Unpacked size as a multiple of the archive size, for the free-space check.
UNPACK_RATIO = {"tar.gz": 3, "tar.zst": 5}


class SpecError(InstallError):
    """A SPEC that names no build (bad syntax, or nothing matches); CLI exit code 2."""


@dataclass(frozen=True)
class Resolved:
    """A SPEC resolved: the build, and where to fetch it if not from its catalog URL."""

    build: Build
    source: str | None = None  # a URL or a local file path


# -- SPEC -> build ---------------------------------------------------------------------------------


def is_url(text: str) -> bool:
    """Whether a SPEC or source is an http(s) URL (a file: URL is a local path)."""
    return urlsplit(text).scheme in ("http", "https")


def local_path(text: str) -> Path:
    if urlsplit(text).scheme == "file":
        from urllib.request import url2pathname  # pulls in http.client: only when needed

        return Path(url2pathname(urlsplit(text).path))
    return Path(text).expanduser()


def resolve_with_index(
    catalog: Catalog,
    spec: str,
    host: Host,
    *,
    flavor: str | None = None,
    options: frozenset[str] | None = None,
) -> tuple[Resolved, CatalogIndex]:
    """`resolve_spec` for this host, and the index that knows the build it names.

    Most SPECs name an archive of this machine's own os, arch and libc: an index of those
    archives alone (`CatalogIndex.early`, a fifth of the catalog) gives the same pick, flags
    and fit as the whole one. A SPEC it cannot answer, or that names an archive outside it,
    is resolved again with the whole index. SpecError if neither can.
    """
    early = CatalogIndex.early(catalog, host)
    try:
        resolved = resolve_spec(
            catalog, spec, flavor=flavor, options=options, host=host, picks=early.picks
        )
        if resolved.build.name in early.by_name:
            return resolved, early
    except SpecError:
        pass
    index = CatalogIndex(catalog, host)
    resolved = resolve_spec(
        catalog, spec, flavor=flavor, options=options, host=host, picks=index.picks
    )
    return resolved, index


def _build_for_name(catalog: Catalog, name: str, what: str) -> Build:
    build = catalog.by_name.get(name)
    if build is not None:
        return build
    parsed = parse_name(name)
    if parsed is None or not parsed.known:
        raise SpecError(f"cannot tell which build {what} is: {name!r} is not a PBS archive name")
    return parsed


def resolve_spec(
    catalog: Catalog,
    spec: str,
    *,
    flavor: str | None = None,
    options: frozenset[str] | None = None,
    host: Host | None = None,
    picks: UvPicks | None = None,
) -> Resolved:
    """Turn a SPEC into a build: asset name, URL, local archive path, or a request.

    A request (3.12, 3.13t, 3.12.3+debug, cpython-3.12-macos-aarch64) takes the newest matching
    version for its platform (this host's unless it names one); without --flavor/--options
    the archive uv would download, else the best archive that has them. SpecError otherwise.
    """
    spec = spec.strip()
    if not spec:
        raise SpecError(
            "empty SPEC: give a version (3.12, 3.13t, 3.12.3+debug), an asset name, a URL or "
            "an archive path"
        )
    if is_url(spec):
        name = unquote(urlsplit(spec).path.rsplit("/", 1)[-1])
        return Resolved(_build_for_name(catalog, name, spec), spec)
    path = local_path(spec)
    looks_like_path = (
        urlsplit(spec).scheme == "file" or os.sep in spec or "/" in spec or spec.startswith("~")
    )
    if path.is_file():
        return Resolved(_build_for_name(catalog, path.name, spec), str(path.absolute()))
    if looks_like_path:
        raise SpecError(f"no such archive file: {spec}")
    if spec.startswith("cpython-") and spec.endswith((".tar.gz", ".tar.zst")):
        build = catalog.by_name.get(spec)
        if build is None:
            raise SpecError(f"no build named {spec} in the catalog; refresh it or pass a URL")
        return Resolved(build)
    from ..host import detect_host

    try:
        request = parse_request(spec)
        return Resolved(
            resolve_request(
                catalog.builds,
                request,
                host or detect_host(),
                flavor=flavor,
                options=options,
                picks=picks,
            )
        )
    except FilterError as exc:
        raise SpecError(str(exc)) from None


# -- the plan --------------------------------------------------------------------------------------


def nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def free_space(settings: Settings, path: Path | None = None) -> tuple[int | None, Path]:
    """Free bytes on the disk of `path` (default: the install dir), asked of its nearest
    existing parent; (None, where) when the system cannot tell."""
    where = nearest_existing(path or settings.install_dir)
    try:
        return int(settings.disk_usage(where).free), where
    except OSError:
        return None, where


@dataclass
class InstallPlan:
    """What an install of one build will do, worked out before anything is downloaded."""

    build: Build
    target: Path
    free: int | None  # bytes free where the install goes; None: unknown
    where: Path  # the existing folder `free` was asked of
    already: bool  # this very build is installed at target
    blocked: str = ""  # the target holds something else: why the install will stop
    uv_pick: Build | None = None  # what uv downloads for the same request, when known
    source: str | None = None  # a URL or a local file, when not the catalog's download
    download_free: int | None = None  # free bytes where downloads go, if another disk
    download_where: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def unpacked(self) -> int | None:
        """Estimated size of the unpacked tree."""
        size = self.build.size
        return None if size is None else size * UNPACK_RATIO.get(self.build.archive_format, 3)

    @property
    def need(self) -> int | None:
        """Download plus unpacked tree on the install disk (the download is deleted after)."""
        if self.unpacked is None or self.build.size is None:
            return None
        # a download sits on its own disk when that is another; a local archive's private copy
        # is made beside the installs
        download = 0 if self.download_where is not None and not self.local else self.build.size
        return self.unpacked + download

    @property
    def local(self) -> bool:
        return self.source is not None and not is_url(self.source)

    @property
    def size_text(self) -> str:
        b = self.build
        if b.size is None:
            return "? (unknown: " + self.size_reason + ")"
        return f"{format_size(b.size)} ({b.size_source or 'catalog'})"

    @property
    def size_reason(self) -> str:
        return (
            "not in the catalog; `pybs-tui sizes` fetches sizes online"
            if self.build.size is None
            else ""
        )

    def disk_problem(self) -> str:
        """Why the disk cannot take this install ('' if it can or nobody can tell)."""
        need = self.need
        if need is not None and self.free is not None and need > self.free:
            return (
                f"not enough disk space in {self.where}: need {format_size(need)}, "
                f"free {format_size(self.free)}"
            )
        size = self.build.size
        if (
            self.download_where is not None
            and not self.local
            and size is not None
            and self.download_free is not None
            and size > self.download_free
        ):
            return (
                f"not enough disk space in {self.download_where}: need {format_size(size)}, "
                f"free {format_size(self.download_free)}"
            )
        return ""

    @property
    def short_of_space(self) -> bool:
        return bool(self.disk_problem())

    def to_json(self) -> dict[str, Any]:
        b = self.build
        pick = self.uv_pick
        return {
            "name": b.name,
            "version": b.version_str,
            "variant": b.variant,
            "platform": b.platform_key,
            "flavor": b.flavor,
            "options": b.options_label if b.options_label != "-" else "",
            "release": b.release,
            "url": self.source or b.astral_url or b.url,
            "source": self.source,
            "size": b.size,
            "size_source": b.size_source or None,
            "size_unknown_because": self.size_reason or None,
            "unpacked_estimate": self.unpacked,
            "sha256": b.sha256,
            "sha256_known": b.sha256 is not None,
            "derived_name": b.derived,
            "target": str(self.target),
            "already_installed": self.already,
            "blocked": self.blocked or None,
            "free": self.free,
            "disk_problem": self.disk_problem() or None,
            "uv_request": uv_key(b),
            "uv_pick": pick.name if pick is not None else None,
            "same_as_uv": pick is not None and pick.name == b.name,
            "notes": self.notes,
        }


def plan_install(
    settings: Settings,
    build: Build,
    *,
    source: str | None = None,
    index: CatalogIndex | None = None,
    force: bool = False,
) -> InstallPlan:
    """Target, what is there, free disk (install and download disks), uv's pick."""
    target = target_of(settings, build)
    free, where = free_space(settings)
    receipt = read_receipt(target)
    is_already = existing_install(target, build) is not None and not force
    blocked = "" if is_already else target_problem(target, force)
    download_free, download_where = None, None
    dl_free, dl_where = free_space(settings, settings.downloads_dir)
    try:
        other_disk = dl_where.stat().st_dev != where.stat().st_dev
    except OSError:
        other_disk = False
    if other_disk:
        download_free, download_where = dl_free, dl_where
    pick = index.uv_choice(build) if index is not None else None
    plan = InstallPlan(
        build,
        target,
        free,
        where,
        is_already,
        blocked,
        pick,
        source,
        download_free,
        download_where,
    )
    if receipt is not None and not is_already and not blocked:
        plan.notes.append(f"{target} holds {receipt.get('name')}; --force replaces it")
    if build.sha256 is None and source is None:
        if settings.offline:
            plan.notes.append(
                "no checksum in the catalog, and offline none can be fetched: run online (the "
                "release's API answer or SHA256SUMS has it), or install from a mirror or the "
                "archive file"
            )
        else:
            plan.notes.append(
                "no checksum in the catalog: the install asks the release's API answer or "
                "SHA256SUMS for it first"
            )
    if build.derived:
        plan.notes.append(
            "this name is derived from PBS's release pattern: no source has listed it yet"
        )
    return plan


# -- the install -----------------------------------------------------------------------------------


def _complete_checksum(
    settings: Settings,
    build: Build,
    client: httpx.Client | None,
    progress: ProgressCallback | None,
) -> Build:
    """Fill a missing sha256/size: the release's GitHub API answer, else its SHA256SUMS.

    The release index always has digests, but the snapshot lists archives without one (names
    from uv's list, derived names).
    """
    if (build.sha256 and build.size is not None) or settings.offline or not build.release:
        return build
    if progress is not None:
        progress(Progress("download", message=f"asking the API for release {build.release}"))
    http = client or make_client(settings)
    try:
        try:
            listed = fetch_release(http, settings, build.release)
            found = next((b for b in listed.builds if b.name == build.name), None)
        except (NetError, CatalogFormatError):
            found = None
        if found is not None:
            build = build.with_source(  # a conflicting name needs SHA256SUMS (below)
                sha256=build.sha256 or (None if build.conflict else found.sha256),
                size=build.size if build.size is not None else found.size,
                size_source=build.size_source if build.size is not None else "GitHub API",
            )
        if build.sha256 is None:
            prefix = settings.mirror or PBS_DOWNLOAD_PREFIX
            try:
                sums = fetch_sha256sums(http, settings, build.release, prefix)
                confirmed = sums.get(build.name)
                if build.conflict and confirmed not in build.conflict:
                    confirmed = None
                build = build.with_source(sha256=confirmed)
            except NetError:
                pass
    finally:
        if client is None:
            http.close()
    return build


def _no_checksum(settings: Settings, build: Build) -> InstallError:
    if build.conflict:
        return InstallError(
            f"the sources disagree on the sha256 of {build.name} ("
            + ", ".join(d[:12] + "..." for d in build.conflict)
            + ") and the release's SHA256SUMS confirms none of them; refusing to install it"
        )
    if settings.offline:
        return InstallError(
            f"no checksum is known for {build.name} offline: the catalog online has it (run "
            "without --offline), or install from a mirror (--mirror) or from the archive file"
        )
    return InstallError(
        f"no checksum is known for {build.name} (not in the catalog, the release's API answer "
        "or its SHA256SUMS); refusing to install it unverified (--allow-unverified to override)"
    )


def _copy_local(
    settings: Settings,
    path: Path,
    build: Build,
    allow_unverified: bool,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> tuple[Fetched, Path]:
    """A local archive, read once: copied into a private folder of ours (a ``.staging-``
    folder beside the installs, swept if this process dies) while it is hashed, and checked
    against the catalog. The copy is what gets installed, so the file that was verified is
    the file that is used, whatever happens to `path` afterwards. Returns the copy and the
    folder holding it (the caller removes it)."""
    verified = build.sha256 is not None
    if not verified and not allow_unverified:
        raise InstallError(
            f"no checksum is known for {build.name}; refusing to install it unverified "
            "(--allow-unverified to override)"
        )
    holder = make_staging(settings)
    copy = holder / build.name
    try:
        digest, done = copy_hashing(path, copy, build.size, progress, cancel)
    except BaseException:
        with contextlib.suppress(OSError):
            remove_tree(holder)
        raise
    problem = ""
    if build.size is not None and done != build.size:
        problem = f"size mismatch for {path.name}: expected {build.size} bytes, got {done}"
    elif verified and digest != build.sha256:
        problem = f"sha256 mismatch for {path.name}: expected {build.sha256}, got {digest}"
    if problem:
        with contextlib.suppress(OSError):
            remove_tree(holder)
        raise InstallError(problem)
    return Fetched(copy, digest, done, verified, "file", str(path), owned=False), holder


def copy_hashing(
    path: Path,
    copy: Path,
    expected_size: int | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> tuple[str, int]:
    """Copy `path` to `copy` (a new file) through one open descriptor, hashing what is
    written; (sha256, size). Stops as soon as the file is longer than `expected_size`."""
    hasher = hashlib.sha256()
    done = 0
    try:
        src, info = open_regular(path)  # a FIFO put in the archive's place does not block
    except NotARegularFile:
        raise InstallError(f"cannot read {path}: not a regular file") from None
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(src, "rb") as reader:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            with os.fdopen(os.open(copy, flags, 0o600), "wb") as writer:
                while chunk := reader.read(HASH_CHUNK):
                    check_cancel(cancel)
                    hasher.update(chunk)
                    done += len(chunk)
                    if expected_size is not None and done > expected_size:
                        raise InstallError(
                            f"size mismatch for {path.name}: expected {expected_size} bytes, "
                            "got more"
                        )
                    writer.write(chunk)
                    if progress is not None:
                        progress(Progress("verify", done, info.st_size))
    except OSError as exc:
        raise InstallError(
            f"cannot copy {path} into {copy.parent}: {exc.strerror or exc}"
        ) from None
    return hasher.hexdigest(), done


def download_build(
    settings: Settings,
    build: Build,
    source: str | None,
    *,
    client: httpx.Client | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    allow_unverified: bool,
    feed: PartFeed | None = None,
    dest: Path | None = None,
) -> Fetched:
    """Download from each host in turn (astral's copy, then GitHub; or the mirror, or the
    given URL) until one gives the verified archive, into `dest` (default: the downloads
    cache). `feed` follows every byte (for install.streaming)."""
    if source is not None:
        candidates = [("url", source)]
    elif build.url:
        candidates = download_urls(build.url, settings)
    else:
        raise InstallError(f"no download URL is known for {build.name}")
    if build.sha256 is None and not allow_unverified:
        raise _no_checksum(settings, build)
    dest = dest or settings.downloads_dir / build.name
    http = client or make_client(settings)
    errors: list[str] = []
    try:
        for i, (kind, url) in enumerate(candidates):
            try:
                result = download(
                    http,
                    settings,
                    url,
                    dest,
                    expected_sha256=build.sha256,
                    expected_size=build.size,
                    progress=progress,
                    cancel=cancel,
                    canonical_url=url,
                    allow_unverified=allow_unverified,
                    feed=feed,
                )
            except DownloadError as exc:
                if settings.offline or i == len(candidates) - 1:
                    if errors:
                        raise DownloadError(
                            f"{exc} (tried {urlsplit(candidates[0][1]).netloc} first: {errors[0]})"
                        ) from None
                    raise
                errors.append(str(exc))
                if progress is not None:
                    host = urlsplit(candidates[i + 1][1]).netloc
                    progress(Progress("download", message=f"{exc}; trying {host}"))
                continue
            return Fetched(
                result.path, result.sha256, result.size, result.verified, kind, url, owned=True
            )
    finally:
        if client is None:
            http.close()
    raise AssertionError("unreachable")  # pragma: no cover


class ClientInAdvance:
    """The HTTP client, made in a thread of its own while the caller does other work (reads
    the catalog, resolves the SPEC, takes the lock): most of making one is OpenSSL parsing the
    CA bundle (~20 ms), which runs without the GIL, so it costs the install no wall time.

    `get` waits for it; None if making it failed (the install then makes its own, and fails
    the way it always did). `close` closes it (after `get`, or instead of it).
    """

    def __init__(self, settings: Settings) -> None:
        self._client: httpx.Client | None = None
        self._thread = threading.Thread(
            target=self._make, args=(settings,), name="pybs-client", daemon=True
        )
        self._thread.start()

    def _make(self, settings: Settings) -> None:
        with contextlib.suppress(Exception):  # raised again where the install makes its own
            self._client = make_client(settings)

    def get(self) -> httpx.Client | None:
        self._thread.join()
        return self._client

    def close(self) -> None:
        client = self.get()
        self._client = None
        if client is not None:
            client.close()


def _download_extracting(
    settings: Settings,
    build: Build,
    source: str | None,
    *,
    client: httpx.Client | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    allow_unverified: bool,
) -> tuple[Fetched, ExtractResult | None]:
    """`download_build` with the extraction following the bytes as they arrive (see
    install.streaming): the verified archive, and its staged tree when the stream gave one."""
    with StreamedExtraction(
        settings,
        settings.downloads_dir / build.name,
        flavor=archive_flavor(build),
        progress=progress,
        cancel=cancel,
    ) as streamed:
        fetched = download_build(
            settings,
            build,
            source,
            client=client,
            progress=progress,
            cancel=cancel,
            allow_unverified=allow_unverified,
            feed=streamed.feed,
        )
        return fetched, streamed.result(fetched.sha256, fetched.size)


def install_build(
    settings: Settings,
    build: Build,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    source: str | None = None,
    allow_unverified: bool = False,
    client: httpx.Client | None = None,
    force: bool = False,
    inferred: dict[str, tuple[bool | None, str]] | None = None,
    lock_timeout: float = ROOT_LOCK_TIMEOUT,
    probe_timeout: float = PROBE_TIMEOUT,
) -> InstallResult:
    """Install one build; InstallError (one line) or Cancelled on failure, nothing left behind.

    `source` overrides where the archive comes from: a URL, or a local file path (read once
    into a private copy while it is hashed, checked against ``build.sha256``; the copy is
    installed and removed, the user's file is left as it is).
    """
    check_asset_name(build.name)
    target = target_of(settings, build)
    if not force:
        receipt = existing_install(target, build)
        if receipt is not None:
            return already(target, receipt, progress)
    problem = target_problem(target, force)
    if problem:
        raise InstallError(problem)
    check_cancel(cancel)
    settings.install_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(settings, build.name, cancel=cancel, progress=progress):
        if not force:
            receipt = existing_install(target, build)
            if receipt is not None:  # another process finished it while we waited
                return already(target, receipt, progress)
        problem = target_problem(target, force)
        if problem:
            raise InstallError(problem)
        build = _complete_checksum(settings, build, client, progress)
        local = source is not None and not is_url(source)
        local_file = local_path(source).absolute() if local and source is not None else None
        plan = plan_install(settings, build, source=source, force=force)
        with ProbeLauncher() as launcher:
            return _fetch_and_install(
                settings,
                build,
                plan,
                source=source,
                local_file=local_file,
                progress=_starting(launcher, progress),
                cancel=cancel,
                allow_unverified=allow_unverified,
                client=client,
                force=force,
                inferred=inferred,
                lock_timeout=lock_timeout,
                probe_timeout=probe_timeout,
                launcher=launcher,
            )


def _starting(launcher: ProbeLauncher, progress: ProgressCallback | None) -> ProgressCallback:
    """`progress`, which also starts the probe's limiter at the first report: a download's
    first report comes once the server has answered (so the request does not share the CPU
    with the limiter's start), a local archive's with its first bytes copied. The limiter
    then starts while the bytes arrive, not after the last one."""

    def report(p: Progress) -> None:
        launcher.start()
        if progress is not None:
            progress(p)

    return report


def _fetch_and_install(
    settings: Settings,
    build: Build,
    plan: InstallPlan,
    *,
    source: str | None,
    local_file: Path | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    allow_unverified: bool,
    client: httpx.Client | None,
    force: bool,
    inferred: dict[str, tuple[bool | None, str]] | None,
    lock_timeout: float,
    probe_timeout: float,
    launcher: ProbeLauncher,
) -> InstallResult:
    """The archive (downloaded, or a local file copied), then `install_archive` (under the
    build's lock, held by the caller)."""
    holder: Path | None = None  # the private copy's folder, for a local archive
    extracted: ExtractResult | None = None  # staged while downloading
    if local_file is not None:
        space = plan.disk_problem()
        if space:
            raise InstallError(space)
        fetched, holder = _copy_local(
            settings, local_file, build, allow_unverified, progress, cancel
        )
    else:
        dest = settings.downloads_dir / build.name
        have = dest.stat().st_size if dest.is_file() else 0
        if not (build.size is not None and have == build.size):
            space = plan.disk_problem()
            if space:
                raise InstallError(space)
        fetched, extracted = _download_extracting(
            settings,
            build,
            source,
            client=client,
            progress=progress,
            cancel=cancel,
            allow_unverified=allow_unverified,
        )
    try:
        check_cancel(cancel)
        return install_archive(
            settings,
            build,
            fetched,
            progress=progress,
            cancel=cancel,
            force=force,
            inferred=inferred,
            lock_timeout=lock_timeout,
            probe_timeout=probe_timeout,
            extracted=extracted,
            launcher=launcher,
        )
    except BaseException:
        if extracted is not None:  # install_archive owns it once it runs
            with contextlib.suppress(OSError):
                remove_tree(extracted.staging)
        raise
    finally:
        if holder is not None:
            with contextlib.suppress(OSError):  # else swept once this process is gone
                remove_tree(holder)


def inferred_promises(
    index: CatalogIndex | None, build: Build
) -> dict[str, tuple[bool | None, str]]:
    """{flag: (value, source)} of the flags the catalog infers for `build` (install_only)."""
    if index is None:
        return {}
    return {f.name: (f.value, f.source) for f in index.flag_facts(build) if f.inferred}
