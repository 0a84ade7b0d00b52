"""`pybs-tui mirror export DIR SPEC...`: archives into a folder uv and pybs-tui install from
with no network (DIR/<tag>/<name>, SHA256SUMS per release, a catalog, uv's downloads file)."""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ..progress import Cancelled, InstallError
from ..units import format_size, printable
from .common import (
    UserError,
    add_archive_options,
    add_catalog_options,
    add_json_option,
    catalog_from_args,
    note,
    print_json,
    settings_from_args,
)
from .install import InstallProgress, _run_cancellable

if TYPE_CHECKING:
    from ..catalog.models import Build


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "mirror",
        help="make a folder of archives to install from where there is no network",
        description="Build a mirror folder of python-build-standalone archives for machines "
        "behind a firewall.",
    )
    inner = p.add_subparsers(dest="mirror_command", metavar="ACTION", required=True)
    e = inner.add_parser(
        "export",
        help="download archives into DIR, laid out like the release downloads",
        description="Download the archives SPEC names (verified, resumable) into "
        "DIR/<tag>/<name>, and write each release's SHA256SUMS, DIR/pybs-catalog.json (for "
        "--catalog) and DIR/download-metadata.json (uv's format, for "
        "UV_PYTHON_DOWNLOADS_JSON_URL). Exporting into an existing DIR adds to it. SPEC is "
        "resolved as `install` resolves it, for this machine unless --os/--arch/--libc or "
        "--all-platforms say otherwise.",
    )
    e.add_argument("dir", metavar="DIR", help="the mirror folder (created if missing)")
    e.add_argument(
        "specs",
        metavar="SPEC",
        nargs="+",
        help="version request, asset name, URL, or an archive file on disk (copied, checked "
        "against the catalog's sha256)",
    )
    add_archive_options(
        e,
        unverified_help="export archives with no published sha256 (the sha256 of what was "
        "downloaded is recorded, and said so)",
    )
    e.add_argument("--os", dest="target_os", metavar="OS", help="linux, macos or windows")
    e.add_argument("--arch", metavar="ARCH", help="x86_64, x86_64_v3, aarch64, ...")
    e.add_argument("--libc", metavar="LIBC", help="gnu, musl, ... (Linux)")
    e.add_argument(
        "--all-platforms",
        action="store_true",
        help="each SPEC for every platform the catalog has a build for",
    )
    e.add_argument(
        "--dry-run",
        "-n",
        action="store_true",
        help="list the archives SPEC resolves to (size, checksum known); download nothing",
    )
    add_catalog_options(e)
    add_json_option(e)
    e.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    # imported here: every subcommand module is imported at start-up (see __main__)
    from ..catalog.group import FilterError, normalise_flavor, parse_options
    from ..catalog.select import uv_picks
    from ..service.install import SpecError
    from ..service.mirror import (
        ExportResult,
        MirrorError,
        catalog_platforms,
        check_folder,
        export,
        platform_host,
        resolve_exports,
    )

    try:
        folder = check_folder(Path(args.dir))
    except MirrorError as exc:
        raise UserError(str(exc)) from None
    try:
        flavor = normalise_flavor(args.flavor) if args.flavor else None
        options = parse_options(args.options) if args.options is not None else None
    except FilterError as exc:
        raise UserError(str(exc)) from None
    if args.all_platforms and (args.target_os or args.arch or args.libc):
        raise UserError("--all-platforms takes no --os, --arch or --libc")
    settings = settings_from_args(args)
    catalog = catalog_from_args(args, settings)
    try:
        hosts = (
            catalog_platforms(catalog)
            if args.all_platforms
            else [platform_host(args.target_os, args.arch, args.libc)]
        )
        builds = resolve_exports(
            catalog,
            args.specs,
            hosts,
            flavor=flavor,
            options=options,
            picks=uv_picks(catalog.builds),
        )
    except SpecError as exc:
        raise UserError(str(exc)) from None
    if args.dry_run:
        return _dry_run(args, folder, [b for b, _ in builds], settings.offline)
    if not args.json:
        note(f"exporting {len(builds)} archive(s) into {printable(folder)}")
    progress = InstallProgress(enabled=not args.json or sys.stderr.isatty())
    cancel = threading.Event()
    try:
        result: ExportResult = _run_cancellable(  # type: ignore[assignment]
            lambda: export(
                settings,
                folder,
                builds,
                known=catalog.by_name,
                published=catalog.published,
                allow_unverified=args.allow_unverified,
                progress=progress,
                cancel=cancel,
            ),
            cancel,
        )
    except Cancelled:
        progress.close()
        raise KeyboardInterrupt from None
    except MirrorError as exc:
        progress.close()
        raise UserError(str(exc)) from None
    except InstallError as exc:
        progress.close()
        raise UserError(str(exc), 1) from None
    progress.close()
    if args.json:
        print_json(result.to_json())
        return 0
    for item in result.exported:
        what = f"{item.build.release}/{item.build.name}"
        checked = "sha256 ok" if item.verified else "UNVERIFIED: sha256 computed here"
        print(printable(f"{item.action:<10}  {what}  {format_size(item.size)}  {checked}"))
    tags = result.listing.by_tag()
    count = sum(len(v) for v in tags.values())
    print(printable(f"{folder} lists {count} archive(s) in {len(tags)} release(s)"))
    uv_count = len(result.uv_names)
    if uv_count != count:
        note(
            f"uv's download-metadata.json lists {uv_count} of them: one per version, platform "
            "and variant (uv's pick), and none uv does not offer"
        )
    for where, why in sorted(result.listing.skipped.items()):
        note(f"not listed: {where}: {why}")
    uri = folder.as_uri()
    note("install from it with no network:")
    note(
        "  "
        + printable(
            f"UV_PYTHON_INSTALL_MIRROR={shlex.quote(uri)} UV_PYTHON_DOWNLOADS_JSON_URL="
            f"{shlex.quote(str(result.uv_path))} uv python install <version>"
        )
    )
    note(
        "  "
        + printable(
            f"pybs-tui --catalog {shlex.quote(str(result.catalog_path))} install <version> "
            f"--mirror {shlex.quote(uri)}"
        )
    )
    return 0


def _dry_run(args: argparse.Namespace, folder: Path, builds: list[Build], offline: bool) -> int:
    """What an export would download; nothing is downloaded or written."""
    rows = [
        {
            "name": b.name,
            "release": b.release,
            "platform": b.platform_key,
            "size": b.size,
            "size_source": b.size_source or None,
            "sha256": b.sha256,
            "target": str(folder / b.release / b.name),
        }
        for b in builds
    ]
    if args.json:
        print_json({"folder": str(folder), "archives": rows})
        return 0
    for b in builds:
        size = format_size(b.size) if b.size is not None else "? (not in the catalog)"
        checked = (
            "sha256 known"
            if b.sha256
            else "sha256 to be read from the release's SHA256SUMS"
            if not offline
            else "NO sha256 offline (needs --allow-unverified)"
        )
        print(printable(f"{b.release}/{b.name}  {size}  {checked}"))
    total = sum(b.size for b in builds if b.size is not None)
    unknown = sum(1 for b in builds if b.size is None)
    more = f" + {unknown} of unknown size" if unknown else ""
    print(printable(f"{len(builds)} archive(s), {format_size(total)}{more}, into {folder}"))
    return 0
