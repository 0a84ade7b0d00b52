"""`pybs-tui install SPEC`: download, verify, extract, probe and publish one build."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any, TextIO

from ..catalog.group import FilterError, normalise_flavor, parse_options
from ..host import detect_host
from ..install.pipeline import InstallResult, SpecError, install_build, resolve_spec
from ..install.progress import Cancelled, InstallError, Progress
from .common import (
    UserError,
    add_catalog_options,
    add_json_option,
    catalog_from_args,
    settings_from_args,
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
    p.add_argument("--flavor", help="full, install_only or install_only_stripped")
    p.add_argument(
        "--options",
        help="build options the archive must have, e.g. debug, "
        "pgo+lto, freethreaded; 'none' for plain builds",
    )
    p.add_argument(
        "--mirror",
        metavar="URL",
        help="download from this mirror of the PBS releases instead of GitHub",
    )
    p.add_argument(
        "--allow-unverified",
        action="store_true",
        help="install even when no sha256 is known (the receipt says so)",
    )
    p.add_argument(
        "--force", action="store_true", help="reinstall or replace what is in the install folder"
    )
    add_catalog_options(p)
    add_json_option(p)
    p.set_defaults(func=run)


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def format_progress(p: Progress) -> str:
    """One status line: phase, bytes/total, rate, ETA (what is known)."""
    parts = [f"{p.phase:<8}"]
    if p.done or p.total:
        amount = _size(p.done)
        if p.total:
            amount += f" / {_size(p.total)} ({100 * p.done / p.total:3.0f}%)"
        parts.append(amount)
    if p.rate:
        parts.append(f"{_size(p.rate)}/s")
    if p.eta is not None:
        minutes, seconds = divmod(int(p.eta + 0.5), 60)
        parts.append(f"ETA {minutes}:{seconds:02d}")
    if p.message:
        parts.append(p.message)
    return "  ".join(parts)


class ProgressLine:
    """Progress on stderr: one rewritten line on a terminal, a line per phase otherwise."""

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled
        self.tty = stream.isatty()
        self.phase = ""
        self.last = 0.0
        self.width = 0
        self.lock = threading.Lock()

    def __call__(self, p: Progress) -> None:
        if not self.enabled:
            return
        with self.lock:
            now = time.monotonic()
            changed = p.phase != self.phase
            self.phase = p.phase
            if self.tty:
                if not changed and now - self.last < 0.1:
                    return
                self.last = now
                line = format_progress(p)
                self.stream.write("\r" + line.ljust(self.width))
                self.width = len(line)
                self.stream.flush()
            elif changed:
                self.stream.write(format_progress(p) + "\n")
                self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()


def _run_cancellable(func: Any, cancel: threading.Event) -> InstallResult:
    """Run the install in a worker thread; Ctrl-C sets `cancel` and waits for the cleanup."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = func()
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="pybs-install")
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.2)
    except KeyboardInterrupt:
        cancel.set()
        worker.join()
        raise
    if "error" in box:
        raise box["error"]
    return box["result"]


def run(args: argparse.Namespace) -> int:
    try:
        flavor = normalise_flavor(args.flavor) if args.flavor else None
        options = parse_options(args.options) if args.options is not None else None
    except FilterError as exc:
        raise UserError(str(exc)) from None
    settings = settings_from_args(args)
    catalog = catalog_from_args(args, settings)
    try:
        resolved = resolve_spec(
            catalog, args.spec, flavor=flavor, options=options, host=detect_host()
        )
    except SpecError as exc:
        raise UserError(str(exc), 2) from None
    build = resolved.build
    if not args.json:
        print(f"installing {build.name}", file=sys.stderr)
    line = ProgressLine(sys.stderr, enabled=not args.json or sys.stderr.isatty())
    cancel = threading.Event()
    try:
        result = _run_cancellable(
            lambda: install_build(
                settings,
                build,
                progress=line,
                cancel=cancel,
                source=resolved.source,
                allow_unverified=args.allow_unverified,
                force=args.force,
            ),
            cancel,
        )
    except Cancelled:
        line.close()
        raise KeyboardInterrupt from None
    except InstallError as exc:
        line.close()
        raise UserError(str(exc), 1) from None
    line.close()
    if args.json:
        sys.stdout.write(
            json.dumps(
                {
                    "path": str(result.path),
                    "receipt": result.receipt,
                    "probe": result.probe,
                    "already_installed": result.already_installed,
                },
                default=str,
            )
            + "\n"
        )
        return 0
    if result.already_installed:
        print(f"{build.name} is already installed at {result.path}")
    else:
        probe = result.probe
        flags = [
            f"Py_DEBUG={probe.get('Py_DEBUG')}",
            f"Py_GIL_DISABLED={probe.get('Py_GIL_DISABLED')}",
        ]
        flags += [name for name in ("PGO", "LTO") if probe.get(name)]
        print(f"installed {build.name} at {result.path}")
        print(
            f"probe: Python {probe.get('version')}, {', '.join(flags)}"
            f"{'' if result.receipt.get('verified') else ' (UNVERIFIED: no checksum)'}"
        )
    return 0
