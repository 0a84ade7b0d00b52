"""`install` resolves a SPEC with the index of the host's own archives first
(`service.install.resolve_with_index`): the answer, uv's pick, the fit and the inferred flags
must be those of the whole index, for every kind of SPEC, this host's or another's."""

from __future__ import annotations

import pytest

from pybs_tui.catalog.group import Host
from pybs_tui.catalog.index import CatalogIndex
from pybs_tui.catalog.models import Catalog
from pybs_tui.service.catalog import load_snapshot
from pybs_tui.service.install import (
    SpecError,
    inferred_promises,
    resolve_spec,
    resolve_with_index,
)

HOSTS = [
    Host("linux", "x86_64", "gnu", 3),
    Host("linux", "x86_64", "musl", 2, musl_loader=True),
    Host("linux", "aarch64", "gnu"),
    Host("darwin", "aarch64", "none"),
    Host("windows", "x86_64", "msvc", 3),
]

#: this host's requests, other platforms' requests, variants, pins, nothing at all
SPECS = [
    "3.12",
    "3.13t",
    "3.12.3+debug",
    "3.11.4",
    "3.8",
    "3.14",
    "cpython-3.12-macos-aarch64",
    "cpython-3.13-linux-aarch64-musl",
    "cpython-3.12-windows-x86_64",
    "cpython-3.11-linux-x86_64_v3-gnu",
    "3.2",
]


@pytest.fixture(scope="module")
def snapshot() -> Catalog:
    parsed, generated, path = load_snapshot()
    return Catalog(parsed.builds, "snapshot", path, generated, others=parsed.others)


def facts(index: CatalogIndex, name: str) -> tuple[object, ...]:
    build = index.by_name[name]
    choice = index.uv_choice(build)
    return (
        index.reason.get(name),
        choice.name if choice is not None else None,
        sorted(inferred_promises(index, build).items()),
    )


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: f"{h.os}-{h.arch}-{h.libc}")
def test_the_early_answer_is_the_whole_index_answer(snapshot: Catalog, host: Host) -> None:
    full = CatalogIndex(snapshot, host)
    foreign = next(b.name for b in full.builds if (b.os, b.arch) != (host.os, host.arch))
    used_early = 0
    for spec in [*SPECS, foreign]:
        for flavor, options in ((None, None), ("full", None), (None, frozenset({"debug"}))):
            try:
                expected = resolve_spec(
                    snapshot, spec, flavor=flavor, options=options, host=host, picks=full.picks
                )
            except SpecError as exc:
                with pytest.raises(SpecError) as info:
                    resolve_with_index(snapshot, spec, host, flavor=flavor, options=options)
                assert str(info.value) == str(exc)
                continue
            resolved, index = resolve_with_index(
                snapshot, spec, host, flavor=flavor, options=options
            )
            assert resolved.build.name == expected.build.name, (spec, flavor, options)
            name = resolved.build.name
            assert facts(index, name) == facts(full, name), (spec, flavor, options)
            used_early += index.partial
    assert used_early  # the point: most of this host's SPECs never build the whole index
