"""One archive on disk -> one published install: extract into staging -> fix-ups -> probe ->
publish (filesystem only; where the archive comes from is the service layer's business).

Publishing is one ``os.rename`` of the staged interpreter tree to
``<install_dir>/<archive name without .tar.*>``; until then nothing is visible. On any failure
or cancel the staging folder is removed and existing installs are untouched.

Layout: the install folder holds the interpreter tree itself (``bin/``, ``lib/``, ...): the
content of ``python/`` for install_only archives and of ``python/install/`` for full ones (the
rest of a full archive is kept in ``.pbs-full/``), plus the receipt ``.pybs-receipt.json``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog.models import Build
from ..catalog.names import FLAVOR_WORDS
from ..progress import InstallError, Progress, ProgressCallback, check_cancel
from ..settings import Settings
from ..units import shorten
from . import fixups
from .extract import ExtractResult, extract_archive
from .probe import (
    PROBE_TIMEOUT,
    ProbeCheck,
    ProbeLauncher,
    ProbeMismatch,
    probe_checks,
    run_probe,
)
from .receipts import install_dir_name, read_receipt
from .root import (
    ROOT_LOCK_TIMEOUT,
    install_root_lock,
    move_to_trash,
    remove_tree,
    sweep_stale,
)


@dataclass
class InstallResult:
    """A finished install (or the one found already in place)."""

    path: Path
    receipt: dict[str, Any]
    probe: dict[str, Any]
    already_installed: bool
    checks: list[ProbeCheck] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """Inferred promises the probe did not confirm (the install went ahead)."""
        return [c.problem for c in self.checks if c.ok is False and not c.binding]


@dataclass(frozen=True)
class Fetched:
    """The archive to install and what is known of it."""

    path: Path
    sha256: str
    size: int
    verified: bool  # False only when no checksum was known and the user allowed that
    kind: str  # "url", "mirror" or "file"
    origin: str  # the URL or the file it came from
    owned: bool  # a download of ours: deleted once installed


def archive_flavor(build: Build) -> str | None:
    """The flavor the archive's layout must match (None: not known from the name)."""
    return build.flavor if build.flavor in FLAVOR_WORDS else None


def target_of(settings: Settings, build: Build) -> Path:
    """Where `build` installs: ``<install_dir>/<archive name without .tar.*>``."""
    return settings.install_dir / install_dir_name(build.name)


def existing_install(target: Path, build: Build) -> dict[str, Any] | None:
    """The receipt if `target` already holds this very build."""
    receipt = read_receipt(target)
    if receipt is None or receipt.get("name") != build.name:
        return None
    if build.sha256 is not None and receipt.get("sha256") != build.sha256:
        return None
    return receipt


def target_problem(target: Path, force: bool) -> str:
    """Why the install would stop at `target` ('' when it would not): something else is there."""
    if force or not os.path.lexists(target):
        return ""
    receipt = read_receipt(target)
    if receipt is None:
        return (
            f"{target} exists but is not a pybs-tui install; remove it or use --force to replace it"
        )
    return (
        f"{target} holds a different build of {receipt.get('name', '?')} "
        f"(sha256 {str(receipt.get('sha256'))[:12]}...); use --force to replace it"
    )


def already(
    target: Path, receipt: dict[str, Any], progress: ProgressCallback | None
) -> InstallResult:
    if progress is not None:
        progress(Progress("done", message=f"already installed at {target}"))
    return InstallResult(target, receipt, dict(receipt.get("probe") or {}), True)


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
        trash = move_to_trash(settings, target)
        try:
            os.rename(root, target)
        except BaseException:
            os.rename(trash, target)
            raise
        with contextlib.suppress(OSError):  # a leftover is swept next time
            remove_tree(trash)


def install_archive(
    settings: Settings,
    build: Build,
    fetched: Fetched,
    *,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
    inferred: dict[str, tuple[bool | None, str]] | None = None,
    lock_timeout: float = ROOT_LOCK_TIMEOUT,
    probe_timeout: float = PROBE_TIMEOUT,
    extracted: ExtractResult | None = None,
    launcher: ProbeLauncher | None = None,
) -> InstallResult:
    """Extract, fix up, probe and publish a verified archive; InstallError (one line) or
    Cancelled on failure, nothing left behind. `inferred` holds the catalog's inferred flags
    (see probe_checks). `extracted` is the archive already staged from exactly these verified
    bytes (see install.streaming); this call then owns it. `launcher`: the probe's limiter,
    started while the archive downloaded (see probe.ProbeLauncher)."""
    target = target_of(settings, build)
    try:
        with install_root_lock(settings, timeout=lock_timeout, cancel=cancel, progress=progress):
            sweep_stale(settings)
        if extracted is None:
            extracted = extract_archive(
                settings,
                fetched.path,
                flavor=archive_flavor(build),
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
        probe = run_probe(
            extracted.executable,
            timeout=probe_timeout,
            cancel=cancel,
            scratch_in=extracted.staging,
            launcher=launcher,
        )
        checks = probe_checks(build, probe, inferred)
        if any(c.failed for c in checks):
            raise ProbeMismatch(checks)
        receipt = fixups.make_receipt(
            build,
            url=build.url or fetched.origin,
            origin=fetched.origin,
            sha256=fetched.sha256,
            size=fetched.size,
            source=fetched.kind,
            verified=fetched.verified,
            probe=probe,
            executable=extracted.executable.relative_to(root).as_posix(),
            installed_at=settings.clock(),
            layout=extracted.layout,
        )
        receipt["checks"] = [c.to_json() for c in checks]
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
        where = f" ({shorten(os.fspath(exc.filename), 160)})" if exc.filename else ""
        raise InstallError(
            f"install of {build.name} failed: {exc.strerror or exc}{where}"
        ) from None
    finally:
        if extracted is not None:
            with contextlib.suppress(OSError):
                remove_tree(extracted.staging)
    if fetched.owned:
        with contextlib.suppress(OSError):
            fetched.path.unlink()
    if progress is not None:
        progress(Progress("done", message=f"installed at {target}"))
    return InstallResult(target, receipt, probe, False, checks)
