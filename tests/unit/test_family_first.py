"""The host's own archives read first (`packed.unpack_family`, `service.catalog.load_family`):
each archive equal to the whole read's, the whole catalog's count and releases, and an early
index over them equal to the early index over the whole catalog, for hosts of every kind."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from pybs_tui.catalog import packed
from pybs_tui.catalog.group import Host
from pybs_tui.catalog.index import CatalogIndex, in_host_family
from pybs_tui.catalog.models import Catalog
from pybs_tui.catalog.view import BrowseView
from pybs_tui.service import catalog as service
from tests.unit.test_early_index import CHOICES, HOSTS, installed_of, shown
from tests.unit.test_packed import HOSTILE, _cache_index, _form, _odd_catalog

LINUX_GNU = Host("linux", "x86_64", "gnu", 3)


@pytest.fixture
def offline(settings):
    return dataclasses.replace(settings, offline=True)


@pytest.fixture(scope="module")
def whole() -> Catalog:
    parsed, generated, path = service.load_snapshot()
    return Catalog(parsed.builds, "snapshot", path, generated, others=parsed.others)


def in_family(host: Host, b) -> bool:
    return in_host_family(host)(b.os, b.arch, b.libc)


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: h.triple_words)
def test_the_family_read_first_is_the_whole_reads_archives_of_the_family(offline, whole, host):
    family = service.load_family(offline, "offline", in_host_family(host))
    assert isinstance(family, service.FamilyCatalog)
    expected = [b for b in whole.builds if in_family(host, b)]
    assert family.builds == expected  # every field of every archive, in the same order
    assert {(b.os, b.arch) for b in family.builds} == {(host.os, host.arch)}
    assert len(family.builds) < len(whole.builds) / 2
    # what the whole catalog tells, told by the part too
    assert family.archives == sum(1 for b in whole.builds if b.version is not None)
    assert family.releases == whole.releases
    assert (family.source, family.origin, family.fetched_at) == (
        whole.source,
        whole.origin,
        whole.fetched_at,
    )
    assert family.published == whole.published
    if host.os == "linux" and host.arch == "x86_64":
        assert len(expected) > 1000


@pytest.mark.parametrize("host", HOSTS, ids=lambda h: h.triple_words)
def test_the_early_index_of_the_family_equals_the_early_index_of_the_whole(offline, whole, host):
    family = service.load_family(offline, "offline", in_host_family(host))
    assert family is not None
    installed = installed_of(whole, host)
    first = CatalogIndex.early(family, host, installed, total=family.archives)
    early = CatalogIndex.early(whole, host, installed)
    full = CatalogIndex(whole, host, installed)
    assert first.partial and len(first) == len(early) == len(full)
    assert first.builds == early.builds
    assert first.picks.by_key == early.picks.by_key
    compared = 0
    for facets, text in CHOICES:
        views = []
        for index in (first, early, full):
            view = BrowseView(index)
            view.set_facets(facets)
            view.set_text(text)
            views.append(view)
        assert shown(views[0]) == shown(views[1]) == shown(views[2]), (host, facets, text)
        assert views[0].complete == views[1].complete
        compared += len(views[2].rows())
    if (host.os, host.arch) in (("linux", "x86_64"), ("darwin", "aarch64")):
        assert compared > 20


def test_the_family_read_first_comes_from_the_cached_index_when_there_is_one(offline):
    _cache_index(offline)
    whole = service.load_offline(offline)  # parses the index, writes its packed form
    assert whole.source == "cache"
    family = service.load_family(offline, "offline", in_host_family(LINUX_GNU))
    assert family is not None and family.source == "cache"
    assert family.builds == [b for b in whole.builds if in_family(LINUX_GNU, b)]
    assert family.builds  # the cached index's archive of this family, over the snapshot's
    assert family.archives == len(whole.builds) and family.releases == whole.releases
    assert (family.origin, family.fetched_at) == (whole.origin, whole.fetched_at)


def test_no_family_first_without_a_packed_form_to_read_it_from(offline):
    keep = in_host_family(LINUX_GNU)
    # a cached index not packed yet: the step's own load parses and packs it
    _cache_index(offline)
    assert service.load_family(offline, "offline", keep) is None
    service.load_offline(offline)
    assert service.load_family(offline, "offline", keep) is not None
    # a packed form made from other bytes (the index changed since): not used
    path = offline.catalog_cache_dir / service.PARSED_INDEX_FILE
    form = json.loads(path.read_bytes())
    path.write_text(json.dumps({**form, "source_sha256": "0" * 64}))
    assert service.load_family(offline, "offline", keep) is None
    path.write_bytes(b"\x00not json")
    assert service.load_family(offline, "offline", keep) is None


def test_no_family_first_for_the_network_or_a_named_catalog(settings, offline):
    keep = in_host_family(LINUX_GNU)
    online = dataclasses.replace(settings, offline=False)
    assert service.load_family(online, "catalog", keep) is None  # the live catalog
    assert service.load_family(online, "offline", keep) is not None  # its quick step
    assert service.load_family(offline, "catalog", keep) is not None  # offline: the same
    assert service.load_family(offline, "catalog", keep, catalog_arg="x.json") is None
    assert service.load_family(offline, "given", keep) is None


def test_unpack_family_keeps_every_field_of_the_odd_rows():
    parsed = _odd_catalog()
    form = _form()
    for host in (LINUX_GNU, Host("darwin", "x86_64", "none", 3), Host("linux", "aarch64", "gnu")):
        keep = in_host_family(host)
        family = packed.unpack_family(copy.deepcopy(form), "key", keep)
        assert family.parsed.builds == [b for b in parsed.builds if in_family(host, b)]
        assert family.parsed.others == []
        assert family.archives == sum(1 for b in parsed.builds if b.version is not None)
        assert family.releases == sorted({b.release for b in parsed.builds if b.release})
        assert family.parsed.published == parsed.published
    # the rows with a URL of their own and conflicting digests are in the linux gnu family
    first = packed.unpack_family(form, "key", in_host_family(LINUX_GNU)).parsed.builds
    assert any(b.conflict for b in first) and any(b.url.startswith("https://mirror") for b in first)


#: rows of other families are not read by `unpack_family` (the whole read checks them)
NOT_IN_THE_FAMILY = {"extras of no row"}


@pytest.mark.parametrize("case", sorted(set(HOSTILE) - NOT_IN_THE_FAMILY))
def test_a_hostile_form_is_refused_when_read_family_first_too(case):
    form = _form()
    HOSTILE[case](form)
    with pytest.raises(packed.PackedError):
        packed.unpack_family(form, "key", in_host_family(LINUX_GNU))


def test_a_stale_form_is_stale_when_read_family_first_too():
    with pytest.raises(packed.PackedStale):
        packed.unpack_family(_form(), "other key", in_host_family(LINUX_GNU))
