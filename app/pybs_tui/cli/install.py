"""`pybs-tui install SPEC`: download, verify, extract, probe and publish one build."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..progress import Cancelled, InstallError, Progress, Throttle
from ..units import format_size, printable

if TYPE_CHECKING:  # httpx, the catalog and the install code: only when `install` runs
    from ..catalog.index import CatalogIndex
    from ..catalog.models import Build, Catalog
    from ..install.pipeline import InstallResult
    from ..service.install import ClientInAdvance
    from ..settings import Settings

from .common import (
    UserError,
    add_archive_options,
    add_catalog_options,
    add_json_option,
    catalog_from_args,
    note,
    print_json,
    settings_from_args,
    stderr_console,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "install",
        help="install a PBS build (verified, probed, published atomically)",
        description="Install a python-build-standalone archive into pybs-tui's own folder. "
        "SPEC is a version request (3.12, 3.12.3, 3.13t, 3.12.3+debug), an asset "
        "file name, a URL, or the path of an archive on disk.",
    )
    p.add_argument("spec", metavar="SPEC", help="version request, asset name, URL or file")
    add_archive_options(
        p, unverified_help="install even when no sha256 is known (the receipt says so)"
    )
    p.add_argument(
        "--force", action="store_true", help="reinstall or replace what is in the install folder"
    )
    p.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help="say what would be installed (archive, size, checksum, target, uv's pick); "
        "download and write nothing",
    )
    add_catalog_options(p)
    add_json_option(p)
    p.set_defaults(func=run)


class InstallProgress:
    """Install progress on stderr: a rich bar (bytes, rate, ETA) on a terminal, one plain line
    per phase in a pipe, nothing with --json unless stderr is a terminal.

    The bar (and rich, ~40 ms of imports) is made at the first report, not before the install
    starts: the first report of a download comes once the server has answered, so the request
    goes out without waiting for rich (a report before it, such as a wait for a lock, makes
    the bar at once)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.lock = threading.Lock()
        self.phase = ""
        self.bar: Any = None
        self.task: Any = None
        self.throttle = Throttle()
        self.terminal = enabled and sys.stderr.isatty()
        self.closed = False

    def _start_bar(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        self.bar = RichProgress(
            TextColumn("{task.fields[phase]:<8}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.description}", markup=False),  # paths, server text
            console=stderr_console(),
            transient=True,
        )
        self.task = self.bar.add_task("", total=None, phase="start")
        self.bar.start()

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        with self.lock:
            if self.terminal:
                if self.closed:
                    return
                if self.bar is None:
                    self._start_bar()
                if not self.throttle.ready(p.phase, p.message):
                    return
                self.bar.update(
                    self.task,
                    completed=p.done,
                    total=p.total,
                    phase=p.phase,
                    description=printable(p.message),
                )
            elif p.phase != self.phase:
                self.phase = p.phase
                message = f"  {printable(p.message)}" if p.message else ""
                print(f"{p.phase}{message}", file=sys.stderr, flush=True)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            if self.bar is not None:
                self.bar.stop()
                self.bar = None


def _run_cancellable(func: Any, cancel: threading.Event) -> InstallResult:
    """Run the install in a worker thread; Ctrl-C (or SIGTERM, or anything else raised in this
    thread) sets `cancel` and waits for the worker's cleanup (staging, the probe's process
    group) before it propagates.

    The wait is on an Event the worker sets last, never on Thread.join: on Python 3.11 and
    3.12 a join interrupted by KeyboardInterrupt marks the live thread as stopped, and the
    interpreter would then exit under the worker's feet.
    """
    box: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            box["result"] = func()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc
        finally:
            finished.set()

    worker = threading.Thread(target=work, name="pybs-install")
    with _sigterm_interrupts():
        worker.start()
        try:
            while not finished.wait(0.2):
                pass
        except BaseException:
            cancel.set()
            _wait_out(finished)
            raise
    if "error" in box:
        raise box["error"]
    return box["result"]


def _wait_out(finished: threading.Event) -> None:
    """Wait for the worker's cleanup; another Ctrl-C meanwhile does not cut it short."""
    while True:
        try:
            if finished.wait(0.2):
                return
        except KeyboardInterrupt:
            continue


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt here while the install runs, so it cleans up like
    Ctrl-C; only when nobody else handles SIGTERM (and only in the main thread)."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run(args: argparse.Namespace) -> int:
    from ..catalog.group import FilterError, normalise_flavor, parse_options
    from ..service.install import ClientInAdvance

    try:
        flavor = normalise_flavor(args.flavor) if args.flavor else None
        options = parse_options(args.options) if args.options is not None else None
    except FilterError as exc:
        raise UserError(str(exc)) from None
    settings = settings_from_args(args)
    # the HTTP client's TLS set-up runs beside reading the catalog and resolving the SPEC
    client = None if args.dry_run else ClientInAdvance(settings)
    try:
        return _install(args, settings, flavor, options, client)
    finally:
        if client is not None:
            client.close()


def _install(
    args: argparse.Namespace,
    settings: Settings,
    flavor: str | None,
    options: frozenset[str] | None,
    client: ClientInAdvance | None,
) -> int:
    from ..host import detect_host
    from ..service.install import SpecError, inferred_promises, install_build, resolve_with_index

    catalog = catalog_from_args(args, settings)
    host = detect_host()
    try:
        resolved, index = resolve_with_index(
            catalog, args.spec, host, flavor=flavor, options=options
        )
    except SpecError as exc:
        raise UserError(str(exc), 2) from None
    build = index.by_name.get(resolved.build.name, resolved.build)
    reason = index.reason.get(build.name) if build.name in index.by_name else None
    if reason and not args.dry_run:
        raise UserError(f"{build.name} cannot run on this machine: {reason}", 2)
    if args.dry_run:
        return _dry_run(args, settings, catalog, index, build, resolved.source)
    if not args.json:
        note(f"installing {build.name}")
    progress = InstallProgress(enabled=not args.json or sys.stderr.isatty())
    cancel = threading.Event()
    try:
        result = _run_cancellable(
            lambda: install_build(
                settings,
                build,
                progress=progress,
                cancel=cancel,
                source=resolved.source,
                allow_unverified=args.allow_unverified,
                force=args.force,
                inferred=inferred_promises(index, build),
                client=client.get() if client is not None else None,
            ),
            cancel,
        )
    except Cancelled:
        progress.close()
        raise KeyboardInterrupt from None
    except InstallError as exc:
        progress.close()
        raise UserError(str(exc), 1) from None
    progress.close()
    if args.json:
        print_json(
            {
                "path": str(result.path),
                "receipt": result.receipt,
                "probe": result.probe,
                "checks": [c.to_json() for c in result.checks],
                "warnings": result.warnings,
                "already_installed": result.already_installed,
            }
        )
        return 0
    if result.already_installed:
        print(f"{build.name} is already installed at {printable(result.path)}")
        return 0
    print(f"installed {build.name} at {printable(result.path)}")
    checks = ", ".join(
        f"{c.flag}={c.found}" + ("" if c.ok is None else " ✓" if c.ok else " ✗")
        for c in result.checks
        if c.flag != "abiflags"
    )
    unverified = "" if result.receipt.get("verified") else " (UNVERIFIED: no checksum)"
    print(printable(f"probe: {checks}{unverified}"))  # what the interpreter answered
    for warning in result.warnings:
        note(f"warning: {warning} (the catalog inferred it; the install went ahead)")
    return 0


def _dry_run(
    args: argparse.Namespace,
    settings: Settings,
    catalog: Catalog,
    index: CatalogIndex,
    build: Build,
    source: str | None,
) -> int:
    """What the install would do; nothing is downloaded or written."""
    from ..catalog.select import uv_key
    from ..service.install import plan_install
    from .sizes import fill_sizes

    build = fill_sizes(settings, catalog, [build], quiet=True)[0]
    plan = plan_install(settings, build, source=source, index=index, force=args.force)
    data = plan.to_json()
    if args.json:
        print_json(data)
        return 0
    lines = [
        ("archive", build.name),
        ("size", plan.size_text),
        ("sha256", build.sha256 or "unknown: " + (plan.notes[0] if plan.notes else "")),
        ("target", str(plan.target) + (" (installed already)" if plan.already else "")),
        ("free", f"{format_size(plan.free)} on {plan.where}"),
    ]
    if plan.blocked:
        lines.append(("blocked", plan.blocked))
    if plan.disk_problem():
        lines.append(("disk", plan.disk_problem()))
    pick = plan.uv_pick
    if pick is not None and pick.name != build.name:
        lines.append(("uv picks", f"{pick.name} for `uv python install {uv_key(build)}`"))
    elif pick is not None:
        lines.append(("uv picks", f"the same archive (`uv python install {uv_key(build)}`)"))
    width = max(len(k) for k, _ in lines)
    for key, value in lines:
        print(f"{key:<{width}}  {printable(value)}")
    for text in plan.notes:
        note(f"note: {text}")
    return 0
