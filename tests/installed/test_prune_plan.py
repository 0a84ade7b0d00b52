"""The prune plan: newest patch per (minor, variant, platform), newest build of that patch."""

from __future__ import annotations

from pathlib import Path

from pybs_tui.catalog.names import parse_version
from pybs_tui.install.registry import OWN, Interpreter
from pybs_tui.service.inventory import plan_prune

LINUX = ("linux", "x86_64", "gnu")


def interp(
    name: str,
    version: str | None,
    release: str = "",
    variant: str = "default",
    platform=LINUX,
    manager: str = OWN,
    size: int = 10,
    used_by=(),
) -> Interpreter:
    return Interpreter(
        manager=manager,
        name=name,
        path=Path("/x") / name,
        version=parse_version(version) if version else None,
        release=release,
        variant=variant,
        platform=platform,
        size=size,
        used_by=list(used_by),
    )


def test_plan_keeps_newest_patch_and_build_per_minor_and_variant():
    plan = plan_prune(
        [
            interp("a", "3.12.3", "20240415"),
            interp("b", "3.12.8", "20250106"),
            interp("c", "3.12.8", "20250205"),
            interp("c-full", "3.12.8", "20250205"),  # another flavor of the newest build: kept
            interp("d", "3.12.1", "20240107", variant="freethreaded"),
            interp("e", "3.13.0rc3", "20240909"),
            interp("f", "3.13.0", "20241008"),
            interp("g", "3.12.2", "20240224", platform=("linux", "x86_64", "musl")),
            interp("h", None),  # unknown version: never judged, kept
            interp("uv-old", "3.12.1", manager="uv"),  # other tools: never in the plan
        ]
    )
    assert sorted(i.name for i in plan.keep) == ["c", "c-full", "d", "f", "g", "h"]
    reasons = {i.name: why for i, why in plan.remove}
    assert reasons == {
        "a": "older patch: 3.12.8 is installed",
        "b": "older build: 3.12.8+20250205 is installed",
        "e": "older patch: 3.13.0 is installed",
    }
    assert plan.reclaimable == 30
    assert plan.to_json()["reclaimable"] == 30


def test_plan_keeps_used_installs_unless_asked():
    installs = [
        interp(
            "a", "3.12.3", "20240415", used_by=["venv /p/.venv", "pin /p/.python-version (3.12)"]
        ),
        interp("b", "3.12.8", "20250106"),
        interp("c", "3.12.5", "20240726"),
        interp("d", "3.12.8", "20241206", used_by=["link /h/.local/bin/python3.12"]),
    ]
    plan = plan_prune(installs)  # the default: what something uses is kept
    assert [i.name for i, _ in plan.remove] == ["c"]
    assert [i.name for i in plan.kept_used] == ["a", "d"]
    assert {i.name for i in plan.keep} == {"a", "b", "d"}
    assert plan.reasons == {
        "a": "older patch: 3.12.8 is installed",
        "c": "older patch: 3.12.8 is installed",
        "d": "older build: 3.12.8+20250106 is installed",
    }
    assert plan.reclaimable == 10
    kept = plan.to_json()["kept_because_used"][:1]
    assert [(k["name"], k["reason"], k["used_by"]) for k in kept] == [
        (
            "a",
            "older patch: 3.12.8 is installed",
            ["venv /p/.venv", "pin /p/.python-version (3.12)"],
        )
    ]

    everything = plan_prune(installs, keep_used=False)
    assert [i.name for i, _ in everything.remove] == ["a", "c", "d"]
    assert everything.kept_used == []


def test_plan_empty():
    plan = plan_prune([])
    assert plan.keep == [] and plan.remove == [] and plan.reclaimable == 0
