"""Installed interpreters, orchestrated for the CLI and the TUI alike (no textual).

discover (own receipts, other managers read-only) -> newer (against the catalog) -> used by
(venvs, uv tools, pipx apps, links, pins) -> disk use; the prune plan; removal. `load_steps`
yields the stages as they finish so a screen fills in progressively.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..catalog.group import Host
from ..catalog.models import Catalog, Version
from ..install.diskuse import DiskUseCache, disk_use
from ..install.registry import Interpreter, Roots, attach_usage, discover, find_usage
from ..install.uninstall import LOCK_TIMEOUT, Removed, UninstallError, uninstall_many
from ..settings import Settings
from ..units import format_size

if TYPE_CHECKING:
    from .speed import Speed


def newer_available(interp: Interpreter, catalog: Catalog | None, host: Host | None = None) -> str:
    """'3.12.8' if the catalog has a newer patch of the same minor and variant for this
    interpreter's platform; '3.12.3+20250115' if only a newer build of the same patch; ''."""
    v = interp.version
    if catalog is None or v is None:
        return ""
    if interp.platform is not None:
        os_name, arch, libc = interp.platform
    elif host is not None:
        os_name, arch, libc = host.os, host.arch, host.libc
    else:
        return ""
    best: tuple[Version, str] | None = None
    for b in catalog.builds:
        bv = b.version
        if bv is None or (bv.major, bv.minor) != (v.major, v.minor):
            continue
        if b.variant != interp.variant or (b.os, b.arch, b.libc) != (os_name, arch, libc):
            continue
        if bv.is_prerelease and not v.is_prerelease:
            continue
        if best is None or (bv, b.release) > best:
            best = (bv, b.release)
    if best is None:
        return ""
    if best[0] > v:
        return str(best[0])
    if best[0] == v and interp.release and best[1] > interp.release:
        return f"{v}+{best[1]}"
    return ""


def mark_newer(
    interps: Iterable[Interpreter], catalog: Catalog | None, host: Host | None = None
) -> None:
    for interp in interps:
        interp.newer = newer_available(interp, catalog, host)


@dataclass
class PrunePlan:
    """Own installs to keep and to remove, with a reason for each removal.

    `kept_used` are older installs kept only because something uses them (a venv, uv tool,
    pipx app, link or pin); `reasons` says, by name, why each older install could go.
    """

    keep: list[Interpreter] = field(default_factory=list)
    remove: list[tuple[Interpreter, str]] = field(default_factory=list)
    kept_used: list[Interpreter] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def reclaimable(self) -> int:
        return sum(i.size or 0 for i, _ in self.remove)

    @property
    def names(self) -> list[str]:
        return [i.name for i, _ in self.remove]

    def to_json(self) -> dict:
        return {
            "keep": [i.to_json() for i in self.keep],
            "remove": [dict(i.to_json(), reason=why) for i, why in self.remove],
            "reclaimable": self.reclaimable,
            "kept_because_used": [
                dict(i.to_json(), reason=self.reasons.get(i.name, "")) for i in self.kept_used
            ],
        }


def plan_prune(interps: Iterable[Interpreter], *, keep_used: bool = True) -> PrunePlan:
    """Keep the newest patch per (minor, variant, platform) and the newest build (release) of
    that patch among own installs; everything else is reclaimable. Installs of an unknown
    version are kept, and (unless `keep_used` is False) so is every older install something
    uses: a venv, a uv tool, a pipx app, a link, a pin. Those are listed in `kept_used`."""
    own = [i for i in interps if i.own]
    groups: dict[tuple, list[Interpreter]] = {}
    plan = PrunePlan()
    for interp in own:
        if interp.version is None:
            plan.keep.append(interp)
            continue
        key = (interp.version.major, interp.version.minor, interp.variant, interp.platform)
        groups.setdefault(key, []).append(interp)
    for members in groups.values():
        best = max((i.version, i.release) for i in members if i.version is not None)
        for interp in members:
            assert interp.version is not None
            if (interp.version, interp.release) == best:
                plan.keep.append(interp)
                continue
            if interp.version < best[0]:
                why = f"older patch: {best[0]} is installed"
            else:
                why = f"older build: {best[0]}+{best[1]} is installed"
            plan.reasons[interp.name] = why
            if keep_used and interp.used_by:
                plan.keep.append(interp)
                plan.kept_used.append(interp)
            else:
                plan.remove.append((interp, why))
    return plan


def execute_prune(
    settings: Settings, plan: PrunePlan, timeout: float = LOCK_TIMEOUT
) -> list[Removed]:
    """Remove what the plan marks reclaimable (each re-checked like any uninstall)."""
    if not plan.remove:
        return []
    return uninstall_many(settings, plan.names, timeout)


@dataclass
class Step:
    """One stage of loading the inventory."""

    kind: str  # "found", "speed", "used", "size"
    interps: list[Interpreter] = field(default_factory=list)  # found
    speeds: dict[str, Speed] = field(default_factory=dict)  # speed: path -> kept speed
    note: str = ""  # speed: why the kept results could not be read
    used_by: dict[str, list[str]] = field(default_factory=dict)  # used: path -> users
    complete: bool = True  # used: the venv scan finished within its time limit
    path: str = ""  # size
    size: int = 0  # size


def load_steps(
    settings: Settings,
    roots: Roots,
    catalog: Catalog | None,
    host: Host | None,
    *,
    others: bool = True,
) -> Iterator[Step]:
    """Discover and mark 'newer'; the kept speeds; who uses what; each one's disk use."""
    from .speed import attach_speeds, load_speeds

    interps = discover(settings, roots, others=others)
    mark_newer(interps, catalog, host)
    yield Step("found", interps=interps)
    table, note = load_speeds(settings)
    yield Step("speed", speeds=attach_speeds(interps, table), note=note)
    usage = find_usage(roots, [i.path for i in interps])
    attach_usage(interps, usage)
    yield Step(
        "used", used_by={str(i.path): list(i.used_by) for i in interps}, complete=usage.complete
    )
    cache = DiskUseCache(settings.cache_dir)
    for interp in interps:
        interp.size = disk_use(interp.path, cache)
        yield Step("size", path=str(interp.path), size=interp.size)


def remove_reporting(settings: Settings, names: list[str]) -> tuple[list[Removed], str]:
    """`remove`, with a refusal or failure as one line instead of an exception."""
    try:
        return remove(settings, names), ""
    except (UninstallError, OSError) as exc:
        return [], f"nothing removed: {exc}"


def remove(settings: Settings, names: list[str], timeout: float = LOCK_TIMEOUT) -> list[Removed]:
    """Remove own installs by name (every check of uninstall_many applies)."""
    return uninstall_many(settings, names, timeout)


@dataclass(frozen=True)
class Notice:
    """One line to tell the user (the TUI shows it as a notification, the CLI prints it)."""

    text: str
    title: str = ""
    severity: str = "information"  # information, warning, error


@dataclass
class Inventory:
    """What is installed, as far as it has been read: the state behind the Installed screen.

    `busy` says what is under way ("loading", "removing", "planning", or "");
    `usage_known` whether "used by" of the current list is in; `complete` whether the venv
    scan finished within its time limit.
    """

    interps: dict[str, Interpreter] = field(default_factory=dict)  # str(path) -> interpreter
    speeds: dict[str, Speed] = field(default_factory=dict)  # str(path) -> kept speed
    speed_note: str = ""  # why the kept speeds could not be read
    bench: BenchRun | None = None  # a benchmark under way
    complete: bool = True
    usage_known: bool = False
    busy: str = ""

    def begin_load(self) -> None:
        if not self.busy:  # a removal in progress keeps saying so
            self.busy = "loading"
        self.usage_known = False

    def apply(self, step: Step) -> None:
        """Take one stage of `load_steps`."""
        if step.kind == "found":
            self.interps = {str(i.path): i for i in step.interps}
            if self.busy == "loading":
                self.busy = ""
        elif step.kind == "speed":
            self.speeds, self.speed_note = dict(step.speeds), step.note
        elif step.kind == "used":
            self.complete, self.usage_known = step.complete, True
            for path, users in step.used_by.items():
                if path in self.interps:
                    self.interps[path].used_by = users
        elif step.path in self.interps:
            self.interps[step.path].size = step.size

    def own(self) -> list[Interpreter]:
        return [i for i in self.interps.values() if i.own]

    def removal_ended(self, removed: list[Removed], error: str) -> list[Notice]:
        """Forget what went; what to tell the user about it."""
        self.busy = ""
        if error:
            return [Notice(error, "not removed", "error")]
        for r in removed:
            self.interps.pop(str(r.path), None)
        freed = format_size(sum(r.bytes_freed for r in removed))
        out = [
            Notice(f"removed {', '.join(r.name for r in removed)}; {freed} freed", "uninstalled")
        ]
        out += [
            Notice(f"some files of {r.name} remain in {r.leftover}; they are swept next time",
                   severity="warning")
            for r in removed
            if r.leftover is not None
        ]  # fmt: skip
        return out


@dataclass
class BenchRun:
    """A benchmark of some interpreters under way (the Installed screen's `b`)."""

    paths: list[str]  # str(interp.path) of each, in order
    cancel: threading.Event = field(default_factory=threading.Event)
    index: int = 0  # which one runs now
    label: str = ""
    step: str = ""
    done: int = 0
    total: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def current(self) -> str:
        return self.paths[self.index] if self.index < len(self.paths) else ""

    def describe(self) -> str:
        """'benchmarking pyenv 3.12.1 (1 of 2): regex 6/9'."""
        count = len(self.paths)
        which = f" ({self.index + 1} of {count})" if count > 1 else ""
        step = f": {self.step} {self.done}/{self.total}" if self.total else ""
        return f"benchmarking {self.label}{which}{step}"


def measure_and_plan(own: list[Interpreter], settings: Settings, include_used: bool) -> PrunePlan:
    """The prune plan, disk use measured first where unknown (so the totals are real)."""
    cache = DiskUseCache(settings.cache_dir)
    for interp in own:
        if interp.size is None:
            interp.size = disk_use(interp.path, cache)
    return plan_prune(own, keep_used=not include_used)
