"""One install: download -> verify -> extract into staging -> fix-ups -> probe -> publish.

Publishing is one ``os.rename`` of the staged interpreter tree to
``<install_dir>/<archive name without .tar.*>``; until then nothing is visible. On any failure
or cancel the staging folder is removed and existing installs are untouched.

Layout: the install folder holds the interpreter tree itself (``bin/``, ``lib/``, ...): the
content of ``python/`` for install_only archives and of ``python/install/`` for full ones (the
rest of a full archive is kept in ``.pbs-full/``), plus the receipt ``.pybs-receipt.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from ..catalog.group import (
    FilterError,
    Filters,
    Host,
    incompatibility,
    parse_request,
    uv_pick,
)
from ..catalog.models import PBS_DOWNLOAD_PREFIX, Build, Catalog
from ..catalog.names import FLAVOR_WORDS, parse_name
from ..catalog.sources import CatalogFormatError
from ..net.client import NetError, make_client
from ..net.download import download
from ..net.releases import fetch_release, fetch_sha256sums
from ..settings import Settings
from . import fixups
from .extract import TRASH_PREFIX, ExtractResult, extract_archive, remove_tree, sweep_stale
from .lock import ROOT_LOCK_TIMEOUT, build_lock, check_asset_name, install_root_lock
from .probe import PROBE_TIMEOUT, compare_probe, mismatch_error, run_probe
from .progress import InstallError, Progress, ProgressCallback, check_cancel
from .receipts import install_dir_name, read_receipt

#: Download prefixes a mirror replaces (GitHub, and astral's own copy of the releases).
MIRRORABLE_PREFIXES = (
    PBS_DOWNLOAD_PREFIX,
    "https://releases.astral.sh/github/python-build-standalone/releases/download",
)
#: Unpacked size as a multiple of the archive size, for the free-space check.
UNPACK_RATIO = {"tar.gz": 3, "tar.zst": 5}
_HASH_CHUNK = 1 << 20


class SpecError(InstallError):
    """A SPEC that names no build (bad syntax, or nothing matches); CLI exit code 2."""


@dataclass
class InstallResult:
    """A finished install (or the one found already in place)."""

    path: Path
    receipt: dict[str, Any]
    probe: dict[str, Any]
    already_installed: bool


@dataclass(frozen=True)
class Resolved:
    """A SPEC resolved: the build, and where to fetch it if not from its catalog URL."""

    build: Build
    source: str | None = None  # a URL or a local file path


# -- where the bytes come from ------------------------------------------------------------------


def mirror_url(url: str, mirror: str | None) -> str | None:
    """`url` with its PBS download prefix replaced by `mirror`, or None if not applicable."""
    if not mirror:
        return None
    for prefix in MIRRORABLE_PREFIXES:
        if url.startswith(prefix + "/"):
            return mirror.rstrip("/") + url[len(prefix) :]
    return None


def _is_url(text: str) -> bool:
    return urlsplit(text).scheme in ("http", "https")


def _local_path(text: str) -> Path:
    if urlsplit(text).scheme == "file":
        return Path(url2pathname(urlsplit(text).path))
    return Path(text).expanduser()


def _nearest_existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _human(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n}"


def check_disk(settings: Settings, build: Build, *, download_bytes: int) -> None:
    """Refuse before downloading when the disk cannot hold the download and the unpacked tree."""
    if build.size is None:
        return
    unpacked = build.size * UNPACK_RATIO.get(build.archive_format, 3)
    install_at = _nearest_existing(settings.install_dir)
    download_at = _nearest_existing(settings.downloads_dir)
    try:
        same = install_at.stat().st_dev == download_at.stat().st_dev
    except OSError:
        same = True
    needs = [(install_at, unpacked + (download_bytes if same else 0))]
    if not same and download_bytes:
        needs.append((download_at, download_bytes))
    for where, need in needs:
        try:
            free = settings.disk_usage(where).free
        except OSError:
            continue
        if free < need:
            raise InstallError(
                f"not enough disk space in {where}: need {_human(need)}, free {_human(free)}"
            )


def _hash_local(
    path: Path,
    build: Build,
    allow_unverified: bool,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> tuple[str, int, bool]:
    """(sha256, size, verified) of a local archive, checked against the catalog."""
    try:
        total = path.stat().st_size
        hasher = hashlib.sha256()
        done = 0
        with path.open("rb") as fh:
            while chunk := fh.read(_HASH_CHUNK):
                check_cancel(cancel)
                hasher.update(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(Progress("verify", done, total))
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror or exc}") from None
    digest = hasher.hexdigest()
    if build.sha256 is None:
        if not allow_unverified:
            raise InstallError(
                f"no checksum is known for {build.name}; refusing to install it "
                "unverified (use --allow-unverified to override)"
            )
        return digest, done, False
    if build.size is not None and done != build.size:
        raise InstallError(
            f"size mismatch for {path.name}: expected {build.size} bytes, got {done}"
        )
    if digest != build.sha256:
        raise InstallError(
            f"sha256 mismatch for {path.name}: expected {build.sha256}, got {digest}"
        )
    return digest, done, True


# -- the install ---------------------------------------------------------------------------------


def _existing(target: Path, build: Build) -> dict[str, Any] | None:
    """The receipt if `target` already holds this very build."""
    receipt = read_receipt(target)
    if receipt is None or receipt.get("name") != build.name:
        return None
    if build.sha256 is not None and receipt.get("sha256") != build.sha256:
        return None
    return receipt


def _check_target(target: Path, build: Build, force: bool) -> None:
    if force or not os.path.lexists(target):
        return
    receipt = read_receipt(target)
    if receipt is None:
        raise InstallError(
            f"{target} exists but is not a pybs-tui install; remove it or use --force to replace it"
        )
    raise InstallError(
        f"{target} holds a different build of {receipt.get('name', '?')} "
        f"(sha256 {str(receipt.get('sha256'))[:12]}...); use --force to "
        "replace it"
    )


def _publish(
    settings: Settings,
    root: Path,
    target: Path,
    *,
    force: bool,
    timeout: float,
    cancel: threading.Event | None,
    progress: ProgressCallback | None,
) -> None:
    with install_root_lock(settings, timeout=timeout, cancel=cancel, progress=progress):
        check_cancel(cancel)
        if not os.path.lexists(target):
            os.rename(root, target)
            return
        if not force:
            raise InstallError(f"{target} appeared while installing; nothing was changed")
        trash = settings.install_dir / f"{TRASH_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        os.rename(target, trash)
        try:
            os.rename(root, target)
        except BaseException:
            os.rename(trash, target)
            raise
        remove_tree(trash)


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
    lock_timeout: float = ROOT_LOCK_TIMEOUT,
    probe_timeout: float = PROBE_TIMEOUT,
) -> InstallResult:
    """Install one build; InstallError (one line) or Cancelled on failure, nothing left behind.

    `source` overrides where the archive comes from: a URL, or a local file path (hashed and
    checked against ``build.sha256``, never copied). Without it the catalog URL is used, with
    ``settings.mirror`` in place of the GitHub download prefix when set.
    """
    check_asset_name(build.name)
    target = settings.install_dir / install_dir_name(build.name)
    if not force:
        existing = _existing(target, build)
        if existing is not None:
            return _already(target, existing, progress)
    _check_target(target, build, force)
    check_cancel(cancel)

    settings.install_dir.mkdir(parents=True, exist_ok=True)
    with build_lock(settings, build.name, cancel=cancel, progress=progress):
        if not force:
            existing = _existing(target, build)
            if existing is not None:  # another process finished it while we waited
                return _already(target, existing, progress)
        _check_target(target, build, force)
        return _install_locked(
            settings,
            build,
            target,
            progress=progress,
            cancel=cancel,
            source=source,
            allow_unverified=allow_unverified,
            client=client,
            force=force,
            lock_timeout=lock_timeout,
            probe_timeout=probe_timeout,
        )


def _complete_from_api(
    settings: Settings, build: Build, client: httpx.Client | None, progress: ProgressCallback | None
) -> Build:
    """Fill a missing sha256/size: the release's GitHub API answer, else its SHA256SUMS.

    The release index always has digests, but a snapshot may list archives without one
    (install_only names derived from install_only_stripped ones).
    """
    if (build.sha256 and build.size is not None) or settings.offline or not build.release:
        return build
    if progress is not None:
        progress(Progress("download", message=f"asking the API for release {build.release}"))
    http = client or make_client(settings)
    try:
        found = _release_entry(http, settings, build)
        if found is not None:
            build = build.with_source(
                sha256=build.sha256 or found.sha256,
                size=build.size if build.size is not None else found.size,
            )
        if build.sha256 is None:
            build = build.with_source(sha256=_sha256sums_entry(http, settings, build))
    finally:
        if client is None:
            http.close()
    return build  # the download step says "no checksum" if it is still missing


def _release_entry(http: httpx.Client, settings: Settings, build: Build) -> Build | None:
    try:
        parsed = fetch_release(http, settings, build.release)
    except (NetError, CatalogFormatError):
        return None
    return next((b for b in parsed.builds if b.name == build.name), None)


def _sha256sums_entry(http: httpx.Client, settings: Settings, build: Build) -> str | None:
    """The build's line of its release's SHA256SUMS (from the mirror when one is set)."""
    prefix = settings.mirror or PBS_DOWNLOAD_PREFIX
    try:
        return fetch_sha256sums(http, settings, build.release, prefix).get(build.name)
    except NetError:
        return None


def _already(
    target: Path, receipt: dict[str, Any], progress: ProgressCallback | None
) -> InstallResult:
    if progress is not None:
        progress(Progress("done", message=f"already installed at {target}"))
    return InstallResult(target, receipt, dict(receipt.get("probe") or {}), True)


def _install_locked(
    settings: Settings,
    build: Build,
    target: Path,
    *,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
    source: str | None,
    allow_unverified: bool,
    client: httpx.Client | None,
    force: bool,
    lock_timeout: float,
    probe_timeout: float,
) -> InstallResult:
    local = source is not None and not _is_url(source)
    dest = settings.downloads_dir / build.name
    build = _complete_from_api(settings, build, client, progress)
    if local:
        kind, origin = "file", str(_local_path(source).absolute())  # type: ignore[arg-type]
        check_disk(settings, build, download_bytes=0)
        archive = Path(origin)
        sha256, size, verified = _hash_local(archive, build, allow_unverified, progress, cancel)
        owned = False
    else:
        if source is not None:
            kind, url = "url", source
        else:
            if not build.url:
                raise InstallError(f"no download URL is known for {build.name}")
            mirrored = mirror_url(build.url, settings.mirror)
            kind, url = ("mirror", mirrored) if mirrored else ("url", build.url)
        origin = url
        have = dest.stat().st_size if dest.is_file() else 0
        check_disk(
            settings,
            build,
            download_bytes=0 if have == build.size else max(0, (build.size or 0) - have),
        )
        own_client = client is None
        http = client or make_client(settings)
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
            )
        finally:
            if own_client:
                http.close()
        archive, sha256, size, verified = result.path, result.sha256, result.size, result.verified
        owned = True
    check_cancel(cancel)

    with install_root_lock(settings, timeout=lock_timeout, cancel=cancel, progress=progress):
        sweep_stale(settings)
    extracted: ExtractResult | None = None
    try:
        extracted = extract_archive(
            settings,
            archive,
            flavor=build.flavor if build.flavor in FLAVOR_WORDS else None,
            progress=progress,
            cancel=cancel,
        )
        root = extracted.root
        if progress is not None:
            progress(Progress("finish", message="fixing links and sysconfig paths"))
        fixups.ensure_python_links(root, build)
        fixups.patch_sysconfig(root, target)
        check_cancel(cancel)
        if progress is not None:
            progress(Progress("probe", message="running the new interpreter"))
        probe = run_probe(extracted.executable, timeout=probe_timeout, cancel=cancel)
        problems = compare_probe(build, probe)
        if problems:
            raise mismatch_error(problems)
        receipt = fixups.make_receipt(
            build,
            url=build.url or origin,
            origin=origin,
            sha256=sha256,
            size=size,
            source=kind,
            verified=verified,
            probe=probe,
            executable=extracted.executable.relative_to(root).as_posix(),
            installed_at=settings.clock(),
            layout=extracted.layout,
        )
        fixups.write_receipt(root, receipt)
        _publish(
            settings,
            root,
            target,
            force=force,
            timeout=lock_timeout,
            cancel=cancel,
            progress=progress,
        )
    except OSError as exc:
        raise InstallError(
            f"install of {build.name} failed: {exc.strerror or exc}"
            f"{' (' + str(exc.filename) + ')' if exc.filename else ''}"
        ) from None
    finally:
        if extracted is not None:
            remove_tree(extracted.staging)
    if owned:
        with contextlib.suppress(OSError):
            archive.unlink()
    if progress is not None:
        progress(Progress("done", message=f"installed at {target}"))
    return InstallResult(target, receipt, probe, False)


# -- SPEC -> Build --------------------------------------------------------------------------------

_FLAVOR_RANK = {f: i for i, f in enumerate(FLAVOR_WORDS)}  # stripped, install_only, full
_OPTION_RANK = {
    frozenset({"pgo", "lto"}): 0,
    frozenset({"pgo"}): 1,
    frozenset({"lto"}): 2,
    frozenset({"noopt"}): 3,
    frozenset(): 4,
}


def _pick_rank(b: Build) -> tuple[int, int, int, str]:
    if b.arch_level in ("", "v1"):
        level = 0  # baseline first, like uv
    elif b.arch_level[1:].isdigit():
        level = 10 - int(b.arch_level[1:])  # else the highest level this host runs
    else:
        level = 9
    opts = frozenset(b.options - {"freethreaded", "debug", "shared", "static"})
    return (level, _FLAVOR_RANK.get(b.flavor, 9), _OPTION_RANK.get(opts, 8), b.name)


def _variant_of(options: frozenset[str] | None) -> str:
    opts = options or frozenset()
    parts = [p for p in ("freethreaded", "debug") if p in opts]
    return "+".join(parts) or "default"


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
) -> Resolved:
    """Turn a SPEC into a build: asset name, URL, local archive path, or a request (3.12...).

    A request picks this host's platform and the newest matching version; without `flavor` or
    `options` the archive uv would install, else the best match (install_only_stripped >
    install_only > full; pgo+lto > pgo > lto > noopt). SpecError (one line) if nothing fits.
    """
    spec = spec.strip()
    if not spec:
        raise SpecError(
            "empty SPEC: give a version (3.12, 3.13t, 3.12.3+debug), an asset "
            "name, a URL or an archive path"
        )
    if _is_url(spec):
        name = unquote(urlsplit(spec).path.rsplit("/", 1)[-1])
        return Resolved(_build_for_name(catalog, name, spec), spec)
    path = _local_path(spec)
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

    host = host or detect_host()
    try:
        request = parse_request(spec)
    except FilterError as exc:
        raise SpecError(str(exc)) from None
    variant = request.variant or _variant_of(options)
    filters = Filters(request=request, flavor=flavor, options=options)
    matching = [
        b
        for b in catalog.builds
        if b.known
        and b.variant == variant
        and filters.match(b)
        and b.os == host.os
        and b.arch == host.arch
        and incompatibility(b, host) is None
    ]
    same_libc = [b for b in matching if b.libc == host.libc]
    candidates = same_libc or matching
    if not request.prerelease:
        finals = [b for b in candidates if b.version and not b.version.is_prerelease]
        candidates = finals or candidates
    if not candidates:
        wanted = (
            spec
            + (f" --flavor {flavor}" if flavor else "")
            + (f" --options {'+'.join(sorted(options)) or 'none'}" if options is not None else "")
        )
        raise SpecError(f"no build matches {wanted} for {host.os}-{host.arch}-{host.libc}")
    newest = max((b.version, b.release) for b in candidates)  # type: ignore[type-var]
    group = [b for b in candidates if (b.version, b.release) == newest]
    pick = None
    if flavor is None and options is None:
        pick = uv_pick(group, variant)
    if pick is None:
        pick = min(group, key=_pick_rank)
    return Resolved(pick)
