"""`pybs-tui installed`, `uninstall` and `prune`: the Installed view, headless."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..units import printable
from .common import (
    UserError,
    add_catalog_options,
    add_json_option,
    print_json,
    print_table,
    settings_from_args,
)

if TYPE_CHECKING:
    from ..catalog.models import Catalog
    from ..install.registry import Interpreter, Roots
    from ..install.uninstall import Removed
    from ..service.inventory import PrunePlan
    from ..service.speed import Speed
    from ..settings import Settings

# The registry, uninstall and humanize modules are imported by the commands that use them:
# every subcommand module is imported at start-up, and `install` should not pay for them.


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "installed",
        help="list installed interpreters: pybs-tui's own and other tools'",
        description="List pybs-tui's installs and, read-only, the CPython interpreters of uv, "
        "pdm, rye, hatch, mise and pyenv: disk use, flavor, options, release, what is "
        "newer, and what uses each: venvs (in the working dir and its parents' projects, "
        "PYBS_TUI_VENV_ROOTS and the home dir), uv tools, pipx apps, ~/.local/bin links "
        "and .python-version pins. 'newer' is judged against the cached catalog (or the "
        "embedded snapshot); --refresh asks the network.",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--all-managers",
        dest="own",
        action="store_false",
        help="pybs-tui's installs and other tools' (the default)",
    )
    which.add_argument(
        "--own", dest="own", action="store_true", help="only pybs-tui's own installs"
    )
    p.add_argument(
        "--refresh", action="store_true", help="fetch the live catalog to judge 'newer available'"
    )
    add_catalog_options(p)
    add_json_option(p)
    p.set_defaults(func=run_installed, own=False)

    u = subparsers.add_parser(
        "uninstall",
        help="remove pybs-tui installs (never another tool's)",
        description="Remove interpreters installed by pybs-tui, by the names `pybs-tui "
        "installed` shows. Names every venv, tool, link and pin that uses them, and asks "
        "first on a terminal; scripts pass --yes.",
    )
    u.add_argument("names", nargs="+", metavar="NAME", help="install name (its directory)")
    u.add_argument("--yes", "-y", action="store_true", help="do not ask")
    u.set_defaults(func=run_uninstall)

    r = subparsers.add_parser(
        "prune",
        help="remove older own installs: keep the newest patch per minor and variant",
        description="Plan: keep the newest patch of each minor version and variant (and the "
        "newest build of that patch) among pybs-tui's installs; the rest is "
        "reclaimable, except older installs that something uses (a venv, uv tool, pipx "
        "app, link or .python-version pin): those are kept and listed with their users "
        "unless --include-used. Shows the plan, then removes on confirmation. With --json "
        "and without --yes, only the plan is printed.",
    )
    mode = r.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", "-n", action="store_true", help="show the plan only")
    mode.add_argument("--yes", "-y", action="store_true", help="remove without asking")
    r.add_argument(
        "--include-used",
        action="store_true",
        help="also remove older installs that a venv, tool, link or pin uses (they break)",
    )
    r.add_argument("--keep-used", action="store_true", help=argparse.SUPPRESS)  # the default now
    add_json_option(r)
    r.set_defaults(func=run_prune)


# -- helpers -----------------------------------------------------------------------------------
def _catalog(args: argparse.Namespace, settings: Settings) -> Catalog | None:
    """The catalog for 'newer available', or None (the listing works without it)."""
    from ..service.catalog import CatalogUnavailable, load_catalog, load_offline

    try:
        if getattr(args, "catalog", None):
            return load_catalog(settings, args.catalog)
        if getattr(args, "refresh", False) and not settings.offline:
            return load_catalog(settings)
        return load_offline(settings)
    except (CatalogUnavailable, OSError, ValueError) as exc:
        if not getattr(args, "json", False):
            print(printable(f"note: no catalog, 'newer' left blank: {exc}"), file=sys.stderr)
        return None


def _short(path: Path | str, home: Path) -> str:
    from ..install.registry import short_path

    return short_path(path, home)


def _size(n: int | None) -> str:
    from ..units import format_size

    return format_size(n)


def _users(users: Sequence[str], home: Path) -> str:
    from ..install.registry import users_summary

    return users_summary(users, home)


def _print_users(users: Sequence[str], home: Path, indent: str = "  ") -> None:
    from ..install.registry import short_user

    for user in users:
        print(printable(f"{indent}used by {short_user(user, home)}"))


def _confirm(question: str, yes: bool, hint: str) -> bool:
    """True to go ahead. Refuses (UserError) without --yes when stdin is not a terminal."""
    if yes:
        return True
    if not sys.stdin or not sys.stdin.isatty():
        raise UserError(
            f"not removing anything without confirmation (stdin is not a terminal): {hint}"
        )
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def _inventory(settings: Settings, roots: Roots, own_only: bool) -> tuple[list[Interpreter], bool]:
    from ..install.registry import attach_usage, discover, fill_sizes, find_usage

    interps = discover(settings, roots, others=not own_only)
    fill_sizes(interps, settings)
    usage = find_usage(roots, [i.path for i in interps])
    attach_usage(interps, usage)
    return interps, usage.complete


def _scan_note(complete: bool) -> None:
    if not complete:
        print(
            "note: the venv scan stopped at its time limit; 'used by' may miss some",
            file=sys.stderr,
        )


def _report_removed(removed: Sequence[Removed]) -> None:
    for r in removed:
        print(printable(f"removed {r.name} ({_size(r.bytes_freed)} freed)"))
        if r.leftover is not None:
            print(
                printable(
                    f"warning: some files of {r.name} could not be deleted; they are in "
                    f"{r.leftover} and will be swept next time"
                ),
                file=sys.stderr,
            )
    if len(removed) > 1:
        print(
            f"{len(removed)} installs removed, {_size(sum(r.bytes_freed for r in removed))} freed"
        )


def _speeds(settings: Settings, interps: Sequence[Interpreter]) -> dict[str, Speed]:
    """str(path) -> the kept speed (`pybs-tui bench`); a corrupt store is one note."""
    from ..service.speed import attach_speeds, load_speeds

    table, problem = load_speeds(settings)
    if problem:
        print(printable(f"note: {problem}"), file=sys.stderr)
    return attach_speeds(interps, table)


def _speed(speed: Speed) -> str:
    """'0.31x' relative to the fastest of the same minor; '?' when not measured."""
    return "?" if speed.relative is None else f"{speed.relative:.2f}x"


# -- installed ---------------------------------------------------------------------------------
def run_installed(args: argparse.Namespace) -> int:
    from ..host import detect_host
    from ..install.registry import Roots
    from ..service.inventory import mark_newer

    settings = settings_from_args(args)
    roots = Roots.from_env()
    interps, complete = _inventory(settings, roots, args.own)
    catalog = _catalog(args, settings)
    mark_newer(interps, catalog, detect_host())
    total = sum(i.size or 0 for i in interps)
    speeds = _speeds(settings, interps)
    if args.json:
        print_json(
            {
                "interpreters": [
                    dict(i.to_json(), speed=speeds[str(i.path)].to_json()) for i in interps
                ],
                "count": len(interps),
                "total_bytes": total,
                "used_by_scan_complete": complete,
                "catalog": catalog.source if catalog else None,
            }
        )
        return 0
    if not interps:
        print(
            "no interpreters installed"
            + (" by pybs-tui" if args.own else "")
            + printable(f" (pybs-tui installs into {settings.install_dir})")
        )
        return 0
    home = roots.home
    print_table(
        [
            "manager",
            "version",
            "flavor",
            "options",
            "release",
            "size",
            "newer",
            "speed",
            "used by",
            "path",
        ],
        [
            [
                i.manager,
                i.label,
                i.flavor or "?",
                i.options_label,
                i.release or "?",
                _size(i.size),
                i.newer or "-",
                _speed(speeds[str(i.path)]),
                _users(i.used_by, home),
                _short(i.path, home),
            ]
            for i in interps
        ],
        right=[5],
    )
    own = sum(1 for i in interps if i.own)
    print(f"{len(interps)} interpreters ({own} pybs-tui), {_size(total)} on disk")
    _scan_note(complete)
    return 0


# -- uninstall ---------------------------------------------------------------------------------
def run_uninstall(args: argparse.Namespace) -> int:
    from ..install.registry import (
        Roots,
        attach_usage,
        discover,
        fill_sizes,
        find_other,
        find_usage,
        own_installs,
    )
    from ..install.uninstall import (
        UninstallError,
        refusal_for_other,
        resolve_own,
        uninstall_many,
    )

    settings = settings_from_args(args)
    roots = Roots.from_env()
    own_names = {i.name for i in own_installs(settings)}
    others = None
    for name in args.names:
        if name in own_names:
            continue
        if others is None:
            others = discover(settings, roots, others=True)
        other = find_other(others, name)
        if other is not None:
            raise UserError(refusal_for_other(other), code=1)
    try:
        paths = [resolve_own(settings, name) for name in args.names]
    except UninstallError as exc:
        raise UserError(str(exc), code=1) from None
    targets = [i for i in own_installs(settings) if i.path in paths]
    fill_sizes(targets, settings)
    usage = find_usage(roots, [i.path for i in targets])
    attach_usage(targets, usage)
    for i in targets:
        print(printable(f"{i.name}: {i.label}, {_size(i.size)}"))
        _print_users(i.used_by, roots.home)
    used = [i for i in targets if i.used_by]
    if used:
        print(
            f"warning: {len(used)} of these {'is' if len(used) == 1 else 'are'} in use: "
            "what uses it stops working",
            file=sys.stderr,
        )
    _scan_note(usage.complete)
    total = sum(i.size or 0 for i in targets)
    question = f"Remove {len(targets)} install{'s' if len(targets) != 1 else ''} ({_size(total)})?"
    if not _confirm(question, args.yes, "add --yes to remove"):
        print("nothing removed")
        return 1
    try:
        removed = uninstall_many(settings, args.names)
    except UninstallError as exc:
        raise UserError(str(exc), code=1) from None
    _report_removed(removed)
    return 0


# -- prune -------------------------------------------------------------------------------------
def _print_plan(plan: PrunePlan, home: Path) -> None:
    if plan.keep:
        print("keep:")
        for i in plan.keep:
            if i not in plan.kept_used:
                print(printable(f"  {i.name}  {i.label}  {_size(i.size)}"))
    if plan.kept_used:
        print("kept because in use (--include-used removes them too):")
        for i in plan.kept_used:
            why = plan.reasons.get(i.name, "")
            print(printable(f"  {i.name}  {i.label}  {_size(i.size)}  {why}"))
            _print_users(i.used_by, home, "    ")
    if plan.remove:
        print("remove:")
        print_table(
            ["name", "version", "size", "why", "used by"],
            [
                [i.name, i.label, _size(i.size), why, _users(i.used_by, home)]
                for i, why in plan.remove
            ],
            right=[2],
        )
        for i, _ in plan.remove:
            if i.used_by:
                print(printable(f"  {i.name} is in use:"))
                _print_users(i.used_by, home, "    ")
    print(
        f"reclaimable: {_size(plan.reclaimable)} in {len(plan.remove)} install"
        f"{'s' if len(plan.remove) != 1 else ''}"
    )
    used = [i for i, _ in plan.remove if i.used_by]
    if used:
        print(
            f"warning: {len(used)} of these {'is' if len(used) == 1 else 'are'} in use "
            "(--include-used); what uses them stops working",
            file=sys.stderr,
        )


def run_prune(args: argparse.Namespace) -> int:
    from ..install.registry import Roots
    from ..install.uninstall import UninstallError
    from ..service.inventory import execute_prune, plan_prune

    settings = settings_from_args(args)
    roots = Roots.from_env()
    interps, complete = _inventory(settings, roots, own_only=True)
    plan = plan_prune(interps, keep_used=not args.include_used)
    if args.json:
        removed: list[Removed] = []
        if args.yes and plan.remove:
            try:
                removed = execute_prune(settings, plan)
            except UninstallError as exc:
                raise UserError(str(exc), code=1) from None
        print_json(
            dict(
                plan.to_json(),
                used_by_scan_complete=complete,
                removed=[
                    {
                        "name": r.name,
                        "path": str(r.path),
                        "bytes_freed": r.bytes_freed,
                        "complete": r.leftover is None,
                    }
                    for r in removed
                ],
            )
        )
        return 0
    _scan_note(complete)
    if not plan.remove:
        print(
            f"nothing to prune: {len(plan.keep)} install{'s' if len(plan.keep) != 1 else ''} kept"
        )
        if plan.kept_used:
            _print_plan(plan, roots.home)
        return 0
    _print_plan(plan, roots.home)
    if args.dry_run:
        return 0
    if not _confirm(
        f"Remove {len(plan.remove)} installs ({_size(plan.reclaimable)})?",
        args.yes,
        "add --yes to remove, or --dry-run to only look",
    ):
        print("nothing removed")
        return 1
    try:
        removed = execute_prune(settings, plan)
    except UninstallError as exc:
        raise UserError(str(exc), code=1) from None
    _report_removed(removed)
    return 0
